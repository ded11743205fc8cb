"""`rebuild-default-pack`: the bundled demonstration pack, end to end, from committed code, in one
command sized to a time budget.

plan (speed measured here → epochs that fit --budget-minutes) → phantoms (training, demo and the
other generator's test set, in the background) → stage 1 (BUSI + DDTI, 224 px) → stage 2 × 3
modalities → ablation (stage 2 from scratch, same split and epochs) → export (quantization chosen on
validation, golden logits, model card) + TF.js verification → evaluation on the other simulated
test set → test-predictions.json → input checks and out-of-distribution statistics (`input-gate`) →
node finder (`train-node-finder`, `export-node-finder`) → timings, final verification, index.json.

The pack is assembled in the run folder and moves into the models folder only when every step
passed. Training steps resume from their checkpoints when the command is run again.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .cli_common import CACHE, DEFAULT_SEED, REPO, RESULTS, RUNS, SHARED_DATA, UserError
from .data import load_busi, load_ddti, read_classes_file
from .dedup import NearDuplicateRule
from .distributed import Runtime, barrier
from .export.build_pack import PackText, export_trained_pack, update_index
from .export.model_card import OTHER_SETS_HEADING, SMALL_TEST, TIMINGS_HEADING, other_sets_body, timings_body
from .export.pack import list_files
from .export.predictions import document
from .export.verify import verify_golden
from .modalities import MODALITY_IDS
from .rebuild_budget import Plan, Workload, make_plan, measure_speed, step_keys
from .rebuild_steps import (PhantomJobs, PhantomSet, command_options, evaluate_other_set, generator_option_supported,
                            generator_state, held_out_sections, reports_of, run_training_command, stage1_sections,
                            upsert_section)
from .stage1 import run_stage1
from .stage2 import load_lymph_folder, run_stage2
from .validate import validate_folder

PACK_ID = "lymphscope-demo-r18"
PACK_VERSION = "2.0.0"
TITLE = "Demonstration ResNet-18 (simulated lymph nodes)"
# The demonstration pack covers every modality of the registry (the phantoms render each one).
MODALITIES = list(MODALITY_IDS)
GENERATORS = (1, 2)
DISCLAIMER = (
    "Demonstration model trained on SIMULATED lymph node images (computer-generated phantoms), not on "
    "patient data. Its outputs say nothing about real patients. Not for diagnosis or any clinical decision."
)
INTENDED_USE = (
    "Demonstrating and testing the LymphScope app and its model-pack pipeline: loading, verification, "
    "inference, Grad-CAM and fusion. Hospitals replace it with a pack trained on their own data "
    "(see training/README.md)."
)


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


@dataclass
class RebuildOptions:
    per_class: int = 500
    generator: int = 2
    phantom_seed: int = 2025
    seed: int = DEFAULT_SEED
    stage1_size: int = 224
    stage2_size: int = 224  # the pack's input size (smaller only in a smoke run)
    stage1_epochs: int | None = None  # None: sized by the budget
    stage2_epochs: int | None = None  # None: sized by the budget (the ablation uses the same)
    budget_minutes: float | None = 90.0
    ablation: bool = True
    ablation_modalities: list[str] | None = None
    finder_minutes: float | None = None  # None: sized by the budget
    finder_size: int = 96
    eval_per_class: int = 50  # the other generator's test set (never trained on)
    eval_seed: int = 900_000
    demo_per_class: int = 12  # demonstration cases at seeds the pack never saw (input checks)
    demo_seed: int = 500_000
    # Phantom sets the input checks take when their command has the option (input-gate --generator:
    # the generator's range at other seeds; --fresh: a larger unseen evaluation set).
    gate_sets: dict[str, tuple[int, int]] = field(default_factory=lambda: {"--generator": (200, 300_000),
                                                                           "--fresh": (100, 700_000)})
    gate_required_pass: float | None = None  # None: input-gate's own (95 %); set only by --smoke
    gate_features_from: list[str] = field(default_factory=list)  # SLOT=MODALITY, as input-gate takes them
    data: Path = SHARED_DATA
    run_dir: Path = RUNS / "default"
    models_dir: Path = REPO / "public" / "models"
    results_root: Path = RESULTS
    cache: Path = CACHE
    speed_batch: int = 8  # batch of the speed measurement, scaled to 16 (smaller in a smoke run)
    plan_only: bool = False

    @property
    def ablation_list(self) -> list[str]:
        return list(self.ablation_modalities or MODALITIES) if self.ablation else []


def smoke_options(o: RebuildOptions, out: Path | None = None) -> RebuildOptions:
    """The whole command at a tiny scale (a few cases, one epoch, small sizes) into `out` (default a
    new temporary folder), never into public/models: it checks that every step runs, not the pack."""
    root = out or Path(tempfile.mkdtemp(prefix="lymphscope-smoke-"))
    o.per_class, o.eval_per_class, o.demo_per_class = 10, 3, 2
    o.gate_sets = {k: (2, seed) for k, (_, seed) in o.gate_sets.items()}
    o.gate_required_pass = 0.5  # one-epoch networks on six validation crops: the check runs, the pack is not one
    o.stage1_size, o.stage2_size, o.stage1_epochs, o.stage2_epochs, o.budget_minutes = 64, 64, 1, 1, None
    o.finder_minutes, o.finder_size, o.speed_batch = 0.05, 32, 2
    o.gate_features_from = o.gate_features_from or [f"{m}={MODALITIES[0]}" for m in MODALITIES[1:]]
    o.run_dir, o.models_dir, o.results_root, o.cache = root / "run", root / "models", root / "results", root / "cache"
    return o


def _clean(path: str) -> dict:
    """The commit and whether `path` has uncommitted changes (the rebuild is from committed code)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()

    dirty = bool(git("status", "--porcelain", "--", path))
    return {"commit": git("rev-parse", "--short", "HEAD"), "uncommittedChanges": dirty}


