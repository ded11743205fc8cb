"""Held-out evaluation of the finder, per source and per image variant (JPEG quality, crops,
resizes, sector masks), with the app's post-processing (geometry.py).

Per image with a node (ground truth = the largest connected component of the dataset mask):
- box IoU of the proposed box vs the node's box, in image pixels;
- Dice of the proposed component vs the node's mask, at the model's input resolution;
- inside: the node's box lies fully inside the proposed crop (box + the pack's margin); when the
  finder is unsure (no component, or confidence below the threshold) the app falls back to the
  image area, which holds the node by definition: counted as inside, and as a fallback;
- crop ratio: crop area / node box area (the whole image for a fallback).
Images without a node (BUSI normal) count how often something is proposed anyway.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from PIL import Image

from .data import FinderItem, box_of, jpeg, luma_input, prompt_map, resize_mask, resize_rgb, sector_mask
from .geometry import box_iou, contains, dice, interior_point, largest_component, pick_component, to_image_box, \
    with_margin

# The bundled classifiers were trained on phantom ROIs: node box + roiMarginFrac·(longer side) per
# side, roiMarginFrac ~ U(0.12, 0.35), each side × U(0.6, 1.4) (src/phantoms/params.ts, render.ts
# fieldRoi): mean 0.235 of the longer side.
DEFAULT_MARGIN = 0.235
SMALL_NODE = 0.25  # a node is "small in the frame" when its box covers at most this share of the image
Variant = Callable[[np.ndarray, np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]]


def _resize(img: np.ndarray, mask: np.ndarray, f: float) -> tuple[np.ndarray, np.ndarray]:
    w, h = max(8, round(img.shape[1] * f)), max(8, round(img.shape[0] * f))
    im = np.asarray(Image.fromarray(img).resize((w, h), Image.BILINEAR), dtype=np.uint8)
    m = np.asarray(Image.fromarray(mask.astype(np.uint8) * 255).resize((w, h), Image.NEAREST)) > 127
    return im, m


def _crop(img: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    h, w = mask.shape
    cw, ch = int(w * rng.uniform(0.6, 0.9)), int(h * rng.uniform(0.6, 0.9))
    b = box_of(largest_component(mask))
    if b is None:
        x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    else:  # keep as much of the node as the window allows, as a user's screenshot crop would
        x0 = int(np.clip(rng.integers(min(b[2] - cw, b[0]), max(b[2] - cw, b[0]) + 1), 0, w - cw))
        y0 = int(np.clip(rng.integers(min(b[3] - ch, b[1]), max(b[3] - ch, b[1]) + 1), 0, h - ch))
    return img[y0:y0 + ch, x0:x0 + cw].copy(), mask[y0:y0 + ch, x0:x0 + cw].copy()


def _sector(img: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    fan = sector_mask(mask.shape[0], mask.shape[1], rng)
    return img * fan[..., None].astype(np.uint8), mask & fan


# The ends of the JPEG range (q40, q95); a user's crop of the frame; a small image (0.35×: BUSI's
# 256 px becomes 90 px, below the model's input size); a curvilinear probe's fan.
VARIANTS: dict[str, Variant] = {
    "original": lambda i, m, r: (i, m),
    "jpeg-q40": lambda i, m, r: (jpeg(i, 40), m),
    "jpeg-q95": lambda i, m, r: (jpeg(i, 95), m),
    "crop-60-90%": _crop,
    "downscale-0.35": lambda i, m, r: _resize(i, m, 0.35),
    "sector-mask": _sector,
}
CLICK_VARIANTS = ("original", "jpeg-q40")


@torch.no_grad()
def predict(model: torch.nn.Module, images: list[np.ndarray], size: int,
            clicks: list[tuple[float, float] | None] | None = None, batch: int = 32) -> np.ndarray:
    xs = []
    for k, img in enumerate(images):
        point = clicks[k] if clicks else None
        xs.append(np.stack([luma_input(resize_rgb(img, size)), prompt_map(size, point)]))
    out = []
    for i in range(0, len(xs), batch):
        out.append(model(torch.from_numpy(np.stack(xs[i:i + batch])))[:, 0].numpy())
    return np.concatenate(out) if out else np.zeros((0, size, size), np.float32)


def _records(model, items: list[FinderItem], size: int, variant: str, seed: int, prompted: bool,
             margin: float) -> list[dict]:
    imgs, masks = [], []
    for k, it in enumerate(items):
        rng = np.random.default_rng([seed, k, list(VARIANTS).index(variant)])
        im, m = VARIANTS[variant](it.image, it.mask, rng)
        imgs.append(im)
        masks.append(m)
    gts = [largest_component(m) for m in masks]
    clicks = None
    if prompted:
        clicks = [interior_point(resize_mask(g, size)) if g.any() else None for g in gts]
    logits = predict(model, imgs, size, clicks)
    recs = []
    for it, im, g, lg, k in zip(items, imgs, gts, logits, range(len(items))):
        h, w = g.shape
        prop = pick_component(lg, clicks[k] if clicks else None)
        gt_box = box_of(g)
        rec: dict = {"source": it.source, "id": it.id, "node": gt_box is not None,
                     "score": prop.score if prop else None}
        if prop is not None:
            box = to_image_box(prop.box, size, w, h)
            rec["box"] = box
            rec["crop"] = with_margin(box, margin, w, h)
        if gt_box is not None:
            rec["nodeShare"] = (gt_box[2] - gt_box[0]) * (gt_box[3] - gt_box[1]) / (w * h)
            rec["gtBox"] = gt_box
            if prop is not None:
                rec["iou"] = box_iou(box, gt_box)
                rec["dice"] = dice(prop.mask, resize_mask(g, size))
        recs.append(rec)
    return recs


def summarise(recs: list[dict], threshold: float) -> dict:
    pos = [r for r in recs if r["node"]]
    neg = [r for r in recs if not r["node"]]
    out: dict = {"n": len(pos)}
    if pos:
        kept = [r for r in pos if r["score"] is not None and r["score"] >= threshold]
        iou = [r.get("iou", 0.0) if r in kept else 0.0 for r in pos]
        dsc = [r.get("dice", 0.0) if r in kept else 0.0 for r in pos]
        inside, ratios, small_ok, small = 0, [], 0, 0
        for r in pos:
            x0, y0, x1, y1 = r["gtBox"]
            gt_area = (x1 - x0) * (y1 - y0)
            if r in kept:
                c = r["crop"]
                ok = contains(c, r["gtBox"])
                ratio = (c[2] - c[0]) * (c[3] - c[1]) / gt_area
            else:
                ok, ratio = True, 1.0 / r["nodeShare"]
            inside += ok
            ratios.append(ratio)
            if r["nodeShare"] <= SMALL_NODE:
                small += 1
                small_ok += ok and ratio <= 4.0
        out.update({
            "boxIouMean": round(float(np.mean(iou)), 4), "boxIouMedian": round(float(np.median(iou)), 4),
            "diceMean": round(float(np.mean(dsc)), 4), "diceMedian": round(float(np.median(dsc)), 4),
            "iouAtLeast0.5": round(float(np.mean([v >= 0.5 for v in iou])), 4),
            "nodeInsideCrop": round(inside / len(pos), 4),
            "fallbackToImageArea": round(1 - len(kept) / len(pos), 4),
            "cropToNodeBoxMedian": round(float(np.median(ratios)), 3),
            "smallNodes": small,
            "smallInsideAndAtMost4x": round(small_ok / small, 4) if small else None,
        })
    if neg:
        out["negatives"] = len(neg)
        out["proposedOnNegatives"] = round(
            float(np.mean([r["score"] is not None and r["score"] >= threshold for r in neg])), 4)
    return out


def choose_threshold(val: list[dict], target: float = 0.95) -> tuple[float, list[dict]]:
    """Smallest confidence τ at which the proposals the finder does make on validation images hold
    the node in their crop at least `target` of the time; below τ the app falls back to the image
    area (which always holds the node). Returns τ and the whole curve for the model card."""
    pos = [r for r in val if r["node"] and r["score"] is not None]
    curve, chosen = [], None
    for t in np.round(np.arange(0.5, 0.96, 0.025), 3):
        kept = [r for r in pos if r["score"] >= t]
        rate = float(np.mean([contains(r["crop"], r["gtBox"]) for r in kept])) if kept else 1.0
        curve.append({"threshold": float(t), "kept": len(kept), "insideRate": round(rate, 4)})
        if chosen is None and rate >= target:
            chosen = float(t)
    return (chosen if chosen is not None else 0.95), curve


def evaluate_all(model, items: list[FinderItem], size: int, seed: int, margin: float = DEFAULT_MARGIN,
                 log=print) -> dict:
    model.eval()
    val = [i for i in items if i.split == "val"]
    test = [i for i in items if i.split == "test"]
    val_recs = _records(model, val, size, "original", seed, False, margin)
    threshold, curve = choose_threshold(val_recs)
    log(f"[finder] confidence threshold {threshold} (validation)")
    sources = sorted({i.source for i in items})
    results: dict = {"margin": margin, "threshold": threshold, "thresholdCurve": curve, "size": size,
                     "automatic": {}, "click": {}}
    for variant in VARIANTS:
        recs = _records(model, test, size, variant, seed, False, margin)
        results["automatic"][variant] = {s: summarise([r for r in recs if r["source"] == s], threshold)
                                         for s in sources}
        log(f"[finder] test {variant}: " + ", ".join(
            f"{s} IoU {v.get('boxIouMean')} inside {v.get('nodeInsideCrop')}"
            for s, v in results["automatic"][variant].items()))
        if variant == "original":  # the same proposals without the confidence threshold: the raw model
            results["automaticAnyConfidence"] = {s: summarise([r for r in recs if r["source"] == s], 0.0)
                                                 for s in sources}
    for variant in CLICK_VARIANTS:
        recs = _records(model, test, size, variant, seed, True, margin)
        results["click"][variant] = {s: summarise([r for r in recs if r["source"] == s], threshold)
                                     for s in sources}
        if variant == "original":
            results["clickAnyConfidence"] = {s: summarise([r for r in recs if r["source"] == s], 0.0)
                                             for s in sources}
    results["summary"] = {"threshold": threshold, "automatic": results["automatic"]["original"],
                          "automaticAnyConfidence": results["automaticAnyConfidence"],
                          "click": results["click"]["original"], "clickAnyConfidence": results["clickAnyConfidence"]}
    return results
