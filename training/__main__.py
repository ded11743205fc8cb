"""Command line: `/usr/bin/python3 -m training <command> ...` (see training/README.md).

  stage1                pre-train a backbone on BUSI + DDTI (public ultrasound)
  train-pack            fine-tune one model per modality on your data and write a model pack
  import                convert a torchvision ResNet-18/34/50 checkpoint into a pack modality
  rebuild-default-pack  rebuild the bundled demonstration pack end to end
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from .cli_common import CACHE, DEFAULT_SEED, REPO, RESULTS, RUNS, SHARED_DATA
from .modalities import MODALITY_IDS

MODALITY_CHOICES = MODALITY_IDS


def _classes(a: argparse.Namespace, data_root: Path | None) -> list[str]:
    from .data import read_classes_file

    if a.classes:
        return [c.strip() for c in a.classes.split(",") if c.strip()]
    if a.classes_file:
        return read_classes_file(a.classes_file)
    if data_root is not None and (data_root / "classes.txt").exists():
        return read_classes_file(data_root / "classes.txt")
    raise SystemExit("give the class order: --classes a,b,c or --classes-file FILE "
                     "(or put classes.txt in the data root)")


def cmd_stage1(a: argparse.Namespace) -> None:
    from .distributed import setup_runtime, teardown
    from .stage1 import run_stage1

    rt = setup_runtime()
    run_stage1(a.busi, a.ddti, Path(a.out), rt, a.epochs, a.image_size, a.seed, a.arch, a.hash_threshold, CACHE)
    teardown(rt)


def cmd_stage2(a: argparse.Namespace) -> None:
    from .distributed import setup_runtime, teardown
    from .stage2 import available_modalities, load_lymph_folder, run_stage2

    rt = setup_runtime()
    root = Path(a.data).resolve()
    samples = load_lymph_folder(root, a.modality or available_modalities(root))
    run_stage2(root, samples, _classes(a, root), Path(a.backbone) if a.backbone else None, Path(a.out), rt,
               a.epochs, a.seed, a.arch, a.hash_threshold, Path(a.split) if a.split else None, CACHE)
    teardown(rt)


def cmd_train_pack(a: argparse.Namespace) -> None:
    from .data import load_csv
    from .distributed import setup_runtime, teardown
    from .export.build_pack import PackText, export_trained_pack, update_index
    from .stage2 import available_modalities, load_lymph_folder, run_stage2

    rt = setup_runtime()
    if a.csv:
        if len(a.modality or []) != 1:
            raise SystemExit("with --csv give exactly one --modality")
        root = Path(a.csv).resolve().parent
        classes = _classes(a, None)
        samples = {a.modality[0]: load_csv(a.csv, classes)}
    else:
        root = Path(a.data).resolve()
        classes = _classes(a, root)
        samples = load_lymph_folder(root, a.modality or available_modalities(root))
    run_dir = Path(a.run_dir or RUNS / a.pack_id)
    t0 = time.time()
    results, fused = run_stage2(root, samples, classes, Path(a.backbone) if a.backbone else None, run_dir, rt,
                                a.epochs, a.seed, a.arch, a.hash_threshold, cache_dir=CACHE)
    if rt.is_main:
        text = PackText(
            id=a.pack_id, title=a.title, disclaimer=a.disclaimer, intended_use=a.intended_use, license=a.license,
            dataset=f"{root.name}, held-out test split", data_text=f"Fine-tuned on {root} ({a.epochs} epochs).",
            split_text=f"70/15/15 grouped stratified, seed {a.seed}; see {run_dir / 'split.json'}",
            training={"summary": f"Fine-tuned on {root.name}" + (" from a stage-1 backbone" if a.backbone else ""),
                      "seed": a.seed, "epochs": a.epochs},
        )
        out = Path(a.out)
        minutes = f"{(time.time() - t0) / 60:.1f} min"
        export_trained_pack(out / a.pack_id, text, [{"id": c, "label": c.capitalize()} for c in classes], results,
                            fused, RESULTS / a.pack_id, timings={"training + evaluation": minutes}, arch=a.arch)
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
    print(f"wrote {Path(a.out) / a.pack_id / 'manifest.json'} ({a.modality}) and verified it with TF.js")


def cmd_rebuild(a: argparse.Namespace) -> None:
    from .default_pack import rebuild_default_pack
    from .distributed import setup_runtime, teardown

    rt = setup_runtime()
    rebuild_default_pack(rt, a.per_class, a.phantom_seed, a.seed, a.stage1_epochs, a.stage1_size, a.epochs,
                         a.ablation, a.ablation_modality, Path(a.run_dir))
    teardown(rt)


def cmd_attach_ablation(a: argparse.Namespace) -> None:
    from .export.ablation import attach_ablation
    from .export.verify import verify_golden

    pack = Path(a.pack)
    attach_ablation(pack, Path(a.run), Path(a.results) if a.results else None)
    verify_golden(pack / "manifest.json")
    print(f"ablation from {a.run} attached to {pack}; pack re-verified")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python3 -m training", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--seed", type=int, default=DEFAULT_SEED)
        sp.add_argument("--arch", default="resnet18", choices=("resnet18", "resnet34", "resnet50"))
        sp.add_argument("--hash-threshold", type=int, default=8, help="pHash Hamming distance for near-duplicates")

    s1 = sub.add_parser("stage1", help="pre-train a backbone on BUSI + DDTI")
    s1.add_argument("--busi", default=str(SHARED_DATA / "busi"))
    s1.add_argument("--ddti", default=str(SHARED_DATA / "ddti"))
    s1.add_argument("--out", default=str(RUNS / "stage1"))
    s1.add_argument("--epochs", type=int, default=12)
    s1.add_argument("--image-size", type=int, default=160)
    common(s1)
    s1.set_defaults(fn=cmd_stage1)

    s2 = sub.add_parser("stage2", help="fine-tune and evaluate per modality, without writing a pack")
    s2.add_argument("--data", required=True)
    s2.add_argument("--modality", action="append", choices=MODALITY_CHOICES)
    s2.add_argument("--classes")
    s2.add_argument("--classes-file")
    s2.add_argument("--backbone", help="stage-1 backbone.pt (omit: from scratch, as in the ablation)")
    s2.add_argument("--split", help="reuse this split.json (e.g. the pretrained run's, for the ablation)")
    s2.add_argument("--epochs", type=int, default=8)
    s2.add_argument("--out", required=True)
    common(s2)
    s2.set_defaults(fn=cmd_stage2)

    tp = sub.add_parser("train-pack", help="fine-tune per modality on a folder or CSV and write a pack")
    src = tp.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", help="<root>/<2d|cdfi|elastic>/<class-index>/*.png (CV4LymphNode layout)")
    src.add_argument("--csv", help="CSV with columns path,label[,group] (one modality)")
    tp.add_argument("--modality", action="append", choices=MODALITY_CHOICES)
    tp.add_argument("--classes", help="class ids in logit order, comma-separated")
    tp.add_argument("--classes-file")
    tp.add_argument("--backbone", help="stage-1 backbone.pt (omit to train from scratch)")
    tp.add_argument("--epochs", type=int, default=8)
    tp.add_argument("--pack-id", required=True)
    tp.add_argument("--title", required=True)
    tp.add_argument("--out", default=str(REPO / "public" / "models"))
    tp.add_argument("--run-dir")
    tp.add_argument("--make-default", action="store_true")
    tp.add_argument("--disclaimer", default="Research model. Not for diagnosis unless validated by your institution.")
    tp.add_argument("--intended-use", default="Research and evaluation at the institution that trained it.")
    tp.add_argument("--license", default="Proprietary to the training institution.")
    common(tp)
    tp.set_defaults(fn=cmd_train_pack)

    im = sub.add_parser("import", help="torchvision ResNet checkpoint → pack modality")
    im.add_argument("--checkpoint", required=True)
    im.add_argument("--modality", required=True, choices=MODALITY_CHOICES)
    im.add_argument("--classes", help="class ids in the checkpoint's logit order, comma-separated (required)")
    im.add_argument("--classes-file")
    im.add_argument("--pack-id", required=True)
    im.add_argument("--title", required=True)
    im.add_argument("--out", default=str(REPO / "public" / "models"))
    im.add_argument("--dtype", default="float16", choices=("float32", "float16", "uint8"))
    im.add_argument("--temperature", type=float, default=1.0)
    im.add_argument("--golden", nargs="*", help="PNG crops to store golden logits for (default: a generated image)")
    im.add_argument("--arch", choices=("resnet18", "resnet34", "resnet50"), help="default: inferred from the keys")
    im.add_argument("--add-to-index", action="store_true")
    im.add_argument("--no-verify", action="store_true")
    im.set_defaults(fn=cmd_import)

    rb = sub.add_parser("rebuild-default-pack", help="phantoms → stage 1 → stage 2 ×3 → export → verify")
    rb.add_argument("--per-class", type=int, default=500)
    rb.add_argument("--phantom-seed", type=int, default=2025)
    rb.add_argument("--seed", type=int, default=DEFAULT_SEED)
    rb.add_argument("--stage1-epochs", type=int, default=12)
    rb.add_argument("--stage1-size", type=int, default=160)
    rb.add_argument("--epochs", type=int, default=4, help="stage-2 epochs per modality")
    rb.add_argument("--ablation", action="store_true", help="also train stage 2 from scratch (same split)")
    rb.add_argument("--ablation-modality", action="append", choices=MODALITY_CHOICES,
                    help="limit the ablation to these modalities (default: all three)")
    rb.add_argument("--run-dir", default=str(RUNS / "default"))
    rb.set_defaults(fn=cmd_rebuild)

    ab = sub.add_parser("attach-ablation", help="add finished from-scratch runs to an exported pack's metrics")
    ab.add_argument("--pack", default=str(REPO / "public" / "models" / "lymphscope-demo-r18"))
    ab.add_argument("--run", default=str(RUNS / "default" / "stage2-scratch"))
    ab.add_argument("--results", default=str(RESULTS / "lymphscope-demo-r18"))
    ab.set_defaults(fn=cmd_attach_ablation)

    a = p.parse_args(argv)
    a.fn(a)


if __name__ == "__main__":
    main()
