#!/usr/bin/python3
"""Copy a few redistributable photos into public/samples/ (JPEG, longer side <= 512 px) and
write public/samples/CREDITS.md. Needs training/data/large/ from build_data.py.

  /usr/bin/python3 training/make_samples.py
"""
import json
import os

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "public", "samples")

# held-out photos first (the model never saw them), then two training photos
SAMPLES = [
    ("scratch-nature-canyon", "canyon.jpg"),
    ("scratch-outdoors-wooden-house", "wooden-house.jpg"),
    ("scratch-indoors-clothing-store", "clothing-store.jpg"),
    ("stdlib-locomotion-house-cat", "house-cat.jpg"),
    ("python3-skimage-chelsea", "chelsea-cat.jpg"),
    ("python3-skimage-coffee", "coffee.jpg"),
]

LICENCE_URLS = {
    "CC-BY-SA-3.0": "https://creativecommons.org/licenses/by-sa/3.0/",
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "BSD-3-Clause": "https://opensource.org/licenses/BSD-3-Clause",
}


def main():
    man = {it["id"]: it for it in json.load(open(os.path.join(HERE, "manifest.json")))["images"]}
    os.makedirs(OUT, exist_ok=True)
    rows = []
    for mid, fname in SAMPLES:
        it = man[mid]
        assert it["committable"], mid
        im = Image.open(os.path.join(HERE, "data", "large", mid + ".png")).convert("RGB")
        im.thumbnail((512, 512), Image.BICUBIC)
        im.save(os.path.join(OUT, fname), quality=87, optimize=True, progressive=True)
        lic = it["licence"]
        if it["package"] == "python3-skimage":
            lic = "CC0-1.0 (per scikit-image's notes; package licence BSD-3-Clause)"
        author = it["note"] if it["package"] == "python3-skimage" else it["copyright"]
        rows.append("| `%s` | %s | %s package `%s` %s, `%s` | %s | %s | %s |" % (
            fname, "%dx%d" % im.size, "npm" if it["source"] == "npm" else "Debian", it["package"], it["version"], it["path"],
            author.replace("|", "/"), lic, "held out (never trained on)" if it["split"] == "test"
            else "training set"))
    with open(os.path.join(OUT, "CREDITS.md"), "w") as f:
        f.write("# Sample photo credits\n\n"
                "Sample photos for MAE Playground, resized to at most 512 px (JPEG). Each keeps "
                "its own licence; the data set they come from is described in "
                "`training/README.md` and `training/manifest.json`.\n\n"
                "| file | size | source | author / copyright | licence | split |\n"
                "|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n\n"
                "Licences: CC-BY-SA-3.0 <%s> (Scratch 1.4 media, © 2011 Massachusetts Institute of "
                "Technology; re-encoded as JPEG, otherwise unchanged), CC0-1.0 <%s>.\n" % (
                    LICENCE_URLS["CC-BY-SA-3.0"], LICENCE_URLS["CC0-1.0"]))
    print("wrote", len(rows), "samples to", OUT)


if __name__ == "__main__":
    main()
