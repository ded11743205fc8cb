"""Command line: `python3 -m training <command> ...` (see training/README.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli_common import CACHE, DEFAULT_SEED, RUNS, SHARED_DATA


def cmd_stage1(a: argparse.Namespace) -> None:
    from .distributed import setup_runtime, teardown
    from .stage1 import run_stage1

    rt = setup_runtime()
    run_stage1(a.busi, a.ddti, Path(a.out), rt, a.epochs, a.image_size, a.seed, a.arch, cache_dir=CACHE)
    teardown(rt)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python3 -m training")
    sub = p.add_subparsers(dest="command", required=True)

    s1 = sub.add_parser("stage1", help="pre-train a backbone on BUSI + DDTI")
    s1.add_argument("--busi", default=str(SHARED_DATA / "busi"))
    s1.add_argument("--ddti", default=str(SHARED_DATA / "ddti"))
    s1.add_argument("--out", default=str(RUNS / "stage1"))
    s1.add_argument("--epochs", type=int, default=24)
    s1.add_argument("--image-size", type=int, default=160)
    s1.add_argument("--arch", default="resnet18")
    s1.add_argument("--seed", type=int, default=DEFAULT_SEED)
    s1.set_defaults(fn=cmd_stage1)

    a = p.parse_args(argv)
    a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
