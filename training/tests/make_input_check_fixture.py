"""Writes tests/fixtures/input-check-cases.json: the input-check arithmetic (gate, both Mahalanobis
distances, verdict, colour and texture statistics) computed by training/input_gate.py, which the
app's TypeScript must reproduce (tests/unit/analysis/input-check.test.ts,
tests/unit/imaging/texture-features.test.ts) and pytest re-checks (test_input_gate.py).

    /usr/bin/python3 -m training.tests.make_input_check_fixture
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
from PIL import Image

from ..input_gate import (COLOUR_FEATURES, TEXTURE_FEATURES, TEXTURE_SLICE, GateHead, colour_features, fit_ood,
                          mahalanobis, read_sidecar, sidecar, texture_features, verdict)

FIXTURE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "input-check-cases.json"
HAND = len(COLOUR_FEATURES) + len(TEXTURE_FEATURES)


def build(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    d = 6
    train = rng.normal(size=(40, d)) * np.array([3, 2, 1, 1, 0.5, 0.5]) + 1
    ood = fit_ood(train, components=3)
    ood.threshold = 12.0
    tex_train = rng.uniform(0, 1, size=(60, len(TEXTURE_FEATURES)))
    tex = fit_ood(tex_train, components=len(TEXTURE_FEATURES) - 1)
    tex.threshold = 30.0
    gate = GateHead(weights=rng.normal(size=(4, d + HAND)), bias=rng.normal(size=4), min_probability=0.6,
                    min_probability_by={"bmode": 0.6, "cdfi": 0.97, "elastography": 0.6})
    doc = json.loads(json.dumps(sidecar(gate, ood, "bmode", {"about": "shared arithmetic fixture"}, texture_ood=tex)))
    tmp = FIXTURE.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc))
    gate, ood, read_tex = read_sidecar(tmp)  # the rounded parameters, as the app reads them
    tmp.unlink()
    assert read_tex is not None
    tex = read_tex
    feats = np.round(np.vstack([train[:4], rng.normal(size=(3, d)) * 6, np.zeros((1, d))]), 6)
    hand = rng.uniform(0, 1, size=(len(feats), HAND))
    hand[3, TEXTURE_SLICE] = 4.0  # in distribution by the pooled features, far by the texture statistics
    hand = np.round(hand, 6)
    cases = []
    for slot in ("bmode", "cdfi"):
        for f, h, p, dist, t, v in zip(feats, hand, gate.probabilities(np.hstack([feats, hand])),
                                       mahalanobis(ood, feats), mahalanobis(tex, hand[:, TEXTURE_SLICE]),
                                       verdict(gate, ood, feats, hand, slot, tex)):
            cases.append({"slot": slot, "features": f.tolist(), "handcrafted": h.tolist(), "gate": p.tolist(),
                          "distance": float(dist), "textureDistance": float(t), "verdict": v})
    images = [rng.integers(0, 256, (5, 7, 3), dtype=np.uint8),
              np.array([[[200, 200, 10], [10, 200, 200], [200, 10, 200], [250, 60, 60]],
                        [[60, 60, 250], [60, 250, 60], [90, 90, 90], [0, 0, 0]]], dtype=np.uint8)]
    colour_cases = [{"width": int(im.shape[1]), "height": int(im.shape[0]), "rgb": im.reshape(-1).tolist(),
                     "expected": colour_features(im).tolist()} for im in images]
    return {
        "about": "Input-check arithmetic shared by vitest (src/analysis/input-check.ts, "
                 "src/imaging/colour-features.ts, src/imaging/texture-features.ts) "
                 "and pytest (training/input_gate.py); written by training/tests/make_input_check_fixture.py.",
        "params": doc, "cases": cases, "colourCases": colour_cases, "textureCases": texture_cases(),
    }


def texture_images() -> dict[str, np.ndarray]:
    """Small images that reach every branch of the texture statistics: speckle with a dark band and a
    Doppler-like patch (ultrasound-like), a smooth tinted scene with edges, JPEG-recompressed
    (photograph-like), a flat black frame (no lit blocks), a strip too thin for blocks or gradients."""
    rng = np.random.default_rng(7)
    h, w = 88, 104
    envelope = rng.rayleigh(1.0, (h, w)) * np.linspace(40, 90, w)[None, :]
    speckle = np.clip(envelope, 0, 255)
    speckle[:12] = rng.uniform(0, 6, (12, w))
    us = np.repeat(speckle[..., None], 3, axis=2).astype(np.uint8)
    us[40:52, 50:62] = (230, 40, 10)
    yy, xx = np.mgrid[0:w, 0:h]
    scene = np.stack([90 + 60 * np.sin(xx / 17.0), 110 + 40 * np.cos(yy / 23.0), 80 + 0.5 * xx], axis=2)
    scene[30:60, 20:70] = (200, 180, 170)
    buf = io.BytesIO()
    Image.fromarray(np.clip(scene, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=70)
    photo = np.asarray(Image.open(buf).convert("RGB"), dtype=np.uint8)
    return {"speckle": us, "photo": photo, "black": np.zeros((16, 16, 3), np.uint8),
            "strip": rng.integers(0, 256, (1, 9, 3), dtype=np.uint8)}


def texture_cases() -> list[dict]:
    return [{"name": name, "width": int(im.shape[1]), "height": int(im.shape[0]),
             "rgb": base64.b64encode(np.ascontiguousarray(im).tobytes()).decode(),
             "expected": texture_features(im).tolist()} for name, im in texture_images().items()]


def covering() -> dict:
    """The first seed whose cases reach every learned verdict, one of them out of distribution by the
    texture distance alone."""
    for seed in range(200):
        doc = build(seed)
        t_max = doc["params"]["textureOod"]["threshold"]
        d_max = doc["params"]["ood"]["threshold"]
        texture_only = any(c["verdict"] == "out-of-distribution" and c["distance"] <= d_max
                           and c["textureDistance"] > t_max for c in doc["cases"])
        if texture_only and {c["verdict"] for c in doc["cases"]} == {"ok", "not-ultrasound", "wrong-modality",
                                                                     "out-of-distribution"}:
            return doc
    raise RuntimeError("no seed covers every verdict")


if __name__ == "__main__":
    FIXTURE.write_text(json.dumps(covering(), indent=1) + "\n")
    print(f"wrote {FIXTURE}")
