"""Manifests written by training/export satisfy the schema the app's parser is tested against,
and Python's reading of the schema agrees with the app's on the shared manifest cases
(tests/fixtures/manifest-cases.json; tests/unit/model-pack/manifest-schema.test.ts)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from training.export.build_pack import metrics_entry
from training.export.pack import ModalityExport, write_manifest, write_modality
from training.tests.conftest import REPO, tiny_resnet
from training.tests.manifest_schema import schema_errors

FIXTURE = json.loads((REPO / "tests" / "fixtures" / "manifest-cases.json").read_text())
REPORT = {"n": 9, "macroAuc": 0.7, "macroAucCi95": [0.6, 0.8], "accuracy": 0.5,
          "perClass": {c: {"auc": 0.7, "sensitivity": 0.5, "specificity": 0.6} for c in ("a", "b", "c")},
          "ece": {"before": 0.1, "after": 0.05}, "confusionMatrix": [[1, 1, 1]] * 3}


def _expand(v: Any) -> Any:
    if isinstance(v, dict) and "$text" in v:
        t = v["$text"]
        return t["prefix"] + t["repeat"] * t["times"]
    return v


def build(case: dict) -> Any:
    root: Any = copy.deepcopy(FIXTURE["base"])
    for p in case["patch"]:
        if not p["path"]:
            root = _expand(p.get("value"))
            continue
        at = root
        for k in p["path"][:-1]:
            at = at[k]
        if p.get("delete"):
            del at[p["path"][-1]]
        else:
            at[p["path"][-1]] = _expand(p["value"])
    return root


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=[c["name"] for c in FIXTURE["cases"]])
def test_schema_agrees_with_the_app_on_the_shared_cases(case: dict) -> None:
    errors = schema_errors(build(case))
    if case["field"] is None or case.get("parserOnly"):
        assert errors == []
    else:
        assert errors, "the schema accepts a manifest the app refuses"


def test_exported_manifest_satisfies_the_schema(tmp_path: Path) -> None:
    """What write_manifest (the last step of every export) writes, with the metrics entries and
    fusion rule export_trained_pack passes it."""
    pack = tmp_path / "pack"
    specs = {m: write_modality(pack, ModalityExport(m, tiny_resnet(seed=i), dt, 1.3, "tiny", input_size=32))
             for i, (m, dt) in enumerate((("bmode", "uint8"), ("elastography", "float16")))}
    metrics = [metrics_entry("bmode", REPORT, "phantoms", quantization={"uint8AucDrop": 0.0}),
               metrics_entry("fused", REPORT, "phantoms", method="weighted mean")]
    meta = dict(id="schema-test", version="1.2.0", title="Schema test", fixture=True,
                classes=[{"id": c, "label": c.capitalize()} for c in ("metastatic", "lymphoma", "benign")],
                fusion={"method": "weighted-mean", "weights": {"bmode": 1, "elastography": 2}}, metrics=metrics,
                training={"summary": "random"}, intendedUse="Tests.", disclaimer="Not a diagnosis.", license="MIT")
    (pack / "MODEL_CARD.md").write_text("# Card\n")
    written = write_manifest(pack, meta, specs)
    on_disk = json.loads((pack / "manifest.json").read_text())
    assert on_disk == written
    assert schema_errors(on_disk) == []
    # The minimal meta write_manifest fills in (defaults for version, fixture, fusion, metrics).
    minimal = write_manifest(pack, dict(id="m", title="t", classes=meta["classes"], intendedUse="x", disclaimer="x",
                                        license="x"), {"bmode": specs["bmode"]})
    assert schema_errors(minimal) == []


def test_an_export_with_an_overlong_title_is_refused(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    spec = write_modality(pack, ModalityExport("bmode", tiny_resnet(), "float32", input_size=32))
    classes = [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}]
    meta = dict(id="p", title="t" * 501, classes=classes, intendedUse="x", disclaimer="x", license="x")
    m = write_manifest(pack, meta, {"bmode": spec})
    assert any(e.startswith("title:") for e in schema_errors(m))


@pytest.mark.parametrize("manifest", sorted((REPO / "public" / "models").glob("*/manifest.json")),
                         ids=lambda p: p.parent.name)
def test_bundled_packs_satisfy_the_schema(manifest: Path) -> None:
    assert schema_errors(json.loads(manifest.read_text())) == []
