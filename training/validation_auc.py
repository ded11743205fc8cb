"""Macro AUC per modality (and `fused`) of a per-case table exported by the app's validation view,
recomputed with scikit-learn: `python3 -m training.validation_auc table.csv` prints JSON
{group: macro AUC or null}. The browser test compares it with the AUCs the view displayed."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score


def macro_aucs(path: Path) -> dict[str, float | None]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    classes = [h[2:] for h in header[4:-1]]
    out: dict[str, float | None] = {}
    for group in dict.fromkeys(r[2] for r in rows):
        mine = [r for r in rows if r[2] == group]
        labels = np.array([classes.index(r[3]) for r in mine])
        probs = np.array([[float(x) for x in r[4:-1]] for r in mine])
        if len(set(labels.tolist())) < len(classes):
            out[group] = None  # a class without cases: the app calls the macro AUC undefined
            continue
        # One-vs-rest per class, averaged: the app's definition (no renormalisation of the rows).
        aucs = [roc_auc_score(labels == k, probs[:, k]) for k in range(len(classes))]
        out[group] = float(np.mean(aucs))
    return out


if __name__ == "__main__":
    json.dump(macro_aucs(Path(sys.argv[1])), sys.stdout)
    sys.stdout.write("\n")
