"""Decoding one image file into 8-bit RGB the way the app sees it, with user-facing errors.

Every reader in training (data loading, near-duplicate hashing, golden inputs of a pack) goes
through `open_rgb`, so a corrupt file is named once, consistently, and unusual encodings are handled
in one place:

- 16-bit greyscale PNGs (Pillow modes I;16*, I) are scaled to 8 bits (v / 257, rounded) like a
  browser does. Pillow's own convert("RGB") clips them at 255, which turns almost every pixel white.
- 32-bit float images (mode F) are scaled the same way when their range exceeds 8 bits.
- Palette (P, PA), greyscale-with-alpha and CMYK images are expanded to RGB through their palette
  or colour space; alpha is dropped (the app draws images onto an opaque canvas).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from .cli_common import UserError

# The raster formats the app accepts (src/ui/components/ModalitySlot.svelte), DICOM aside.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")

# Pillow refuses images above ~179 Mpixel with a DecompressionBombError; a crop is far smaller.
Image.MAX_IMAGE_PIXELS = 50_000_000


class ImageReadError(UserError):
    """A file that cannot be decoded; the message names the file and the reason."""


def _scale_to_uint8(a: np.ndarray, full_scale: float) -> np.ndarray:
    return np.clip(np.rint(a.astype(np.float64) * (255.0 / full_scale)), 0, 255).astype(np.uint8)


def to_rgb(im: Image.Image) -> Image.Image:
    """An 8-bit RGB copy of a decoded image (see the module docstring for each mode)."""
    mode = im.mode
    if mode.startswith("I;16") or mode == "I":
        a = np.asarray(im, dtype=np.int64)
        # 16-bit PNGs arrive as I;16 or (older Pillow) I; their full scale is 65535. A mode-I image whose
        # values all fit 8 bits is taken as 8-bit data stored wide.
        full = 65535.0 if mode.startswith("I;16") or a.max(initial=0) > 255 else 255.0
        g = _scale_to_uint8(a, full)
        return Image.fromarray(np.stack([g] * 3, axis=-1), "RGB")
    if mode == "F":
        a = np.asarray(im, dtype=np.float64)
        peak = float(np.nanmax(a)) if a.size else 0.0
        g = _scale_to_uint8(np.nan_to_num(a), 65535.0 if peak > 255 else 255.0)
        return Image.fromarray(np.stack([g] * 3, axis=-1), "RGB")
    if mode in ("P", "PA"):
        im = im.convert("RGBA")  # through the palette (and its transparency), never index values as grey
    return im if im.mode == "RGB" else im.convert("RGB")


def open_rgb(path: str | Path) -> Image.Image:
    """Fully decodes `path` (so truncation is detected here, not mid-training) into 8-bit RGB."""
    try:
        with Image.open(path) as im:
            im.load()
            return to_rgb(im)
    except FileNotFoundError:
        raise ImageReadError(f"{path}: file not found") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        # Pillow reports truncated/corrupt data as OSError ("image file is truncated"), unknown formats as
        # UnidentifiedImageError (an OSError) and some header errors as SyntaxError/ValueError.
        raise ImageReadError(f"{path}: cannot decode image ({e})") from None


def image_mode(path: str | Path) -> str:
    """The file's Pillow mode without decoding the pixels (for the validation report)."""
    with Image.open(path) as im:
        return im.mode
