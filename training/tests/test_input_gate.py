"""The input checks' training code (training/input_gate.py, input_gate_data.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from training.input_gate import (COLOUR_FEATURES, GATE_CLASSES, TEXTURE_FEATURES, GateHead, PackFeatures,
                                 calibrate_min_probability, calibrate_threshold, colour_features, fit_gate, fit_ood,
                                 gate_passes, handcrafted_features, mahalanobis, prepare, read_sidecar,
                                 texture_features, verdict)
from training.input_gate_data import (_by_file, generator_items, grayscale, random_crop, sector, synthetic,
                                      SYNTHETIC_KINDS)
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
        np.testing.assert_allclose(g["textureDistance"], w["textureDistance"], rtol=1e-12)
    for g, w in zip(got["colourCases"], want["colourCases"]):
        np.testing.assert_allclose(g["expected"], w["expected"], rtol=1e-12)
    for g, w in zip(got["textureCases"], want["textureCases"]):
        assert g["rgb"] == w["rgb"]
        np.testing.assert_allclose(g["expected"], w["expected"], rtol=1e-12, atol=1e-15)
    p = tmp_path / "s.json"
    p.write_text(json.dumps(want["params"]))
    gate, ood, tex = read_sidecar(p)
    assert gate.weights.shape == (4, 6 + len(COLOUR_FEATURES) + len(TEXTURE_FEATURES))
    assert tex is not None and tex.mean.shape == (len(TEXTURE_FEATURES),)


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


def test_package_images_come_from_dpkg_lists_and_stay_out_of_the_older_wallpapers(tmp_path, monkeypatch):
    import training.input_gate_data as data

    pics = tmp_path / "backgrounds"
    pics.mkdir()
    for name in ("new.jpg", "old.jpg", "notes.txt"):
        (pics / name).write_bytes(b"x")
    (pics / "again.jpg").symlink_to(pics / "new.jpg")  # the same picture under another name
    info = tmp_path / "info"
    info.mkdir()
    names = ("new.jpg", "again.jpg", "notes.txt")
    (info / "pkg.list").write_text("\n".join([str(pics), *(str(pics / n) for n in names)]) + "\n")
    monkeypatch.setattr(data, "DPKG_INFO", info)
    monkeypatch.setattr(data, "BACKGROUNDS", pics)
    monkeypatch.setattr(data, "PLASMA_WALLPAPERS", tmp_path / "none")
    assert data.package_images(("pkg", "not-installed")) == [pics / "new.jpg"]
    listed = data.package_images(("pkg",), links=True)
    assert listed == [pics / "again.jpg", pics / "new.jpg"]
    monkeypatch.setattr(data, "package_images", lambda links=False: listed)
    assert data.wallpaper_files() == [pics / "old.jpg"]


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

    sets = {"n": 3, "aurocNotUltrasound": 0.9, "aurocOod": 0.8, "aurocTexture": 0.7, "verdicts": {"ok": 1}}
    report = {"modalities": {"bmode": {
        "featureModel": "bmode", "sets": {"photos": sets},
        "inDistribution": {"validation": {"passRate": 1.0}, "test": {"passRate": 0.98},
                           "demoCases": {"passRate": 0.97}, "freshDemoCases": {"passRate": 0.995, "n": 300}},
    }}}
    once = with_card_section("# Card\n\ntext\n", report)
    twice = with_card_section(once + "\nmore\n", report)
    assert once.count(CARD_START) == 1 and twice.count(CARD_START) == 1
    assert "| bmode | bmode | 100% / 98% / 97% / 99.5% (n=300) | 0.90 / 0.80 / 0.70; ok 1/3 |" in once
    assert twice.startswith("# Card") and twice.rstrip().endswith("more")


def _speckle(seed: int, size: int = 224) -> np.ndarray:
    rng = np.random.default_rng(seed)
    env = rng.rayleigh(1.0, (size, size)) * np.linspace(30, 80, size)[:, None]
    return np.repeat(np.clip(env, 0, 255)[..., None], 3, axis=2).astype(np.uint8)


def _smooth_scene(size: int = 224) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size]
    img = np.stack([100 + 80 * np.sin(xx / 30.0), 120 + 50 * np.cos(yy / 40.0), 90 + 0.3 * xx], axis=2)
    img[60:140, 50:170] = (210, 190, 170)
    return np.clip(img, 0, 255).astype(np.uint8)


def test_texture_features_tell_speckle_from_a_photograph_regardless_of_colour():
    at = {n: i for i, n in enumerate(TEXTURE_FEATURES)}
    us, photo = texture_features(_speckle(0)), texture_features(grayscale(_smooth_scene()))
    # Fully developed speckle: the local standard deviation is a fixed share of the local mean
    # (Rayleigh: about 0.52), wherever the mean is; a smooth scene has almost none.
    assert 0.4 < us[at["block-cv-median"]] < 0.65 and photo[at["block-cv-median"]] < 0.05
    assert us[at["hf"]] > 5 * photo[at["hf"]]
    assert photo[at["flat-blocks"]] > us[at["flat-blocks"]]
    assert us[at["orientation-entropy"]] > 0.9  # grain in every direction
    # Grayscale conversion removes the tint, not the texture difference.
    assert texture_features(_smooth_scene())[at["tinted-gray"]] > 0.5 and photo[at["tinted-gray"]] == 0


def test_texture_features_of_degenerate_images_are_finite():
    for img in (np.zeros((16, 16, 3), np.uint8), np.full((3, 3, 3), 255, np.uint8),
                np.random.default_rng(1).integers(0, 256, (1, 9, 3), dtype=np.uint8)):
        f = texture_features(img)
        assert f.shape == (len(TEXTURE_FEATURES),) and np.isfinite(f).all()
    assert handcrafted_features(_speckle(1)).shape == (len(COLOUR_FEATURES) + len(TEXTURE_FEATURES),)


def test_texture_distance_flags_what_the_pooled_distance_lets_through():
    """The second distance: features in distribution, texture far → out of distribution."""
    rng = np.random.default_rng(2)
    feats = rng.normal(size=(100, 4))
    hand = np.stack([handcrafted_features(_speckle(s, 64)) for s in range(40)])
    ood = fit_ood(feats, components=3)
    tex = fit_ood(hand[:, len(COLOUR_FEATURES):], components=len(TEXTURE_FEATURES) - 1)
    ood.threshold = float(ood.distance(feats).max())
    tex.threshold = float(tex.distance(hand[:, len(COLOUR_FEATURES):]).max()) * 1.5
    gate = GateHead(weights=np.zeros((4, 4 + hand.shape[1])), bias=np.array([0.0, 5.0, 0.0, 0.0]))
    photo = handcrafted_features(np.ascontiguousarray(_smooth_scene(64)))[None]
    assert verdict(gate, ood, feats[:1], hand[:1], "bmode", tex) == ["ok"]
    assert verdict(gate, ood, feats[:1], photo, "bmode", tex) == ["out-of-distribution"]
    assert verdict(gate, ood, feats[:1], photo, "bmode") == ["ok"]  # without the texture distance


def test_hard_negatives_look_like_an_ultrasound_frame_but_keep_the_photo():
    img = _smooth_scene(120)
    s = sector(img, np.random.default_rng(3))
    black = (s.max(axis=2) == 0).mean()
    assert 0.2 < black < 0.9  # a fan on black
    inside = s.max(axis=2) > 0
    assert np.array_equal(s[inside], img[inside])
    g = grayscale(img)
    assert (g[..., 0] == g[..., 1]).all() and (g[..., 1] == g[..., 2]).all()


def test_generator_items_balance_classes_and_keep_calibration_apart(tmp_path):
    from PIL import Image

    for folder in ("2d", "cdfi", "elastic"):
        for c in range(3):
            (tmp_path / folder / str(c)).mkdir(parents=True)
            for k in range(5):
                Image.new("RGB", (4, 4)).save(tmp_path / folder / str(c) / f"{c}-{k}.png")
    train = generator_items(tmp_path, 6)
    cal = generator_items(tmp_path, 6, skip=6, split="val")
    for mod in ("bmode", "cdfi", "elastography"):
        t = [it for it in train if it.source == f"generator-{mod}"]
        assert len(t) == 6 and all(it.gate == mod and it.split == "train" for it in t)
        assert sorted(it.key.split("/")[1] for it in t) == ["0", "0", "1", "1", "2", "2"]
    assert not {it.key for it in train} & {it.key for it in cal}
    assert all(it.gate is None and it.split == "val" for it in cal)
