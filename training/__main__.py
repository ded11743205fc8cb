"""Command line: `/usr/bin/python3 -m training <command> ...` (see training/README.md).

  validate-data         check a training folder or CSV and name every problem (no training)
  stage1                pre-train a backbone on BUSI + DDTI (public ultrasound)
  train-pack            fine-tune one model per modality on your data and write a model pack
  import                convert a torchvision ResNet-18/34/50 checkpoint into a pack modality
  rebuild-default-pack  rebuild the bundled demonstration pack end to end
  train-node-finder     train + evaluate the node/lesion finder (BUSI, DDTI, phantom masks)
  export-node-finder    add a trained node finder to a pack (TF.js model, parity check, model card)
  input-gate            train and measure a pack's input checks (docs/input-checks.md)
  int8-calibrate        calibrate a pack's int8 compute and measure its AUC change (docs/model-pack.md)

`<command> --help` lists its options with their defaults and examples.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .cli_common import CACHE, DEFAULT_SEED, REPO, RESULTS, RUNS, SHARED_DATA, UserError
from .modalities import MODALITY_IDS

MODALITY_CHOICES = MODALITY_IDS
PY = "/usr/bin/python3 -m training"


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Shows each option's default (where it has one and the help does not already say it) and keeps
    the examples' line breaks."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        d = action.default
        if d not in (None, False, argparse.SUPPRESS) and "default" not in text and action.option_strings:
            text += f" (default: {d})"
        return text.strip()


def _classes(a: argparse.Namespace, data_root: Path | None) -> list[str]:
    from .data import read_classes_file

    if a.classes:
        return [c.strip() for c in a.classes.split(",") if c.strip()]
    if a.classes_file:
        return read_classes_file(a.classes_file)
    if data_root is not None and (data_root / "classes.txt").exists():
        return read_classes_file(data_root / "classes.txt")
    raise UserError("give the class order: --classes a,b,c or --classes-file FILE "
                    "(or put classes.txt in the data root)")


def _rule(a: argparse.Namespace):
    from .dedup import NearDuplicateRule

    return NearDuplicateRule(phash=a.hash_threshold, dhash=a.dhash_threshold)


def _validated(a: argparse.Namespace, log=print):
    """Data root, classes, samples per modality and a description of the grouping, after the
    up-front check (validate.py); raises ValidationFailed listing every problem."""
    from .grouping import compile_pattern
    from .validate import validate_csv, validate_folder

    if getattr(a, "csv", None):
        if a.patient_pattern:
            raise UserError("--patient-pattern applies to the folder layout; a CSV gives patients in its group column")
        root = Path(a.csv).resolve().parent
        classes = _classes(a, None)
        if a.modality and len(a.modality) > 1:
            raise UserError("with --csv give at most one --modality (or a modality column in the CSV)")
        report = validate_csv(a.csv, classes, a.modality[0] if a.modality else None)
        grouping = "patient id (CSV group column; else case id)"
    else:
        root = Path(a.data).resolve()
        classes = _classes(a, root)
        rx = compile_pattern(a.patient_pattern) if a.patient_pattern else None
        report = validate_folder(root, classes, rx, a.modality)
        grouping = (f"patient id read from file names by pattern {a.patient_pattern!r}" if rx is not None
                    else "case id (file stem, shared across modalities)")
    log(report.text())
    report.raise_if_failed()
    return root, classes, report.samples, grouping


def cmd_validate(a: argparse.Namespace) -> None:
    _validated(a)


def cmd_stage1(a: argparse.Namespace) -> None:
    from .distributed import setup_runtime, teardown
    from .stage1 import run_stage1

    for name, path in (("--busi", a.busi), ("--ddti", a.ddti)):
        if not (Path(path) / "labels.csv").is_file():
            raise UserError(f"{name} {path}: no labels.csv there (see ../shared/data/README.md for the layout)")
    rt = setup_runtime()
    run_stage1(a.busi, a.ddti, Path(a.out), rt, a.epochs, a.image_size, a.seed, a.arch, _rule(a), CACHE)
    teardown(rt)


def _backbone(a: argparse.Namespace) -> Path | None:
    if not a.backbone:
        return None
    if not Path(a.backbone).is_file():
        raise UserError(f"--backbone {a.backbone}: no such file (run the stage1 command first, or omit it)")
    return Path(a.backbone)


def cmd_stage2(a: argparse.Namespace) -> None:
    from .distributed import setup_runtime, teardown
    from .stage2 import run_stage2

    root, classes, samples, grouping = _validated(a)
    rt = setup_runtime()
    run_stage2(root, samples, classes, _backbone(a), Path(a.out), rt, a.epochs, a.seed, a.arch, _rule(a),
               Path(a.split) if a.split else None, CACHE, grouping=grouping)
    teardown(rt)


def cmd_train_pack(a: argparse.Namespace) -> None:
    from .distributed import setup_runtime, teardown
    from .export.build_pack import export_trained_pack, trained_pack_text, update_index
    from .stage2 import run_stage2

    root, classes, samples, grouping = _validated(a)
    backbone = _backbone(a)
    rt = setup_runtime()
    run_dir = Path(a.run_dir or RUNS / a.pack_id)
    t0 = time.time()
    results, fused = run_stage2(root, samples, classes, backbone, run_dir, rt, a.epochs, a.seed, a.arch, _rule(a),
                                cache_dir=CACHE, grouping=grouping)
    if rt.is_main:
        text = trained_pack_text(a, root, run_dir, results, backbone, grouping, _rule(a).describe())
        out = Path(a.out)
        timings = {"training + evaluation": f"{(time.time() - t0) / 60:.1f} min"}
        for r in results:
            timings[f"stage 2 {r.modality} training"] = f"{r.seconds / 60:.1f} min"
        export_trained_pack(out / a.pack_id, text, [{"id": c, "label": c.capitalize()} for c in classes], results,
                            fused, Path(a.results or RESULTS / a.pack_id), timings=timings, arch=a.arch)
        update_index(out, a.pack_id, a.title, make_default=a.make_default)
    teardown(rt)


def cmd_import(a: argparse.Namespace) -> None:
    from .importer import import_checkpoint

    classes = _classes(a, None)
    import_checkpoint(a.checkpoint, a.modality, classes, Path(a.out) / a.pack_id, a.pack_id, a.title, a.dtype,
                      a.temperature, a.golden, a.arch, verify=not a.no_verify)
    if a.add_to_index:
        from .export.build_pack import update_index

        update_index(Path(a.out), a.pack_id, a.title, make_default=False)
    checked = "verified it with TF.js" if not a.no_verify else "did NOT verify it (--no-verify)"
    print(f"wrote {Path(a.out) / a.pack_id / 'manifest.json'} ({a.modality}) and {checked}")


def cmd_rebuild(a: argparse.Namespace) -> None:
    from .default_pack import RebuildOptions, rebuild_default_pack, smoke_options
    from .distributed import setup_runtime, teardown

    o = RebuildOptions(
        per_class=a.per_class, generator=a.generator, phantom_seed=a.phantom_seed, seed=a.seed,
        stage1_size=a.stage1_size, stage1_epochs=a.stage1_epochs, stage2_epochs=a.epochs,
        budget_minutes=a.budget_minutes or None, ablation=not a.no_ablation, ablation_modalities=a.ablation_modality,
        finder_minutes=a.finder_minutes, eval_per_class=a.eval_per_class, gate_features_from=a.features_from,
        data=Path(a.data), plan_only=a.plan_only)
    if a.smoke:
        o = smoke_options(o)
    for attr, value in (("run_dir", a.run_dir), ("models_dir", a.out), ("results_root", a.results),
                        ("cache", a.cache)):
        if value:
            setattr(o, attr, Path(value))
    rt = setup_runtime()
    rebuild_default_pack(rt, o)
    teardown(rt)


def cmd_attach_ablation(a: argparse.Namespace) -> None:
    from .export.ablation import attach_ablation
    from .export.verify import verify_golden

    pack = Path(a.pack)
    attach_ablation(pack, Path(a.run), Path(a.results) if a.results else None)
    verify_golden(pack / "manifest.json")
    print(f"ablation from {a.run} attached to {pack}; pack re-verified")


EXAMPLES = {
    "validate-data": f"""examples:
  {PY} validate-data --data mydata                      # classes from mydata/classes.txt
  {PY} validate-data --data mydata --patient-pattern '{{patient}}-*'   # 171-3.jpg -> patient 171
  {PY} validate-data --csv list.csv --classes metastatic,lymphoma,benign

