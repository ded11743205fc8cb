"""Native reference: the pack's model (same weights, see pack_model.py) in PyTorch on this
machine's CPU, timed like the browser runs. Prints one JSON object.

    /usr/bin/python3 bench/native.py MANIFEST --threads 2 --runs 30 [--input input.f32] [--modality bmode]

--input: the preprocessed NHWC float32 image the browser runs use (written by bench/run.ts), so
the logits can be compared across engines.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

T0 = time.perf_counter()

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pack_model import load_pack_model, load_weights, model_flops  # noqa: E402


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    k = (len(s) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def cam_pass(model, acts: torch.Tensor) -> torch.Tensor:
    """Grad-CAM for every class with autograd (as the app does): replays the layers after the
    target on the activations tiled once per class, one backward pass, ReLU(Σ_k w_ck A_k)."""
    tail = []
    seen = False
    for step in model.plan:
        if seen:
            tail.append(step)
        if step[1] == model.gradcam_layer:
            seen = True
    if not seen:
        tail = [s for s in model.plan if s[0] in ("gap", "dense")]
    n_cls = model.mods[model.output].out_features
    a = acts.detach().repeat(n_cls, 1, 1, 1).requires_grad_(True)
    y = a
    for op, name, _ins, _arg in tail:
        if op == "gap":
            y = y.mean(dim=(2, 3))
        elif op == "dense":
            y = model.mods[name](y)
        elif op == "relu":
            y = F.relu(y)
        else:
            raise ValueError(f"native Grad-CAM: unsupported layer {op} after the target")
    (g,) = torch.autograd.grad((y * torch.eye(n_cls)).sum(), a)
    w = g.mean(dim=(2, 3))  # [C, K]
    return F.relu(torch.einsum("ck,khw->chw", w, acts[0].detach()))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("manifest")
    ap.add_argument("--modality", default=None)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--input", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model, spec = load_pack_model(Path(args.manifest), args.modality)
    h, w = spec["input"]["height"], spec["input"]["width"]
    if args.input:
        x = torch.from_numpy(np.fromfile(args.input, dtype="<f4").reshape(1, h, w, 3)).permute(0, 3, 1, 2).contiguous()
    else:
        x = torch.randn(1, 3, h, w, generator=torch.Generator().manual_seed(0))

    with torch.no_grad():
        t = time.perf_counter()
        acts, logits = model(x)
        first_ms = (time.perf_counter() - t) * 1e3
    cold_ms = (time.perf_counter() - T0) * 1e3  # interpreter start → first logits (imports included)

    infer, cam, both = [], [], []
    with torch.no_grad():
        for _ in range(3):
            model(x)
    for _ in range(args.runs):
        t = time.perf_counter()
        with torch.no_grad():
            acts, logits = model(x)
        t1 = time.perf_counter()
        cam_pass(model, acts)
        t2 = time.perf_counter()
        infer.append((t1 - t) * 1e3)
        cam.append((t2 - t1) * 1e3)
        both.append((t2 - t) * 1e3)

    topology, _ = load_weights(Path(args.manifest).parent / spec["model"])
    print(json.dumps({
        "engine": "pytorch-native",
        "backend": "cpu",
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "coldStartMs": cold_ms,
        "firstInferenceMs": first_ms,
        "runs": args.runs,
        "inference": {"p50": pct(infer, 0.5), "p95": pct(infer, 0.95), "mean": statistics.fmean(infer), "samples": infer},
        "gradcam": {"p50": pct(cam, 0.5), "p95": pct(cam, 0.95)},
        "analysis": {"p50": pct(both, 0.5), "p95": pct(both, 0.95)},
        "logits": [float(v) for v in logits[0]],
        "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "flops": model_flops(topology, (h, w)),
    }))


if __name__ == "__main__":
    main()
