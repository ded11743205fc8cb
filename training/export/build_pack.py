"""Assembles a trained pack: quantization choice, model files, golden logits, metrics, model card,
manifest, pack index entry, then verification through TF.js."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..cli_common import REPO
from ..fusion import MEAN, describe
from ..metrics import classification_report, softmax
from .model_card import SMALL_TEST, render_model_card
from .pack import GoldenInput, ModalityExport, pack_sizes, write_manifest, write_modality
from .quantization import choose_weights_dtype, logits_with_weights
from .verify import verify_golden

METRIC_KEYS = ("n", "macroAuc", "macroAucCi95", "accuracy", "perClass", "ece", "confusionMatrix", "temperature")


@dataclass
class PackText:
    id: str
    title: str
    disclaimer: str
    intended_use: str
    license: str
    dataset: str  # what the test metrics were measured on
    data_text: str = ""
    split_text: str = ""
    limitations: str = ""
    version: str = "1.0.0"
    fixture: bool = False
    training: dict = field(default_factory=dict)
    # "pretrained": stage 1 → stage 2; "scratch": stage 2 from random initialisation. The card says which.
    variant: str = "pretrained"


def metrics_entry(modality: str, report: dict, dataset: str, **extra) -> dict:
    # A withheld CI (None: too many bootstrap resamples unusable) is left out; the manifest's is optional.
    return {"modality": modality, "dataset": dataset, "split": "test",
            **{k: report[k] for k in METRIC_KEYS if report.get(k) is not None}, **extra}


def shipped_report(r, classes: list[str], dtype: str) -> dict:
    """Test metrics of the weights as shipped (encoded as `dtype`, decoded as TF.js does), so the
    headline figures describe the pack, not the float32 model it came from. Replaces r's logits."""
    float32 = r.report
    # Rounded as stage 2 rounds them: test-predictions.json keeps these exact numbers.
    logits = np.round(logits_with_weights(r.model, r.test_images, dtype).astype(np.float64), 5)
    r.test_logits = logits
    report = classification_report(r.test_labels, softmax(logits, r.temperature), classes, softmax(logits),
                                   groups=r.test_groups)
    keep = {k: float32[k] for k in ("temperature", "calibration", "trainSeconds") if k in float32}
    return {**report, **keep, "weights": dtype, "float32MacroAuc": float32["macroAuc"]}


def _display_path(p: Path) -> str:
    """Relative to the repository when inside it; else just the name (no machine's absolute paths in a card)."""
    p = Path(p).resolve()
    return p.relative_to(REPO).as_posix() if p.is_relative_to(REPO) else f"{p.parent.name}/{p.name}"


