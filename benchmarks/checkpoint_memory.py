"""How much memory does writing a checkpoint take on top of the training state it writes?

Each measurement runs in a fresh process: a model of ``--mb`` MB of float32 weights (linear layers of
4096 x 4096, then one output) trained one batch with the default optimizer (AdamW: two more tensors per weight), so the
checkpoint holds about three times the weights. The process then resets its peak resident set size
(``/proc/self/clear_refs``, Linux), calls ``learn.save_checkpoint`` and reads the peak back (``VmHWM``): the peak
over the resident size just before the save is what the save itself needed beyond the state it writes.

Run: ``python benchmarks/checkpoint_memory.py [--mb 256] [--rounds 2]``. Linux only. Writes
``benchmarks/results/checkpoint_memory.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

from _common import machine_info, median, print_table, write_results

CHILD = r"""
import gc, json, sys, time
from pathlib import Path
import torch
from torch import nn
from trainwell.data import tensor_data
from trainwell.learner import Learner

torch.set_num_threads(1)
mb, folder = int(sys.argv[1]), Path(sys.argv[2])
width = 4096
layers = max(1, round(mb * 2**20 / (4 * width * width)))
model = nn.Sequential(*[nn.Linear(width, width, bias=False) for _ in range(layers)], nn.Linear(width, 1))
x = torch.randn(8, width)
data = tensor_data(x, torch.randn(8).numpy(), valid_pct=0.0, batch_size=8, seed=0)
learn = Learner(model, data, progress=False, device="cpu", path=folder)
learn.fit(1, 1e-3)
gc.collect()

def status(key):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024  # kB
    raise KeyError(key)

Path("/proc/self/clear_refs").write_text("5")  # the peak resident size starts again from now
before = status("VmRSS")
started = time.perf_counter()
path = learn.save_checkpoint(folder / "checkpoint.pt")
seconds = time.perf_counter() - started
peak = status("VmHWM")
weights = sum(p.numel() * p.element_size() for p in model.parameters())
print(json.dumps({"weights_bytes": weights, "file_bytes": path.stat().st_size, "rss_before": before,
                  "peak": peak, "extra_bytes": peak - before, "seconds": seconds}))
"""


def measure(mb: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(mb), folder], check=True, capture_output=True, text=True
        )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=256, help="MB of float32 weights")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    runs = [measure(args.mb) for _ in range(args.rounds)]
    mib = 2**20
    row = {
        "weights_mib": runs[0]["weights_bytes"] / mib,
        "file_mib": runs[0]["file_bytes"] / mib,
        "rss_before_mib": median([r["rss_before"] / mib for r in runs]),
        "save_extra_mib": median([r["extra_bytes"] / mib for r in runs]),
        "seconds": median([r["seconds"] for r in runs]),
    }
    print_table(
        "memory a checkpoint save needs beyond the training state (median of rounds)",
        ["weights MiB", "file MiB", "RSS before MiB", "extra peak MiB", "seconds"],
        [[round(v, 1) if k != "seconds" else round(v, 2) for k, v in row.items()]],
    )
    write_results("checkpoint_memory", {"machine": machine_info(), "mb": args.mb, "runs": runs, **row})


if __name__ == "__main__":
    main()
