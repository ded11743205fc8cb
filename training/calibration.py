"""Temperature scaling (Guo et al. 2017), fitted on the validation split."""

from __future__ import annotations

import torch
import torch.nn.functional as F


MIN_T, MAX_T = 0.05, 100.0


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor, max_iter: int = 200) -> float:
    """Single T > 0 minimising validation NLL of softmax(logits / T); optimised in log T with
    LBFGS so T stays positive. Ranking (hence AUC) is unchanged; only confidence is."""
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
    # A degenerate validation set (perfectly separated or tiny) drives T to 0 or infinity; clamp
    # to a range where softmax stays meaningful.
    return float(min(max(log_t.exp().item(), MIN_T), MAX_T))
