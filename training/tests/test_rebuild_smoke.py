"""The whole `rebuild-default-pack` command at a tiny scale (--smoke): phantoms, stage 1, stage 2 × 3,
ablation, export + TF.js verification, the other test sets, the input checks, the node finder, the
final verification and index.json, into a temporary folder. Then the pack's figures are recomputed
from its test-predictions.json, and a changed figure is caught."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from training.__main__ import main
from training.default_pack import MODALITIES, PACK_ID
from training.export.model_card import timings_body
from training.export.predictions import check_pack
from training.rebuild_budget import step_keys
from training.synthetic import write_public_like
from training.tests.conftest import REPO, requires_node
from training.tests.manifest_schema import schema_errors


def _tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(folder).as_posix().encode() + p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("rebuild")
    # A few BUSI/DDTI images per class (links into ../shared/data when it is there, else generated).
    data = write_public_like(root / "data", REPO.parent / "shared" / "data", per_class=8)
    public = _tree_digest(REPO / "public" / "models")
    main(["rebuild-default-pack", "--smoke", "--data", str(data), "--run-dir", str(root / "run"),
          "--out", str(root / "models"), "--results", str(root / "results"), "--cache", str(root / "cache")])
    assert _tree_digest(REPO / "public" / "models") == public  # the bundled pack is never touched
    return root


pytestmark = [pytest.mark.e2e, requires_node]


def test_every_step_ran_and_the_pack_is_complete(smoke: Path) -> None:
    pack = smoke / "models" / PACK_ID
    manifest = json.loads((pack / "manifest.json").read_text())
    assert schema_errors(manifest) == []
    assert json.loads((smoke / "models" / "index.json").read_text())["default"] == PACK_ID
    assert set(manifest["modalities"]) == set(MODALITIES)
    assert all(spec.get("inputCheck") for spec in manifest["modalities"].values())  # input checks + OOD statistics
    assert manifest.get("nodeFinder") and (pack / "node-finder" / "model.json").exists()
    assert {e["modality"] for e in manifest["metrics"]} == {*MODALITIES, "fused"}
    assert all("ablationWithoutStage1" in e for e in manifest["metrics"])
    assert manifest["version"].startswith("2.") and manifest["training"]["phantomGenerator"]["generator"] in (1, 2)
    listed = {f["path"] for f in manifest["files"]}
    on_disk = {p.relative_to(pack).as_posix() for p in pack.rglob("*") if p.is_file() and p.name != "manifest.json"}
    assert listed == on_disk
    results = smoke / "results"
    for f in ("metrics.json", "timings.json", "test-predictions.json", "input-check.json", "split-stage2.json"):
        assert (results / PACK_ID / f).exists(), f
    assert (results / "node-finder" / "metrics.json").exists()
    assert not (smoke / "run" / "pack" / PACK_ID).exists()  # moved into place once everything passed


def test_timings_have_the_cards_keys_and_every_step_measured(smoke: Path) -> None:
    timings = json.loads((smoke / "results" / PACK_ID / "timings.json").read_text())
    assert list(timings["steps"]) == step_keys(MODALITIES, MODALITIES)
    assert all(v["minutes"] is not None for v in timings["steps"].values())
    assert timings["minutes"] > 0 and timings["speed"]["stage2Step"] > 0
    card = (smoke / "models" / PACK_ID / "MODEL_CARD.md").read_text()
    assert "\n".join(timings_body(timings)) in card


def test_the_card_is_portable_honest_and_warns(smoke: Path) -> None:
    card = (smoke / "models" / PACK_ID / "MODEL_CARD.md").read_text()
    for absolute in (str(smoke), str(REPO), "/tmp/", "/home/", "/root/"):
        assert absolute not in card
    assert "stage 1 → stage 2" in card and "without stage-1 pre-training" in card  # the pack and its ablation
    limitations = card.split("## Limitations", 1)[1].split("\n## ", 1)[0]
    assert len(re.findall(r"^- ", limitations, re.M)) >= 5
    assert "Warning: tiny test set" in card and "WARNING: tiny test sets" in limitations
    manifest = json.loads((smoke / "models" / PACK_ID / "manifest.json").read_text())
    used = manifest["training"]["phantomGenerator"]["generator"]  # not merely the one asked for
    assert f"phantom generator (v{used})" in limitations and f"generator v{used}" in card
    assert "## Other test sets" in card and "## Input checks" in card and "## Node finder" in card


def test_figures_recompute_from_the_predictions_and_a_change_is_caught(smoke: Path, tmp_path: Path) -> None:
    pack = smoke / "models" / PACK_ID
    doc = json.loads((smoke / "results" / PACK_ID / "test-predictions.json").read_text())
    assert set(doc["sets"]) >= {"test", "ablation", "stage1"}
    assert check_pack(pack, doc) == []
    changed = tmp_path / "pack"
    shutil.copytree(pack, changed)
    manifest = json.loads((changed / "manifest.json").read_text())
    manifest["metrics"][0]["macroAucCi95"][0] -= 0.0001
    (changed / "manifest.json").write_text(json.dumps(manifest))
    problems = check_pack(changed, doc)
    assert len(problems) == 1 and "macroAucCi95[0]" in problems[0]
    card = (changed / "MODEL_CARD.md").read_text()
    row = next(line for line in card.splitlines() if line.startswith(f"| {MODALITIES[0]} |"))
    (changed / "MODEL_CARD.md").write_text(card.replace(row, row.replace(" | ", " |  ", 3), 1))
    assert any("MODEL_CARD.md lacks" in p for p in check_pack(changed, doc))
    # A predicted probability changed: the stored probabilities no longer follow from the logits.
    doc["sets"]["test"]["models"][MODALITIES[0]]["rows"][0][4][0] += 0.01
    with pytest.raises(ValueError, match="do not follow"):
        check_pack(pack, doc)
