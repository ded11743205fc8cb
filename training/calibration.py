"""Temperature scaling (Guo et al. 2017), fitted on the validation split.

A fit is refused (temperature 1, i.e. the model's own probabilities, with the reason recorded and
printed) when it is degenerate rather than clamped:
- the validation split lacks a class or is tiny: NLL is then minimised by pushing T to an extreme;
- the optimum lies at or beyond the search range (T -> 0: perfectly separated validation logits;
  T -> infinity: logits carrying no information), where the old clamp at 100 turned every output
  into ~33/33/33 while ECE on a balanced set "improved".
Only confidence changes with T; argmax does not. See metrics.classification_report for why AUCs
are computed on the uncalibrated logits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

MIN_T, MAX_T = 0.05, 20.0
MIN_VAL_PER_CLASS = 5


@dataclass(frozen=True)
class TemperatureFit:
    temperature: float  # the one to ship: the fitted value, or 1.0 when the fit was refused
    fitted: float | None  # what the optimiser reached (None when it was not run)
    status: str  # "ok" or "refused"
    reason: str = ""

    def record(self) -> dict:
        out: dict = {"status": self.status, "temperature": round(self.temperature, 4)}
        if self.fitted is not None:
            out["fitted"] = round(self.fitted, 4) if math.isfinite(self.fitted) else str(self.fitted)
        if self.reason:
            out["reason"] = self.reason
        return out


def _optimise(logits: torch.Tensor, labels: torch.Tensor, max_iter: int) -> float:
    log_t = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=max_iter, line_search_fn="strong_wolfe")
    logits, labels = logits.double(), labels.long()

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = F.cross_entropy(logits / log_t.double().exp(), labels)
        loss.backward()
        return loss

    # LBFGS re-evaluates the closure and reads its loss tensor; torch's stub types it as float.
    opt.step(closure)  # type: ignore[arg-type]
    return float(log_t.exp().item())


def calibrate(logits: torch.Tensor, labels: torch.Tensor, num_classes: int | None = None,
              max_iter: int = 200) -> TemperatureFit:
    """Single T > 0 minimising validation NLL of softmax(logits / T), optimised in log T with LBFGS
    so T stays positive; refused (T = 1) with a reason when the fit is degenerate."""
    k = num_classes or int(logits.shape[1])
    counts = torch.bincount(labels.long(), minlength=k)
    if int(counts.min()) < MIN_VAL_PER_CLASS:
        return TemperatureFit(1.0, None, "refused",
                              f"validation split has {counts.tolist()} images per class; at least "
                              f"{MIN_VAL_PER_CLASS} of each are needed to fit a temperature")
    margin = logits.double().gather(1, labels.long()[:, None])[:, 0] - logits.double().scatter(
        1, labels.long()[:, None], float("-inf")).max(dim=1).values
    if bool((margin > 0).all()):
        # Every validation image right: NLL keeps falling as T -> 0, so any fitted T is wherever the
        # optimiser stopped, and it would make the shipped probabilities overconfident.
        return TemperatureFit(1.0, None, "refused", "validation logits are perfectly separated (every image "
                              "classified right): the NLL optimum is T -> 0, no finite temperature is fitted")
    t = _optimise(logits, labels, max_iter)
    if not math.isfinite(t) or t <= MIN_T or t >= MAX_T:
        why = ("validation logits are perfectly separated (T -> 0)" if math.isfinite(t) and t <= MIN_T
               else "validation logits carry almost no class information (T -> infinity)")
        return TemperatureFit(1.0, t, "refused", f"degenerate fit T={t:.4g} outside ({MIN_T}, {MAX_T}): {why}")
    return TemperatureFit(t, t, "ok")


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor, max_iter: int = 200) -> float:
    """The temperature to ship (1.0 when the fit is refused); `calibrate` also says why."""
    return calibrate(logits, labels, max_iter=max_iter).temperature
