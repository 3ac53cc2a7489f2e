"""Distributed training on this machine's CPU cores: one process against two launched by torchrun.

Trains the same model on the same rows (MNIST's 60,000 training images through the small CNN, or a synthetic
table when MNIST is absent) for one epoch, with the same rows per optimizer step: one process with 2 threads,
one process with 1 thread, and two processes with 1 thread each (torchrun, Gloo), each reading half of every
step's rows. Prints images per second and the speed-up, writes ``benchmarks/results/distributed.json``.

Then the same three settings for a language model: an AWD-LSTM (200 / 400, 2 layers) over the first 300,000
tokens of PTB's training text (synthetic words when PTB is absent), 32 rows of 70 tokens per step, each
process reading its own rows of the stream. Prints tokens per second, writes
``benchmarks/results/distributed_lm.json``.

On a 2-core machine this measures what splitting the work between processes costs or gains against
PyTorch's own intra-op threads; across GPUs or machines the same code path is what scales.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import MNIST_DIR, SHARED_DATA, load_mnist, machine_info, print_table, write_results

STEP_ROWS = 256  # rows per optimizer step, whatever the number of processes

JOB = r"""
import json, sys, time
import numpy as np, torch
sys.path.insert(0, sys.argv[3])
from _common import load_mnist
from trainwell.core.device import is_rank_zero
from trainwell.core.seeding import seed_everything
from trainwell.distributed import maybe_distribute, world_size
from trainwell.vision import image_data, vision_learner

torch.set_num_threads(int(sys.argv[2]))
seed_everything(0)
found = load_mnist()
if found is None:
    images = np.random.default_rng(0).integers(0, 256, (20000, 28, 28), dtype=np.uint8)
    labels = np.random.default_rng(1).integers(0, 10, 20000)
else:
    images, labels = (found[0].reshape(-1, 28, 28) * 255).round().astype(np.uint8), found[1]
size = int(__import__("os").environ.get("WORLD_SIZE", "1"))
data = image_data(images, labels=labels, valid_pct=0.0, batch_size=int(sys.argv[4]) // size, augmentation="none")
learn = maybe_distribute(vision_learner(data, "simple_cnn", progress=False, device="cpu"))
learn.fit(1, 1e-3)  # warm-up pass: first-call costs out of the timing
start = time.perf_counter()
learn.fit(1, 1e-3)
seconds = time.perf_counter() - start
if is_rank_zero():
    rows = len(images)
    json.dump({"seconds": seconds, "rows": rows, "world_size": world_size()}, open(sys.argv[1], "w"))
"""


LM_ROWS, LM_TOKENS = 32, 300_000

LM_JOB = r"""
import gzip, json, sys, time
from pathlib import Path
import numpy as np, torch
from trainwell.core.device import is_rank_zero
from trainwell.core.seeding import seed_everything
from trainwell.distributed import maybe_distribute, world_size
from trainwell.text.lm_learner import language_model_learner
from trainwell.text.lm_stream import lm_data

torch.set_num_threads(int(sys.argv[2]))
seed_everything(0)
ptb = Path(sys.argv[3])
if ptb.is_file():
    lines, total = [], 0
    for line in gzip.open(ptb, "rt", encoding="utf-8"):
        lines.append(line)
        total += len(line.split()) + 1
        if total >= int(sys.argv[5]):
            break
else:
    rng = np.random.default_rng(0)
    lines = [" ".join(f"w{i}" for i in rng.integers(0, 5000, 20)) for _ in range(int(sys.argv[5]) // 21)]
size = int(__import__("os").environ.get("WORLD_SIZE", "1"))
data = lm_data(lines, tokenizer="whitespace", batch_size=int(sys.argv[4]) // size, bptt=70, valid_pct=0.02)
learn = language_model_learner(data, emb_size=200, hidden_size=400, n_layers=2, progress=False, device="cpu")
learn = maybe_distribute(learn)
learn.fit(1, 1e-3)  # warm-up pass: first-call costs out of the timing
start = time.perf_counter()
learn.fit(1, 1e-3)
seconds = time.perf_counter() - start
if is_rank_zero():
    tokens = data.train.n_rows * world_size()
    json.dump({"seconds": seconds, "rows": tokens, "world_size": world_size()}, open(sys.argv[1], "w"))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(processes: int, threads: int, folder: Path, lm: bool = False) -> dict[str, float]:
    script = folder / ("lm_job.py" if lm else "job.py")
    script.write_text(LM_JOB if lm else JOB)
    out = folder / f"result-{'lm-' if lm else ''}{processes}x{threads}.json"
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    here = str(Path(__file__).resolve().parent)
    args = (
        [str(out), str(threads), str(SHARED_DATA / "ptb" / "ptb.train.txt.gz"), str(LM_ROWS), str(LM_TOKENS)]
        if lm
        else [str(out), str(threads), here, str(STEP_ROWS)]
    )
    if processes == 1:
        command = [sys.executable, str(script), *args]
    else:
        command = [
            sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(processes),
            "--master_addr", "127.0.0.1", "--master_port", str(free_port()), str(script), *args,
        ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{processes} x {threads} failed:\n{done.stderr[-3000:]}")
    result = json.loads(out.read_text())
    result["tokens_per_s" if lm else "images_per_s"] = result["rows"] / result["seconds"]
    return result


def main() -> None:
    started = time.perf_counter()
    settings = [(1, 2), (1, 1), (2, 1)]
    with tempfile.TemporaryDirectory(prefix="trainwell-ddp-") as scratch:
        results = {f"{p} process x {t} thread": run(p, t, Path(scratch)) for p, t in settings}
    base = results["1 process x 2 thread"]["images_per_s"]
    rows = [(name, r["images_per_s"], r["seconds"], r["images_per_s"] / base) for name, r in results.items()]
    source = "MNIST train" if load_mnist() is not None else "synthetic 28x28 images (MNIST not found)"
    print_table(
        f"simple_cnn, one epoch of {source}, {STEP_ROWS} rows per step",
        ["setting", "images/s", "seconds", "vs 1 x 2"],
        rows,
    )
    path = write_results(
        "distributed",
        {
            "benchmark": f"one epoch of simple_cnn on {source}, {STEP_ROWS} rows per optimizer step",
            "data": str(MNIST_DIR),
            "results": results,
            "machine": machine_info(),
            "wall_seconds": time.perf_counter() - started,
        },
    )
    print(f"wrote {path}")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="trainwell-ddp-lm-") as scratch:
        lm_results = {f"{p} process x {t} thread": run(p, t, Path(scratch), lm=True) for p, t in settings}
    base = lm_results["1 process x 2 thread"]["tokens_per_s"]
    rows = [
        (name, r["tokens_per_s"], r["seconds"], r["tokens_per_s"] / base) for name, r in lm_results.items()
    ]
    print_table(
        f"AWD-LSTM language model (200/400, 2 layers), one epoch of {LM_TOKENS:,} PTB tokens, {LM_ROWS} rows "
        "of 70 tokens per step",
        ["setting", "tokens/s", "seconds", "vs 1 x 2"],
        rows,
    )
    path = write_results(
        "distributed_lm",
        {
            "benchmark": f"one epoch of an AWD-LSTM language model over {LM_TOKENS:,} PTB tokens, {LM_ROWS} rows "
            "of 70 tokens per optimizer step",
            "results": lm_results,
            "machine": machine_info(),
            "wall_seconds": time.perf_counter() - started,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
