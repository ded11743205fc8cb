"""Runs the app's own loading path (scripts/pack-logits.ts under Node + TF.js) on a pack."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from ..cli_common import REPO


def node_pack_logits(manifest: Path, *args: str, timeout: int = 600) -> tuple[int, dict]:
    cmd = ["npx", "--no-install", "tsx", "scripts/pack-logits.ts", str(Path(manifest).resolve()), *args]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    try:
        out = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"pack-logits failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}") from None
    return proc.returncode, out


def verify_golden(manifest: Path) -> dict:
    """Loads the pack with TF.js (sha256/size checked) and reproduces every golden case.
    Raises unless all are within tolerance; returns the worst excess per modality."""
    rc, out = node_pack_logits(manifest, "--golden")
    worst: dict[str, float] = {}
    for r in out["golden"]:
        worst[r["modality"]] = max(worst.get(r["modality"], float("-inf")), r["excess"])
    if rc != 0:
        raise RuntimeError(f"golden logits not reproduced by TF.js ({out['backend']}): {worst}")
    return {"backend": out["backend"], "worstExcess": worst, "cases": len(out["golden"])}


def require_node() -> None:
    """The TF.js check runs the app's loader under Node: it needs `npx` and the npm dependencies
    (`npm ci` once in the repository). Said up front instead of as a failed subprocess."""
    import shutil

    from ..cli_common import UserError

    if shutil.which("npx") is None:
        raise UserError("the TF.js verification needs Node.js (npx not found); install Node 20+, run `npm ci` in "
                        f"{REPO}, or pass --no-verify")
    if not (REPO / "node_modules" / "@tensorflow" / "tfjs").is_dir() or not (REPO / "node_modules" / "tsx").is_dir():
        raise UserError(f"the TF.js verification needs the npm dependencies: run `npm ci` once in {REPO} "
                        "(or pass --no-verify)")
