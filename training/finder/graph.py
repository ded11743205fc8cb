"""NodeUNet → Keras functional topology for TF.js (BatchNorm folded) and an independent runner of
that topology in PyTorch, which checks the export and computes golden outputs from the weights as
stored (after any float16 rounding)."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F

from ..export import keras_layers as K
from ..export.resnet_graph import fold_batchnorm
from .model import ConvBnRelu, NodeUNet

INPUT = "input"
OUTPUT = "head"


def _layer(class_name: str, name: str, inputs: list[str], **config) -> K.Layer:
    return K._layer(class_name, name, inputs, **config)


def finder_graph(model: NodeUNet, size: int) -> tuple[list[K.Layer], "OrderedDict[str, np.ndarray]"]:
    """Layer names follow the PyTorch module paths ('.' → '_'), as in the classifiers' export."""
    layers: list[K.Layer] = [_layer("InputLayer", INPUT, [], batch_input_shape=[None, size, size, 2], sparse=False)]
    weights: OrderedDict[str, np.ndarray] = OrderedDict()

    def cbr(prefix: str, block: ConvBnRelu, inp: str) -> str:
        conv, bn = block[0], block[1]
        layers.append(K.conv2d(prefix, inp, conv.out_channels, (3, 3), (1, 1), "same"))
        w, b = fold_batchnorm(conv, bn)
        weights[f"{prefix}/kernel"] = np.ascontiguousarray(w.transpose(2, 3, 1, 0))
        weights[f"{prefix}/bias"] = b
        layers.append(K.relu(f"{prefix}_relu", prefix))
        return f"{prefix}_relu"

    def double(prefix: str, block, inp: str) -> str:
        return cbr(f"{prefix}_1", block[1], cbr(f"{prefix}_0", block[0], inp))

    x = INPUT
    skips = []
    for i, block in enumerate(model.enc):
        x = double(f"enc_{i}", block, x)
        skips.append(x)
        layers.append(K.max_pool(f"pool_{i}", x, 2, 2))
        x = f"pool_{i}"
    x = double("bottleneck", model.bottleneck, x)
    for i, (block, skip) in enumerate(zip(model.dec, reversed(skips))):
        layers.append(_layer("UpSampling2D", f"up_{i}", [x], size=[2, 2], data_format="channels_last",
                             interpolation="nearest"))
        layers.append(_layer("Concatenate", f"cat_{i}", [f"up_{i}", skip], axis=-1))
        x = double(f"dec_{i}", block, f"cat_{i}")
    layers.append(K.conv2d(OUTPUT, x, 1, (1, 1), (1, 1), "valid"))
    weights[f"{OUTPUT}/kernel"] = np.ascontiguousarray(
        model.head.weight.detach().float().numpy().transpose(2, 3, 1, 0))
    bias = model.head.bias
    assert bias is not None  # the head is built with a bias
    weights[f"{OUTPUT}/bias"] = bias.detach().float().numpy().copy()
    return layers, weights


def topology(layers: list[K.Layer]) -> dict:
    return K.functional_model("lymphscope_node_finder", layers, [INPUT], [OUTPUT])


@torch.no_grad()
def run_graph(layers: list[K.Layer], weights: dict[str, np.ndarray], x_nhwc: np.ndarray) -> np.ndarray:
    """The topology evaluated layer by layer (NHWC in, NHWC logits out)."""
    p = {}
    for name, w in weights.items():
        t = torch.from_numpy(np.asarray(w, np.float32))
        p[name] = t.permute(3, 2, 0, 1).contiguous() if t.ndim == 4 else t
    acts: dict[str, torch.Tensor] = {}
    for layer in layers:
        cls, cfg, name = layer["class_name"], layer["config"], layer["name"]
        ins = [acts[n[0]] for n in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
        if cls == "InputLayer":
            y = torch.from_numpy(np.asarray(x_nhwc, np.float32)).permute(0, 3, 1, 2)
        elif cls == "Conv2D":
            pad = cfg["kernel_size"][0] // 2 if cfg["padding"] == "same" else 0
            y = F.conv2d(ins[0], p[f"{name}/kernel"], p[f"{name}/bias"], padding=pad)
        elif cls == "Activation":
            y = F.relu(ins[0])
        elif cls == "MaxPooling2D":
            y = F.max_pool2d(ins[0], 2, 2)
        elif cls == "UpSampling2D":
            y = F.interpolate(ins[0], scale_factor=2, mode="nearest")
        elif cls == "Concatenate":
            y = torch.cat(ins, dim=1)
        else:
            raise ValueError(f"{name}: {cls} not supported")
        acts[name] = y
    return acts[OUTPUT].permute(0, 2, 3, 1).numpy()
