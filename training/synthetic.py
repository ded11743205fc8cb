"""Small generated image folders in the CV4LymphNode layout, for tests and smoke runs.

Class-dependent patterns (brightness, a dark or bright ellipse) under multiplicative speckle, so
a network can learn something in a few steps. Never a substitute for real or phantom data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from .modalities import COLOUR_CODED, FOLDER_TO_MODALITY, MODALITY_TO_FOLDER

CLASSES = ["metastatic", "lymphoma", "benign"]


def speckle_image(cls: int, rng: np.random.Generator, size: tuple[int, int] = (48, 40)) -> np.ndarray:
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w]
    cy, cx = h / 2 + rng.uniform(-4, 4), w / 2 + rng.uniform(-4, 4)
    inside = ((yy - cy) / (h * 0.3)) ** 2 + ((xx - cx) / (w * 0.3)) ** 2 < 1
    base = np.full((h, w), 90.0)
    base[inside] = [40.0, 150.0, 100.0][cls]
    img = base * rng.rayleigh(0.8, (h, w))
    return np.clip(img, 0, 255).astype(np.uint8)


def write_folder(root: str | Path, per_class: int = 6, seed: int = 0,
                 folders: tuple[str, ...] = tuple(MODALITY_TO_FOLDER.values())) -> Path:
    """<root>/<folder>/<class-index>/case-<n>.png (same case ids across folders) + classes.txt."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    for cls in range(len(CLASSES)):
        for n in range(per_class):
            case = f"case-{cls}-{n:03d}"
            for f in folders:
                d = root / f / str(cls)
                d.mkdir(parents=True, exist_ok=True)
                grey = speckle_image(cls, rng)
                rgb = np.stack([grey] * 3, -1)
                if FOLDER_TO_MODALITY.get(f) in COLOUR_CODED:  # colour overlay like Doppler / strain maps
                    rgb[..., 0] = np.clip(rgb[..., 0].astype(int) + 30 * cls, 0, 255)
                Image.fromarray(rgb).save(d / f"{case}.png")
    (root / "classes.txt").write_text("\n".join(CLASSES) + "\n")
    return root
