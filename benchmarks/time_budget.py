"""Training to a time budget: the schedule fitted to the time (``--time``) against a run cut when the time is up.

Both arms get the same wall-clock time, side by side in one run. A fit cut by a clock (PyTorch Lightning's
``max_time``, a job killed at its limit) stops wherever the library's default schedule had got to; ``TimeBudget``
re-plans the schedule to end, annealed, inside the time. The cut arm is given the benefit of every doubt: its
clock starts when training starts (the budget's starts with the call, data preparation included) and its final
validation is not counted.

* MNIST (``../shared/data/mnist``, 60k/10k): the default image pipeline (``fit_images``), test accuracy.
* Tiny Shakespeare (``../shared/data/tinyshakespeare``): the default language model (``fit_language_model``),
  validation perplexity on its held-out tenth.
* With ``--full``, MNIST's default plan trained to its end too (about 3 minutes), as the reference the budget
  is measured against; the language model's default plan takes about half an hour and is left out.

    python benchmarks/time_budget.py [--mnist-seconds 45] [--lm-seconds 120] [--full]

Writes ``benchmarks/results/time_budget.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import MNIST_DIR, SHARED_DATA, machine_info, print_table, write_results

CORPUS = SHARED_DATA / "tinyshakespeare" / "input.txt.gz"


def cut_at(seconds: float) -> Any:
    """Stops the fit at the first training batch after ``seconds`` of it (a clock-cut run)."""
    from trainwell.learner.events import Callback, CancelFit

    class CutAt(Callback):
        order = -40

        def before_fit(self, learn: Any) -> None:
            self.start = time.perf_counter()

        def before_batch(self, learn: Any) -> None:
            if learn.training and time.perf_counter() - self.start >= seconds:
                raise CancelFit

    return CutAt()


def mnist_arm(kind: str, seconds: float, seed: int) -> dict[str, Any]:
    from trainwell.vision import fit_images, read_idx

    x_train, y_train, x_test, y_test = (
        read_idx(MNIST_DIR / f"{name}-ubyte.gz")
        for name in ("train-images-idx3", "train-labels-idx1", "t10k-images-idx3", "t10k-labels-idx1")
    )
    options: dict[str, Any] = {"labels": y_train, "valid": (x_test, y_test), "seed": seed, "progress": False}
    if kind == "budget":
        options["time_budget"] = seconds
    elif kind == "cut":
        options["learner_kwargs"] = {"callbacks": [cut_at(seconds)]}
    start = time.perf_counter()
    run = fit_images(x_train, **options)
    wall = time.perf_counter() - start
    scores = run.learn.validate()
    batches_per_epoch = len(run.data.train)  # type: ignore[arg-type]
    return {
        "arm": kind,
        "epochs": run.learn.iteration / batches_per_epoch,
        "wall_seconds": wall,
        "test_accuracy": scores["accuracy"],
        "final_lr": run.learn.history[-1]["lr"] if run.learn.history else None,
        "summary": run.budget.summary() if run.budget else None,
    }


def lm_arm(kind: str, seconds: float, seed: int) -> dict[str, Any]:
    from trainwell.text.lm_learner import fit_language_model

    options: dict[str, Any] = {"seed": seed, "progress": False, "tune_cache": False}
    if kind == "budget":
        options["time_budget"] = seconds
    elif kind == "cut":
        options["learner_kwargs"] = {"callbacks": [cut_at(seconds)]}
    start = time.perf_counter()
    learn = fit_language_model(CORPUS, **options).learn
    wall = time.perf_counter() - start
    scores = learn.validate()
    batches_per_epoch = len(learn.data.train)  # type: ignore[arg-type]
    return {
        "arm": kind,
        "epochs": learn.iteration / batches_per_epoch,
        "wall_seconds": wall,
        "valid_perplexity": scores["perplexity"],
        "final_lr": learn.history[-1]["lr"] if learn.history else None,
        "summary": learn.time_budget.summary() if learn.time_budget else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist-seconds", type=float, default=45.0)
    parser.add_argument("--lm-seconds", type=float, default=120.0)
    parser.add_argument("--full", action="store_true", help="also train the default plan to its end")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    experiments = [
        # key, title, data file, one arm, its arms, seconds, score column
        ("mnist", "MNIST", MNIST_DIR / "train-images-idx3-ubyte.gz", mnist_arm,
         ["budget", "cut", *(["full"] if args.full else [])], args.mnist_seconds, "test_accuracy"),
        ("tinyshakespeare", "Tiny Shakespeare language model", CORPUS, lm_arm, ["budget", "cut"],
         args.lm_seconds, "valid_perplexity"),
    ]  # fmt: skip
    results: dict[str, Any] = {}
    for key, title, needed, arm, kinds, seconds, score in experiments:
        if not needed.is_file():
            print(f"{title} skipped: {needed} not found")
            continue
        runs = [arm(kind, seconds, args.seed) for kind in kinds]
        results[key] = {"seconds": seconds, "runs": runs}
        print_table(
            f"{title}, {seconds:g} s",
            ["arm", "epochs", "wall s", score.replace("_", " "), "last lr"],
            [[r["arm"], r["epochs"], r["wall_seconds"], r[score], r["final_lr"]] for r in runs],
        )
    if not results:
        return 0
    payload = {"benchmark": "time_budget", **results, "machine": machine_info(threads=args.threads)}
    print(f"wrote {write_results('time_budget', payload)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
