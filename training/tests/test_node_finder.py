"""The node finder: exporter (graph + BN folding) vs PyTorch, TF.js parity through the app's own code
(scripts/node-finder-check.ts), post-processing rules, augmentation and the evaluation's counting."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from training.export.pack import list_files
from training.finder.augment import make_sample
from training.finder.data import FinderItem, prompt_map
from training.finder.evaluate import _records, choose_threshold, summarise
from training.finder.export import finder_input, verify_in_tfjs, write_finder
from training.finder.geometry import box_iou, contains, fine_window, pick_component, to_image_box, with_margin
from training.finder.graph import finder_graph, run_graph
from training.finder.model import NodeUNet
from training.tests.conftest import REPO, randomize_batchnorm, requires_node
from training.tests.manifest_schema import schema_errors


def tiny_unet(seed: int = 0) -> NodeUNet:
    torch.manual_seed(seed)
    return randomize_batchnorm(NodeUNet(2, (4, 8), 8, (8, 4)), seed)


def test_exported_graph_equals_the_pytorch_model() -> None:
    model = tiny_unet()
    layers, weights = finder_graph(model, 32)
    x = np.random.default_rng(1).normal(size=(2, 32, 32, 2)).astype(np.float32)
    with torch.no_grad():
        want = model(torch.from_numpy(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).numpy()
    got = run_graph(layers, weights, x)
    assert got.shape == (2, 32, 32, 1)
    assert np.abs(got - want).max() < 1e-4
    kinds = {layer["class_name"] for layer in layers}
    assert kinds == {"InputLayer", "Conv2D", "Activation", "MaxPooling2D", "UpSampling2D", "Concatenate"}


def _blob_image(rng: np.random.Generator, w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:h, 0:w]
    mask = (xx - w * 0.4) ** 2 / (w * 0.15) ** 2 + (yy - h * 0.5) ** 2 / (h * 0.2) ** 2 <= 1
    img = rng.integers(60, 200, size=(h, w, 3)).astype(np.uint8)
    img[mask] //= 3
    return img, mask


@requires_node
def test_tiny_finder_reproduces_in_tfjs(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    rng = np.random.default_rng(2)
    img, _ = _blob_image(rng, 77, 61)
    cases = [{"name": "auto", "image": img, "click": None}, {"name": "click", "image": img, "click": (30.5, 30.0)}]
    # threshold 0: a random tiny model is never confident, and the golden boxes should not all be null
    spec, worst = write_finder(pack, tiny_unet(3), 32, 0.0, cases)
    assert worst < 0.05  # float16 rounding only
    fixture = json.loads((REPO / "tests" / "fixtures" / "manifest-cases.json").read_text())["base"]
    # The base lists classifier files that do not exist: the check loads the finder's files only.
    manifest = {**fixture, "nodeFinder": spec, "crop": {"kind": "node-box-margin", "margin": 0.25},
                "files": fixture["files"] + list_files(pack)}
    assert schema_errors(manifest) == []
    (pack / "manifest.json").write_text(json.dumps(manifest))
    res = verify_in_tfjs(pack / "manifest.json")
    assert [c["name"] for c in res["cases"]] == ["auto", "click"]
    assert all(c["excess"] <= 0 for c in res["cases"])


def _logits(mask: np.ndarray, inside: float = 4.0) -> np.ndarray:
    return np.where(mask, inside, -4.0).astype(np.float32)


def test_post_processing_rules() -> None:
    yy, xx = np.mgrid[0:32, 0:32]
    big = (xx - 10) ** 2 + (yy - 10) ** 2 <= 25
    small = (xx - 25) ** 2 + (yy - 25) ** 2 <= 4
    p = pick_component(_logits(big | small))
    assert p is not None and p.box == (5, 5, 16, 16) and p.score == pytest.approx(1 / (1 + np.exp(-4)))
    clicked = pick_component(_logits(big | small), (25.5, 25.5))
    assert clicked is not None and clicked.box == (23, 23, 28, 28)
    assert pick_component(_logits(big | small), (2.0, 30.0)) is None  # far from any node
    assert pick_component(_logits(np.zeros((32, 32), bool))) is None
    speck = np.zeros((32, 32), bool)
    speck[3, 3] = True
    assert pick_component(_logits(speck)) is None
    assert to_image_box((5, 5, 16, 16), 32, 640, 480) == (100, 75, 320, 240)
    assert with_margin((100, 100, 140, 120), 0.25, 400, 300) == (90, 90, 150, 130)
    assert with_margin((5, 5, 45, 45), 0.5, 400, 300) == (0, 0, 65, 65)
    assert box_iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(1 / 3)
    assert contains((0, 0, 10, 10), (1, 1, 9, 10)) and not contains((0, 0, 10, 10), (1, 1, 11, 9))


def test_prompt_map_peaks_at_the_point() -> None:
    m = prompt_map(32, (10.5, 20.5), 3.0)
    y, x = np.unravel_index(int(np.argmax(m)), m.shape)
    assert (int(y), int(x)) == (20, 10)
    assert m.max() == pytest.approx(1.0)
    assert not prompt_map(32, None).any()


def test_augmented_samples_are_consistent() -> None:
    rng = np.random.default_rng(0)
    img, mask = _blob_image(rng, 120, 90)
    item = FinderItem("test", "blob", img, mask, "g", "train")
    for _ in range(40):
        x, t = make_sample(item, 32, rng)
        assert x.shape == (2, 32, 32) and t.shape == (32, 32) and x.dtype == np.float32
        if x[1].max() > 0.5 and t.any():  # prompted inside a node: the click lies in the target
            k = int(np.argmax(x[1]))
            y, xx = k // 32, k % 32
            near = t[max(0, y - 1):y + 2, max(0, xx - 1):xx + 2]
            assert near.any()


def _cand(score: float, box: tuple, crop: tuple, iou: float, dsc: float) -> dict:
    return {"score": score, "box": box, "crop": crop, "iou": iou, "dice": dsc}


def test_summary_counts_a_fallback_as_holding_the_node() -> None:
    recs: list[dict] = [
        {"node": True, "gtBox": (10, 10, 20, 20), "nodeShare": 0.01, "fine": None,
         "coarse": _cand(0.9, (10, 10, 20, 20), (8, 8, 22, 22), 1.0, 0.9)},
        {"node": True, "gtBox": (10, 10, 20, 20), "nodeShare": 0.01, "fine": None,
         "coarse": _cand(0.55, (50, 50, 60, 60), (48, 48, 62, 62), 0.0, 0.0)},
        {"node": False, "fine": None, "coarse": _cand(0.7, (1, 1, 5, 5), (0, 0, 6, 6), 0.0, 0.0)},
    ]
    s = summarise(recs, threshold=0.6)
    assert s["nodeInsideCrop"] == 1.0 and s["fallbackToImageArea"] == 0.5
    assert s["boxIouMean"] == 0.5 and s["proposedOnNegatives"] == 1.0
    assert s["smallInsideAndAtMost4x"] == 0.5  # the fallback holds the node but is 100× its box
    t, curve = choose_threshold(recs)
    assert t == 0.575 and curve[0]["insideRate"] == 0.5
    # A confident fine pass wins over the coarse one; an unsure one leaves the coarse answer.
    recs[1]["fine"] = _cand(0.8, (10, 10, 20, 20), (8, 8, 22, 22), 1.0, 0.95)
    s = summarise(recs, threshold=0.6)
    assert s["fallbackToImageArea"] == 0.0 and s["boxIouMean"] == 1.0 and s["finePass"] == 0.5
    assert summarise(recs, threshold=0.85)["fallbackToImageArea"] == 0.5
    assert summarise(recs, threshold=0.6, refine=False)["fallbackToImageArea"] == 0.5


def test_fine_window_is_square_centred_and_inside_the_image() -> None:
    assert fine_window((100, 50, 140, 80), 300, 200) == (80, 25, 160, 105)  # 2 × 40 px around the centre
    assert fine_window((0, 0, 10, 10), 300, 200) == (0, 0, 32, 32)  # at least 32 px, shifted inside
    assert fine_window((280, 190, 300, 200), 300, 200) == (260, 160, 300, 200)  # 40 px, shifted up and left
    assert fine_window((0, 0, 290, 190), 300, 200) is None  # (almost) the whole image: no second pass


class _BrightIsNode(torch.nn.Module):
    """A stand-in finder whose answer is known: foreground wherever the input is brighter than mid-grey."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x[:, :1] > 0).float() * 20 - 10


