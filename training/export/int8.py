"""Int8 compute for a pack: activation scales from calibration data, and the app's int8 arithmetic
emulated exactly so that its accuracy can be measured before the manifest allows it.

What the app's int8 kernels (src/runtime/conv/kernels.c, `q8_*`) compute for every convolution
but the stem (whose input, the normalised image, is signed; it stays float):

    inv   = float32(1 / s_x)                       s_x: the layer's input scale, from the manifest
    x_q   = clamp(rint(float32(x · inv)), 0, 127)  per tensor, unsigned 7 bit (inputs are post-ReLU)
    s_w   = float32(max|w[..., o]| / 127)          per output channel, symmetric
    w_q   = clamp(rint(float32(w / s_w)), −127, 127)
    acc   = Σ x_q · w_q                            exact, int32
    y     = float32(float32(float32(acc) · float32(s_x · s_w)) + bias)   (then ReLU if fused)

rint rounds half to even (WebAssembly `f32x4.nearest`, numpy/torch round). The integer sums are
computed in float64 here (exact below 2^53), so the emulation is bit-exact up to the float
convolution of the stem, pooling and the dense head, which differ from tfjs only in summation order.

Scales must be float32 numbers (JSON doubles that are exactly float32), so that the app and this
module compute the same `inv` (a double division rounded to float32 in both).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .graph_runner import GraphRunner, _tf_same_pads

Q_MAX = 127  # unsigned 7-bit activations: what i32x4.relaxed_dot_i8x16_i7x16_add_s takes exactly


def f32(v: float) -> float:
    """The float32 nearest to v, as a Python float (exact in JSON)."""
    return float(np.float32(v))


def int8_layers(topology: dict) -> list[str]:
    """Conv2D layers that run in int8: all but those fed (through padding) by the model's input."""
    layers = topology["config"]["layers"]
    by_name = {ly["name"]: ly for ly in layers}

    def source(name: str) -> str:
        ly = by_name[name]
        while ly["class_name"] == "ZeroPadding2D":
            ly = by_name[ly["inbound_nodes"][0][0][0]]
        return ly["class_name"]

    out = []
    for ly in layers:
        if ly["class_name"] == "Conv2D" and source(ly["inbound_nodes"][0][0][0]) != "InputLayer":
            out.append(ly["name"])
    return out


