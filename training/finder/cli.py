"""Command-line parsers and entry points of `train-node-finder` and `export-node-finder`."""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

from ..cli_common import CACHE, DEFAULT_SEED, REPO, RUNS, SHARED_DATA

DEFAULT_RUN = RUNS / "node-finder"
DEFAULT_PACK = REPO / "public" / "models" / "lymphscope-demo-r18"

TRAIN_EXAMPLES = """examples:
  # the bundled finder (phantoms generated on first use into training/.cache/)
  /usr/bin/python3 -m training train-node-finder
  # longer, larger input, on your own phantom folder
  /usr/bin/python3 -m training train-node-finder --size 128 --minutes 90 --phantoms /tmp/phantoms
  # real data only
  /usr/bin/python3 -m training train-node-finder --no-phantoms --out training/runs/finder-real
"""

EXPORT_EXAMPLES = """examples:
  # add the finder of training/runs/node-finder to the bundled pack, re-verify the pack
  /usr/bin/python3 -m training export-node-finder
  # another pack whose classifiers were trained on whole image areas, not node crops
  /usr/bin/python3 -m training export-node-finder --pack public/models/my-pack --crop image-area
"""


def _fmt() -> type[argparse.HelpFormatter]:
    class F(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
        pass

    return F


def add_train_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("train-node-finder", help="train + evaluate the node finder (compact U-Net)",
                       description="Trains the node/lesion finder on the lesion masks of BUSI, DDTI and "
                                   "simulated nodes, then evaluates it on the held-out test splits "
                                   "(box IoU, Dice, node inside the proposed crop; JPEG/crop/resize variants).",
                       epilog=TRAIN_EXAMPLES, formatter_class=_fmt())
    p.add_argument("--busi", default=str(SHARED_DATA / "busi"), help="BUSI folder (labels.csv, masks/)")
    p.add_argument("--ddti", default=str(SHARED_DATA / "ddti"), help="DDTI folder (labels.csv, image/, mask/)")
    p.add_argument("--phantoms", help="folder written by `npm run phantoms -- --full` "
                                      "(default: generate --phantom-cases per class into training/.cache)")
    p.add_argument("--no-phantoms", action="store_true", help="train on real data only")
    p.add_argument("--phantom-cases", type=int, default=100, help="phantom cases per class when generating")
    p.add_argument("--phantom-seed", type=int, default=7001, help="generator seed (the classifiers use 2025..)")
    p.add_argument("--size", type=int, default=96, help="model input side in pixels (a multiple of 16)")
    p.add_argument("--minutes", type=float, default=28.0, help="wall-clock cap on training")
    p.add_argument("--cpu-minutes", type=float, default=None,
                   help="CPU-time budget (all threads; default 2 × --minutes); the schedule follows "
                        "whichever budget is further along")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=2e-3, help="peak AdamW learning rate (cosine schedule)")
    p.add_argument("--init", help="finder.pt of an earlier run to continue from (same input size)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--out", default=str(DEFAULT_RUN), help="run folder: finder.pt, metrics.json, logs")
    p.add_argument("--evaluate-only", action="store_true", help="skip training, evaluate <out>/finder.pt")
    p.add_argument("--eval-workers", type=int, default=1,
                   help="processes for the held-out evaluation (each runs one image variant at a time)")
    return p


def add_export_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("export-node-finder", help="add a trained node finder to a model pack",
                       description="Writes <pack>/node-finder/ (TF.js LayersModel, golden outputs), the "
                                   "manifest's nodeFinder and crop fields with SHA-256 of every file, the "
                                   "finder's section of MODEL_CARD.md, and checks TF.js against PyTorch.",
                       epilog=EXPORT_EXAMPLES, formatter_class=_fmt())
    p.add_argument("--run", default=str(DEFAULT_RUN), help="run folder of train-node-finder")
    p.add_argument("--pack", default=str(DEFAULT_PACK), help="pack folder holding manifest.json")
    p.add_argument("--crop", default="node-box-margin", choices=("node-box-margin", "image-area"),
                   help="how the pack's classifiers' training crops were made")
    p.add_argument("--margin", type=float, default=None,
                   help="node-box-margin: fraction of the box's longer side added on each side "
                        "(default: the value in the run's metrics.json, i.e. the phantom ROI mean)")
    return p


def _phantoms(a: argparse.Namespace) -> Path | None:
    if a.no_phantoms:
        return None
    if a.phantoms:
        return Path(a.phantoms)
    out = CACHE / f"finder-phantoms-{a.phantom_cases}-{a.phantom_seed}"
    if not (out / "labels.csv").exists():
        subprocess.run(["npm", "run", "--silent", "phantoms", "--", "--out", str(out), "--per-class",
                        str(a.phantom_cases), "--seed", str(a.phantom_seed), "--full"], cwd=REPO, check=True)
    return out


def train_command(a: argparse.Namespace) -> None:
    import torch

    from ..distributed import setup_runtime
    from .model import NodeUNet
    from .train import load_items, train

    setup_runtime()
    if a.size % 16:
        raise SystemExit("--size must be a multiple of 16")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    items = load_items(Path(a.busi), Path(a.ddti), _phantoms(a), a.seed)
    if a.evaluate_only:
        ck = torch.load(out / "finder.pt", map_location="cpu")
        model = NodeUNet()
        model.load_state_dict(ck["model"])
        model.eval()
        size = int(ck["size"])
    else:
        model, size = train(items, out, a.size, a.minutes, a.seed, a.batch, lr=a.lr,
                            cpu_minutes=a.cpu_minutes, init=Path(a.init) if a.init else None), a.size
    from .evaluate import evaluate_all  # imported late: a long training run never waits on it

    metrics = evaluate_all(model, items, size, a.seed, workers=a.eval_workers)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1))
    write_golden_cases(items, out, size)
    print(json.dumps(metrics["summary"], indent=1))


def write_golden_cases(items, out: Path, size: int) -> None:
    """Held-out images for the exported pack's golden outputs: the first test image with a node of each
    source; the DDTI one with a click at its node's deepest point (image pixels), the others automatic."""
    from PIL import Image

    from .data import resize_mask
    from .geometry import interior_point, largest_component

    cases = []
    for src in ("busi", "ddti", "phantom"):
        it = next((i for i in items if i.source == src and i.split == "test" and i.mask.any()), None)
        if it is None:
            continue
        click = None
        if src == "ddti":
            u, v = interior_point(resize_mask(largest_component(it.mask), size))
            h, w = it.mask.shape
            click = [round(u * w / size, 2), round(v * h / size, 2)]
        name = f"{src}-{'click' if click else 'auto'}"
        Image.fromarray(it.image).save(out / f"{name}.png")
        cases.append({"name": name, "file": f"{name}.png", "click": click, "id": it.id})
    (out / "golden-cases.json").write_text(json.dumps(cases, indent=1))


def export_command(a: argparse.Namespace) -> None:
    from .export import export_finder

    export_finder(Path(a.run), Path(a.pack), a.crop, a.margin)
