"""The app's validation numbers (src/validation) recomputed from its exported per-case table by an
independent implementation: scikit-learn for ROC curves, AUCs and confusion matrices, NumPy for
the reliability bins, ECE, operating points and the patient bootstrap (whose generator, mulberry32,
is ported here). The table and the app's numbers are tests/fixtures/validation-cases.csv and
validation-expected.json (written by tests/fixtures/make-validation-fixture.ts)."""

from __future__ import annotations

import csv
import json
from typing import Any, Callable

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, roc_auc_score, roc_curve

from training.tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures"
EXPECTED: dict[str, Any] = json.loads((FIXTURES / "validation-expected.json").read_text())
CLASSES: list[str] = EXPECTED["classes"]
GROUPS = list(EXPECTED["results"])
TOL = 1e-9


class Rows:
    def __init__(self, labels: np.ndarray, probs: np.ndarray, patients: list[str]) -> None:
        self.labels = labels
        self.probs = probs
        self.patients = patients


def read_table() -> dict[str, Rows]:
    with open(FIXTURES / "validation-cases.csv", newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        assert header == ["path", "patient_id", "modality", "true_class", *[f"p_{c}" for c in CLASSES], "verdict"]
        rows = list(reader)
    out: dict[str, Rows] = {}
    for group in GROUPS:
        mine = [r for r in rows if r[2] == group]
        probs = np.array([[float(x) for x in r[4:-1]] for r in mine])
        labels = np.array([CLASSES.index(r[3]) for r in mine])
        # The verdict column is the argmax class, first maximum on ties.
        assert [r[-1] for r in mine] == [CLASSES[k] for k in probs.argmax(axis=1)]
        out[group] = Rows(labels, probs, [r[1] for r in mine])
    return out


TABLE = read_table()


def close(a: Any, b: Any) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= TOL))


@pytest.mark.parametrize("group", GROUPS)
def test_roc_curves_and_aucs_match_scikit_learn(group: str) -> None:
    t, exp = TABLE[group], EXPECTED["results"][group]
    for k in range(len(CLASSES)):
        fpr, tpr, thresholds = roc_curve(t.labels == k, t.probs[:, k])
        # The first threshold is "above every score" (+inf, or max + 1 before scikit-learn 1.3).
        assert close(fpr, exp["roc"][k]["fpr"]) and close(tpr, exp["roc"][k]["tpr"])
        assert close(thresholds[1:], exp["roc"][k]["thresholds"])
        assert abs(roc_auc_score(t.labels == k, t.probs[:, k]) - exp["classAuc"][k]) <= TOL
    macro = roc_auc_score(t.labels, t.probs, multi_class="ovr", average="macro", labels=list(range(len(CLASSES))))
    assert abs(macro - exp["macroAuc"]) <= TOL


@pytest.mark.parametrize("group", GROUPS)
def test_confusion_matrix_and_rates_match_scikit_learn(group: str) -> None:
    t, exp = TABLE[group], EXPECTED["results"][group]
    cm = confusion_matrix(t.labels, t.probs.argmax(axis=1), labels=list(range(len(CLASSES))))
    assert cm.tolist() == exp["confusion"]
    total = cm.sum()
    for k, rates in enumerate(exp["rates"]):
        tp = cm[k, k]
        fn = cm[k].sum() - tp
        fp = cm[:, k].sum() - tp
        tn = total - tp - fn - fp
        expected = [rates[x] for x in ("sensitivity", "specificity", "ppv", "npv")]
        assert close([tp / (tp + fn), tn / (tn + fp), tp / (tp + fp), tn / (tn + fn)], expected)


@pytest.mark.parametrize("group", GROUPS)
def test_reliability_bins_and_ece(group: str) -> None:
    t, exp = TABLE[group], EXPECTED["results"][group]
    m = len(exp["reliability"])
    conf = t.probs.max(axis=1)
    correct = t.probs.argmax(axis=1) == t.labels
    # Bin b holds (b/M, (b+1)/M]: the number of inner edges j/M strictly below the confidence.
    edges = np.arange(1, m) / m
    bins = (edges[None, :] < conf[:, None]).sum(axis=1)
    ece = 0.0
    for b, expected_bin in enumerate(exp["reliability"]):
        sel = bins == b
        assert int(sel.sum()) == expected_bin["count"]
        if sel.any():
            got = [conf[sel].mean(), correct[sel].mean()]
            assert close(got, [expected_bin["confidence"], expected_bin["accuracy"]])
            ece += sel.mean() * abs(correct[sel].mean() - conf[sel].mean())
    assert abs(ece - exp["ece"]) <= TOL


