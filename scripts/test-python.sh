#!/usr/bin/env bash
# Python checks of the training and export pipeline, run by `npm test`: flake8 and mypy (Debian's
# packages; configuration in setup.cfg), then the tests (training/tests).
# Uses Debian's Python with PyTorch; override with PYTHON=/path/to/python3.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-/usr/bin/python3}"
if ! "$PY" -c 'import torch, torchvision, pytest, jsonschema, sklearn, flake8, mypy' >/dev/null 2>&1; then
  echo "error: $PY cannot import torch, torchvision, pytest, jsonschema, sklearn, flake8 and mypy." >&2
  echo "Install them, e.g. on Debian/Ubuntu: sudo apt-get install python3-torch python3-torchvision python3-pytest" \
    "python3-jsonschema python3-sklearn flake8 mypy python3-typeshed" >&2
  echo "(or set PYTHON to an interpreter that has them)." >&2
  exit 1
fi
echo "flake8 training/"
"$PY" -m flake8 training
echo "mypy training/"
"$PY" -m mypy
exec "$PY" -m pytest training/tests -q "$@"
