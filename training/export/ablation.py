"""Adds ablation results (stage 2 without stage-1 pre-training, same split) to an exported pack,
without re-exporting its models: manifest metrics, model card section, results JSON, file list.

The ablation is the slowest part of a rebuild (every layer trained from random weights); this
lets the pack ship first and the ablation be attached when its runs finish.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .build_pack import metrics_entry
from .model_card import metrics_table
from .pack import list_files

ABLATION_HEADING = "## Ablation: stage 2 without stage-1 pre-training (same split, same epochs)"


def _short(report: dict) -> dict:
    return {"macroAuc": report["macroAuc"], "macroAucCi95": report["macroAucCi95"], "accuracy": report["accuracy"]}


def attach_ablation(pack_dir: Path, scratch_run: Path, results_dir: Path | None = None) -> dict:
    manifest = json.loads((pack_dir / "manifest.json").read_text())
    classes = [c["id"] for c in manifest["classes"]]
    dataset = manifest["metrics"][0]["dataset"] if manifest["metrics"] else "held-out test split"
    reports = {m: json.loads((scratch_run / m / "metrics.json").read_text())
               for m in manifest["modalities"] if (scratch_run / m / "metrics.json").exists()}
    if not reports:
        raise FileNotFoundError(f"no finished ablation runs under {scratch_run}")
    fused = None
    summary = scratch_run / "metrics.json"
    if set(reports) == set(manifest["modalities"]) and summary.exists():
        fused = json.loads(summary.read_text()).get("fused")

    missing = [m for m in manifest["modalities"] if m not in reports]
    for entry in manifest["metrics"]:
        r = reports.get(entry["modality"]) if entry["modality"] != "fused" else fused
        if r is not None:
            entry["ablationWithoutStage1"] = _short(r)
    overview: dict[str, Any] = {m: _short(r) for m, r in reports.items()}
    if fused:
        overview["fused"] = _short(fused)
    overview.update({"modalities": sorted(reports), "notRun": missing,
                     "note": "same split and epochs, random initialisation, all layers trained"})
    manifest["training"]["ablationWithoutStage1"] = overview
    entries = [metrics_entry(m, r, dataset) for m, r in reports.items()]
    if fused:
        entries.append(metrics_entry("fused", fused, dataset))

    card_path = pack_dir / "MODEL_CARD.md"
    card = card_path.read_text()
    note = [f"Not run in this build (time): {', '.join(missing)}; no fused ablation without all modalities.", ""] \
        if missing else []
    section = "\n".join([ABLATION_HEADING, "", *metrics_table(entries, classes), "", *note]) + "\n"
    if ABLATION_HEADING in card:  # replace an earlier section
        start = card.index(ABLATION_HEADING)
        end = card.index("\n## ", start + len(ABLATION_HEADING))
        card = card[:start] + section + card[end + 1:]
    else:
        anchor = card.index("## Confusion matrices")
        card = card[:anchor] + section + card[anchor:]
    card_path.write_text(card)

    manifest["files"] = list_files(pack_dir)
    (pack_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    if results_dir is not None and (results_dir / "metrics.json").exists():
        res = json.loads((results_dir / "metrics.json").read_text())
        res["ablation"] = entries
        (results_dir / "metrics.json").write_text(json.dumps(res, indent=1))
    return manifest
