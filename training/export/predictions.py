"""test-predictions.json: every test prediction behind a pack's reported figures, and the check
that recomputes those figures from it.

Per set (the held-out test split, the ablation, stage 1's BUSI/DDTI check, other simulated test
sets) and per model (a modality, a stage-1 head, or "fused"): one row per image with its id,
patient group, true class index, logits (rounded to 5 decimals: the numbers every metric was
computed from) and calibrated probabilities (rounded to 4, for reading). A fused row has no logits:
its probabilities are recomputed from the modalities' rows by the pack's fusion rule.

`check_pack` recomputes AUC, CI bounds (same bootstrap, same seed), accuracy, sensitivity,
specificity, ECE and confusion matrices and compares them with the manifest and MODEL_CARD.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..fusion import fuse
from ..metrics import classification_report, softmax

FORMAT = "lymphscope-test-predictions"
BOOTSTRAP = {"resamples": 1000, "seed": 1234}  # classification_report's defaults, stated for readers
MANIFEST_KEYS = ("n", "macroAuc", "macroAucCi95", "accuracy", "confusionMatrix")


def model_section(ids: Sequence[str], groups: Sequence, labels: Sequence[int] | np.ndarray, logits: np.ndarray,
                  temperature: float, **extra: Any) -> dict:
    logits = np.asarray(logits, dtype=np.float64)
    probs = softmax(logits, temperature)
    rows = [[str(i), g if isinstance(g, int) else str(g), int(y), [float(v) for v in lg],
             [round(float(v), 4) for v in p]] for i, g, y, lg, p in zip(ids, groups, labels, logits, probs)]
    return {"temperature": float(temperature), "aucFrom": "uncalibrated", **extra, "rows": rows}


def fused_section(ids: Sequence[str], groups: Sequence, labels: Sequence[int] | np.ndarray, fused: np.ndarray,
                  fusion: Mapping[str, Any]) -> dict:
    rows = [[str(i), g if isinstance(g, int) else str(g), int(y), None, [round(float(v), 4) for v in p]]
            for i, g, y, p in zip(ids, groups, labels, fused)]
    return {"fusion": dict(fusion), "aucFrom": "calibrated", "rows": rows}


def document(pack_id: str, sets: dict[str, dict]) -> dict:
    """`sets`: name → {"classes": [...], "dataset": str, "models": {name: section}}."""
    return {"format": FORMAT, "formatVersion": 1, "pack": pack_id, "bootstrap": BOOTSTRAP,
            "about": __doc__.split("\n\n")[1].replace("\n", " "), "sets": sets}


def _fused_probs(models: Mapping[str, dict], fused: dict, calibrated: bool = True) -> np.ndarray:
    """The fused probabilities of `fused`'s rows from the member modalities' logits (with each
    modality's temperature, or without: `calibrated` False)."""
    probs = {}
    for m, sec in models.items():
        if m == "fused":
            continue
        pos = {r[0]: r[3] for r in sec["rows"]}
        logits = np.array([pos[r[0]] for r in fused["rows"]], dtype=np.float64)
        probs[m] = softmax(logits, sec["temperature"] if calibrated else 1.0)
    out = fuse(fused["fusion"], probs)
    assert out is not None
    return out


def recompute(doc: dict) -> dict[str, dict[str, dict]]:
    """set → model → the report classification_report gives for those predictions."""
    if doc.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} file")
    out: dict[str, dict[str, dict]] = {}
    for name, s in doc["sets"].items():
        out[name] = {}
        for model, sec in s["models"].items():
            labels = np.array([r[2] for r in sec["rows"]], dtype=np.int64)
            groups = [r[1] for r in sec["rows"]]
            if model == "fused":
                probs = _fused_probs(s["models"], sec)
                before = _fused_probs(s["models"], sec, calibrated=False)
            else:
                logits = np.array([r[3] for r in sec["rows"]], dtype=np.float64)
                probs, before = softmax(logits, sec["temperature"]), softmax(logits)
            stored = np.array([r[4] for r in sec["rows"]], dtype=np.float64)
            if np.abs(stored - probs).max(initial=0) > 6e-5:
                raise ValueError(f"{name}/{model}: the stored probabilities do not follow from the logits")
            out[name][model] = classification_report(
                labels, probs, sec.get("classes", s["classes"]), before, n_boot=doc["bootstrap"]["resamples"],
                seed=doc["bootstrap"]["seed"], groups=groups, auc_from=sec["aucFrom"])
    return out


