"""Stage 2: one ResNet per modality fine-tuned on lymph node data, temperature-calibrated and
evaluated on a held-out test split shared by all modalities (so fusion can be evaluated per case).

Variants: `pretrained` starts from the stage-1 backbone (stem + layer1 frozen); `scratch` is the
ablation — same split, same epochs, random initialisation, all layers trained.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .calibration import calibrate
from .data import MODALITY_TO_FOLDER, DataError, Sample, labels_tensor, load_folder_modality, modality_folders, preload
from .dedup import NearDuplicateRule, near_duplicate_groups
from .grouping import format_group_report, group_size_report
from .distributed import Runtime
from .fusion import MEAN, describe, fuse
from .metrics import classification_report, softmax
from .model import build_resnet, freeze_stem, load_backbone, set_train_mode
from .splits import SPLITS, grouped_stratified_split, indices, missing_classes, read_split_json, write_split_json
from .train import TrainConfig, predict, train

DEFAULT_IMAGE_SIZE = 224


def available_modalities(root: str | Path) -> list[str]:
    """Pack modalities whose data set folder (2d or bmode, cdfi, elastic or elastography) exists."""
    return list(modality_folders(root))


def item_id(modality: str, s: Sample, root: Path) -> str:
    """Stable id of an image in split files: its path relative to the data root when possible."""
    p = Path(s.path)
    rel = p.relative_to(root).as_posix() if p.is_relative_to(root) else p.as_posix()
    folder = rel.split("/", 1)[0]
    return rel if "/" in rel and folder in (MODALITY_TO_FOLDER[modality], modality) else f"{modality}:{rel}"


def make_split(
    root: Path, samples: dict[str, list[Sample]], seed: int, rule: NearDuplicateRule | int, out_json: Path,
    reuse: Path | None, grouping: str = "case id (file stem, shared across modalities)", log=print,
) -> dict[str, str]:
    """Item id → split. One split over all modalities: patient ids (or, without them, case ids =
    file stems) tie a patient's images together across modalities; near-duplicates (two hashes, see
    dedup.py) tie look-alike images together."""
    if isinstance(rule, int):
        rule = NearDuplicateRule(phash=rule)
    flat = [(m, s) for m, ss in samples.items() for s in ss]
    ids = [item_id(m, s, root) for m, s in flat]
    if reuse is not None and reuse.exists():
        known = read_split_json(reuse)
        missing = [i for i in ids if i not in known]
        if missing:
            raise ValueError(f"split {reuse} lacks {len(missing)} items, e.g. {missing[0]}")
        return known
    patients = [s.group or s.case_id for _, s in flat]
    report = group_size_report(patients)
    log(f"[split] patients: {format_group_report(report)}")
    dup_info: dict = {}
    groups = near_duplicate_groups([s.path for _, s in flat], rule, patients, dup_info)
    log(f"[split] near-duplicates: {dup_info.get('pairs', 0)} pairs joined (thresholds used: "
        f"pHash {dup_info.get('phash', {}).get('used')}, dHash {dup_info.get('dhash', {}).get('used')}); "
        f"{len(set(groups))} groups")
    labels = [s.label for _, s in flat]
    assignment = grouped_stratified_split(labels, groups, seed=seed)
    for m in samples:
        pos = [i for i, (mm, _) in enumerate(flat) if mm == m]
        lacking = missing_classes([labels[i] for i in pos], [assignment[i] for i in pos],
                                  max(labels) + 1 if labels else 0)
        if lacking:
            # Before any training: a split without a class cannot be evaluated (this used to die in a metric).
            raise DataError(f"{m}: after grouping (patients + near-duplicates: {len(set(groups))} groups) the "
                            f"{', '.join(f'{s} split has no image of class(es) {c}' for s, c in lacking.items())}; "
                            "add patients to those classes, or check the patient pattern / near-duplicate thresholds")
    write_split_json(out_json, ids, labels, groups, assignment, {
        "dataset": root.name, "seed": seed, "fractions": {"train": 0.7, "val": 0.15, "test": 0.15},
        "grouping": f"{grouping} + near-duplicates ({rule.describe()})",
        "patients": report, "nearDuplicates": dup_info, "splitGroups": len(set(groups)),
    })
    return dict(zip(ids, assignment))


@dataclass
class ModalityResult:
    modality: str
    model: torch.nn.Module
    temperature: float
    test_logits: np.ndarray
    test_labels: np.ndarray
    test_cases: list[str]
    test_paths: list[str]
    test_images: torch.Tensor  # uint8, for the shipped-weights metrics at export
    report: dict
    seconds: float
    # Validation split: the quantization decision is made here, never on the test split.
    val_images: torch.Tensor | None = None
    val_labels: np.ndarray | None = None
    test_groups: list[str] | None = None  # patient ids, resampled as units by the bootstrap
    calibration: dict | None = None


def finetune_modality(
    modality: str,
    samples: list[Sample],
    split_of: dict[str, str],
    root: Path,
    classes: list[str],
    backbone: dict | None,
    out_dir: Path,
    rt: Runtime,
    epochs: int,
    seed: int,
    arch: str,
    cache_dir: Path | None,
    image_size: int = DEFAULT_IMAGE_SIZE,
    log=print,
) -> ModalityResult | None:
    out_dir.mkdir(parents=True, exist_ok=True)
    assign = [split_of[item_id(modality, s, root)] for s in samples]
    images = preload(samples, image_size, cache_dir)
    labels = labels_tensor(samples)
    tr, va, te = (torch.tensor(indices(assign, s)) for s in SPLITS)
    log(f"[{modality}] {len(samples)} images: train {len(tr)}, val {len(va)}, test {len(te)}")

    model = build_resnet(arch, len(classes))
    frozen = backbone is not None
    if backbone is not None:
        load_backbone(model, backbone)
        freeze_stem(model)
    cfg = TrainConfig(
        epochs=epochs, batch_size=16, lr=1e-3 if frozen else 2e-3, weight_decay=5e-4, seed=seed,
        label=f"{modality}/{'pretrained' if frozen else 'scratch'}",
        train_mode=lambda m: set_train_mode(m, frozen),
    )
    stats: dict = {}
    train(model, images[tr], {"label": labels[tr]}, lambda o, t: F.cross_entropy(o, t["label"]), cfg, rt,
          out_dir / "checkpoint.pt", log, stats)
    # Epoch time summed over every run of this checkpoint (a resumed run would otherwise report seconds).
    seconds = float(stats["trainSeconds"])
    if not rt.is_main:
        return None  # rank 0 evaluates and writes; the others go on to the next modality

    val_logits = predict(model, images[va], rt.device)
    assert isinstance(val_logits, torch.Tensor)  # a single-head model
    fit = calibrate(val_logits, labels[va], len(classes))
    if fit.status != "ok":
        log(f"[{modality}] WARNING: temperature not fitted, shipping T=1 (uncalibrated): {fit.reason}")
    temperature = fit.temperature
    test_out = predict(model, images[te], rt.device)
    assert isinstance(test_out, torch.Tensor)
    # Rounded to 5 decimals before any metric: test-predictions.json keeps exactly these numbers, so the
    # reported metrics can be recomputed from it bit for bit.
    test_logits = np.round(test_out.numpy().astype(np.float64), 5)
    y = labels[te].numpy()
    test_groups = [samples[i].group or samples[i].case_id for i in te.tolist()]
    report = classification_report(y, softmax(test_logits, temperature), classes, softmax(test_logits),
                                   groups=test_groups)
    report.update({"temperature": round(temperature, 4), "calibration": fit.record(),
                   "trainSeconds": round(seconds)})
    log(f"[{modality}] test macro AUC {report['macroAuc']} CI {report['macroAucCi95']} "
        f"acc {report['accuracy']} T={temperature:.3f} ({seconds:.0f} s)")
    cases = [samples[i].case_id for i in te.tolist()]
    torch.save({"arch": arch, "classes": classes, "state_dict": model.state_dict(), "temperature": temperature},
               out_dir / "model.pt")
    (out_dir / "test-predictions.json").write_text(json.dumps(
        {"cases": cases, "labels": y.tolist(), "logits": test_logits.round(6).tolist(), "temperature": temperature}))
    (out_dir / "metrics.json").write_text(json.dumps(report, indent=1))
    paths = [samples[i].path for i in te.tolist()]
    return ModalityResult(modality, model, temperature, test_logits, y, cases, paths, images[te], report, seconds,
                          images[va], labels[va].numpy(), test_groups, fit.record())


@dataclass
class FusedInputs:
    cases: list[str]
    labels: np.ndarray
    groups: list
    fused: np.ndarray  # fused calibrated probabilities (what the app shows)
    before: np.ndarray  # the same rule over uncalibrated probabilities


def fused_inputs(results: list[ModalityResult], fusion: Mapping[str, Any] = MEAN) -> FusedInputs:
    """Per case present in all modalities: label, patient, and the probabilities fused by `fusion`."""
    common = set(results[0].test_cases)
    for r in results[1:]:
        common &= set(r.test_cases)
    cases = sorted(common)
    calibrated, uncalibrated = {}, {}
    groups: list[str] = list(cases)
    for r in results:
        pos = {c: i for i, c in enumerate(r.test_cases)}
        idx = [pos[c] for c in cases]
        calibrated[r.modality] = softmax(r.test_logits[idx], r.temperature)
        uncalibrated[r.modality] = softmax(r.test_logits[idx])
        labels = r.test_labels[idx]  # identical across modalities: validation refuses a case with two labels
        if r.test_groups is not None:
            groups = [r.test_groups[i] for i in idx]
    fused, before = fuse(fusion, calibrated), fuse(fusion, uncalibrated)
    assert fused is not None and before is not None  # results is not empty
    return FusedInputs(cases, labels, groups, fused, before)


def fused_report(results: list[ModalityResult], classes: list[str], fusion: Mapping[str, Any] = MEAN) -> dict:
    """Calibrated probabilities fused by the pack's rule (`fusion`, the manifest's fusion object, as
    the app fuses them), on cases present in all modalities. The report names the rule."""
    f = fused_inputs(results, fusion)
    # The app fuses calibrated probabilities, so the fused AUC is of those (no single logit vector exists).
    return {**classification_report(f.labels, f.fused, classes, f.before, groups=f.groups, auc_from="calibrated"),
            "fusion": dict(fusion)}


def load_lymph_folder(root: str | Path, modalities: list[str], patient_pattern=None) -> dict[str, list[Sample]]:
    """Samples per modality from the folder layout; `2d/` or `bmode/` (any case) both give B-mode."""
    folders = modality_folders(root)
    return {m: load_folder_modality(root, folders[m].name if m in folders else MODALITY_TO_FOLDER[m],
                                    patient_pattern)
            for m in modalities}


def run_stage2(
    root: str | Path,
    samples: dict[str, list[Sample]],
    classes: list[str],
    backbone_path: Path | None,
    out_dir: Path,
    rt: Runtime,
    epochs: int,
    seed: int,
    arch: str = "resnet18",
    threshold: NearDuplicateRule | int = NearDuplicateRule(),
    split_json: Path | None = None,
    cache_dir: Path | None = None,
    image_size: int = DEFAULT_IMAGE_SIZE,
    fusion: Mapping[str, Any] = MEAN,
    log=print,
    grouping: str = "case id (file stem, shared across modalities)",
) -> tuple[list[ModalityResult], dict | None]:
    root = Path(root)
    out_dir.mkdir(parents=True, exist_ok=True)
    modalities = list(samples)
    split_path = out_dir / "split.json"
    split_of = make_split(root, samples, seed, threshold, split_path, split_json, grouping, log)
    if split_json is not None and split_json.exists() and split_json != split_path:
        split_path.write_text(split_json.read_text())
    backbone = None
    if backbone_path is not None:
        ck = torch.load(backbone_path, map_location="cpu")
        if ck["arch"] != arch:
            raise ValueError(f"backbone is {ck['arch']}, asked for {arch}")
        backbone = ck["backbone"]
    results = [
        finetune_modality(m, samples[m], split_of, root, classes, backbone, out_dir / m, rt, epochs, seed, arch,
                          cache_dir, image_size, log)
        for m in modalities
    ]
    if not rt.is_main:
        return [], None
    done = [r for r in results if r is not None]  # all of them: rank 0 evaluates every modality
    fused = fused_report(done, classes, fusion) if len(done) > 1 else None
    if fused is not None:
        log(f"[fused: {describe(fusion)}] test macro AUC {fused['macroAuc']} CI {fused['macroAucCi95']} "
            f"acc {fused['accuracy']}")
    summary = {"variant": "pretrained" if backbone is not None else "scratch", "epochs": epochs, "seed": seed,
               "arch": arch, "modalities": {r.modality: r.report for r in done}, "fused": fused}
    (out_dir / "metrics.json").write_text(json.dumps(summary, indent=1))
    return done, fused
