#!/usr/bin/env bash
# The GPU checks of issues 4 and 5, as one short script for a session lent a GPU (device time is scarce:
# about 15 minutes in all). Run from the repository root: bash benchmarks/gpu_checks.sh [quick]
# Writes benchmarks/results/{vision_throughput_cuda,cifar10_speedrun,ptb_gpu}.json and prints their tables.
set -euo pipefail
cd "$(dirname "$0")/.."
nvidia-smi --query-gpu=name,memory.total --format=csv || true
if [ ! -x .venv/bin/python ]; then
  # A CUDA build of torch: the CPU wheel of scripts/setup.sh would not see the GPU.
  python3 -m venv .venv && .venv/bin/pip install -q torch && .venv/bin/pip install -q -e .
fi
PY=.venv/bin/python
$PY -c "import torch; assert torch.cuda.is_available(), 'no CUDA device visible to torch'"
# 1. bf16 and channels_last: training images/s per architecture (about a minute).
$PY benchmarks/vision_throughput.py --device cuda --batch-size 512 --steps 30 --rounds 3 --threads 8
# 2. CIFAR-10 with the named fast recipe: time to 94% (airbench94: 3.8 s on an A100).
$PY benchmarks/cifar10.py --recipe speedrun --threads 8
if [ "${1:-}" = "quick" ]; then exit 0; fi
# 3. PTB with the paper's full-size AWD-LSTM (400/1150/3, full softmax) for a fixed budget; paper: 57.3 (52.8 cache).
$PY benchmarks/ptb.py --minutes 5 --emb 400 --hidden 1150 --layers 3 --batch-size 80 --softmax full --lr 3e-3 --threads 8 --name ptb_gpu
