"""Fusion of per-modality probabilities by a model pack's rule (docs/model-pack.md, "Fusion"):
the rule the app applies (src/analysis/fusion.ts), so the fused metrics a pack reports describe
what the app computes. tests/fixtures/fusion-cases.json holds cases both implementations pass."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

MEAN: dict[str, Any] = {"method": "mean"}


class FusionError(ValueError):
    pass


def weight(spec: Mapping[str, Any], modality: str) -> float:
    """`mean` weighs every modality 1; `weighted-mean` uses the manifest's weights, 0 if absent."""
    method = spec.get("method")
    if method == "mean":
        return 1.0
    if method == "weighted-mean":
        return float(spec["weights"].get(modality, 0))
    raise FusionError(f"unknown fusion method {method!r}")


def fuse(spec: Mapping[str, Any], probabilities: Mapping[str, np.ndarray]) -> np.ndarray | None:
    """Weighted mean of the modalities' probabilities (last axis: classes; leading axes, e.g.
    cases, are kept), weights renormalised over the modalities present. None when there are none."""
    if not probabilities:
        return None
    arrays = {m: np.asarray(p, dtype=np.float64) for m, p in probabilities.items()}
    shapes = {a.shape for a in arrays.values()}
    if len(shapes) != 1:
        raise FusionError(f"modalities disagree on the number of classes: {sorted(shapes)}")
    weights = {m: weight(spec, m) for m in arrays}
    total = sum(weights.values())
    if total <= 0:
        raise FusionError("none of the analysed modalities has a positive fusion weight")
    out = np.zeros(shapes.pop(), dtype=np.float64)
    for m, a in arrays.items():
        out += (weights[m] / total) * a
    return out


def describe(spec: Mapping[str, Any]) -> str:
    """One line for metrics entries and logs: what the fused numbers were computed by."""
    if spec.get("method") == "weighted-mean":
        ws = ", ".join(f"{m} {w:g}" for m, w in spec["weights"].items())
        return f"weighted mean of calibrated probabilities ({ws})"
    return "mean of calibrated probabilities"
