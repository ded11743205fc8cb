"""Image data sets: folder layout, CSV form, and the public pre-training sets (BUSI, DDTI).

Every source is reduced to a list of `Sample`s (path, label, group). Images are then decoded and
resized ONCE with Pillow BILINEAR (the exact resize the app reproduces in the browser) and kept
in memory as a uint8 tensor, so training epochs never pay PNG decoding again.
"""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

# Folder names of the CV4LymphNode layout (2d, cdfi, elastic) and the pack modality each one feeds
# come from the modality registry; re-exported for the modules that read data sets.
from .modalities import FOLDER_TO_MODALITY, MODALITY_TO_FOLDER  # noqa: F401

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")


@dataclass(frozen=True)
class Sample:
    path: str
    label: int
    # Patient/case id when the source gives one; samples sharing it never straddle splits.
    group: str | None = None


def read_classes_file(path: str | Path) -> list[str]:
    """One class name per line, in logit order (blank lines ignored)."""
    return [ln.strip() for ln in Path(path).read_text().splitlines() if ln.strip()]


def load_folder_modality(root: str | Path, folder: str) -> list[Sample]:
    """`<root>/<folder>/<class-index>/<case>.<ext>`; the file stem is the case id.

    Using the stem as group means the same node seen in several modalities (same file name in
    2d/, cdfi/, elastic/) lands in the same split in every modality, which fusion needs.
    """
    base = Path(root) / folder
    if not base.is_dir():
        raise FileNotFoundError(f"{base} does not exist (expected <root>/<modality>/<class-index>/*.png)")
    samples: list[Sample] = []
    for class_dir in sorted(base.iterdir(), key=lambda p: p.name):
        if not class_dir.is_dir() or not class_dir.name.isdigit():
            continue
        for f in sorted(class_dir.iterdir()):
            if f.suffix.lower() in IMAGE_SUFFIXES:
                samples.append(Sample(str(f), int(class_dir.name), f.stem))
    if not samples:
        raise ValueError(f"no images under {base}/<class-index>/")
    return samples


def load_csv(path: str | Path, classes: list[str] | None = None) -> list[Sample]:
    """CSV with columns path, label[, group]. `label` is a class index or a class name from
    `classes`; relative paths are resolved against the CSV's folder."""
    base = Path(path).parent
    samples: list[Sample] = []
    with open(path, newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            raw = row["label"].strip()
            if raw.isdigit():
                label = int(raw)
            elif classes is not None and raw in classes:
                label = classes.index(raw)
            else:
                raise ValueError(f"{path} row {i + 2}: label {raw!r} is neither an index nor in {classes}")
            p = Path(row["path"].strip())
            group = (row.get("group") or "").strip() or None
            samples.append(Sample(str(p if p.is_absolute() else base / p), label, group))
    return samples


BUSI_CLASSES = ["benign", "malignant", "normal"]
DDTI_CLASSES = ["tirads-le-3", "tirads-ge-4"]


def load_busi(root: str | Path) -> list[Sample]:
    """BUSI, 3 classes. No patient ids exist; near-duplicate hashing does the grouping."""
    root = Path(root)
    with open(root / "labels.csv", newline="") as fh:
        return [Sample(str(root / r["file"]), BUSI_CLASSES.index(r["class"])) for r in csv.DictReader(fh)]


def load_ddti(root: str | Path) -> list[Sample]:
    """DDTI crops, TI-RADS ≥ 4 (4a/4b/4c/5) vs ≤ 3 (2/3); rows without TI-RADS are left out.

    File names are `<case>_<n>.png`: crops of one case share the group `<case>`.
    """
    root = Path(root)
    out: list[Sample] = []
    with open(root / "labels.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            t = r["tirads"].strip()
            if t in ("", "None"):
                continue
            label = 1 if t[0] in "45" else 0
            out.append(Sample(str(root / r["image"]), label, "ddti-" + Path(r["image"]).stem.split("_")[0]))
    return out


def load_image_rgb(path: str, size: int) -> np.ndarray:
    """Decode and resize to size×size RGB with Pillow BILINEAR: the resize the app reproduces."""
    with Image.open(path) as im:
        im = im.convert("RGB")
        if im.size != (size, size):
            im = im.resize((size, size), Image.BILINEAR)
        return np.asarray(im, dtype=np.uint8)


def _cache_key(samples: list[Sample], size: int) -> str:
    h = hashlib.sha256(str(size).encode())
    for s in samples:
        st = os.stat(s.path)
        h.update(f"{s.path}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:20]


def preload(samples: list[Sample], size: int, cache_dir: str | Path | None = None) -> torch.Tensor:
    """All images as one uint8 tensor [N, 3, size, size], cached on disk by content key."""
    cache_file = None
    if cache_dir is not None:
        cache_file = Path(cache_dir) / f"images-{_cache_key(samples, size)}.pt"
        if cache_file.exists():
            return torch.load(cache_file)
    arr = np.stack([load_image_rgb(s.path, size) for s in samples])
    images = torch.from_numpy(arr).permute(0, 3, 1, 2).contiguous()
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")  # several DDP ranks may write at once
        torch.save(images, tmp)
        os.replace(tmp, cache_file)
    return images


def labels_tensor(samples: list[Sample]) -> torch.Tensor:
    return torch.tensor([s.label for s in samples], dtype=torch.long)
