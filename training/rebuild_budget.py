"""Time plan of `rebuild-default-pack`: per-step CPU estimates from this machine's measured speed,
and epochs sized so that the whole rebuild fits a budget in minutes.

The speed is measured at the start (a few ResNet training steps and forward passes at the sizes the
run uses), not assumed: the same command on a faster or busier machine gets a plan that fits it.
The step names are the keys of timings.json and of the model card's timings table (one list, here).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from .model import build_resnet, freeze_stem, set_train_mode

# Share of the phantom generation's time that adds to the rebuild's wall clock: it runs in the
# background during stage 1, one Node thread beside PyTorch's two on a 2-core machine.
PHANTOM_WALL_SHARE = 0.5
# Seconds of Node per phantom case (all modalities, ROI crops + full screenshots), measured on the
# 2-core machine for the v1 pack (536 s for 1,500 cases). It overlaps stage 1 but shares its cores.
PHANTOM_SECONDS_PER_CASE = 0.36
# The TF.js verification of a pack (Node start, three ResNet-18 loads, golden cases), measured.
VERIFY_SECONDS = 45.0
# Forward passes per test image of the node finder's evaluation (validation, six image variants,
# two with a click); a forward pass costs about a third of a training step.
FINDER_EVAL_PASSES = 9
FORWARD_SHARE_OF_STEP = 1 / 3
FRACTION = {"train": 0.7, "val": 0.15, "test": 0.15}
MAX_STAGE1_EPOCHS, MAX_STAGE2_EPOCHS = 16, 8


def step_keys(modalities: list[str], ablation: list[str]) -> list[str]:
    """The rebuild's steps, in order: the keys of timings.json and the rows of the card's table."""
    return (["phantoms", "stage 1"] + [f"stage 2 {m}" for m in modalities] + [f"ablation {m}" for m in ablation]
            + ["export + TF.js verification", "evaluation on other test sets", "input checks", "node finder",
               "final verification + index"])


@dataclass
class Speed:
    """Measured seconds: one training step (batch 16) of the stage-1 model at its size, of a stage-2
    model (stem and layer1 frozen) and of a from-scratch one at 224 px, one forward pass per image
    at 224 px, one node finder training step."""

    stage1_step: float
    stage2_step: float
    scratch_step: float
    forward_image: float
    finder_step: float
    threads: int = field(default_factory=torch.get_num_threads)

    def record(self) -> dict:
        return {"stage1Step": self.stage1_step, "stage2Step": self.stage2_step, "scratchStep": self.scratch_step,
                "forwardImage": self.forward_image, "finderStep": self.finder_step}


def _time_steps(model: torch.nn.Module, size: int, batch: int, steps: int, train: bool) -> float:
    x = torch.randn(batch, 3, size, size)
    y = torch.randint(0, 3, (batch,))
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    times = []
    for i in range(steps + 1):  # the first one warms up allocators and kernels
        t = time.perf_counter()
        if train:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        else:
            with torch.no_grad():
                model(x)
        if i:
            times.append(time.perf_counter() - t)
    return sum(times) / len(times)  # the mean: the budget has to hold under the machine's load as it is


def measure_speed(stage1_size: int, stage2_size: int = 224, finder_size: int = 96, batch: int = 8,
                  steps: int = 2) -> Speed:
    """Mean seconds per step at `batch` images, scaled to batches of 16 (a smoke run measures
    smaller batches to save time; the cost of these layers is close to linear in the batch)."""
    k = 16 / batch
    model = build_resnet("resnet18", 3)
    model.train()
    scratch = _time_steps(model, stage2_size, batch, steps, True)
    s1 = scratch if stage1_size == stage2_size else _time_steps(model, stage1_size, batch, steps, True)
    freeze_stem(model)
    set_train_mode(model, True)
    s2 = _time_steps(model, stage2_size, batch, steps, True)
    model.eval()
    fwd = _time_steps(model, stage2_size, batch, steps, False) / batch
    from .finder.model import IN_CHANNELS, NodeUNet  # the finder's own network, at its input size

    finder = NodeUNet()
    finder.train()
    xf = torch.randn(batch, IN_CHANNELS, finder_size, finder_size)
    opt = torch.optim.AdamW(finder.parameters(), lr=1e-4)
    t_f = []
    for i in range(steps + 1):
        t = time.perf_counter()
        loss = finder(xf).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i:
            t_f.append(time.perf_counter() - t)
    finder_step = sum(t_f) / len(t_f)
    return Speed(round(k * s1, 3), round(k * s2, 3), round(k * scratch, 3), round(fwd, 4), round(k * finder_step, 3))


@dataclass
class Workload:
    """What the rebuild will process, counted before it starts."""

    stage1_images: int  # BUSI + DDTI rows used by stage 1
    cases: int  # phantom cases of the training set (per_class × classes)
    eval_cases: int  # phantom cases of the other generator's test set
    demo_cases: int
    modalities: list[str]
    ablation: list[str]
    finder_test_images: int = 350
    gate_feature_models: int = 3  # models computing the input checks' features (input-gate --features-from)


@dataclass
class Plan:
    stage1_epochs: int
    stage2_epochs: int
    finder_minutes: float
    budget_minutes: float | None
    estimates: dict[str, float]  # step key → minutes
    speed: Speed
    fits: bool = True
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        """Estimated wall clock: the phantoms run beside stage 1, only their share of the cores adds."""
        return round(sum(self.estimates.values()) - (1 - PHANTOM_WALL_SHARE) * self.estimates["phantoms"], 1)

    def text(self) -> str:
        width = max(len(k) for k in self.estimates)
        sp = self.speed
        lines = [f"[plan] measured on this machine ({sp.threads} threads): training step (batch 16) stage 1 "
                 f"{sp.stage1_step:.2f} s, stage 2 {sp.stage2_step:.2f} s, from scratch {sp.scratch_step:.2f} s; "
                 f"forward {sp.forward_image * 1000:.0f} ms/image; node finder step {sp.finder_step:.2f} s",
                 f"[plan] stage 1 {self.stage1_epochs} epochs, stage 2 and ablation {self.stage2_epochs} epochs, "
                 f"node finder {self.finder_minutes:.1f} min of training"]
        lines += [f"[plan]   {k:<{width}}  {v:6.1f} min" for k, v in self.estimates.items()]
        budget = f" of a {self.budget_minutes:.0f}-minute budget" if self.budget_minutes else ""
        lines.append(f"[plan]   {'total (estimate)':<{width}}  {self.total:6.1f} min{budget}")
        lines += [f"[plan] NOTE: {n}" for n in self.notes]
        return "\n".join(lines)


def gate_items(work: Workload) -> int:
    """Images whose features the input checks compute per feature model, as input_gate_run.py takes
    them: per modality up to 200/80/60 phantom crops of the train/val/test splits and 20 screenshots,
    up to 135 BUSI and 135 DDTI images (with colourised copies), about 370 negatives."""
    c = work.cases
    phantoms = sum(min(k, int(f * c)) for k, f in ((200, 0.7), (80, 0.15), (60, 0.15))) + min(20, c)
    return len(work.modalities) * phantoms + min(270, work.stage1_images) + 370


def _epoch_minutes(images: int, step_seconds: float, batch: int = 16) -> float:
    return max(1, math.floor(images * FRACTION["train"] / batch)) * step_seconds / 60


def make_plan(speed: Speed, work: Workload, budget_minutes: float | None, stage1_epochs: int | None = None,
              stage2_epochs: int | None = None, finder_minutes: float | None = None) -> Plan:
    """Epochs (where not given) sized to fit `budget_minutes`: first the fixed steps are estimated,
    then stage-1 and stage-2 epochs (the ablation always uses stage 2's) are added one at a time,
    keeping stage 1 at about twice stage 2's, while the total stays within the budget."""
    fwd = speed.forward_image
    n_mod = len(work.modalities)
    per_mod_images = work.cases  # one image per case and modality
    finder = finder_minutes if finder_minutes is not None else (
        min(30.0, max(2.0, 0.1 * budget_minutes)) if budget_minutes else 10.0)
    fixed = {
        "phantoms": PHANTOM_SECONDS_PER_CASE * (work.cases + work.eval_cases + work.demo_cases) / 60,
        # Quantization choice (validation, float32 + uint8), shipped-weights test pass, golden cases; TF.js.
        "export + TF.js verification": (fwd * per_mod_images * n_mod * (2 * FRACTION["val"] + FRACTION["test"])
                                        + VERIFY_SECONDS) / 60,
        "evaluation on other test sets": fwd * work.eval_cases * n_mod / 60,
        "input checks": (fwd * (gate_items(work) + work.demo_cases) * work.gate_feature_models + 30) / 60,
        "node finder": finder + (FORWARD_SHARE_OF_STEP * speed.finder_step / 16 * work.finder_test_images
                                 * FINDER_EVAL_PASSES
                                 + VERIFY_SECONDS + 30) / 60,
        "final verification + index": VERIFY_SECONDS / 60,
    }
    e1_cost = _epoch_minutes(work.stage1_images, speed.stage1_step)
    e2_cost = {m: _epoch_minutes(per_mod_images, speed.stage2_step) for m in work.modalities}
    ea_cost = {m: _epoch_minutes(per_mod_images, speed.scratch_step) for m in work.ablation}
    per_e2 = sum(e2_cost.values()) + sum(ea_cost.values())

    def total(e1: int, e2: int) -> float:
        return sum(fixed.values()) - (1 - PHANTOM_WALL_SHARE) * fixed["phantoms"] + e1 * e1_cost + e2 * per_e2

    e1, e2 = stage1_epochs or 1, stage2_epochs or 1
    notes: list[str] = []
    if budget_minutes:
        while True:
            grow1 = stage1_epochs is None and e1 < MAX_STAGE1_EPOCHS and total(e1 + 1, e2) <= budget_minutes
            grow2 = stage2_epochs is None and e2 < MAX_STAGE2_EPOCHS and total(e1, e2 + 1) <= budget_minutes
            if grow1 and (e1 < 2 * e2 or not grow2):
                e1 += 1
            elif grow2:
                e2 += 1
            else:
                break
    fits = budget_minutes is None or total(e1, e2) <= budget_minutes
    if not fits:
        notes.append(f"the estimate exceeds the {budget_minutes:.0f}-minute budget even with these epochs: fewer "
                     "phantom cases (--per-class), no ablation (--no-ablation) or a larger budget")
    estimates = {"phantoms": fixed["phantoms"], "stage 1": e1 * e1_cost}
    estimates |= {f"stage 2 {m}": e2 * c for m, c in e2_cost.items()}
    estimates |= {f"ablation {m}": e2 * c for m, c in ea_cost.items()}
    estimates |= {k: v for k, v in fixed.items() if k != "phantoms"}
    assert list(estimates) == step_keys(work.modalities, work.ablation)
    return Plan(e1, e2, round(finder, 2), budget_minutes, {k: round(v, 1) for k, v in estimates.items()},
                speed, fits, notes)
