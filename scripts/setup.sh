#!/usr/bin/env bash
# Create .venv and install trainwell with its dev tools. Safe to run again: it skips what is done.
# The CPU build of torch goes in first (a plain `torch` requirement would pull a multi-gigabyte CUDA build).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
TORCH_VERSION=${TORCH_VERSION:-2.13.0}

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
fi
pip=("$VENV/bin/python" -m pip --disable-pip-version-check)

if ! "$VENV/bin/python" -c "import torch" >/dev/null 2>&1; then
  echo "setup: installing torch $TORCH_VERSION (CPU build)"
  # The CPU wheel index first; where it cannot be reached, a local wheel or PyPI.
  "${pip[@]}" install -q "torch==$TORCH_VERSION" --extra-index-url https://download.pytorch.org/whl/cpu \
      --timeout 15 --retries 0 2>&1 | grep -v '^WARNING: Location' || true
  "$VENV/bin/python" -c "import torch" 2>/dev/null || "${pip[@]}" install -q "torch==$TORCH_VERSION"
fi

stamp="$VENV/.trainwell-installed"
signature=$(cat pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$signature" ]; then
  echo "setup: installing trainwell and its dependencies"
  "${pip[@]}" install -q -e ".[dev]" 2>&1 | grep -v '^WARNING: Location' || true
  "$VENV/bin/python" -c "import trainwell.cli.app" >/dev/null
  echo "$signature" > "$stamp"
fi
