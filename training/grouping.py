"""Patient ids: from a CSV column or from a file-name pattern the user confirms, as the app does.

The seed study names images like `171-3.jpg` (patient 171, image 3). Taking the whole name as the
group would put each image of a patient in its own group, so one patient's images could land in
train and test. The pattern language is the app's (src/validation/grouping.ts), so a pattern a user
confirmed in the app's validation screen means the same here:

  `{patient}` the patient id: one or more characters, as few as the rest allows;
  `*`         any characters (also none);
  `#`         one or more digits;
  anything else is literal. Matched case-insensitively against the whole file name (with extension).
  `{patient}-*` reads `171-3.jpg` as patient 171.
A pattern without `{patient}` is a regular expression with exactly one capture group (searched in
the file name, as JavaScript's RegExp.exec does).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import PurePath

from .cli_common import UserError

# Shorthands for the two conventions met in practice; the full language is always accepted too.
PRESETS = {"before-last-dash": r"^(.+)-[^-]*$", "before-last-underscore": r"^(.+)_[^_]*$"}


class PatternError(UserError):
    pass


def compile_pattern(pattern: str) -> re.Pattern[str]:
    text = PRESETS.get(pattern.strip(), pattern.strip())
    if not text:
        raise PatternError("the file-name pattern is empty")
    if "{patient}" in text:
        if text.count("{patient}") > 1:
            raise PatternError(f"pattern {pattern!r} has several {{patient}} fields")
        src = ""
        i = 0
        while i < len(text):
            if text.startswith("{patient}", i):
                src += "(.+?)"
                i += len("{patient}")
                continue
            ch = text[i]
            src += ".*?" if ch == "*" else r"\d+" if ch == "#" else re.escape(ch)
            i += 1
        return re.compile(f"^{src}$", re.IGNORECASE)
    try:
        rx = re.compile(text)
    except re.error as e:
        raise PatternError(f"pattern {pattern!r} is not a valid regular expression ({e})") from None
    if rx.groups != 1:
        raise PatternError(f"pattern {pattern!r} must have exactly one capture group (the patient id), "
                           f"it has {rx.groups}")
    return rx


def patient_from_name(rx: re.Pattern[str], path: str) -> str | None:
    """The id the pattern reads from the file name, or None when it does not match."""
    m = rx.search(PurePath(path).name)
    pid = (m.group(1) or "").strip() if m else ""
    return pid or None


def group_size_report(groups: Iterable[str], examples: int = 5) -> dict:
    """How many patients, and how many images each: a pattern that reads the wrong part of the name
    shows up here (every patient with 1 image, or one patient with all of them)."""
    sizes = Counter(groups)
    hist = Counter(sizes.values())
    return {
        "patients": len(sizes),
        "images": sum(sizes.values()),
        "imagesPerPatient": {str(k): hist[k] for k in sorted(hist)},
        "largest": [[g, n] for g, n in sizes.most_common(examples)],
    }


def format_group_report(r: dict) -> str:
    per = ", ".join(f"{n} with {k}" for k, n in r["imagesPerPatient"].items())
    big = ", ".join(f"{g} ({n})" for g, n in r["largest"])
    return f"{r['patients']} patients for {r['images']} images (patients by image count: {per}); largest: {big}"