Exit status: 0 data OK, 2 data refused (every problem is listed with its file).""",
    "stage1": f"""examples:
  {PY} stage1                                   # BUSI + DDTI from ../shared/data
  {PY} stage1 --epochs 2 --image-size 128 --out /tmp/stage1-quick""",
    "stage2": f"""examples:
  {PY} stage2 --data mydata --out training/runs/mydata-s2 --backbone training/runs/stage1/backbone.pt""",
    "train-pack": f"""examples:
  {PY} train-pack --data mydata --pack-id myhospital-r18 --title "My hospital ResNet-18" \\
      --backbone training/runs/stage1/backbone.pt --patient-pattern '{{patient}}-*'
  {PY} train-pack --csv list.csv --classes metastatic,lymphoma,benign --pack-id h-r18 --title "H"

The data are checked first (as validate-data does); training starts only when they pass.""",
    "import": f"""examples:
  {PY} import --checkpoint bmode_resnet18.pth --modality bmode \\
      --classes metastatic,lymphoma,benign --pack-id cv4ln-r18 --title "CV4LymphNode ResNet-18" --add-to-index
  {PY} import ... --golden crop1.jpg crop2.png       # golden logits for your own crops

The pack is written to a temporary folder, verified with TF.js (needs the Node dependencies:
`npm ci` once), then moved into place; on any failure the existing pack is left as it was.""",
    "rebuild-default-pack": f"""examples:
  {PY} rebuild-default-pack                     # everything, sized to 90 minutes on this machine
  {PY} rebuild-default-pack --plan-only         # the measured speed and the per-step plan, nothing else
  {PY} rebuild-default-pack --smoke             # every step at a tiny scale, into a temporary folder
  {PY} rebuild-default-pack --budget-minutes 0 --stage1-epochs 12 --epochs 4   # fixed epochs, no budget

