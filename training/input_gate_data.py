"""Image sets for the input checks (training/input_gate.py, docs/input-checks.md).

Every item is a crop as the app would hand it to the model, with its source set, its split and,
for training items, the gate class. Splits are by source file (real data: the pack's own grouped
stage-1 splits, so near-duplicates never straddle them), so no held-out image shares a source with
a training image.

Sources:
- simulated nodes (the pack's phantom generator, `npm run phantoms`): ROI crops per modality, split
  as the pack was (training/results/<pack>/split-stage2.json), and full screenshots (B-mode, CDFI,
  the elastography dual view);
- real B-mode: BUSI and DDTI (../shared/data);
- colourised B-mode: real or simulated B-mode with synthetic Doppler-like colour blobs painted on
  (no real CDFI is available: these stand in for colour Doppler in the gate's training only);
- not ultrasound, from Debian packages: photographs (mate-backgrounds, gnome-backgrounds,
  matplotlib's sample photo), documents and figures and GUI screenshots (python-skimage-doc,
  python-pydicom-doc), text pages rendered here, CT/MR/NM DICOM test files (python3-pydicom) and matplotlib's MR slice;
- synthetic: noise, blank, saturated, gradients.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from .modalities import COLOUR_CODED, MODALITY_IDS, MODALITY_TO_FOLDER, load_registry

PYDICOM_TEST_FILES = Path("/usr/lib/python3/dist-packages/pydicom/data/test_files")
SKIMAGE_DOC_IMAGES = Path("/usr/share/doc/python-skimage-doc/html/_images")
PYDICOM_DOC_IMAGES = Path("/usr/share/doc/python-pydicom-doc/html/_images")
PHOTO_DIRS = (Path("/usr/share/backgrounds/mate"), Path("/usr/share/backgrounds/gnome"))
MATPLOTLIB_SAMPLES = Path("/usr/share/matplotlib/mpl-data/sample_data")
TEXT_SOURCES = Path("/usr/share/common-licenses")
PHANTOM_FOLDERS = dict(MODALITY_TO_FOLDER)
# The registry's grayscale modality: real BUSI/DDTI images are labelled as it.
GRAYSCALE = next(m for m in MODALITY_IDS if m not in COLOUR_CODED)
# The colour-coded modality shown as one view (colour Doppler): colourised B-mode stands in for it.
DOPPLER_LIKE = next(e["id"] for e in load_registry() if e["colourCoded"] and not e["roi"]["splitDualView"])
# DICOM test files held out from training (evaluation only). J2K_pixelrep_mismatch is the same
# slice as 693_J2KI, so it is left out of both.
DICOM_EVAL = ("693_J2KI.dcm",)
DICOM_TRAIN = ("CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm", "image_dfl.dcm")
SCREENSHOT_WORDS = ("window", "button", "dropdown", "viewer", "plugin", "screenshot", "gui")


@dataclass
class Item:
    key: str
    source: str  # the set it is reported under
    split: str  # train | val | test (train: the gate and the OOD statistics may use it)
    gate: str | None  # gate class for training; None: evaluation only
    load: Callable[[], np.ndarray]  # HWC uint8 RGB


def _rgb(im: Image.Image) -> np.ndarray:
    return np.asarray(im.convert("RGB"), dtype=np.uint8)


def _open(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        im.load()
        if im.mode in ("RGBA", "LA", "P"):
            im = im.convert("RGBA")
            bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
            im = Image.alpha_composite(bg, im)
        return _rgb(im)


def _stable(s: str) -> int:
    return int(hashlib.sha256(s.encode()).hexdigest()[:8], 16)


def random_crop(img: np.ndarray, rng: np.random.Generator, min_frac: float = 0.35) -> np.ndarray:
    """A crop as a user might draw it, sometimes the whole image, sometimes JPEG-recompressed."""
    h, w = img.shape[:2]
    if rng.random() < 0.25:
        out = img
    else:
        ch = max(8, int(h * rng.uniform(min_frac, 1.0)))
        cw = max(8, int(w * rng.uniform(min_frac, 1.0)))
        y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        out = img[y : y + ch, x : x + cw]
    if rng.random() < 0.3:
        buf = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(out)).save(buf, "JPEG", quality=int(rng.integers(40, 95)))
        out = _rgb(Image.open(buf))
    return np.ascontiguousarray(out)


def colourise(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Paints Doppler-like red/blue blobs (a few % of the pixels) on a B-mode image."""
    h, w = img.shape[:2]
    out = img.copy()
    yy, xx = np.mgrid[0:h, 0:w]
    for _ in range(int(rng.integers(2, 7))):
        cy, cx = rng.uniform(0.2, 0.8) * h, rng.uniform(0.2, 0.8) * w
        ry, rx = rng.uniform(0.02, 0.09) * h, rng.uniform(0.01, 0.05) * w
        blob = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 < 1
        red = rng.random() < 0.6
        shade = rng.uniform(150, 255)
        out[blob] = (shade, rng.uniform(0, 90), 0) if red else (0, rng.uniform(60, 160), shade)
    return out


