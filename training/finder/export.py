"""Adds a trained finder to a model pack: `node-finder/` (TF.js LayersModel, float32 weights,
golden outputs), the manifest's `nodeFinder` and `crop` fields, every file's SHA-256, the finder's
section of MODEL_CARD.md; then the app's own loading path reproduces the golden outputs."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..cli_common import REPO
from ..export.pack import list_files
from ..export.weights import encode_all, roundtrip, shard
from .data import LUMA, NORM_MEAN, NORM_STD, PROMPT_SIGMA, luma_input, prompt_map, resize_rgb
from .evaluate import DEFAULT_MARGIN
from .geometry import MIN_AREA, NEAREST_RADIUS, pick_component, to_image_box
from .graph import finder_graph, run_graph, topology
from .model import NodeUNet, parameter_count
from .model_card import CARD_END, CARD_START, render_finder_card

FOLDER = "node-finder"
WEIGHTS_DTYPE = "float32"  # 1.1 MB: the shipped model is exactly the evaluated one
GOLDEN_STRIDE = 3  # golden logits every 3rd row and column: enough to catch any layer error, small file
GOLDEN_TOLERANCE = {"abs": 1e-3, "rel": 1e-3}


def finder_input(img: np.ndarray, size: int, click: tuple[float, float] | None) -> np.ndarray:
    """NHWC [1, S, S, 2]; `click` in image pixels (continuous: pixel x covers [x, x+1))."""
    h, w = img.shape[:2]
    point = None if click is None else (click[0] * size / w, click[1] * size / h)
    return np.stack([luma_input(resize_rgb(img, size)), prompt_map(size, point)], axis=-1)[None]


def nodefinder_spec(size: int, threshold: float, golden: str, arch: str) -> dict:
    return {
        "model": f"{FOLDER}/model.json",
        "architecture": arch,
        "inputSize": size,
        "resize": "bilinear-antialias",
        "normalisation": {"channel": "luma", "luma": list(LUMA), "scale": 1 / 255, "mean": NORM_MEAN, "std": NORM_STD},
        "prompt": {"kind": "gaussian", "sigma": PROMPT_SIGMA},
        "threshold": threshold,
        "minArea": MIN_AREA,
        "clickRadius": NEAREST_RADIUS,
        "weightsDtype": WEIGHTS_DTYPE,
        "golden": golden,
    }


def _golden(pack: Path, layers, stored: dict, model: NodeUNet, size: int, cases: list[dict]) -> tuple[str, float]:
    gdir = pack / FOLDER / "golden"
    gdir.mkdir(parents=True, exist_ok=True)
    out, worst = [], 0.0
    for c in cases:
        rel = f"{FOLDER}/golden/{c['name']}.png"
        Image.fromarray(c["image"]).save(pack / rel, optimize=True)
        with Image.open(pack / rel) as im:  # what the app will decode
            img = np.asarray(im.convert("RGB"), np.uint8)
        x = finder_input(img, size, c["click"])
        logits = run_graph(layers, stored, x)[0, :, :, 0]
        with torch.no_grad():
            ref = model(torch.from_numpy(x).permute(0, 3, 1, 2))[0, 0].numpy()
        worst = max(worst, float(np.abs(ref - logits).max()))
        h, w = img.shape[:2]
        click_in = None if c["click"] is None else (c["click"][0] * size / w, c["click"][1] * size / h)
        prop = pick_component(logits, click_in)
        out.append({
            "name": c["name"], "input": rel, "click": c["click"],
            "logits": [round(float(v), 5) for v in logits[::GOLDEN_STRIDE, ::GOLDEN_STRIDE].ravel()],
            "box": None if prop is None else list(to_image_box(prop.box, size, w, h)),
            "score": None if prop is None else round(prop.score, 5),
        })
    doc = {"about": f"logits: the finder's output (as stored, {WEIGHTS_DTYPE} weights) at every "
                    f"{GOLDEN_STRIDE}rd row and column, row-major; box/score: the proposal the app derives "
                    "from them before the confidence threshold (image pixels, x0 y0 x1 y1 exclusive). click: image "
                    "pixels or null (automatic).",
           "stride": GOLDEN_STRIDE, "tolerance": GOLDEN_TOLERANCE, "cases": out}
    (pack / FOLDER / "golden.json").write_text(json.dumps(doc, indent=1))
    return f"{FOLDER}/golden.json", worst


def _golden_cases(run: Path) -> list[dict]:
    doc = json.loads((run / "golden-cases.json").read_text())
    return [{"name": c["name"], "image": np.asarray(Image.open(run / c["file"]).convert("RGB"), np.uint8),
             "click": tuple(c["click"]) if c["click"] else None} for c in doc]


def write_manifest_fields(pack: Path, node_finder: dict, crop: dict, summary: dict) -> dict:
    """Rewrites manifest.json with the finder fields (after `fusion`) and every file re-listed."""
    manifest = json.loads((pack / "manifest.json").read_text())
    out: dict = {}
    for k, v in manifest.items():
        if k in ("nodeFinder", "crop"):
            continue
        out[k] = v
        if k == "fusion":
            out["nodeFinder"] = node_finder
            out["crop"] = crop
    out.setdefault("nodeFinder", node_finder)
    out.setdefault("crop", crop)
    out["training"] = {**out.get("training", {}), "nodeFinder": summary}
    out["files"] = list_files(pack)
    (pack / "manifest.json").write_text(json.dumps(out, indent=1) + "\n")
    return out


def verify_in_tfjs(manifest: Path) -> dict:
    cmd = ["npx", "--no-install", "tsx", "scripts/node-finder-check.ts", str(manifest.resolve())]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    try:
        res = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"node-finder-check failed ({proc.returncode}): {proc.stderr[-2000:]}") from None
    if proc.returncode != 0:
        raise RuntimeError(f"TF.js did not reproduce the finder's golden outputs: {res}")
    return res


def write_finder(pack: Path, model: NodeUNet, size: int, threshold: float, cases: list[dict]) -> tuple[dict, float]:
    """Writes `<pack>/node-finder/` (model, shards, golden) and returns the manifest's `nodeFinder`
    entry and the largest |logit| difference between the stored and the float32 model on `cases`."""
    model.eval()
    layers, weights = finder_graph(model, size)
    mdir = pack / FOLDER
    if mdir.exists():
        shutil.rmtree(mdir)
    mdir.mkdir(parents=True)
    wm, chunks = shard(encode_all(weights, WEIGHTS_DTYPE))
    for path, chunk in zip(wm[0]["paths"], chunks):
        (mdir / path).write_bytes(chunk)
    (mdir / "model.json").write_text(json.dumps({
        "format": "layers-model", "generatedBy": "lymphscope-training (PyTorch NodeUNet)",
        "convertedBy": "lymphscope training.finder.export", "modelTopology": topology(layers),
        "weightsManifest": wm}, separators=(",", ":")))
    golden, worst = _golden(pack, layers, roundtrip(weights, WEIGHTS_DTYPE), model, size, cases)
    arch = f"unet-{parameter_count(model) / 1e6:.2f}m"
    return nodefinder_spec(size, threshold, golden, arch), worst


def export_finder(run: Path, pack: Path, crop_kind: str, margin: float | None, log=print) -> dict:
    ck = torch.load(run / "finder.pt", map_location="cpu")
    metrics = json.loads((run / "metrics.json").read_text())
    size = int(ck["size"])
    model = NodeUNet()
    model.load_state_dict(ck["model"])
    threshold = float(metrics["threshold"])
    spec, worst = write_finder(pack, model, size, threshold, _golden_cases(run))
    log(f"[finder-export] stored ({WEIGHTS_DTYPE}, BN folded) vs PyTorch float32: max |logit diff| {worst:.2e}")
    m = float(margin if margin is not None else metrics.get("margin", DEFAULT_MARGIN))
    crop = {"kind": "node-box-margin", "margin": m} if crop_kind == "node-box-margin" else {"kind": "image-area"}
    train_info = json.loads((run / "train.json").read_text()) if (run / "train.json").exists() else {}
    summary = {"architecture": spec["architecture"], "parameters": parameter_count(model), "inputSize": size,
               "weightsDtype": WEIGHTS_DTYPE, "storedVsFloat32MaxLogitDiff": float(f"{worst:.3g}"),
               "trainingMinutes": train_info.get("minutes"), "trainingCpuMinutes": train_info.get("cpuMinutes"),
               "trainingSamples": train_info.get("samples"), "threshold": threshold}
    card_path = pack / "MODEL_CARD.md"
    card = card_path.read_text()
    if CARD_START in card:
        card = card[:card.index(CARD_START)].rstrip() + "\n" + card[card.index(CARD_END) + len(CARD_END):]
    card_path.write_text(card.rstrip() + "\n\n" + render_finder_card(metrics, summary, crop, train_info) + "\n")
    manifest = write_manifest_fields(pack, spec, crop, summary)
    check = verify_in_tfjs(pack / "manifest.json")
    log(f"[finder-export] TF.js ({check['backend']}) reproduced {len(check['cases'])} golden cases")
    return manifest
