"""Stage 1: pre-training one ResNet backbone on public ultrasound (BUSI 3-class + DDTI TI-RADS).

Like the paper's pre-training on public medical images, this gives stage 2 ultrasound-shaped
features (speckle, shadowing, lesion borders) instead of random ones. Both sets feed mixed
batches into one backbone with one head per task; each item's loss uses its own task's head.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from .calibration import fit_temperature
from .data import BUSI_CLASSES, DDTI_CLASSES, labels_tensor, load_busi, load_ddti, preload
from .dedup import group_ids, hash_files
from .distributed import Runtime
from .metrics import classification_report, softmax
from .model import MultiHeadResNet
from .splits import indices, grouped_stratified_split, write_split_json
from .train import TrainConfig, predict, train

TASKS = {"busi": BUSI_CLASSES, "ddti": DDTI_CLASSES}


def split_with_duplicates(samples, ids: list[str], seed: int, threshold: int, out_json: Path, meta: dict):
    """Groups = explicit case ids ∪ pHash near-duplicates; grouped stratified split; JSON."""
    bits = hash_files([s.path for s in samples])
    groups = group_ids(len(samples), bits, threshold, [s.group for s in samples])
    labels = [s.label for s in samples]
    assignment = grouped_stratified_split(labels, groups, seed=seed)
    write_split_json(
        out_json, ids, labels, groups, assignment,
        {**meta, "seed": seed, "grouping": f"case id + pHash-64 Hamming <= {threshold}",
         "fractions": {"train": 0.7, "val": 0.15, "test": 0.15}},
    )
    return assignment


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
    threshold: int = 8,
    cache_dir: Path | None = None,
    log=print,
) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    t_start = time.time()
    sets = {"busi": load_busi(busi_root), "ddti": load_ddti(ddti_root)}
    roots = {"busi": Path(busi_root), "ddti": Path(ddti_root)}
    assign, imgs = {}, {}
    for task, samples in sets.items():
        ids = [str(Path(s.path).relative_to(roots[task])) for s in samples]
        assign[task] = split_with_duplicates(
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
    train(model, images, targets, multitask_loss, cfg, rt, out_dir / "checkpoint.pt", log)
    train_s = time.time() - t_start

    report: dict = {"imageSize": image_size, "epochs": epochs, "seed": seed, "arch": arch, "seconds": round(train_s)}
    if rt.is_main:
        for task, classes in TASKS.items():
            y = labels_tensor(sets[task])
            val, test = indices(assign[task], "val"), indices(assign[task], "test")
            out_val, out_test = predict(model, imgs[task][val], rt.device), predict(model, imgs[task][test], rt.device)
            assert isinstance(out_val, dict) and isinstance(out_test, dict)  # one output per head
            lv, lt = out_val[task], out_test[task]
            temp = fit_temperature(lv, y[val])
            yt = y[test].numpy()
            report[task] = {
                "dataset": task.upper(), "split": "test", "temperature": round(temp, 4),
                **classification_report(yt, softmax(lt.numpy(), temp), classes, softmax(lt.numpy())),
            }
            log(f"[stage1] {task} test: macro AUC {report[task]['macroAuc']} "
                f"CI {report[task]['macroAucCi95']} acc {report[task]['accuracy']}")
        torch.save({"arch": arch, "backbone": {k: v for k, v in model.backbone.state_dict().items()}},
                   out_dir / "backbone.pt")
        (out_dir / "stage1-metrics.json").write_text(json.dumps(report, indent=1))
    return report
