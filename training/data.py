"""Image data sets: folder layout, CSV form, and the public pre-training sets (BUSI, DDTI).

Every source is reduced to a list of `Sample`s (path, label, group). Images are then decoded and
resized ONCE with Pillow BILINEAR (the exact resize the app reproduces in the browser) and kept
in memory as a uint8 tensor, so training epochs never pay PNG decoding again.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .cli_common import UserError
from .grouping import patient_from_name
from .images import IMAGE_SUFFIXES, open_rgb

# Folder names of the CV4LymphNode layout (2d, cdfi, elastic) and the pack modality each one feeds
# come from the modality registry; re-exported for the modules that read data sets.
from .modalities import FOLDER_TO_MODALITY, MODALITY_IDS, MODALITY_TO_FOLDER, modality_for_folder  # noqa: F401


class DataError(UserError):
    """A problem with the user's data (not a bug): reported as a message, never a traceback."""


@dataclass(frozen=True)
class Sample:
    path: str
    label: int
    # Patient id when the source gives one (CSV column, confirmed file-name pattern, DDTI case);
    # samples sharing it never straddle splits, and the bootstrap resamples it as one unit.
    group: str | None = None
    # The node seen in several modalities (same file stem in 2d/, cdfi/, elastic/): fusion joins on it.
    case: str | None = None

    @property
    def case_id(self) -> str:
        return self.case or self.group or Path(self.path).stem


def read_classes_file(path: str | Path) -> list[str]:
    """One class name per line, in logit order (blank lines ignored)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as e:
        raise DataError(f"{path}: cannot read the class list ({e.strerror})") from None
    classes = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if len(set(classes)) != len(classes):
        raise DataError(f"{path}: a class is listed twice ({classes})")
    return classes


def modality_folders(root: str | Path) -> dict[str, Path]:
    """Modality → its folder under root, by the app's folder rule (`2d` or `bmode`, any case)."""
    out: dict[str, Path] = {}
    if Path(root).is_dir():
        for d in sorted(Path(root).iterdir(), key=lambda p: p.name):
            m = modality_for_folder(d.name) if d.is_dir() else None
            if m is not None and m not in out:
                out[m] = d
    return out


def load_folder_modality(
    root: str | Path, folder: str, patient_pattern: re.Pattern[str] | None = None
) -> list[Sample]:
    """`<root>/<folder>/<class-index>/<case>.<ext>`; the file stem is the case id.

    The case id ties the same node seen in several modalities (same file name in 2d/, cdfi/,
    elastic/) together for fusion. The patient id (the split's group) is read from the file name by
    `patient_pattern` when given (e.g. `{patient}-*` for `171-3.jpg`), else it is the case id.
    `training/validate.py` checks the folder first and names every problem; this reader assumes it passed.
    """
    base = Path(root) / folder
    if not base.is_dir():
        raise DataError(f"{base} does not exist (expected <root>/<modality>/<class-index>/<image>)")
    samples: list[Sample] = []
    for class_dir in sorted(base.iterdir(), key=lambda p: p.name):
        if not class_dir.is_dir() or not class_dir.name.isdigit():
            continue
        for f in sorted(class_dir.iterdir()):
            if f.suffix.lower() in IMAGE_SUFFIXES and not f.name.startswith("."):
                group = f.stem
                if patient_pattern is not None:
                    pid = patient_from_name(patient_pattern, f.name)
                    if pid is None:
                        raise DataError(f"{f}: the file-name pattern reads no patient id from this name")
                    group = pid
                samples.append(Sample(str(f), int(class_dir.name), group, f.stem))
    if not samples:
        raise DataError(f"no images under {base}/<class-index>/")
    return samples


def load_csv(path: str | Path, classes: list[str] | None = None) -> list[Sample]:
    """CSV with columns path, label[, group]. `label` is a class index or a class name from
    `classes`; relative paths are resolved against the CSV's folder."""
    return [s for ss in load_csv_modalities(path, classes, "").values() for s in ss]


def load_csv_modalities(
    path: str | Path, classes: list[str] | None, default_modality: str | None
) -> dict[str, list[Sample]]:
    """CSV with columns path, label[, group][, modality][, case], as modality → samples.

    `group` is the patient id: it ties a patient's images together in every modality (so one
    patient never straddles two splits). `modality` (an app id or a data set folder name such as
    2d) lets one CSV list every modality; without it all rows are `default_modality`. `case` joins
    one node's images across modalities for fusion (default: the file stem)."""
    base = Path(path).parent
    out: dict[str, list[Sample]] = {}
    try:
        fh = open(path, newline="", encoding="utf-8-sig")
    except OSError as e:
        raise DataError(f"{path}: cannot read the CSV ({e.strerror})") from None
    with fh:
        reader = csv.DictReader(fh)
        missing = {"path", "label"} - set(reader.fieldnames or [])
        if missing:
            raise DataError(f"{path}: the CSV needs columns path,label[,group][,modality] (missing {sorted(missing)})")
        for i, row in enumerate(reader):
            raw = (row["label"] or "").strip()
            if raw.isdigit():
                label = int(raw)
            elif classes is not None and raw in classes:
                label = classes.index(raw)
            else:
                raise DataError(f"{path} row {i + 2}: label {raw!r} is neither an index nor in {classes}")
            if classes is not None and label >= len(classes):
                raise DataError(f"{path} row {i + 2}: label {label} but only {len(classes)} classes ({classes})")
            mod_raw = (row.get("modality") or "").strip()
            modality = modality_for_folder(mod_raw) if mod_raw else default_modality
            if modality is None and not mod_raw:
                raise DataError(f"{path} row {i + 2}: rows without a modality: add a modality column or give "
                                "--modality")
            if modality is None:
                raise DataError(f"{path} row {i + 2}: modality {mod_raw!r} is none of {', '.join(MODALITY_IDS)} "
                                f"(or their folder names)")
            p = Path((row["path"] or "").strip())
            group = (row.get("group") or "").strip() or None
            case = (row.get("case") or "").strip() or p.stem
            out.setdefault(modality, []).append(Sample(str(p if p.is_absolute() else base / p), label, group, case))
    return out


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
            stem = Path(r["image"]).stem
            out.append(Sample(str(root / r["image"]), label, "ddti-" + stem.split("_")[0], stem))
    return out


def load_image_rgb(path: str, size: int) -> np.ndarray:
    """Decode (16-bit and palette images handled, see images.py) and resize to size×size RGB with
    Pillow BILINEAR: the resize the app reproduces."""
    im = open_rgb(path)
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
