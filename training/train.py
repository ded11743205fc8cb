"""Generic supervised training loop: augmentation on tensors, DDP-aware, resumable."""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, cast

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler, RandomSampler
from tqdm import tqdm

from .augment import augment, normalize
from .distributed import Runtime, barrier

# The model's output is a tensor or a dict of tensors, as the model defines; its loss knows which.
LossFn = Callable[[Any, dict[str, torch.Tensor]], torch.Tensor]


@dataclass
class TrainConfig:
    epochs: int
    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup_epochs: float = 1.0
    seed: int = 1234
    label: str = "train"
    # Called as train_mode(model) at the start of every epoch (lets frozen layers stay in eval).
    train_mode: Callable[[nn.Module], None] = field(default=lambda m: m.train())


def _lr_factor(step: int, total: int, warmup: int) -> float:
    """Linear warm-up, then cosine decay to zero."""
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


def train(
    model: nn.Module,
    images: torch.Tensor,
    targets: dict[str, torch.Tensor],
    loss_fn: LossFn,
    cfg: TrainConfig,
    rt: Runtime,
    checkpoint: str | Path | None = None,
    log: Callable[[str], None] = print,
    stats: dict | None = None,
) -> nn.Module:
    """Trains in place and returns the (unwrapped) model.

    `images` is uint8 [N,3,H,W]; `targets` holds per-item tensors indexed alongside. A checkpoint
    is written after every epoch (atomically) and resumed from when it exists, so an interrupted
    run continues where it stopped. `stats` (when given) receives `trainSeconds`, the summed epoch
    times including epochs run before a resume (the checkpoint carries them), so a resumed or
    re-exported run reports how long training took, not how long this process ran.
    """
    model.to(rt.device, memory_format=torch.channels_last)  # type: ignore[call-overload]  # stub lacks it
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    index = torch.arange(len(images))
    # A tensor of indices is a map-style dataset (len + indexing) though not a Dataset subclass,
    # the only kind torch's type stubs accept.
    dataset = cast("Dataset[torch.Tensor]", index)
    sampler: DistributedSampler | RandomSampler = (
        DistributedSampler(dataset, num_replicas=rt.world_size, rank=rt.rank, shuffle=True, seed=cfg.seed)
        if rt.distributed
        else RandomSampler(index, generator=torch.Generator().manual_seed(cfg.seed))
    )
    # Drop a ragged last batch (BatchNorm dislikes tiny batches) unless that would leave none.
    per_replica = math.ceil(len(index) / rt.world_size)
    loader = DataLoader(dataset, batch_size=cfg.batch_size, sampler=sampler, drop_last=per_replica > cfg.batch_size)
    steps_per_epoch = len(loader)
    total = steps_per_epoch * cfg.epochs
    warmup = max(1, int(cfg.warmup_epochs * steps_per_epoch))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: _lr_factor(s, total, warmup))
    aug_gen = torch.Generator().manual_seed(cfg.seed + 1000 * rt.rank)

    start_epoch, done_seconds = 0, 0.0
    if checkpoint is not None and Path(checkpoint).exists():
        state = torch.load(checkpoint, map_location=rt.device)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        aug_gen.set_state(state["aug_rng"])
        start_epoch = state["epoch"] + 1
        done_seconds = float(state.get("seconds", 0.0))
        log(f"[{cfg.label}] resumed from {checkpoint} at epoch {start_epoch}")

    net: nn.Module = DistributedDataParallel(model) if rt.distributed else model
    for epoch in range(start_epoch, cfg.epochs):
        if isinstance(sampler, DistributedSampler):
            sampler.set_epoch(epoch)
        else:
            sampler.generator = torch.Generator().manual_seed(cfg.seed + epoch)
        cfg.train_mode(model)
        t0, running, seen = time.time(), 0.0, 0
        bar = tqdm(loader, desc=f"{cfg.label} {epoch + 1}/{cfg.epochs}", disable=not rt.is_main, mininterval=5)
        for idx in bar:
            x = augment(images[idx].to(rt.device), aug_gen).contiguous(memory_format=torch.channels_last)
            batch_targets = {k: v[idx].to(rt.device) for k, v in targets.items()}
            loss = loss_fn(net(x), batch_targets)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            running += loss.item() * len(idx)
            seen += len(idx)
            bar.set_postfix(loss=f"{running / seen:.4f}", refresh=False)
        done_seconds += time.time() - t0
        if rt.is_main:
            log(f"[{cfg.label}] epoch {epoch + 1}/{cfg.epochs} loss {running / max(1, seen):.4f} "
                f"({time.time() - t0:.0f} s)")
            if checkpoint is not None:
                tmp = Path(str(checkpoint) + ".tmp")
                torch.save(
                    {
                        "model": model.state_dict(),
                        "optimizer": opt.state_dict(),
                        "scheduler": sched.state_dict(),
                        "aug_rng": aug_gen.get_state(),
                        "epoch": epoch,
                        "seconds": done_seconds,
                    },
                    tmp,
                )
                os.replace(tmp, checkpoint)
        barrier(rt)
    if stats is not None:
        stats["trainSeconds"] = round(done_seconds, 1)
        stats["resumedAtEpoch"] = start_epoch
    return model


@torch.no_grad()
def predict(
    model: nn.Module, images: torch.Tensor, device: torch.device, batch_size: int = 32
) -> torch.Tensor | dict[str, torch.Tensor]:
    """Eval-mode outputs for uint8 images (no augmentation); tensors or dicts of tensors on CPU."""
    model.eval()
    model.to(device, memory_format=torch.channels_last)  # type: ignore[call-overload]  # stub lacks it
    outs = []
    for i in range(0, len(images), batch_size):
        x = normalize(images[i : i + batch_size].to(device)).contiguous(memory_format=torch.channels_last)
        outs.append(model(x))
    if isinstance(outs[0], dict):
        return {k: torch.cat([o[k] for o in outs]).cpu() for k in outs[0]}
    return torch.cat(outs).cpu()
