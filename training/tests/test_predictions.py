"""test-predictions.json: the figures the pipeline reports are recomputed exactly from the stored rows
(logits rounded as the pipeline rounds them, patients resampled as the pipeline resamples them)."""

import numpy as np
import pytest
import torch

from training.export.predictions import document, model_section, recompute
from training.fusion import MEAN
from training.metrics import classification_report, softmax
from training.rebuild_steps import held_out_sections
from training.stage2 import ModalityResult, fused_report

CLASSES = ["metastatic", "lymphoma", "benign"]


def _results(n: int = 60, seed: int = 0) -> list[ModalityResult]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    cases = [f"case-{i:03d}" for i in range(n)]
    groups = [f"patient-{i // 2}" for i in range(n)]  # two nodes per patient: resampled together
    out = []
    for k, m in enumerate(("bmode", "cdfi", "elastography")):
        logits = np.round(rng.normal(0, 1.5, (n, 3)) + 2.0 * np.eye(3)[labels] * (k + 1) / 3, 5)
        t = 0.7 + 0.3 * k
        report = classification_report(labels, softmax(logits, t), CLASSES, softmax(logits), groups=groups)
        order = rng.permutation(n)  # each modality lists its cases in its own order
        out.append(ModalityResult(m, torch.nn.Identity(), t, logits[order], labels[order], [cases[i] for i in order],
                                  [], torch.zeros(0), report, 0.0, test_groups=[groups[i] for i in order]))
    return out


def test_recomputed_reports_equal_the_pipelines() -> None:
    results = _results()
    doc = document("p", {"test": {"classes": CLASSES, "models": held_out_sections(results, weights=False)}})
    got = recompute(doc)["test"]
    for r in results:
        want = classification_report(r.test_labels, softmax(r.test_logits, r.temperature), CLASSES,
                                     softmax(r.test_logits), groups=r.test_groups)
        assert got[r.modality] == want
    assert got["fused"] == {k: v for k, v in fused_report(results, CLASSES).items() if k != "fusion"}
    assert got["fused"]["bootstrap"]["groups"] == 30 and got["fused"]["bootstrap"]["unit"] == "patient"


def test_integer_groups_and_per_model_classes_survive_the_json_round_trip() -> None:
    import json

    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 40)
    logits = np.round(rng.normal(0, 1, (40, 2)) + np.eye(2)[labels], 5)
    groups = [int(g) for g in rng.integers(0, 25, 40)]  # stage 1's near-duplicate components are integers
    sec = model_section([f"img{i}" for i in range(40)], groups, labels, logits, 1.3, classes=["le3", "ge4"])
    doc = json.loads(json.dumps(document("p", {"stage1": {"classes": [], "models": {"ddti": sec}}})))
    want = classification_report(labels, softmax(logits, 1.3), ["le3", "ge4"], softmax(logits), groups=groups)
    assert recompute(doc)["stage1"]["ddti"] == want


def test_a_changed_probability_or_format_is_refused() -> None:
    results = _results(n=12)
    doc = document("p", {"test": {"classes": CLASSES, "models": held_out_sections(results, fusion=MEAN)}})
    doc["sets"]["test"]["models"]["fused"]["rows"][3][4][1] += 0.001
    with pytest.raises(ValueError, match="fused: the stored probabilities"):
        recompute(doc)
    with pytest.raises(ValueError, match="not a lymphscope-test-predictions"):
        recompute({**doc, "format": "other"})
