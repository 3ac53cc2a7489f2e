#!/usr/bin/env bash
# The GPU checks of issues 4 and 5 for a session lent a GPU (device time is scarce: about 15 minutes in all,
# the machine's start included). The device machine reaches no registry and gets no ../shared, so:
#
#   bash benchmarks/gpu_pack.sh          # here, once: copies CIFAR-10 and PTB into .gpu-data/ (21 MB, git-ignored)
#   device run, carry [".gpu-data"]:  bash benchmarks/gpu_checks.sh vision    # about 3.5 minutes
#   device run, carry [".gpu-data"]:  PTB_MINUTES=3 bash benchmarks/gpu_checks.sh text   # about 4 minutes
#   device run:                        bash benchmarks/gpu_checks.sh suite     # the tests, on CUDA
#   device run, carry [".gpu-data"]:  bash benchmarks/gpu_checks.sh ulmfit    # about 9 minutes: IMDB, full size
#
# Measured on an H200 (2026-12-04): the machine's start about 30 s; throughput 76 s, speedrun 72 s (CIFAR-10
# extracted and decoded by 16 processes in ~15 s of it), defaults 60 s; PTB 3 minutes of training + 28 s.
#
# It runs the repository's code from src/ with the machine's own python3 (its image holds torch and every
# dependency; nothing is installed). Results JSON and one log per step go to $OUT (what comes back from the
# device), else to benchmarks/results/gpu/. `bash benchmarks/gpu_checks.sh rehearse` runs the same steps on the
# CPU with tiny budgets, to check the plumbing before spending device time.
set -uo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-vision}
PY=${PY:-python3}
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
if [ -d .gpu-data ]; then export TRAINWELL_SHARED_DATA="$PWD/.gpu-data"; fi
OUT=${OUT:-benchmarks/results/gpu}
mkdir -p "$OUT"
export TRAINWELL_RESULTS_DIR="$OUT"
THREADS=${THREADS:-8}
failed=0

step() {  # step NAME SECONDS COMMAND...: run one check with a time limit, its output in $OUT/NAME.log
  local name=$1 seconds=$2
  shift 2
  echo "== $name (at most ${seconds}s): $*"
  local start=$SECONDS
  timeout --signal=INT --kill-after=20 "$seconds" "$@" 2>&1 | tee "$OUT/$name.log"
  local status=${PIPESTATUS[0]}
  echo "== $name: exit $status after $((SECONDS - start))s"
  [ "$status" = 0 ] || failed=1
}

echo "== machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 || true
"$PY" -c "import sys, torch; print(sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.cuda.is_available())"
"$PY" -c "import trainwell.vision, trainwell.text; print('trainwell from', trainwell.__file__)" || exit 1
echo "data: ${TRAINWELL_SHARED_DATA:-../shared/data}"

