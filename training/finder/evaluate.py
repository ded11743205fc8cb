"""Held-out evaluation of the finder, per source and per image variant (JPEG quality, crops,
resizes, sector masks), with the app's post-processing (geometry.py).

Per image with a node (ground truth = the largest connected component of the dataset mask):
- coarse-to-fine as the app runs it: the pass on the whole frame, then one on a window around its
  component (geometry.fine_window); the fine answer when it is confident, else the coarse one;
- box IoU of the proposed box vs the node's box, in image pixels;
- Dice of the proposed component (each image pixel takes the model cell its centre lies in, as
  filling the app's outline does) vs the node's mask, in image pixels;
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
from .geometry import box_iou, contains, dice, fine_window, interior_point, largest_component, pick_component, \
    to_image_box, with_margin

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


def _image_mask(cells: np.ndarray, width: int, height: int) -> np.ndarray:
    """An S×S component as image pixels (width × height): each pixel takes the cell its centre lies
    in, which is what filling the app's outline (cell edges scaled to the image) gives."""
    s = cells.shape[0]
    xs = np.minimum(((np.arange(width) + 0.5) * s / width).astype(int), s - 1)
    ys = np.minimum(((np.arange(height) + 0.5) * s / height).astype(int), s - 1)
    return cells[ys][:, xs]


def _candidate(prop, size: int, win: tuple[int, int, int, int], w: int, h: int, g: np.ndarray,
               margin: float) -> dict:
    """A proposal made on the window `win` (x0, y0, x1, y1) of a w × h image, scored in image pixels."""
    wx, wy, wx1, wy1 = win
    b = to_image_box(prop.box, size, wx1 - wx, wy1 - wy)
    box = (b[0] + wx, b[1] + wy, b[2] + wx, b[3] + wy)
    c: dict = {"score": prop.score, "box": box, "crop": with_margin(box, margin, w, h)}
    gt_box = box_of(g)
    if gt_box is not None:
        m = np.zeros((h, w), bool)
        m[wy:wy1, wx:wx1] = _image_mask(prop.mask, wx1 - wx, wy1 - wy)
        c["iou"] = box_iou(box, gt_box)
        c["dice"] = dice(m, g)
    return c


def _records(model, items: list[FinderItem], size: int, variant: str, seed: int, prompted: bool,
             margin: float) -> list[dict]:
    """Per image: the coarse pass (whole frame) and, where the app runs one, the fine pass (a window
    around the coarse component: geometry.fine_window), each with its confidence; `resolve` applies
    the app's rule for a given threshold."""
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
    recs: list[dict] = []
    fine_jobs: list[tuple[int, tuple[int, int, int, int], tuple[float, float] | None]] = []
    for it, im, g, lg, k in zip(items, imgs, gts, logits, range(len(items))):
        h, w = g.shape
        click = clicks[k] if clicks else None
        prop = pick_component(lg, click)
        gt_box = box_of(g)
        rec: dict = {"source": it.source, "id": it.id, "node": gt_box is not None, "coarse": None, "fine": None}
        if gt_box is not None:
            rec["nodeShare"] = (gt_box[2] - gt_box[0]) * (gt_box[3] - gt_box[1]) / (w * h)
            rec["gtBox"] = gt_box
        if prop is not None:
            rec["coarse"] = _candidate(prop, size, (0, 0, w, h), w, h, g, margin)
            win = fine_window(rec["coarse"]["box"], w, h)
            at = None
            if win is not None and click is not None:  # the click in image pixels, then in the window
                x, y = click[0] * w / size - win[0], click[1] * h / size - win[1]
                ww, wh = win[2] - win[0], win[3] - win[1]
                at = (x * size / ww, y * size / wh) if 0 <= x <= ww and 0 <= y <= wh else None
                if at is None:
                    win = None
            if win is not None:
                fine_jobs.append((len(recs), win, at))
        recs.append(rec)
    crops = [imgs[i][y0:y1, x0:x1] for i, (x0, y0, x1, y1), _ in fine_jobs]
    fine_logits = predict(model, crops, size, [a for _, _, a in fine_jobs] if prompted else None)
    for (i, win, at), flg in zip(fine_jobs, fine_logits):
        if at is None:  # automatic: the component at the coarse box's centre (the app's choice, not the largest)
            b = recs[i]["coarse"]["box"]
            ww, wh = win[2] - win[0], win[3] - win[1]
            at = ((b[0] + b[2]) / 2 - win[0]) * size / ww, ((b[1] + b[3]) / 2 - win[1]) * size / wh
        fprop = pick_component(flg, at)
        if fprop is not None:
            h, w = gts[i].shape
            recs[i]["fine"] = _candidate(fprop, size, win, w, h, gts[i], margin)
    return recs


def resolve(r: dict, threshold: float, refine: bool) -> dict | None:
    """The app's answer for a threshold: the fine pass when it is confident, else the coarse pass when
    it is, else unsure (None). Without `refine`, the single pass on the whole frame."""
    for c in ((r["fine"], r["coarse"]) if refine else (r["coarse"],)):
        if c is not None and c["score"] >= threshold:
            return c
    return None


