"""`validate-data` (training/validate.py): every bad folder is refused up front with its file named,
and the command line exits with status 2 and a message, never a traceback."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from training.grouping import compile_pattern
from training.synthetic import CLASSES, speckle_image
from training.tests.conftest import REPO
from training.validate import validate_folder


def make_folder(root: Path, folders=("2d", "cdfi"), per_class: int = 4, suffix: str = ".jpg",
                patients: bool = False) -> Path:
    """<root>/<folder>/<class>/<name><suffix>; with `patients`, names are <patient>-<n> (2 images each)."""
    rng = np.random.default_rng(0)
    for c in range(3):
        for n in range(per_class):
            name = f"{c}{n // 2:02d}-{n % 2 + 1}" if patients else f"case{c}{n:02d}"
            for f in folders:
                d = root / f / str(c)
                d.mkdir(parents=True, exist_ok=True)
                Image.fromarray(np.stack([speckle_image(c, rng, (40, 48))] * 3, -1)).save(d / f"{name}{suffix}")
    (root / "classes.txt").write_text("\n".join(CLASSES) + "\n")
    return root


def problems(root: Path, pattern: str | None = None) -> list[str]:
    return validate_folder(root, CLASSES, compile_pattern(pattern) if pattern else None).problems


def test_a_good_jpeg_folder_passes_and_bmode_is_an_alias_of_2d(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "ok", folders=("bmode", "Elastic"), per_class=6)
    r = validate_folder(root, CLASSES)
    assert r.ok, r.text()
    assert set(r.samples) == {"bmode", "elastography"} and len(r.samples["bmode"]) == 18
    assert any("test split of about" in w for w in r.warnings)  # 18 images: tiny test set


def test_empty_class_folder(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "d")
    for f in (root / "cdfi" / "1").iterdir():
        f.unlink()
    p = problems(root)
    assert any("cdfi/1: class 1 (lymphoma) is empty" in x for x in p), p


def test_only_two_of_three_classes(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "d", folders=("2d",))
    for f in (root / "2d" / "2").iterdir():
        f.unlink()
    (root / "2d" / "2").rmdir()
    p = problems(root)
    assert any("2d/2: class 2 (benign) does not exist" in x for x in p), p


def test_class_folder_beyond_the_classes(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "d", folders=("2d",))
    (root / "2d" / "2").rename(root / "2d" / "3")
    p = problems(root)
    assert any("2d/3: class folder 3 but only 3 classes" in x for x in p), p
    assert any("2d/2: class 2 (benign) does not exist" in x for x in p), p


def test_unknown_modality_folder_and_named_class_folder(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "d", folders=("2d",))
    (root / "2d").rename(root / "bmodes")
    p = problems(root)
    assert any("'bmodes' is not a modality folder; use one of 2d or bmode" in x for x in p), p
    root2 = make_folder(tmp_path / "e", folders=("2d",))
    (root2 / "2d" / "2").rename(root2 / "2d" / "benign")
    assert any("rename 'benign'" in x for x in problems(root2))


def test_corrupt_image_is_named(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "d", folders=("2d",))
    bad = root / "2d" / "1" / "case100.jpg"
    bad.write_bytes(bad.read_bytes()[:200])
    p = problems(root)
    assert any(x.startswith(f"{bad}: cannot decode image") for x in p), p


def test_same_file_name_with_different_labels_across_modalities(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "d")
    # case000 is class 0 in 2d/ but filed under class 2 in cdfi/.
    (root / "cdfi" / "0" / "case000.jpg").rename(root / "cdfi" / "2" / "case000.jpg")
    p = problems(root)
    assert any("case 'case000' has different classes" in x and "cdfi/2/case000.jpg" in x for x in p), p


def test_16bit_and_palette_images_are_accepted_with_a_note(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "d", folders=("2d",), suffix=".png")
    Image.fromarray((np.arange(40 * 48).reshape(40, 48) * 30).astype(np.uint16)).save(root / "2d" / "0" / "case000.png")
    with Image.open(root / "2d" / "1" / "case100.png") as im:
        im.convert("P").save(root / "2d" / "1" / "case100.png")
    r = validate_folder(root, CLASSES)
    assert r.ok, r.text()
    assert any("more than 8 bits" in n for n in r.notes) and any("palette" in n for n in r.notes)


def test_patient_pattern_groups_and_reports(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "d", per_class=6, patients=True)
    r = validate_folder(root, CLASSES, compile_pattern("{patient}-*"))
    assert r.ok, r.text()
    assert r.patients is not None and r.patients["patients"] == 9 and r.patients["imagesPerPatient"] == {"4": 9}
    # A pattern that matches no name is refused, naming examples.
    p = problems(root, r"^p(\d+)_")
    assert any("reads no patient id from 36 file(s)" in x for x in p), p
    # A patient whose images carry two classes is refused.
    (root / "2d" / "0" / "000-1.jpg").rename(root / "2d" / "1" / "000-1.jpg")
    (root / "cdfi" / "0" / "000-1.jpg").rename(root / "cdfi" / "1" / "000-1.jpg")
    assert any("patient '000' has images of classes [0, 1]" in x for x in problems(root, "{patient}-*"))


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "training", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


def test_command_line_exits_cleanly(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "d")
    ok = run_cli("validate-data", "--data", str(root))
    assert ok.returncode == 0 and "data OK" in ok.stdout, ok.stderr
    for f in (root / "2d" / "1").iterdir():
        f.unlink()
    bad = run_cli("validate-data", "--data", str(root))
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr and "class 1 (lymphoma) is empty" in bad.stderr
    # Training commands run the same check first: refused before any training starts.
    tp = run_cli("train-pack", "--data", str(root), "--pack-id", "x", "--title", "x", "--out", str(tmp_path / "m"))
    assert tp.returncode == 2 and "Traceback" not in tp.stderr and "is empty" in tp.stderr
    assert not (tmp_path / "m").exists()
    nc = run_cli("validate-data", "--data", str(tmp_path / "nowhere"), "--classes", "a,b,c")
    assert nc.returncode == 2 and "no such folder" in nc.stderr and "Traceback" not in nc.stderr


@pytest.mark.parametrize("command", ["validate-data", "stage1", "stage2", "train-pack", "import",
                                     "rebuild-default-pack", "attach-ablation"])
def test_every_command_has_help_with_defaults_and_examples(command: str) -> None:
    from training.__main__ import main

    with pytest.raises(SystemExit) as e:
        main([command, "--help"])
    assert e.value.code == 0


def test_help_text(capsys) -> None:
    from training.__main__ import main

    for command, default in [("stage1", "(default: 12)"), ("train-pack", "(default: 1234)"),
                             ("import", "(default: float16)"), ("validate-data", "{patient}-*")]:
        with pytest.raises(SystemExit):
            main([command, "--help"])
        out = " ".join(capsys.readouterr().out.split())
        assert "examples:" in out and default in out, (command, out)


def test_csv_with_modality_and_patient_columns(tmp_path: Path) -> None:
    from training.validate import validate_csv

    root = make_folder(tmp_path / "d", per_class=6, patients=True)
    rows = ["path,label,group,modality"]
    for f in sorted(root.rglob("*.jpg")):
        rel = f.relative_to(root)
        rows.append(f"{rel},{CLASSES[int(rel.parts[1])]},{f.stem.split('-')[0]},{rel.parts[0]}")
    csv = root / "list.csv"
    csv.write_text("\n".join(rows) + "\n")
    r = validate_csv(csv, CLASSES, None)
    assert r.ok, r.text()
    assert set(r.samples) == {"bmode", "cdfi"} and r.patients is not None and r.patients["patients"] == 9
    # Same patient in both modalities: one group across modalities.
    assert {s.group for s in r.samples["bmode"]} == {s.group for s in r.samples["cdfi"]}
    csv.write_text("\n".join(rows[:1] + [r.replace(",2d", ",doppler") for r in rows[1:]]) + "\n")
    assert any("modality 'doppler' is none of" in p for p in validate_csv(csv, CLASSES, None).problems)
    csv.write_text("path,label\nmissing.jpg,0\n")
    r = validate_csv(csv, CLASSES, None)
    assert any("rows without a modality" in p for p in r.problems)
    r = validate_csv(csv, CLASSES, "bmode")
    assert any("missing.jpg: listed in" in p for p in r.problems)
    csv.write_text("path,label\nx.jpg,7\n")
    assert any("label 7 but only 3 classes" in p for p in validate_csv(csv, CLASSES, "bmode").problems)


def test_missing_or_repeated_class_list_is_a_user_error(tmp_path: Path) -> None:
    proc = run_cli("import", "--checkpoint", "x.pth", "--modality", "bmode", "--classes-file",
                   str(tmp_path / "none.txt"), "--pack-id", "p", "--title", "t")
    assert proc.returncode == 2 and "cannot read the class list" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / "c.txt").write_text("a\nb\na\n")
    from training.data import DataError, read_classes_file

    with pytest.raises(DataError, match="listed twice"):
        read_classes_file(tmp_path / "c.txt")
