from pathlib import Path

import pytest
import torch

from training.data import (
    FOLDER_TO_MODALITY, DataError, load_busi, load_csv, load_ddti, load_folder_modality, preload, read_classes_file,
)
from training.tests.conftest import REPO

SHARED = REPO.parent / "shared" / "data"


def test_folder_layout(lymph_folder: Path) -> None:
    assert read_classes_file(lymph_folder / "classes.txt") == ["metastatic", "lymphoma", "benign"]
    for folder in FOLDER_TO_MODALITY:
        s = load_folder_modality(lymph_folder, folder)
        assert len(s) == 18
        assert {x.label for x in s} == {0, 1, 2}
        assert all(x.group == Path(x.path).stem for x in s)
        # Class index comes from the folder name.
        assert all(Path(x.path).parent.name == str(x.label) for x in s)


def test_missing_modality_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="2d does not exist"):
        load_folder_modality(tmp_path, "2d")


def test_csv_form_accepts_indices_and_names(lymph_folder: Path, tmp_path: Path) -> None:
    a = lymph_folder / "2d" / "0" / "case-0-000.png"
    b = lymph_folder / "2d" / "2" / "case-2-000.png"
    csv = tmp_path / "list.csv"
    csv.write_text(f"path,label,group\n{a},0,patient-7\n{b},benign,\n")
    s = load_csv(csv, ["metastatic", "lymphoma", "benign"])
    assert [(x.label, x.group) for x in s] == [(0, "patient-7"), (2, None)]
    csv.write_text(f"path,label\n{a},unknown\n")
    with pytest.raises(ValueError, match="unknown"):
        load_csv(csv, ["metastatic"])


def test_preload_is_uint8_nchw_and_cached(lymph_folder: Path, tmp_path: Path) -> None:
    s = load_folder_modality(lymph_folder, "cdfi")[:4]
    x = preload(s, 32, tmp_path)
    assert x.dtype == torch.uint8 and x.shape == (4, 3, 32, 32)
    assert len(list(tmp_path.glob("images-*.pt"))) == 1
    assert torch.equal(preload(s, 32, tmp_path), x)


@pytest.mark.skipif(not (SHARED / "busi" / "labels.csv").exists(), reason="public data not present")
def test_public_sets() -> None:
    busi = load_busi(SHARED / "busi")
    assert len(busi) == 780 and {x.label for x in busi} == {0, 1, 2}
    ddti = load_ddti(SHARED / "ddti")
    assert len(ddti) == 655 - 198  # rows without TI-RADS are left out
    assert {x.label for x in ddti} == {0, 1}
    assert all(x.group is not None and x.group.startswith("ddti-") for x in ddti)