def mulberry32(seed: int) -> Callable[[], float]:
    """The app's generator (src/validation/bootstrap.ts), in unsigned 32-bit arithmetic."""
    state = seed & 0xFFFFFFFF

    def imul(x: int, y: int) -> int:
        return (x * y) & 0xFFFFFFFF

    def draw() -> float:
        nonlocal state
        state = (state + 0x6D2B79F5) & 0xFFFFFFFF
        t = imul(state ^ (state >> 15), state | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296

    return draw


def resample_weights(patients: list[str], n: int, seed: int) -> list[np.ndarray]:
    """Per resample, each row's weight: how often its patient was drawn (patients in sorted order)."""
    ids = sorted(set(patients))
    index = np.array([ids.index(p) for p in patients])
    rand = mulberry32(seed)
    out = []
    for _ in range(n):
        drawn = np.zeros(len(ids))
        for _ in range(len(ids)):
            drawn[int(rand() * len(ids))] += 1
        out.append(drawn[index])
    return out


def interval(values: list[float], level: float) -> tuple[float, float]:
    lo, hi = np.percentile(values, [100 * (1 - level) / 2, 100 * (1 + level) / 2])
    return float(lo), float(hi)


@pytest.mark.parametrize("group", GROUPS)
def test_bootstrap_intervals_of_the_aucs(group: str) -> None:
    t, exp, boot = TABLE[group], EXPECTED["results"][group], EXPECTED["bootstrap"]
    per_class: list[list[float]] = [[] for _ in CLASSES]
    macro: list[float] = []
    undefined = 0
    for w in resample_weights(t.patients, boot["resamples"], boot["seed"]):
        aucs = []
        for k in range(len(CLASSES)):
            pos = t.labels == k
            if w[pos].sum() == 0 or w[~pos].sum() == 0:
                continue
            keep = w > 0
            aucs.append(roc_auc_score(pos[keep], t.probs[keep, k], sample_weight=w[keep]))
            per_class[k].append(aucs[-1])
        if len(aucs) == len(CLASSES):
            macro.append(float(np.mean(aucs)))
        else:
            undefined += 1
    assert exp["macroAucCi"]["undefinedResamples"] == undefined
    assert close(interval(macro, boot["level"]), [exp["macroAucCi"]["lower"], exp["macroAucCi"]["upper"]])
    for k, values in enumerate(per_class):
        ci = exp["classAucCi"][k]
        assert close(interval(values, boot["level"]), [ci["lower"], ci["upper"]])


@pytest.mark.parametrize("index", range(len(EXPECTED["operatingPoints"])))
def test_operating_points(index: int) -> None:
    op, boot, prev = EXPECTED["operatingPoints"][index], EXPECTED["bootstrap"], EXPECTED["prevalence"]
    t = TABLE["fused"]
    positive = np.isin(t.labels, [CLASSES.index("metastatic"), CLASSES.index("lymphoma")])
    score = t.probs[:, CLASSES.index("metastatic")] + t.probs[:, CLASSES.index("lymphoma")]
    fpr, tpr, thresholds = roc_curve(positive, score, drop_intermediate=False)
    rule = op["rule"]
    if rule["kind"] == "sensitivity":
        i = int(np.argmax(tpr >= rule["target"]))
    elif rule["kind"] == "specificity":
        i = int(np.nonzero(1 - fpr >= rule["target"])[0][-1])
    else:
        i = int(np.argmax(tpr - fpr))
    assert thresholds[i] == op["threshold"]

    def rates(w: np.ndarray) -> list[float]:
        called = score >= op["threshold"]
        tp, fn = w[positive & called].sum(), w[positive & ~called].sum()
        fp, tn = w[~positive & called].sum(), w[~positive & ~called].sum()
        return [tp / (tp + fn), tn / (tn + fp), tp / (tp + fp), tn / (tn + fn)]

    sens, spec, ppv, npv = rates(np.ones(len(score)))
    assert close([sens, spec, ppv, npv], [op["sensitivity"], op["specificity"], op["ppv"], op["npv"]])
    assert abs(sens * prev / (sens * prev + (1 - spec) * (1 - prev)) - op["ppvAtPrevalence"]) <= TOL
    assert abs(spec * (1 - prev) / (spec * (1 - prev) + (1 - sens) * prev) - op["npvAtPrevalence"]) <= TOL
    samples = np.array([rates(w) for w in resample_weights(t.patients, boot["resamples"], boot["seed"])])
    for j, name in enumerate(("sensitivity", "specificity", "ppv", "npv")):
        ci = op["intervals"][name]
        assert close(interval(list(samples[:, j]), boot["level"]), [ci["lower"], ci["upper"]])


def test_the_browser_tests_recomputation_reads_the_exported_table() -> None:
    """training/validation_auc.py (which the validation view's browser test runs on the CSV it
    downloads) gives the fixture's macro AUCs from the fixture's table."""
    from training.validation_auc import macro_aucs

    got = macro_aucs(FIXTURES / "validation-cases.csv")
    for group in GROUPS:
        assert got[group] is not None and abs(got[group] - EXPECTED["results"][group]["macroAuc"]) <= TOL
