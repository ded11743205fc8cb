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
- more simulated nodes from the same generator at other seeds (the app's demo cases come from it):
  gate training and out-of-distribution statistics over the generator's whole parameter range;
- not ultrasound, from Debian packages: photographs (mate-backgrounds, gnome-backgrounds,
  matplotlib's sample photo), wallpapers (photographs and artwork: plasma-workspace-wallpapers,
  lomiri-wallpapers-20.04, ukui-wallpapers, sway-backgrounds), documents and figures and GUI
  screenshots (python-skimage-doc, python-pydicom-doc), text pages rendered here, CT/MR/NM DICOM
  test files (python3-pydicom) and matplotlib's MR slice;
- hard negatives made of the photographs and wallpapers: converted to grayscale, and/or cut to an
  ultrasound-like sector on black (training files only; held-out files give held-out sets);
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
# plasma-workspace-wallpapers: one folder per wallpaper, the same picture at several sizes.
PLASMA_WALLPAPERS = Path("/usr/share/wallpapers")
# lomiri-wallpapers-20.04 and ukui-wallpapers install their files here; sway-backgrounds in sway/.
BACKGROUNDS = Path("/usr/share/backgrounds")
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
# Photographs added against the photo crops that still passed the colour slots (bright, saturated,
# textured pictures): Debian packages not used before, read from dpkg's file lists so the older sets
# ("wallpapers", "photos-gray", "photos-sector") keep exactly their files and splits. Source
# "colour-photos" (plain crops) and "colour-photos-hard" (grayscale and/or sector), split by file.
NEW_PHOTO_PACKAGES = ("lomiri-wallpapers-16.04", "lomiri-wallpapers")
DPKG_INFO = Path("/var/lib/dpkg/info")
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


def demo_items(root: Path, tag: str = "demo") -> list[Item]:
    """Cases of the app's demonstration generator at seeds the gate never saw (evaluation only);
    source `<tag>-<modality>`."""
    prefix = "demo" if tag == "demo" else f"demo-{tag}"
    return [Item(f"{prefix}:{folder}/{p.name}", f"{tag}-{mod}", "test", None, partial(_open, p))
            for mod, folder in PHANTOM_FOLDERS.items() for p in sorted((root / folder).glob("*/*.png"))]


# Where the imaged field lies on the simulated screen (src/phantoms/layout.ts): the depth gain
# grows over the field's height.
FIELD_TOP, FIELD_HEIGHT = 72, 360


def lower_gain(img: np.ndarray, row: dict[str, str], rng: np.random.Generator, folder: str) -> np.ndarray:
    """The generator's crop (`row`: its labels.csv row) as the generator renders it at the low end of
    its gain range: overall gain (`gainDb`) and depth gain (`tgcResidualDb`) redrawn near their
    minimum (src/phantoms/params.ts: −5 dB each). After log compression a gain change of Δ dB
    shifts every gray level by Δ·255/dynamic range, the depth gain in proportion to depth, and
    clipping at black is kept. Coloured (Doppler, strain) pixels are left: their colour scale does
    not follow the B-mode gain. Why: the darkest corner of the range (both gains and the dynamic
    range at their low ends at once, about 1 case in 100) is too rare in an affordable sample for
    the gate and the statistics to learn, and such an almost black node was called not ultrasound."""
    h = img.shape[0]
    dr = float(row["dynamicRangeDb"])
    d_gain = max(0.0, float(row["gainDb"]) - rng.uniform(-5, -3.5))
    d_tgc = max(0.0, float(row["tgcResidualDb"]) - rng.uniform(-5, -3))
    y0 = int(row[f"roi_{folder}_y"]) - FIELD_TOP
    depth = np.clip((y0 + np.arange(h)) / FIELD_HEIGHT, 0, 1)[:, None]
    shift = (d_gain + d_tgc * depth) * 255 / dr
    x = img.astype(np.int32)
    gray = (x.max(axis=2) - x.min(axis=2)) <= 40
    shifted = np.clip(np.rint(x - shift[..., None]), 0, 255)
    return np.where(gray[..., None], shifted, x).astype(np.uint8)


def _lower_gain_of(path: Path, row: dict[str, str], seed: int, folder: str) -> np.ndarray:
    return lower_gain(_open(path), row, np.random.default_rng(seed), folder)


def generator_items(root: Path, per_modality: int, skip: int = 0, split: str = "train",
                    low_gain: bool = False) -> list[Item]:
    """Simulated crops of the pack's generator at seeds apart from the pack's own (`npm run phantoms`
    at another --seed), classes balanced: gate training (label: the modality) and out-of-distribution
    statistics. The pack's 200 training crops per modality missed the generator's corners (a
    very low-gain, almost black node was called not ultrasound); these cover its parameter range.
    `skip` cases per modality are passed over: another split of the same run (`split` = "val":
    calibration, no gate label). `low_gain`: the same cases at a lower gain (`lower_gain`)."""
    items: list[Item] = []
    for mod, folder in PHANTOM_FOLDERS.items():
        by_class = [sorted((root / folder / c.name).glob("*.png"), key=lambda p: _stable(p.name))
                    for c in sorted((root / folder).iterdir()) if c.is_dir()]
        # Round robin over the classes: case j of every class before case j + 1 of any.
        chosen = [ps[j] for j in range(max(map(len, by_class), default=0)) for ps in by_class if j < len(ps)]
        chosen = chosen[skip : skip + per_modality]
        if low_gain:
            rows = {r["case_id"]: r for r in read_csv_rows(root / "labels.csv")}
            items += [Item(f"generator-low-gain:{folder}/{p.parent.name}/{p.name}", f"generator-{mod}", split,
                           mod if split == "train" else None,
                           partial(_lower_gain_of, p, rows[p.stem], _stable(p.name), folder)) for p in chosen]
        else:
            items += [Item(f"generator:{folder}/{p.parent.name}/{p.name}", f"generator-{mod}", split,
                           mod if split == "train" else None, partial(_open, p)) for p in chosen]
    return items


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


def sector(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`img` cut to a convex-probe sector on black, as an ultrasound frame is: a hard negative (the
    black surround and the fan shape must not make a photograph pass as ultrasound)."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    ay, ax = -rng.uniform(0.0, 0.4) * h, rng.uniform(0.4, 0.6) * w
    half = np.deg2rad(rng.uniform(25, 45))
    r = np.hypot(yy - ay, xx - ax)
    angle = np.arctan2(xx - ax, yy - ay)
    r0 = -ay + rng.uniform(0.0, 0.1) * h
    keep = (np.abs(angle) <= half) & (r >= r0) & (r <= r0 + rng.uniform(0.8, 1.1) * h)
    return np.where(keep[..., None], img, 0).astype(np.uint8)


def grayscale(img: np.ndarray) -> np.ndarray:
    lum = np.rint(img.astype(np.float64) @ np.array([0.299, 0.587, 0.114])).clip(0, 255).astype(np.uint8)
    return np.repeat(lum[..., None], 3, axis=2)


HARD_KINDS = ("gray", "sector", "gray-sector")


def _hard_crop(fetch: Callable[[], np.ndarray], seed: int, kind: str) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = random_crop(fetch(), rng)
    if "sector" in kind:
        out = sector(out, rng)
    return grayscale(out) if "gray" in kind else out


def _label(p: Path) -> str:
    """A file's name unique among the wallpapers (plasma's files are named by their size)."""
    return str(p.relative_to("/usr/share")) if p.is_relative_to("/usr/share") else str(p)


def package_images(packages: tuple[str, ...] = NEW_PHOTO_PACKAGES, links: bool = False) -> list[Path]:
    """The JPEG/PNG files the installed `packages` ship (dpkg's file lists; none if not installed);
    symbolic links (the same picture under another name) only with `links`."""
    files: set[Path] = set()
    for pkg in packages:
        listing = DPKG_INFO / f"{pkg}.list"
        if listing.exists():
            files |= {p for p in map(Path, listing.read_text().splitlines())
                      if p.suffix.lower() in (".jpg", ".png") and p.is_file() and (links or not p.is_symlink())}
    return sorted(files)


def wallpaper_files() -> list[Path]:
    """One file per wallpaper (the size nearest 1920 wide: the same picture at every size); the
    packages of NEW_PHOTO_PACKAGES are left to their own sets."""
    def width(p: Path) -> int:
        head = p.stem.split("x")[0]
        return int(head) if head.isdigit() else 0

    files = []
    for d in sorted(PLASMA_WALLPAPERS.iterdir()) if PLASMA_WALLPAPERS.is_dir() else []:
        sizes = [p for p in d.rglob("*") if p.suffix.lower() in (".jpg", ".png") and width(p) > 0]
        if sizes:
            files.append(min(sizes, key=lambda p: abs(width(p) - 1920)))
    newer = set(package_images(links=True))
    files += [p for p in sorted(BACKGROUNDS.glob("*")) if p.suffix.lower() in (".jpg", ".png") and p not in newer]
    sway = sorted((BACKGROUNDS / "sway").glob("*1920x1080.png"))
    return files + sway[:1]


def _by_file(files: list[Path], eval_share: float, name: Callable[[Path], str] = lambda p: p.name,
             ) -> tuple[list[Path], list[Path]]:
    """Splits source files, not crops: held-out sets share no source file with the training set."""
    files = sorted(files, key=lambda p: _stable(name(p)))
    k = max(1, int(round(len(files) * eval_share)))
    return files[k:], files[:k]


def negative_items(crops_train: int, crops_test: int, seed: int) -> list[Item]:
    items: list[Item] = []
    photos = [p for d in PHOTO_DIRS for p in d.rglob("*") if p.suffix.lower() in (".jpg", ".png", ".webp")]
    photos.append(MATPLOTLIB_SAMPLES / "grace_hopper.jpg")
    photos = sorted(photos)
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
    # Wallpapers (photographs and artwork), their own split by file; and hard negatives: photographs
    # and wallpapers in grayscale and/or cut to a sector, made of training files, held out of held-out files.
    walls = wallpaper_files()
    w_train, w_test = _by_file(walls, 0.4, _label)
    p_train, p_test = _by_file(photos, 0.4)
    for split, chosen, n in (("train", w_train, crops_train), ("test", w_test, crops_test)):
        rng = np.random.default_rng(seed + _stable("wallpapers" + split))
        for k in range(n):
            p = chosen[int(rng.integers(0, len(chosen)))]
            items += _cropped("wallpapers", split, "not-ultrasound" if split == "train" else None,
                              f"wallpapers:{_label(p)}:{k}", partial(_open, p), 1,
                              seed + k * 37 + _stable(_label(p)) % 1000)
    for split, chosen, n in (("train", p_train + w_train, 2 * crops_train), ("test", p_test + w_test, 2 * crops_test)):
        rng = np.random.default_rng(seed + _stable("hard" + split))
        for k in range(n):
            p = chosen[int(rng.integers(0, len(chosen)))]
            kind = HARD_KINDS[k % len(HARD_KINDS)]
            source = "photos-gray" if kind == "gray" else "photos-sector"
            items.append(Item(f"hard:{kind}:{split}:{_label(p)}:{k}", source, split,
                              "not-ultrasound" if split == "train" else None,
                              partial(_hard_crop, partial(_open, p), seed + 41 * k + _stable(_label(p)) % 1000, kind)))
    c_train, c_test = _by_file(package_images(), 0.4, _label)
    for split, chosen, n in (("train", c_train, crops_train), ("test", c_test, crops_test)):
        rng = np.random.default_rng(seed + _stable("colour-photos" + split))
        label = "not-ultrasound" if split == "train" else None
        for k in range(n if chosen else 0):
            p = chosen[int(rng.integers(0, len(chosen)))]
            items += _cropped("colour-photos", split, label, f"colour-photos:{_label(p)}:{k}", partial(_open, p), 1,
                              seed + k * 43 + _stable(_label(p)) % 1000)
            kind = HARD_KINDS[k % len(HARD_KINDS)]
            items.append(Item(f"colour-photos-hard:{kind}:{split}:{_label(p)}:{k}", "colour-photos-hard", split, label,
                              partial(_hard_crop, partial(_open, p), seed + 47 * k + _stable(_label(p)) % 1000, kind)))
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
