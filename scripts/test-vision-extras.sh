#!/usr/bin/env bash
# Run the timm/torchvision tests with the real packages, in a virtual environment of their own (.venv-vision).
# Their wheels need a torch built for CUDA (several GB, even on a CPU machine), which the main environment and CI
# avoid; there tests/vision/test_external_models.py skips. Safe to run again: it skips what is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv-vision}
# Pairs that install together (on x86_64 a CUDA build of torch; on aarch64 a CPU one).
case "$(uname -m)" in
  aarch64|arm64) pair=("torch==2.9.1" "torchvision==0.24.1") ;;
  *) pair=("torch==2.14.1" "torchvision==0.29.1") ;;
esac
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
pip=("$VENV/bin/python" -m pip --disable-pip-version-check)
if ! "$VENV/bin/python" -c "import torchvision, timm" >/dev/null 2>&1; then
  echo "test-vision-extras: installing ${pair[*]} and timm into $VENV (a few GB)"
  "${pip[@]}" install -q "${pair[@]}" timm 2>&1 | grep -v '^WARNING: Location' || true
fi
"${pip[@]}" install -q -e ".[dev]" 2>&1 | grep -v '^WARNING: Location' || true
"$VENV/bin/python" -c "import torch, torchvision, timm; print('torch', torch.__version__, 'torchvision', \
torchvision.__version__, 'timm', timm.__version__)"
exec "$VENV/bin/python" -m pytest -p no:cacheprovider tests/vision/test_external_models.py tests/vision \
  tests/models "$@"
