"""A compact U-Net (≈0.25 M parameters) for node/lesion masks.

Input NCHW with two channels: the image's luma (normalised) and a click prompt (a Gaussian
heat-map around a point the user clicked inside the node, all zeros for the automatic proposal).
Output: one logit per pixel at the input resolution. Every layer maps onto a TF.js Keras layer
with the same arithmetic (3×3 'same' stride-1 convolutions, BatchNorm folded at export, ReLU,
2×2 max-pooling, nearest ×2 up-sampling, channel concatenation, 1×1 convolution), see export.py.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

IN_CHANNELS = 2
# Narrow at full resolution: on two shared CPU cores the full-resolution levels dominate the cost.
ENCODER = (8, 16, 32, 64)
BOTTLENECK = 96
DECODER = (32, 16, 12, 8)


class ConvBnRelu(nn.Sequential):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class DoubleConv(nn.Sequential):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(ConvBnRelu(cin, cout), ConvBnRelu(cout, cout))


class NodeUNet(nn.Module):
    """Encoder levels at 1, 1/2, 1/4, 1/8 of the input, bottleneck at 1/16; the input side must be
    a multiple of 16 so that pooling never drops a row (then PyTorch and TF.js agree exactly)."""

    def __init__(self, in_channels: int = IN_CHANNELS, encoder: tuple[int, ...] = ENCODER,
                 bottleneck: int = BOTTLENECK, decoder: tuple[int, ...] = DECODER) -> None:
        super().__init__()
        if len(decoder) != len(encoder):
            raise ValueError("one decoder level per encoder level")
        self.enc = nn.ModuleList()
        c = in_channels
        for e in encoder:
            self.enc.append(DoubleConv(c, e))
            c = e
        self.bottleneck = DoubleConv(c, bottleneck)
        self.dec = nn.ModuleList()
        c = bottleneck
        for skip, d in zip(reversed(encoder), decoder):
            self.dec.append(DoubleConv(c + skip, d))
            c = d
        self.head = nn.Conv2d(c, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for block in self.enc:
            x = block(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.bottleneck(x)
        for block, skip in zip(self.dec, reversed(skips)):
            x = F.interpolate(x, scale_factor=2, mode="nearest")
            x = block(torch.cat([x, skip], dim=1))
        return self.head(x)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
