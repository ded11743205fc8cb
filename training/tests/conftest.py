"""Shared fixtures: small generated image folders and tiny random torchvision ResNets."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import TypeVar

import pytest
import torch
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from training.synthetic import write_folder  # noqa: E402

torch.set_num_threads(2)

M = TypeVar("M", bound=torch.nn.Module)


@pytest.fixture(scope="session")
def lymph_folder(tmp_path_factory) -> Path:
    return write_folder(tmp_path_factory.mktemp("lymph"), per_class=6, seed=3)


def randomize_batchnorm(model: M, seed: int = 0) -> M:
    """Non-trivial BN statistics and affine parameters, so folding is really exercised."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            assert m.running_mean is not None and m.running_var is not None
            m.running_mean.copy_(torch.rand(n, generator=g) - 0.5)
            m.running_var.copy_(torch.rand(n, generator=g) * 1.5 + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
            m.bias.data.copy_((torch.rand(n, generator=g) - 0.5) * 0.4)
    return model.eval()


def tiny_resnet(block: str = "basic", seed: int = 0) -> ResNet:
    """A torchvision ResNet with one block per stage: same code paths as ResNet-18/50, 1/4 the size."""
    torch.manual_seed(seed)
    blk = BasicBlock if block == "basic" else Bottleneck
    return randomize_batchnorm(ResNet(blk, [1, 1, 1, 1], num_classes=3), seed)


def node_available() -> bool:
    return shutil.which("npx") is not None and (REPO / "node_modules" / "@tensorflow" / "tfjs").exists()


requires_node = pytest.mark.skipif(not node_available(), reason="Node + npm dependencies not installed")


def pytest_configure(config) -> None:
    # e2e: whole commands end to end at a tiny scale; part of the default run (CI runs them), and
    # `-m "not e2e"` leaves them out of a quick local run.
    config.addinivalue_line("markers", "e2e: a whole command end to end at a tiny scale (runs in CI)")