def _n(k: int, noun: str) -> str:
    return f"{k} {noun}{'' if k == 1 else 's'}"


def modality_view(src: Path, dst: Path) -> Path:
    """`dst` with links to `src`'s modality folders and classes.txt only: the layout a hospital's
    folder has (split ids stay <folder>/<class>/<file>, as the input checks read them)."""
    from .data import modality_folders

    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir(parents=True)
    for d in modality_folders(src).values():
        (dst / d.name).symlink_to(d.resolve(), target_is_directory=True)
    (dst / "classes.txt").symlink_to((src / "classes.txt").resolve())
    return dst


def limitations(o: RebuildOptions, plan: Plan, generator: int, n_test: dict[str, int], other: list[int],
                stage1: dict) -> str:
    small = [f"{m} (n={n})" for m, n in n_test.items() if n < SMALL_TEST]
    small += [f"{stage1[k]['dataset']} (n={stage1[k]['n']})" for k in ("busi", "ddti")
              if k in stage1 and stage1[k]["n"] < SMALL_TEST]
    items = [
        "Trained and tested only on simulated images from LymphScope's phantom generator "
        f"(v{generator}): the test figures measure how well the networks separate the generator's classes, "
        "whose image signs are drawn by construction, not clinical accuracy. No patient data, no external "
        "validation.",
        ("The other generator's test set (\"Other test sets\") shows how far the figures depend on the look of one "
         "generator; real cervical nodes differ from both." if other else
         "No other generator was available in this checkout, so how far the figures depend on the look of one "
         "generator is not measured."),
        "Stage 1 pre-training used breast (BUSI) and thyroid (DDTI) ultrasound, not lymph nodes; DDTI's labels are "
        "radiologists' TI-RADS categories, not pathology. The stage-1 figures check the backbone, not this pack.",
        f"Training was sized to a {o.budget_minutes:.0f}-minute CPU budget" if o.budget_minutes else
        "Training epochs were set by hand",
    ]
    items[-1] += (f" ({_n(plan.stage1_epochs, 'stage-1 epoch')}, {_n(plan.stage2_epochs, 'stage-2 epoch')}): the "
                  "networks are not trained to convergence; longer training would change these figures.")
    items.append("Inputs are the generator's ROI crops resized to "
                 f"{o.stage2_size}×{o.stage2_size}; crops drawn differently (by a user, "
                 "another ROI habit, other machines) are outside what was tested.")
    if small:
        items.append(f"WARNING: tiny test sets ({', '.join(small)}, fewer than {SMALL_TEST} images): their AUCs and "
                     "confidence intervals are too uncertain to rely on.")
    return "\n".join(f"- {x}" for x in items)