Writes public/models/lymphscope-demo-r18/ (only once every step passed), training/results/
lymphscope-demo-r18/ (metrics, splits, timings.json, test-predictions.json, input-check.json) and
training/results/node-finder/. Training steps resume from their checkpoints in --run-dir.""",
    "attach-ablation": f"""examples:
  {PY} attach-ablation                          # the default pack and run folders""",
    "input-gate": f"""examples:
  npm run phantoms -- --out /tmp/ph --per-class 200 --seed 2025 --full
  npm run phantoms -- --out /tmp/demo --per-class 12 --seed 500000
  npm run phantoms -- --out /tmp/gen --per-class 200 --seed 300000
  npm run phantoms -- --out /tmp/dev --per-class 100 --seed 700000
  npm run phantoms -- --out /tmp/fresh --per-class 100 --seed 900000
  {PY} input-gate --phantoms /tmp/ph --demo /tmp/demo --generator /tmp/gen --development /tmp/dev --fresh /tmp/fresh
  {PY} input-gate --phantoms /tmp/ph --demo /tmp/demo --features-from cdfi=bmode   # CDFI checked on B-mode features

Writes <modality>/input-check.json into the pack, recomputes the manifest's hashes, writes the
measurements to training/results/<pack>/input-check.json and the model card (docs/input-checks.md).""",
}


def cmd_train_finder(a: argparse.Namespace) -> None:
    from .finder.cli import train_command

    train_command(a)


def cmd_export_finder(a: argparse.Namespace) -> None:
    from .finder.cli import export_command

    export_command(a)


