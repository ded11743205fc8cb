"""`import`: a torchvision ResNet-18/34/50 checkpoint (state_dict or whole pickled model, e.g. from
the CV4LymphNode authors' training code) → one modality of a model pack.

The class order cannot be read from a checkpoint, so it is an explicit argument; getting it wrong
silently swaps diagnoses, hence no default.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from .export.pack import GoldenInput, ModalityExport, write_manifest, write_modality
from .export.verify import verify_golden
from .model import build_resnet
from .synthetic import speckle_image

WRAPPER_KEYS = ("state_dict", "model_state_dict", "model", "net", "weights")
PREFIXES = ("module.", "model.", "backbone.")


def extract_state_dict(obj: object) -> dict[str, torch.Tensor]:
    """Accepts a whole model, a state_dict, or a training checkpoint dict wrapping one; strips
    DataParallel's `module.` (and similar wrapper) prefixes."""
    if isinstance(obj, nn.Module):
        obj = obj.state_dict()
    if isinstance(obj, dict):
        for key in WRAPPER_KEYS:
            inner = obj.get(key)
            if isinstance(inner, nn.Module):
                inner = inner.state_dict()
            if isinstance(inner, dict) and any(isinstance(v, torch.Tensor) for v in inner.values()):
                obj = inner
                break
    if not isinstance(obj, dict) or not obj:
        raise ValueError("checkpoint holds neither a model nor a state_dict")
    state = {}
    for k, v in obj.items():
        if not isinstance(v, torch.Tensor):
            continue
        for p in PREFIXES:
            while k.startswith(p):
                k = k[len(p):]
        state[k] = v
    return state


def infer_architecture(state: dict[str, torch.Tensor]) -> str:
    if "layer1.0.conv3.weight" in state:
        return "resnet50"
    return "resnet34" if "layer3.5.conv1.weight" in state else "resnet18"


def load_checkpoint_model(path: str | Path, num_classes: int, arch: str | None = None) -> tuple[nn.Module, str]:
    obj = torch.load(path, map_location="cpu")  # pickled whole models need full unpickling
    state = extract_state_dict(obj)
    arch = arch or infer_architecture(state)
    if "fc.weight" not in state:
        raise ValueError("checkpoint has no fc layer (fc.weight)")
    if state["fc.weight"].shape[0] != num_classes:
        raise ValueError(f"checkpoint fc has {state['fc.weight'].shape[0]} outputs, --classes names {num_classes}")
    model = build_resnet(arch, num_classes)
    model.load_state_dict(state, strict=True)
    return model.eval(), arch


def import_checkpoint(
    checkpoint: str | Path,
    modality: str,
    classes: list[str],
    pack_dir: Path,
    pack_id: str,
    title: str,
    weights_dtype: str = "float16",
    temperature: float = 1.0,
    golden_images: list[str] | None = None,
    arch: str | None = None,
    verify: bool = True,
) -> dict:
    """Writes/updates `pack_dir` with this modality (other modalities already there are kept)."""
    model, arch = load_checkpoint_model(checkpoint, len(classes), arch)
    pack_dir.mkdir(parents=True, exist_ok=True)
    existing = {}
    mpath = pack_dir / "manifest.json"
    if mpath.exists():
        old = json.loads(mpath.read_text())
        if [c["id"] for c in old["classes"]] != classes:
            raise ValueError(f"pack {pack_dir} has classes {[c['id'] for c in old['classes']]}, not {classes}")
        existing = {m: s for m, s in old["modalities"].items() if m != modality}
    with tempfile.TemporaryDirectory() as tmp:
        if not golden_images:
            # A generated speckle image: checks the graph end to end without shipping anyone's data.
            p = Path(tmp) / "speckle.png"
            Image.fromarray(np.stack([speckle_image(0, np.random.default_rng(7), (180, 200))] * 3, -1)).save(p)
            golden_images = [str(p)]
        golden = [GoldenInput(f"golden-{i}", g) for i, g in enumerate(golden_images)]
        spec = write_modality(pack_dir, ModalityExport(modality, model, weights_dtype, temperature, arch, golden))
    manifest = write_manifest(pack_dir, {
        "id": pack_id, "title": title, "fixture": False,
        "classes": [{"id": c, "label": c.replace("-", " ").capitalize()} for c in classes],
        "training": {"summary": f"Imported from {Path(checkpoint).name} ({arch})"},
        "intendedUse": "Research use by the institution that trained the imported model.",
        "disclaimer": "Imported model: its performance has not been evaluated by LymphScope. Not for diagnosis "
                      "unless validated by your institution.",
        "license": "As the imported model's.",
        "metrics": [],
    }, {**existing, modality: spec})
    if verify:
        verify_golden(mpath)
    return manifest