def rebuild_default_pack(rt: Runtime, o: RebuildOptions, log=print) -> dict:
    t_all = time.time()
    busi, ddti = o.data / "busi", o.data / "ddti"
    for name, path in (("BUSI", busi), ("DDTI", ddti)):
        if not (path / "labels.csv").is_file():
            raise UserError(f"{name}: no labels.csv in {path} (see ../shared/data/README.md; --data gives the folder)")
    flag = generator_option_supported()
    generator, notes = o.generator, []
    if not flag and generator != 1:
        notes.append(f"generator v{generator} was asked for, but this checkout's phantom CLI has no --generator "
                     "option: v1 is used (recorded in the manifest and the card)")
        generator = 1
    others = [g for g in GENERATORS if g != generator and flag]
    gate_options = command_options("input-gate")
    gate_sets = {opt: v for opt, v in o.gate_sets.items() if opt in gate_options}
    for n in notes:
        log(f"[rebuild] WARNING: {n}")

    # The plan: this machine's speed now, the workload, epochs that fit the budget.
    speed = measure_speed(o.stage1_size, o.stage2_size, o.finder_size, batch=o.speed_batch,
                          steps=2 if o.speed_batch >= 8 else 1)
    stage1_images = len(load_busi(busi)) + len(load_ddti(ddti))
    cases = 3 * o.per_class
    borrowed = dict(pair.split("=", 1) for pair in o.gate_features_from)  # slot → modality whose model it uses
    demo_cases = 3 * (o.demo_per_class + sum(n for n, _ in gate_sets.values()))
    work = Workload(stage1_images, cases, 3 * o.eval_per_class * len(others), demo_cases, MODALITIES,
                    o.ablation_list, finder_test_images=int(0.15 * (stage1_images + 2 * cases)),
                    gate_feature_models=len({borrowed.get(m, m) for m in MODALITIES}))
    plan = make_plan(speed, work, o.budget_minutes, o.stage1_epochs, o.stage2_epochs, o.finder_minutes)
    plan.notes += notes
    if rt.is_main:
        log(plan.text())
    if o.plan_only:
        return {}
    keys = step_keys(MODALITIES, o.ablation_list)
    measured: dict[str, float] = {}
    state = generator_state()
    sets = [PhantomSet("training", o.cache / f"phantoms-g{generator}-{o.per_class}-{o.phantom_seed}-{state}",
                       o.per_class, o.phantom_seed, generator, full=True),
            PhantomSet("demo", o.cache / f"phantoms-g{generator}-{o.demo_per_class}-{o.demo_seed}-{state}",
                       o.demo_per_class, o.demo_seed, generator)]
    sets += [PhantomSet(f"eval-g{g}", o.cache / f"phantoms-g{g}-{o.eval_per_class}-{o.eval_seed}-{state}",
                        o.eval_per_class, o.eval_seed, g) for g in others]
    sets += [PhantomSet(f"gate{opt}", o.cache / f"phantoms-g{generator}-{n}-{seed}-{state}", n, seed, generator)
             for opt, (n, seed) in gate_sets.items()]
    o.cache.mkdir(parents=True, exist_ok=True)
    jobs = PhantomJobs(sets, flag, generator_provenance, log)
    if rt.is_main:
        jobs.start()

    t = time.time()
    stage1 = run_stage1(str(busi), str(ddti), o.run_dir / "stage1", rt, plan.stage1_epochs, o.stage1_size, o.seed,
                        cache_dir=o.cache, log=log)
    # Wall clock, or the summed epoch times when this run resumed a finished stage 1.
    measured["stage 1"] = max(time.time() - t, stage1.get("seconds", 0.0)) / 60
    training_set, lymph = sets[0], o.run_dir / "phantoms"
    if rt.is_main:
        jobs.wait("training")
        # The classifiers' data: the modality folders of the set (its masks/ and full/ screenshots are the
        # node finder's and the input checks'), checked as train-pack checks a hospital's folder.
        modality_view(training_set.out, lymph)
    barrier(rt)
    provenance = json.loads((training_set.out / "generator.json").read_text())
    classes = read_classes_file(training_set.out / "classes.txt")
    check = validate_folder(lymph, classes, modalities=MODALITIES)
    if rt.is_main:
        log(check.text())
    check.raise_if_failed()

    samples = load_lymph_folder(lymph, MODALITIES)
    results, fused = run_stage2(lymph, samples, classes, o.run_dir / "stage1" / "backbone.pt",
                                o.run_dir / "stage2-pretrained", rt, plan.stage2_epochs, o.seed, cache_dir=o.cache,
                                image_size=o.stage2_size, log=log)
    for r in results:
        measured[f"stage 2 {r.modality}"] = r.seconds / 60  # summed epoch times (kept across resumes)
    abl = None
    if o.ablation:
        abl = run_stage2(lymph, {m: samples[m] for m in o.ablation_list}, classes, None,
                         o.run_dir / "stage2-scratch", rt, plan.stage2_epochs, o.seed,
                         split_json=o.run_dir / "stage2-pretrained" / "split.json", cache_dir=o.cache,
                         image_size=o.stage2_size, log=log)
        for r in abl[0]:
            measured[f"ablation {r.modality}"] = r.seconds / 60
        if set(o.ablation_list) != set(MODALITIES):
            abl = (abl[0], None)  # a fused score over fewer modalities is not comparable
    if not rt.is_main:
        return {}

    t = time.time()
    results_dir = o.results_root / PACK_ID
    results_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(o.run_dir / "stage2-pretrained" / "split.json", results_dir / "split-stage2.json")
    for task in ("busi", "ddti"):
        shutil.copyfile(o.run_dir / "stage1" / f"split-{task}.json", results_dir / f"split-stage1-{task}.json")
    n_test = {r.modality: len(r.test_labels) for r in results}
    command = "/usr/bin/python3 -m training rebuild-default-pack" + (
        f" --budget-minutes {o.budget_minutes:g}" if o.budget_minutes else "") + f" --generator {o.generator}"
    text = pack_text(o, plan, generator, provenance, n_test, others, stage1, command)
    pack_dir = o.run_dir / "pack" / PACK_ID  # assembled here, moved into the models folder at the end
    shutil.rmtree(pack_dir, ignore_errors=True)
    timings = timings_record(o, plan, keys, measured, None)
    export_trained_pack(pack_dir, text, [{"id": c, "label": c.capitalize()} for c in classes], results, fused,
                        results_dir, stage1=stage1, ablation=abl, timings=timings, log=log)
    measured["export + TF.js verification"] = (time.time() - t) / 60

    t = time.time()
    pred_sets: dict[str, dict] = {"test": {"classes": classes, "dataset": text.dataset,
                                           "models": held_out_sections(results)}}
    if abl is not None:
        pred_sets["ablation"] = {"classes": classes, "dataset": text.dataset + " (ablation: from scratch)",
                                 "models": held_out_sections(abl[0], fused=abl[1] is not None, weights=False)}
    pred_sets["stage1"] = {"classes": [], "dataset": "BUSI and DDTI held-out test splits (stage-1 heads)",
                           "models": stage1_sections(o.run_dir / "stage1")}
    other_names = {}
    for g in others:
        name = f"simulated-v{g}"
        s = jobs.wait(f"eval-g{g}")
        other_names[name] = (f"Simulated nodes, generator v{g} ({o.eval_per_class}/class, seed {o.eval_seed}; "
                             "never trained on)")
        pred_sets[name] = {"classes": classes, "dataset": other_names[name],
                           "models": evaluate_other_set(results, s.out, o.cache, o.stage2_size, log=log)}
    doc = document(PACK_ID, pred_sets)
    (results_dir / "test-predictions.json").write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    other_reports = {n: rep for n, rep in reports_of({n: pred_sets[n] for n in other_names}).items()}
    manifest = json.loads((pack_dir / "manifest.json").read_text())
    manifest["training"]["otherTestSets"] = {
        n: {m: {k: r[k] for k in ("n", "macroAuc", "macroAucCi95", "accuracy")} for m, r in ms.items()}
        for n, ms in other_reports.items()}
    intro = (f"The pack was trained on generator v{generator}; its held-out test split is in the tables above, "
             "BUSI and DDTI under \"Stage 1 real-data check\". ")
    intro += ("Here the shipped models (weights as stored) on every image of a simulated set from the other "
              "generator, at seeds none of the training sets used." if others else
              "No other generator was available in this checkout (its CLI has no --generator option).")
    card = upsert_section((pack_dir / "MODEL_CARD.md").read_text(), OTHER_SETS_HEADING,
                          other_sets_body(other_reports, other_names, intro), before="## Weight quantization")
    _write_pack(pack_dir, manifest, card)
    measured["evaluation on other test sets"] = (time.time() - t) / 60

    t = time.time()
    demo = jobs.wait("demo")
    gate = ["input-gate", "--pack", str(pack_dir), "--phantoms", str(training_set.out), "--demo", str(demo.out),
            "--data", str(o.data), "--results", str(results_dir), "--cache", str(o.cache / "input-gate"),
            "--seed", str(o.seed), "--threads", str(torch.get_num_threads()), "--no-verify"]
    for opt in gate_sets:
        gate += [opt, str(jobs.wait(f"gate{opt}").out)]
    if o.gate_required_pass is not None:
        gate += ["--required-pass", str(o.gate_required_pass)]
    run_training_command(gate + (["--features-from", *o.gate_features_from] if o.gate_features_from else []),
                         o.run_dir / "input-gate.log", log)
    measured["input checks"] = (time.time() - t) / 60

    t = time.time()
    finder_run = o.run_dir / "node-finder"
    run_training_command(["train-node-finder", "--busi", str(busi), "--ddti", str(ddti), "--phantoms",
                          str(training_set.out), "--size", str(o.finder_size), "--minutes", str(plan.finder_minutes),
                          "--seed", str(o.seed), "--out", str(finder_run)], o.run_dir / "node-finder.log", log)
    run_training_command(["export-node-finder", "--run", str(finder_run), "--pack", str(pack_dir)],
                         o.run_dir / "node-finder-export.log", log)
    finder_results = o.results_root / "node-finder"
    finder_results.mkdir(parents=True, exist_ok=True)
    for f in ("metrics.json", "train.json", "golden-cases.json"):
        if (finder_run / f).exists():
            shutil.copyfile(finder_run / f, finder_results / f)
    measured["node finder"] = (time.time() - t) / 60

    measured["phantoms"] = sum(s.seconds for s in sets) / 60  # Node time, in the background (0: reused sets)
    t = time.time()
    _finalise(pack_dir, results_dir, timings_record(o, plan, keys, measured, time.time() - t_all))
    verify_golden(pack_dir / "manifest.json")
    dest = o.models_dir / PACK_ID
    old = o.models_dir / f".{PACK_ID}.replaced"
    o.models_dir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(old, ignore_errors=True)
    if dest.exists():
        dest.rename(old)
    shutil.move(str(pack_dir), str(dest))
    shutil.rmtree(old, ignore_errors=True)
    update_index(o.models_dir, PACK_ID, TITLE)
    measured["final verification + index"] = (time.time() - t) / 60
    # The last step's own time and the total go in after it: the card and hashes are rewritten (no
    # weights change, so the verification above still holds for every model file).
    timings = timings_record(o, plan, keys, measured, time.time() - t_all)
    manifest = _finalise(dest, results_dir, timings)
    log(f"[rebuild] done in {timings['minutes']:.1f} min (plan {timings['estimateMinutes']:.1f} min): {dest}")
    return manifest


