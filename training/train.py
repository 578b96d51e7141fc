#!/usr/bin/python3
"""Pre-train the small MAE on training/data/photos.npz (built by build_data.py).

CPU by default, CUDA when present, DDP when started with torchrun. Resumes from
<run>/checkpoint.pth when it exists (the schedule stored in the checkpoint wins).

  nohup nice -n 10 /usr/bin/python3 training/train.py --run small-v1 --total-samples 150000 \
      > training/runs/small-v1/stdout.log 2>&1 &
"""
import argparse
import csv
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mae import MAE, SMALL, normalize  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def load_photos(split):
    man = json.load(open(os.path.join(HERE, "manifest.json")))
    ids = [it["id"] for it in man["images"] if it["split"] == split]
    z = np.load(os.path.join(HERE, "data", "photos.npz"))
    return ids, [z[i] for i in ids]


def random_resized_crop(img, rng, size=224, scale=(0.2, 1.0), ratio=(3 / 4, 4 / 3)):
    """torchvision RandomResizedCrop semantics, on a uint8 HWC array, bicubic resize."""
    H, W = img.shape[:2]
    area = H * W
    for _ in range(10):
        a = area * rng.uniform(*scale)
        r = math.exp(rng.uniform(math.log(ratio[0]), math.log(ratio[1])))
        w = int(round(math.sqrt(a * r)))
        h = int(round(math.sqrt(a / r)))
        if 0 < w <= W and 0 < h <= H:
            y = rng.randint(0, H - h)
            x = rng.randint(0, W - w)
            break
    else:  # centre crop fallback
        in_r = W / H
        if in_r < ratio[0]:
            w, h = W, int(round(W / ratio[0]))
        elif in_r > ratio[1]:
            h, w = H, int(round(H * ratio[1]))
        else:
            w, h = W, H
        y, x = (H - h) // 2, (W - w) // 2
    im = Image.fromarray(img[y:y + h, x:x + w]).resize((size, size), Image.BICUBIC)
    a = np.asarray(im)
    if rng.random() < 0.5:
        a = a[:, ::-1]
    return a


def make_batch(photos, bs, rng):
    return np.stack([random_resized_crop(photos[rng.randrange(len(photos))], rng) for _ in range(bs)])


def lr_at(step, total, warmup, base_lr, min_lr):
    if step < warmup:
        return base_lr * (step + 1) / warmup
    t = (step - warmup) / max(1, total - warmup)
    return min_lr + (base_lr - min_lr) * 0.5 * (1 + math.cos(math.pi * min(1.0, t)))