def synthetic(kind: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    h, w = int(rng.integers(96, 480)), int(rng.integers(96, 480))
    if kind == "noise-gray":
        return np.repeat(rng.integers(0, 256, (h, w, 1), dtype=np.uint8), 3, axis=2)
    if kind == "noise-colour":
        return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    if kind == "noise-gauss":
        return np.clip(rng.normal(rng.uniform(40, 200), rng.uniform(10, 60), (h, w, 3)), 0, 255).astype(np.uint8)
    if kind == "blank":
        return np.full((h, w, 3), rng.integers(0, 256, 3), dtype=np.uint8)
    if kind == "saturated":
        img = np.full((h, w, 3), 255, np.uint8)
        img[rng.random((h, w)) < rng.uniform(0, 0.1)] = 0
        return img
    if kind == "gradient":
        g = np.linspace(0, 1, w)[None, :, None] * rng.uniform(0, 255, 3) + np.linspace(0, 1, h)[:, None, None] * 30
        return np.clip(g, 0, 255).astype(np.uint8).repeat(1, 0)
    raise ValueError(kind)


SYNTHETIC_KINDS = ("noise-gray", "noise-colour", "noise-gauss", "blank", "saturated", "gradient")


def text_page(path: Path, seed: int) -> np.ndarray:
    """A page of `path`'s text, as a scanned or photographed document would look."""
    rng = np.random.default_rng(seed)
    lines = [ln for para in path.read_text(errors="replace").splitlines() for ln in (textwrap.wrap(para, 70) or [""])]
    start = int(rng.integers(0, max(1, len(lines) - 40)))
    shade = rng.integers(225, 256, 3)
    page = Image.new("RGB", (560, 720), (int(shade[0]), int(shade[1]), int(shade[2])))
    draw = ImageDraw.Draw(page)
    for i, ln in enumerate(lines[start : start + 52]):
        draw.text((24, 16 + i * 13), ln, fill=(20, 20, 20))
    return _rgb(page)


def dicom_slices(path: Path) -> list[np.ndarray]:
    """The file's frames as 8-bit RGB with a soft-tissue-like and a full-range window."""
    import pydicom

    if path.name == "s1045.ima.gz":  # matplotlib's MR slice: raw 256×256 uint16, no DICOM header
        arr = np.frombuffer(gzip.open(path).read(), np.uint16).reshape(256, 256).astype(np.float64)
    else:
        arr = pydicom.dcmread(str(path)).pixel_array.astype(np.float64)
    frames = arr if arr.ndim == 3 and arr.shape[-1] != 3 else arr[None]
    out = []
    for f in frames[:4]:
        for lo_q, hi_q in ((1, 99), (20, 80)):
            lo, hi = np.percentile(f, lo_q), np.percentile(f, hi_q)
            g = np.clip((f - lo) / max(hi - lo, 1e-6) * 255, 0, 255).astype(np.uint8)
            out.append(np.repeat(g[..., None], 3, axis=2))
    return out


def _cropped(source: str, split: str, gate: str | None, base: str, fetch: Callable[[], np.ndarray], n: int,
             seed: int, min_frac: float = 0.35) -> list[Item]:
    return [Item(f"{base}#{k}", source, split, gate, partial(_crop_of, fetch, seed + 7919 * k, min_frac))
            for k in range(n)]


def _crop_of(fetch: Callable[[], np.ndarray], seed: int, min_frac: float) -> np.ndarray:
    return random_crop(fetch(), np.random.default_rng(seed), min_frac)


def _colourised(path: Path, seed: int) -> np.ndarray:
    return colourise(_open(path), np.random.default_rng(seed))


def _same(img: np.ndarray) -> np.ndarray:
    return img


def phantom_items(root: Path, split_file: Path, per_split: dict[str, int], full_per_modality: int) -> list[Item]:
    items: list[Item] = []
    split = {it["id"]: it["split"] for it in json.loads(split_file.read_text())["items"]}
    for mod, folder in PHANTOM_FOLDERS.items():
        files = sorted((root / folder).glob("*/*.png"), key=lambda p: _stable(p.name))
        taken = {s: 0 for s in per_split}
        for p in files:
            s = split.get(f"{folder}/{p.parent.name}/{p.name}")
            if s is None or taken[s] >= per_split[s]:
                continue
            taken[s] += 1
            items.append(Item(f"phantom:{folder}/{p.parent.name}/{p.name}", f"simulated-{mod}", s, mod,
                              partial(_open, p)))
        full = sorted((root / "full" / folder).glob("*/*.png"), key=lambda p: _stable(p.name))
        for i, p in enumerate(full[:full_per_modality]):
            s = split.get(f"{folder}/{p.parent.name}/{p.name}", "train")
            items.append(Item(f"phantom-full:{folder}/{p.name}", f"simulated-{mod}-screenshot",
                              "train" if s == "train" else "test", mod, partial(_open, p)))
    return items


def demo_items(root: Path) -> list[Item]:
    """Cases of the app's demonstration generator at seeds the gate never saw (evaluation only)."""
    return [Item(f"demo:{folder}/{p.name}", f"demo-{mod}", "test", None, partial(_open, p))
            for mod, folder in PHANTOM_FOLDERS.items() for p in sorted((root / folder).glob("*/*.png"))]


def real_bmode_items(data: Path, results: Path, n_train: int, n_test: int, seed: int) -> list[Item]:
    items: list[Item] = []
    for name, folder in (("busi", data / "busi"), ("ddti", data / "ddti")):
        split = json.loads((results / f"split-stage1-{name}.json").read_text())["items"]
        train = sorted((it["id"] for it in split if it["split"] == "train"), key=_stable)[:n_train]
        test = sorted((it["id"] for it in split if it["split"] == "test"), key=_stable)[:n_test]
        for i in train:
            items.append(Item(f"{name}:{i}", name, "train", GRAYSCALE, partial(_open, folder / i)))
        for j, i in enumerate(train[: n_train // 2]):
            items.append(Item(f"{name}-colourised:{i}", "colourised-bmode", "train", DOPPLER_LIKE,
                              partial(_colourised, folder / i, seed + j)))
        for i in test:
            items.append(Item(f"{name}:{i}", name, "test", None, partial(_open, folder / i)))
        for j, i in enumerate(test[: n_test // 2]):
            items.append(Item(f"{name}-colourised:{i}", "colourised-bmode", "test", None,
                              partial(_colourised, folder / i, seed + 10_000 + j)))
    return items


def _by_file(files: list[Path], eval_share: float) -> tuple[list[Path], list[Path]]:
    """Splits source files, not crops: held-out sets share no source file with the training set."""
    files = sorted(files, key=lambda p: _stable(p.name))
    k = max(1, int(round(len(files) * eval_share)))
    return files[k:], files[:k]


def negative_items(crops_train: int, crops_test: int, seed: int) -> list[Item]:
    items: list[Item] = []
    photos = [p for d in PHOTO_DIRS for p in d.rglob("*") if p.suffix.lower() in (".jpg", ".png", ".webp")]
    photos.append(MATPLOTLIB_SAMPLES / "grace_hopper.jpg")
    skimage = sorted(SKIMAGE_DOC_IMAGES.glob("*.png")) + sorted(SKIMAGE_DOC_IMAGES.glob("*.jpg"))
    shots = [p for p in skimage if any(w in p.name.lower() for w in SCREENSHOT_WORDS)]
    figures = [p for p in skimage if p not in shots] + sorted(PYDICOM_DOC_IMAGES.glob("*.png"))
    sets = {"photos": photos, "screenshots": shots, "documents": figures}
    for name, files in sets.items():
        train, test = _by_file(files, 0.4)
        for split, chosen, n in (("train", train, crops_train), ("test", test, crops_test)):
            rng = np.random.default_rng(seed + _stable(name + split))
            for k in range(n):
                p = chosen[int(rng.integers(0, len(chosen)))]
                items += _cropped(name, split, "not-ultrasound" if split == "train" else None, f"{name}:{p.name}:{k}",
                                  partial(_open, p), 1, seed + k * 31 + _stable(p.name) % 1000)
    texts = sorted(TEXT_SOURCES.glob("*"))
    train_t, test_t = _by_file([t for t in texts if t.is_file()], 0.4)
    for split, chosen, n in (("train", train_t, crops_train // 3), ("test", test_t, crops_test // 3)):
        for k in range(n):
            p = chosen[k % len(chosen)]
            items += _cropped("documents", split, "not-ultrasound" if split == "train" else None, f"text:{p.name}:{k}",
                              partial(text_page, p, seed + k), 1, seed + 17 * k)
    dicom_train = [s for f in DICOM_TRAIN for s in dicom_slices(PYDICOM_TEST_FILES / f)]
    mr_gz = MATPLOTLIB_SAMPLES / "s1045.ima.gz"
    dicom_test = [s for f in DICOM_EVAL for s in dicom_slices(PYDICOM_TEST_FILES / f)] + dicom_slices(mr_gz)
    for split, slices, n in (("train", dicom_train, crops_train // 2), ("test", dicom_test, crops_test // 2)):
        for k in range(n):
            s = slices[k % len(slices)]
            label = "not-ultrasound" if split == "train" else None
            items += _cropped("ct-mr-dicom", split, label, f"dicom:{split}:{k}",
                              partial(_same, s), 1, seed + 101 * k + (0 if split == "train" else 50_000), 0.5)
    for split, n, offset in (("train", crops_train // 2, 0), ("test", crops_test // 2, 1_000_000)):
        for k in range(n):
            kind = SYNTHETIC_KINDS[k % len(SYNTHETIC_KINDS)]
            items.append(Item(f"synthetic:{kind}:{offset + k}", "noise-blank", split,
                              "not-ultrasound" if split == "train" else None,
                              partial(synthetic, kind, seed + offset + k)))
    return items


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))
