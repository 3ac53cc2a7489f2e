"""How long an :class:`~trainwell.Evaluation` takes to report itself: ``to_dict()`` and ``str()``.

``trainwell evaluate`` prints the table and saves ``to_dict()``; both read the constant baseline's bootstrap
intervals over rows and its paired bootstrap against the model (:class:`~trainwell.evaluate.cv.RowBootstrapCVResult`).
For each task, one evaluation is built (``evaluate_table`` on a synthetic 600-row table, ``cv=2``, ``epochs=1``,
``arch="mlp"``, baselines on), then each report is timed on a fresh deep copy with no interval cached from an
earlier call, the median of ``--repeats``. ``--profile`` prints cProfile's top functions of one ``to_dict()``.
The table every fit ends with (:func:`~trainwell.evaluate.explain_validation`, 300 bootstrap resamples per metric)
is timed too, on 5,000 synthetic validation rows of each task.
Prints a table and writes ``benchmarks/results/evaluation_report.json``.

    python benchmarks/evaluation_report.py --tasks binary multiclass regression --repeats 3
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import io
import pstats
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_info, median, print_table, write_results

TASKS = ("binary", "multiclass", "regression", "multilabel")


def synthetic_table(task: str, rows: int = 600, seed: int = 0) -> tuple[pd.DataFrame, str | list[str]]:
    """A table of 3 numbers and 2 categories whose target depends on them (with noise), and its target."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=rows),
            "x2": rng.normal(size=rows),
            "x3": rng.uniform(0, 10, size=rows),
            "colour": rng.choice(["red", "green", "blue", "grey"], size=rows),
            "size": rng.choice(["S", "M", "L"], size=rows),
        }
    )
    signal = frame["x1"] - 0.5 * frame["x2"] + 0.2 * frame["x3"] + (frame["colour"] == "red") * 1.0
    noisy = signal + rng.normal(scale=1.0, size=rows)
    if task == "binary":
        frame["target"] = np.where(noisy > noisy.median(), "yes", "no")
    elif task == "multiclass":
        frame["target"] = pd.cut(noisy, 3, labels=["low", "mid", "high"]).astype(str)
    elif task == "regression":
        frame["target"] = noisy
    else:
        frame["a"] = (noisy > noisy.median()).astype(int)
        frame["b"] = (frame["x2"] + rng.normal(size=rows) > 0).astype(int)
        return frame, ["a", "b"]
    return frame, "target"


def build(task: str) -> Any:
    import trainwell

    frame, target = synthetic_table(task)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return trainwell.evaluate_table(frame, target, cv=2, epochs=1, arch="mlp", baselines=True)


def cold(evaluation: Any) -> Any:
    """A deep copy of ``evaluation`` with no bootstrap interval cached (a copy keeps the original's caches)."""
    fresh = copy.deepcopy(evaluation)
    for result in fresh.baselines.values():
        for cache in ("_summaries", "_paired"):
            getattr(result, cache, {}).clear()
    return fresh


def timed(function: Any, evaluation: Any, repeats: int) -> float:
    seconds = []
    for _ in range(repeats):
        fresh = cold(evaluation)
        start = time.perf_counter()
        function(fresh)
        seconds.append(time.perf_counter() - start)
    return median(seconds)


def explain_seconds(task: str, repeats: int, rows: int = 5000) -> float:
    """Median seconds of ``explain_validation`` on ``rows`` random predictions and targets of ``task``."""
    import torch

    from trainwell.data.task import Task
    from trainwell.evaluate import explain_validation

    generator = torch.Generator().manual_seed(0)
    if task == "binary":
        kind = Task("binary", ("no", "yes"))
        preds, targets = (
            torch.rand(rows, generator=generator),
            (torch.rand(rows, generator=generator) < 0.3).float(),
        )
    elif task == "multiclass":
        kind = Task("multiclass", ("a", "b", "c"))
        preds = torch.softmax(torch.randn(rows, 3, generator=generator), dim=1)
        targets = torch.randint(0, 3, (rows,), generator=generator)
    elif task == "multilabel":
        kind = Task("multilabel", ("a", "b"), ("tags",))
        preds, targets = (
            torch.rand(rows, 2, generator=generator),
            (torch.rand(rows, 2, generator=generator) < 0.3).float(),
        )
    else:
        kind = Task("regression")
        preds, targets = torch.randn(rows, generator=generator), torch.randn(rows, generator=generator)
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        explain_validation(kind, preds, targets, kind.metric_names)
        seconds.append(time.perf_counter() - start)
    return median(seconds)


def profile(evaluation: Any, lines: int = 25) -> str:
    profiler = cProfile.Profile()
    profiler.runcall(cold(evaluation).to_dict)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(lines)
    return text.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["binary", "multiclass", "regression"], choices=TASKS)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top of one to_dict()")
    parser.add_argument("--name", default="evaluation_report", help="results/<name>.json")
    args = parser.parse_args()
    import torch

    rows, results = [], {}
    for task in args.tasks:
        evaluation = build(task)
        to_dict = timed(lambda e: e.to_dict(), evaluation, args.repeats)
        text = timed(str, evaluation, args.repeats)
        both = timed(lambda e: (str(e), e.to_dict()), evaluation, args.repeats)
        intervals = {
            name: {metric: [s.low, s.high] for metric, s in evaluation.summary(name).items()}
            for name in evaluation.names
        }
        verdicts = [
            {"metric": v.metric, "baseline": v.baseline, "outcome": v.outcome}
            | ({"paired": [v.paired.low, v.paired.high]} if v.paired is not None else {})
            for v in evaluation.verdicts()
        ]
        explain = explain_seconds(task, args.repeats)
        results[task] = {
            "to_dict_s": to_dict,
            "str_s": text,
            "str_then_to_dict_s": both,
            "explain_validation_5000_rows_s": explain,
            "intervals": intervals,
            "verdicts": verdicts,
        }
        rows.append([task, evaluation.n_rows, to_dict, text, both, explain])
        if args.profile:
            print(profile(evaluation))
    print_table(
        f"Evaluation reports, seconds (median of {args.repeats}, each on a fresh copy)",
        ["task", "rows", "to_dict()", "str()", "str() then to_dict()", "explain_validation, 5,000 rows"],
        rows,
    )
    write_results(
        args.name,
        {"machine": machine_info(torch_threads=torch.get_num_threads()), "repeats": args.repeats, **results},
    )


if __name__ == "__main__":
    main()
