"""Chooses each modality's weight encoding from measured validation AUC.

uint8 (affine per tensor) is used only when the VALIDATION macro AUC, computed with the weights as
the app will dequantize them, drops by at most `max_drop` against float32; otherwise float16. The
test split takes no part in the choice (it would then no longer be held out); the test metrics are
computed afterwards with the chosen weights, so they describe what the pack ships.
"""

from __future__ import annotations

import numpy as np
import torch
from torchvision.models.resnet import ResNet

from ..augment import normalize
from ..metrics import macro_auc, softmax
from .graph_runner import GraphRunner
from .resnet_graph import resnet_to_graph, topology
from .weights import roundtrip

MAX_UINT8_AUC_DROP = 0.005


def logits_with_weights(model: ResNet, images_uint8: torch.Tensor, dtype: str, batch: int = 64) -> np.ndarray:
    """Logits of the model with its weights as the app will hold them (encoded as `dtype`, decoded)."""
    graph = resnet_to_graph(model.eval(), (images_uint8.shape[2], images_uint8.shape[3]))
    runner = GraphRunner(topology(graph), roundtrip(graph.weights, dtype))
    parts = [runner.logits(normalize(images_uint8[i : i + batch])).numpy() for i in range(0, len(images_uint8), batch)]
    return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)


def auc_with_weights(
    model: ResNet, images_uint8: torch.Tensor, labels: np.ndarray, dtype: str, temperature: float = 1.0
) -> float:
    """Macro AUC (uncalibrated logits: the ranking; `temperature` kept for callers) with the weights
    as the app will hold them."""
    return macro_auc(labels, softmax(logits_with_weights(model, images_uint8, dtype)))


def choose_weights_dtype(
    model: ResNet,
    images_uint8: torch.Tensor,
    labels: np.ndarray,
    max_drop: float = MAX_UINT8_AUC_DROP,
    temperature: float = 1.0,
) -> tuple[str, dict]:
    aucs = {dt: auc_with_weights(model, images_uint8, labels, dt, temperature) for dt in ("float32", "uint8")}
    drop = aucs["float32"] - aucs["uint8"]
    chosen = "uint8" if drop <= max_drop else "float16"
    if chosen == "float16":
        aucs["float16"] = auc_with_weights(model, images_uint8, labels, "float16", temperature)
    record = {
        "weightsDtype": chosen,
        "validationMacroAuc": {k: round(v, 5) for k, v in aucs.items()},
        "uint8AucDrop": round(drop, 5),
        "rule": f"uint8 if validation macro AUC drop vs float32 <= {max_drop}, else float16",
    }
    return chosen, record
