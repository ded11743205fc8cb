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
    with pytest.raises(ValueError, match="2 outputs"):
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
