"""Writes a model pack (format v1, docs/model-pack.md): per-modality LayersModel + shards +
golden logits, then manifest.json listing every file with its size and SHA-256."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torchvision.models.resnet import ResNet

from ..augment import IMAGENET_MEAN, IMAGENET_STD
from ..data import load_image_rgb
from ..images import open_rgb
from ..modalities import MODALITY_IDS
from .graph_runner import GraphRunner
from .resnet_graph import resnet_to_graph, topology
from .weights import encode_all, roundtrip, shard

INPUT_SIZE = 224
# Golden logits are computed from the weights exactly as stored (dequantized), so TF.js must
# match them as closely as float32 arithmetic in a different summation order allows.
GOLDEN_TOLERANCE = {"abs": 1e-4, "rel": 1e-4}


def input_spec(size: int = INPUT_SIZE) -> dict:
    return {
        "height": size, "width": size, "channelOrder": "RGB", "resize": "bilinear-antialias",
        "scale": 1 / 255, "mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD),
    }


def preprocess_files(paths: list[str], size: int = INPUT_SIZE) -> torch.Tensor:
    """NCHW float32 exactly as the app prepares a crop (Pillow BILINEAR, /255, mean/std)."""
    x = torch.from_numpy(np.stack([load_image_rgb(p, size) for p in paths])).permute(0, 3, 1, 2).float() / 255.0
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (x - mean) / std


@dataclass
class GoldenInput:
    name: str
    path: str  # source image; copied into the pack


@dataclass
class ModalityExport:
    modality: str
    model: ResNet
    weights_dtype: str
    temperature: float = 1.0
    architecture: str = "resnet18"
    golden: list[GoldenInput] = field(default_factory=list)
    input_size: int = INPUT_SIZE


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_modality(pack_dir: Path, ex: ModalityExport) -> dict:
    """Writes `<modality>/model.json`, shards and golden files; returns the manifest entry."""
    mdir = pack_dir / ex.modality
    if mdir.exists():
        shutil.rmtree(mdir)
    mdir.mkdir(parents=True)
    ex.model.eval()
    graph = resnet_to_graph(ex.model, (ex.input_size, ex.input_size))
    weights_manifest, chunks = shard(encode_all(graph.weights, ex.weights_dtype))
    for path, chunk in zip(weights_manifest[0]["paths"], chunks):
        (mdir / path).write_bytes(chunk)
    model_json = {
        "format": "layers-model",
        "generatedBy": "lymphscope-training (PyTorch torchvision ResNet)",
        "convertedBy": "lymphscope training.export",
        "modelTopology": topology(graph),
        "weightsManifest": weights_manifest,
    }
    (mdir / "model.json").write_text(json.dumps(model_json, separators=(",", ":")))
    spec = {
        "model": f"{ex.modality}/model.json",
        "architecture": ex.architecture,
        "input": input_spec(ex.input_size),
        "gradcamLayer": graph.gradcam_layer,
        "temperature": round(float(ex.temperature), 6),
        "weightsDtype": ex.weights_dtype,
    }
    if ex.golden:
        spec["golden"] = write_golden(pack_dir, ex, graph)
    return spec


def write_golden(pack_dir: Path, ex: ModalityExport, graph) -> str:
    gdir = pack_dir / ex.modality / "golden"
    gdir.mkdir(parents=True, exist_ok=True)
    x = preprocess_files([g.path for g in ex.golden], ex.input_size)
    stored = GraphRunner(topology(graph), roundtrip(graph.weights, ex.weights_dtype)).logits(x)
    with torch.no_grad():
        reference = ex.model(x)
    cases = []
    for g, lg, ref in zip(ex.golden, stored.tolist(), reference.tolist()):
        # Stored as 8-bit RGB PNG whatever the source format (JPEG, BMP, WebP, 16-bit or palette PNG): the
        # pixels the logits were computed from, losslessly, in the one format every checker decodes the same
        # way (a JPEG's pixels depend on the decoder; Node's checker reads PNG).
        rel = f"{ex.modality}/golden/{g.name}.png"
        open_rgb(g.path).save(pack_dir / rel, format="PNG")
        cases.append({
            "name": g.name, "input": rel,
            "logits": [round(v, 7) for v in lg],
            "float32Logits": [round(v, 7) for v in ref],
        })
    doc = {
        "about": "logits: outputs of this pack's weights as stored (after TF.js dequantization), "
                 "which the app must reproduce within |got - want| <= abs + rel*|want|. "
                 "float32Logits: the unquantized PyTorch model, for information.",
        "weightsDtype": ex.weights_dtype,
        "tolerance": GOLDEN_TOLERANCE,
        "cases": cases,
    }
    (pack_dir / ex.modality / "golden.json").write_text(json.dumps(doc, indent=1))
    return f"{ex.modality}/golden.json"


def list_files(pack_dir: Path) -> list[dict]:
    files = sorted(p for p in pack_dir.rglob("*") if p.is_file() and p.name != "manifest.json")
    return [
        {"path": p.relative_to(pack_dir).as_posix(), "bytes": p.stat().st_size, "sha256": sha256_file(p)}
        for p in files
    ]


def write_manifest(pack_dir: Path, meta: dict, modalities: dict[str, dict]) -> dict:
    """`meta` holds id, version, title, fixture, classes, fusion, metrics, training, intendedUse,
    disclaimer, license. Call last: every file of the pack must already exist."""
    manifest = {
        "format": "lymphscope-model-pack",
        "formatVersion": 1,
        "id": meta["id"],
        "version": meta.get("version", "1.0.0"),
        "title": meta["title"],
        "fixture": meta.get("fixture", False),
        "classes": meta["classes"],
        "modalities": {m: modalities[m] for m in MODALITY_IDS if m in modalities},
        "fusion": meta.get("fusion", {"method": "mean"}),
        "files": list_files(pack_dir),
        "metrics": meta.get("metrics", []),
        "training": meta.get("training", {}),
        "intendedUse": meta["intendedUse"],
        "disclaimer": meta["disclaimer"],
        "license": meta["license"],
    }
    (pack_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def pack_sizes(pack_dir: Path) -> dict[str, int]:
    """Bytes per modality folder (model.json + shards + golden)."""
    out: dict[str, int] = {}
    for p in pack_dir.rglob("*"):
        if p.is_file() and p.parent != pack_dir:
            top = p.relative_to(pack_dir).parts[0]
            out[top] = out.get(top, 0) + p.stat().st_size
    return out
