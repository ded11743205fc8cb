"""Chooses each modality's weight encoding from measured test AUC.

uint8 (affine per tensor) is used only when the test macro AUC, computed with the weights as
the app will dequantize them, drops by at most `max_drop` against float32; otherwise float16.
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


def auc_with_weights(
    model: ResNet, images_uint8: torch.Tensor, labels: np.ndarray, dtype: str, temperature: float = 1.0
) -> float:
    """Test macro AUC of the calibrated probabilities, with the weights as the app will hold them."""
    graph = resnet_to_graph(model.eval(), (images_uint8.shape[2], images_uint8.shape[3]))
    runner = GraphRunner(topology(graph), roundtrip(graph.weights, dtype))
    logits = runner.logits(normalize(images_uint8)).numpy()
    return macro_auc(labels, softmax(logits, temperature))


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
        "testMacroAuc": {k: round(v, 5) for k, v in aucs.items()},
        "uint8AucDrop": round(drop, 5),
        "rule": f"uint8 if test macro AUC drop vs float32 <= {max_drop}, else float16",
    }
    return chosen, record
