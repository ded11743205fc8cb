"""Post-processing and scores, the same rules the app applies (src/runtime/node-finder-geometry.ts):
logit > 0 → foreground, 8-connected components, the largest one (automatic proposal) or the one
under / nearest the click (click-to-outline), confidence = mean probability over it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

EIGHT = np.ones((3, 3), int)
MIN_AREA = 4  # components smaller than this (in model-input pixels) are speckle, not a node
NEAREST_RADIUS = 0.1  # a click may miss the foreground by up to this fraction of the input side


@dataclass
class Proposal:
    mask: np.ndarray  # S×S bool, the chosen component
    score: float
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive) in model-input pixels


def pick_component(logits: np.ndarray, click: tuple[float, float] | None = None) -> Proposal | None:
    prob = 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
    labels, n = ndimage.label(logits > 0, structure=EIGHT)
    if n == 0:
        return None
    areas = np.bincount(labels.ravel(), minlength=n + 1)
    areas[0] = 0
    if click is None:
        chosen = int(np.argmax(areas))  # first of equal maxima, raster order, as in the app
    else:
        s = logits.shape[0]
        cx = min(max(int(np.floor(click[0])), 0), s - 1)
        cy = min(max(int(np.floor(click[1])), 0), s - 1)
        chosen = int(labels[cy, cx])
        if chosen == 0:
            ys, xs = np.nonzero(labels)
            d2 = (xs + 0.5 - click[0]) ** 2 + (ys + 0.5 - click[1]) ** 2
            k = int(np.argmin(d2))
            if d2[k] > (NEAREST_RADIUS * s) ** 2:
                return None
            chosen = int(labels[ys[k], xs[k]])
    if areas[chosen] < MIN_AREA:
        return None
    comp = labels == chosen
    ys, xs = np.nonzero(comp)
    box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    return Proposal(comp, float(prob[comp].mean()), box)


def to_image_box(box: tuple[int, int, int, int], size: int, width: int, height: int) -> tuple[int, int, int, int]:
    """Model-input cells → image pixels, rounded outwards (x0, y0, x1, y1 exclusive)."""
    x0, y0, x1, y1 = box
    return (int(np.floor(x0 * width / size)), int(np.floor(y0 * height / size)),
            int(np.ceil(x1 * width / size)), int(np.ceil(y1 * height / size)))


def with_margin(box: tuple[int, int, int, int], margin: float, width: int, height: int) -> tuple[int, int, int, int]:
    """The pack's crop: the box grown by `margin` × its longer side on every side, kept in the image
    (the app's rule, src/runtime/node-finder-geometry.ts cropFromBox)."""
    x0, y0, x1, y1 = box
    m = margin * max(x1 - x0, y1 - y0)
    return (max(0, int(np.floor(x0 - m))), max(0, int(np.floor(y0 - m))),
            min(width, int(np.ceil(x1 + m))), min(height, int(np.ceil(y1 + m))))


def box_iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def contains(outer: tuple[int, int, int, int], inner: tuple[int, int, int, int]) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and outer[2] >= inner[2] and outer[3] >= inner[3]


def dice(a: np.ndarray, b: np.ndarray) -> float:
    s = int(a.sum()) + int(b.sum())
    return 2.0 * int((a & b).sum()) / s if s else 1.0


def largest_component(mask: np.ndarray) -> np.ndarray:
    labels, n = ndimage.label(mask, structure=EIGHT)
    if n == 0:
        return mask.copy()
    areas = np.bincount(labels.ravel())
    areas[0] = 0
    return labels == int(np.argmax(areas))


def interior_point(mask: np.ndarray) -> tuple[float, float]:
    """The pixel deepest inside the mask (largest distance to the background), as a click."""
    d = ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(d)), d.shape)
    return float(x) + 0.5, float(y) + 0.5


# Coarse-to-fine (the app's rule, src/imaging/node-geometry.ts fineWindow): after the pass on the whole
# frame, the finder runs again on a square window around the coarse box so a small node fills the input.
FINE_CONTEXT = 2.0  # window side = this × the coarse box's longer side …
FINE_MIN_SIDE = 32  # … but at least this many image pixels (a few-pixel speck is not blown up 20×)
FINE_SKIP = 0.8  # no second pass when the window would cover this share of both sides anyway


def fine_window(box: tuple[int, int, int, int], width: int, height: int,
                context: float = FINE_CONTEXT) -> tuple[int, int, int, int] | None:
    """The integer window (x0, y0, x1, y1 exclusive) of the fine pass around `box` (image pixels),
    square where the image allows it, clamped inside the image; None when it would be (almost) the
    whole image, so a second pass would see what the first did."""
    x0, y0, x1, y1 = box
    side = max(int(np.ceil(max(x1 - x0, y1 - y0) * context)), FINE_MIN_SIDE)
    ws, hs = min(side, width), min(side, height)
    if ws >= FINE_SKIP * width and hs >= FINE_SKIP * height:
        return None
    # Centre on the box (twice the centre, integer, so Python and TypeScript round alike).
    wx = min(max((x0 + x1 - ws) // 2, 0), width - ws)
    wy = min(max((y0 + y1 - hs) // 2, 0), height - hs)
    return wx, wy, wx + ws, wy + hs