def pack_text(o: RebuildOptions, plan: Plan, generator: int, provenance: dict, n_test: dict[str, int],
              others: list[int], stage1: dict, command: str) -> PackText:
    e1, e2 = plan.stage1_epochs, plan.stage2_epochs
    return PackText(
        id=PACK_ID, title=TITLE, disclaimer=DISCLAIMER, intended_use=INTENDED_USE, version=PACK_VERSION,
        license="Apache-2.0 (weights and code). Stage-1 data: BUSI (CC BY 4.0), DDTI (research use).",
        dataset=f"Simulated cervical lymph nodes (LymphScope phantoms v{generator}, {o.per_class} per class, "
                f"seed {o.phantom_seed}), held-out test split",
        data_text=(
            f"Stage 1: BUSI (Al-Dhabyani et al., Data in Brief 2020; 780 breast images, 3 classes) and DDTI "
            f"(Pedraza et al., SPIE 2015; thyroid crops, TI-RADS ≥4 vs ≤3, rows without TI-RADS left out), one "
            f"shared ResNet-18 backbone with one head per data set, from random initialisation, {_n(e1, 'epoch')} at "
            f"{o.stage1_size} px. Stage 2 (stage 1 → stage 2): LymphScope phantoms, generator v{generator} "
            f"({o.per_class} simulated nodes per class, seed {o.phantom_seed}; 2d → bmode, cdfi → cdfi, elastic → "
            f"elastography), one ResNet-18 per modality initialised from the stage-1 backbone (stem and layer1 "
            f"frozen), new 3-class head, {e2} epochs at 224 px, AdamW with cosine schedule, ultrasound augmentation "
            "(small affine, gain/contrast/gamma, horizontal flips; no vertical flips, no blur). Temperature fitted "
            "on the validation split (LBFGS on NLL). Epochs sized by the rebuild's time plan (see Timings)."),
        split_text=(
            "70/15/15 train/val/test, stratified, grouped by case id across modalities and by near-duplicate "
            f"groups ({NearDuplicateRule().describe()}); test n per modality {n_test}. Split files and every test "
            f"prediction (test-predictions.json): training/results/{PACK_ID}/."),
        limitations=limitations(o, plan, generator, n_test, others, stage1),
        training={
            "summary": f"Stage 1 pre-training on BUSI + DDTI ({e1} epochs, {o.stage1_size} px), stage 2 fine-tuning "
                       f"per modality on simulated lymph nodes ({e2} epochs, 224 px)",
            "variant": "pretrained",
            "datasets": ["BUSI (Al-Dhabyani et al. 2020)", "DDTI (Pedraza et al. 2015)",
                         f"LymphScope phantoms v{generator} ({o.per_class}/class, seed {o.phantom_seed})"],
            "seed": o.seed, "phantomSeed": o.phantom_seed, "stage1Epochs": e1, "stage1ImageSize": o.stage1_size,
            "stage2Epochs": e2, "phantomGenerator": {**provenance, "requested": o.generator},
            "trainingCode": _clean("training"), "split": f"training/results/{PACK_ID}/split-stage2.json",
            "predictions": f"training/results/{PACK_ID}/test-predictions.json", "command": command,
        },
    )


