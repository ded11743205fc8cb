"""`import`: a torchvision ResNet-18/34/50 checkpoint (state_dict or whole pickled model, e.g. from
the CV4LymphNode authors' training code) → one modality of a model pack.

The class order cannot be read from a checkpoint, so it is an explicit argument; getting it wrong
silently swaps diagnoses, hence no default.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from .cli_common import UserError
from .export.model_card import render_import_card
from .export.pack import GoldenInput, ModalityExport, sha256_file, write_manifest, write_modality
from .export.verify import require_node, verify_golden
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
        raise UserError("checkpoint holds neither a model nor a state_dict")
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
    if not Path(path).is_file():
        raise UserError(f"{path}: no such checkpoint file")
    try:
        obj = torch.load(path, map_location="cpu")  # pickled whole models need full unpickling
    except Exception as e:  # a truncated file, another framework's format, a missing class for a pickled model
        raise UserError(f"{path}: cannot read as a PyTorch checkpoint ({type(e).__name__}: {e})") from None
    state = extract_state_dict(obj)
    arch = arch or infer_architecture(state)
    if "fc.weight" not in state:
        raise UserError(f"{path}: checkpoint has no fc layer (fc.weight)")
    if state["fc.weight"].shape[0] != num_classes:
        raise UserError(f"{path}: checkpoint fc has {state['fc.weight'].shape[0]} outputs, --classes names "
                        f"{num_classes}")
    model = build_resnet(arch, num_classes)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise UserError(f"{path}: not a torchvision {arch} ({str(e).splitlines()[0]}); try --arch") from None
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
    """Writes/updates `pack_dir` with this modality (other modalities already there are kept).

    Atomic: the new pack is assembled in a sibling temporary folder (a copy of the existing pack
    plus this modality), its manifest and MODEL_CARD.md written, verified through TF.js, and only
    then swapped in. Any failure leaves `pack_dir` exactly as it was and no partial folder behind.
    The manifest records the checkpoint's file name and SHA-256 per modality, so a pack can be
    traced back to the file it came from."""
    if temperature <= 0:
        raise UserError(f"--temperature must be > 0, got {temperature}")
    if verify:
        require_node()
    model, arch = load_checkpoint_model(checkpoint, len(classes), arch)
    digest = sha256_file(Path(checkpoint))
    existing: dict = {}
    imports: dict = {}
    mpath = pack_dir / "manifest.json"
    if mpath.exists():
        old = json.loads(mpath.read_text())
        if [c["id"] for c in old["classes"]] != classes:
            raise UserError(f"pack {pack_dir} has classes {[c['id'] for c in old['classes']]}, not {classes}")
        existing = {m: s for m, s in old["modalities"].items() if m != modality}
        imports = {m: v for m, v in old.get("training", {}).get("imports", {}).items() if m in existing}
    imports[modality] = {
        "checkpoint": Path(checkpoint).name, "sha256": digest, "architecture": arch, "weightsDtype": weights_dtype,
        "temperature": temperature, "importedAt": datetime.date.today().isoformat(),
    }
    pack_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{pack_dir.name}.import-", dir=pack_dir.parent))
    try:
        if pack_dir.exists():
            shutil.copytree(pack_dir, staging, dirs_exist_ok=True)
            for f in ("manifest.json", "MODEL_CARD.md"):
                (staging / f).unlink(missing_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            if not golden_images:
                # A generated speckle image: checks the graph end to end without shipping anyone's data.
                p = Path(tmp) / "speckle.png"
                Image.fromarray(np.stack([speckle_image(0, np.random.default_rng(7), (180, 200))] * 3, -1)).save(p)
                golden_images = [str(p)]
            golden = [GoldenInput(f"golden-{i}", g) for i, g in enumerate(golden_images)]
            spec = write_modality(staging, ModalityExport(modality, model, weights_dtype, temperature, arch, golden))
        meta = {
            "id": pack_id, "title": title, "fixture": False,
            "classes": [{"id": c, "label": c.replace("-", " ").capitalize()} for c in classes],
            "training": {"summary": "Imported checkpoints: " + ", ".join(
                f"{m} from {v['checkpoint']} ({v['architecture']})" for m, v in sorted(imports.items())),
                "imports": imports},
            "intendedUse": "Research use by the institution that trained the imported model.",
            "disclaimer": "Imported model: its performance has not been evaluated by LymphScope. Not for diagnosis "
                          "unless validated by your institution.",
            "license": "As the imported model's.",
            "metrics": [],
        }
        modalities = {**existing, modality: spec}
        # The card is listed (and hashed) in the manifest, so it is written first from the same facts.
        (staging / "MODEL_CARD.md").write_text(render_import_card({**meta, "modalities": modalities}))
        manifest = write_manifest(staging, meta, modalities)
        if verify:
            verify_golden(staging / "manifest.json")
        _swap_in(staging, pack_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _swap_in(staging: Path, pack_dir: Path) -> None:
    """Replaces pack_dir by staging with renames on one file system (the old pack survives until the new
    one is in place; a crash between the two renames leaves the old one under a .old- name, never a mix)."""
    old = None
    if pack_dir.exists():
        old = pack_dir.with_name(f".{pack_dir.name}.old-{os.getpid()}")
        os.replace(pack_dir, old)
    os.replace(staging, pack_dir)
    os.chmod(pack_dir, 0o755)  # mkdtemp makes it 0700; a web server must read it
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
