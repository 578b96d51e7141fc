#!/usr/bin/python3
"""Held-out evaluation of an exported MAE against baselines that only see the visible patches.

For every held-out photo (manifest split "test"; whole source images never seen in training),
centre crop 224 px (shorter side resized to 224), and for each mask ratio in {0.5, 0.75, 0.9}
and each of a few fixed seeds, mask patches exactly as the model does (argsort of seeded noise),
then measure PSNR over the masked pixels only, in 0-255 space after un-normalising and clamping:

  model         MAE reconstruction (pixel targets, norm_pix_loss off)
  mean colour   every masked patch = mean colour of all visible pixels
  nearest patch every masked patch = copy of the nearest visible patch (patch-grid distance)
  smooth interp Gaussian normalised convolution of the visible pixels, finest scale first
                (sigma 4, 8, 16, 32, 64 px; a pixel takes the finest scale whose visible weight
                is >= 0.2 of the maximum possible, otherwise the coarsest)

  nice -n 10 /usr/bin/python3 training/evaluate.py --model public/checkpoints/mae-small \
      --out training/results [--grid public/checkpoints/mae-small/reconstructions.png]

--model may also be a training checkpoint (.pth).
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from mae import normalize, denormalize  # noqa: E402
from export import load_hf, load_checkpoint  # noqa: E402

RATIOS = (0.5, 0.75, 0.9)
SEEDS = (0, 1, 2)
METHODS = ("model", "mean colour", "nearest patch", "smooth interp")


def centre_crop(img, size=224):
    im = Image.fromarray(img)
    w, h = im.size
    s = size / min(w, h)
    im = im.resize((max(size, round(w * s)), max(size, round(h * s))), Image.BICUBIC)
    w, h = im.size
    x, y = (w - size) // 2, (h - size) // 2
    return np.asarray(im.crop((x, y, x + size, y + size)), dtype=np.uint8)


def load_test_images():
    man = json.load(open(os.path.join(HERE, "manifest.json")))
    z = np.load(os.path.join(HERE, "data", "photos.npz"))
    items = [it for it in man["images"] if it["split"] == "test"]
    return items, [centre_crop(z[it["id"]]) for it in items]


def make_noise(seed, image_index, L):
    g = torch.Generator().manual_seed(10007 * seed + image_index)
    return torch.rand(1, L, generator=g)


def pixel_mask(mask, grid, p):
    """[L] 0/1 patch mask -> [H, W] float pixel mask (1 = masked)."""
    m = mask.reshape(grid, grid)
    return np.kron(m, np.ones((p, p), dtype=np.float32))


def baseline_mean(img, pm):
    vis = pm == 0
    out = img.astype(np.float32).copy()
    out[~vis] = img[vis].reshape(-1, 3).mean(axis=0)
    return out


def baseline_nearest(img, mask, grid, p):
    out = img.astype(np.float32).copy()
    rows, cols = np.divmod(np.arange(grid * grid), grid)
    vis = np.nonzero(mask == 0)[0]
    for i in np.nonzero(mask == 1)[0]:
        d = (rows[vis] - rows[i]) ** 2 + (cols[vis] - cols[i]) ** 2
        j = vis[np.argmin(d)]  # ties: lowest patch index
        r, c = divmod(i, grid)
        rj, cj = divmod(j, grid)
        out[r * p:(r + 1) * p, c * p:(c + 1) * p] = img[rj * p:(rj + 1) * p, cj * p:(cj + 1) * p]
    return out


def gauss_blur(x, sigma):
    """x: [C, H, W] float tensor, zero padding."""
    r = int(math.ceil(3 * sigma))
    t = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    C = x.shape[0]
    x = x[None]
    x = F.conv2d(x, k.view(1, 1, 1, -1).repeat(C, 1, 1, 1), padding=(0, r), groups=C)
    x = F.conv2d(x, k.view(1, 1, -1, 1).repeat(C, 1, 1, 1), padding=(r, 0), groups=C)
    return x[0]


def baseline_smooth(img, pm, sigmas=(4, 8, 16, 32, 64), min_weight=0.2):
    vis = torch.from_numpy((pm == 0).astype(np.float32))[None]
    x = torch.from_numpy(img.astype(np.float32)).permute(2, 0, 1) * vis
    ones = torch.ones_like(vis)
    out = None
    done = torch.zeros_like(vis, dtype=torch.bool)
    for s in sigmas:
        num = gauss_blur(x, s)
        den = gauss_blur(vis, s)
        full = gauss_blur(ones, s)  # border-corrected maximum
        est = num / den.clamp_min(1e-8)
        ok = (den >= min_weight * full) & ~done
        if out is None:
            out = torch.zeros_like(x)
        out = torch.where(ok.expand_as(out), est, out)
        done = done | ok
    out = torch.where(done.expand_as(out), out, est)  # coarsest scale everywhere else
    res = img.astype(np.float32).copy()
    o = out.permute(1, 2, 0).numpy()
    m = pm == 1
    res[m] = o[m]
    return res


def masked_psnr(pred, img, pm):
    m = pm == 1
    mse = np.mean((np.clip(pred, 0, 255)[m] - img.astype(np.float32)[m]) ** 2)
    return 10 * math.log10(255.0 ** 2 / max(mse, 1e-10))


def load_model(path):
    if path.endswith(".pth"):
        model, ck = load_checkpoint(path)
        return model, "checkpoint %s (step %d, %d samples)" % (path, ck["step"], ck["samples"])
    model, _ = load_hf(path)
    return model, "export %s (fp16 weights)" % path


@torch.no_grad()
def run_model(model, img, ratio, noise):
    x = normalize(img[None])
    loss, pred, mask = model(x, mask_ratio=ratio, noise=noise)
    rec = denormalize(model.unpatchify(pred))[0].permute(1, 2, 0).numpy()
    return rec, mask[0].numpy()


def draw_grid(model, imgs, names, path, ratio=0.75, seed=0):
    p, grid = model.p, model.grid
    cols = []
    for k, img in enumerate(imgs):
        noise = make_noise(seed, k, grid * grid)
        rec, mask = run_model(model, img, ratio, noise)
        pm = pixel_mask(mask, grid, p)[..., None]
        masked = img * (1 - pm) + 127 * pm
        paste = img * (1 - pm) + rec * pm
        cols.append([img, masked, rec, paste])
    S, pad = 224, 4
    W = len(cols) * (S + pad) + pad + 130
    H = 4 * (S + pad) + pad
    canvas = Image.new("RGB", (W, H), (255, 255, 255))
    from PIL import ImageDraw, ImageFont
    d = ImageDraw.Draw(canvas)
    try:
        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 15)
    except OSError:
        font = ImageFont.load_default()
    for r, label in enumerate(["original", "masked %d%%" % round(ratio * 100), "reconstruction",
                               "recon + visible"]):
        d.text((8, pad + r * (S + pad) + S // 2 - 8), label, fill=(0, 0, 0), font=font)
    for c, col in enumerate(cols):
        for r, a in enumerate(col):
            canvas.paste(Image.fromarray(np.clip(a, 0, 255).round().astype(np.uint8)),
                         (130 + pad + c * (S + pad), pad + r * (S + pad)))
    canvas.save(path, optimize=True)
    print("wrote", path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="public/checkpoints/mae-small")
    ap.add_argument("--out", default="training/results")
    ap.add_argument("--grid", default=None, help="also write a reconstruction grid PNG here")
    ap.add_argument("--grid-n", type=int, default=6)
    ap.add_argument("--max-images", type=int, default=None)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model, desc = load_model(args.model)
    items, imgs = load_test_images()
    if args.max_images:
        items, imgs = items[:args.max_images], imgs[:args.max_images]
    p, grid = model.p, model.grid
    per = {r: {m: [] for m in METHODS} for r in RATIOS}
    for k, (it, img) in enumerate(zip(items, imgs)):
        for r in RATIOS:
            for s in SEEDS:
                noise = make_noise(s, k, grid * grid)
                rec, mask = run_model(model, img, r, noise)
                pm = pixel_mask(mask, grid, p)
                per[r]["model"].append(masked_psnr(rec, img, pm))
                per[r]["mean colour"].append(masked_psnr(baseline_mean(img, pm), img, pm))
                per[r]["nearest patch"].append(masked_psnr(baseline_nearest(img, mask, grid, p), img, pm))
                per[r]["smooth interp"].append(masked_psnr(baseline_smooth(img, pm), img, pm))
        print("%-40s done" % it["id"], flush=True)
    summary = {str(r): {m: dict(mean=float(np.mean(v)), std=float(np.std(v)), n=len(v))
                        for m, v in per[r].items()} for r in RATIOS}
    wins = {str(r): float(np.mean([a > max(b, c, d) for a, b, c, d in zip(
        per[r]["model"], per[r]["mean colour"], per[r]["nearest patch"], per[r]["smooth interp"])]))
        for r in RATIOS}
    lines = ["Masked-patch PSNR in dB (0-255, higher is better), mean ± std over %d held-out "
             "photos × %d seeds, centre crop 224 px. Model: %s." % (len(imgs), len(SEEDS), desc), "",
             "| mask ratio | " + " | ".join(METHODS) + " | model beats all baselines |",
             "|---|" + "---|" * len(METHODS) + "---|"]
    for r in RATIOS:
        row = ["%.2f ± %.2f" % (summary[str(r)][m]["mean"], summary[str(r)][m]["std"]) for m in METHODS]
        best = max(METHODS, key=lambda m: summary[str(r)][m]["mean"])
        row = ["**%s**" % v if m == best else v for m, v in zip(METHODS, row)]
        lines.append("| %.2f | %s | %d%% |" % (r, " | ".join(row), round(100 * wins[str(r)])))
    md = "\n".join(lines) + "\n"
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "eval.md"), "w") as f:
        f.write(md)
    with open(os.path.join(args.out, "eval.json"), "w") as f:
        json.dump(dict(model=desc, images=[it["id"] for it in items], seeds=list(SEEDS),
                       ratios=list(RATIOS), summary=summary, model_beats_all_baselines=wins,
                       per_image={str(r): per[r] for r in RATIOS}), f, indent=1)
    print(md)
    if args.grid:
        n = min(args.grid_n, len(imgs))
        draw_grid(model, imgs[:n], [it["id"] for it in items[:n]], args.grid)


if __name__ == "__main__":
    main()
