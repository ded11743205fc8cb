"""Training samples for the finder: fine-pass windows around the node (the app's second pass) and
elsewhere (hard negatives), random crops and aspect changes, flips, sector (curvilinear)
masks, down-and-up scaling, JPEG at quality 30–95, gain/gamma, and the click prompt (half of the
samples: a point inside a node → that node's mask; a point away from any node → an empty mask)."""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from .data import FinderItem, jpeg, luma_input, prompt_map, resize_mask, resize_rgb, sector_mask
from .geometry import EIGHT, FINE_MIN_SIDE, largest_component


def _fine_window(item: FinderItem, rng: np.random.Generator) -> tuple[int, int, int, int] | None:
    """What the app's second (fine) pass sees: a square window around the coarse box, here the node's
    box moved and resized as a coarse pass gets it wrong (centre ±30 %, size 0.7–1.4×), at 1.6–2.6×
    its longer side; None for images without a node."""
    ys, xs = np.nonzero(largest_component(item.mask))
    if not len(xs):
        return None
    h, w = item.mask.shape
    bw, bh = xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min()
    side = max(bw, bh) * rng.uniform(0.7, 1.4) * rng.uniform(1.6, 2.6)
    side = int(min(max(side, FINE_MIN_SIDE), w, h))
    cx = (xs.min() + xs.max() + 1) / 2 + rng.uniform(-0.3, 0.3) * bw
    cy = (ys.min() + ys.max() + 1) / 2 + rng.uniform(-0.3, 0.3) * bh
    x0 = int(np.clip(round(cx - side / 2), 0, w - side))
    y0 = int(np.clip(round(cy - side / 2), 0, h - side))
    return x0, y0, x0 + side, y0 + side


def _hard_negative_window(item: FinderItem, rng: np.random.Generator) -> tuple[int, int, int, int]:
    """A fine-pass window somewhere else (vessels, muscle, chrome, shadows): what the second pass sees
    when the coarse pass picked the wrong blob; the target is whatever mask falls inside (mostly none)."""
    h, w = item.mask.shape
    side = int(min(w, h, max(FINE_MIN_SIDE, rng.uniform(0.15, 0.5) * min(w, h))))
    x0, y0 = int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1))
    return x0, y0, x0 + side, y0 + side


def _crop_window(item: FinderItem, rng: np.random.Generator) -> tuple[int, int, int, int]:
    h, w = item.mask.shape
    r = rng.random()
    if r < 0.3:
        fine = _fine_window(item, rng)
        if fine is not None:
            return fine
    elif r < 0.4:
        return _hard_negative_window(item, rng)
    if rng.random() < 0.35:
        return 0, 0, w, h
    cw, ch = int(w * rng.uniform(0.45, 1.0)), int(h * rng.uniform(0.45, 1.0))
    ys, xs = np.nonzero(item.mask)
    if len(xs) and rng.random() < 0.85:
        k = rng.integers(len(xs))  # keep a node pixel inside the window
        x0 = int(np.clip(xs[k] - rng.integers(0, cw), 0, w - cw))
        y0 = int(np.clip(ys[k] - rng.integers(0, ch), 0, h - ch))
    else:
        x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    return x0, y0, x0 + cw, y0 + ch


def make_sample(item: FinderItem, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(input 2×S×S float32, target S×S float32)."""
    x0, y0, x1, y1 = _crop_window(item, rng)
    img = item.image[y0:y1, x0:x1]
    mask = item.mask[y0:y1, x0:x1]
    if rng.random() < 0.5:
        img, mask = img[:, ::-1], mask[:, ::-1]
    img, mask = np.ascontiguousarray(img), np.ascontiguousarray(mask)
    if rng.random() < 0.2:
        fan = sector_mask(mask.shape[0], mask.shape[1], rng)
        img = img * fan[..., None].astype(np.uint8)
        mask = mask & fan
    if rng.random() < 0.3:
        f = rng.uniform(0.3, 0.8)
        h, w = mask.shape
        small = Image.fromarray(img).resize((max(8, round(w * f)), max(8, round(h * f))), Image.BILINEAR)
        img = np.asarray(small.resize((w, h), Image.BILINEAR), dtype=np.uint8)
    if rng.random() < 0.5:
        img = jpeg(img, int(rng.integers(30, 96)))
    x = luma_input(resize_rgb(img, size))
    if rng.random() < 0.7:
        u = np.clip(x * 0.25 + 0.5, 0, 1) ** rng.uniform(0.75, 1.3) * rng.uniform(0.8, 1.2)
        x = ((u - 0.5) / 0.25).astype(np.float32)
    target = resize_mask(mask, size)
    point = None
    if rng.random() < 0.5:
        labels, n = ndimage.label(target, structure=EIGHT)
        if n and rng.random() < 0.85:
            ys, xs = np.nonzero(target)
            k = rng.integers(len(xs))
            point = (xs[k] + rng.random(), ys[k] + rng.random())
            target = labels == labels[ys[k], xs[k]]
        else:
            far = ~ndimage.binary_dilation(target, iterations=4) if n else np.ones_like(target)
            ys, xs = np.nonzero(far)
            if len(xs):
                k = rng.integers(len(xs))
                point = (xs[k] + rng.random(), ys[k] + rng.random())
                target = np.zeros_like(target)
    inp = np.stack([x, prompt_map(size, point)])
    return inp, target.astype(np.float32)
