"""attach-ablation updates metrics, model card and the file list of an exported pack."""

import json
from pathlib import Path
from typing import Any

from training.export.ablation import ABLATION_HEADING, attach_ablation
from training.export.pack import ModalityExport, sha256_file, write_manifest, write_modality
from training.tests.conftest import tiny_resnet

REPORT: dict[str, Any] = {
    "n": 9, "macroAuc": 0.7, "macroAucCi95": [0.6, 0.8], "accuracy": 0.5,
    "perClass": {c: {"auc": 0.7, "sensitivity": 0.5, "specificity": 0.6} for c in ("a", "b", "c")},
    "ece": {"before": 0.1, "after": 0.05}, "confusionMatrix": [[1, 1, 1]] * 3,
}


def test_attach_ablation(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    spec = write_modality(pack, ModalityExport("bmode", tiny_resnet(), "float16", input_size=32))
    (pack / "MODEL_CARD.md").write_text("# Card\n\n## Confusion matrices\n\nx\n")
    metrics = [{"modality": "bmode", "dataset": "d", "split": "test", **REPORT}]
    write_manifest(pack, dict(id="p", title="t", classes=[{"id": c, "label": c} for c in "abc"], metrics=metrics,
                              intendedUse="x", disclaimer="x", license="x"), {"bmode": spec})
    run = tmp_path / "scratch"
    (run / "bmode").mkdir(parents=True)
    (run / "bmode" / "metrics.json").write_text(json.dumps({**REPORT, "macroAuc": 0.55}))

    for _ in range(2):  # idempotent: a second attach replaces the section
        m = attach_ablation(pack, run)
    assert m["metrics"][0]["ablationWithoutStage1"]["macroAuc"] == 0.55
    assert m["training"]["ablationWithoutStage1"]["modalities"] == ["bmode"]
    card = (pack / "MODEL_CARD.md").read_text()
    assert card.count(ABLATION_HEADING) == 1 and card.index(ABLATION_HEADING) < card.index("## Confusion")
    listed = {f["path"]: f["sha256"] for f in m["files"]}
    assert listed["MODEL_CARD.md"] == sha256_file(pack / "MODEL_CARD.md")
