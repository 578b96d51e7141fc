"""A masked autoencoder (He et al., 2021) written from the description of the reference
implementation (facebookresearch/mae, models_mae.py): ViT encoder over the visible patches with
a cls token, fixed 2-D sin-cos position embeddings, pre-norm blocks with fused qkv and exact GELU,
LayerNorm eps 1e-6, a light decoder with one shared mask token, pixel-space MSE on masked patches.

Parameter names follow the reference checkpoints (patch_embed.proj, blocks.N.attn.qkv, ...), so
export.py can map them to the Hugging Face ViTMAEForPreTraining layout.
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

SMALL = dict(img_size=224, patch_size=16, embed_dim=192, depth=6, num_heads=3,
             decoder_embed_dim=128, decoder_depth=2, decoder_num_heads=4, mlp_ratio=4.0,
             norm_pix_loss=False)


def sincos_1d(dim, pos):
    """pos: float array [M] -> [M, dim]; first half sin, second half cos."""
    assert dim % 2 == 0
    omega = np.arange(dim // 2, dtype=np.float64) / (dim / 2.0)
    omega = 1.0 / 10000 ** omega
    out = np.einsum("m,d->md", pos.reshape(-1).astype(np.float64), omega)
    return np.concatenate([np.sin(out), np.cos(out)], axis=1)


def sincos_2d(dim, grid_size, cls_token=True):
    """[(1 +) grid*grid, dim]: first half of the channels encodes the column (x) coordinate,
    second half the row (y) coordinate, patches in row-major order; cls row is zeros."""
    ys, xs = np.meshgrid(np.arange(grid_size, dtype=np.float64),
                         np.arange(grid_size, dtype=np.float64), indexing="ij")
    emb = np.concatenate([sincos_1d(dim // 2, xs), sincos_1d(dim // 2, ys)], axis=1)
    if cls_token:
        emb = np.concatenate([np.zeros([1, dim]), emb], axis=0)
    return emb.astype(np.float32)


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        a = (q @ k.transpose(-2, -1)) * self.scale
        a = a.softmax(dim=-1)
        x = (a @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(x)


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))  # exact (erf) GELU


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, patch, dim):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)  # [N, L, E], row-major patches


class MAE(nn.Module):
    def __init__(self, img_size=224, patch_size=16, embed_dim=192, depth=6, num_heads=3,
                 decoder_embed_dim=128, decoder_depth=2, decoder_num_heads=4, mlp_ratio=4.0,
                 norm_pix_loss=False):
        super().__init__()
        self.cfg = dict(img_size=img_size, patch_size=patch_size, embed_dim=embed_dim,
                        depth=depth, num_heads=num_heads, decoder_embed_dim=decoder_embed_dim,
                        decoder_depth=decoder_depth, decoder_num_heads=decoder_num_heads,
                        mlp_ratio=mlp_ratio, norm_pix_loss=norm_pix_loss)
        self.p = patch_size
        self.grid = img_size // patch_size
        self.num_patches = self.grid ** 2
        self.norm_pix_loss = norm_pix_loss
        L = self.num_patches

        self.patch_embed = PatchEmbed(patch_size, embed_dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, L + 1, embed_dim), requires_grad=False)
        self.blocks = nn.ModuleList([Block(embed_dim, num_heads, mlp_ratio) for _ in range(depth)])
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)

        self.decoder_embed = nn.Linear(embed_dim, decoder_embed_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, decoder_embed_dim))
        self.decoder_pos_embed = nn.Parameter(torch.zeros(1, L + 1, decoder_embed_dim),
                                              requires_grad=False)
        self.decoder_blocks = nn.ModuleList(
            [Block(decoder_embed_dim, decoder_num_heads, mlp_ratio) for _ in range(decoder_depth)])
        self.decoder_norm = nn.LayerNorm(decoder_embed_dim, eps=1e-6)
        self.decoder_pred = nn.Linear(decoder_embed_dim, patch_size ** 2 * 3)
        self._init()

    def _init(self):
        self.pos_embed.data.copy_(torch.from_numpy(sincos_2d(self.pos_embed.shape[-1], self.grid))[None])
        self.decoder_pos_embed.data.copy_(
            torch.from_numpy(sincos_2d(self.decoder_pos_embed.shape[-1], self.grid))[None])
        w = self.patch_embed.proj.weight.data
        nn.init.xavier_uniform_(w.view(w.shape[0], -1))
        nn.init.zeros_(self.patch_embed.proj.bias)
        nn.init.normal_(self.cls_token, std=0.02)
        nn.init.normal_(self.mask_token, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    # ---- pixels <-> patches, (row, column, channel) order inside a patch
    def patchify(self, imgs):
        N, C, H, W = imgs.shape
        p, h, w = self.p, H // self.p, W // self.p
        x = imgs.reshape(N, C, h, p, w, p).permute(0, 2, 4, 3, 5, 1)  # N h w p p C
        return x.reshape(N, h * w, p * p * C)

    def unpatchify(self, x):
        N, L, D = x.shape
        p = self.p
        h = w = int(round(math.sqrt(L)))
        x = x.reshape(N, h, w, p, p, 3).permute(0, 5, 1, 3, 2, 4)  # N C h p w p
        return x.reshape(N, 3, h * p, w * p)

    def random_masking(self, x, mask_ratio, noise=None):
        N, L, D = x.shape
        len_keep = int(L * (1 - mask_ratio))
        if noise is None:
            noise = torch.rand(N, L, device=x.device)
        ids_shuffle = torch.argsort(noise, dim=1)  # ascending: smallest noise is kept
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        ids_keep = ids_shuffle[:, :len_keep]
        x_kept = torch.gather(x, 1, ids_keep[..., None].expand(-1, -1, D))
        mask = torch.ones(N, L, device=x.device)
        mask[:, :len_keep] = 0
        mask = torch.gather(mask, 1, ids_restore)
        return x_kept, mask, ids_restore

    def forward_encoder(self, imgs, mask_ratio, noise=None):
        x = self.patch_embed(imgs) + self.pos_embed[:, 1:, :]
        x, mask, ids_restore = self.random_masking(x, mask_ratio, noise)
        cls = (self.cls_token + self.pos_embed[:, :1, :]).expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1)
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x), mask, ids_restore

    def forward_decoder(self, latent, ids_restore):
        x = self.decoder_embed(latent)
        N, T, D = x.shape
        L = ids_restore.shape[1]
        tokens = torch.cat([x[:, 1:, :], self.mask_token.expand(N, L + 1 - T, D)], dim=1)
        tokens = torch.gather(tokens, 1, ids_restore[..., None].expand(-1, -1, D))
        x = torch.cat([x[:, :1, :], tokens], dim=1) + self.decoder_pos_embed
        for blk in self.decoder_blocks:
            x = blk(x)
        x = self.decoder_pred(self.decoder_norm(x))
        return x[:, 1:, :]

    def forward_loss(self, imgs, pred, mask):
        target = self.patchify(imgs)
        if self.norm_pix_loss:
            mean = target.mean(dim=-1, keepdim=True)
            var = target.var(dim=-1, keepdim=True)
            target = (target - mean) / (var + 1.e-6) ** .5
        loss = ((pred - target) ** 2).mean(dim=-1)
        return (loss * mask).sum() / mask.sum()

    def forward(self, imgs, mask_ratio=0.75, noise=None):
        latent, mask, ids_restore = self.forward_encoder(imgs, mask_ratio, noise)
        pred = self.forward_decoder(latent, ids_restore)
        loss = self.forward_loss(imgs, pred, mask)
        return loss, pred, mask


def normalize(imgs_uint8_nhwc):
    """uint8 [N,H,W,3] tensor/array -> float32 [N,3,H,W] ImageNet-normalised."""
    x = torch.from_numpy(np.array(imgs_uint8_nhwc, dtype=np.uint8)).permute(0, 3, 1, 2).float() / 255.0
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (x - mean) / std


def denormalize(x):
    """float32 [N,3,H,W] normalised -> float32 [N,3,H,W] in 0..255 (clamped)."""
    mean = torch.tensor(IMAGENET_MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=x.device).view(1, 3, 1, 1)
    return ((x * std + mean) * 255.0).clamp(0, 255)
