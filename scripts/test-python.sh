#!/usr/bin/env bash
# Python tests of the training and export pipeline (training/tests), run by `npm test`.
# Uses Debian's Python with PyTorch; override with PYTHON=/path/to/python3.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-/usr/bin/python3}"
if ! "$PY" -c 'import torch, torchvision, pytest' >/dev/null 2>&1; then
  echo "error: $PY cannot import torch, torchvision and pytest." >&2
  echo "Install them, e.g. on Debian/Ubuntu: sudo apt-get install python3-torch python3-torchvision python3-pytest" >&2
  echo "(or set PYTHON to an interpreter that has them)." >&2
  exit 1
fi
exec "$PY" -m pytest training/tests -q "$@"