def trained_pack_text(a, root: Path, run_dir: Path, results: list, backbone: Path | None, grouping: str,
                      near_duplicates: str) -> PackText:
    """Card and manifest text for `train-pack`, from the command's arguments and the results."""
    n_test = {r.modality: len(r.test_labels) for r in results}
    start = (f"starting from the stage-1 backbone `{backbone.name}` (stem and layer1 frozen)" if backbone
             else "from scratch (random initialisation, all layers trained; no stage-1 pre-training)")
    small = [m for m, n in n_test.items() if n < SMALL_TEST]
    limitations = [
        f"Trained and tested on one data set (`{root.name}`): the test split comes from the same source, so these "
        "figures say nothing about other hospitals, machines, operators or patient populations. No external "
        "validation.",
        f"Test images per modality: {n_test}. " + (
            f"WARNING: fewer than {SMALL_TEST} test images in {', '.join(small)}: the AUCs and their confidence "
            "intervals are too uncertain to rely on." if small else "Confidence intervals are in the table."),
        "Labels are the training institution's; their reference standard (histopathology, cytology, follow-up) "
        "is not recorded by the pipeline and bounds what the model can learn.",
        "Inputs are ROI crops resized to 224×224; a crop that differs from the training crops (other ROI "
        "habits, other machines, annotations burnt into the image) is outside what was tested.",
    ]
    if "case id" in grouping and "patient" not in grouping:
        limitations.append("No patient ids were given: each file name counted as its own patient, so images of one "
                           "patient may be in both training and test, which inflates the test figures.")
    refused = [r.modality for r in results if (r.calibration or {}).get("status") == "refused"]
    if refused:
        limitations.append(f"Temperature calibration was refused for {', '.join(refused)} (degenerate fit on the "
                           "validation split; see the metrics): probabilities there are the model's own, uncalibrated.")
    if a.limitations:
        limitations.append(a.limitations)
    variant = "pretrained" if backbone else "scratch"
    return PackText(
        id=a.pack_id, title=a.title, disclaimer=a.disclaimer, intended_use=a.intended_use, license=a.license,
        dataset=f"{root.name}, held-out test split",
        data_text=(f"Fine-tuned on `{root.name}` for {a.epochs} epochs, "
                   f"{start}. One {a.arch} per modality, 224 px, AdamW with cosine schedule, ultrasound augmentation. "
                   "Temperature fitted on the validation split where the fit is sound (see Limitations)."),
        split_text=(f"70/15/15 train/val/test, stratified, seed {a.seed}, grouped by {grouping} and by "
                    f"near-duplicates ({near_duplicates}); split file `{_display_path(run_dir / 'split.json')}`"),
        limitations="\n".join(f"- {x}" for x in limitations),
        variant=variant,
        training={"summary": f"Fine-tuned on {root.name} " + (
            "from a stage-1 backbone (stage 1 → stage 2)" if backbone else "from scratch (no stage-1 pre-training)"),
                  "variant": variant, "seed": a.seed, "epochs": a.epochs},
    )


def golden_inputs(result, classes: list[str], per_class: int = 1) -> list[GoldenInput]:
    """The first test case(s) of each class: held-out images, never training data."""
    out: list[GoldenInput] = []
    for c, name in enumerate(classes):
        picks = [i for i, y in enumerate(result.test_labels) if y == c][:per_class]
        out += [GoldenInput(f"{name}-{result.test_cases[i]}", result.test_paths[i]) for i in picks]
    return out


