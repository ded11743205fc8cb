"""Runs an exported Keras topology + weights in PyTorch (NHWC in, logits out).

An independent second implementation of the exported graph: it checks the exporter against
the original PyTorch model (BN folding, padding, naming) and computes golden logits and test
metrics for quantized weights exactly as the app will hold them.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F


def _tf_same_pads(size: int, k: int, s: int) -> tuple[int, int]:
    total = max((math.ceil(size / s) - 1) * s + k - size, 0)
    return total // 2, total - total // 2


class GraphRunner:
    def __init__(self, topology: dict, weights: dict[str, np.ndarray], device: str = "cpu") -> None:
        self.layers = topology["config"]["layers"]
        self.output = topology["config"]["output_layers"][0][0]
        self.params: dict[str, torch.Tensor] = {}
        for name, w in weights.items():
            t = torch.from_numpy(np.asarray(w, dtype=np.float32))
            if name.endswith("/kernel") and t.ndim == 4:
                t = t.permute(3, 2, 0, 1).contiguous()  # HWIO → OIHW
            self.params[name] = t.to(device)

    @torch.no_grad()
    def __call__(self, x_nhwc: torch.Tensor, outputs: tuple[str, ...] = ()) -> dict[str, torch.Tensor]:
        """Returns the logits under the output layer's name and any other requested layers
        (NCHW internally; 4-D results are given back NHWC like TF.js)."""
        acts: dict[str, torch.Tensor] = {}
        for layer in self.layers:
            cls, cfg, name = layer["class_name"], layer["config"], layer["name"]
            ins = [acts[n[0]] for n in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
            if cls == "InputLayer":
                y = x_nhwc.permute(0, 3, 1, 2)
            elif cls == "ZeroPadding2D":
                (t, b), (l, r) = cfg["padding"]
                y = F.pad(ins[0], (l, r, t, b))
            elif cls == "Conv2D":
                x = ins[0]
                kh, kw = cfg["kernel_size"]
                sh, sw = cfg["strides"]
                if cfg["padding"] == "same":
                    pt, pb = _tf_same_pads(x.shape[2], kh, sh)
                    pl, pr = _tf_same_pads(x.shape[3], kw, sw)
                    x = F.pad(x, (pl, pr, pt, pb))
                y = F.conv2d(x, self.params[f"{name}/kernel"], self.params[f"{name}/bias"], stride=(sh, sw))
            elif cls == "Activation":
                assert cfg["activation"] == "relu"
                y = F.relu(ins[0])
            elif cls == "Add":
                y = ins[0] + ins[1]
            elif cls == "MaxPooling2D":
                y = F.max_pool2d(ins[0], cfg["pool_size"], cfg["strides"])
            elif cls == "GlobalAveragePooling2D":
                y = ins[0].mean(dim=(2, 3))
            elif cls == "Dense":
                y = ins[0] @ self.params[f"{name}/kernel"] + self.params[f"{name}/bias"]
            else:
                raise ValueError(f"layer {name}: {cls} not supported")
            acts[name] = y
        out = {self.output: acts[self.output]}
        for n in outputs:
            out[n] = acts[n].permute(0, 2, 3, 1) if acts[n].ndim == 4 else acts[n]
        return out

    def logits(self, x_nchw: torch.Tensor, batch: int = 32) -> torch.Tensor:
        res = [self(x_nchw[i : i + batch].permute(0, 2, 3, 1))[self.output] for i in range(0, len(x_nchw), batch)]
        return torch.cat(res)
