"""Steps of `rebuild-default-pack` besides training: phantom sets in the background, evaluation of
the shipped models on other simulated test sets, the test-predictions document, the commands of
the input checks and the node finder, and in-place sections of the model card."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .cli_common import REPO
from .data import preload
from .export.predictions import fused_section, model_section, recompute
from .export.quantization import logits_with_weights
from .fusion import MEAN, fuse
from .metrics import softmax
from .stage2 import DEFAULT_IMAGE_SIZE, ModalityResult, fused_inputs, load_lymph_folder

GENERATOR_PATHS = ("src/phantoms", "scripts/phantoms.ts")


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()


def generator_option_supported() -> bool:
    """Whether this checkout's phantom CLI takes `--generator N` (the v2 generator adds it)."""
    out = subprocess.run(["npm", "run", "--silent", "phantoms", "--", "--help"], cwd=REPO, capture_output=True,
                         text=True, timeout=120)
    return "--generator" in out.stdout + out.stderr


def generator_state() -> str:
    """A key of the generator's committed code (git tree of its files), "-dirty" when it has changes:
    a cached phantom set is reused only for the same clean code."""
    tree = "-".join(_git("rev-parse", "--short=10", f"HEAD:{p}") for p in GENERATOR_PATHS)
    dirty = bool(_git("status", "--porcelain", "--", *GENERATOR_PATHS))
    return tree + ("-dirty" if dirty else "")


@dataclass
class PhantomSet:
    name: str  # training | demo | eval-g<N>
    out: Path
    per_class: int
    seed: int
    generator: int
    full: bool = False
    seconds: float = 0.0
    provenance: dict = field(default_factory=dict)


