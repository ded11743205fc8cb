import json
from pathlib import Path

import pytest
import torch
import torchvision

from training.importer import extract_state_dict, infer_architecture, import_checkpoint, load_checkpoint_model
from training.tests.conftest import randomize_batchnorm, requires_node
from training.tests.manifest_schema import schema_errors

CLASSES = ["metastatic", "lymphoma", "benign"]


def test_state_dict_forms_and_prefixes(tmp_path: Path) -> None:
    m = randomize_batchnorm(torchvision.models.resnet18(num_classes=3), 4)
    sd = m.state_dict()
    wrapped = {"epoch": 3, "state_dict": {f"module.{k}": v for k, v in sd.items()}}
    for obj in (sd, m, wrapped, {"model": m}):
        got = extract_state_dict(obj)
        assert got.keys() == sd.keys()
    torch.save(wrapped, tmp_path / "ck.pth")
    loaded, arch = load_checkpoint_model(tmp_path / "ck.pth", 3)
    assert arch == "resnet18"
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(loaded(x), m.eval()(x))


def test_architecture_inference() -> None:
    assert infer_architecture(torchvision.models.resnet34().state_dict()) == "resnet34"
    assert infer_architecture(torchvision.models.resnet50().state_dict()) == "resnet50"


def test_wrong_class_count_is_refused(tmp_path: Path) -> None:
    torch.save(torchvision.models.resnet18(num_classes=2).state_dict(), tmp_path / "two.pt")
    with pytest.raises(ValueError, match="2 outputs"):  # UserError is a ValueError
        load_checkpoint_model(tmp_path / "two.pt", 3)


@requires_node
def test_import_resnet18_into_a_verified_pack(tmp_path: Path) -> None:
    """A whole pickled torchvision ResNet-18 with random weights → pack, verified by TF.js golden
    logits (import_checkpoint raises otherwise); a second modality is added to the same pack."""
    torch.manual_seed(0)
    m = randomize_batchnorm(torchvision.models.resnet18(num_classes=3), 5)
    torch.save(m, tmp_path / "whole.pt")
    torch.save({"state_dict": {f"module.{k}": v for k, v in m.state_dict().items()}}, tmp_path / "dp.pth")
    pack = tmp_path / "imported"
    import_checkpoint(tmp_path / "whole.pt", "bmode", CLASSES, pack, "imported", "Imported", "float32")
    manifest = import_checkpoint(tmp_path / "dp.pth", "cdfi", CLASSES, pack, "imported", "Imported", "uint8")
    assert set(manifest["modalities"]) == {"bmode", "cdfi"}
    assert schema_errors(json.loads((pack / "manifest.json").read_text())) == []
    assert manifest["modalities"]["bmode"]["gradcamLayer"] == "layer4_1_out"
    golden = json.loads((pack / "bmode" / "golden.json").read_text())
    # float32 pack: the stored logits are the PyTorch model's own.
    for c in golden["cases"]:
        assert max(abs(a - b) for a, b in zip(c["logits"], c["float32Logits"])) < 1e-4
    with pytest.raises(ValueError, match="classes"):
        import_checkpoint(tmp_path / "whole.pt", "elastography", ["a", "b", "c"], pack, "imported", "Imported")


def _jpeg(tmp: Path) -> str:
    import numpy as np
    from PIL import Image

    from training.synthetic import speckle_image

    p = tmp / "crop.jpg"
    Image.fromarray(np.stack([speckle_image(2, np.random.default_rng(3), (70, 90))] * 3, -1)).save(p, quality=80)
    return str(p)


@requires_node
def test_import_with_jpeg_golden_is_atomic_and_carries_card_and_hash(tmp_path: Path) -> None:
    from training.cli_common import UserError
    from training.export.pack import sha256_file

    m = randomize_batchnorm(torchvision.models.resnet18(num_classes=3), 6)
    ck = tmp_path / "bmode.pth"
    torch.save(m.state_dict(), ck)
    pack = tmp_path / "models" / "imp"
    # A JPEG crop as golden input (the old importer copied it as .jpg and TF.js verification failed).
    manifest = import_checkpoint(ck, "bmode", CLASSES, pack, "imp", "Imported", "float16", 1.2, [_jpeg(tmp_path)])
    golden = json.loads((pack / "bmode" / "golden.json").read_text())
    assert [c["input"] for c in golden["cases"]] == ["bmode/golden/golden-0.png"]
    imports = manifest["training"]["imports"]
    assert imports["bmode"]["sha256"] == sha256_file(ck) and imports["bmode"]["checkpoint"] == "bmode.pth"
    card = (pack / "MODEL_CARD.md").read_text()
    assert sha256_file(ck) in card and "## Limitations" in card and "no metrics" in card
    assert "MODEL_CARD.md" in {f["path"] for f in manifest["files"]}
    assert schema_errors(manifest) == []
    before = {p.relative_to(pack): p.read_bytes() for p in pack.rglob("*") if p.is_file()}

    # Failures leave the pack exactly as it was, and no half-written folder next to it.
    bad = tmp_path / "broken.pth"
    bad.write_bytes(ck.read_bytes()[:1000])
    with pytest.raises(UserError, match="cannot read as a PyTorch checkpoint"):
        import_checkpoint(bad, "cdfi", CLASSES, pack, "imp", "Imported")
    with pytest.raises(UserError, match="none.png: file not found"):  # after part of the new modality is written
        import_checkpoint(ck, "cdfi", CLASSES, pack, "imp", "Imported", golden_images=[str(tmp_path / "none.png")])
    after = {p.relative_to(pack): p.read_bytes() for p in pack.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in pack.parent.iterdir()) == ["imp"]
