"""`int8-calibrate`: a pack's int8 compute, measured and declared (docs/model-pack.md, `int8Compute`).

For each modality: activation scales from the calibration images (the split's validation items,
never test), then macro AUC on the test items with the app's float32 arithmetic and with its int8
arithmetic emulated exactly (export/int8.py). int8 compute is allowed for a modality only where
|ΔAUC| <= MAX_AUC_CHANGE. Writes `modalities.<m>.int8Compute` into the manifest, recomputes its
file hashes (the exporter's list_files) and keeps the raw figures in a results file.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from .export.int8 import calibrate, int8_layers, run_logits
from .export.pack import list_files, preprocess_files
from .input_gate import pack_weights
from .metrics import macro_auc, softmax
from .modalities import MODALITY_TO_FOLDER

MAX_AUC_CHANGE = 0.005
PERCENTILE = 99.99


def split_items(split_json: Path, data: Path, modality: str, which: str) -> tuple[list[str], np.ndarray]:
    doc = json.loads(split_json.read_text())
    folder = MODALITY_TO_FOLDER[modality]
    items = [i for i in doc["items"] if i["split"] == which and i["id"].split("/", 1)[0] == folder]
    return [str(data / i["id"]) for i in items], np.array([i["label"] for i in items])


def run(pack_dir: Path, data: Path, split_json: Path, out_json: Path, modalities: list[str] | None = None,
        data_note: str = "", log=print) -> dict:
    manifest_path = pack_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    results: dict = {"pack": manifest["id"], "data": data_note or str(data), "maxAucChange": MAX_AUC_CHANGE,
                     "modalities": {}}
    if out_json.exists():  # a run over some modalities keeps the others' figures
        results["modalities"] = json.loads(out_json.read_text()).get("modalities", {})
    for m in modalities or list(manifest["modalities"]):
        t0 = time.time()
        spec = manifest["modalities"][m]
        topology, weights = pack_weights(pack_dir / spec["model"])
        size = int(spec["input"]["height"])
        temperature = float(spec.get("temperature", 1.0))
        val_paths, val_labels = split_items(split_json, data, m, "val")
        test_paths, test_labels = split_items(split_json, data, m, "test")
        x_val = preprocess_files(val_paths, size)
        x_test = preprocess_files(test_paths, size)

        def auc(logits: np.ndarray, labels: np.ndarray) -> float:
            return float(macro_auc(labels, softmax(logits, temperature)))

        log(f"[int8] {m}: {len(val_paths)} validation, {len(test_paths)} test images")

        # Per-tensor clip at the 99.99th percentile of each layer's input over the validation images
        # (the maximum lets a few outliers stretch the 7-bit grid; measured on the test split below).
        scales = calibrate(topology, weights, x_val, PERCENTILE)
        test_float = run_logits(topology, weights, x_test, None)
        test_int8 = run_logits(topology, weights, x_test, scales)
        a_float, a_int8 = auc(test_float, test_labels), auc(test_int8, test_labels)
        change = a_int8 - a_float
        allowed = bool(abs(change) <= MAX_AUC_CHANGE)
        results["modalities"][m] = {
            "layers": int8_layers(topology),
            "calibration": {"split": "val", "images": len(val_paths), "percentile": PERCENTILE},
            "test": {"images": len(test_paths), "macroAucFloat32": round(a_float, 5), "macroAucInt8": round(a_int8, 5),
                     "aucChange": round(change, 5),
                     "top1Agreement": round(float(np.mean(test_int8.argmax(1) == test_float.argmax(1))), 4),
                     "maxAbsLogitDiff": round(float(np.abs(test_int8 - test_float).max()), 4)},
            "allowed": allowed, "seconds": round(time.time() - t0),
        }
        spec["int8Compute"] = {
            "allowed": allowed,
            "inputScales": scales,
            "calibration": {"split": "val", "images": len(val_paths), "percentile": PERCENTILE},
            "testMacroAuc": {"float32": round(a_float, 5), "int8": round(a_int8, 5), "images": len(test_paths)},
        }
        log(f"[int8] {m}: test macro AUC {a_float:.5f} → {a_int8:.5f} ({change:+.5f}), allowed {allowed}")
        # Written after each modality, so that an interrupted run keeps what it measured.
        out_json.write_text(json.dumps(results, indent=1) + "\n")
        manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    finish(pack_dir, out_json)
    return results


def finish(pack_dir: Path, out_json: Path) -> None:
    """Golden logits into the results, the model card's section, the manifest's file hashes."""
    add_golden(pack_dir, out_json)
    results = json.loads(out_json.read_text())
    card = pack_dir / "MODEL_CARD.md"
    if card.exists():
        card.write_text(with_card_section(card.read_text(), card_section(results)))
    manifest = json.loads((pack_dir / "manifest.json").read_text())
    manifest["files"] = list_files(pack_dir)
    (pack_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


CARD_HEADING = "## Int8 compute"


def card_section(results: dict) -> str:
    rows = []
    for m, r in results["modalities"].items():
        t = r["test"]
        allowed = "yes" if r["allowed"] else "no"
        rows.append(f"| {m} | {allowed} | {t['macroAucFloat32']:.4f} | {t['macroAucInt8']:.4f} | "
                    f"{t['aucChange']:+.5f} | {t['top1Agreement']:.3f} | {t['maxAbsLogitDiff']:.3f} | "
                    f"{len(r['layers'])} |")
    some = next(iter(results["modalities"].values()))
    return "\n".join([
        CARD_HEADING, "",
        "With WebAssembly Relaxed SIMD the app can run a model's convolutions in int8 (weights symmetric per output "
        "channel, inputs unsigned 7-bit per tensor, int32 sums; the stem stays float32). It does so only for the "
        f"modalities below marked allowed: those whose test macro AUC moved by at most {results['maxAucChange']} "
        "between the app's float32 and int8 arithmetic (emulated exactly in PyTorch, `training/export/int8.py`; "
        "the app's kernels reproduce the emulated logits of the golden images).",
        "",
        "| Modality | int8 allowed | Test macro AUC float32 | int8 | Change | Top-1 agreement | Max abs logit diff | "
        "int8 layers |",
        "|---|---|---|---|---|---|---|---|",
        *rows, "",
        f"Calibration: per-tensor input scales at the {some['calibration']['percentile']}th percentile of each "
        f"convolution's input over the validation split ({some['calibration']['images']} images per modality); "
        f"test split: {some['test']['images']} images per modality. Images: {results['data']}. "
        "Float32 figures here can differ from the held-out results above when the images are not the ones "
        "the pack was tested on. Measured by `python3 -m training int8-calibrate`; raw figures in "
        f"`training/results/{results['pack']}/int8.json`.",
        "",
    ])


def with_card_section(card: str, section: str) -> str:
    """The card with its int8 section replaced, or inserted before the timings (after weight quantization)."""
    if CARD_HEADING in card:
        start = card.index(CARD_HEADING)
        nxt = card.find("\n## ", start + len(CARD_HEADING))
        return card[:start] + section + ("\n" + card[nxt + 1:] if nxt >= 0 else "")
    anchor = card.find("\n## Timings")
    if anchor < 0:
        return card.rstrip("\n") + "\n\n" + section
    return card[: anchor + 1] + section + "\n" + card[anchor + 1:]


def add_golden(pack_dir: Path, out_json: Path) -> None:
    """The emulated int8 (and float32) logits of each modality's golden images, with the manifest's
    scales: what the app's int8 kernels must reproduce (tests/unit/runtime/convolution-int8.test.ts)."""
    manifest = json.loads((pack_dir / "manifest.json").read_text())
    results = json.loads(out_json.read_text())
    for m, r in results["modalities"].items():
        spec = manifest["modalities"][m]
        topology, weights = pack_weights(pack_dir / spec["model"])
        golden = json.loads((pack_dir / spec["golden"]).read_text())
        x = preprocess_files([str(pack_dir / c["input"]) for c in golden["cases"]], int(spec["input"]["height"]))
        f32 = run_logits(topology, weights, x, None)
        q8 = run_logits(topology, weights, x, spec["int8Compute"]["inputScales"])
        r["golden"] = [{"input": c["input"], "logitsFloat32": [round(float(v), 7) for v in f32[i]],
                        "logitsInt8": [round(float(v), 7) for v in q8[i]]} for i, c in enumerate(golden["cases"])]
    out_json.write_text(json.dumps(results, indent=1) + "\n")
