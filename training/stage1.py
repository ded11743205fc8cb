"""Stage 1: pre-training one ResNet backbone on public ultrasound (BUSI 3-class + DDTI TI-RADS).

Like the paper's pre-training on public medical images, this gives stage 2 ultrasound-shaped
features (speckle, shadowing, lesion borders) instead of random ones. Both sets feed mixed
batches into one backbone with one head per task; each item's loss uses its own task's head.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .calibration import calibrate
from .data import BUSI_CLASSES, DDTI_CLASSES, labels_tensor, load_busi, load_ddti, preload
from .dedup import NearDuplicateRule, near_duplicate_groups
from .distributed import Runtime
from .metrics import classification_report, softmax
from .model import MultiHeadResNet
from .splits import indices, grouped_stratified_split, write_split_json
from .train import TrainConfig, predict, train

TASKS = {"busi": BUSI_CLASSES, "ddti": DDTI_CLASSES}


def split_with_duplicates(samples, ids: list[str], seed: int, threshold: NearDuplicateRule | int, out_json: Path,
                          meta: dict):
    """Groups = explicit case ids ∪ near-duplicates (pHash or dHash, dedup.py); grouped stratified split; JSON."""
    rule = NearDuplicateRule(phash=threshold) if isinstance(threshold, int) else threshold
    dup_info: dict = {}
    groups = near_duplicate_groups([s.path for s in samples], rule, [s.group for s in samples], dup_info)
    labels = [s.label for s in samples]
    assignment = grouped_stratified_split(labels, groups, seed=seed)
    write_split_json(
        out_json, ids, labels, groups, assignment,
        {**meta, "seed": seed, "grouping": f"case id + near-duplicates ({rule.describe()})", "nearDuplicates": dup_info,
         "fractions": {"train": 0.7, "val": 0.15, "test": 0.15}},
    )
    return assignment, groups


def multitask_loss(outputs: dict[str, torch.Tensor], t: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean cross-entropy over the batch, each item scored by its own task's head."""
    total = outputs["busi"].new_zeros(())
    for task_index, task in enumerate(TASKS):
        m = t["task"] == task_index
        if m.any():
            total = total + F.cross_entropy(outputs[task][m], t["label"][m], reduction="sum")
    return total / len(t["label"])


def run_stage1(
    busi_root: str,
    ddti_root: str,
    out_dir: Path,
    rt: Runtime,
    epochs: int,
    image_size: int,
    seed: int,
    arch: str = "resnet18",
    threshold: NearDuplicateRule | int = NearDuplicateRule(),
    cache_dir: Path | None = None,
    log=print,
) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    t_start = time.time()
    sets = {"busi": load_busi(busi_root), "ddti": load_ddti(ddti_root)}
    roots = {"busi": Path(busi_root), "ddti": Path(ddti_root)}
    assign, imgs, dup_groups = {}, {}, {}
    for task, samples in sets.items():
        ids = [str(Path(s.path).relative_to(roots[task])) for s in samples]
        assign[task], dup_groups[task] = split_with_duplicates(
            samples, ids, seed, threshold, out_dir / f"split-{task}.json",
            {"dataset": task.upper(), "classes": TASKS[task]},
        )
        imgs[task] = preload(samples, image_size, cache_dir)
        log(f"[stage1] {task}: {len(samples)} images, split " +
            ", ".join(f"{s} {len(indices(assign[task], s))}" for s in ("train", "val", "test")))

    train_parts = [(ti, t, torch.tensor(indices(assign[t], "train"))) for ti, t in enumerate(TASKS)]
    images = torch.cat([imgs[t][ix] for _, t, ix in train_parts])
    targets = {
        "label": torch.cat([labels_tensor(sets[t])[ix] for _, t, ix in train_parts]),
        "task": torch.cat([torch.full((len(ix),), ti) for ti, _, ix in train_parts]),
    }
    model = MultiHeadResNet(arch, {t: len(c) for t, c in TASKS.items()})
    cfg = TrainConfig(epochs=epochs, batch_size=16, lr=2e-3, weight_decay=5e-4, seed=seed, label="stage1")
    stats: dict = {}
    train(model, images, targets, multitask_loss, cfg, rt, out_dir / "checkpoint.pt", log, stats)
    # Summed epoch times across resumes (the checkpoint carries them): a run resumed at its last
    # epoch used to report the few seconds of the final process instead of the real training time.
    report: dict = {"imageSize": image_size, "epochs": epochs, "seed": seed, "arch": arch,
                    "seconds": round(stats["trainSeconds"]), "wallSecondsThisRun": round(time.time() - t_start)}
    predictions: dict = {}
    if rt.is_main:
        for task, classes in TASKS.items():
            y = labels_tensor(sets[task])
            val, test = indices(assign[task], "val"), indices(assign[task], "test")
            out_val, out_test = predict(model, imgs[task][val], rt.device), predict(model, imgs[task][test], rt.device)
            assert isinstance(out_val, dict) and isinstance(out_test, dict)  # one output per head
            # Test logits rounded to 5 decimals: the metrics below are computed from exactly the numbers
            # test-predictions.json keeps, so anyone can recompute them bit for bit.
            lv, lt = out_val[task], np.round(out_test[task].numpy().astype(np.float64), 5)
            fit = calibrate(lv, y[val], len(classes))
            if fit.status != "ok":
                log(f"[stage1] {task}: WARNING temperature not fitted, T=1: {fit.reason}")
            temp = fit.temperature
            yt = y[test].numpy()
            test_groups = [dup_groups[task][i] for i in test]  # cases + near-duplicate groups: the split's units
            report[task] = {
                "dataset": task.upper(), "split": "test", "temperature": round(temp, 4), "calibration": fit.record(),
                **classification_report(yt, softmax(lt, temp), classes, softmax(lt), groups=test_groups),
            }
            ids = [str(Path(sets[task][i].path).relative_to(roots[task])) for i in test]
            predictions[task] = {"classes": classes, "temperature": temp, "ids": ids, "groups": test_groups,
                                 "labels": yt.tolist(), "logits": lt.tolist()}
            log(f"[stage1] {task} test: macro AUC {report[task]['macroAuc']} "
                f"CI {report[task]['macroAucCi95']} acc {report[task]['accuracy']}")
        torch.save({"arch": arch, "backbone": {k: v for k, v in model.backbone.state_dict().items()}},
                   out_dir / "backbone.pt")
        (out_dir / "stage1-metrics.json").write_text(json.dumps(report, indent=1))
        (out_dir / "test-predictions.json").write_text(json.dumps(predictions))
    return report
