"""Writes tests/fixtures/input-check-cases.json: the input-check arithmetic (gate, Mahalanobis,
verdict, colour statistics) computed by training/input_gate.py, which the app's TypeScript must
reproduce (tests/unit/analysis/input-check.test.ts) and pytest re-checks (test_input_gate.py).

    /usr/bin/python3 -m training.tests.make_input_check_fixture
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..input_gate import (COLOUR_FEATURES, GateHead, colour_features, fit_ood, mahalanobis, read_sidecar, sidecar,
                          verdict)

FIXTURE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "input-check-cases.json"


def build(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    d = 6
    train = rng.normal(size=(40, d)) * np.array([3, 2, 1, 1, 0.5, 0.5]) + 1
    ood = fit_ood(train, components=3)
    ood.threshold = 12.0
    gate = GateHead(weights=rng.normal(size=(4, d + len(COLOUR_FEATURES))), bias=rng.normal(size=4),
                    min_probability=0.6)
    doc = json.loads(json.dumps(sidecar(gate, ood, "bmode", {"about": "shared arithmetic fixture"})))
    tmp = FIXTURE.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc))
    gate, ood = read_sidecar(tmp)  # the rounded parameters, as the app reads them
    tmp.unlink()
    feats = np.round(np.vstack([train[:3], rng.normal(size=(3, d)) * 6, np.zeros((1, d))]), 6)
    colour = np.round(rng.uniform(0, 1, size=(len(feats), len(COLOUR_FEATURES))), 6)
    x = np.hstack([feats, colour])
    cases = []
    for slot in ("bmode", "cdfi"):
        for f, c, p, dist, v in zip(feats, colour, gate.probabilities(x), mahalanobis(ood, feats),
                                    verdict(gate, ood, feats, colour, slot)):
            cases.append({"slot": slot, "features": f.tolist(), "colour": c.tolist(), "gate": p.tolist(),
                          "distance": float(dist), "verdict": v})
    images = [rng.integers(0, 256, (5, 7, 3), dtype=np.uint8),
              np.array([[[200, 200, 10], [10, 200, 200], [200, 10, 200], [250, 60, 60]],
                        [[60, 60, 250], [60, 250, 60], [90, 90, 90], [0, 0, 0]]], dtype=np.uint8)]
    colour_cases = [{"width": int(im.shape[1]), "height": int(im.shape[0]), "rgb": im.reshape(-1).tolist(),
                     "expected": colour_features(im).tolist()} for im in images]
    return {
        "about": "Input-check arithmetic shared by vitest (src/analysis/input-check.ts, "
                 "src/imaging/colour-features.ts) "
                 "and pytest (training/input_gate.py); written by training/tests/make_input_check_fixture.py.",
        "params": doc, "cases": cases, "colourCases": colour_cases,
    }


def covering() -> dict:
    """The first seed whose cases reach every learned verdict."""
    for seed in range(100):
        doc = build(seed)
        if {c["verdict"] for c in doc["cases"]} == {"ok", "not-ultrasound", "wrong-modality", "out-of-distribution"}:
            return doc
    raise RuntimeError("no seed covers every verdict")


if __name__ == "__main__":
    FIXTURE.write_text(json.dumps(covering(), indent=1) + "\n")
    print(f"wrote {FIXTURE}")
