"""Torchvision ResNets with the heads the two training stages need."""

from __future__ import annotations

import torch
import torchvision
from torch import nn

ARCHITECTURES = ("resnet18", "resnet34", "resnet50")


def build_resnet(arch: str = "resnet18", num_classes: int = 3) -> nn.Module:
    """The torchvision definition, randomly initialised (no pretrained download exists here)."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"architecture {arch!r} not supported; use one of {ARCHITECTURES}")
    return getattr(torchvision.models, arch)(weights=None, num_classes=num_classes)


class MultiHeadResNet(nn.Module):
    """One shared backbone, one linear head per pre-training task (BUSI 3-class, DDTI 2-class)."""

    def __init__(self, arch: str, heads: dict[str, int]) -> None:
        super().__init__()
        self.backbone = build_resnet(arch)
        fc = self.backbone.fc
        assert isinstance(fc, nn.Linear)  # every torchvision ResNet ends in one
        features = fc.in_features
        self.backbone.fc = nn.Identity()
        self.heads = nn.ModuleDict({name: nn.Linear(features, n) for name, n in heads.items()})

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        f = self.backbone(x)
        return {name: head(f) for name, head in self.heads.items()}


def backbone_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """Backbone weights (everything but fc) of a plain or multi-head ResNet."""
    if isinstance(model, MultiHeadResNet):
        model = model.backbone
    return {k: v for k, v in model.state_dict().items() if not k.startswith("fc.")}


def load_backbone(model: nn.Module, state: dict[str, torch.Tensor]) -> None:
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any(not k.startswith("fc.") for k in missing):
        raise ValueError(f"backbone mismatch: missing {missing}, unexpected {unexpected}")


FROZEN_PREFIXES = ("conv1.", "bn1.", "layer1.")


def freeze_stem(model: nn.Module) -> None:
    """Freezes conv1/bn1/layer1 (weights and BN statistics): generic low-level features from
    stage 1 are kept and the costly high-resolution backward pass is skipped."""
    for name, p in model.named_parameters():
        if name.startswith(FROZEN_PREFIXES):
            p.requires_grad_(False)


def set_train_mode(model: nn.Module, frozen: bool) -> None:
    model.train()
    if frozen:
        for name, m in model.named_modules():
            if name.startswith(tuple(p.rstrip(".") for p in FROZEN_PREFIXES)):
                m.eval()
