"""The input checks' training code (training/input_gate.py, input_gate_data.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from training.input_gate import (GATE_CLASSES, GateHead, PackFeatures, calibrate_min_probability,
                                 calibrate_threshold, colour_features, fit_gate, fit_ood, gate_passes, mahalanobis,
                                 prepare, read_sidecar)
from training.input_gate_data import _by_file, random_crop, synthetic, SYNTHETIC_KINDS
from training.tests.make_input_check_fixture import FIXTURE, covering

REPO = Path(__file__).resolve().parents[2]
PACK = REPO / "public" / "models" / "lymphscope-demo-r18"


def test_fixture_is_what_the_code_computes(tmp_path):
    """The shared fixture the TypeScript tests read is reproduced by this code."""
    want = json.loads(FIXTURE.read_text())
    got = covering()
    assert [c["verdict"] for c in got["cases"]] == [c["verdict"] for c in want["cases"]]
    for g, w in zip(got["cases"], want["cases"]):
        np.testing.assert_allclose(g["gate"], w["gate"], rtol=1e-12)
        np.testing.assert_allclose(g["distance"], w["distance"], rtol=1e-12)
    for g, w in zip(got["colourCases"], want["colourCases"]):
        np.testing.assert_allclose(g["expected"], w["expected"], rtol=1e-12)
    p = tmp_path / "s.json"
    p.write_text(json.dumps(want["params"]))
    gate, ood = read_sidecar(p)
    assert gate.weights.shape == (4, 6 + 9)


def test_mahalanobis_is_exact_when_one_variance_is_left_over():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5)) @ rng.normal(size=(5, 5))
    m = fit_ood(x, components=4)
    # With a single residual direction its mean variance is its variance: the distance is exact.
    cov = (m.components.T * m.variances) @ m.components
    rest = np.eye(5) - m.components.T @ m.components
    cov += rest * m.residual_variance
    q = rng.normal(size=(7, 5))
    exact = np.einsum("ij,jk,ik->i", q - m.mean, np.linalg.inv(cov), q - m.mean)
    np.testing.assert_allclose(mahalanobis(m, q), exact, rtol=1e-8)


def test_gate_separates_and_thresholds_pass_the_target():
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(4, 20)) * 4
    feats = np.vstack([rng.normal(size=(60, 20)) + c for c in centres])
    labels = np.repeat(np.arange(4), 60)
    gate = fit_gate(feats, labels)
    assert (np.argmax(gate.probabilities(feats), axis=1) == labels).mean() > 0.98
    own = labels == 1
    ood = fit_ood(feats[own][:40])
    probs = gate.probabilities(feats[own][40:])
    calibrate_min_probability(gate, probs, "bmode")
    passes = gate_passes(gate, probs, "bmode")
    ood.threshold = calibrate_threshold(ood.distance(feats[own][40:]), passes, target=0.95, margin=1.0)
    assert (ood.distance(feats[own][40:]) <= ood.threshold).mean() >= 0.95
    assert (ood.distance(feats[labels == 0]) > ood.threshold).mean() > 0.9


def test_gate_needs_every_class():
    with pytest.raises(ValueError, match="not-ultrasound"):
        fit_gate(np.zeros((4, 3)), np.array([1, 2, 3, 1]))


def test_colour_features_tell_gray_doppler_and_strain_apart():
    gray = np.repeat(np.linspace(0, 255, 224 * 224).reshape(224, 224, 1), 3, axis=2).astype(np.uint8)
    doppler = gray.copy()
    doppler[100:110, 100:120] = (220, 30, 0)
    strain = np.zeros_like(gray)
    strain[..., 1] = 200
    strain[:, :112, 2] = 255
    g, d, s = colour_features(gray), colour_features(doppler), colour_features(strain)
    assert g[0] == 0 and g[-1] > 0.8
    assert 0 < d[0] < 0.1 and d[1] > 0  # a little red
    assert s[0] > 0.99 and s[3] > 0.4 and s[4] > 0.4  # green and cyan everywhere


def test_held_out_sets_share_no_source_file():
    files = [Path(f"/x/{i}.png") for i in range(25)]
    train, test = _by_file(files, 0.4)
    assert not set(train) & set(test) and len(train) + len(test) == 25 and len(test) == 10


def test_crops_and_synthetic_images_are_deterministic():
    img = np.arange(120 * 90 * 3, dtype=np.uint8).reshape(90, 120, 3)
    a = random_crop(img, np.random.default_rng(3))
    b = random_crop(img, np.random.default_rng(3))
    assert np.array_equal(a, b) and a.dtype == np.uint8 and a.shape[2] == 3
    for kind in SYNTHETIC_KINDS:
        x, y = synthetic(kind, 9), synthetic(kind, 9)
        assert np.array_equal(x, y) and x.ndim == 3 and x.shape[2] == 3


@pytest.mark.skipif(not (PACK / "manifest.json").exists(), reason="bundled pack not present")
def test_pack_features_come_from_the_weights_as_the_app_holds_them():
    """PackFeatures decodes the pack's shards itself: its network reproduces the golden logits."""
    golden = json.loads((PACK / "bmode" / "golden.json").read_text())
    pf = PackFeatures(PACK, "bmode")
    from PIL import Image

    for case in golden["cases"][:2]:
        rgb = np.asarray(Image.open(PACK / case["input"]).convert("RGB"))
        x = torch.from_numpy(prepare(rgb, 224)[None])
        out = pf.runner(x, outputs=(pf.layer,))
        logits = out[pf.runner.output][0].numpy()
        np.testing.assert_allclose(logits, case["logits"], atol=2e-3, rtol=1e-3)
        pooled = pf([rgb])
        assert pooled.shape == (1, 512)
        np.testing.assert_allclose(pooled[0], out[pf.layer][0].mean(dim=(0, 1)).numpy(), rtol=1e-5, atol=1e-6)
    assert GATE_CLASSES[0] == "not-ultrasound"


def test_gate_head_probabilities_are_a_softmax():
    g = GateHead(weights=np.eye(4, 3), bias=np.zeros(4))
    p = g.probabilities(np.array([[1.0, 2.0, 3.0]]))
    np.testing.assert_allclose(p.sum(), 1.0)


def test_model_card_section_is_replaced_not_repeated():
    from training.input_gate_run import CARD_START, with_card_section

    sets = {"n": 3, "aurocNotUltrasound": 0.9, "aurocOod": 0.8, "verdicts": {}}
    report = {"modalities": {"bmode": {
        "featureModel": "bmode", "sets": {"photos": sets},
        "inDistribution": {"validation": {"passRate": 1.0}, "test": {"passRate": 0.98},
                           "demoCases": {"passRate": 0.97}},
    }}}
    once = with_card_section("# Card\n\ntext\n", report)
    twice = with_card_section(once + "\nmore\n", report)
    assert once.count(CARD_START) == 1 and twice.count(CARD_START) == 1
    assert "| bmode | bmode | 100% / 98% / 97% | 0.90 / 0.80 |" in once
    assert twice.startswith("# Card") and twice.rstrip().endswith("more")