case "$MODE" in
  vision)
    "$PY" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device visible to torch'" || exit 1
    # Where a step's time goes: the model alone, + batch augmentation, the whole Learner; operators, kernel
    # launches and host waits per step (the defaults ran ~9.7 ms a step here where the model needs under 1).
    step overhead 150 "$PY" benchmarks/step_overhead.py --device cuda --steps 50 --rounds 3 --threads "$THREADS"
    # bf16 autocast and channels_last: training images/s per architecture, fp32 contiguous as the baseline.
    step throughput 150 "$PY" benchmarks/vision_throughput.py --device cuda --batch-size 512 --steps 30 --rounds 3 \
      --threads "$THREADS"
    # The named fast recipe: accuracy per epoch against training time (airbench94: 94% in about 3.8 s on an A100).
    step speedrun 200 "$PY" benchmarks/cifar10.py --recipe speedrun --threads "$THREADS" --name cifar10_speedrun_cuda
    # airbench94's own training code on the same JPEGs and the same GPU, when this checkout holds that measuring
    # instrument (git-ignored, never shipped: .gpu-data/reference/airbench94_jpeg.py): the time the speedrun is
    # to be within 2x of. On the CPU it reached 89.70% on this data, as the recipe does.
    if [ -f .gpu-data/reference/airbench94_jpeg.py ]; then
      step airbench 150 "$PY" .gpu-data/reference/airbench94_jpeg.py .gpu-data/cifar10/cifar10.tgz cuda 0
    fi
    # AIRBENCH96=1: airbench96's procedure too (10 conv layers, widths 128/512/512, 31 epochs; 96.0% in 46 s on an
    # A100 on the original arrays): whether 94% is within reach on this JPEG copy at all, and in what time.
    if [ -n "${AIRBENCH96:-}" ] && [ -f .gpu-data/reference/airbench96_jpeg.py ]; then
      step airbench96 240 "$PY" .gpu-data/reference/airbench96_jpeg.py .gpu-data/cifar10/cifar10.tgz cuda 0
    fi
    # The library's defaults on the same data (simple_cnn, one-cycle AdamW, default augmentation).
    # fit --time: the schedule is fitted to the budget, decoding included.
    # DEFAULTS_SECONDS=0 leaves this step out (a rerun of the other two).
    if [ "${DEFAULTS_SECONDS:-110}" != 0 ]; then
      step defaults 200 "$PY" benchmarks/cifar10.py --threads "$THREADS" --time "${DEFAULTS_SECONDS:-110}" \
        --name cifar10_cuda
    fi
    ;;
  text)
    "$PY" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device visible to torch'" || exit 1
    # The paper's full-size AWD-LSTM (400/1150/3, full softmax) for a fixed budget; paper: 57.3 (52.8 with cache).
    # The paper's dropouts (--drop-mult 1): at 0.5, 3 minutes (39 epochs at 204k tokens/s) overfit after epoch 13
    # (valid 86.8 there, 102.5 at the end; train loss 2.8).
    PTB_MINUTES=${PTB_MINUTES:-4}
    step ptb "$(python3 -c "print(int($PTB_MINUTES * 60 + 150))")" "$PY" benchmarks/ptb.py --minutes "$PTB_MINUTES" --emb 400 --hidden 1150 --layers 3 --batch-size 80 \
      --softmax full --lr 3e-3 --drop-mult 1 --averages --threads "$THREADS" --name ptb_gpu
    ;;
  ulmfit)
    "$PY" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device visible to torch'" || exit 1
    # ULMFiT on IMDB with the paper's encoder (400/1150/3) toward its 95.4%: a language model on the 25,000
    # training reviews' text (full softmax), then the classifier with gradual unfreezing, scored on the 25,000
    # test reviews. No Wikitext-103 model here: the IMDB model is both pretraining steps. One device call holds
    # both (a device machine keeps nothing between calls once idle), so the budgets fit 600 s together.
    LM_DIR=${LM_DIR:-/tmp/trainwell-imdb-lm}
    step ulmfit_lm "$(python3 -c "print(int(${ULMFIT_LM_MINUTES:-3} * 60 + 90))")" "$PY" benchmarks/ulmfit.py lm \
      --minutes "${ULMFIT_LM_MINUTES:-3}" --emb 400 --hidden 1150 --layers 3 --softmax full --batch-size 64 \
      --lr 3e-3 --threads "$THREADS" --out "$LM_DIR" --name ulmfit_lm_imdb_gpu
    step ulmfit_imdb "$(python3 -c "print(int(${ULMFIT_MINUTES:-3} * 60 + 120))")" "$PY" benchmarks/ulmfit.py \
      classify --dataset imdb --lm "$LM_DIR" --minutes "${ULMFIT_MINUTES:-3}" --batch-size 64 --max-len 1000 \
      --threads "$THREADS" --name ulmfit_imdb_gpu
    ;;
  suite)
    # The library's own tests with CUDA as the default device: code paths no CPU run takes (the speedrun's batch
    # norm failed only there). Several minutes; failures are listed in suite.log, the run goes on past them.
    "$PY" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device visible to torch'" || exit 1
    step suite "${SUITE_SECONDS:-420}" "$PY" -m pytest -q -p no:cacheprovider -n "${WORKERS:-8}" --maxfail=60 \
      -m "not slow" tests/learner tests/callbacks tests/vision tests/text tests/tabular tests/collab tests/losses \
      tests/models tests/optim tests/evaluate tests/interpret tests/export tests/continual
    ;;
  rehearse)
    # The same scripts on the CPU with tiny budgets: imports, data paths, result files, logs.
    step throughput 300 "$PY" benchmarks/vision_throughput.py --device cpu --archs simple_cnn --batch-size 32 \
      --steps 2 --rounds 1 --threads 2
    step overhead 600 "$PY" benchmarks/step_overhead.py --device cpu --recipes defaults --steps 3 --rounds 1 \
      --name step_overhead_rehearse
    step speedrun 900 "$PY" benchmarks/cifar10.py --recipe speedrun --epochs 1 --widths 8 8 8 --threads 2 \
      --name cifar10_speedrun_rehearse
    step ptb 300 "$PY" benchmarks/ptb.py --minutes 0.1 --emb 32 --hidden 32 --layers 1 --threads 2 --averages \
      --name ptb_rehearse
    step ulmfit_lm 300 "$PY" benchmarks/ulmfit.py lm --minutes 0.1 --emb 32 --hidden 32 --layers 1 --softmax full \
      --threads 2 --out /tmp/trainwell-rehearse-lm --name ulmfit_lm_rehearse
    step ulmfit_imdb 600 "$PY" benchmarks/ulmfit.py classify --dataset sst2 --lm /tmp/trainwell-rehearse-lm \
      --minutes 0.2 --threads 2 --name ulmfit_rehearse
    ;;
  *)
    echo "usage: bash benchmarks/gpu_checks.sh [vision|text|ulmfit|suite|rehearse]" >&2
    exit 2
    ;;
esac
echo "== results in $OUT:"
ls -l "$OUT"
exit "$failed"
