"""`python3 -m training input-gate`: trains and measures a pack's input checks, writes
`<modality>/input-check.json` into the pack, lists it in the manifest (hashes recomputed with the
exporter's `list_files`) and records the measurements (docs/input-checks.md)."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np

from .export.pack import list_files
from .input_gate import (GATE_CLASSES, REQUIRED_PASS, TEXTURE_FEATURES, TEXTURE_SLICE, PackFeatures,
                         calibrate_min_probability, calibrate_threshold, fit_gate, fit_ood, gate_passes,
                         handcrafted_features, resized, sidecar, verdict)
from .input_gate_data import Item, demo_items, generator_items, negative_items, phantom_items, real_bmode_items
from .modalities import MODALITY_IDS

NEAR_SETS = ("busi", "ddti", "colourised-bmode")
FAR_SETS = ("photos", "wallpapers", "photos-gray", "photos-sector", "documents", "screenshots", "ct-mr-dicom",
            "noise-blank", "colour-photos", "colour-photos-hard")
INPUT_SIZE = 224
# Generator cases per modality (classes balanced) for the gate and the statistics, and for calibration.
GENERATOR_TRAIN = 300
GENERATOR_CAL = 200
GENERATOR_OTHER = 60  # of each other modality, in a slot's gate training


def auroc(pos: np.ndarray, neg: np.ndarray) -> float:
    """P(score of a `pos` item > score of a `neg` item), ties counted half (Mann-Whitney)."""
    from sklearn.metrics import roc_auc_score

    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    return float(roc_auc_score(y, np.r_[pos, neg]))


def crops(items: list[Item], cache_dir: Path, log) -> list[np.ndarray]:
    """Each item as the 224×224 crop the app hands the model (Pillow BILINEAR, as `prepare` and the
    colour statistics resize), cached one file per item (the crops are deterministic)."""
    folder = cache_dir / f"crops-{INPUT_SIZE}"
    folder.mkdir(parents=True, exist_ok=True)
    out: list[np.ndarray] = []
    t0, made = time.time(), 0
    for it in items:
        f = folder / (hashlib.sha256(it.key.encode()).hexdigest()[:24] + ".npy")
        if f.exists():
            out.append(np.load(f))
            continue
        c = resized(it.load(), INPUT_SIZE)
        np.save(f, c)
        out.append(c)
        made += 1
        if made % 200 == 0:
            log(f"  crops: {made} made ({(time.time() - t0) / made:.2f} s/image)")
    return out


def features(pf: PackFeatures, items: list[Item], images: list[np.ndarray], cache: Path, log) -> np.ndarray:
    """Pooled features of `items` (their crops `images`), cached by item key."""
    store: dict[str, np.ndarray] = dict(np.load(cache)) if cache.exists() else {}
    todo = [i for i, it in enumerate(items) if it.key not in store]
    t0 = time.time()
    for n in range(0, len(todo), 32):
        chunk = todo[n : n + 32]
        for i, f in zip(chunk, pf([images[i] for i in chunk])):
            store[items[i].key] = f
        if (n // 32) % 8 == 7 or n + 32 >= len(todo):
            np.savez(cache, **store)
        log(f"  {cache.name}: {n + len(chunk)}/{len(todo)} ({(time.time() - t0) / (n + len(chunk)):.2f} s/image)")
    return np.stack([store[it.key] for it in items])


def run_input_gate(pack_dir: Path, phantoms: Path, demo: Path, data: Path, results: Path, cache_dir: Path,
                   seed: int = 1234, feature_model: dict[str, str] | None = None, log=print,
                   generator: Path | None = None, fresh: Path | None = None,
                   development: Path | None = None, required_pass: float = REQUIRED_PASS) -> dict:
    """`feature_model`: per slot, the modality whose model computes the features of its checks
    (absent: the slot's own model). One model for several slots costs one forward pass per check and
    a fraction of the feature extraction here. `generator`: `npm run phantoms` output at seeds apart
    from the pack's (gate training, out-of-distribution statistics and calibration over the
    generator's whole range); `fresh`: a larger set of unseen demo-generator cases (evaluation);
    `development`: demo-generator cases that design choices were checked on (reported apart)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    items = (phantom_items(phantoms, results / "split-stage2.json", {"train": 200, "val": 80, "test": 60}, 20)
             + real_bmode_items(data, results, 50, 40, seed) + negative_items(50, 35, seed))
    gen_train = ((generator_items(generator, GENERATOR_TRAIN)
                  + generator_items(generator, GENERATOR_TRAIN, low_gain=True)) if generator else [])
    own_only = ((generator_items(generator, GENERATOR_CAL, skip=GENERATOR_TRAIN, split="val")
                 + generator_items(generator, GENERATOR_CAL // 2, skip=GENERATOR_TRAIN, split="val", low_gain=True)
                 if generator else [])
                + demo_items(demo) + (demo_items(fresh, "fresh") if fresh else [])
                + (demo_items(development, "dev") if development else []))
    manifest = json.loads((pack_dir / "manifest.json").read_text())
    report: dict = {"seed": seed, "modalities": {}}
    for mod in MODALITY_IDS:
        if mod not in manifest["modalities"]:
            continue
        extractor = (feature_model or {}).get(mod, mod)
        pf = PackFeatures(pack_dir, extractor)
        mine = [d for d in own_only if d.source.endswith(f"-{mod}")]
        # The generator's range matters most for the slot's own modality; of the others a share
        # (classes balanced) beside the pack's own crops, which keeps the forward passes affordable.
        gen = [g for g in gen_train if g.source == f"generator-{mod}"] + [
            g for m in MODALITY_IDS if m != mod for low in (False, True)
            for g in [x for x in gen_train if x.source == f"generator-{m}" and ("low-gain" in x.key) == low][
                :GENERATOR_OTHER // 2]]
        every = items + gen + mine
        images = crops(every, cache_dir, log)
        f_all = features(pf, every, images, cache_dir / f"features-{manifest['id']}-{extractor}.npz", log)
        h_all = np.stack([handcrafted_features(c) for c in images])
        del images
        src = np.array([it.source for it in every])
        split = np.array([it.split for it in every])
        gate_train = (split == "train") & np.array([it.gate is not None for it in every])
        labels = np.array([GATE_CLASSES.index(it.gate) if it.gate else -1 for it in every])
        ind_train = ((src == f"simulated-{mod}") | (src == f"generator-{mod}")) & (split == "train")
        # Calibration: the pack's validation split and the generator's calibration cases of this slot.
        cal = ((src == f"simulated-{mod}") | (src == f"generator-{mod}")) & (split == "val")
        gate = fit_gate(np.hstack([f_all, h_all])[gate_train], labels[gate_train], seed=seed)
        ood = fit_ood(f_all[ind_train])
        tex = fit_ood(h_all[ind_train][:, TEXTURE_SLICE], components=len(TEXTURE_FEATURES) - 1)
        probs_cal = gate.probabilities(np.hstack([f_all, h_all])[cal])
        calibrate_min_probability(gate, probs_cal, mod)
        passes = gate_passes(gate, probs_cal, mod)
        ood.threshold = calibrate_threshold(ood.distance(f_all[cal]), passes, required=required_pass)
        tex.threshold = calibrate_threshold(tex.distance(h_all[cal][:, TEXTURE_SLICE]),
                                            passes & (ood.distance(f_all[cal]) <= ood.threshold),
                                            required=required_pass)
        doc = sidecar(gate, ood, extractor, {
            "trainedBy": "python3 -m training input-gate", "seed": seed,
            "trainingImages": {s: int(((src == s) & gate_train).sum()) for s in sorted(set(src[gate_train]))},
            "oodStatistics": f"simulated {mod} crops: the pack's training split and the generator at other seeds "
                             f"(n={int(ind_train.sum())})",
            "thresholdCalibration": f"simulated {mod} crops: the pack's validation split and generator cases apart "
                                    f"from the training ones (n={int(cal.sum())})",
        }, texture_ood=tex)
        (pack_dir / mod / "input-check.json").write_text(json.dumps(doc, separators=(",", ":")) + "\n")
        manifest["modalities"][mod]["inputCheck"] = f"{mod}/input-check.json"
        report["modalities"][mod] = {"featureModel": extractor,
                                     **measure(gate, ood, tex, mod, f_all, h_all, src, split)}
        log(f"[{mod}] {json.dumps(report['modalities'][mod]['summary'])}")
    card = pack_dir / "MODEL_CARD.md"
    if card.exists():
        card.write_text(with_card_section(card.read_text(), report))
    manifest["files"] = list_files(pack_dir)
    (pack_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    (results / "input-check.json").write_text(json.dumps(report, indent=1) + "\n")
    return report


def measure(gate, ood, tex, mod: str, feats: np.ndarray, hand: np.ndarray, src: np.ndarray,
            split: np.ndarray) -> dict:
    """Held-out figures for one slot: every set here is disjoint from the training and calibration items."""
    held = split == "test"
    ind = held & (src == f"simulated-{mod}")
    p_not = gate.probabilities(np.hstack([feats, hand]))[:, 0]
    dist = ood.distance(feats)
    tdist = tex.distance(hand[:, TEXTURE_SLICE])
    out: dict = {"threshold": ood.threshold, "textureThreshold": tex.threshold,
                 "wrongModalityMinProbability": gate.min_probability,
                 "wrongModalityMinProbabilityBy": dict(gate.min_probability_by), "sets": {}}

    def summary(mask: np.ndarray) -> dict:
        v = verdict(gate, ood, feats[mask], hand[mask], mod, tex)
        return {k: v.count(k) for k in ("ok", "not-ultrasound", "wrong-modality", "out-of-distribution")}

    def rate(mask: np.ndarray) -> dict:
        v = summary(mask)
        return {"n": int(mask.sum()), "passRate": round(v["ok"] / max(1, mask.sum()), 4),
                "verdicts": {k: n for k, n in v.items() if n}}

    for s in FAR_SETS + NEAR_SETS + tuple(f"simulated-{m}" for m in MODALITY_IDS if m != mod):
        m = held & (src == s)
        if not m.any():
            continue
        out["sets"][s] = {
            "n": int(m.sum()),
            "aurocNotUltrasound": round(auroc(p_not[m], p_not[ind]), 4),
            "aurocOod": round(auroc(dist[m], dist[ind]), 4),
            "aurocTexture": round(auroc(tdist[m], tdist[ind]), 4),
            "verdicts": summary(m),
        }
    out["inDistribution"] = {
        "validation": rate((split == "val") & (src == f"simulated-{mod}")),
        "generatorCalibration": rate((split == "val") & (src == f"generator-{mod}")),
        "test": rate(ind),
        "demoCases": rate(src == f"demo-{mod}"),
        "freshDemoCases": rate(src == f"fresh-{mod}"),
        "developmentDemoCases": rate(src == f"dev-{mod}"),
    }
    i = out["inDistribution"]
    out["summary"] = {k: i[k]["passRate"] for k in i} | {
        s: [v["aurocNotUltrasound"], v["aurocOod"], v["aurocTexture"], v["verdicts"]["ok"]]
        for s, v in out["sets"].items()}
    return out


CARD_START = "<!-- input-checks: written by python3 -m training input-gate -->"
CARD_END = "<!-- /input-checks -->"


def with_card_section(card: str, report: dict) -> str:
    """The model card with its input-check section (re)written from `report`."""
    sets = [s for s in FAR_SETS + NEAR_SETS if any(s in r["sets"] for r in report["modalities"].values())]
    lines = [CARD_START, "## Input checks", "",
             "Learned checks of each slot's image before analysis (docs/input-checks.md in the app's repository): "
             "a gate on the pooled features + colour and texture statistics (not ultrasound / which modality), and "
             "two distances to this pack's training images (pooled features; texture statistics) for out of "
             "distribution. Held-out figures; AUROC of the not-ultrasound probability / of the feature distance / "
             "of the texture distance against the slot's simulated test crops, then the crops verdict `ok`.", "",
             "| slot | features of | pass: validation / test / demo cases / fresh demo cases | "
             + " | ".join(sets) + " |",
             "|---|---|---|" + "---|" * len(sets)]
    for mod, r in report["modalities"].items():
        i = r["inDistribution"]
        cells = []
        for s in sets:
            v = r["sets"].get(s)
            texture = v.get('aurocTexture', float('nan')) if v else float('nan')
            cells.append(f"{v['aurocNotUltrasound']:.2f} / {v['aurocOod']:.2f} / {texture:.2f}"
                         f"; ok {v['verdicts']['ok']}/{v['n']}" if v else "—")
        fresh = i.get("freshDemoCases", {"passRate": float("nan"), "n": 0})
        lines.append(f"| {mod} | {r.get('featureModel', mod)} | {i['validation']['passRate']:.0%} / "
                     f"{i['test']['passRate']:.0%} / {i['demoCases']['passRate']:.0%} / "
                     f"{fresh['passRate']:.1%} (n={fresh['n']}) | " + " | ".join(cells) + " |")
    if "colour-photos" in sets:
        lines += ["", "Not-ultrasound sets come from Debian packages (docs/input-checks.md lists them); colour-photos "
                  "and colour-photos-hard (plain; grayscale and/or sector-masked) are photographs of "
                  "lomiri-wallpapers-16.04 and lomiri-wallpapers, held out by file."]
    lines += ["", "BUSI and DDTI are real ultrasound but not lymph nodes, and this pack was trained on simulated "
              "nodes: most are flagged as unlike the training images. See docs/input-checks.md for the verdict "
              "tables and the limits.", CARD_END]
    section = "\n".join(lines)
    if CARD_START in card:
        head, rest = card.split(CARD_START, 1)
        return head + section + rest.split(CARD_END, 1)[1]
    return card.rstrip("\n") + "\n\n" + section + "\n"
