"""Decoding: 16-bit and palette images handled correctly, corrupt files named (training/images.py)."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from training.data import load_image_rgb
from training.images import ImageReadError, open_rgb


def test_16bit_png_is_scaled_not_saturated(tmp_path: Path) -> None:
    ramp = (np.arange(64 * 64, dtype=np.uint32).reshape(64, 64) * 16).astype(np.uint16)  # 0 … 65520
    p = tmp_path / "wide.png"
    Image.fromarray(ramp).save(p)
    with Image.open(p) as im:
        assert im.mode in ("I", "I;16")  # Pillow's 16-bit greyscale modes
        saturated = np.asarray(im.convert("RGB"))
    # What Pillow's own conversion does (the old behaviour): almost every pixel white.
    assert (saturated == 255).mean() > 0.9
    got = np.asarray(open_rgb(p))
    assert got.shape == (64, 64, 3) and got.dtype == np.uint8
    want = np.rint(ramp / 257.0).astype(np.uint8)
    assert np.array_equal(got[..., 0], want) and np.array_equal(got[..., 1], want)
    assert 120 < got.mean() < 135  # a ramp over the full range stays mid-grey on average
    assert load_image_rgb(str(p), 32).mean() == pytest.approx(got.mean(), abs=2)


def test_palette_image_goes_through_its_palette(tmp_path: Path) -> None:
    rgb = np.zeros((16, 16, 3), dtype=np.uint8)
    rgb[:8] = (200, 30, 30)
    rgb[8:] = (10, 220, 40)
    p = tmp_path / "pal.png"
    Image.fromarray(rgb).quantize(colors=4).save(p)
    with Image.open(p) as im:
        assert im.mode == "P"
    assert np.array_equal(np.asarray(open_rgb(p)), rgb)


@pytest.mark.parametrize("fmt, suffix", [("BMP", ".bmp"), ("WEBP", ".webp"), ("JPEG", ".jpg")])
def test_formats_the_app_opens(tmp_path: Path, fmt: str, suffix: str) -> None:
    rgb = np.random.default_rng(0).integers(0, 255, (20, 24, 3), dtype=np.uint8)
    p = tmp_path / f"x{suffix}"
    if fmt == "WEBP":
        Image.fromarray(rgb).save(p, format=fmt, lossless=True)
    else:
        Image.fromarray(rgb).save(p, format=fmt)
    got = np.asarray(open_rgb(p))
    assert got.shape == (20, 24, 3)
    if fmt != "JPEG":
        assert np.array_equal(got, rgb)


def test_corrupt_and_truncated_files_are_named(tmp_path: Path) -> None:
    good = tmp_path / "good.jpg"
    Image.fromarray(np.full((64, 64, 3), 99, np.uint8)).save(good, quality=90)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(good.read_bytes()[:300])
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image at all")
    for bad in (cut, junk):
        with pytest.raises(ImageReadError, match=bad.name):
            open_rgb(bad)
    with pytest.raises(ImageReadError, match="missing.png: file not found"):
        open_rgb(tmp_path / "missing.png")