def quantize_weight(w_oihw: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per output channel symmetric int8 (as float64 integers) and the float32 scales."""
    w = w_oihw.to(torch.float32)
    m = w.abs().amax(dim=(1, 2, 3))
    s = m / torch.tensor(127.0, dtype=torch.float32)
    safe = torch.where(s > 0, s, torch.ones_like(s))
    q = torch.round(w / safe.view(-1, 1, 1, 1)).clamp(-Q_MAX, Q_MAX)
    q = torch.where(s.view(-1, 1, 1, 1) > 0, q, torch.zeros_like(q))
    return q.to(torch.float64), s


def integer_conv(xq: torch.Tensor, wq: torch.Tensor, stride: tuple[int, int]) -> torch.Tensor:
    """Σ x_q · w_q exactly (float64 result), from two float32 convolutions: w_q = 16·hi + lo with
    lo in 0…15 and hi in −8…7, so every partial sum of either is an integer below 2^24 for up to
    K = 8,000 products per output (127·15·8,000 < 2^24) and float32 adds them exactly in any order.
    ResNet-18's largest K is 4,608. Four to eight times faster than a float64 convolution."""
    k = wq.shape[1] * wq.shape[2] * wq.shape[3]
    if k * 127 * 15 >= 2**24:
        return F.conv2d(xq.to(torch.float64), wq.to(torch.float64), stride=stride)
    w = wq.to(torch.int32)
    lo = torch.remainder(w, 16)
    hi = torch.div(w - lo, 16, rounding_mode="floor")
    x32 = xq.to(torch.float32)
    a_lo = F.conv2d(x32, lo.to(torch.float32), stride=stride).to(torch.float64)
    a_hi = F.conv2d(x32, hi.to(torch.float32), stride=stride).to(torch.float64)
    return a_hi * 16 + a_lo


def quantize_activation(x: torch.Tensor, scale: float) -> torch.Tensor:
    inv = torch.tensor(f32(1.0 / scale), dtype=torch.float32)
    return torch.round(x.to(torch.float32) * inv).clamp(0, Q_MAX)


class Int8Runner(GraphRunner):
    """GraphRunner whose listed Conv2D layers run the app's int8 arithmetic; with `scales=None` it
    records every Conv2D input instead (calibration)."""

    def __init__(self, topology: dict, weights: dict[str, np.ndarray], scales: dict[str, float] | None) -> None:
        super().__init__(topology, weights)
        self.scales = scales
        self.qweights = {n: quantize_weight(self.params[f"{n}/kernel"]) for n in (scales or {})}
        self.recorded: dict[str, list[torch.Tensor]] = {}

    @torch.no_grad()
    def __call__(self, x_nhwc: torch.Tensor, outputs: tuple[str, ...] = ()) -> dict[str, torch.Tensor]:
        acts: dict[str, torch.Tensor] = {}
        for layer in self.layers:
            cls, cfg, name = layer["class_name"], layer["config"], layer["name"]
            ins = [acts[n[0]] for n in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
            if cls != "Conv2D":
                acts[name] = self._plain(layer, ins, x_nhwc)
                continue
            x = ins[0]
            kh, kw = cfg["kernel_size"]
            sh, sw = cfg["strides"]
            if cfg["padding"] == "same":
                pt, pb = _tf_same_pads(x.shape[2], kh, sh)
                pl, pr = _tf_same_pads(x.shape[3], kw, sw)
                x = F.pad(x, (pl, pr, pt, pb))
            bias = self.params[f"{name}/bias"]
            if self.scales is None:
                self.recorded.setdefault(name, []).append(x)
            if self.scales is not None and name in self.scales:
                s_x = self.scales[name]
                wq, s_w = self.qweights[name]
                acc = integer_conv(quantize_activation(x, s_x), wq, (sh, sw))
                c = torch.tensor(s_x, dtype=torch.float32) * s_w
                y = acc.to(torch.float32) * c.view(1, -1, 1, 1) + bias.view(1, -1, 1, 1)
            else:
                y = F.conv2d(x, self.params[f"{name}/kernel"], bias, stride=(sh, sw))
            acts[name] = y
        out = {self.output: acts[self.output]}
        for n in outputs:
            out[n] = acts[n].permute(0, 2, 3, 1) if acts[n].ndim == 4 else acts[n]
        return out

    def _plain(self, layer: dict, ins: list[torch.Tensor], x_nhwc: torch.Tensor) -> torch.Tensor:
        cls, cfg, name = layer["class_name"], layer["config"], layer["name"]
        if cls == "InputLayer":
            return x_nhwc.permute(0, 3, 1, 2)
        if cls == "ZeroPadding2D":
            (t, b), (left, r) = cfg["padding"]
            return F.pad(ins[0], (left, r, t, b))
        if cls == "Activation":
            return F.relu(ins[0])
        if cls == "Add":
            return ins[0] + ins[1]
        if cls == "MaxPooling2D":
            return F.max_pool2d(ins[0], cfg["pool_size"], cfg["strides"])
        if cls == "GlobalAveragePooling2D":
            return ins[0].mean(dim=(2, 3))
        if cls == "Dense":
            return ins[0] @ self.params[f"{name}/kernel"] + self.params[f"{name}/bias"]
        raise ValueError(f"layer {name}: {cls} not supported")


def calibrate(topology: dict, weights: dict[str, np.ndarray], images_nchw: torch.Tensor, percentile: float,
              batch: int = 16, sample_per_batch: int = 200_000,
              seed: int = 0) -> dict[str, float]:
    """Per-tensor input scale of every int8 layer: the `percentile` of its input values over the
    calibration images (100 = the maximum; below it, estimated on a seeded random sample of each
    batch), divided by 127, rounded to float32."""
    layers = int8_layers(topology)
    runner = Int8Runner(topology, weights, None)
    gen = torch.Generator().manual_seed(seed)
    maxima: dict[str, float] = {n: 0.0 for n in layers}
    samples: dict[str, list[torch.Tensor]] = {n: [] for n in layers}
    for i in range(0, len(images_nchw), batch):
        runner.recorded = {}
        runner(images_nchw[i : i + batch].permute(0, 2, 3, 1))
        for n in layers:
            v = runner.recorded[n][0].reshape(-1)
            maxima[n] = max(maxima[n], float(v.max()))
            if percentile < 100:
                idx = torch.randint(0, v.numel(), (min(sample_per_batch, v.numel()),), generator=gen)
                samples[n].append(v[idx])
    scales = {}
    for n in layers:
        clip = maxima[n]
        if percentile < 100:
            clip = float(torch.quantile(torch.cat(samples[n]).double(), percentile / 100))
        scales[n] = f32(max(clip, 1e-8) / Q_MAX)
    return scales


def run_logits(topology: dict, weights: dict[str, np.ndarray], images_nchw: torch.Tensor,
               scales: dict[str, float] | None, batch: int = 16) -> np.ndarray:
    """Logits with float convolutions (scales None) or the app's int8 arithmetic."""
    runner: GraphRunner = GraphRunner(topology, weights) if scales is None else Int8Runner(topology, weights, scales)
    out = [runner(images_nchw[i : i + batch].permute(0, 2, 3, 1))[runner.output]
           for i in range(0, len(images_nchw), batch)]
    return torch.cat(out).numpy().astype(np.float64)