def save_atomic(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", default="small-v1")
    ap.add_argument("--batch", type=int, default=64, help="global batch size")
    ap.add_argument("--total-samples", type=int, default=150000,
                    help="schedule length in images (fixed at the start of a run)")
    ap.add_argument("--warmup-samples", type=int, default=7500)
    ap.add_argument("--blr", type=float, default=1.5e-4, help="lr = blr * batch / 256")
    ap.add_argument("--lr", type=float, default=None, help="absolute lr (overrides blr)")
    ap.add_argument("--min-lr", type=float, default=1e-5)
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--mask-ratio", type=float, default=0.75)
    ap.add_argument("--depth", type=int, default=SMALL["depth"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--save-every-s", type=float, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-steps", type=int, default=None, help="stop early (for a timing trial)")
    ap.add_argument("--device", default=None)
    args = ap.parse_args()

    ddp = "RANK" in os.environ and "WORLD_SIZE" in os.environ
    rank, world = 0, 1
    if ddp:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
    if args.device:
        device = torch.device(args.device)
    elif torch.cuda.is_available():
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    torch.set_num_threads(args.threads)

    run_dir = os.path.join(HERE, "runs", args.run)
    os.makedirs(run_dir, exist_ok=True)
    ckpt_path = os.path.join(run_dir, "checkpoint.pth")

    cfg = dict(SMALL, depth=args.depth)
    torch.manual_seed(args.seed)
    model = MAE(**cfg).to(device)
    base_lr = args.lr if args.lr is not None else args.blr * args.batch / 256
    sched = dict(batch=args.batch, total_steps=math.ceil(args.total_samples / args.batch),
                 warmup_steps=math.ceil(args.warmup_samples / args.batch), lr=base_lr,
                 min_lr=args.min_lr, weight_decay=args.weight_decay, mask_ratio=args.mask_ratio,
                 betas=(0.9, 0.95))
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if p.ndim == 1 or n in ("cls_token", "mask_token") else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=base_lr, betas=(0.9, 0.95))
    step, elapsed, samples = 0, 0.0, 0
    py_rng = random.Random(args.seed * 1000 + rank)
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location="cpu")
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        step, elapsed, samples = ck["step"], ck["elapsed_s"], ck["samples"]
        sched = ck["schedule"]
        cfg = ck["config"]
        if ck.get("py_rng") is not None and rank == 0:
            py_rng.setstate(ck["py_rng"])
        else:
            py_rng = random.Random(args.seed * 1000 + rank + step)
        torch.set_rng_state(ck["torch_rng"])
        print("resumed %s at step %d/%d (%d samples, %.0f s)" % (ckpt_path, step,
              sched["total_steps"], samples, elapsed), flush=True)
    net = model
    if ddp:
        net = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None)

    _, photos = load_photos("train")
    per_rank = sched["batch"] // world
    if rank == 0:
        nparam = sum(p.numel() for p in model.parameters() if p.requires_grad)
        print("device %s, world %d, train photos %d, params %.2fM, schedule %s" % (
            device, world, len(photos), nparam / 1e6, json.dumps(sched)), flush=True)
        with open(os.path.join(run_dir, "config.json"), "w") as f:
            json.dump(dict(model=cfg, schedule=sched, args=vars(args)), f, indent=1)
    log_path = os.path.join(run_dir, "log.csv")
    new_log = not os.path.exists(log_path)
    logf = open(log_path, "a", newline="") if rank == 0 else None
    logw = csv.writer(logf) if logf else None
    if logw and new_log:
        logw.writerow(["step", "samples", "loss", "lr", "elapsed_s", "imgs_per_s"])

    def checkpoint():
        if rank != 0:
            return
        save_atomic(dict(model=model.state_dict(), optimizer=opt.state_dict(), step=step,
                         samples=samples, elapsed_s=elapsed, schedule=sched, config=cfg,
                         py_rng=py_rng.getstate(), torch_rng=torch.get_rng_state()), ckpt_path)

    last_save = time.time()
    model.train()
    while step < sched["total_steps"]:
        if args.max_steps is not None and step >= args.max_steps:
            break
        t0 = time.time()
        lr = lr_at(step, sched["total_steps"], sched["warmup_steps"], sched["lr"], sched["min_lr"])
        for g in opt.param_groups:
            g["lr"] = lr
        x = normalize(make_batch(photos, per_rank, py_rng)).to(device, non_blocking=True)
        loss, _, _ = net(x, mask_ratio=sched["mask_ratio"])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        lv = loss.item()
        if not math.isfinite(lv):
            raise SystemExit("loss is %s at step %d" % (lv, step))
        dt = time.time() - t0
        step += 1
        samples += sched["batch"]
        elapsed += dt
        if logw:
            logw.writerow([step, samples, "%.6f" % lv, "%.3e" % lr, "%.1f" % elapsed,
                           "%.2f" % (sched["batch"] / dt)])
            logf.flush()
            if step % 10 == 0 or step <= 5:
                eta = (sched["total_steps"] - step) * elapsed / step if step else 0
                print("step %d/%d loss %.4f lr %.2e %.1f img/s elapsed %.0fs eta %.0fs" % (
                    step, sched["total_steps"], lv, lr, sched["batch"] / dt, elapsed, eta),
                    flush=True)
        if time.time() - last_save > args.save_every_s:
            checkpoint()
            last_save = time.time()
    checkpoint()
    if rank == 0 and step >= sched["total_steps"]:
        open(os.path.join(run_dir, "DONE"), "w").write("%d steps, %d samples, %.0f s\n" % (
            step, samples, elapsed))
        print("done", flush=True)
    if ddp:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
