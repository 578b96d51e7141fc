#!/usr/bin/python3
"""Write a parity fixture for the TypeScript model from the exported checkpoint.

Loads public/checkpoints/mae-small/model.safetensors (float16) back into the PyTorch MAE as
float32 (so both sides use exactly the fp16-rounded weights), runs one committable photo
(centre crop 224, ImageNet-normalised) with seeded noise, and writes, in the format of
tests/fixtures/golden/tiny-p16 (see tests/fixtures/golden/README.md), batch 1:

  tests/fixtures/mae-small/{x,noise,mask,ids_restore,latent,pred,recon,paste,loss}.npy, case.json

  /usr/bin/python3 training/make_parity_fixture.py [--image python3-skimage-coffee] [--seed 0]
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from mae import normalize  # noqa: E402
from export import load_hf  # noqa: E402
from evaluate import centre_crop  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="public/checkpoints/mae-small")
    ap.add_argument("--out", default="tests/fixtures/mae-small")
    ap.add_argument("--image", default="python3-skimage-coffee", help="manifest id (committable)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mask-ratio", type=float, default=0.75)
    args = ap.parse_args()
    torch.set_num_threads(1)

    man = json.load(open(os.path.join(HERE, "manifest.json")))
    item = next(it for it in man["images"] if it["id"] == args.image)
    if not item["committable"]:
        raise SystemExit("%s is not committable (licence %s)" % (item["id"], item["licence"]))
    img = centre_crop(np.load(os.path.join(HERE, "data", "photos.npz"))[item["id"]])
    model, hf_cfg = load_hf(args.model)
    cfg = model.cfg
    L = model.num_patches
    x = normalize(img[None])
    noise = torch.rand(1, L, generator=torch.Generator().manual_seed(args.seed))
    with torch.no_grad():
        latent, mask, ids_restore = model.forward_encoder(x, args.mask_ratio, noise)
        pred = model.forward_decoder(latent, ids_restore)
        loss = model.forward_loss(x, pred, mask)
        recon = model.unpatchify(pred)
        pm = mask.reshape(1, model.grid, model.grid)
        pm = pm.repeat_interleave(model.p, 1).repeat_interleave(model.p, 2)[:, None]
        paste = x * (1 - pm) + recon * pm

    arrays = dict(x=x.numpy().astype("<f4"), noise=noise.numpy().astype("<f4"),
                  mask=mask.numpy().astype("<f4"), ids_restore=ids_restore.numpy().astype("<i4"),
                  latent=latent.numpy().astype("<f4"), pred=pred.numpy().astype("<f4"),
                  loss=np.array(loss.item(), dtype="<f4"), recon=recon.numpy().astype("<f4"),
                  paste=paste.numpy().astype("<f4"))
    os.makedirs(args.out, exist_ok=True)
    for k, a in arrays.items():
        np.save(os.path.join(args.out, k + ".npy"), a)
    st = os.path.join(args.model, "model.safetensors")
    case = dict(img_size=cfg["img_size"], patch_size=cfg["patch_size"], embed_dim=cfg["embed_dim"],
                depth=cfg["depth"], num_heads=cfg["num_heads"],
                decoder_embed_dim=cfg["decoder_embed_dim"], decoder_depth=cfg["decoder_depth"],
                decoder_num_heads=cfg["decoder_num_heads"], mask_ratio=args.mask_ratio, batch=1,
                norm_pix_loss=cfg["norm_pix_loss"], layer_norm_eps=1e-06,
                mlp_ratio=cfg["mlp_ratio"], num_patches=L, len_keep=int(L * (1 - args.mask_ratio)),
                loss=float(loss.item()),
                reference="training/mae.py (a re-implementation checked against the golden "
                          "tiny-p16 case), torch %s CPU, float32 with the fp16 weights of %s" % (
                              torch.__version__, st),
                checkpoint=st.replace(os.sep, "/"),
                checkpoint_bytes=os.path.getsize(st),
                image=dict(id=item["id"], package=item["package"], path=item["path"],
                           licence=item["licence"], note=item.get("note", ""),
                           preprocessing="shorter side resized to 320 (build_data.py), then to 224 "
                                         "(bicubic), centre crop 224, /255, ImageNet mean/std"),
                noise=dict(generator="torch.Generator().manual_seed(%d); torch.rand(1, %d)" % (
                    args.seed, L)),
                arrays={k: dict(shape=list(a.shape), dtype=str(a.dtype)) for k, a in arrays.items()})
    with open(os.path.join(args.out, "case.json"), "w") as f:
        json.dump(case, f, indent=2)
        f.write("\n")
    print("wrote %s: loss %.6f, image %s" % (args.out, loss.item(), item["id"]))


if __name__ == "__main__":
    main()
