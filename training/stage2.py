"""Stage 2: one ResNet per modality fine-tuned on lymph node data, temperature-calibrated and
evaluated on a held-out test split shared by all modalities (so fusion can be evaluated per case).

Variants: `pretrained` starts from the stage-1 backbone (stem + layer1 frozen); `scratch` is the
ablation — same split, same epochs, random initialisation, all layers trained.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .calibration import fit_temperature
from .data import FOLDER_TO_MODALITY, MODALITY_TO_FOLDER, Sample, labels_tensor, load_folder_modality, preload
from .dedup import group_ids, hash_files
from .distributed import Runtime
from .fusion import MEAN, describe, fuse
from .metrics import classification_report, softmax
from .model import build_resnet, freeze_stem, load_backbone, set_train_mode
from .splits import SPLITS, grouped_stratified_split, indices, read_split_json, write_split_json
from .train import TrainConfig, predict, train

DEFAULT_IMAGE_SIZE = 224


def available_modalities(root: str | Path) -> list[str]:
    """Pack modalities whose CV4LymphNode folder (2d, cdfi, elastic) exists under root."""
    return [m for f, m in FOLDER_TO_MODALITY.items() if (Path(root) / f).is_dir()]


def item_id(modality: str, s: Sample, root: Path) -> str:
    """Stable id of an image in split files: its path relative to the data root when possible."""
    p = Path(s.path)
    rel = p.relative_to(root).as_posix() if p.is_relative_to(root) else p.as_posix()
    return rel if rel.startswith(MODALITY_TO_FOLDER[modality] + "/") else f"{modality}:{rel}"


def make_split(
    root: Path, samples: dict[str, list[Sample]], seed: int, threshold: int, out_json: Path, reuse: Path | None
) -> dict[str, str]:
    """Item id → split. One split over all modalities: case ids (file stems) tie a node's images
    together across modalities, pHash near-duplicates tie look-alike images together."""
    flat = [(m, s) for m, ss in samples.items() for s in ss]
    ids = [item_id(m, s, root) for m, s in flat]
    if reuse is not None and reuse.exists():
        known = read_split_json(reuse)
        missing = [i for i in ids if i not in known]
        if missing:
            raise ValueError(f"split {reuse} lacks {len(missing)} items, e.g. {missing[0]}")
        return known
    bits = hash_files([s.path for _, s in flat])
    groups = group_ids(len(flat), bits, threshold, [s.group for _, s in flat])
    labels = [s.label for _, s in flat]
    assignment = grouped_stratified_split(labels, groups, seed=seed)
    write_split_json(out_json, ids, labels, groups, assignment, {
        "dataset": str(root), "seed": seed, "fractions": {"train": 0.7, "val": 0.15, "test": 0.15},
        "grouping": f"case id (file stem, shared across modalities) + pHash-64 Hamming <= {threshold}",
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
    test_images: torch.Tensor  # uint8, for export-time quantization checks
    report: dict
    seconds: float


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
    t0 = time.time()
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
    train(model, images[tr], {"label": labels[tr]}, lambda o, t: F.cross_entropy(o, t["label"]), cfg, rt,
          out_dir / "checkpoint.pt", log)
    seconds = time.time() - t0
    if not rt.is_main:
        return None  # rank 0 evaluates and writes; the others go on to the next modality

    val_logits = predict(model, images[va], rt.device)
    assert isinstance(val_logits, torch.Tensor)  # a single-head model
    temperature = fit_temperature(val_logits, labels[va])
    test_out = predict(model, images[te], rt.device)
    assert isinstance(test_out, torch.Tensor)
    test_logits = test_out.numpy()
    y = labels[te].numpy()
    report = classification_report(y, softmax(test_logits, temperature), classes, softmax(test_logits))
    report.update({"temperature": round(temperature, 4), "trainSeconds": round(seconds)})
    log(f"[{modality}] test macro AUC {report['macroAuc']} CI {report['macroAucCi95']} "
        f"acc {report['accuracy']} T={temperature:.3f} ({seconds:.0f} s)")
    cases = [samples[i].group or Path(samples[i].path).stem for i in te.tolist()]
    torch.save({"arch": arch, "classes": classes, "state_dict": model.state_dict(), "temperature": temperature},
               out_dir / "model.pt")
    (out_dir / "test-predictions.json").write_text(json.dumps(
        {"cases": cases, "labels": y.tolist(), "logits": test_logits.round(6).tolist(), "temperature": temperature}))
    (out_dir / "metrics.json").write_text(json.dumps(report, indent=1))
    paths = [samples[i].path for i in te.tolist()]
    return ModalityResult(modality, model, temperature, test_logits, y, cases, paths, images[te], report, seconds)


def fused_report(results: list[ModalityResult], classes: list[str], fusion: Mapping[str, Any] = MEAN) -> dict:
    """Calibrated probabilities fused by the pack's rule (`fusion`, the manifest's fusion object, as
    the app fuses them), on cases present in all modalities. The report names the rule."""
    common = set(results[0].test_cases)
    for r in results[1:]:
        common &= set(r.test_cases)
    cases = sorted(common)
    calibrated, uncalibrated = {}, {}
    for r in results:
        pos = {c: i for i, c in enumerate(r.test_cases)}
        idx = [pos[c] for c in cases]
        calibrated[r.modality] = softmax(r.test_logits[idx], r.temperature)
        uncalibrated[r.modality] = softmax(r.test_logits[idx])
        labels = r.test_labels[idx]  # identical across modalities: same case, same label
    fused, before = fuse(fusion, calibrated), fuse(fusion, uncalibrated)
    assert fused is not None and before is not None  # results is not empty
    return {**classification_report(labels, fused, classes, before), "fusion": dict(fusion)}


def load_lymph_folder(root: str | Path, modalities: list[str]) -> dict[str, list[Sample]]:
    return {m: load_folder_modality(root, MODALITY_TO_FOLDER[m]) for m in modalities}


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
    threshold: int = 8,
    split_json: Path | None = None,
    cache_dir: Path | None = None,
    image_size: int = DEFAULT_IMAGE_SIZE,
    fusion: Mapping[str, Any] = MEAN,
    log=print,
) -> tuple[list[ModalityResult], dict | None]:
    root = Path(root)
    out_dir.mkdir(parents=True, exist_ok=True)
    modalities = list(samples)
    split_path = out_dir / "split.json"
    split_of = make_split(root, samples, seed, threshold, split_path, split_json)
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