def summarise(recs: list[dict], threshold: float, refine: bool = True) -> dict:
    pos = [r for r in recs if r["node"]]
    neg = [r for r in recs if not r["node"]]
    out: dict = {"n": len(pos)}
    if pos:
        got = [resolve(r, threshold, refine) for r in pos]
        iou = [c["iou"] if c else 0.0 for c in got]
        dsc = [c["dice"] if c else 0.0 for c in got]
        inside, ratios, small_ok, small = 0, [], 0, 0
        for r, c in zip(pos, got):
            x0, y0, x1, y1 = r["gtBox"]
            gt_area = (x1 - x0) * (y1 - y0)
            if c is not None:
                cr = c["crop"]
                ok = contains(cr, r["gtBox"])
                ratio = (cr[2] - cr[0]) * (cr[3] - cr[1]) / gt_area
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
            "fallbackToImageArea": round(float(np.mean([c is None for c in got])), 4),
            "finePass": round(float(np.mean([c is not None and c is r["fine"] for r, c in zip(pos, got)])), 4),
            "cropToNodeBoxMedian": round(float(np.median(ratios)), 3),
            "smallNodes": small,
            "smallInsideAndAtMost4x": round(small_ok / small, 4) if small else None,
        })
    if neg:
        out["negatives"] = len(neg)
        out["proposedOnNegatives"] = round(
            float(np.mean([resolve(r, threshold, refine) is not None for r in neg])), 4)
    return out


def choose_threshold(val: list[dict], target: float = 0.95, refine: bool = True) -> tuple[float, list[dict]]:
    """Smallest confidence τ at which the node is inside the region the app proposes in at least
    `target` of the validation images with a node — the issue's target, where an unsure proposal
    falls back to the image area (which holds the node). Returns τ and the whole curve (with the
    rate among the proposals kept, too) for the model card."""
    pos = [r for r in val if r["node"]]
    curve, chosen = [], None
    for t in np.round(np.arange(0.5, 0.96, 0.025), 3):
        kept = [(r, c) for r in pos if (c := resolve(r, float(t), refine)) is not None]
        held = sum(contains(c["crop"], r["gtBox"]) for r, c in kept)
        rate = (held + len(pos) - len(kept)) / len(pos) if pos else 1.0
        curve.append({"threshold": float(t), "kept": len(kept), "insideRate": round(rate, 4),
                      "insideRateKept": round(held / len(kept), 4) if kept else None})
        if chosen is None and rate >= target:
            chosen = float(t)
    return (chosen if chosen is not None else 0.95), curve


_POOL_STATE: dict = {}


def _pool_job(job: tuple[str, bool, str]) -> list[dict]:
    variant, prompted, split = job
    st = _POOL_STATE
    torch.set_num_threads(1)  # one thread per worker process: the workers are the parallelism
    items = [i for i in st["items"] if i.split == split]
    return _records(st["model"], items, st["size"], variant, st["seed"], prompted, st["margin"])


def _all_records(model, items: list[FinderItem], size: int, seed: int, margin: float, workers: int) -> dict:
    """Records of every (variant, click?, split) the evaluation reports, in `workers` forked processes
    when more than one (each image's variant is seeded by its index, so the split does not change them)."""
    jobs = [("original", False, "val")] + [(v, False, "test") for v in VARIANTS] + \
        [(v, True, "test") for v in CLICK_VARIANTS]
    _POOL_STATE.update(model=model, items=items, size=size, seed=seed, margin=margin)
    if workers > 1:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(workers) as pool:
            out = pool.map(_pool_job, jobs, chunksize=1)
    else:
        out = [_records(model, [i for i in items if i.split == sp], size, v, seed, p, margin) for v, p, sp in jobs]
    _POOL_STATE.clear()
    return dict(zip(jobs, out))


def evaluate_all(model, items: list[FinderItem], size: int, seed: int, margin: float = DEFAULT_MARGIN,
                 log=print, workers: int = 1) -> dict:
    model.eval()
    recs_of = _all_records(model, items, size, seed, margin, workers)
    test = [i for i in items if i.split == "test"]
    val_recs = recs_of[("original", False, "val")]
    threshold, curve = choose_threshold(val_recs)
    # The single pass on the whole frame, with the threshold that rule would pick: what coarse-to-fine adds.
    single_threshold, _ = choose_threshold(val_recs, refine=False)
    log(f"[finder] confidence threshold {threshold} (validation; single pass {single_threshold})")
    sources = sorted({i.source for i in items})
    results: dict = {"margin": margin, "threshold": threshold, "thresholdCurve": curve, "size": size,
                     "singlePassThreshold": single_threshold, "automatic": {}, "click": {},
                     # the held-out images, for the app-side measurement (bench/finder-eval.ts)
                     "testIds": {s: [i.id for i in test if i.source == s] for s in sources}}
    for variant in VARIANTS:
        recs = recs_of[(variant, False, "test")]
        results["automatic"][variant] = {s: summarise([r for r in recs if r["source"] == s], threshold)
                                         for s in sources}
        log(f"[finder] test {variant}: " + ", ".join(
            f"{s} IoU {v.get('boxIouMean')} inside {v.get('nodeInsideCrop')}"
            for s, v in results["automatic"][variant].items()))
        if variant == "original":  # the same proposals without the confidence threshold: the raw model
            results["automaticAnyConfidence"] = {s: summarise([r for r in recs if r["source"] == s], 0.0)
                                                 for s in sources}
            results["automaticSinglePass"] = {
                s: summarise([r for r in recs if r["source"] == s], single_threshold, refine=False) for s in sources}
    for variant in CLICK_VARIANTS:
        recs = recs_of[(variant, True, "test")]
        results["click"][variant] = {s: summarise([r for r in recs if r["source"] == s], threshold)
                                     for s in sources}
        if variant == "original":
            results["clickAnyConfidence"] = {s: summarise([r for r in recs if r["source"] == s], 0.0)
                                             for s in sources}
    results["summary"] = {"threshold": threshold, "automatic": results["automatic"]["original"],
                          "automaticSinglePass": results["automaticSinglePass"],
                          "automaticAnyConfidence": results["automaticAnyConfidence"],
                          "click": results["click"]["original"], "clickAnyConfidence": results["clickAnyConfidence"]}
    return results