class PhantomJobs(threading.Thread):
    """Generates the phantom sets one after the other with the app's generator (TypeScript, Node),
    in the background while stage 1 trains; a set of the same clean generator code is reused."""

    def __init__(self, sets: list[PhantomSet], generator_flag: bool, provenance: Callable[[int], dict], log) -> None:
        super().__init__(daemon=True)
        self.sets, self.flag, self.provenance, self.log = sets, generator_flag, provenance, log
        self.error: BaseException | None = None
        self.done = {s.name: threading.Event() for s in sets}

    def run(self) -> None:
        try:
            for s in self.sets:
                self._make(s)
                self.done[s.name].set()
        except BaseException as e:  # handed to the main thread by wait()
            self.error = e
            for ev in self.done.values():
                ev.set()

    def _make(self, s: PhantomSet) -> None:
        record = s.out / "generator.json"
        if record.exists() and (s.out / "labels.csv").exists() and not s.out.name.endswith("-dirty"):
            s.provenance = json.loads(record.read_text())
            self.log(f"[phantoms] reusing {s.out.name}")
            return
        tmp = s.out.with_name(s.out.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        cmd = ["npm", "run", "--silent", "phantoms", "--", "--out", str(tmp), "--per-class", str(s.per_class),
               "--seed", str(s.seed)] + (["--full"] if s.full else []) + (
            ["--generator", str(s.generator)] if self.flag else [])
        t0 = time.time()
        log_path = s.out.with_name(s.out.name + ".log")
        with open(log_path, "w") as fh:
            rc = subprocess.run(cmd, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT).returncode
        if rc != 0:
            raise RuntimeError(f"phantom generation ({s.name}) failed, see {log_path}")
        s.seconds = time.time() - t0
        s.provenance = {**self.provenance(s.generator), "generator": s.generator, "generatorCode": generator_state(),
                        "perClass": s.per_class, "seed": s.seed, "full": s.full, "seconds": round(s.seconds)}
        (tmp / "generator.json").write_text(json.dumps(s.provenance))
        shutil.rmtree(s.out, ignore_errors=True)
        tmp.rename(s.out)
        self.log(f"[phantoms] {s.name}: {s.per_class}/class, seed {s.seed}, generator {s.generator} "
                 f"({s.seconds:.0f} s)")

    def wait(self, name: str) -> PhantomSet:
        self.done[name].wait()
        if self.error is not None:
            raise self.error
        return next(s for s in self.sets if s.name == name)


# ------------------------------------------------------------------ test predictions and other sets

def held_out_sections(results: list[ModalityResult], fusion=MEAN, fused: bool = True,
                      weights: bool = True) -> dict[str, dict]:
    """Per modality and (with `fused`) fused, the test rows of `results` (their logits as evaluated)."""
    models = {r.modality: model_section(r.test_cases, r.test_groups or r.test_cases, r.test_labels, r.test_logits,
                                        r.temperature, **({"weights": r.report.get("weights")} if weights else {}))
              for r in results}
    if fused and len(results) > 1:
        f = fused_inputs(results, fusion)
        models["fused"] = fused_section(f.cases, f.groups, f.labels, f.fused, fusion)
    return models


def stage1_sections(stage1_dir: Path) -> dict[str, dict]:
    preds = json.loads((stage1_dir / "test-predictions.json").read_text())
    return {task: model_section(p["ids"], p["groups"], p["labels"], np.array(p["logits"]), p["temperature"],
                                classes=p["classes"]) for task, p in preds.items()}


def evaluate_other_set(results: list[ModalityResult], root: Path, cache: Path | None,
                       image_size: int = DEFAULT_IMAGE_SIZE, fusion=MEAN, log=print) -> dict[str, dict]:
    """The shipped models (weights decoded as the app holds them) on every image of a phantom set
    they never saw: per modality and fused by the pack's rule."""
    samples = load_lymph_folder(root, [r.modality for r in results])
    models: dict[str, dict] = {}
    calibrated = {}
    for r in results:
        ss = samples[r.modality]
        images = preload(ss, image_size, cache)
        logits = np.round(logits_with_weights(r.model, images, r.report.get("weights", "float32"))
                          .astype(np.float64), 5)
        cases = [s.case_id for s in ss]
        models[r.modality] = model_section(cases, cases, [s.label for s in ss], logits, r.temperature,
                                           weights=r.report.get("weights"))
        calibrated[r.modality] = {c: p for c, p in zip(cases, softmax(logits, r.temperature))}
        log(f"[evaluate] {root.name} {r.modality}: {len(ss)} images")
    if len(results) > 1:
        common = sorted(set.intersection(*(set(c) for c in calibrated.values())))
        labels = {s.case_id: s.label for s in samples[results[0].modality]}
        fused = fuse(fusion, {m: np.array([p[c] for c in common]) for m, p in calibrated.items()})
        assert fused is not None
        models["fused"] = fused_section(common, common, [labels[c] for c in common], fused, fusion)
    return models


def reports_of(sets: dict[str, dict]) -> dict[str, dict[str, dict]]:
    """The reports of prediction sets, computed exactly as the check recomputes them."""
    from .export.predictions import document

    return recompute(document("", sets))


# ------------------------------------------------------------------ the other commands

def command_options(command: str) -> set[str]:
    """The options `python3 -m training <command>` takes now (from its --help): the rebuild passes
    optional inputs only to a command that accepts them."""
    out = subprocess.run([sys.executable, "-m", "training", command, "--help"], cwd=REPO, capture_output=True,
                         text=True, timeout=300)
    options = out.stdout.split("options:", 1)[-1].split("examples:", 1)[0]  # not the examples' other commands
    return set(re.findall(r"^\s+(?:-\w, )?(--[a-z][a-z0-9-]*)", options, re.M))


def run_training_command(args: list[str], log_path: Path, log) -> None:
    """`python3 -m training <args>` as its own process (the command's public interface, so changes to
    its internals apply here unchanged); its output goes to `log_path`."""
    cmd = [sys.executable, "-m", "training", *args]
    log(f"[rebuild] {' '.join(['python3 -m training', *args])}")
    with open(log_path, "w") as fh:
        rc = subprocess.run(cmd, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT).returncode
    if rc != 0:
        tail = log_path.read_text()[-3000:]
        raise RuntimeError(f"`python3 -m training {args[0]}` failed ({rc}); log {log_path}:\n{tail}")


# ------------------------------------------------------------------ model card sections

def upsert_section(card: str, heading: str, body: list[str], before: str | None = None) -> str:
    """The card with section `heading` (a "## " line) replaced by `body`, or inserted before the
    section `before` (else at the end of the card's own sections, before any marked one)."""
    section = "\n".join([heading, "", *body]).rstrip("\n") + "\n\n"
    if heading in card:
        start = card.index(heading)
        nxt = card.find("\n## ", start + len(heading))
        marker = card.find("\n<!--", start + len(heading))
        ends = [e for e in (nxt, marker) if e != -1]
        end = min(ends) + 1 if ends else len(card)
        return card[:start] + section + card[end:]
    if before is not None and before in card:
        i = card.index(before)
        return card[:i] + section + card[i:]
    return card.rstrip("\n") + "\n\n" + section
