"""Perceptual-hash near-duplicate grouping.

Public ultrasound sets (BUSI above all) hold the same lesion several times, re-cropped or
re-annotated. If copies straddle train and test, test AUC is inflated, so near-duplicates are
grouped and a group always goes to one split.

Rule (`NearDuplicateRule`): two images are near-duplicates when their 64-bit pHash differ in at
most 12 bits OR their 64-bit dHash differ in at most 9 bits; groups are the connected components.
The two hashes fail differently: pHash (low-frequency DCT layout) tolerates re-cropping and gain
changes but moves a lot when a caliper or annotation is drawn over the frame; dHash (sign of
horizontal gradients) keeps the speckle/edge structure under overlays but is disturbed by a shift.

Measured on the BUSI copy in ../shared/data (780 images; test_dedup.py re-measures it when the data
are there). The previous rule, pHash <= 8 alone, missed five same-lesion pairs found by eye
(benign_102/121, benign_135/430, malignant_066/065, malignant_085/086, malignant_040/039, at pHash
distances 10, 10, 12, 10, 16 and dHash distances 23, 23, 21, 9, 9). Raising pHash alone to 16 catches
them but chains unrelated images into components of 44 and 62 images (363 groups, 48 mixing
classes). The OR rule catches all five with 573 groups, the largest of 7 images, 12 mixing classes
(8 with pHash <= 8: BUSI files some lesions under two classes). On BUSI each hash joins 0.08 % of
all pairs.

Safeguard: on uniform, low-contrast images a 64-bit hash carries little information. On 72
simulated B-mode node crops (LymphScope phantoms, 36 nodes x 2 crops) the median dHash distance
between DIFFERENT nodes is 1 and 5 % of their pairs have pHash distance 0, so the fixed rule joined
all 72 crops into one group and no split was possible. Each hash's threshold is therefore lowered
until it joins at most 1 % of all pairs or as many pairs as images, whichever is more (switched off
if even distance 0 joins more); the split
file records the thresholds used. On BUSI this changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image

from .images import open_rgb


@dataclass(frozen=True)
class NearDuplicateRule:
    phash: int = 12  # max pHash-64 Hamming distance
    dhash: int = 9  # max dHash-64 Hamming distance; negative: dHash not used
    # A hash's threshold is lowered until it joins at most this share of all pairs (see effective_threshold).
    max_pair_fraction: float = 0.01

    def describe(self) -> str:
        d = f" or dHash-64 Hamming <= {self.dhash}" if self.dhash >= 0 else ""
        cap = f"each lowered until it joins <= {self.max_pair_fraction:.0%} of pairs"
        return f"pHash-64 Hamming <= {self.phash}{d}, {cap}"


@lru_cache(maxsize=4)
def _dct_matrix(n: int) -> np.ndarray:
    """Orthonormal DCT-II basis (rows = frequencies), so pHash needs no SciPy."""
    k = np.arange(n)[:, None]
    x = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * x + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    m[0] /= np.sqrt(2.0)
    return m


def phash(image: Image.Image, hash_size: int = 8, highfreq_factor: int = 4) -> np.ndarray:
    """64-bit pHash: low-frequency DCT of a 32×32 grey thumbnail, thresholded at its median.

    Robust to resizing, mild cropping and gain changes, which is what separates BUSI's
    near-duplicates from genuinely different lesions.
    """
    n = hash_size * highfreq_factor
    grey = np.asarray(image.convert("L").resize((n, n), Image.BILINEAR), dtype=np.float64)
    d = _dct_matrix(n)
    low = (d @ grey @ d.T)[:hash_size, :hash_size]
    return (low > np.median(low)).flatten()


def dhash(image: Image.Image, hash_size: int = 8) -> np.ndarray:
    """64-bit difference hash: sign of horizontal gradients of a 9×8 thumbnail."""
    g = np.asarray(image.convert("L").resize((hash_size + 1, hash_size), Image.BILINEAR), dtype=np.int16)
    return (g[:, 1:] > g[:, :-1]).flatten()


def hash_files(paths: list[str], kind: str = "phash") -> np.ndarray:
    """Bit matrix [N, 64] of the chosen hash for each file."""
    hashes: dict[str, Callable[[Image.Image], np.ndarray]] = {"phash": phash, "dhash": dhash}
    fn = hashes[kind]
    return np.stack([fn(open_rgb(p)) for p in paths]).astype(bool)


def effective_threshold(dist: np.ndarray, threshold: int, max_pair_fraction: float) -> int:
    """The largest t <= threshold at which at most `max_pair_fraction` of all pairs (or as many pairs
    as images, if more) are joined (-1: none). On low-contrast, uniform images (e.g. simulated crops
    from one generator, or a set from one machine and preset) a 64-bit hash carries little
    information and small distances are the rule, not the exception: the fixed threshold would
    chain the whole set into one group."""
    iu = np.triu_indices(len(dist), k=1)
    d = np.sort(dist[iu])
    if len(d) == 0:
        return threshold
    # At least as many pairs as images (one copy each on average), so small sets are not starved.
    limit = max(int(max_pair_fraction * len(d)), len(dist))
    t = threshold
    while t >= 0 and np.searchsorted(d, t, side="right") > limit:
        t -= 1
    return t


def near_duplicate_analysis(paths: list[str], rule: NearDuplicateRule) -> tuple[list[tuple[int, int]], dict]:
    """Near-duplicate pairs (i < j) under `rule` and what was used: each hash's effective threshold
    (see effective_threshold) and how many pairs it joined. Each file is decoded once."""
    info: dict = {"rule": rule.describe(), "maxPairFraction": rule.max_pair_fraction}
    if len(paths) < 2:
        return [], info
    p_bits, d_bits = [], []
    for path in paths:  # one image in memory at a time: a hospital set may not fit decoded
        im = open_rgb(path)
        p_bits.append(phash(im))
        d_bits.append(dhash(im))
    close = np.zeros((len(paths), len(paths)), dtype=bool)
    for name, bits, threshold in (("phash", p_bits, rule.phash), ("dhash", d_bits, rule.dhash)):
        if threshold < 0:
            continue
        dist = hamming_matrix(np.stack(bits))
        t = effective_threshold(dist, threshold, rule.max_pair_fraction)
        info[name] = {"threshold": threshold, "used": t}
        if t >= 0:
            close |= dist <= t
    a, b = np.nonzero(np.triu(close, k=1))
    info["pairs"] = len(a)
    return list(zip(a.tolist(), b.tolist())), info


def near_duplicate_edges(paths: list[str], rule: NearDuplicateRule) -> list[tuple[int, int]]:
    return near_duplicate_analysis(paths, rule)[0]


def near_duplicate_groups(
    paths: list[str], rule: NearDuplicateRule, explicit_groups: Sequence[str | None] | None = None,
    info: dict | None = None,
) -> list[int]:
    """Component id per image over explicit ids (patients) and near-duplicate edges under `rule`;
    `info` (when given) receives what near_duplicate_analysis used."""
    edges, used = near_duplicate_analysis(paths, rule)
    if info is not None:
        info.update(used)
    return group_ids(len(paths), explicit_groups=explicit_groups, edges=edges)


def hamming_matrix(bits: np.ndarray) -> np.ndarray:
    """Pairwise Hamming distances [N, N] between rows of a bit matrix."""
    b = bits.astype(np.int32)
    return b.shape[1] - (b @ b.T + (1 - b) @ (1 - b).T)


class UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def components(self) -> list[int]:
        return [self.find(i) for i in range(len(self.parent))]


def group_ids(
    n: int,
    bits: np.ndarray | None = None,
    threshold: int = 6,
    explicit_groups: Sequence[str | None] | None = None,
    edges: Sequence[tuple[int, int]] = (),
) -> list[int]:
    """Connected components over three edge kinds: same explicit case id, hash distance ≤ threshold
    (when `bits` is given) and explicit `edges`. Returns a component id (smallest member index) per item."""
    uf = UnionFind(n)
    if explicit_groups is not None:
        first: dict[str, int] = {}
        for i, g in enumerate(explicit_groups):
            if g is None:
                continue
            if g in first:
                uf.union(first[g], i)
            else:
                first[g] = i
    if bits is not None:
        dist = hamming_matrix(bits)
        a, b = np.nonzero(np.triu(dist <= threshold, k=1))
        for i, j in zip(a.tolist(), b.tolist()):
            uf.union(i, j)
    for i, j in edges:
        uf.union(i, j)
    return uf.components()
