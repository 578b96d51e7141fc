#!/usr/bin/python3
"""Export a training checkpoint (final or intermediate) to the Hugging Face
ViTMAEForPreTraining layout: config.json + model.safetensors (float16), written by hand
(the safetensors package is not available here).

  /usr/bin/python3 training/export.py --ckpt training/runs/small-v1/checkpoint.pth \
      --out public/checkpoints/mae-small

Also provides read_safetensors() / hf_to_reference(), used by make_parity_fixture.py.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mae import MAE  # noqa: E402

DTYPES = {"F16": np.float16, "F32": np.float32}


def block_map(src, dst, dim):
    """Yield (hf_name, tensor-producing fn) pairs for one transformer block."""
    out = [
        (dst + ".layernorm_before.weight", src + ".norm1.weight", None),
        (dst + ".layernorm_before.bias", src + ".norm1.bias", None),
        (dst + ".attention.attention.query.weight", src + ".attn.qkv.weight", 0),
        (dst + ".attention.attention.key.weight", src + ".attn.qkv.weight", 1),
        (dst + ".attention.attention.value.weight", src + ".attn.qkv.weight", 2),
        (dst + ".attention.attention.query.bias", src + ".attn.qkv.bias", 0),
        (dst + ".attention.attention.key.bias", src + ".attn.qkv.bias", 1),
        (dst + ".attention.attention.value.bias", src + ".attn.qkv.bias", 2),
        (dst + ".attention.output.dense.weight", src + ".attn.proj.weight", None),
        (dst + ".attention.output.dense.bias", src + ".attn.proj.bias", None),
        (dst + ".layernorm_after.weight", src + ".norm2.weight", None),
        (dst + ".layernorm_after.bias", src + ".norm2.bias", None),
        (dst + ".intermediate.dense.weight", src + ".mlp.fc1.weight", None),
        (dst + ".intermediate.dense.bias", src + ".mlp.fc1.bias", None),
        (dst + ".output.dense.weight", src + ".mlp.fc2.weight", None),
        (dst + ".output.dense.bias", src + ".mlp.fc2.bias", None),
    ]
    return out


def name_map(cfg):
    """List of (hf_name, reference_name, qkv_part or None) in the hub's tensor order."""
    m = [("vit.embeddings.cls_token", "cls_token", None),
         ("vit.embeddings.position_embeddings", "pos_embed", None),
         ("decoder.mask_token", "mask_token", None),
         ("decoder.decoder_pos_embed", "decoder_pos_embed", None),
         ("vit.embeddings.patch_embeddings.projection.weight", "patch_embed.proj.weight", None),
         ("vit.embeddings.patch_embeddings.projection.bias", "patch_embed.proj.bias", None)]
    for i in range(cfg["depth"]):
        m += block_map("blocks.%d" % i, "vit.encoder.layer.%d" % i, cfg["embed_dim"])
    m += [("vit.layernorm.weight", "norm.weight", None), ("vit.layernorm.bias", "norm.bias", None),
          ("decoder.decoder_embed.weight", "decoder_embed.weight", None),
          ("decoder.decoder_embed.bias", "decoder_embed.bias", None)]
    for i in range(cfg["decoder_depth"]):
        m += block_map("decoder_blocks.%d" % i, "decoder.decoder_layers.%d" % i,
                       cfg["decoder_embed_dim"])
    m += [("decoder.decoder_norm.weight", "decoder_norm.weight", None),
          ("decoder.decoder_norm.bias", "decoder_norm.bias", None),
          ("decoder.decoder_pred.weight", "decoder_pred.weight", None),
          ("decoder.decoder_pred.bias", "decoder_pred.bias", None)]
    return m


def reference_to_hf(sd, cfg):
    out = {}
    for hf, ref, part in name_map(cfg):
        t = sd[ref].detach().float().cpu().numpy()
        if part is not None:
            n = t.shape[0] // 3
            t = t[part * n:(part + 1) * n]
        out[hf] = np.ascontiguousarray(t)
    return out


def hf_to_reference(tensors, cfg):
    sd = {}
    parts = {}
    for hf, ref, part in name_map(cfg):
        t = torch.from_numpy(np.asarray(tensors[hf], dtype=np.float32).copy())
        if part is None:
            sd[ref] = t
        else:
            parts.setdefault(ref, [None, None, None])[part] = t
    for ref, ts in parts.items():
        sd[ref] = torch.cat(ts, dim=0)
    return sd


