"""The node finder's section of a pack's MODEL_CARD.md (between markers, so a re-export replaces it)."""

from __future__ import annotations

from collections.abc import Callable

CARD_START = "<!-- node-finder:start -->"
CARD_END = "<!-- node-finder:end -->"
SOURCE_NAMES = {"busi": "BUSI (breast)", "ddti": "DDTI (thyroid crops)", "phantom": "Simulated nodes"}


def _pct(v) -> str:
    return "—" if v is None else f"{100 * v:.1f} %"


def _num(v, digits: int = 3) -> str:
    return "—" if v is None else f"{v:.{digits}f}"


def _main_table(res: dict) -> list[str]:
    lines = ["| Source | n | Box IoU mean / median | IoU ≥ 0.5 | Dice mean | Node inside crop | Fallback to image "
             "area | Crop / node box (median) | Small nodes: inside and ≤ 4× |",
             "|---|---|---|---|---|---|---|---|---|"]
    for src, r in res.items():
        if not r.get("n"):
            continue
        lines.append(f"| {SOURCE_NAMES.get(src, src)} | {r['n']} | {_num(r['boxIouMean'])} / {_num(r['boxIouMedian'])} "
                     f"| {_pct(r['iouAtLeast0.5'])} | {_num(r['diceMean'])} | {_pct(r['nodeInsideCrop'])} "
                     f"| {_pct(r['fallbackToImageArea'])} | {_num(r['cropToNodeBoxMedian'], 2)}× "
                     f"| {_pct(r['smallInsideAndAtMost4x'])} (n = {r['smallNodes']}) |")
    return lines


def _variant_table(by_variant: dict, key: "str | Callable[[dict], str]", fmt: Callable) -> list[str]:
    """`key` names a field of each summary, or is a function of the whole summary."""
    sources = [s for s in next(iter(by_variant.values())) if by_variant[next(iter(by_variant))][s].get("n")]
    lines = ["| Image variant | " + " | ".join(SOURCE_NAMES.get(s, s) for s in sources) + " |",
             "|---|" + "---|" * len(sources)]
    for v, res in by_variant.items():
        cells = [fmt(key(res[s]) if callable(key) else res[s].get(key)) for s in sources]
        lines.append(f"| {v} | " + " | ".join(cells) + " |")
    return lines


def _inside_and_fallback(r: dict) -> str:
    return f"{_pct(r.get('nodeInsideCrop'))} ({_pct(r.get('fallbackToImageArea'))} image area)"


def render_finder_card(metrics: dict, summary: dict, crop: dict, train_info: dict) -> str:
    auto = metrics["automatic"]
    neg = auto["original"].get("busi", {})
    crop_text = (f"node box plus {crop['margin']:.3f} × the box's longer side on every side"
                 if crop["kind"] == "node-box-margin" else "the whole image area")
    out = [CARD_START, "## Node finder", "",
           f"A compact U-Net ({summary['parameters']:,} parameters, input {summary['inputSize']}×"
           f"{summary['inputSize']}: luma + an optional click heat-map) that proposes the node and the crop the "
           f"classifiers expect ({crop_text}). Trained for {train_info.get('minutes', '?')} min on 2 shared CPU "
           f"cores ({train_info.get('cpuMinutes', '?')} CPU-minutes, {train_info.get('samples', '?')} augmented "
           f"samples{', continuing an earlier run' if train_info.get('init') else ''}: under-trained) on the "
           "lesion masks of BUSI, DDTI and LymphScope phantoms (`python3 -m training train-node-finder`); "
           "see docs/node-finder.md.",
           "",
           "**None of these images are cervical lymph nodes from patients**: breast lesions (BUSI), thyroid "
           "nodules cropped around the nodule (DDTI, so the nodule is large in the frame), and simulated lymph "
           "nodes. How the finder does on real cervical node images is not measured here.",
           "",
           f"Held-out test splits (grouped: BUSI by perceptual hash, DDTI by case, phantoms by case). Confidence "
           f"threshold {metrics['threshold']} chosen on the validation split (the smallest at which the region the "
           "app proposes holds the node in ≥ 95 % of the images with a node); below it the app falls back to the "
           "image area, which counts as holding the node. Box IoU and Dice count a fallback as 0. Dice is measured "
           "in image pixels. The app runs the finder coarse-to-fine: on the whole frame, then on a square window "
           "of twice the coarse box's longer side (at least 32 px) around it, and keeps the window's answer when it is "
           "confident (else the whole frame's, else unsure).",
           "",
           "### Automatic proposal (no click)", ""]
    out += _main_table(auto["original"])
    out += ["", "Against the issue's targets (automatic proposal, original test images):", ""]
    for src, r in auto["original"].items():
        if not r.get("n"):
            continue
        ok = "met" if r["nodeInsideCrop"] >= 0.95 else "**not met**"
        small = r.get("smallInsideAndAtMost4x")
        out.append(f"- {SOURCE_NAMES.get(src, src)}: node inside the region ≥ 95 %: {ok} "
                   f"({_pct(r['nodeInsideCrop'])}); "
                   f"small nodes inside and region ≤ 4× the node box: {_pct(small)} (n = {r['smallNodes']}; "
                   f"target ≈ all: {'met' if small is not None and small >= 0.95 else '**not met**'}).")
    out += ["- Axes within 10 % of the mask's and click-to-outline time (app code on WASM): docs/node-finder.md."]
    if metrics.get("automaticSinglePass"):
        out += ["", f"The single pass on the whole frame alone (its own validation threshold, "
                    f"{metrics.get('singlePassThreshold')}):", ""]
        out += _main_table(metrics["automaticSinglePass"])
    if neg.get("negatives"):
        out += ["", f"BUSI images without a lesion (n = {neg['negatives']}): a node was proposed on "
                    f"{_pct(neg['proposedOnNegatives'])} of them."]
    if metrics.get("automaticAnyConfidence"):
        out += ["", "The same test images without the confidence threshold (every proposal the model makes, "
                    "i.e. what it finds when it is unsure too):", ""]
        out += _main_table(metrics["automaticAnyConfidence"])
    out += ["", "### Robustness (test split, automatic): node inside the proposed crop (share of unsure "
                "proposals that fell back to the image area)", ""]
    out += _variant_table(auto, _inside_and_fallback, str)
    out += ["", "Small nodes (box ≤ 25 % of the frame): inside and crop ≤ 4× the node box:", ""]
    out += _variant_table(auto, "smallInsideAndAtMost4x", _pct)
    out += ["", "Box IoU (mean):", ""]
    out += _variant_table(auto, "boxIouMean", _num)
    out += ["", "### Click-to-outline (a click at the node's deepest interior point)", "", "Dice (mean):", ""]
    out += _variant_table(metrics["click"], "diceMean", _num)
    out += ["", "Box IoU (mean):", ""]
    out += _variant_table(metrics["click"], "boxIouMean", _num)
    if metrics.get("clickAnyConfidence"):
        out += ["", "Click-to-outline without the confidence threshold (original images):", ""]
        out += _main_table(metrics["clickAnyConfidence"])
    out += ["", f"Export: BatchNorm folded, {summary.get('weightsDtype', 'float32')} weights; the stored model's "
                "logits differ from the float32 "
                f"PyTorch model's by at most {summary['storedVsFloat32MaxLogitDiff']} on the golden images, and "
                "TF.js reproduces the stored model's golden outputs (checked at export and by the test suite).",
            CARD_END]
    return "\n".join(out)