def _share(text: str) -> float:
    """A share in (0, 1] for argparse (a clean message, no traceback)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < v <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not a share in (0, 1]")
    return v


def cmd_input_gate(a: argparse.Namespace) -> None:
    import torch

    from .export.verify import verify_golden
    from .input_gate_run import run_input_gate

    torch.set_num_threads(a.threads)
    pack = Path(a.pack)
    extractors = dict(pair.split("=", 1) for pair in a.features_from)
    run_input_gate(pack, Path(a.phantoms), Path(a.demo), Path(a.data), Path(a.results), Path(a.cache), a.seed,
                   extractors, generator=Path(a.generator) if a.generator else None,
                   fresh=Path(a.fresh) if a.fresh else None,
                   development=Path(a.development) if a.development else None,
                   required_pass=a.required_pass)
    if not a.no_verify:
        print(f"pack re-verified: {verify_golden(pack / 'manifest.json')}")


def cmd_int8(a: argparse.Namespace) -> None:
    import torch

    from .int8_run import run

    torch.set_num_threads(a.threads)
    run(Path(a.pack), Path(a.data), Path(a.split), Path(a.out), a.modalities or None, a.data_note)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python3 -m training", description=__doc__, formatter_class=_HelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    def parser(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=help, epilog=EXAMPLES.get(name),
                              formatter_class=_HelpFormatter)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--seed", type=int, default=DEFAULT_SEED, help="split and training seed")
        sp.add_argument("--arch", default="resnet18", choices=("resnet18", "resnet34", "resnet50"))
        near_duplicates(sp)

    def near_duplicates(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--hash-threshold", type=int, default=12,
                        help="near-duplicates: max pHash-64 Hamming distance (see training/dedup.py)")
        sp.add_argument("--dhash-threshold", type=int, default=9,
                        help="near-duplicates: max dHash-64 Hamming distance (-1: pHash only)")

    def data_source(sp: argparse.ArgumentParser, csv: bool = True) -> None:
        src = sp.add_mutually_exclusive_group(required=True) if csv else sp
        src.add_argument("--data", required=not csv,
                         help="folder <root>/<2d|bmode|cdfi|elastic|elastography>/<class index>/<image> "
                              "(the seed study's layout; PNG, JPEG, BMP or WebP)")
        if csv:
            src.add_argument("--csv", help="CSV with columns path,label[,group][,modality][,case]; group = patient id")
        sp.add_argument("--modality", action="append", choices=MODALITY_CHOICES,
                        help="use only this modality (repeatable; default: every modality folder found)")
        sp.add_argument("--classes", help="class ids in logit order, comma-separated (default: <data>/classes.txt)")
        sp.add_argument("--classes-file", help="file with one class id per line, in logit order")
        sp.add_argument("--patient-pattern",
                        help="read the patient id from each file name: '{patient}-*' reads 171-3.jpg as 171; "
                             "'#' = digits, '*' = anything; or a regex with one capture group; or "
                             "before-last-dash / before-last-underscore. Check it with validate-data first "
                             "(default: each file name is its own patient)")

    vd = parser("validate-data", "check a training folder or CSV and name every problem with its file")
    data_source(vd)
    vd.set_defaults(fn=cmd_validate)

    s1 = parser("stage1", "pre-train a backbone on BUSI + DDTI (public ultrasound)")
    s1.add_argument("--busi", default=str(SHARED_DATA / "busi"), help="BUSI folder with labels.csv")
    s1.add_argument("--ddti", default=str(SHARED_DATA / "ddti"), help="DDTI folder with labels.csv")
    s1.add_argument("--out", default=str(RUNS / "stage1"), help="run folder (resumes from its checkpoint)")
    s1.add_argument("--epochs", type=int, default=12)
    s1.add_argument("--image-size", type=int, default=160, help="training resolution in pixels")
    common(s1)
    s1.set_defaults(fn=cmd_stage1)

    s2 = parser("stage2", "fine-tune and evaluate per modality, without writing a pack")
    data_source(s2, csv=False)
    s2.add_argument("--backbone", help="stage-1 backbone.pt (omit: from scratch, as in the ablation)")
    s2.add_argument("--split", help="reuse this split.json (e.g. the pretrained run's, for the ablation)")
    s2.add_argument("--epochs", type=int, default=8)
    s2.add_argument("--out", required=True, help="run folder (resumes from its checkpoints)")
    common(s2)
    s2.set_defaults(fn=cmd_stage2)

    tp = parser("train-pack", "fine-tune per modality on a folder or CSV and write a verified pack")
    data_source(tp)
    tp.add_argument("--backbone", help="stage-1 backbone.pt (omit to train from scratch)")
    tp.add_argument("--epochs", type=int, default=8)
    tp.add_argument("--pack-id", required=True, help="folder name of the pack under --out")
    tp.add_argument("--title", required=True, help="title shown in the app")
    tp.add_argument("--out", default=str(REPO / "public" / "models"), help="models folder holding index.json")
    tp.add_argument("--run-dir", help="checkpoints and split (default: training/runs/<pack-id>)")
    tp.add_argument("--results", help="metrics folder (default: training/results/<pack-id>)")
    tp.add_argument("--make-default", action="store_true", help="make it the app's default pack")
    tp.add_argument("--disclaimer", default="Research model. Not for diagnosis unless validated by your institution.")
    tp.add_argument("--intended-use", default="Research and evaluation at the institution that trained it.")
    tp.add_argument("--license", default="Proprietary to the training institution.")
    tp.add_argument("--limitations", help="extra Limitations text for the model card (the card always lists "
                                          "the ones the pipeline knows)")
    common(tp)
    tp.set_defaults(fn=cmd_train_pack)

    im = parser("import", "convert a torchvision ResNet checkpoint into one modality of a pack")
    im.add_argument("--checkpoint", required=True, help="state_dict, whole pickled model or training checkpoint")
    im.add_argument("--modality", required=True, choices=MODALITY_CHOICES)
    im.add_argument("--classes", help="class ids in the checkpoint's logit order, comma-separated (required, or "
                                      "--classes-file)")
    im.add_argument("--classes-file")
    im.add_argument("--pack-id", required=True)
    im.add_argument("--title", required=True)
    im.add_argument("--out", default=str(REPO / "public" / "models"), help="models folder")
    im.add_argument("--dtype", default="float16", choices=("float32", "float16", "uint8"), help="weight encoding")
    im.add_argument("--temperature", type=float, default=1.0, help="calibration temperature (1: none)")
    im.add_argument("--golden", nargs="*", help="crops (PNG, JPEG, BMP, WebP) to store golden logits for; stored as "
                                                "PNG (default: a generated speckle image)")
    im.add_argument("--arch", choices=("resnet18", "resnet34", "resnet50"), help="default: inferred from the keys")
    im.add_argument("--add-to-index", action="store_true", help="list the pack in <out>/index.json")
    im.add_argument("--no-verify", action="store_true", help="skip the TF.js check (not recommended)")
    im.set_defaults(fn=cmd_import)

    rb = parser("rebuild-default-pack", "the bundled pack end to end: phantoms → stage 1 → stage 2 ×3 → ablation → "
                                        "export → other test sets → input checks → node finder → verify")
    rb.add_argument("--budget-minutes", type=float, default=90.0,
                    help="size the epochs (where not given) and the node finder's training to fit this wall-clock "
                         "budget, from the speed measured at the start; 0: no budget")
    rb.add_argument("--plan-only", action="store_true", help="print the time plan and stop")
    rb.add_argument("--generator", type=int, default=2, choices=(1, 2),
                    help="phantom generator version (npm run phantoms -- --generator N); the other one gives the "
                         "'other test set'")
    rb.add_argument("--per-class", type=int, default=500, help="phantom cases per class")
    rb.add_argument("--phantom-seed", type=int, default=2025)
    rb.add_argument("--seed", type=int, default=DEFAULT_SEED)
    rb.add_argument("--stage1-epochs", type=int, help="default: sized by the budget")
    rb.add_argument("--stage1-size", type=int, default=224)
    rb.add_argument("--epochs", type=int,
                    help="stage-2 (and ablation) epochs per modality (default: sized by the budget)")
    rb.add_argument("--no-ablation", action="store_true", help="skip stage 2 from scratch (the ablation)")
    rb.add_argument("--ablation-modality", action="append", choices=MODALITY_CHOICES,
                    help="limit the ablation to these modalities (default: all three)")
    rb.add_argument("--finder-minutes", type=float, help="node finder training minutes (default: sized by the budget)")
    rb.add_argument("--eval-per-class", type=int, default=50, help="cases per class of the other generator's test set")
    rb.add_argument("--features-from", nargs="*", default=[], metavar="SLOT=MODALITY",
                    help="input checks: compute SLOT's features with MODALITY's model (as input-gate)")
    rb.add_argument("--data", default=str(SHARED_DATA), help="folder holding busi/ and ddti/")
    rb.add_argument("--run-dir", help=f"checkpoints and logs (default: {RUNS / 'default'}; --smoke: temporary)")
    rb.add_argument("--out", help="models folder holding index.json (default: public/models; --smoke: temporary)")
    rb.add_argument("--results", help=f"results folder (default: {RESULTS}; --smoke: temporary)")
    rb.add_argument("--cache", help=f"phantoms and decoded images (default: {CACHE}; --smoke: temporary)")
    rb.add_argument("--smoke", action="store_true",
                    help="every step at a tiny scale (10 cases/class, 1 epoch, small sizes) into a temporary folder "
                         "(never public/models): checks the command, not the pack")
    rb.set_defaults(fn=cmd_rebuild)

    ab = parser("attach-ablation", "add finished from-scratch runs to an exported pack's metrics")
    ab.add_argument("--pack", default=str(REPO / "public" / "models" / "lymphscope-demo-r18"))
    ab.add_argument("--run", default=str(RUNS / "default" / "stage2-scratch"))
    ab.add_argument("--results", default=str(RESULTS / "lymphscope-demo-r18"))
    ab.set_defaults(fn=cmd_attach_ablation)

    from .finder.cli import add_export_parser, add_train_parser

    add_train_parser(sub).set_defaults(fn=cmd_train_finder)
    add_export_parser(sub).set_defaults(fn=cmd_export_finder)
    ig = parser("input-gate", "train and measure a pack's input checks")
    ig.add_argument("--pack", default=str(REPO / "public" / "models" / "lymphscope-demo-r18"))
    ig.add_argument("--phantoms", required=True, help="npm run phantoms -- --full output, seeds as the pack's split")
    ig.add_argument("--demo", required=True, help="npm run phantoms output at seeds the pack never saw (demo cases)")
    ig.add_argument("--generator", help="npm run phantoms output at other seeds than the pack's and the demo "
                    "cases': gate training, statistics and calibration over the generator's range")
    ig.add_argument("--fresh", help="npm run phantoms output at yet other seeds: a larger unseen demo-case set "
                    "(evaluation only)")
    ig.add_argument("--development", help="npm run phantoms output at yet other seeds that design choices were "
                    "checked on (reported apart from --fresh)")
    ig.add_argument("--data", default=str(SHARED_DATA))
    ig.add_argument("--results", default=str(RESULTS / "lymphscope-demo-r18"))
    ig.add_argument("--cache", default=str(CACHE / "input-gate"))
    ig.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ig.add_argument("--threads", type=int, default=2)
    ig.add_argument("--features-from", nargs="*", default=[], metavar="SLOT=MODALITY",
                    help="compute SLOT's features with MODALITY's model (default: the slot's own), e.g. cdfi=bmode")
    ig.add_argument("--no-verify", action="store_true")
    ig.add_argument("--required-pass", type=_share, default=0.95,
                    help="share of in-distribution calibration images that must pass, else the command refuses "
                         "(default: %(default)s; lower it only for smoke runs of tiny, barely trained packs)")
    ig.set_defaults(fn=cmd_input_gate)
    q8 = parser("int8-calibrate", "calibrate a pack's int8 compute on the validation split, measure test ΔAUC")
    q8.add_argument("--pack", default=str(REPO / "public" / "models" / "lymphscope-demo-r18"))
    q8.add_argument("--data", required=True, help="the pack's stage-2 data folder (npm run phantoms for the demo pack)")
    q8.add_argument("--split", default=str(RESULTS / "lymphscope-demo-r18" / "split-stage2.json"))
    q8.add_argument("--out", default=str(RESULTS / "lymphscope-demo-r18" / "int8.json"))
    q8.add_argument("--modalities", nargs="*", choices=MODALITY_CHOICES, default=[])
    q8.add_argument("--data-note", default="", help="what the data folder is, for the results file")
    q8.add_argument("--threads", type=int, default=2)
    q8.set_defaults(fn=cmd_int8)

    for sp in sub.choices.values():  # options without help text still show their default
        for action in sp._actions:
            if action.help is None and action.default not in (None, False):
                action.help = "(default: %(default)s)"
    a = p.parse_args(argv)
    try:
        a.fn(a)
    except UserError as e:
        # The user's data or arguments, not a bug: the message names the file; no traceback.
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
