"""generator_provenance: what a phantom set records about the generator that made it."""

from __future__ import annotations

import re

import pytest

from training.default_pack import generator_provenance


def test_records_version_full_revision_and_cleanliness() -> None:
    for version in (1, 2):
        p = generator_provenance(version)
        assert p["version"] == version
        # The worktree is a git checkout: a full 40-hex revision and a definite clean/dirty answer.
        assert re.fullmatch(r"[0-9a-f]{40}", p["commit"] or "")
        assert isinstance(p["uncommittedChanges"], bool)
        # Same keys as the CLI's DIR/generator.json (scripts/phantoms.ts generatorProvenance).
        assert set(p) == {"version", "commit", "uncommittedChanges"}


def test_defaults_to_the_frozen_version_1() -> None:
    assert generator_provenance()["version"] == 1


@pytest.mark.parametrize("bad", [0, 3, "2"])
def test_refuses_unknown_versions(bad: object) -> None:
    with pytest.raises(ValueError):
        generator_provenance(bad)  # type: ignore[arg-type]
