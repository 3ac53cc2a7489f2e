"""What does ``trainwell fit``'s checkpoint cost? Three pipelines, with and without it, alternating runs.

``trainwell fit --out DIR`` keeps ``DIR/fit-checkpoint.pt`` while it trains (:mod:`trainwell.cli._resume`): a
:class:`~trainwell.callbacks.Checkpoint` that writes at epoch ends and every 2 minutes, but skips a write that
would come sooner after the last one than 50 times what that one took (``max_overhead=0.02``). Each case runs
the application's pipeline function as the command does, in three arms:

* ``none``: no checkpoint;
* ``fit``: the command's checkpoint (``Checkpoint(every_seconds=120, max_overhead=0.02, save_on_interrupt=True)``);
* ``every epoch``: a write at every epoch's end, uncapped: what the cap avoids.

The cases: the Adult table (32,561 rows, MLP, 5 epochs at a fixed rate, so no learning-rate sweep), 6,000 MNIST
digits (simple_cnn, 3 epochs), and the IMDB sample's 800 training reviews (n-gram bag, 4 epochs: a 104 MB
checkpoint for epochs of a fraction of a second). Arms take turns after an untimed warm-up. The table gives,
per case and arm, the median seconds in the fit (``before_fit`` to ``after_fit``, so reading the data is left
out), the writes and the seconds they took (measured by the callback), writing as a share of the rest of the
fit (the figure to read on a busy machine, where other processes slow whole runs by multiples), and the fastest
fit over the ``none`` arm's fastest.

Run: ``python benchmarks/fit_checkpoint.py [--rounds 3] [--threads 2]``. Writes
``benchmarks/results/fit_checkpoint.json``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from _common import SHARED_DATA, load_mnist, machine_info, median, print_table, write_results
from trainwell.callbacks import Checkpoint
from trainwell.cli._resume import EVERY_SECONDS, MAX_OVERHEAD
from trainwell.learner import Callback, Learner

ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education_num", "marital_status", "occupation",
    "relationship", "race", "sex", "capital_gain", "capital_loss", "hours_per_week", "native_country", "income",
]  # fmt: skip
ARMS = ("none", "fit", "every epoch")


class FitTimer(Callback):
    """Seconds spent inside fits (``before_fit`` to ``after_fit``), summed over the fits it sees."""

    order = -1000

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start = 0.0

    def before_fit(self, learn: Learner) -> None:
        self._start = time.perf_counter()

    def after_fit(self, learn: Learner) -> None:
        self.seconds += time.perf_counter() - self._start


def checkpoint_for(arm: str, folder: Path) -> list[Callback]:
    path = folder / "fit-checkpoint.pt"
    if arm == "fit":
        return [
            Checkpoint(path, every_seconds=EVERY_SECONDS, max_overhead=MAX_OVERHEAD, save_on_interrupt=True)
        ]
    if arm == "every epoch":
        return [Checkpoint(path)]
    return []


def adult_case() -> Callable[[list[Callback]], None] | None:
    source = SHARED_DATA / "adult" / "adult.data.gz"
    if not source.is_file():
        return None
    frame = pd.read_csv(source, names=ADULT_COLUMNS, skipinitialspace=True)
    from trainwell.tabular.pipeline import fit_table

    def run(callbacks: list[Callback]) -> None:
        fit_table(frame, "income", arch="mlp", epochs=5, lr=3e-3, progress=False, callbacks=callbacks)

    return run


def mnist_case() -> Callable[[list[Callback]], None] | None:
    loaded = load_mnist()
    if loaded is None:
        return None
    images = loaded[0][:6_000].reshape(-1, 28, 28)
    labels = loaded[1][:6_000]
    from trainwell.vision.pipeline import fit_images

    def run(callbacks: list[Callback]) -> None:
        fit_images(images, labels, arch="simple_cnn", epochs=3, progress=False, callbacks=callbacks)

    return run


def imdb_case() -> Callable[[list[Callback]], None] | None:
    source = SHARED_DATA / "imdb_sample" / "texts.csv.gz"
    if not source.is_file():
        return None
    frame = pd.read_csv(source)
    from trainwell.text.pipeline import fit_texts

    def run(callbacks: list[Callback]) -> None:
        fit_texts(
            frame, text_col="text", target="label", valid_col="is_valid", epochs=4, progress=False,
            callbacks=callbacks,
        )  # fmt: skip

    return run


def measure(run: Callable[[list[Callback]], None], arm: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="trainwell-ckpt-bench-") as scratch:
        timer = FitTimer()
        checkpoint = checkpoint_for(arm, Path(scratch))
        run([timer, *checkpoint])
        written = checkpoint[0] if checkpoint else None
        return {
            "fit_seconds": timer.seconds,
            "writes": float(written.writes) if isinstance(written, Checkpoint) else 0.0,
            "write_seconds": written.seconds_writing if isinstance(written, Checkpoint) else 0.0,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cases = {"adult MLP": adult_case(), "MNIST 6k CNN": mnist_case(), "IMDB sample n-gram bag": imdb_case()}
    found = {name: run for name, run in cases.items() if run is not None}
    if not found:
        print(f"skipped: no data under {SHARED_DATA}")
        return 0
    samples: dict[str, dict[str, list[dict[str, float]]]] = {
        name: {arm: [] for arm in ARMS} for name in found
    }
    for name, run in found.items():
        measure(run, "none")  # warm-up: first-call costs (allocation, tokenizer caches) fall on no arm
        for round_index in range(args.rounds):
            order = ARMS if round_index % 2 == 0 else tuple(reversed(ARMS))
            for arm in order:
                samples[name][arm].append(measure(run, arm))
    rows: list[list[Any]] = []
    summary: dict[str, Any] = {}
    for name, arms in samples.items():
        fastest_base = min(sample["fit_seconds"] for sample in arms["none"])
        for arm, runs in arms.items():
            fit = median([sample["fit_seconds"] for sample in runs])
            fastest = min(sample["fit_seconds"] for sample in runs)
            writes = median([sample["writes"] for sample in runs])
            writing = median([sample["write_seconds"] for sample in runs])
            share = median(
                [s["write_seconds"] / max(s["fit_seconds"] - s["write_seconds"], 1e-9) for s in runs]
            )
            rows.append(
                [name, arm, fit, fastest, int(writes), writing, f"{100 * share:.1f}%", fastest / fastest_base]
            )
            summary.setdefault(name, {})[arm] = {
                "median_fit_seconds": fit,
                "fastest_fit_seconds": fastest,
                "median_writes": writes,
                "median_write_seconds": writing,
                "median_write_share_of_training": share,
                "fastest_fit_over_none": fastest / fastest_base,
                "runs": runs,
            }
    print_table(
        "trainwell fit's checkpoint: cost per fit",
        ["case", "arm", "fit s (median)", "fit s (fastest)", "writes", "writing s", "writing / training",
         "fastest / none"],
        rows,
    )  # fmt: skip
    path = write_results(
        "fit_checkpoint",
        {
            "benchmark": "fit_checkpoint",
            "policy": {"every_seconds": EVERY_SECONDS, "max_overhead": MAX_OVERHEAD, "every_epoch": True},
            "rounds": args.rounds,
            "machine": machine_info(threads=args.threads),
            "cases": summary,
        },
    )
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
