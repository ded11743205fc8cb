"""Perceptual-hash near-duplicate grouping.

Public ultrasound sets (BUSI above all) hold the same lesion several times, re-cropped or
re-annotated. If copies straddle train and test, test AUC is inflated, so near-duplicates are
grouped and a group always goes to one split.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np
from PIL import Image


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
    rows = []
    for p in paths:
        with Image.open(p) as im:
            rows.append(fn(im))
    return np.stack(rows).astype(bool)


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
) -> list[int]:
    """Connected components over two edge kinds: same explicit case id, and hash distance
    ≤ threshold. Returns a component id (smallest member index) per item."""
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
    return uf.components()
