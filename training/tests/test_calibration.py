"""Temperature fits that would ship nonsense are refused; AUCs do not depend on the temperature."""

import numpy as np
import torch

from training.calibration import calibrate, fit_temperature
from training.metrics import classification_report, macro_auc, softmax


def test_a_normal_fit_is_kept() -> None:
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(3000, 3)) * 3
    y = np.array([rng.choice(3, p=pr) for pr in softmax(logits)])
    fit = calibrate(torch.tensor(logits * 2.0), torch.tensor(y))
    assert fit.status == "ok" and abs(fit.temperature - 2.0) < 0.2


def test_uninformative_logits_are_refused_not_clamped_to_uniform() -> None:
    """Logits unrelated to the labels drive T to infinity; the old code clamped at 100, which made
    every output ~33/33/33. Now the fit is refused and T = 1 is shipped, with the reason."""
    rng = np.random.default_rng(0)
    logits = torch.tensor(rng.normal(size=(90, 3)) * 4)
    y = torch.tensor(np.repeat([0, 1, 2], 30))
    fit = calibrate(logits, y)
    assert fit.status == "refused" and fit.temperature == 1.0 and "infinity" in fit.reason
    assert fit_temperature(logits, y) == 1.0
    probs = softmax(logits.numpy(), fit_temperature(logits, y))
    assert probs.max(axis=1).mean() > 0.5  # not the ~0.34 of a clamped T = 100


def test_perfectly_separated_and_tiny_validation_sets_are_refused() -> None:
    y = torch.tensor(np.repeat([0, 1, 2], 10))
    separated = torch.eye(3)[y] * 8.0
    fit = calibrate(separated, y)
    assert fit.status == "refused" and "separated" in fit.reason and fit.temperature == 1.0
    fit = calibrate(torch.randn(7, 3), torch.tensor([0, 0, 1, 1, 0, 1, 0]), num_classes=3)
    assert fit.status == "refused" and "per class" in fit.reason and fit.fitted is None
    assert fit.record()["status"] == "refused"


def test_reported_aucs_do_not_depend_on_the_temperature() -> None:
    """With three classes, the one-vs-rest AUC of softmax(z / T) does move with T (so an AUC of
    calibrated probabilities depends on the fitted temperature); the report takes AUCs from the
    uncalibrated logits, so they do not."""
    rng = np.random.default_rng(5)
    y = np.repeat([0, 1, 2], 40)
    z = rng.normal(size=(120, 3)) * 2 + 1.2 * np.eye(3)[y]
    assert abs(macro_auc(y, softmax(z, 0.2)) - macro_auc(y, softmax(z, 5.0))) > 1e-3
    reports = [classification_report(y, softmax(z, t), ["a", "b", "c"], softmax(z), n_boot=20) for t in (0.2, 1, 5)]
    assert len({r["macroAuc"] for r in reports}) == 1
    assert len({r["perClass"]["b"]["auc"] for r in reports}) == 1
    assert reports[0]["aucFrom"] == "uncalibrated"
    assert reports[0]["macroAuc"] == round(macro_auc(y, softmax(z)), 4)