def export_trained_pack(
    pack_dir: Path,
    text: PackText,
    classes: list[dict],
    results: list,
    fused: dict | None,
    results_dir: Path,
    stage1: dict | None = None,
    ablation: tuple[list, dict | None] | None = None,
    timings: dict | None = None,
    arch: str = "resnet18",
    fusion: Mapping[str, Any] = MEAN,
    log=print,
) -> dict:
    """`fusion` is the pack's fusion rule; `fused` must have been computed by it (stage2.fused_report
    records the rule it used), so the fused metrics describe what the app will compute."""
    if fused is not None and fused.get("fusion", MEAN) != dict(fusion):
        raise ValueError(f"fused metrics were computed by {fused.get('fusion')}, the pack fuses by {dict(fusion)}")
    pack_dir.mkdir(parents=True, exist_ok=True)
    class_ids = [c["id"] for c in classes]
    specs, quant, metrics = {}, {}, []
    ablation_by_mod = {r.modality: r.report for r in ablation[0]} if ablation else {}
    for r in results:
        # Chosen on the validation split; the test metrics are then recomputed with the shipped weights.
        if r.val_images is None or r.val_labels is None:
            raise ValueError(f"{r.modality}: no validation images kept; the weight dtype is chosen on them")
        dtype, qrec = choose_weights_dtype(r.model, r.val_images, r.val_labels)
        r.report = shipped_report(r, class_ids, dtype)
        log(f"[export] {r.modality}: {dtype} (validation uint8 AUC drop {qrec['uint8AucDrop']:+.4f}); test macro AUC "
            f"with these weights {r.report['macroAuc']} (float32 {r.report['float32MacroAuc']})")
        specs[r.modality] = write_modality(pack_dir, ModalityExport(
            r.modality, r.model, dtype, r.temperature, arch, golden_inputs(r, class_ids), int(r.test_images.shape[-1])))
        quant[r.modality] = qrec
        extra: dict[str, Any] = {"quantization": qrec}
        if r.modality in ablation_by_mod:
            a = ablation_by_mod[r.modality]
            extra["ablationWithoutStage1"] = {"macroAuc": a["macroAuc"], "macroAucCi95": a["macroAucCi95"],
                                              "accuracy": a["accuracy"]}
        metrics.append(metrics_entry(r.modality, r.report, text.dataset, **extra))
    if fused is not None:
        from ..stage2 import fused_report

        fused = fused_report(results, class_ids, fusion)  # of the shipped weights' probabilities, as above
        extra = {"method": describe(fusion)}
        if ablation and ablation[1]:
            a = ablation[1]
            extra["ablationWithoutStage1"] = {"macroAuc": a["macroAuc"], "macroAucCi95": a["macroAucCi95"],
                                              "accuracy": a["accuracy"]}
        metrics.append(metrics_entry("fused", fused, text.dataset, **extra))
    for m, size in pack_sizes(pack_dir).items():
        if m in quant:
            quant[m]["bytes"] = size

    meta = {
        "id": text.id, "version": text.version, "title": text.title, "fixture": text.fixture,
        "classes": classes, "fusion": dict(fusion), "metrics": metrics,
        "training": {**text.training, **({"stage1Check": _stage1_summary(stage1)} if stage1 else {}),
                     **({"ablationWithoutStage1": _ablation_summary(ablation)} if ablation else {})},
        "intendedUse": text.intended_use, "disclaimer": text.disclaimer, "license": text.license,
    }
    provisional = {**meta, "modalities": specs, "format": "lymphscope-model-pack", "formatVersion": 1}
    ablation_entries = None
    if ablation:
        ablation_entries = [metrics_entry(r.modality, r.report, text.dataset) for r in ablation[0]]
        if ablation[1]:
            ablation_entries.append(metrics_entry("fused", ablation[1], text.dataset))
    card = render_model_card(provisional, {
        "dataText": text.data_text, "splitText": text.split_text, "stage1": stage1, "ablation": ablation_entries,
        "quantization": quant, "timings": timings, "limitations": text.limitations, "variant": text.variant,
        "bootstrap": {r.modality: r.report.get("bootstrap") for r in results} | (
            {"fused": fused.get("bootstrap")} if fused else {}),
    })
    (pack_dir / "MODEL_CARD.md").write_text(card)
    manifest = write_manifest(pack_dir, meta, specs)

    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "metrics.json").write_text(json.dumps(
        {"metrics": metrics, "ablation": ablation_entries, "stage1": stage1, "quantization": quant,
         "timings": timings}, indent=1))
    check = verify_golden(pack_dir / "manifest.json")
    log(f"[export] TF.js ({check['backend']}) reproduced {check['cases']} golden cases; "
        f"worst excess {check['worstExcess']}")
    return manifest


def _stage1_summary(s1: dict) -> dict:
    out = {k: s1[k] for k in ("imageSize", "epochs", "seed") if k in s1}
    for key in ("busi", "ddti"):
        if key in s1:
            out[key] = {k: s1[key][k] for k in ("dataset", "n", "macroAuc", "macroAucCi95", "accuracy")}
    return out


def _ablation_summary(ablation: tuple[list, dict | None]) -> dict:
    out = {r.modality: {"macroAuc": r.report["macroAuc"], "macroAucCi95": r.report["macroAucCi95"]}
           for r in ablation[0]}
    if ablation[1]:
        out["fused"] = {"macroAuc": ablation[1]["macroAuc"], "macroAucCi95": ablation[1]["macroAucCi95"]}
    return out


def update_index(models_dir: Path, pack_id: str, title: str, make_default: bool = True) -> None:
    """Adds or replaces the pack in public/models/index.json."""
    path = models_dir / "index.json"
    index = json.loads(path.read_text()) if path.exists() else {"formatVersion": 1, "default": pack_id, "packs": []}
    index["packs"] = [p for p in index["packs"] if p["id"] != pack_id] + [
        {"id": pack_id, "path": f"{pack_id}/manifest.json", "title": title}]
    if make_default or not index.get("default"):
        index["default"] = pack_id
    path.write_text(json.dumps(index, indent=2) + "\n")
