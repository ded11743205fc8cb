"""`python3 -m training input-gate`: trains and measures a pack's input checks, writes
`<modality>/input-check.json` into the pack, lists it in the manifest (hashes recomputed with the
exporter's `list_files`) and records the measurements (docs/input-checks.md)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from .export.pack import list_files
from .input_gate import (GATE_CLASSES, PackFeatures, calibrate_min_probability, calibrate_threshold, colour_features,
                         fit_gate, fit_ood, gate_passes, resized, sidecar, verdict)
from .input_gate_data import Item, demo_items, negative_items, phantom_items, real_bmode_items
from .modalities import MODALITY_IDS

NEAR_SETS = ("busi", "ddti", "colourised-bmode")
FAR_SETS = ("photos", "documents", "screenshots", "ct-mr-dicom", "noise-blank")


def auroc(pos: np.ndarray, neg: np.ndarray) -> float:
    """P(score of a `pos` item > score of a `neg` item), ties counted half (Mann-Whitney)."""
    from sklearn.metrics import roc_auc_score

    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    return float(roc_auc_score(y, np.r_[pos, neg]))


def features(pf: PackFeatures | None, items: list[Item], cache: Path, log) -> np.ndarray:
    """Pooled features of `items` (None: their colour features), cached by item key (the crops are
    deterministic)."""
    store: dict[str, np.ndarray] = dict(np.load(cache)) if cache.exists() else {}
    todo = [it for it in items if it.key not in store]
    t0 = time.time()
    for i in range(0, len(todo), 32):
        chunk = todo[i : i + 32]
        images = [it.load() for it in chunk]
        computed: list[np.ndarray] = (list(pf(images)) if pf else
                                      [colour_features(resized(im, 224)) for im in images])
        for it, f in zip(chunk, computed):
            store[it.key] = f
        np.savez(cache, **store)
        log(f"  {cache.name}: {i + len(chunk)}/{len(todo)} ({(time.time() - t0) / (i + len(chunk)):.2f} s/image)")
    return np.stack([store[it.key] for it in items])


def run_input_gate(pack_dir: Path, phantoms: Path, demo: Path, data: Path, results: Path, cache_dir: Path,
                   seed: int = 1234, feature_model: dict[str, str] | None = None, log=print) -> dict:
    """`feature_model`: per slot, the modality whose model computes the features of its checks
    (absent: the slot's own model). One model for several slots costs one forward pass per check and
    a fraction of the feature extraction here."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    items = (phantom_items(phantoms, results / "split-stage2.json", {"train": 200, "val": 80, "test": 60}, 20)
             + real_bmode_items(data, results, 50, 40, seed) + negative_items(50, 35, seed))
    demos = demo_items(demo)
    manifest = json.loads((pack_dir / "manifest.json").read_text())
    report: dict = {"seed": seed, "modalities": {}}
    for mod in MODALITY_IDS:
        if mod not in manifest["modalities"]:
            continue
        extractor = (feature_model or {}).get(mod, mod)
        pf = PackFeatures(pack_dir, extractor)
        mine = [d for d in demos if d.source == f"demo-{mod}"]
        feats = features(pf, items + mine, cache_dir / f"features-{manifest['id']}-{extractor}.npz", log)
        colour = features(None, items + mine, cache_dir / "colour.npz", log)
        f_items, f_demo = feats[: len(items)], feats[len(items):]
        c_items, c_demo = colour[: len(items)], colour[len(items):]
        x_items = np.hstack([f_items, c_items])
        src = np.array([it.source for it in items])
        split = np.array([it.split for it in items])
        own = src == f"simulated-{mod}"
        train = (split == "train") & np.array([it.gate is not None for it in items])
        labels = np.array([GATE_CLASSES.index(it.gate) if it.gate else -1 for it in items])
        gate = fit_gate(x_items[train], labels[train], seed=seed)
        ood = fit_ood(f_items[own & (split == "train")])
        val = own & (split == "val")
        probs_val = gate.probabilities(x_items[val])
        calibrate_min_probability(gate, probs_val, mod)
        ood.threshold = calibrate_threshold(ood.distance(f_items[val]), gate_passes(gate, probs_val, mod))
        doc = sidecar(gate, ood, extractor, {
            "trainedBy": "python3 -m training input-gate", "seed": seed,
            "trainingImages": {s: int(((src == s) & train).sum()) for s in sorted(set(src[train]))},
            "oodStatistics": f"simulated {mod} crops, pack training split (n={int((own & (split == 'train')).sum())})",
            "thresholdCalibration": f"simulated {mod} crops, pack validation split (n={int(val.sum())})",
        })
        (pack_dir / mod / "input-check.json").write_text(json.dumps(doc, separators=(",", ":")) + "\n")
        manifest["modalities"][mod]["inputCheck"] = f"{mod}/input-check.json"
        report["modalities"][mod] = {"featureModel": extractor,
                                     **measure(gate, ood, mod, f_items, c_items, src, split, f_demo, c_demo)}
        log(f"[{mod}] {json.dumps(report['modalities'][mod]['summary'])}")
    card = pack_dir / "MODEL_CARD.md"
    if card.exists():
        card.write_text(with_card_section(card.read_text(), report))
    manifest["files"] = list_files(pack_dir)
    (pack_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    (results / "input-check.json").write_text(json.dumps(report, indent=1) + "\n")
    return report


def measure(gate, ood, mod: str, feats: np.ndarray, colour: np.ndarray, src: np.ndarray, split: np.ndarray,
            demo: np.ndarray, demo_colour: np.ndarray) -> dict:
    """Held-out figures for one slot: every set here is disjoint from the training items."""
    held = split == "test"
    ind = held & (src == f"simulated-{mod}")
    p_not = gate.probabilities(np.hstack([feats, colour]))[:, 0]
    dist = ood.distance(feats)
    out: dict = {"threshold": ood.threshold, "wrongModalityMinProbability": gate.min_probability, "sets": {}}

    def summary(mask: np.ndarray) -> dict:
        v = verdict(gate, ood, feats[mask], colour[mask], mod)
        return {k: v.count(k) for k in ("ok", "not-ultrasound", "wrong-modality", "out-of-distribution")}

    for s in FAR_SETS + NEAR_SETS + tuple(f"simulated-{m}" for m in MODALITY_IDS if m != mod):
        m = held & (src == s)
        if not m.any():
            continue
        out["sets"][s] = {
            "n": int(m.sum()),
            "aurocNotUltrasound": round(auroc(p_not[m], p_not[ind]), 4),
            "aurocOod": round(auroc(dist[m], dist[ind]), 4),
            "verdicts": summary(m),
        }
    val = (split == "val") & (src == f"simulated-{mod}")
    dv = verdict(gate, ood, demo, demo_colour, mod)
    out["inDistribution"] = {
        "validation": {"n": int(val.sum()), "passRate": round(summary(val)["ok"] / val.sum(), 4)},
        "test": {"n": int(ind.sum()), "passRate": round(summary(ind)["ok"] / ind.sum(), 4)},
        "demoCases": {"n": len(dv), "passRate": round(dv.count("ok") / max(1, len(dv)), 4),
                      "verdicts": {k: dv.count(k) for k in set(dv)}},
    }
    out["summary"] = {"val": out["inDistribution"]["validation"]["passRate"],
                      "test": out["inDistribution"]["test"]["passRate"],
                      "demo": out["inDistribution"]["demoCases"]["passRate"],
                      **{s: [v["aurocNotUltrasound"], v["aurocOod"]] for s, v in out["sets"].items()}}
    return out


CARD_START = "<!-- input-checks: written by python3 -m training input-gate -->"
CARD_END = "<!-- /input-checks -->"


def with_card_section(card: str, report: dict) -> str:
    """The model card with its input-check section (re)written from `report`."""
    lines = [CARD_START, "## Input checks", "",
             "Learned checks of each slot's image before analysis (docs/input-checks.md in the app's repository): "
             "a gate on the pooled features + colour statistics (not ultrasound / which modality) and a Mahalanobis "
             "distance to this pack's training split (out of distribution). Held-out figures; AUROC of the "
             "not-ultrasound probability / of the distance against the slot's simulated test crops.", "",
             "| slot | features of | pass: validation / test / demo cases | " + " | ".join(FAR_SETS + NEAR_SETS) + " |",
             "|---|---|---|" + "---|" * len(FAR_SETS + NEAR_SETS)]
    for mod, r in report["modalities"].items():
        i = r["inDistribution"]
        cells = [f"{r['sets'][s]['aurocNotUltrasound']:.2f} / {r['sets'][s]['aurocOod']:.2f}" if s in r["sets"] else "—"
                 for s in FAR_SETS + NEAR_SETS]
        lines.append(f"| {mod} | {r.get('featureModel', mod)} | {i['validation']['passRate']:.0%} / "
                     f"{i['test']['passRate']:.0%} / {i['demoCases']['passRate']:.0%} | " + " | ".join(cells) + " |")
    lines += ["", "Photographs and colourised B-mode remain the weakest sets: some photo crops pass as ultrasound "
              "(see the verdict tables in docs/input-checks.md). BUSI and DDTI are real ultrasound but not lymph "
              "nodes; the distance flags many BUSI images as unlike the training images, few DDTI crops.", CARD_END]
    section = "\n".join(lines)
    if CARD_START in card:
        head, rest = card.split(CARD_START, 1)
        return head + section + rest.split(CARD_END, 1)[1]
    return card.rstrip("\n") + "\n\n" + section + "\n"
