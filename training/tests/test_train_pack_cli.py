"""`train-pack` from the command line on a folder of JPEGs in the seed study's layout, with patients
read from file names (`171-3.jpg` style): it used to train fully and then fail at the TF.js check,
because golden crops were copied as .jpg and the checker decoded PNG only."""

import json
import subprocess
import sys
from pathlib import Path

from training.tests.conftest import REPO, requires_node
from training.tests.test_validate import make_folder


@requires_node
def test_train_pack_on_a_jpeg_folder(tmp_path: Path) -> None:
    data = make_folder(tmp_path / "seed-study", folders=("2d",), per_class=6, patients=True)
    out, run, results = tmp_path / "models", tmp_path / "run", tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, "-m", "training", "train-pack", "--data", str(data), "--pack-id", "jpeg-cli",
         "--title", "JPEG CLI", "--epochs", "1", "--patient-pattern", "{patient}-*", "--out", str(out),
         "--run-dir", str(run), "--results", str(results)],
        cwd=REPO, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "9 patients for 18 images" in proc.stdout  # the group-size report
    manifest = json.loads((out / "jpeg-cli" / "manifest.json").read_text())
    golden = json.loads((out / "jpeg-cli" / "bmode" / "golden.json").read_text())
    assert golden["cases"] and all(c["input"].endswith(".png") for c in golden["cases"])
    # The split keeps both images of each patient on one side.
    split = json.loads((run / "split.json").read_text())
    side: dict[str, set[str]] = {}
    for item in split["items"]:
        side.setdefault(Path(item["id"]).stem.split("-")[0], set()).add(item["split"])
    assert all(len(s) == 1 for s in side.values()) and len(side) == 9
    assert split["patients"]["imagesPerPatient"] == {"2": 9}
    entry = manifest["metrics"][0]
    assert entry["n"] == 6
    card = (out / "jpeg-cli" / "MODEL_CARD.md").read_text()
    assert str(tmp_path) not in card and "Warning: tiny test set" in card
    assert json.loads((out / "index.json").read_text())["packs"][0]["id"] == "jpeg-cli"
