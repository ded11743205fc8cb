"""Paths and defaults shared by the command-line entry points."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUNS = REPO / "training" / "runs"
CACHE = REPO / "training" / ".cache"
RESULTS = REPO / "training" / "results"
SHARED_DATA = REPO.parent / "shared" / "data"
DEFAULT_SEED = 1234


class UserError(ValueError):
    """A problem with the user's input (data, arguments, checkpoint), not a bug: the command line
    prints its message and exits with status 2, without a traceback."""
