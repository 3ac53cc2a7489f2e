#!/usr/bin/env bash
# Set up, then train on the embedded UCI Adult sample: metrics table, model directory, training curves.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/trainwell demo "$@"
