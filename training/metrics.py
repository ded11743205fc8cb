"""Evaluation metrics in plain NumPy (no scikit-learn here): ROC AUC, bootstrap CIs, ECE."""

from __future__ import annotations

import numpy as np


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _average_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks with ties given their average rank (as the Mann–Whitney U statistic needs)."""
    order = np.argsort(x, kind="mergesort")
    sx = x[order]
    ranks = np.empty(len(x), dtype=np.float64)
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and sx[j + 1] == sx[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks


def roc_auc(positive: np.ndarray, score: np.ndarray) -> float:
    """Binary ROC AUC = P(score_pos > score_neg) + ½ P(tie); NaN when a class is absent."""
    positive = positive.astype(bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    r = _average_ranks(score.astype(np.float64))
    return float((r[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def one_vs_rest_aucs(labels: np.ndarray, probs: np.ndarray) -> list[float]:
    return [roc_auc(labels == k, probs[:, k]) for k in range(probs.shape[1])]


def macro_auc(labels: np.ndarray, probs: np.ndarray) -> float:
    return float(np.nanmean(one_vs_rest_aucs(labels, probs)))


def bootstrap_ci(
    labels: np.ndarray,
    probs: np.ndarray,
    stat=macro_auc,
    n_boot: int = 1000,
    seed: int = 1234,
    groups: np.ndarray | None = None,
) -> tuple[float, float] | None:
    """Percentile 95% CI (see `bootstrap`); None when fewer than 95 % of the resamples are usable."""
    r = bootstrap(labels, probs, stat, n_boot, seed, groups)
    return r["ci95"]


def bootstrap(
    labels: np.ndarray,
    probs: np.ndarray,
    stat=macro_auc,
    n_boot: int = 1000,
    seed: int = 1234,
    groups: np.ndarray | None = None,
) -> dict:
    """Stratified group bootstrap: whole groups (patients; each image its own group when `groups`
    is None) are resampled with replacement within strata of their majority label, each stratum
    keeping its number of groups. Images of one patient are not independent, so they stay together;
    stratifying keeps every class that is some group's majority in every resample, so no resample is
    dropped for a missing class. A class present only as a minority in mixed groups can still be
    missing: such resamples (stat NaN) are counted in `skipped`, never dropped silently, and the CI
    is withheld (None) when more than 5 % are skipped."""
    rng = np.random.default_rng(seed)
    if groups is None:
        groups = np.arange(len(labels))
    uniq, inverse = np.unique(np.asarray(groups), return_inverse=True)
    members = [np.nonzero(inverse == g)[0] for g in range(len(uniq))]
    majority = np.array([np.bincount(labels[m]).argmax() for m in members])
    strata = [np.nonzero(majority == c)[0] for c in np.unique(majority)]
    vals: list[float] = []
    skipped = 0
    n_present = len(np.unique(labels))
    for _ in range(n_boot):
        pick = np.concatenate([rng.choice(s, len(s)) for s in strata])
        idx = np.concatenate([members[g] for g in pick])
        # A resample missing a class would give a macro AUC over fewer classes (nanmean): not comparable.
        v = stat(labels[idx], probs[idx]) if len(np.unique(labels[idx])) == n_present else float("nan")
        if np.isfinite(v):
            vals.append(v)
        else:
            skipped += 1
    ci = None
    if vals and skipped <= 0.05 * n_boot:
        lo, hi = np.percentile(vals, [2.5, 97.5])
        ci = (float(lo), float(hi))
    return {"ci95": ci, "resamples": n_boot, "skipped": skipped, "groups": len(uniq)}


def confusion_matrix(labels: np.ndarray, preds: np.ndarray, k: int) -> np.ndarray:
    """Rows = true class, columns = predicted class."""
    cm = np.zeros((k, k), dtype=np.int64)
    np.add.at(cm, (labels, preds), 1)
    return cm


def expected_calibration_error(labels: np.ndarray, probs: np.ndarray, bins: int = 15) -> float:
    """Top-label ECE with equal-width confidence bins."""
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(np.float64)
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            ece += m.mean() * abs(correct[m].mean() - conf[m].mean())
    return float(ece)


def classification_report(
    labels: np.ndarray,
    probs: np.ndarray,
    class_ids: list[str],
    probs_uncalibrated: np.ndarray | None = None,
    n_boot: int = 1000,
    seed: int = 1234,
    groups: np.ndarray | list | None = None,
    auc_from: str = "uncalibrated",
) -> dict:
    """Everything the manifest and model card report, for one set of predictions.

    `probs` are the calibrated probabilities (accuracy, sensitivity/specificity, calibrated ECE).
    AUCs come from `probs_uncalibrated` (softmax of the raw logits) when given and `auc_from` is
    "uncalibrated": argmax and binary ranking do not depend on the temperature, but with three
    classes the one-vs-rest ranking of p_k = softmax(z / T)_k across images does, so an AUC of
    calibrated probabilities would move with a temperature fitted on the validation split. Fused
    scores have no single logit vector; their AUC is of the fused probabilities (`auc_from`
    "calibrated"), which is what the app shows. `groups` (patient ids) are resampled as units by the
    bootstrap."""
    k = len(class_ids)
    before = probs_uncalibrated if probs_uncalibrated is not None else probs
    scores = before if auc_from == "uncalibrated" else probs
    preds = probs.argmax(axis=1)
    cm = confusion_matrix(labels, preds, k)
    aucs = one_vs_rest_aucs(labels, scores)
    g = None if groups is None else np.asarray(groups)

    def ci(r: dict) -> list[float] | None:
        return None if r["ci95"] is None else [round(r["ci95"][0], 4), round(r["ci95"][1], 4)]

    per_class = {}
    for c, cid in enumerate(class_ids):
        tp = cm[c, c]
        fn = cm[c].sum() - tp
        fp = cm[:, c].sum() - tp
        tn = cm.sum() - tp - fn - fp
        b = bootstrap(labels, scores, lambda y, p, c=c: roc_auc(y == c, p[:, c]), n_boot, seed, g)
        per_class[cid] = {
            "auc": round(aucs[c], 4),
            "aucCi95": ci(b),
            "sensitivity": round(float(tp / max(1, tp + fn)), 4),
            "specificity": round(float(tn / max(1, tn + fp)), 4),
            "n": int(cm[c].sum()),
            "bootstrapSkipped": b["skipped"],
        }
    b = bootstrap(labels, scores, macro_auc, n_boot, seed, g)
    return {
        "n": int(len(labels)),
        "macroAuc": round(macro_auc(labels, scores), 4),
        "macroAucCi95": ci(b),
        "aucFrom": auc_from if probs_uncalibrated is not None else "calibrated",
        "bootstrap": {"resamples": b["resamples"], "skipped": b["skipped"], "groups": b["groups"],
                      "unit": "image" if groups is None else "patient",
                      "method": "stratified by majority class, percentile 95 % CI"},
        "accuracy": round(float((preds == labels).mean()), 4),
        "perClass": per_class,
        "confusionMatrix": cm.tolist(),
        "ece": {
            "before": round(expected_calibration_error(labels, before), 4),
            "after": round(expected_calibration_error(labels, probs), 4),
        },
    }
