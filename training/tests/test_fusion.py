"""Python fusion on the fixture the app's fusion also passes (tests/fixtures/fusion-cases.json),
and stage 2's fused metrics computed by the pack's rule."""

import json

import numpy as np
import pytest
import torch

from training.fusion import FusionError, fuse
from training.metrics import classification_report, softmax
from training.stage2 import ModalityResult, fused_report
from training.tests.conftest import REPO

CASES = json.loads((REPO / "tests" / "fixtures" / "fusion-cases.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_fixture(case: dict) -> None:
    probs = {m: np.array(p) for m, p in case["probabilities"].items()}
    if "error" in case:
        with pytest.raises(FusionError):
            fuse(case["spec"], probs)
        return
    got = fuse(case["spec"], probs)
    if case["fused"] is None:
        assert got is None
        return
    assert got is not None and got.shape == (len(case["fused"]),)
    assert np.max(np.abs(got - np.array(case["fused"]))) <= 1e-12


def test_batches_of_cases_fuse_row_by_row() -> None:
    rng = np.random.default_rng(0)
    spec = {"method": "weighted-mean", "weights": {"bmode": 1, "cdfi": 3}}
    probs = {m: softmax(rng.normal(size=(5, 3))) for m in ("bmode", "cdfi")}
    got = fuse(spec, probs)
    assert got is not None
    for i in range(5):
        row = fuse(spec, {m: p[i] for m, p in probs.items()})
        assert row is not None and np.allclose(got[i], row)


def _result(modality: str, logits: np.ndarray, labels: np.ndarray, cases: list[str], t: float) -> ModalityResult:
    return ModalityResult(modality, torch.nn.Identity(), t, logits, labels, cases, [], torch.zeros(0), {}, 0.0)


def test_fused_report_follows_the_pack_rule() -> None:
    """A zero weight on cdfi makes the fused score bmode's own, which a plain mean would not be;
    cases missing from one modality are left out, and each modality's temperature applies."""
    rng = np.random.default_rng(1)
    labels = np.array([0, 1, 2] * 4)
    cases = [f"c{i}" for i in range(12)]
    bmode = rng.normal(size=(12, 3)) + 2 * np.eye(3)[labels]
    cdfi = rng.normal(size=(12, 3))
    results = [_result("bmode", bmode, labels, cases, 1.5),
               _result("cdfi", cdfi[::-1][1:], labels[::-1][1:], cases[::-1][1:], 0.8)]
    spec = {"method": "weighted-mean", "weights": {"bmode": 1, "cdfi": 0}}
    common = sorted(cases[:-1])  # cdfi lacks the last case
    idx = [cases.index(c) for c in common]
    # Fused AUC is of the fused calibrated probabilities (what the app shows); cases are the bootstrap units.
    want = classification_report(labels[idx], softmax(bmode[idx], 1.5), ["a", "b", "c"], softmax(bmode[idx]),
                                 groups=common, auc_from="calibrated")
    got = fused_report(results, ["a", "b", "c"], spec)
    assert got["fusion"] == spec
    assert {k: v for k, v in got.items() if k != "fusion"} == want
    plain = fused_report(results, ["a", "b", "c"])
    assert plain["fusion"] == {"method": "mean"}
    assert {k: v for k, v in plain.items() if k != "fusion"} != want
