"""Small generated image folders in the CV4LymphNode layout, for tests and smoke runs.

Class-dependent patterns (brightness, a dark or bright ellipse) under multiplicative speckle, so
a network can learn something in a few steps. Never a substitute for real or phantom data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from .modalities import COLOUR_CODED, FOLDER_TO_MODALITY, MODALITY_TO_FOLDER

CLASSES = ["metastatic", "lymphoma", "benign"]


def speckle_image(cls: int, rng: np.random.Generator, size: tuple[int, int] = (48, 40)) -> np.ndarray:
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w]
    cy, cx = h / 2 + rng.uniform(-4, 4), w / 2 + rng.uniform(-4, 4)
    inside = ((yy - cy) / (h * 0.3)) ** 2 + ((xx - cx) / (w * 0.3)) ** 2 < 1
    base = np.full((h, w), 90.0)
    base[inside] = [40.0, 150.0, 100.0][cls]
    img = base * rng.rayleigh(0.8, (h, w))
    return np.clip(img, 0, 255).astype(np.uint8)


def write_folder(root: str | Path, per_class: int = 6, seed: int = 0,
                 folders: tuple[str, ...] = tuple(MODALITY_TO_FOLDER.values())) -> Path:
    """<root>/<folder>/<class-index>/case-<n>.png (same case ids across folders) + classes.txt."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    for cls in range(len(CLASSES)):
        for n in range(per_class):
            case = f"case-{cls}-{n:03d}"
            for f in folders:
                d = root / f / str(cls)
                d.mkdir(parents=True, exist_ok=True)
                grey = speckle_image(cls, rng)
                rgb = np.stack([grey] * 3, -1)
                if FOLDER_TO_MODALITY.get(f) in COLOUR_CODED:  # colour overlay like Doppler / strain maps
                    rgb[..., 0] = np.clip(rgb[..., 0].astype(int) + 30 * cls, 0, 255)
                Image.fromarray(rgb).save(d / f"{case}.png")
    (root / "classes.txt").write_text("\n".join(CLASSES) + "\n")
    return root


def write_public_like(root: str | Path, source: str | Path | None = None, per_class: int = 8, seed: int = 0) -> Path:
    """A small stand-in for ../shared/data (busi/ and ddti/ in their layouts, labels.csv, lesion
    masks) for smoke runs of the whole rebuild: the first `per_class` images of each class of the
    real copy at `source` (linked, not copied) when it exists, else generated speckle images with an
    elliptical lesion and its mask."""
    import csv

    root = Path(root)
    src = Path(source) if source is not None else None
    busi, ddti = root / "busi", root / "ddti"
    if src is not None and (src / "busi" / "labels.csv").exists() and (src / "ddti" / "labels.csv").exists():
        for name, key, group in (("busi", "class", None), ("ddti", "tirads", "image")):
            with open(src / name / "labels.csv", newline="") as fh:
                rows = list(csv.DictReader(fh))
            taken: dict[str, int] = {}
            kept = []
            for r in rows:
                k = r[key] if name == "busi" else ("ge4" if r[key][:1] in "45" else "le3" if r[key][:1] in "23" else "")
                if not k or taken.get(k, 0) >= per_class:
                    continue
                taken[k] = taken.get(k, 0) + 1
                kept.append(r)
                files = [r["file"]] if name == "busi" else [r["image"], r["mask"]]
                if name == "busi" and (src / "busi" / "masks" / r["file"]).exists():
                    files.append(f"masks/{r['file']}")
                for f in files:
                    (root / name / f).parent.mkdir(parents=True, exist_ok=True)
                    (root / name / f).symlink_to(src / name / f)
            with open(root / name / "labels.csv", "w", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=list(rows[0]))
                w.writeheader()
                w.writerows(kept)
        return root
    rng = np.random.default_rng(seed)

    def lesion(cls: int, size: int) -> tuple[np.ndarray, np.ndarray]:
        yy, xx = np.mgrid[0:size, 0:size]
        cy, cx, ry, rx = (size * rng.uniform(0.35, 0.65), size * rng.uniform(0.35, 0.65),
                          size * rng.uniform(0.1, 0.25), size * rng.uniform(0.1, 0.3))
        mask = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 < 1
        base = np.full((size, size), 110.0)
        base[mask] = [60.0, 30.0, 110.0][cls % 3]
        img = np.clip(base * rng.rayleigh(0.8, (size, size)), 0, 255).astype(np.uint8)
        return np.stack([img] * 3, -1), mask

    busi_rows = []
    for cls, name in enumerate(("benign", "malignant", "normal")):
        for n in range(per_class):
            img, mask = lesion(cls, 96)
            rel = f"{name}/{name}_{n:03d}.png"
            for folder, arr in ((busi, img), (busi / "masks", mask.astype(np.uint8) * 255)):
                (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                if name != "normal" or folder == busi:
                    Image.fromarray(arr).save(folder / rel)
            busi_rows.append({"file": rel, "class": name, "source_name": rel})
    ddti_rows = []
    for n in range(2 * per_class):
        tirads = "4a" if n % 2 else "3"
        img, mask = lesion(n % 2, 80)
        (ddti / "image").mkdir(parents=True, exist_ok=True)
        (ddti / "mask").mkdir(parents=True, exist_ok=True)
        Image.fromarray(img[..., 0]).save(ddti / "image" / f"{n + 1}_1.png")
        Image.fromarray(mask.astype(np.uint8) * 255).save(ddti / "mask" / f"{n + 1}_1.gif")
        ddti_rows.append({"image": f"image/{n + 1}_1.png", "mask": f"mask/{n + 1}_1.gif", "tirads": tirads})
    for folder, rows in ((busi, busi_rows), (ddti, ddti_rows)):
        with open(folder / "labels.csv", "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    return root
