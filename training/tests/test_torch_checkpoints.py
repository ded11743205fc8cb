"""Writes the PyTorch checkpoints that the browser importer (src/torch-import/) is tested against.

Debian's torch saves them in the styles seen in the wild (plain state dict, whole pickled model,
DataParallel `module.` prefix, `{'state_dict': …}` / `{'model': …}` wrappers, a `Sequential(Dropout,
Linear)` head, an EfficientNet-B0) plus bad ones (wrong head size, missing keys, a pickle that asks
for `os.system`), into tests/.generated/torch-import/ (not committed). Next to them: one reference
image, its preprocessed input (NHWC float32, exactly as the app feeds it) and each model's PyTorch
logits, which the vitest parity test reproduces through the browser-built pack. A Python-built
pack of the same ResNet-18 (training/export, float32) is written too: the browser must build the
very same topology and weights.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn
from torchvision.models import efficientnet_b0, resnet18

from training.export.pack import ModalityExport, preprocess_files, write_manifest, write_modality
from training.tests.conftest import randomize_batchnorm

OUT = Path(__file__).resolve().parents[2] / "tests" / ".generated" / "torch-import"
CLASSES = [{"id": c, "label": c} for c in ("metastatic", "lymphoma", "benign")]


class _Evil:
    """Pickles as a call to os.system: the importer must refuse it without running it."""

    def __reduce__(self):  # noqa: D105
        return (os.system, ("echo should-never-run",))


def _reference_image(path: Path) -> None:
    rng = np.random.default_rng(16)
    # Smooth structure plus noise at exactly 224 × 224, so preprocessing is only scale + mean/std.
    yy, xx = np.mgrid[0:224, 0:224]
    base = 128 + 60 * np.sin(xx / 17.0) * np.cos(yy / 23.0)
    img = np.stack([base, base * 0.8 + 20, 255 - base], -1) + rng.normal(0, 12, (224, 224, 3))
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path)


def _logits(model: nn.Module, x: torch.Tensor) -> list[float]:
    with torch.no_grad():
        return [float(v) for v in model.eval()(x)[0]]


def test_write_import_checkpoints() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    png = OUT / "reference.png"
    _reference_image(png)
    x = preprocess_files([str(png)], 224)
    (OUT / "reference-input.bin").write_bytes(x.permute(0, 2, 3, 1).contiguous().numpy().astype("<f4").tobytes())
    logits: dict[str, list[float]] = {}

    torch.manual_seed(1)
    r18 = randomize_batchnorm(resnet18(num_classes=3), 1)
    sd = r18.state_dict()
    torch.save(sd, OUT / "r18-state-dict.pth")
    torch.save(r18, OUT / "r18-whole.pth")
    torch.save(nn.DataParallel(r18).state_dict(), OUT / "r18-dataparallel.pth")
    torch.save({"state_dict": sd, "epoch": 7, "best_acc": 0.5}, OUT / "r18-wrapped-state-dict.pth")
    torch.save({"model": sd, "optimizer_name": "adam"}, OUT / "r18-wrapped-model.pth")
    torch.save(sd, OUT / "r18-legacy.pth", _use_new_zipfile_serialization=False)
    logits["r18"] = _logits(r18, x)

    torch.manual_seed(2)
    seq = randomize_batchnorm(resnet18(num_classes=3), 2)
    seq.fc = nn.Sequential(nn.Dropout(0.5), nn.Linear(512, 3))
    torch.save(seq.state_dict(), OUT / "r18-seq-head.pth")
    logits["r18-seq-head"] = _logits(seq, x)

    torch.manual_seed(3)
    eff = randomize_batchnorm(efficientnet_b0(num_classes=3), 3)
    torch.save(eff.state_dict(), OUT / "effb0-state-dict.pth")
    torch.save(eff, OUT / "effb0-whole.pth")
    logits["effb0"] = _logits(eff, x)

    # Bad inputs: a 4-class head, a missing key, a pickle that asks for os.system.
    torch.save(resnet18(num_classes=4).state_dict(), OUT / "r18-four-classes.pth")
    missing = dict(sd)
    del missing["layer3.1.bn2.running_var"]
    torch.save(missing, OUT / "r18-missing-key.pth")
    torch.save({"state_dict": sd, "payload": _Evil()}, OUT / "evil-os-system.pth")

    # The same ResNet-18 as training/export writes it (float32): the browser must match it exactly.
    pack = OUT / "python-pack"
    spec = write_modality(pack, ModalityExport("bmode", r18, "float32"))
    write_manifest(pack, dict(id="python-r18", title="Python-built", fixture=True, classes=CLASSES,
                              intendedUse="test", disclaimer="test", license="test"), {"bmode": spec})

    (OUT / "logits.json").write_text(json.dumps({"input": [1, 224, 224, 3], "logits": logits}, indent=1))
    assert all(len(v) == 3 and all(np.isfinite(v)) for v in logits.values())