def timings_record(o: RebuildOptions, plan: Plan, keys: list[str], measured: dict[str, float],
                   total_seconds: float | None) -> dict:
    """timings.json and the card's Timings table: exactly these keys, one row per step of `keys`."""
    return {"budgetMinutes": o.budget_minutes, "threads": plan.speed.threads, "speed": plan.speed.record(),
            "estimateMinutes": plan.total, "minutes": None if total_seconds is None else round(total_seconds / 60, 1),
            "steps": {k: {"estimateMinutes": plan.estimates[k],
                          "minutes": round(measured[k], 1) if k in measured else None} for k in keys}}


def _write_pack(pack_dir: Path, manifest: dict, card: str) -> None:
    (pack_dir / "MODEL_CARD.md").write_text(card)
    manifest["files"] = list_files(pack_dir)  # the card changed: its size and hash
    (pack_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


def _finalise(pack_dir: Path, results_dir: Path, timings: dict) -> dict:
    """Timings into the card, results/timings.json and results/metrics.json; hashes recomputed."""
    manifest = json.loads((pack_dir / "manifest.json").read_text())
    card = upsert_section((pack_dir / "MODEL_CARD.md").read_text(), TIMINGS_HEADING, timings_body(timings),
                          before="## Limitations")
    _write_pack(pack_dir, manifest, card)
    (results_dir / "timings.json").write_text(json.dumps(timings, indent=1) + "\n")
    metrics = json.loads((results_dir / "metrics.json").read_text())
    metrics["timings"] = timings
    (results_dir / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
    return manifest
