"""Timings and durations: the keys a rebuild writes are the committed results' keys, and training
time survives a resume (a resumed stage 1 used to report the 5 s of its last process)."""

import json

import torch
import torch.nn.functional as F

from training.default_pack import timing_keys
from training.distributed import Runtime
from training.tests.conftest import REPO, tiny_resnet
from training.train import TrainConfig, train

RESULTS = REPO / "training" / "results" / "lymphscope-demo-r18"


def test_rebuild_writes_the_committed_timing_keys() -> None:
    manifest = json.loads((REPO / "public" / "models" / "lymphscope-demo-r18" / "manifest.json").read_text())
    t = manifest["training"]
    keys = timing_keys(500, t["stage1Epochs"], t["stage1ImageSize"], t["stage2Epochs"], ablation=True)
    assert keys == list(json.loads((RESULTS / "timings.json").read_text()))
    assert keys == list(json.loads((RESULTS / "metrics.json").read_text())["timings"])


def test_committed_stage1_duration_matches_the_timings() -> None:
    metrics = json.loads((RESULTS / "metrics.json").read_text())
    timings = json.loads((RESULTS / "timings.json").read_text())
    minutes = float(timings[timing_keys(500, 12, 160, 4, True)[1]].split(" min")[0])
    assert abs(metrics["stage1"]["seconds"] / 60 - minutes) < 0.1


def test_training_seconds_survive_a_resume(tmp_path) -> None:
    rt = Runtime(torch.device("cpu"))
    images = torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8)
    targets = {"label": torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])}

    def loss(o, t):
        return F.cross_entropy(o, t["label"])

    ck = tmp_path / "checkpoint.pt"
    first: dict = {}
    train(tiny_resnet(), images, targets, loss, TrainConfig(epochs=1, batch_size=4), rt, ck, lambda _: None, first)
    assert first["resumedAtEpoch"] == 0 and first["trainSeconds"] > 0
    second: dict = {}
    train(tiny_resnet(), images, targets, loss, TrainConfig(epochs=2, batch_size=4), rt, ck, lambda _: None, second)
    assert second["resumedAtEpoch"] == 1
    assert second["trainSeconds"] > first["trainSeconds"]  # epoch 1's time is carried over, not lost
    done: dict = {}  # nothing left to train: the total is still the real one
    train(tiny_resnet(), images, targets, loss, TrainConfig(epochs=2, batch_size=4), rt, ck, lambda _: None, done)
    assert done["trainSeconds"] == second["trainSeconds"]