def test_coarse_to_fine_maps_back_to_image_pixels_exactly() -> None:
    img = np.zeros((384, 384, 3), np.uint8)
    img[200:224, 100:124] = 255  # a 24-px node: 6 cells of the 96-px whole frame, 48 of the fine window
    mask = img[..., 0] > 0
    item = FinderItem("busi", "x", img, mask, "g", "test")
    (rec,) = _records(_BrightIsNode(), [item], 96, "original", 0, False, 0.25)
    assert rec["coarse"]["box"] == (100, 200, 124, 224)
    assert rec["fine"]["box"] == (100, 200, 124, 224)  # window (88, 188)-(136, 236), 2 model px per image px
    assert rec["fine"]["dice"] == 1.0 and rec["fine"]["iou"] == 1.0
    (clicked,) = _records(_BrightIsNode(), [item], 96, "original", 0, True, 0.25)
    assert clicked["fine"]["box"] == (100, 200, 124, 224)


def test_finder_input_maps_the_click_into_model_pixels() -> None:
    img = np.zeros((48, 64, 3), np.uint8)
    x = finder_input(img, 32, (40.0, 12.0))
    assert x.shape == (1, 32, 32, 2)
    k = int(np.argmax(x[0, :, :, 1]))
    assert (k % 32, k // 32) in {(19, 7), (20, 7), (19, 8), (20, 8)}


def test_parallel_evaluation_equals_the_sequential_one() -> None:
    from training.finder.evaluate import evaluate_all

    rng = np.random.default_rng(3)
    items = []
    for k in range(6):
        img = (rng.random((120, 160, 3)) * 60).astype(np.uint8)
        x, y, s = int(rng.integers(0, 120)), int(rng.integers(0, 80)), int(rng.integers(10, 40))
        img[y:y + s, x:x + s] = 230
        items.append(FinderItem("busi", f"i{k}", img, img[..., 0] > 200, f"g{k}", ("val", "test")[k % 2]))
    one = evaluate_all(_BrightIsNode(), items, 32, 0, log=lambda *_: None)
    two = evaluate_all(_BrightIsNode(), items, 32, 0, log=lambda *_: None, workers=2)
    assert one == two and one["automatic"]["original"]["busi"]["n"] == 3
