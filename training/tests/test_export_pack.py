"""export_trained_pack end to end on a tiny ResNet with JPEG test crops: golden inputs stored as PNG
and reproduced by TF.js, the weight dtype chosen on the validation split, headline metrics of the
shipped weights, and a model card without absolute paths, with limitations and the right wording."""

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from training.data import load_image_rgb
from training.export.build_pack import export_trained_pack, trained_pack_text
from training.export.quantization import auc_with_weights, logits_with_weights
from training.metrics import macro_auc, softmax
from training.stage2 import ModalityResult
from training.synthetic import CLASSES, speckle_image
from training.tests.conftest import requires_node, tiny_resnet
from training.tests.manifest_schema import schema_errors


def _result(tmp: Path, modality: str, seed: int) -> ModalityResult:
    rng = np.random.default_rng(seed)
    paths, labels = [], []
    for i in range(9):
        c = i % 3
        p = tmp / f"{modality}-case{i}.jpg"
        Image.fromarray(np.stack([speckle_image(c, rng, (60, 70))] * 3, -1)).save(p, quality=85)
        paths.append(str(p))
        labels.append(c)
    test = torch.from_numpy(np.stack([load_image_rgb(p, 32) for p in paths])).permute(0, 3, 1, 2).contiguous()
    val = torch.randint(0, 256, (12, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))
    y = np.array(labels)
    model = tiny_resnet(seed=seed)
    logits = logits_with_weights(model, test, "float32")
    calibration = {"status": "refused", "temperature": 1.0, "reason": "test"}
    report = {"macroAuc": round(macro_auc(y, softmax(logits)), 4), "temperature": 1.3, "calibration": calibration,
              "trainSeconds": 3}
    return ModalityResult(modality, model, 1.3, logits, y, [f"case{i}" for i in range(9)], paths, test, report, 3.0,
                          val, np.array([0, 1, 2] * 4), [f"p{i // 3}" for i in range(9)], calibration)


@requires_node
def test_jpeg_crops_export_and_verify(tmp_path: Path) -> None:
    from training.stage2 import fused_report

    results = [_result(tmp_path, "bmode", 1), _result(tmp_path, "cdfi", 2)]
    fused = fused_report(results, CLASSES)
    root = tmp_path / "hospital-data"
    args = argparse.Namespace(pack_id="jpeg-pack", title="JPEG pack", disclaimer="d", intended_use="u", license="l",
                              epochs=1, seed=7, arch="resnet18", limitations="Our own caveat.")
    text = trained_pack_text(args, root, tmp_path / "runs" / "jpeg-pack", results, None, "case id (file stem)",
                             "pHash-64 Hamming <= 12")
    pack = tmp_path / "models" / "jpeg-pack"
    manifest = export_trained_pack(pack, text, [{"id": c, "label": c} for c in CLASSES], results, fused,
                                   tmp_path / "results", timings={"t": "1 min"}, log=lambda _: None)
    assert schema_errors(manifest) == []
    # Golden crops: JPEG sources stored as PNG (the old exporter copied the .jpg; Node decoded PNG only).
    golden = json.loads((pack / "bmode" / "golden.json").read_text())
    assert golden["cases"] and all(c["input"].endswith(".png") for c in golden["cases"])
    stored = np.asarray(Image.open(pack / golden["cases"][0]["input"]).convert("RGB"))
    case = golden["cases"][0]["name"].split("-", 1)[1]
    src = results[0].test_paths[results[0].test_cases.index(case)]
    assert np.array_equal(stored, np.asarray(Image.open(src).convert("RGB")))  # the decoded pixels, losslessly

    for r, entry in zip(results, manifest["metrics"]):
        q = entry["quantization"]
        assert r.val_images is not None and r.val_labels is not None
        # Chosen on the validation images: the recorded AUCs are theirs, not the test split's.
        assert q["validationMacroAuc"]["float32"] == round(auc_with_weights(r.model, r.val_images, r.val_labels,
                                                                            "float32"), 5)
        assert "testMacroAuc" not in q
        # Headline test metrics are of the weights as shipped (dequantized).
        shipped = logits_with_weights(r.model, r.test_images, q["weightsDtype"])
        assert entry["macroAuc"] == round(macro_auc(r.test_labels, softmax(shipped)), 4)
        assert entry["n"] == 9
    assert manifest["metrics"][-1]["modality"] == "fused"

    card = (pack / "MODEL_CARD.md").read_text()
    assert str(tmp_path) not in card and "/work/" not in card and str(root) not in card
    assert "trained from scratch, no stage-1 pre-training" in card and "stage 1 → stage 2" not in card
    assert "Warning: tiny test set" in card and "bmode n=9" in card
    assert "bootstrap resamples of test patients (whole patients" in card
    limitations = card.split("## Limitations", 1)[1].split("## License", 1)[0]
    assert "No external validation" in limitations and "Our own caveat." in limitations
    assert "Temperature calibration was refused for bmode, cdfi" in limitations
    assert "No patient ids were given" in limitations
    assert "from scratch" in manifest["training"]["summary"]
