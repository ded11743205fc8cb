"""`validate-data`: checks a training folder (or CSV) up front and names every problem with its file.

Run on its own, and at the start of every training command, so a bad folder is refused in seconds
instead of training for an hour and then dying in a metric or an image decoder. Problems refuse
the data; warnings are printed and training goes on; notes say how unusual images were handled.

Folder layout (the seed study's): `<root>/<modality folder>/<class index>/<image>`, modality
folders named as the app names them (registry data set folders such as `2d`, `cdfi`, `elastic`, or
the app's ids `bmode`, `cdfi`, `elastography`, any case), class folders `0` … `k-1` in the order of
`classes.txt`. Images: PNG, JPEG, BMP, WebP (the raster formats the app opens).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .cli_common import UserError
from .data import Sample, load_csv_modalities
from .grouping import format_group_report, group_size_report, patient_from_name
from .images import IMAGE_SUFFIXES, ImageReadError, image_mode, open_rgb
from .modalities import MODALITY_IDS, MODALITY_TO_FOLDER, modality_for_folder

SYSTEM_NAMES = {".ds_store", "thumbs.db", "desktop.ini", "__macosx"}
# Fewer patients than this in a class cannot give that class to train, validation and test alike.
MIN_PATIENTS_PER_CLASS = 3
# A test split below this many images gives AUC confidence intervals too wide to mean much.
SMALL_TEST = 30
TEST_FRACTION = 0.15


class ValidationFailed(UserError):
    pass


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    patients: dict | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        out = list(self.summary)
        for title, items in (("problems (the data are refused)", self.problems), ("warnings", self.warnings),
                             ("notes", self.notes)):
            if items:
                out.append(f"{len(items)} {title}:")
                out += [f"  - {x}" for x in items]
        out.append("data OK" if self.ok else f"data refused: {len(self.problems)} problem(s), fix them and re-run")
        return "\n".join(out)

    def raise_if_failed(self) -> None:
        if not self.ok:
            raise ValidationFailed(self.text())


def _hidden(p: Path) -> bool:
    return p.name.startswith(".") or p.name.lower() in SYSTEM_NAMES


def _check_images(report: Report, samples: dict[str, list[Sample]]) -> None:
    """Decodes every image fully; names corrupt ones; notes 16-bit and palette images."""
    wide, palette = [], []
    for ss in samples.values():
        for s in ss:
            try:
                mode = image_mode(s.path)
                open_rgb(s.path)
            except ImageReadError as e:
                report.problems.append(str(e))
                continue
            except OSError as e:  # image_mode on an unreadable/unknown file
                report.problems.append(f"{s.path}: cannot decode image ({e})")
                continue
            if mode.startswith("I") or mode == "F":
                wide.append(s.path)
            elif mode in ("P", "PA"):
                palette.append(s.path)
    if wide:
        report.notes.append(f"{len(wide)} image(s) with more than 8 bits per sample (e.g. {wide[0]}): scaled to "
                            "8 bits over their full range (v/257), as a browser shows them")
    if palette:
        report.notes.append(f"{len(palette)} palette image(s) (e.g. {palette[0]}): expanded to RGB through "
                            "their palette")


def _check_labels(report: Report, samples: dict[str, list[Sample]], classes: list[str]) -> None:
    """One case (file stem across modalities) and one patient each have one class; every class is
    present in every modality with enough patients to be split three ways."""
    by_case: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    by_patient: dict[str, set[int]] = defaultdict(set)
    for ss in samples.values():
        for s in ss:
            by_case[s.case_id][s.label].append(s.path)
            if s.group is not None:
                by_patient[s.group].add(s.label)
    for case, labs in sorted(by_case.items()):
        if len(labs) > 1:
            where = "; ".join(f"class {k} ({classes[k] if k < len(classes) else '?'}): {', '.join(v)}"
                              for k, v in sorted(labs.items()))
            report.problems.append(f"case {case!r} has different classes in different folders ({where}); "
                                   "one node has one diagnosis: fix the label or rename the file")
    for patient, plabs in sorted(by_patient.items()):
        if len(plabs) > 1 and patient not in by_case:
            report.problems.append(f"patient {patient!r} has images of classes {sorted(plabs)}; a patient's images "
                                   "must share one class (check the pattern or the group column)")
    for m, ss in samples.items():
        per_class: dict[int, set[str]] = defaultdict(set)
        for s in ss:
            per_class[s.label].add(s.group or s.case_id)
        for k, name in enumerate(classes):
            n = len(per_class.get(k, set()))
            if n == 0:
                continue  # reported by the layout check (folder) or here for a CSV, below
            if n < MIN_PATIENTS_PER_CLASS:
                report.problems.append(f"{m}: class {k} ({name}) has {n} patient(s); at least "
                                       f"{MIN_PATIENTS_PER_CLASS} are needed so train, validation and test each "
                                       "get one")
        expected_test = round(TEST_FRACTION * len(ss))
        if expected_test < SMALL_TEST:
            report.warnings.append(f"{m}: {len(ss)} images give a test split of about {expected_test} images "
                                   f"(< {SMALL_TEST}): its AUCs will have wide confidence intervals; the model card "
                                   "says so")


def validate_folder(root: str | Path, classes: list[str], patient_pattern: re.Pattern[str] | None = None,
                    modalities: list[str] | None = None) -> Report:
    root = Path(root)
    report = Report()
    if not root.is_dir():
        report.problems.append(f"{root}: no such folder")
        return report
    k = len(classes)
    if k < 2:
        report.problems.append(f"{root}: need at least 2 classes, got {classes} (classes.txt or --classes)")
    accepted = ", ".join(f"{MODALITY_TO_FOLDER[m]} or {m}" if MODALITY_TO_FOLDER[m] != m else m
                         for m in MODALITY_IDS)
    seen: dict[str, Path] = {}
    for d in sorted(root.iterdir(), key=lambda p: p.name):
        if _hidden(d):
            continue
        if not d.is_dir():
            if d.suffix.lower() in IMAGE_SUFFIXES:
                report.problems.append(f"{d}: image outside every modality folder (expected {root}/<modality>/"
                                       "<class index>/<image>)")
            continue
        m = modality_for_folder(d.name)
        if m is None:
            has_images = any(f.suffix.lower() in IMAGE_SUFFIXES for f in d.rglob("*"))
            if has_images:
                report.problems.append(f"{d}: {d.name!r} is not a modality folder; use one of {accepted}")
            continue
        if m in seen:
            report.problems.append(f"{d}: a second folder for {m} (also {seen[m]}); keep one")
            continue
        seen[m] = d
    if not seen and not report.problems:
        report.problems.append(f"{root}: no modality folder; expected one or more of {accepted}, each holding "
                               "class folders 0, 1, 2, …")
    wanted = modalities or list(seen)
    for m in wanted:
        if m not in seen:
            report.problems.append(f"{root}: no folder for {m} (expected {MODALITY_TO_FOLDER[m]}/ or {m}/)")
    samples: dict[str, list[Sample]] = {}
    unmatched: list[str] = []
    for m in wanted:
        if m not in seen:
            continue
        base = seen[m]
        ss: list[Sample] = []
        for entry in sorted(base.iterdir(), key=lambda p: p.name):
            if _hidden(entry):
                continue
            if not entry.is_dir():
                if entry.suffix.lower() in IMAGE_SUFFIXES:
                    report.problems.append(f"{entry}: image directly in the modality folder; put it in its class "
                                           "folder (0, 1, …)")
                continue
            if not entry.name.isdigit():
                report.problems.append(f"{entry}: class folders are named by class index 0..{k - 1} in the order of "
                                       f"classes.txt ({', '.join(f'{i}={c}' for i, c in enumerate(classes))}); "
                                       f"rename {entry.name!r}")
                continue
            label = int(entry.name)
            if label >= k:
                report.problems.append(f"{entry}: class folder {entry.name} but only {k} classes are named "
                                       f"({', '.join(classes)}): a class is missing from classes.txt/--classes, "
                                       "or the folders should start at 0")
                continue
            for f in sorted(entry.rglob("*")):
                if f.is_dir() or _hidden(f) or any(_hidden(p) for p in f.relative_to(entry).parents):
                    continue
                if f.suffix.lower() not in IMAGE_SUFFIXES:
                    report.warnings.append(f"{f}: not an image the app reads ({', '.join(IMAGE_SUFFIXES)}); ignored")
                    continue
                if f.parent != entry:
                    report.problems.append(f"{f}: image in a sub-folder of the class folder; move it up to {entry}")
                    continue
                if f.stat().st_size == 0:
                    report.problems.append(f"{f}: empty file")
                    continue
                group = f.stem
                if patient_pattern is not None:
                    pid = patient_from_name(patient_pattern, f.name)
                    if pid is None:
                        unmatched.append(str(f))
                        continue
                    group = pid
                ss.append(Sample(str(f), label, group, f.stem))
        present = Counter(s.label for s in ss)
        for i, c in enumerate(classes):
            if present[i] == 0:
                folder = base / str(i)
                what = "is empty" if folder.is_dir() else "does not exist"
                report.problems.append(f"{folder}: class {i} ({c}) {what}; every class needs images in every "
                                       "modality used")
        stems = Counter(s.case_id for s in ss)
        for stem, n in sorted(stems.items()):
            if n > 1:
                files = [s.path for s in ss if s.case_id == stem]
                report.problems.append(f"{m}: file name {stem!r} appears {n} times ({', '.join(files)}); a case "
                                       "id must be unique within a modality")
        samples[m] = ss
        report.summary.append(f"{m} ({base.name}/): {len(ss)} images, per class " +
                              ", ".join(f"{c} {present[i]}" for i, c in enumerate(classes)))
    if unmatched:
        report.problems.append(f"the file-name pattern reads no patient id from {len(unmatched)} file(s), e.g. "
                               + ", ".join(unmatched[:5]))
    _finish(report, samples, classes, patient_pattern is not None)
    return report


def validate_csv(path: str | Path, classes: list[str], default_modality: str | None) -> Report:
    report = Report()
    try:
        samples = load_csv_modalities(path, classes, default_modality)
    except UserError as e:
        report.problems.append(str(e))
        return report
    if "" in samples or None in samples:
        report.problems.append(f"{path}: rows without a modality: add a modality column or give --modality")
        return report
    for m, ss in samples.items():
        present = Counter(s.label for s in ss)
        for i, c in enumerate(classes):
            if present[i] == 0:
                report.problems.append(f"{path}: no {m} row has class {i} ({c})")
        for s in ss:
            if not Path(s.path).is_file():
                report.problems.append(f"{s.path}: listed in {path} but not found")
        report.summary.append(f"{m}: {len(ss)} images, per class " +
                              ", ".join(f"{c} {present[i]}" for i, c in enumerate(classes)))
    samples = {m: [s for s in ss if Path(s.path).is_file()] for m, ss in samples.items()}
    _finish(report, samples, classes, any(s.group for ss in samples.values() for s in ss))
    return report


def _finish(report: Report, samples: dict[str, list[Sample]], classes: list[str], has_patients: bool) -> None:
    _check_images(report, samples)
    _check_labels(report, samples, classes)
    report.samples = samples
    patients = [s.group or s.case_id for ss in samples.values() for s in ss]
    if patients:
        report.patients = group_size_report(patients)
        source = "patient ids" if has_patients else "no patient ids: each case (file stem) counts as one patient"
        report.summary.append(f"grouping ({source}): {format_group_report(report.patients)}")
        if not has_patients:
            report.warnings.append("no patient grouping given: if a patient has several images (e.g. 171-1.jpg, "
                                   "171-2.jpg), give --patient-pattern '{patient}-*' or a CSV group column, or "
                                   "their images may land in both train and test")
