"""Writes a ResNet-18 pack with random weights through the training exporter (same architecture,
same layer graph and same speed as a trained pack), for benchmarking before a trained pack exists.

    /usr/bin/python3 bench/make_random_pack.py [--out node_modules/.cache/lymphscope-bench/packs/random-r18] [--dtype float16]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from training.export.pack import ModalityExport, write_manifest, write_modality  # noqa: E402
from training.model import build_resnet  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(REPO / "node_modules/.cache/lymphscope-bench/packs/random-r18"))
    ap.add_argument("--dtype", default="float16", choices=["float32", "float16", "uint8"])
    ap.add_argument("--modalities", default="bmode,cdfi,elastography")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    specs = {}
    for i, modality in enumerate(args.modalities.split(",")):
        torch.manual_seed(1000 + i)
        model = build_resnet("resnet18", 3).eval()
        # Non-trivial BatchNorm statistics, so folding is exercised like on a trained model.
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.running_mean.uniform_(-0.1, 0.1)
                    m.running_var.uniform_(0.5, 1.5)
                    m.weight.uniform_(0.5, 1.0)
                    m.bias.uniform_(-0.1, 0.1)
        specs[modality] = write_modality(out, ModalityExport(modality, model, args.dtype))
    write_manifest(out, {
        "id": out.name, "title": "Benchmark ResNet-18 (random weights)", "fixture": True,
        "classes": [{"id": c, "label": c.capitalize()} for c in ("metastatic", "lymphoma", "benign")],
        "training": {"summary": "Random weights, for speed measurements only"},
        "intendedUse": "Speed benchmark only.", "disclaimer": "Random weights: not a model.",
        "license": "Apache-2.0",
    }, specs)
    print(out / "manifest.json")


if __name__ == "__main__":
    main()
