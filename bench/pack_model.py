"""A model pack's TF.js LayersModel (topology + weights exactly as stored) as a PyTorch module.

Shared by the native reference (native.py) and the ONNX export (export_onnx.py), so PyTorch,
ONNX Runtime Web and the app all run the very same weights: the pack's weights decoded the way
tfjs decodes them (float16/uint8 dequantised to float32), BatchNorm already folded by the
exporter. ZeroPadding2D before a convolution or max-pool becomes that op's own symmetric padding
(a max-pool's input comes straight out of a ReLU, so zero and −inf padding agree), which gives
ONNX Runtime the cleanest graph to run: Conv(+pads) → Relu → … → GlobalAveragePool → Gemm.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from training.export.weights import decode_weight  # noqa: E402


def load_weights(model_json_path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    doc = json.loads(model_json_path.read_text())
    weights: dict[str, np.ndarray] = {}
    for group in doc["weightsManifest"]:
        data = b"".join((model_json_path.parent / p).read_bytes() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            n = int(np.prod(spec["shape"])) if spec["shape"] else 1
            q = spec.get("quantization")
            width = 4 if q is None else (2 if q["dtype"] == "float16" else 1)
            weights[spec["name"]] = decode_weight(spec, data[offset : offset + n * width])
            offset += n * width
    return doc["modelTopology"], weights


def _same_pads(k: int, s: int, size: int = 0) -> int:
    if s != 1:
        raise ValueError("'same' padding with stride > 1 is asymmetric; the exporter never writes it")
    return (k - 1) // 2


class PackModel(nn.Module):
    """Runs the topology; `forward(x_nchw)` returns (gradcam activations NCHW, logits)."""

    def __init__(self, topology: dict, weights: dict[str, np.ndarray], gradcam_layer: str) -> None:
        super().__init__()
        layers = topology["config"]["layers"]
        self.output = topology["config"]["output_layers"][0][0]
        self.gradcam_layer = gradcam_layer
        self.plan: list[tuple] = []
        self.mods = nn.ModuleDict()
        pending_pad: dict[str, tuple[str, int]] = {}  # pad layer name → (its input, pad)
        for layer in layers:
            cls, cfg, name = layer["class_name"], layer["config"], layer["name"]
            ins = [n[0] for n in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
            if cls == "InputLayer":
                self.input_name = name
                continue
            if cls == "ZeroPadding2D":
                (t, b), (l, r) = cfg["padding"]
                if not (t == b == l == r):
                    raise ValueError(f"{name}: asymmetric padding")
                pending_pad[name] = (ins[0], t)
                continue
            pad = 0
            if ins and ins[0] in pending_pad:
                src, pad = pending_pad[ins[0]]
                ins = [src]
            if cls == "Conv2D":
                k = weights[f"{name}/kernel"]  # HWIO
                kh, kw = cfg["kernel_size"]
                sh, sw = cfg["strides"]
                if cfg["padding"] == "same":
                    pad = _same_pads(kh, sh)
                has_bias = f"{name}/bias" in weights
                conv = nn.Conv2d(k.shape[2], k.shape[3], (kh, kw), (sh, sw), pad, bias=has_bias)
                conv.weight.data = torch.from_numpy(np.ascontiguousarray(k.transpose(3, 2, 0, 1)))
                if has_bias:
                    conv.bias.data = torch.from_numpy(weights[f"{name}/bias"].copy())
                self.mods[name] = conv
                act = cfg.get("activation", "linear")
                self.plan.append(("conv", name, ins, act))
            elif cls == "BatchNormalization":
                c = weights[f"{name}/moving_mean"].shape[0]
                bn = nn.BatchNorm2d(c, eps=cfg.get("epsilon", 1e-3))
                bn.weight.data = torch.from_numpy(weights.get(f"{name}/gamma", np.ones(c, np.float32)).copy())
                bn.bias.data = torch.from_numpy(weights.get(f"{name}/beta", np.zeros(c, np.float32)).copy())
                bn.running_mean.data = torch.from_numpy(weights[f"{name}/moving_mean"].copy())
                bn.running_var.data = torch.from_numpy(weights[f"{name}/moving_variance"].copy())
                self.mods[name] = bn
                self.plan.append(("bn", name, ins, None))
            elif cls in ("Activation", "ReLU"):
                if cls == "Activation" and cfg["activation"] != "relu":
                    raise ValueError(f"{name}: activation {cfg['activation']}")
                self.plan.append(("relu", name, ins, None))
            elif cls == "Add":
                self.plan.append(("add", name, ins, None))
            elif cls == "MaxPooling2D":
                self.plan.append(("maxpool", name, ins, (cfg["pool_size"][0], cfg["strides"][0], pad)))
            elif cls == "GlobalAveragePooling2D":
                self.plan.append(("gap", name, ins, None))
            elif cls == "Dense":
                k = weights[f"{name}/kernel"]
                fc = nn.Linear(k.shape[0], k.shape[1])
                fc.weight.data = torch.from_numpy(np.ascontiguousarray(k.T))
                fc.bias.data = torch.from_numpy(weights[f"{name}/bias"].copy())
                self.mods[name] = fc
                self.plan.append(("dense", name, ins, None))
            elif cls == "Dropout":
                self.plan.append(("identity", name, ins, None))
            else:
                raise ValueError(f"layer {name}: {cls} not supported by the benchmark")

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        acts: dict[str, torch.Tensor] = {self.input_name: x}
        for op, name, ins, arg in self.plan:
            a = [acts[i] for i in ins]
            if op == "conv":
                y = self.mods[name](a[0])
                if arg == "relu":
                    y = F.relu(y)
            elif op == "bn":
                y = self.mods[name](a[0])
            elif op == "relu":
                y = F.relu(a[0])
            elif op == "add":
                y = a[0] + a[1]
            elif op == "maxpool":
                k, s, p = arg
                y = F.max_pool2d(a[0], k, s, p)
            elif op == "gap":
                y = a[0].mean(dim=(2, 3))
            elif op == "dense":
                y = self.mods[name](a[0])
            else:
                y = a[0]
            acts[name] = y
        return acts[self.gradcam_layer], acts[self.output]


def load_pack_model(manifest_path: Path, modality: str | None = None) -> tuple[PackModel, dict]:
    manifest = json.loads(Path(manifest_path).read_text())
    modality = modality or next(iter(manifest["modalities"]))
    spec = manifest["modalities"][modality]
    topology, weights = load_weights(Path(manifest_path).parent / spec["model"])
    model = PackModel(topology, weights, spec["gradcamLayer"]).eval()
    return model, spec


def model_flops(topology: dict, input_hw: tuple[int, int]) -> int:
    """Multiply-adds × 2 of the convolutions and dense layers (what a compute bound counts)."""
    shapes: dict[str, tuple[int, int, int]] = {}
    flops = 0
    for layer in topology["config"]["layers"]:
        cls, cfg, name = layer["class_name"], layer["config"], layer["name"]
        ins = [n[0] for n in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
        if cls == "InputLayer":
            shapes[name] = (input_hw[0], input_hw[1], 3)
            continue
        h, w, c = shapes[ins[0]]
        if cls == "ZeroPadding2D":
            (t, b), (l, r) = cfg["padding"]
            shapes[name] = (h + t + b, w + l + r, c)
        elif cls == "Conv2D":
            kh, kw = cfg["kernel_size"]
            sh, sw = cfg["strides"]
            if cfg["padding"] == "same":
                oh, ow = math.ceil(h / sh), math.ceil(w / sw)
            else:
                oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
            f = cfg["filters"]
            flops += 2 * oh * ow * f * kh * kw * c
            shapes[name] = (oh, ow, f)
        elif cls == "MaxPooling2D":
            k, s = cfg["pool_size"][0], cfg["strides"][0]
            shapes[name] = ((h - k) // s + 1, (w - k) // s + 1, c)
        elif cls == "GlobalAveragePooling2D":
            shapes[name] = (1, 1, c)
        elif cls == "Dense":
            flops += 2 * c * cfg["units"]
            shapes[name] = (1, 1, cfg["units"])
        else:
            shapes[name] = (h, w, c)
    return flops
