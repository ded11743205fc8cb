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


def test_bootstrap_resamples_patients_not_images() -> None:
    """Ten images per patient: resampling images treats them as independent and gives a CI far too
    narrow; resampling patients gives the honest one."""
    from training.metrics import bootstrap

    rng = np.random.default_rng(3)
    y_pat = np.repeat([0, 1, 2], 6)
    z_pat = rng.normal(size=(18, 3)) + 1.0 * np.eye(3)[y_pat]
    y = np.repeat(y_pat, 10)
    z = np.repeat(z_pat, 10, axis=0) + rng.normal(size=(180, 3)) * 0.05
    groups = np.repeat(np.arange(18), 10)
    per_image = bootstrap(y, softmax(z), n_boot=300)
    per_patient = bootstrap(y, softmax(z), n_boot=300, groups=groups)
    assert per_patient["groups"] == 18 and per_image["groups"] == 180
    assert per_image["ci95"] is not None and per_patient["ci95"] is not None
    width = lambda r: r["ci95"][1] - r["ci95"][0]  # noqa: E731
    assert width(per_patient) > 2 * width(per_image)
    r = classification_report(y, softmax(z), ["a", "b", "c"], softmax(z), n_boot=100, groups=groups)
    assert r["bootstrap"]["unit"] == "patient" and r["bootstrap"]["groups"] == 18


def test_bootstrap_never_drops_resamples_silently() -> None:
    """Two images of a rare class in 30: an unstratified resample misses it about (28/30)^30 = 13 % of
    the time, and the old code skipped those resamples without a word. Stratified by class, none is
    lost; a class present only as a minority inside groups is counted in `skipped`."""
    from training.metrics import bootstrap

    y = np.array([0] * 14 + [1] * 14 + [2] * 2)
    p = softmax(np.random.default_rng(1).normal(size=(30, 3)) + np.eye(3)[y])
    r = bootstrap(y, p, n_boot=400)
    assert r["skipped"] == 0 and r["ci95"] is not None
    # Class 2 only inside groups whose majority is class 0: resamples without it are counted.
    groups = np.array(list(range(28)) + [0, 1])
    y2 = y.copy()
    y2[0] = y2[1] = 0
    r2 = bootstrap(y2, p, n_boot=400, groups=groups)
    assert r2["skipped"] > 0 and r2["skipped"] + 0 <= 400
    if r2["skipped"] > 20:
        assert r2["ci95"] is None  # withheld, never a CI from a biased subset
