"""Training beside another busy process: libgomp's default spin count against the one trainwell sets.

PyTorch's CPU kernels run on OpenMP threads (libgomp in the Linux wheels), one per core. Between parallel
regions an idle thread spins for ``GOMP_SPINCOUNT`` iterations (300,000 by default) before it sleeps. Alone on
the machine that saves a wake-up; beside another busy process the spinning threads take the cores the other
threads need, and a fit slows by an order of magnitude. ``import trainwell`` sets ``GOMP_SPINCOUNT=30000``
before torch loads (unless the user chose a setting).

Each case runs in a fresh interpreter: a small CNN (``simple_cnn``) trained for two epochs on 2,000 random
32x32 images with the library's Learner, timed inside the process. "Busy" runs it beside a second process
doing small matrix products on 2 threads with libgomp's default spin count (a neighbour that does not yield).
The settings take turns, ``--repeat`` times each; the median counts.

Run: ``python benchmarks/threads.py [--repeat 3]``. Writes ``benchmarks/results/threads.json``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from _common import REPO_ROOT, machine_info, median, print_table, write_results

FIT = """
import time
import trainwell  # first: it sets the OpenMP spin count before torch loads
import torch
from trainwell.models import create_model
torch.manual_seed(0)
x = torch.randint(0, 256, (2000, 3, 32, 32), dtype=torch.uint8).float() / 255
y = torch.randint(0, 10, (2000,)).tolist()
data = trainwell.tensor_data(x, y, batch_size=64)
model = create_model("simple_cnn", n_out=10, in_channels=3)
learn = trainwell.Learner(model, data, progress=False)
start = time.perf_counter()
learn.fit_one_cycle(2, 1e-3)
print(time.perf_counter() - start)
"""
NEIGHBOUR = """
import torch
torch.set_num_threads(2)
a = torch.randn(64, 64)
while True:
    a = torch.tanh(a @ a.T / 8)
"""
#: libgomp's default, and trainwell's (None: what ``import trainwell`` sets).
SETTINGS = {"libgomp default (300000)": "300000", "trainwell (30000)": None}


def fit_seconds(spin: str | None) -> float:
    env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    if spin is not None:
        env["GOMP_SPINCOUNT"] = spin
    out = subprocess.run(
        [sys.executable, "-c", FIT], env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    times: dict[tuple[str, str], list[float]] = {}
    for load in ("alone", "busy"):
        neighbour = None
        if load == "busy":
            env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
            neighbour = subprocess.Popen([sys.executable, "-c", NEIGHBOUR], env=env)
            time.sleep(2)
        try:
            for _ in range(args.repeat):
                for name, spin in SETTINGS.items():
                    times.setdefault((load, name), []).append(fit_seconds(spin))
        finally:
            if neighbour is not None:
                neighbour.kill()
                neighbour.wait()
    results = {f"{load}, {name}": median(values) for (load, name), values in times.items()}
    rows = []
    for load in ("alone", "busy"):
        base = results[f"{load}, libgomp default (300000)"]
        for name in SETTINGS:
            seconds = results[f"{load}, {name}"]
            rows.append((load, name, f"{seconds:.2f}", f"{base / seconds:.2f}x"))
    print_table(
        "simple_cnn, 2 epochs of 2,000 images: seconds (median); speed against libgomp's default",
        ["machine", "spin count", "seconds", "speed"],
        rows,
    )
    payload = {
        "benchmark": "training beside a busy process: OpenMP spin count",
        "seconds": results,
        "runs": {f"{load}, {name}": values for (load, name), values in times.items()},
        "repeat": args.repeat,
        "machine": machine_info(),
    }
    print(f"wrote {write_results('threads', payload)}")


if __name__ == "__main__":
    main()
