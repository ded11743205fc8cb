"""Trains the node finder within a compute budget and a wall-clock cap. The learning-rate schedule
follows whichever is further along: the process's CPU time against `cpu_minutes` (a fixed amount
of work however busy the shared machine is) or the wall clock against `minutes` (so a starved run
still ends, annealed, in time)."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .data import FinderItem, load_busi_items, load_ddti_items, load_phantom_items
from .augment import make_sample
from .model import NodeUNet, parameter_count

# Sampling weight per source per training step: the small phantom set would otherwise be drowned out.
SOURCE_WEIGHTS = {"busi": 0.45, "ddti": 0.3, "phantom": 0.25}


def load_items(busi: Path, ddti: Path, phantoms: Path | None, seed: int, log=print) -> list[FinderItem]:
    items = load_busi_items(busi, seed) + load_ddti_items(ddti, seed)
    if phantoms is not None:
        items += load_phantom_items(phantoms, seed)
    for src in ("busi", "ddti", "phantom"):
        counts = {s: sum(1 for i in items if i.source == src and i.split == s) for s in ("train", "val", "test")}
        log(f"[finder] {src}: {counts}")
    return items


def loss_fn(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    bce = F.binary_cross_entropy_with_logits(logits, target)
    p = torch.sigmoid(logits).flatten(1)
    t = target.flatten(1)
    has = t.sum(1) > 0  # soft Dice only where there is a node: empty targets are BCE's job
    if not bool(has.any()):
        return bce
    inter = (p * t).sum(1)
    d = 1 - (2 * inter + 1) / (p.sum(1) + t.sum(1) + 1)
    return bce + d[has].mean()


def train(items: list[FinderItem], out_dir: Path, size: int, minutes: float, seed: int, batch: int = 16,
          lr: float = 2e-3, cpu_minutes: float | None = None, init: Path | None = None, log=print) -> NodeUNet:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    train_items = [i for i in items if i.split == "train"]
    by_src = {s: [i for i in train_items if i.source == s] for s in SOURCE_WEIGHTS}
    srcs = [s for s in SOURCE_WEIGHTS if by_src[s]]
    w = np.array([SOURCE_WEIGHTS[s] for s in srcs])
    w /= w.sum()
    model = NodeUNet()
    if init is not None:  # continue from an earlier run (same architecture), e.g. on a new sample mix
        ck = torch.load(init, map_location="cpu")
        if int(ck["size"]) != size:
            raise SystemExit(f"--init {init} was trained at {ck['size']} px, not {size}")
        model.load_state_dict(ck["model"])
        log(f"[finder] starting from {init} (step {ck.get('step')})")
    log(f"[finder] U-Net {parameter_count(model)} parameters, input {size}px, budget {minutes} min")
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    budget = minutes * 60
    cpu_budget = (cpu_minutes if cpu_minutes is not None else 2 * minutes) * 60
    t0, c0 = time.time(), time.process_time()
    step, seen, running = 0, 0, 0.0
    model.train()
    while True:
        frac = max((time.time() - t0) / budget, (time.process_time() - c0) / cpu_budget)
        if frac >= 1:
            break
        warm = min(1.0, (step + 1) / 50)
        for g in opt.param_groups:
            g["lr"] = lr * warm * 0.5 * (1 + math.cos(math.pi * frac))
        pairs = []
        for _ in range(batch):
            src = srcs[int(rng.choice(len(srcs), p=w))]
            pairs.append(make_sample(by_src[src][int(rng.integers(len(by_src[src])))], size, rng))
        x = torch.from_numpy(np.stack([p[0] for p in pairs]))
        t = torch.from_numpy(np.stack([p[1] for p in pairs]))[:, None]
        loss = loss_fn(model(x), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        seen += batch
        running = 0.98 * running + 0.02 * float(loss) if step > 1 else float(loss)
        if step % 25 == 0:
            log(f"[finder] step {step} samples {seen} loss {running:.4f} lr {opt.param_groups[0]['lr']:.2e} "
                f"{(time.time() - t0) / 60:.1f} min, cpu {(time.process_time() - c0) / 60:.1f} min")
        if step % 200 == 0:
            torch.save({"model": model.state_dict(), "size": size, "step": step}, out_dir / "finder.pt")
    model.eval()
    torch.save({"model": model.state_dict(), "size": size, "step": step, "samples": seen,
                "minutes": round((time.time() - t0) / 60, 2)}, out_dir / "finder.pt")
    info = {"init": str(init) if init else None, "steps": step, "samples": seen, "batch": batch, "lr": lr,
            "minutes": round((time.time() - t0) / 60, 2),
            "cpuMinutes": round((time.process_time() - c0) / 60, 2), "size": size, "seed": seed,
            "parameters": parameter_count(model)}
    (out_dir / "train.json").write_text(json.dumps(info))
    log(f"[finder] trained {step} steps ({seen} samples) in {(time.time() - t0) / 60:.1f} min")
    return model
