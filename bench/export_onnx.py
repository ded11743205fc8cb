"""Writes an ONNX model of a pack's model, with the very same weights the app runs (decoded from
the pack as tfjs decodes them; BatchNorm is already folded by the exporter), for ONNX Runtime Web.

    /usr/bin/python3 bench/export_onnx.py MANIFEST OUT.onnx [--modality bmode]

Input "input": NCHW float32 [1, 3, H, W] (already normalised, as the app feeds its model).
Output "logits": [1, numClasses], pre-softmax.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pack_model import load_pack_model  # noqa: E402


class LogitsOnly(torch.nn.Module):
    def __init__(self, inner: torch.nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x)[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("manifest")
    ap.add_argument("out")
    ap.add_argument("--modality", default=None)
    args = ap.parse_args()
    model, spec = load_pack_model(Path(args.manifest), args.modality)
    h, w = spec["input"]["height"], spec["input"]["width"]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            LogitsOnly(model), torch.zeros(1, 3, h, w), args.out,
            input_names=["input"], output_names=["logits"], opset_version=13, do_constant_folding=True,
        )
    print(args.out)


if __name__ == "__main__":
    main()
