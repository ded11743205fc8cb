"""Patient grouping: the app's file-name pattern language, a group-size report, and splits that keep
every image of a patient (in every modality) on one side."""

from pathlib import Path

import pytest

from training.dedup import NearDuplicateRule
from training.grouping import PatternError, compile_pattern, group_size_report, patient_from_name
from training.stage2 import load_lymph_folder, make_split
from training.tests.test_validate import make_folder


@pytest.mark.parametrize("pattern, name, want", [
    ("{patient}-*", "171-3.jpg", "171"),
    ("{patient}-*", "171-3-b.jpg", "171"),  # as few characters as the rest allows
    ("{patient}-#.*", "ABC-12.png", "ABC"),
    ("{patient}-#.*", "ABC-x.png", None),
    ("P{patient}_*", "p0042_left.bmp", "0042"),  # case-insensitive, as the app
    (r"^(\d+)", "171-3.jpg", "171"),
    ("before-last-dash", "171-3.jpg", "171"),
    ("before-last-dash", "a-b-3.jpg", "a-b"),
    ("before-last-underscore", "pt_9_2.webp", "pt_9"),
])
def test_pattern_language_matches_the_app(pattern: str, name: str, want: str | None) -> None:
    assert patient_from_name(compile_pattern(pattern), f"x/2d/0/{name}") == want


@pytest.mark.parametrize("pattern, message", [("", "empty"), ("{patient}-{patient}", "several"),
                                              (r"(\d+)-(\d+)", "exactly one capture group"),
                                              (r"\d+", "exactly one capture group"), ("(", "not a valid")])
def test_bad_patterns_are_refused(pattern: str, message: str) -> None:
    with pytest.raises(PatternError, match=message):
        compile_pattern(pattern)


def test_group_size_report() -> None:
    r = group_size_report(["a", "a", "b", "c", "c", "c"])
    assert r == {"patients": 3, "images": 6, "imagesPerPatient": {"1": 1, "2": 1, "3": 1},
                 "largest": [["c", 3], ["a", 2], ["b", 1]]}


def test_split_keeps_a_patients_images_together_across_modalities(tmp_path: Path) -> None:
    """`171-1.jpg`, `171-2.jpg` in 2d/ and cdfi/: four images of one patient. Without a pattern each
    file name is its own group and a patient can straddle train and test (the old behaviour);
    with `{patient}-*` never."""
    root = make_folder(tmp_path / "d", per_class=12, patients=True)
    straddled_without = 0
    for pattern in (None, "{patient}-*"):
        rx = compile_pattern(pattern) if pattern else None
        samples = load_lymph_folder(root, ["bmode", "cdfi"], rx)
        split = make_split(root, samples, 1, NearDuplicateRule(-1, -1), tmp_path / f"split-{pattern is None}.json",
                           None, log=lambda _: None)
        by_patient: dict[str, set[str]] = {}
        for m, ss in samples.items():
            for s in ss:
                pid = Path(s.path).stem.split("-")[0]
                by_patient.setdefault(pid, set()).add(split[f"{s.path.split('/d/')[1]}"])
        straddling = [p for p, sides in by_patient.items() if len(sides) > 1]
        if pattern is None:
            straddled_without = len(straddling)
        else:
            assert straddling == []
            assert {s.group for s in samples["bmode"]} == {s.group for s in samples["cdfi"]}
            assert len({s.group for s in samples["bmode"]}) == 18
    assert straddled_without > 0  # the pattern is what keeps them together
