"""The training code takes its modalities from the app's registry (src/domain/modalities.json)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from training import __main__ as cli
from training import default_pack
from training.modalities import (
    COLOUR_CODED, FOLDER_TO_MODALITY, MODALITY_IDS, MODALITY_TO_FOLDER, REGISTRY, load_registry, parse_registry,
)
from training.tests.conftest import REPO

TRAINING = REPO / "training"


def test_registry_gives_the_cv4lymphnode_layout() -> None:
    # The folder names CV4LymphNode uses and training read before the registry existed.
    assert FOLDER_TO_MODALITY == {"2d": "bmode", "cdfi": "cdfi", "elastic": "elastography"}
    assert MODALITY_TO_FOLDER == {"bmode": "2d", "cdfi": "cdfi", "elastography": "elastic"}
    assert MODALITY_IDS == ("bmode", "cdfi", "elastography")
    assert COLOUR_CODED == {"cdfi", "elastography"}


def test_command_line_and_default_pack_use_the_registry() -> None:
    assert tuple(cli.MODALITY_CHOICES) == MODALITY_IDS
    assert tuple(default_pack.MODALITIES) == MODALITY_IDS


def test_an_extra_registry_entry_is_read(tmp_path: Path) -> None:
    doc = json.loads(REGISTRY.read_text())
    doc["modalities"].append({"id": "swe", "colourCoded": True, "datasetFolders": ["swe", "shear-wave"]})
    path = tmp_path / "modalities.json"
    path.write_text(json.dumps(doc))
    entries = load_registry(path)
    assert [e["id"] for e in entries] == [*MODALITY_IDS, "swe"]


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"modalities": []}, "non-empty"),
        ({"modalities": [{"id": "B mode", "colourCoded": False, "datasetFolders": ["b"]}]}, "id must match"),
        ({"modalities": [{"id": "a", "colourCoded": False, "datasetFolders": ["x"]},
                         {"id": "a", "colourCoded": False, "datasetFolders": ["y"]}]}, "repeats 'a'"),
        ({"modalities": [{"id": "a", "colourCoded": False, "datasetFolders": ["X"]},
                         {"id": "b", "colourCoded": False, "datasetFolders": ["x"]}]}, "repeats 'x'"),
        ({"modalities": [{"id": "a", "colourCoded": "yes", "datasetFolders": ["x"]}]}, "colourCoded"),
        ({"modalities": [{"id": "a", "colourCoded": False, "datasetFolders": []}]}, "datasetFolders"),
        ({"modalities": [{"id": "a", "colourCoded": False, "datasetFolders": ["../x"]}]}, "folder name"),
    ],
)
def test_a_bad_registry_names_the_field(bad: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_registry(bad)


def test_no_training_module_spells_out_a_modality() -> None:
    """A string literal equal to a modality id or data set folder outside the registry reader would
    be a second list that a new modality has to be added to by hand."""
    names = set(MODALITY_IDS) | set(FOLDER_TO_MODALITY)
    found = []
    for py in sorted(TRAINING.rglob("*.py")):
        if "tests" in py.relative_to(TRAINING).parts:
            continue
        for node in ast.walk(ast.parse(py.read_text(), str(py))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names:
                found.append(f"{py.relative_to(REPO)}:{node.lineno}: {node.value!r}")
    assert found == []
