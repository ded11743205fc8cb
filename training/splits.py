"""Grouped, stratified train/val/test split with a fixed seed, written as JSON next to metrics."""

from __future__ import annotations

import json
import os
import random
from collections import Counter, defaultdict
from pathlib import Path

SPLITS = ("train", "val", "test")


def grouped_stratified_split(
    labels: list[int],
    groups: list[int] | list[str],
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15),
    seed: int = 1234,
) -> list[str]:
    """Assigns every item to train/val/test so that a group never straddles two splits.

    Groups are stratified by their majority label: within each label, groups are shuffled with
    the seed and dealt greedily to whichever split is furthest below its target share (by item
    count), which keeps class balance even when groups have different sizes.
    """
    members: dict[object, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        members[g].append(i)
    by_label: dict[int, list[object]] = defaultdict(list)
    for g, idx in members.items():
        majority = Counter(labels[i] for i in idx).most_common(1)[0][0]
        by_label[majority].append(g)
    rng = random.Random(seed)
    out = [""] * len(labels)
    for label in sorted(by_label):
        glist = sorted(by_label[label], key=str)
        rng.shuffle(glist)
        total = sum(len(members[g]) for g in glist)
        filled = dict.fromkeys(SPLITS, 0)
        dealt: dict[str, list[object]] = {s: [] for s in SPLITS}
        for g in glist:
            # Largest remaining deficit first; ties broken toward train.
            split = max(SPLITS, key=lambda s: fractions[SPLITS.index(s)] * total - filled[s])
            filled[split] += len(members[g])
            dealt[split].append(g)
        # A small class (3-4 equal groups) is dealt entirely to train and val by the deficits alone; then
        # the test split lacks the class and its metrics cannot be computed. Move the smallest group of the
        # split holding most groups into each empty split. Large classes never reach this.
        if len(glist) >= len(SPLITS):
            for empty in [s for s in SPLITS if not dealt[s] and fractions[SPLITS.index(s)] > 0]:
                donor = max(SPLITS, key=lambda s: len(dealt[s]))
                g = min(dealt[donor], key=lambda g: (len(members[g]), str(g)))
                dealt[donor].remove(g)
                dealt[empty].append(g)
        for split, gs in dealt.items():
            for g in gs:
                for i in members[g]:
                    out[i] = split
    return out


def missing_classes(labels: list[int], assignment: list[str], classes: int) -> dict[str, list[int]]:
    """Split → the class indices it has no item of (empty when every split holds every class)."""
    have = {s: {labels[i] for i in indices(assignment, s)} for s in SPLITS}
    return {s: [c for c in range(classes) if c not in have[s]] for s in SPLITS if len(have[s]) < classes}


def indices(assignment: list[str], split: str) -> list[int]:
    return [i for i, s in enumerate(assignment) if s == split]


def write_split_json(
    path: str | Path,
    items: list[str],
    labels: list[int],
    groups: list[int] | list[str],
    assignment: list[str],
    meta: dict,
) -> None:
    """One record per item (id, label, group, split) plus counts and how the split was made."""
    counts = {s: dict(Counter(labels[i] for i in indices(assignment, s))) for s in SPLITS}
    doc = {
        **meta,
        "counts": {s: {str(k): v for k, v in sorted(c.items())} for s, c in counts.items()},
        "items": [
            {"id": it, "label": lab, "group": str(g), "split": s}
            for it, lab, g, s in zip(items, labels, groups, assignment)
        ],
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(f"{path}.{os.getpid()}.tmp")  # atomic: DDP ranks write the same split concurrently
    tmp.write_text(json.dumps(doc, indent=1))
    os.replace(tmp, path)


def read_split_json(path: str | Path) -> dict[str, str]:
    """Item id → split, for reusing an existing split (e.g. the ablation uses the same one)."""
    doc = json.loads(Path(path).read_text())
    return {r["id"]: r["split"] for r in doc["items"]}
