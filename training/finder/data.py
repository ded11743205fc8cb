"""Sources of node/lesion masks for the finder, their grouped splits, and training augmentation.

Sources (read in place, never copied): BUSI (benign + malignant with the published lesion masks;
normal images as negatives with an empty mask), DDTI (thyroid nodule crops with masks) and
LymphScope phantoms (`npm run phantoms -- --full`: whole B-mode and colour Doppler screenshots
with the node mask of the whole frame, `full/masks/<case>_node.png`).

Splits are 70/15/15, grouped and seeded: BUSI exactly as stage 1 makes it (all 780 images, pHash
near-duplicates grouped, stratified by class: training/stage1.py), so the finder's BUSI test images
are held out from the classifier backbone too; DDTI by case number; phantoms by case id (the
B-mode and the Doppler frame of one case share a split).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..data import load_busi
from ..dedup import group_ids, hash_files
from ..modalities import MODALITY_IDS, MODALITY_TO_FOLDER, SIDE_BY_SIDE
from ..splits import grouped_stratified_split

SOURCES = ("busi", "ddti", "phantom")
# Luma weights (ITU-R BT.601), applied after the RGB resize, in the app exactly the same way.
LUMA = (0.299, 0.587, 0.114)
NORM_MEAN, NORM_STD = 0.5, 0.25
PROMPT_SIGMA = 3.0  # in model-input pixels


@dataclass
class FinderItem:
    source: str
    id: str
    image: np.ndarray  # H×W×3 uint8 RGB
    mask: np.ndarray  # H×W bool (all False: no node in the image)
    group: str
    split: str = ""


def _rgb(path: Path | str, scale: float = 1.0) -> np.ndarray:
    with Image.open(path) as im:
        im = im.convert("RGB")
        if scale != 1.0:
            im = im.resize((round(im.width * scale), round(im.height * scale)), Image.BILINEAR)
        return np.asarray(im, dtype=np.uint8)


def _mask(path: Path | str, size: tuple[int, int]) -> np.ndarray:
    with Image.open(path) as im:
        m = np.asarray(im.convert("L"), dtype=np.uint8) > 127
    if (m.shape[1], m.shape[0]) != size:
        m = np.asarray(Image.fromarray(m.astype(np.uint8) * 255).resize(size, Image.NEAREST)) > 127
    return m


def load_busi_items(root: Path, seed: int, threshold: int = 8) -> list[FinderItem]:
    samples = load_busi(root)
    bits = hash_files([s.path for s in samples])
    groups = group_ids(len(samples), bits, threshold, [s.group for s in samples])
    assign = grouped_stratified_split([s.label for s in samples], groups, seed=seed)
    out = []
    for s, g, split in zip(samples, groups, assign):
        rel = Path(s.path).relative_to(root)
        img = _rgb(s.path)
        mpath = root / "masks" / rel
        if rel.parts[0] == "normal":
            mask = np.zeros(img.shape[:2], bool)
        elif mpath.exists():
            mask = _mask(mpath, (img.shape[1], img.shape[0]))
        else:
            continue  # a lesion image whose mask the dataset copy lacks: cannot be scored
        out.append(FinderItem("busi", rel.as_posix(), img, mask, f"busi-{g}", split))
    return out


def load_ddti_items(root: Path, seed: int) -> list[FinderItem]:
    with open(root / "labels.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    groups = ["ddti-" + Path(r["image"]).stem.split("_")[0] for r in rows]
    assign = grouped_stratified_split([0] * len(rows), groups, seed=seed)
    out = []
    for r, g, split in zip(rows, groups, assign):
        img = _rgb(root / r["image"])
        out.append(FinderItem("ddti", r["image"], img, _mask(root / r["mask"], (img.shape[1], img.shape[0])), g, split))
    return out


def load_phantom_items(root: Path, seed: int, scale: float = 0.5) -> list[FinderItem]:
    """Whole screenshots (scanner chrome included), kept at half size: the finder sees ≤ 160 px."""
    # The whole-frame masks match the single-view screenshots, not side-by-side ones (strain).
    folders = [MODALITY_TO_FOLDER[m] for m in MODALITY_IDS if m not in SIDE_BY_SIDE]
    cases = []
    for f in sorted((root / "full" / folders[0]).glob("*/*.png")):
        cases.append((f.stem, int(f.parent.name)))
    assign = grouped_stratified_split([c for _, c in cases], [i for i, _ in cases], seed=seed)
    out = []
    for (case, cls), split in zip(cases, assign):
        mpath = root / "full" / "masks" / f"{case}_node.png"
        for folder in folders:
            p = root / "full" / folder / str(cls) / f"{case}.png"
            if not p.exists():
                continue
            img = _rgb(p, scale)
            out.append(FinderItem("phantom", f"{folder}/{case}", img, _mask(mpath, (img.shape[1], img.shape[0])),
                                  f"phantom-{case}", split))
    return out


# ---------------------------------------------------------------- preprocessing (the app's too)

def resize_rgb(img: np.ndarray, size: int) -> np.ndarray:
    """size×size RGB with Pillow BILINEAR (the resize the app reproduces exactly)."""
    if img.shape[0] == size and img.shape[1] == size:
        return img
    return np.asarray(Image.fromarray(img).resize((size, size), Image.BILINEAR), dtype=np.uint8)


def luma_input(rgb_small: np.ndarray) -> np.ndarray:
    """Model input channel 0 from a resized uint8 RGB image: (luma/255 − 0.5)/0.25, float32."""
    f = rgb_small.astype(np.float32)
    y = f[..., 0] * np.float32(LUMA[0]) + f[..., 1] * np.float32(LUMA[1]) + f[..., 2] * np.float32(LUMA[2])
    return ((y / np.float32(255.0) - np.float32(NORM_MEAN)) / np.float32(NORM_STD)).astype(np.float32)


def prompt_map(size: int, point: tuple[float, float] | None, sigma: float = PROMPT_SIGMA) -> np.ndarray:
    """Gaussian around `point` = (u, v) in continuous model-input coordinates (pixel j covers
    [j, j+1), its centre is j + 0.5); all zeros without a point."""
    if point is None:
        return np.zeros((size, size), np.float32)
    c = np.arange(size, dtype=np.float32) + np.float32(0.5)
    dx2 = (c - np.float32(point[0])) ** 2
    dy2 = (c - np.float32(point[1])) ** 2
    return np.exp(-(dy2[:, None] + dx2[None, :]) / np.float32(2 * sigma * sigma)).astype(np.float32)


def resize_mask(mask: np.ndarray, size: int) -> np.ndarray:
    if not mask.any():
        return np.zeros((size, size), bool)
    m = Image.fromarray(mask.astype(np.uint8) * 255).resize((size, size), Image.BILINEAR)
    return np.asarray(m) >= 128


def jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=int(quality))
    buf.seek(0)
    with Image.open(buf) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def sector_mask(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A curvilinear probe's fan: apex above the top centre, everything outside it black."""
    apex_y = -rng.uniform(0.05, 0.6) * h
    cx = w / 2 + rng.uniform(-0.05, 0.05) * w
    half = np.deg2rad(rng.uniform(28, 45))
    r0 = -apex_y + rng.uniform(0.0, 0.08) * h
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dy, dx = yy + 0.5 - apex_y, xx + 0.5 - cx
    ang = np.arctan2(dx, dy)
    r = np.hypot(dx, dy)
    return (np.abs(ang) <= half) & (r >= r0) & (r <= r0 + rng.uniform(0.85, 1.1) * (h - apex_y))


def box_of(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) exclusive, or None for an empty mask."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
