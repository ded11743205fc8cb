"""`rebuild-default-pack`: the bundled demonstration pack, end to end, in one command.

phantoms (npm run phantoms) → stage 1 (BUSI + DDTI) → stage 2 × 3 modalities [→ ablation] →
export (quantization choice, golden logits, model card) → TF.js verification → index.json.
Every step resumes from its checkpoints when re-run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

from .cli_common import CACHE, REPO, RESULTS, RUNS, SHARED_DATA
from .data import read_classes_file
from .dedup import NearDuplicateRule
from .distributed import Runtime, barrier
from .export.build_pack import PackText, export_trained_pack, update_index
from .modalities import MODALITY_IDS
from .stage1 import run_stage1
from .stage2 import load_lymph_folder, run_stage2
from .validate import validate_folder

PACK_ID = "lymphscope-demo-r18"
TITLE = "Demonstration ResNet-18 (simulated lymph nodes)"
# The demonstration pack covers every modality of the registry (the phantoms render each one).
MODALITIES = list(MODALITY_IDS)
DISCLAIMER = (
    "Demonstration model trained on SIMULATED lymph node images (computer-generated phantoms), not on "
    "patient data. Its outputs say nothing about real patients. Not for diagnosis or any clinical decision."
)
INTENDED_USE = (
    "Demonstrating and testing the LymphScope app and its model-pack pipeline: loading, verification, "
    "inference, Grad-CAM and fusion. Hospitals replace it with a pack trained on their own data "
    "(see training/README.md)."
)
LIMITATIONS = (
    "Trained and tested only on simulated images from LymphScope's phantom generator, so the test "
    "metrics measure how well the network separates the generator's classes, not clinical accuracy. "
    "Stage-1 pre-training used breast (BUSI) and thyroid (DDTI) ultrasound, not lymph nodes. No "
    "external validation. Class labels of the phantoms are by construction."
)


class PhantomJob:
    """Runs the app's phantom generator (TypeScript, Node) in the background, so it overlaps
    stage 1 (Python) instead of adding to the wall time; reuses an existing set."""

    def __init__(self, out: Path, per_class: int, seed: int, log=print) -> None:
        self.out, self.t0, self.proc = out, time.time(), None
        if (out / "classes.txt").exists() and (out / "labels.csv").exists():
            log(f"[phantoms] reusing {out}")
            return
        self.tmp = out.with_name(out.name + ".partial")
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.log_file = open(out.with_name(out.name + ".log"), "w")
        self.proc = subprocess.Popen(
            ["npm", "run", "--silent", "phantoms", "--", "--out", str(self.tmp), "--per-class", str(per_class),
             "--seed", str(seed)], cwd=REPO, stdout=self.log_file, stderr=subprocess.STDOUT)

    def wait(self) -> float:
        """Seconds the generation took (0 when reused)."""
        if self.proc is None:
            return 0.0
        if self.proc.wait() != 0:
            raise RuntimeError(f"phantom generation failed, see {self.log_file.name}")
        seconds = time.time() - self.t0
        (self.tmp / "generator.json").write_text(json.dumps({**generator_provenance(), "seconds": round(seconds)}))
        shutil.rmtree(self.out, ignore_errors=True)
        self.tmp.rename(self.out)
        return seconds


def generator_provenance(version: int = 1) -> dict:
    """Which phantom generator made the data: its version (1, the frozen one the bundled pack used,
    or 2; `npm run phantoms -- --generator V`), the full git revision, and whether src/phantoms or the
    CLI differed from it. The same keys as the CLI's own DIR/generator.json (scripts/phantoms.ts);
    None where git cannot tell (no checkout), rather than a guess."""
    if version not in (1, 2):
        raise ValueError(f"phantom generator version must be 1 or 2, not {version!r}")

    def git(*args: str) -> str | None:
        try:
            r = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        except OSError:
            return None
        return r.stdout.strip() if r.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--", "src/phantoms", "scripts/phantoms.ts")
    return {"version": version, "commit": commit, "uncommittedChanges": None if status is None else bool(status)}


def _minutes(s: float) -> str:
    return f"{s / 60:.1f} min"


def timing_keys(per_class: int, stage1_epochs: int, stage1_size: int, stage2_epochs: int, ablation: bool) -> list[str]:
    """The keys of timings.json (and of the card's Timings section), one place for both, so a rebuild
    writes the keys the committed results use (test_default_pack checks them against the committed file)."""
    keys = [f"phantom generation ({per_class * 3:,} cases × {len(MODALITIES)} modalities, Node)",
            f"stage 1 (BUSI + DDTI, {stage1_epochs} epochs at {stage1_size} px)"]
    keys += [f"stage 2 {m} ({stage2_epochs} epochs, 224 px)" for m in MODALITIES]
    keys += ["export + quantization check + TF.js verification", "full rebuild, as measured"]
    return keys + (["ablation (stage 2 from scratch)"] if ablation else [])


def rebuild_default_pack(
    rt: Runtime,
    per_class: int = 500,
    phantom_seed: int = 2025,
    seed: int = 1234,
    stage1_epochs: int = 12,
    stage1_size: int = 160,
    stage2_epochs: int = 4,
    ablation: bool = False,
    ablation_modalities: list[str] | None = None,
    run_dir: Path = RUNS / "default",
    pack_root: Path = REPO / "public" / "models",
    log=print,
) -> dict:
    t_all = time.time()
    timings: dict[str, str] = {}
    keys = iter(timing_keys(per_class, stage1_epochs, stage1_size, stage2_epochs, ablation))
    k_phantoms, k_stage1 = next(keys), next(keys)
    k_stage2 = [next(keys) for _ in MODALITIES]
    k_export, k_total = next(keys), next(keys)
    phantoms = CACHE / f"phantoms-{per_class}-{phantom_seed}"
    phantom_job = PhantomJob(phantoms, per_class, phantom_seed, log) if rt.is_main else None

    t = time.time()
    stage1 = run_stage1(str(SHARED_DATA / "busi"), str(SHARED_DATA / "ddti"), run_dir / "stage1", rt,
                        stage1_epochs, stage1_size, seed, cache_dir=CACHE, log=log)
    if phantom_job is not None:
        timings[k_phantoms] = f"{_minutes(phantom_job.wait())} (runs in parallel with stage 1 in the rebuild command)"
    # Summed epoch times (across resumes), not this process's wall time: a resumed stage 1 takes seconds.
    timings[k_stage1] = f"{_minutes(stage1.get('seconds', time.time() - t))} (sum of epoch times)"
    barrier(rt)
    provenance = json.loads((phantoms / "generator.json").read_text()) if (phantoms / "generator.json").exists() else {}
    classes = read_classes_file(phantoms / "classes.txt")
    check = validate_folder(phantoms, classes, modalities=MODALITIES)  # the same up-front check as train-pack
    if rt.is_main:
        log(check.text())
    check.raise_if_failed()

    t = time.time()
    samples = load_lymph_folder(phantoms, MODALITIES)
    results, fused = run_stage2(phantoms, samples, classes, run_dir / "stage1" / "backbone.pt",
                                run_dir / "stage2-pretrained", rt, stage2_epochs, seed, cache_dir=CACHE, log=log)
    for key, r in zip(k_stage2, results):
        timings[key] = _minutes(r.seconds)

    abl = None
    if ablation:
        t = time.time()
        abl_mods = ablation_modalities or MODALITIES
        abl = run_stage2(phantoms, {m: samples[m] for m in abl_mods}, classes, None, run_dir / "stage2-scratch", rt,
                         stage2_epochs, seed, split_json=run_dir / "stage2-pretrained" / "split.json",
                         cache_dir=CACHE, log=log)
        if set(abl_mods) != set(MODALITIES):
            abl = (abl[0], None)  # a fused score over fewer modalities is not comparable
        timings["ablation (stage 2 from scratch)"] = (
            ", ".join(f"{r.modality} {_minutes(r.seconds)}" for r in abl[0]) or _minutes(time.time() - t))

    if not rt.is_main:
        return {}
    t = time.time()
    results_dir = RESULTS / PACK_ID
    results_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(run_dir / "stage2-pretrained" / "split.json", results_dir / "split-stage2.json")
    for task in ("busi", "ddti"):
        shutil.copyfile(run_dir / "stage1" / f"split-{task}.json", results_dir / f"split-stage1-{task}.json")
    n = {r.modality: len(r.test_labels) for r in results}
    text = PackText(
        id=PACK_ID, title=TITLE, disclaimer=DISCLAIMER, intended_use=INTENDED_USE,
        license="Apache-2.0 (weights and code). Stage-1 data: BUSI (CC BY 4.0), DDTI (research use).",
        dataset=f"Simulated cervical lymph nodes (LymphScope phantoms, {per_class} per class, seed {phantom_seed}), "
                "held-out test split",
        data_text=(
            f"Stage 1: BUSI (Al-Dhabyani et al., Data in Brief 2020; 780 breast images, 3 classes) and DDTI "
            f"(Pedraza et al., SPIE 2015; thyroid crops, TI-RADS ≥4 vs ≤3, rows without TI-RADS left out), one "
            f"shared ResNet-18 backbone with one head per data set, {stage1_epochs} epochs at {stage1_size} px. "
            f"Stage 2: LymphScope phantoms ({per_class} simulated nodes per class, generator seed {phantom_seed}; "
            f"2d → bmode, cdfi → cdfi, elastic → elastography), one ResNet-18 per modality initialised from the "
            f"stage-1 backbone (stem and layer1 frozen), new 3-class head, {stage2_epochs} epochs at 224 px, "
            "AdamW with cosine schedule, ultrasound augmentation (small affine, gain/contrast/gamma, horizontal "
            "flips; no vertical flips, no blur). Temperature fitted on the validation split (LBFGS on NLL)."
        ),
        split_text=(
            "70/15/15 train/val/test, stratified, grouped by case id across modalities and by near-duplicate "
            f"groups ({NearDuplicateRule().describe()}); test n per modality {n}. Split files: "
            f"training/results/{PACK_ID}/."
        ),
        limitations=LIMITATIONS,
        training={
            "summary": "Stage 1 pre-training on BUSI + DDTI, stage 2 fine-tuning per modality on simulated lymph nodes",
            "datasets": ["BUSI (Al-Dhabyani et al. 2020)", "DDTI (Pedraza et al. 2015)",
                         f"LymphScope phantoms ({per_class}/class, seed {phantom_seed})"],
            "seed": seed, "phantomSeed": phantom_seed, "stage1Epochs": stage1_epochs, "stage1ImageSize": stage1_size,
            "stage2Epochs": stage2_epochs, "phantomGenerator": provenance,
            "split": f"training/results/{PACK_ID}/split-stage2.json",
            "command": "/usr/bin/python3 -m training rebuild-default-pack" + (" --ablation" if ablation else ""),
        },
    )
    pack_dir = pack_root / PACK_ID
    if pack_dir.exists():
        shutil.rmtree(pack_dir)
    timings[k_export] = "(measured after the export; see timings.json)"
    timings[k_total] = f"{_minutes(time.time() - t_all)} before the export"
    manifest = export_trained_pack(
        pack_dir, text, [{"id": c, "label": c.capitalize()} for c in classes], results, fused, results_dir,
        stage1=stage1, ablation=abl, timings=timings, log=log)
    update_index(pack_root, PACK_ID, TITLE)
    timings[k_export] = _minutes(time.time() - t)
    timings[k_total] = _minutes(time.time() - t_all)
    (results_dir / "timings.json").write_text(json.dumps(timings, indent=1))
    log(f"[rebuild] done in {timings[k_total]}: {json.dumps(timings)}")
    return manifest
