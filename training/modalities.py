"""The imaging modalities, read from the app's registry (src/domain/modalities.json).

The app and the training code share that one file, so a new modality is a registry entry (plus its
UI strings and training config) rather than edits to lists here. Only ids, colour coding and data
set folder names matter to training; the ROI and input-check rules are the app's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

REGISTRY = Path(__file__).resolve().parents[1] / "src" / "domain" / "modalities.json"

_ID = re.compile(r"^[a-z][a-z0-9-]*$")
_FOLDER = re.compile(r"^[\w.-]+$")


def parse_registry(doc: Any) -> list[dict]:
    """The registry's modality entries, checked the way src/domain/modalities.ts checks them
    (unique ids, unique folder names ignoring case). Raises ValueError naming the bad field."""
    entries = doc.get("modalities") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ValueError("modality registry: modalities must be a non-empty array")
    ids: set[str] = set()
    folders: set[str] = set()
    for i, e in enumerate(entries):
        where = f"modality registry: modalities[{i}]"
        if not isinstance(e, dict) or not isinstance(e.get("id"), str) or not _ID.match(e["id"]):
            raise ValueError(f"{where}.id must match {_ID.pattern}")
        if e["id"] in ids:
            raise ValueError(f"{where}.id repeats {e['id']!r}")
        ids.add(e["id"])
        if not isinstance(e.get("colourCoded"), bool):
            raise ValueError(f"{where}.colourCoded must be true or false")
        names = e.get("datasetFolders")
        if not isinstance(names, list) or not names:
            raise ValueError(f"{where}.datasetFolders must be a non-empty array")
        for j, name in enumerate(names):
            if not isinstance(name, str) or not _FOLDER.match(name):
                raise ValueError(f"{where}.datasetFolders[{j}] must be a folder name")
            if name.lower() in folders:
                raise ValueError(f"{where}.datasetFolders[{j}] repeats {name!r}")
            folders.add(name.lower())
    return entries


def load_registry(path: Path = REGISTRY) -> list[dict]:
    return parse_registry(json.loads(path.read_text(encoding="utf-8")))


_ENTRIES = load_registry()

# Every modality id, in registry order (the order packs list them).
MODALITY_IDS: tuple[str, ...] = tuple(e["id"] for e in _ENTRIES)
# Modalities whose images are colour-coded (Doppler flow, strain) rather than plain gray.
COLOUR_CODED: frozenset[str] = frozenset(e["id"] for e in _ENTRIES if e["colourCoded"])
# Data set folder name → modality, for every name a data set may use.
FOLDER_TO_MODALITY: dict[str, str] = {f: e["id"] for e in _ENTRIES for f in e["datasetFolders"]}
# Colour-coded modalities whose screenshots put the colour map beside a B-mode view (strain
# elastography): their frames are laid out unlike single-view ones.
SIDE_BY_SIDE: frozenset[str] = frozenset(
    e["id"] for e in _ENTRIES if e["colourCoded"] and isinstance(e.get("roi"), dict) and e["roi"].get("splitDualView")
)
# Modality → the folder this project reads first and names in split files (the first alias).
MODALITY_TO_FOLDER: dict[str, str] = {e["id"]: e["datasetFolders"][0] for e in _ENTRIES}


def modality_for_folder(name: str) -> str | None:
    """The modality a data set folder (or a CSV's modality cell) stands for, as the app's validation
    reads it (src/validation/layout.ts folderModality): a registry data set folder such as `2d` or
    `elastic`, or an app id such as `bmode` or `elastography`, case-insensitively; None otherwise."""
    low = name.strip().lower()
    for folder, modality in FOLDER_TO_MODALITY.items():
        if folder.lower() == low:
            return modality
    return low if low in MODALITY_IDS else None
