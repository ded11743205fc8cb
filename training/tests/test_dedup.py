"""Near-duplicate grouping (training/dedup.py): pHash OR dHash, tuned on BUSI's same-lesion pairs."""

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from training.dedup import NearDuplicateRule, dhash, hamming_matrix, near_duplicate_edges, near_duplicate_groups, phash
from training.tests.conftest import REPO

BUSI = REPO.parent / "shared" / "data" / "busi"
# Same lesion, found by eye; missed by the old rule (pHash <= 8 alone).
BUSI_PAIRS = [("benign_102", "benign_121"), ("benign_135", "benign_430"), ("malignant_066", "malignant_065"),
              ("malignant_085", "malignant_086"), ("malignant_040", "malignant_039")]


def _scene(seed: int, size: int = 256) -> np.ndarray:
    """A lesion-like dark ellipse in smoothed speckle: different seeds give different images."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    cy, cx = rng.uniform(80, 176, 2)
    ry, rx = rng.uniform(25, 60, 2)
    img = 120 + 60 * np.sin(xx / rng.uniform(15, 40) + rng.uniform(0, 6)) * np.cos(yy / rng.uniform(15, 40))
    img[((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 < 1] = 40
    img = img * rng.rayleigh(0.9, (size, size)) ** 0.3
    return np.clip(img, 0, 255).astype(np.uint8)


def _annotated(a: np.ndarray) -> Image.Image:
    """The same frame with calipers and a label drawn over it, as the BUSI copies often differ."""
    im = Image.fromarray(a).convert("RGB")
    d = ImageDraw.Draw(im)
    d.line((40, 60, 200, 190), fill=(255, 255, 255), width=3)
    d.line((50, 200, 210, 50), fill=(255, 255, 0), width=3)
    d.rectangle((0, 0, 256, 30), fill=(0, 0, 0))
    d.text((10, 10), "LT BREAST 2 O'CLOCK", fill=(255, 255, 255))
    return im


def test_two_hashes_catch_an_annotated_copy_and_leave_different_images_apart(tmp_path: Path) -> None:
    """Data-free: an annotated copy and a slightly re-cropped copy of one frame join it; ten other
    frames stay apart. The annotated copy is beyond the old pHash <= 8 rule."""
    paths = []
    base = _scene(0)
    for name, im in [("orig", Image.fromarray(base)), ("annot", _annotated(base)),
                     ("crop", Image.fromarray(base[6:250, 4:252]).resize((256, 256), Image.BILINEAR))]:
        paths.append(str(tmp_path / f"{name}.png"))
        im.save(paths[-1])
    for seed in range(1, 11):
        paths.append(str(tmp_path / f"other{seed}.png"))
        Image.fromarray(_scene(seed)).save(paths[-1])
    groups = near_duplicate_groups(paths, NearDuplicateRule())
    assert groups[0] == groups[1] == groups[2]
    assert len(set(groups[3:])) == 10 and groups[0] not in groups[3:]
    old = near_duplicate_groups(paths, NearDuplicateRule(phash=8, dhash=-1))
    assert old[1] != old[0]  # what the old rule missed


def test_uninformative_hashes_do_not_chain_a_uniform_set(tmp_path: Path) -> None:
    """Forty different low-contrast frames (flat grey with faint noise, like uniform simulated crops):
    their hashes are nearly all alike, and the fixed thresholds joined them into one group. The
    per-hash cap (at most 1 % of pairs joined) keeps them apart, while an exact copy still joins."""
    from training.dedup import effective_threshold

    rng = np.random.default_rng(0)
    paths = []
    for i in range(40):
        a = np.clip(100 + rng.normal(0, 2, (64, 64)) + np.linspace(0, 30, 64)[None, :], 0, 255).astype(np.uint8)
        paths.append(str(tmp_path / f"flat{i}.png"))
        Image.fromarray(a).save(paths[-1])
    paths.append(str(tmp_path / "copy.png"))
    Image.open(paths[0]).save(paths[-1])
    uncapped = near_duplicate_groups(paths, NearDuplicateRule(max_pair_fraction=1.0))
    assert len(set(uncapped)) <= 3  # what the fixed rule did
    groups = near_duplicate_groups(paths, NearDuplicateRule())
    assert len(set(groups)) >= 35 and np.bincount(groups).max() <= 3
    assert groups[0] == groups[-1]
    dist = np.zeros((6, 6), dtype=int) + 7
    dist[0, 1] = dist[1, 0] = 1
    np.fill_diagonal(dist, 0)
    # 15 pairs: 14 at distance 7, 1 at distance 1; at most max(fraction × 15, 6 images) pairs may join.
    assert effective_threshold(dist, 9, 0.0) == 6 and effective_threshold(dist, 9, 1.0) == 9
    dist[dist == 7] = 0
    assert effective_threshold(dist, 9, 0.0) == -1


def test_explicit_groups_and_edges_union() -> None:
    from training.dedup import group_ids

    assert group_ids(5, explicit_groups=["a", None, "a", None, None], edges=[(1, 3)]) == [0, 1, 0, 1, 4]


@pytest.mark.skipif(not (BUSI / "labels.csv").exists(), reason="BUSI copy not present in ../shared/data")
def test_busi_same_lesion_pairs_are_grouped_without_merging_the_set() -> None:
    with open(BUSI / "labels.csv", newline="") as fh:
        files = [r["file"] for r in csv.DictReader(fh)]
    paths = [str(BUSI / f) for f in files]
    index = {Path(f).stem: i for i, f in enumerate(files)}
    info: dict = {}
    groups = near_duplicate_groups(paths, NearDuplicateRule(), info=info)
    assert info["phash"]["used"] == 12 and info["dhash"]["used"] == 9  # the 1 % cap does not bite on BUSI
    for a, b in BUSI_PAIRS:
        assert groups[index[a]] == groups[index[b]], (a, b)
    sizes = np.bincount(groups)
    # Measured: 573 groups, the largest 7 images (pHash <= 16 alone: 363 groups, largest 62).
    assert len(set(groups)) >= 550 and sizes.max() <= 10
    old = near_duplicate_groups(paths, NearDuplicateRule(phash=8, dhash=-1))
    assert all(old[index[a]] != old[index[b]] for a, b in BUSI_PAIRS)
    # The distances the docstring quotes.
    sel = [index[x] for pair in BUSI_PAIRS for x in pair]
    with_images = [Image.open(paths[i]) for i in sel]
    p = hamming_matrix(np.stack([phash(im) for im in with_images]))
    d = hamming_matrix(np.stack([dhash(im) for im in with_images]))
    assert [int(p[2 * k, 2 * k + 1]) for k in range(5)] == [10, 10, 12, 10, 16]
    assert [int(d[2 * k, 2 * k + 1]) for k in range(5)] == [23, 23, 21, 9, 9]
    assert len(near_duplicate_edges(paths, NearDuplicateRule())) == 258
