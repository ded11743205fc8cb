"""Export → TF.js parity: the pack is loaded by the app's own code (scripts/pack-logits.ts:
manifest validation, SHA-256, Pillow-exact preprocessing, tf.loadLayersModel) under Node."""

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from training.export.pack import GoldenInput, ModalityExport, preprocess_files, write_manifest, write_modality
from training.export.verify import node_pack_logits
from training.synthetic import speckle_image
from training.tests.conftest import requires_node, tiny_resnet
from training.tests.manifest_schema import schema_errors

CLASSES = [{"id": c, "label": c} for c in ("metastatic", "lymphoma", "benign")]
META = dict(id="parity-test", title="Parity", fixture=True, classes=CLASSES, intendedUse="test",
            disclaimer="test", license="test")


def _golden_png(tmp: Path) -> str:
    # Non-square and larger than the input, so the antialiased resize is exercised too.
    img = speckle_image(1, np.random.default_rng(5), (90, 77))
    p = tmp / "speckle.png"
    Image.fromarray(np.stack([img, img // 2, 255 - img], -1)).save(p)
    return str(p)


@requires_node
def test_tiny_resnets_reproduce_in_tfjs(tmp_path: Path) -> None:
    png = _golden_png(tmp_path)
    pack = tmp_path / "pack"
    models = {"bmode": (tiny_resnet("basic", 1), "float32"), "cdfi": (tiny_resnet("bottleneck", 2), "float32"),
              "elastography": (tiny_resnet("basic", 3), "uint8")}
    specs = {m: write_modality(pack, ModalityExport(m, model, dt, 1.0, "tiny", [GoldenInput("g", png)], input_size=64))
             for m, (model, dt) in models.items()}
    assert schema_errors(write_manifest(pack, META, specs)) == []

    rc, out = node_pack_logits(pack / "manifest.json", "--golden")
    assert rc == 0, out
    assert len(out["golden"]) == 3
    x = preprocess_files([png], 64)
    for r in out["golden"]:
        model, dt = models[r["modality"]]
        with torch.no_grad():
            ref = model(x)[0].numpy()
        got = np.array(r["got"])
        if dt == "float32":
            # The PyTorch model itself (BN unfolded) against TF.js: within 1e-4 relative.
            assert np.all(np.abs(got - ref) <= 1e-4 * np.maximum(np.abs(ref), 1.0)), (r["modality"], got, ref)
        else:
            assert np.allclose(got, ref, atol=0.1)  # uint8 weights: close, and exact to golden above


@requires_node
def test_the_node_checker_reads_jpeg(tmp_path: Path) -> None:
    """pack-logits.ts decodes a JPEG given on the command line (it read PNG only, so a JPEG failed
    with "unrecognised content at end of stream"). jpeg-js and Pillow's libjpeg may differ by a level
    or two in places, so the logits agree closely rather than exactly."""
    png = _golden_png(tmp_path)
    jpg = tmp_path / "crop.jpg"
    Image.open(png).save(jpg, quality=95)
    pack = tmp_path / "pack"
    model = tiny_resnet("basic", 4)
    spec = write_modality(pack, ModalityExport("bmode", model, "float32", 1.0, "tiny", input_size=64))
    write_manifest(pack, META, {"bmode": spec})
    rc, out = node_pack_logits(pack / "manifest.json", "--modality", "bmode", str(jpg))
    assert rc == 0, out
    got = np.array(out["logits"]["bmode"][str(jpg)])
    with torch.no_grad():
        ref = model(preprocess_files([str(jpg)], 64))[0].numpy()
    # Measured: max |got - ref| 0.007 for logits up to 0.45 (decoder rounding); the PNG above is within 1e-4.
    assert np.allclose(got, ref, rtol=0.02, atol=0.02), (got, ref)