def write_safetensors(path, tensors, dtype="F16", metadata=None):
    npd = DTYPES[dtype]
    header = {"__metadata__": metadata or {"format": "pt"}}
    blobs = []
    off = 0
    for name, arr in tensors.items():
        b = np.ascontiguousarray(arr.astype(npd)).astype("<" + np.dtype(npd).str[1:]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def read_safetensors(path):
    with open(path, "rb") as f:
        buf = f.read()
    n = struct.unpack("<Q", buf[:8])[0]
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        dt = np.dtype(DTYPES[info["dtype"]]).newbyteorder("<")
        out[name] = np.frombuffer(buf[base + a:base + b], dtype=dt).reshape(info["shape"])
    return out, header.get("__metadata__", {})


def hf_config(cfg, mask_ratio=0.75):
    # keys and order copied from tests/fixtures/golden/tiny-p16/hf/config.json
    return {
        "architectures": ["ViTMAEForPreTraining"],
        "model_type": "vit_mae",
        "hidden_size": cfg["embed_dim"],
        "num_hidden_layers": cfg["depth"],
        "num_attention_heads": cfg["num_heads"],
        "intermediate_size": int(cfg["embed_dim"] * cfg["mlp_ratio"]),
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
        "initializer_range": 0.02,
        "layer_norm_eps": 1e-06,
        "image_size": cfg["img_size"],
        "patch_size": cfg["patch_size"],
        "num_channels": 3,
        "qkv_bias": True,
        "decoder_num_attention_heads": cfg["decoder_num_heads"],
        "decoder_hidden_size": cfg["decoder_embed_dim"],
        "decoder_num_hidden_layers": cfg["decoder_depth"],
        "decoder_intermediate_size": int(cfg["decoder_embed_dim"] * cfg["mlp_ratio"]),
        "mask_ratio": mask_ratio,
        "norm_pix_loss": bool(cfg["norm_pix_loss"]),
    }


def cfg_from_hf(c):
    return dict(img_size=c["image_size"], patch_size=c["patch_size"], embed_dim=c["hidden_size"],
                depth=c["num_hidden_layers"], num_heads=c["num_attention_heads"],
                decoder_embed_dim=c["decoder_hidden_size"],
                decoder_depth=c["decoder_num_hidden_layers"],
                decoder_num_heads=c["decoder_num_attention_heads"],
                mlp_ratio=c["intermediate_size"] / c["hidden_size"],
                norm_pix_loss=c.get("norm_pix_loss", False))


def load_checkpoint(path):
    """-> (MAE model float32, checkpoint dict). Works for any intermediate checkpoint."""
    ck = torch.load(path, map_location="cpu")
    cfg = ck["config"]
    model = MAE(**cfg)
    model.load_state_dict(ck["model"])
    model.eval()
    return model, ck


def load_hf(folder):
    """-> MAE model in float32 holding exactly the (fp16-rounded) exported weights."""
    c = json.load(open(os.path.join(folder, "config.json")))
    cfg = cfg_from_hf(c)
    tensors, _ = read_safetensors(os.path.join(folder, "model.safetensors"))
    model = MAE(**cfg)
    model.load_state_dict(hf_to_reference(tensors, cfg))
    model.eval()
    return model, c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="training/runs/small-v1/checkpoint.pth")
    ap.add_argument("--out", default="public/checkpoints/mae-small")
    ap.add_argument("--dtype", default="F16", choices=["F16", "F32"])
    args = ap.parse_args()
    model, ck = load_checkpoint(args.ckpt)
    cfg = ck["config"]
    tensors = reference_to_hf(model.state_dict(), cfg)
    os.makedirs(args.out, exist_ok=True)
    meta = {"format": "pt", "step": str(ck["step"]), "samples": str(ck["samples"]),
            "total_steps": str(ck["schedule"]["total_steps"])}
    write_safetensors(os.path.join(args.out, "model.safetensors"), tensors, args.dtype, meta)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(hf_config(cfg, ck["schedule"].get("mask_ratio", 0.75)), f, indent=2)
        f.write("\n")
    # round-trip check: the file reloads into the same weights (up to fp16 rounding)
    back, _ = load_hf(args.out)
    sd0, sd1 = model.state_dict(), back.state_dict()
    err = max((sd0[k].float() - sd1[k]).abs().max().item() for k in sd0)
    size = os.path.getsize(os.path.join(args.out, "model.safetensors"))
    print("exported step %d/%d (%d samples) -> %s: %d tensors, %.2f MB, max |fp16 - fp32| %.2e" % (
        ck["step"], ck["schedule"]["total_steps"], ck["samples"], args.out, len(tensors),
        size / 1e6, err))


if __name__ == "__main__":
    main()
