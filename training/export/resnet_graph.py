"""torchvision ResNet (BasicBlock or Bottleneck) → Keras functional graph + folded weights.

Layer names are the PyTorch module paths with '.' → '_' (`layer2.0.downsample.0` →
`layer2_0_downsample_0`), so a layer in model.json can be traced back to the checkpoint.
Each block's output (after its final ReLU) is `<block>_out`; the last one is the Grad-CAM layer.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

from . import keras_layers as K


@dataclass
class ExportGraph:
    layers: list[K.Layer] = field(default_factory=list)
    # Weight name (`<layer>/kernel`, `<layer>/bias`) → float32 array in TF layout, in layer order.
    weights: "OrderedDict[str, np.ndarray]" = field(default_factory=OrderedDict)
    input_name: str = "input"
    output_name: str = "fc"
    gradcam_layer: str = ""


def fold_batchnorm(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> tuple[np.ndarray, np.ndarray]:
    """Conv followed by eval-mode BN as one conv: W' = W·γ/√(σ²+ε), b' = β + (b − μ)·γ/√(σ²+ε).

    Computed in float64 and rounded once to float32, so folding adds no error beyond that one
    rounding. Returns the kernel in PyTorch layout [out, in, kh, kw] and the bias [out].
    """
    if bn.weight is None or bn.bias is None or bn.running_mean is None or bn.running_var is None:
        raise ValueError("only BatchNorm with affine parameters and running statistics can be folded")
    w = conv.weight.detach().double()
    b = conv.bias.detach().double() if conv.bias is not None else torch.zeros(w.shape[0], dtype=torch.float64)
    g = bn.weight.detach().double() / torch.sqrt(bn.running_var.detach().double() + bn.eps)
    wf = w * g.view(-1, 1, 1, 1)
    bf = bn.bias.detach().double() + (b - bn.running_mean.detach().double()) * g
    return wf.float().numpy(), bf.float().numpy()


def _pair(v: int | str | tuple[int, ...]) -> tuple[int, int]:
    if isinstance(v, str):  # padding given as "same"/"valid": torchvision ResNets give numbers
        raise ValueError(f"padding {v!r} is not supported; give it in pixels")
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def tf_same_is_symmetric(kernel: int, stride: int, pad: int) -> bool:
    """TF 'same' equals PyTorch's symmetric padding only at stride 1 with pad = (k−1)/2; at
    stride 2 TF puts the odd pixel at the bottom/right only, so those convs get explicit pads."""
    return stride == 1 and kernel % 2 == 1 and pad == (kernel - 1) // 2


class _Builder:
    def __init__(self) -> None:
        self.g = ExportGraph()

    def conv_bn(self, name: str, inp: str, conv: nn.Conv2d, bn: nn.BatchNorm2d) -> str:
        if conv.groups != 1 or _pair(conv.dilation) != (1, 1):
            raise ValueError(f"{name}: grouped/dilated convolutions are not supported")
        kh, kw = _pair(conv.kernel_size)
        sh, sw = _pair(conv.stride)
        ph, pw = _pair(conv.padding)
        if ph == 0 and pw == 0:
            padding = "valid"
        elif kh == kw and sh == sw and ph == pw and tf_same_is_symmetric(kh, sh, ph):
            padding = "same"
        else:
            self.g.layers.append(K.zero_padding(f"{name}_pad", inp, ph, pw))
            inp, padding = f"{name}_pad", "valid"
        self.g.layers.append(K.conv2d(name, inp, conv.out_channels, (kh, kw), (sh, sw), padding))
        w, b = fold_batchnorm(conv, bn)
        self.g.weights[f"{name}/kernel"] = np.ascontiguousarray(w.transpose(2, 3, 1, 0))
        self.g.weights[f"{name}/bias"] = b
        return name

    def relu(self, name: str, inp: str) -> str:
        self.g.layers.append(K.relu(name, inp))
        return name

    def block(self, prefix: str, blk: nn.Module, inp: str) -> str:
        if isinstance(blk, BasicBlock):
            convs = [(blk.conv1, blk.bn1), (blk.conv2, blk.bn2)]
        elif isinstance(blk, Bottleneck):
            convs = [(blk.conv1, blk.bn1), (blk.conv2, blk.bn2), (blk.conv3, blk.bn3)]
        else:
            raise ValueError(f"{prefix}: unsupported block type {type(blk).__name__}")
        x = inp
        for i, (conv, bn) in enumerate(convs, start=1):
            x = self.conv_bn(f"{prefix}_conv{i}", x, conv, bn)
            if i < len(convs):
                x = self.relu(f"{prefix}_relu{i}", x)
        shortcut = inp
        if blk.downsample is not None:
            ds_conv, ds_bn = blk.downsample[0], blk.downsample[1]
            shortcut = self.conv_bn(f"{prefix}_downsample_0", inp, ds_conv, ds_bn)
        self.g.layers.append(K.add(f"{prefix}_add", [x, shortcut]))
        return self.relu(f"{prefix}_out", f"{prefix}_add")


def resnet_to_graph(model: ResNet, input_size: tuple[int | None, int | None] = (224, 224)) -> ExportGraph:
    """Walks a torchvision ResNet in eval semantics (BN uses running statistics)."""
    if not isinstance(model, ResNet):
        raise TypeError(f"expected a torchvision ResNet, got {type(model).__name__}")
    b = _Builder()
    g = b.g
    g.layers.append(K.input_layer(g.input_name, *input_size))
    x = b.conv_bn("conv1", g.input_name, model.conv1, model.bn1)
    x = b.relu("relu", x)
    mp = model.maxpool
    k, s, p = _pair(mp.kernel_size)[0], _pair(mp.stride)[0], _pair(mp.padding)[0]
    # PyTorch pads max-pooling with −inf, Keras has no such padding layer. Zero padding is exact
    # here only because the input comes straight out of a ReLU (all values ≥ 0) and every 3×3
    # window still holds at least one real pixel, so a padded 0 never exceeds the true maximum.
    g.layers.append(K.zero_padding("maxpool_pad", x, p, p))
    g.layers.append(K.max_pool("maxpool", "maxpool_pad", k, s))
    x = "maxpool"
    for li in range(1, 5):
        for bi, blk in enumerate(getattr(model, f"layer{li}")):
            x = b.block(f"layer{li}_{bi}", blk, x)
    g.gradcam_layer = x
    g.layers.append(K.global_avg_pool("avgpool", x))
    g.layers.append(K.dense("fc", "avgpool", model.fc.out_features))
    g.weights["fc/kernel"] = np.ascontiguousarray(model.fc.weight.detach().float().numpy().T)
    g.weights["fc/bias"] = model.fc.bias.detach().float().numpy().copy()
    return g


def topology(g: ExportGraph, name: str = "lymphscope_resnet") -> dict:
    return K.functional_model(name, g.layers, [g.input_name], [g.output_name])
