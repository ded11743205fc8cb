from pathlib import Path

import numpy as np
from PIL import Image

from training.dedup import group_ids, hash_files, hamming_matrix
from training.splits import grouped_stratified_split, read_split_json, write_split_json
from training.synthetic import speckle_image


def _write_images_with_duplicates(root: Path, n_unique: int = 30) -> tuple[list[str], list[int], list[int]]:
    """Unique speckle images, plus for every third one a near-duplicate (rescaled, brightened,
    re-cropped by a pixel) as BUSI has. Returns paths, labels and the true duplicate family."""
    rng = np.random.default_rng(0)
    paths, labels, family = [], [], []
    for i in range(n_unique):
        img = speckle_image(i % 3, rng, (64, 64))
        # Distinct large-scale structure per image so unrelated images hash far apart.
        img = np.clip(img.astype(int) + (np.indices((64, 64)).sum(0) * (i * 7 % 13) % 60), 0, 255).astype(np.uint8)
        p = root / f"img{i}.png"
        Image.fromarray(img).save(p)
        paths.append(str(p))
        labels.append(i % 3)
        family.append(i)
        if i % 3 == 0:
            dup = Image.fromarray(np.clip(img[1:, 1:].astype(int) + 10, 0, 255).astype(np.uint8)).resize((80, 80))
            q = root / f"img{i}-dup.png"
            dup.save(q)
            paths.append(str(q))
            labels.append(i % 3)
            family.append(i)
    return paths, labels, family


def test_near_duplicates_are_grouped_and_never_straddle_splits(tmp_path: Path) -> None:
    paths, labels, family = _write_images_with_duplicates(tmp_path)
    bits = hash_files(paths)
    groups = group_ids(len(paths), bits, threshold=8)
    fam = np.array(family)
    for f in set(family):
        members = np.nonzero(fam == f)[0]
        assert len({groups[i] for i in members}) == 1, f"duplicate family {f} split across groups"
    for seed in range(5):
        split = grouped_stratified_split(labels, groups, seed=seed)
        for f in set(family):
            assert len({split[i] for i in np.nonzero(fam == f)[0]}) == 1


def test_hamming_matrix() -> None:
    bits = np.array([[0, 0, 1, 1], [1, 0, 1, 0], [0, 0, 1, 1]], dtype=bool)
    d = hamming_matrix(bits)
    assert d.tolist() == [[0, 2, 0], [2, 0, 2], [0, 2, 0]]


def test_case_ids_tie_modalities_together() -> None:
    # 3 modalities × 40 cases: every image of a case must land in the same split.
    cases = [f"c{i}" for i in range(40)] * 3
    labels = [i % 3 for i in range(40)] * 3
    groups = group_ids(len(cases), None, explicit_groups=cases)
    split = grouped_stratified_split(labels, groups, seed=1)
    for c in set(cases):
        assert len({s for s, k in zip(split, cases) if k == c}) == 1


def test_split_is_seeded_stratified_and_roughly_proportional() -> None:
    labels = [i % 3 for i in range(300)]
    groups = list(range(300))
    a = grouped_stratified_split(labels, groups, seed=7)
    assert a == grouped_stratified_split(labels, groups, seed=7)
    assert a != grouped_stratified_split(labels, groups, seed=8)
    for cls in range(3):
        got = [s for s, y in zip(a, labels) if y == cls]
        assert abs(got.count("train") - 70) <= 1 and abs(got.count("test") - 15) <= 1


def test_split_json_round_trip(tmp_path: Path) -> None:
    labels, groups = [0, 1, 2, 0], [0, 1, 2, 0]
    split = grouped_stratified_split(labels, groups, seed=1)
    write_split_json(tmp_path / "s.json", ["a", "b", "c", "d"], labels, groups, split, {"seed": 1})
    assert read_split_json(tmp_path / "s.json") == dict(zip("abcd", split))


def test_small_classes_reach_every_split() -> None:
    """Three or four equal groups per class: the deficit rule alone dealt them all to train and val,
    leaving the test split without the class (and its metrics impossible)."""
    from training.splits import grouped_stratified_split, missing_classes

    for n_groups in (3, 4, 5):
        labels = [c for c in range(3) for _ in range(2 * n_groups)]
        groups = [f"{c}-{i // 2}" for c in range(3) for i in range(2 * n_groups)]
        assignment = grouped_stratified_split(labels, groups, seed=1)
        assert missing_classes(labels, assignment, 3) == {}, n_groups
        for g in set(groups):
            assert len({assignment[i] for i, x in enumerate(groups) if x == g}) == 1
    # Large classes are dealt exactly as before (no group moved).
    labels = [i % 3 for i in range(300)]
    a = grouped_stratified_split(labels, list(range(300)), seed=3)
    assert [a.count(s) for s in ("train", "val", "test")] == [210, 45, 45]
