"""Paths and defaults shared by the command-line entry points."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUNS = REPO / "training" / "runs"
CACHE = REPO / "training" / ".cache"
RESULTS = REPO / "training" / "results"
SHARED_DATA = REPO.parent / "shared" / "data"
DEFAULT_SEED = 1234
