import itertools

import numpy as np
import torch

from training.calibration import fit_temperature
from training.metrics import (bootstrap_ci, classification_report, expected_calibration_error, macro_auc, roc_auc,
                              softmax)


def _auc_bruteforce(pos: np.ndarray, score: np.ndarray) -> float:
    p, n = score[pos], score[~pos]
    wins = sum((a > b) + 0.5 * (a == b) for a, b in itertools.product(p, n))
    return wins / (len(p) * len(n))


def test_auc_matches_pairwise_definition_with_ties() -> None:
    rng = np.random.default_rng(0)
    for _ in range(5):
        y = rng.integers(0, 2, 40).astype(bool)
        s = np.round(rng.normal(size=40), 1)  # rounding creates ties
        assert roc_auc(y, s) == _auc_bruteforce(y, s)


def test_macro_auc_and_bootstrap() -> None:
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1, 2], 50)
    logits = rng.normal(size=(150, 3)) + 2.0 * np.eye(3)[y]
    p = softmax(logits)
    auc = macro_auc(y, p)
    ci = bootstrap_ci(y, p, n_boot=200)
    assert ci is not None
    lo, hi = ci
    assert 0.8 < auc < 1.0 and lo < auc < hi


def test_report_fields() -> None:
    y = np.array([0, 1, 2, 0, 1, 2])
    p = np.eye(3)[[0, 1, 2, 0, 2, 2]] * 0.8 + 0.2 / 3
    r = classification_report(y, p, ["a", "b", "c"], n_boot=50)
    assert r["confusionMatrix"] == [[2, 0, 0], [0, 1, 1], [0, 0, 2]]
    assert r["perClass"]["b"]["sensitivity"] == 0.5 and r["perClass"]["c"]["specificity"] == 0.75
    assert r["accuracy"] == round(5 / 6, 4)


def test_ece_of_perfectly_calibrated_is_small_and_temperature_recovers_scale() -> None:
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(4000, 3)) * 3
    y = np.array([rng.choice(3, p=pr) for pr in softmax(logits)])
    assert expected_calibration_error(y, softmax(logits)) < 0.03
    t = fit_temperature(torch.tensor(logits * 2.5), torch.tensor(y))
    assert abs(t - 2.5) < 0.25