def _compare(where: str, stated: Any, computed: Any, problems: list[str]) -> None:
    if isinstance(stated, (int, float)) and isinstance(computed, (int, float)):
        if abs(stated - computed) > 1e-9:
            problems.append(f"{where}: stated {stated}, recomputed {computed}")
    elif isinstance(stated, list) and isinstance(computed, list) and len(stated) == len(computed):
        for i, (a, b) in enumerate(zip(stated, computed)):
            _compare(f"{where}[{i}]", a, b, problems)
    elif stated != computed:
        problems.append(f"{where}: stated {stated}, recomputed {computed}")


def _compare_entry(where: str, stated: dict, computed: dict, problems: list[str], keys=MANIFEST_KEYS) -> None:
    for k in keys:
        _compare(f"{where}.{k}", stated.get(k), computed.get(k), problems)
    for c, pc in (stated.get("perClass") or {}).items():
        for k in ("auc", "aucCi95", "sensitivity", "specificity", "n"):
            _compare(f"{where}.perClass.{c}.{k}", pc.get(k), computed["perClass"][c].get(k), problems)
    if "ece" in stated:
        _compare(f"{where}.ece", [stated["ece"]["before"], stated["ece"]["after"]],
                 [computed["ece"]["before"], computed["ece"]["after"]], problems)


def check_pack(pack_dir: Path, doc: dict) -> list[str]:
    """Every figure the manifest and MODEL_CARD.md state that `doc` can give, recomputed and compared;
    returns the disagreements (empty: all recomputed exactly)."""
    from .build_pack import metrics_entry
    from .model_card import metrics_table, other_sets_rows, stage1_lines

    manifest = json.loads((pack_dir / "manifest.json").read_text())
    card = (pack_dir / "MODEL_CARD.md").read_text()
    classes = [c["id"] for c in manifest["classes"]]
    got = recompute(doc)
    problems: list[str] = []
    by_mod = {e["modality"]: e for e in manifest["metrics"]}
    test = got.get("test", {})
    if set(test) != set(by_mod):
        problems.append(f"manifest metrics cover {sorted(by_mod)}, the predictions {sorted(test)}")
    for m, rep in test.items():
        if m in by_mod:
            _compare_entry(f"manifest metrics {m}", by_mod[m], rep, problems)
    ablation = got.get("ablation", {})
    for m, rep in ablation.items():
        stated = by_mod.get(m, {}).get("ablationWithoutStage1")
        if stated is None:
            problems.append(f"manifest metrics {m}: no ablationWithoutStage1 for the ablation predictions")
        else:
            _compare_entry(f"manifest ablation {m}", stated, rep, problems, ("macroAuc", "macroAucCi95", "accuracy"))
    s1 = manifest.get("training", {}).get("stage1Check", {})
    for task, rep in got.get("stage1", {}).items():
        _compare_entry(f"manifest stage1Check {task}", s1.get(task, {}), rep, problems,
                       ("n", "macroAuc", "macroAucCi95", "accuracy"))
    others = manifest.get("training", {}).get("otherTestSets", {})
    for name, models in got.items():
        if name in ("test", "ablation", "stage1"):
            continue
        for m, rep in models.items():
            _compare_entry(f"manifest otherTestSets {name} {m}", others.get(name, {}).get(m, {}), rep, problems,
                           ("n", "macroAuc", "macroAucCi95", "accuracy"))

    # The card: its tables and lines, rendered from the recomputed reports, must appear verbatim.
    def entries(models: dict[str, dict]) -> list[dict]:
        return [metrics_entry(m, r, "") for m, r in models.items()]

    expected = metrics_table(entries(test), classes)[2:] + metrics_table(entries(ablation), classes)[2:]
    s1_check = {task: {"dataset": task.upper(), **r} for task, r in got.get("stage1", {}).items()}
    expected += stage1_lines(s1_check)
    expected += other_sets_rows({n: got[n] for n in got if n not in ("test", "ablation", "stage1")},
                                {n: doc["sets"][n].get("dataset", n) for n in doc["sets"]})
    for line in expected:
        if line not in card:
            problems.append(f"MODEL_CARD.md lacks the recomputed line: {line}")
    return problems
