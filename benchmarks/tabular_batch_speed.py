"""Where a tabular MLP's (or a ratings model's) training batch spends its time, and torch's threads against the one
thread it now runs on.

A user's tour found the learning-rate finder's sweep on Titanic (900 rows) at ~86 ms a batch on 2 CPU cores, so
that under ``--time`` it stopped for want of time. For Titanic (``Survived``) and Adult (``class``), read from
``../shared/data`` as ``trainwell fit`` reads them (default batch sizes: 32 and 256), this measures:

- **the loader alone**: one epoch of ``data.train`` (slices of whole tensors), milliseconds a batch;
- **where a batch goes**, on one thread, from the Learner's own events in a fit of one epoch: the loader and the
  loop between batches, the forward pass, the loss, the backward pass, the optimizer's step, and the rest
  (zeroing the gradients, the callbacks of ``after_batch``);
- **two variants**, each a fresh ``tabular_learner`` from the same seed, taking turns ``--repeats`` times so a
  busy spell slows both: *torch's threads* (the process's own setting, one per core: what a table's network
  trained on before) and *one thread* (:class:`~trainwell.callbacks.threads.OneThread`, what ``tabular_learner``
  and ``collab_learner`` add now). Each runs a sweep of ``--points`` batches (``lr_find``) and one epoch of ``fit`` (training and
  validation); milliseconds of the clock and of CPU (both threads' counted) a sweep batch, seconds an epoch.

Unlike the other benchmarks this one does not set ``torch.set_num_threads(1)`` for the whole run: the thread
count is what it compares. The ratios are the result; absolute times depend on the machine and, as much, on
its load: the penalty of torch's threads grows with the work other processes give the cores (the JSON keeps the
one-minute load average after each run). Skips a data set with the reason when it is absent.

The ratings cases are MovieLens 100k's ``u.data`` (``../shared/data/movielens_100k/ml-100k.tgz``) read as
``trainwell fit`` reads it: ``movielens`` the ratings (``collab_learner``'s ``dot_bias``, 50 factors, batch 512,
``valid_rmse`` kept beside the loss so the two variants' scores can be compared), ``movielens_implicit`` the same
rows as implicit feedback (four drawn negatives a positive; ``hit@10`` and ``ndcg@10`` kept). A user's tour had
found one MovieLens epoch at 45 s on two threads against 6.9 s on one at a load of 10.

Writes ``benchmarks/results/tabular_batch_speed.json`` (``ratings_batch_speed.json`` when ``--sets`` names only
ratings cases, so that the tables' last figures stay).

    python benchmarks/tabular_batch_speed.py --repeats 2 --points 30
    python benchmarks/tabular_batch_speed.py --sets movielens,movielens_implicit --repeats 1
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, machine_info, median, print_table, write_results

DATASETS = {"titanic": "Survived", "adult": "class"}
#: The ratings cases: MovieLens 100k's ratings, and the same interactions as implicit feedback.
RATINGS = {"movielens": False, "movielens_implicit": True}
MOVIELENS = SHARED_DATA / "movielens_100k" / "ml-100k.tgz"
#: What a ratings fit's history keeps beside the loss, to compare the two variants' scores.
RATINGS_SCORES = ("rmse", "hit@10", "ndcg@10", "roc_auc")
VARIANTS = ("torch's threads", "one thread")
#: The events that close each part of a batch, in loop order, and the part each closes.
PARTS = {
    "before_batch": "loader and loop",
    "after_pred": "forward",
    "after_loss": "loss",
    "after_backward": "backward",
    "after_step": "optimizer step",
    "after_batch": "rest",
}


def _split_callback() -> Any:
    """A callback timing the parts of each training batch (:data:`PARTS`), the last to run at each event."""
    from trainwell.learner.events import Callback

    class Split(Callback):
        order = 1000

        def __init__(self) -> None:
            self.seconds: dict[str, float] = dict.fromkeys(PARTS.values(), 0.0)
            self.batches = 0
            self._last: float | None = None

        def _mark(self, learn: Any, part: str) -> None:
            if not learn.training:
                self._last = None  # validation batches are not counted
                return
            now = time.perf_counter()
            if self._last is not None:
                self.seconds[part] += now - self._last
            self._last = now

        def before_train(self, learn: Any) -> None:
            self._last = time.perf_counter()

        def before_batch(self, learn: Any) -> None:
            self._mark(learn, PARTS["before_batch"])

        def after_pred(self, learn: Any) -> None:
            self._mark(learn, PARTS["after_pred"])

        def after_loss(self, learn: Any) -> None:
            self._mark(learn, PARTS["after_loss"])

        def after_backward(self, learn: Any) -> None:
            self._mark(learn, PARTS["after_backward"])

        def after_step(self, learn: Any) -> None:
            self._mark(learn, PARTS["after_step"])

        def after_batch(self, learn: Any) -> None:
            self.batches += learn.training
            self._mark(learn, PARTS["after_batch"])

    return Split()


def loader_ms(loader: Any, epochs: int = 5) -> float:
    """Median milliseconds a batch of iterating ``loader`` alone (its shuffle included)."""
    times = []
    for epoch in range(epochs):
        loader.set_epoch(epoch)
        began = time.perf_counter()
        count = sum(1 for _ in loader)
        times.append((time.perf_counter() - began) / count * 1000)
    return median(times)


def learner(data: Any, variant: str) -> Any:
    import torch

    from trainwell.callbacks.threads import OneThread
    from trainwell.collab import collab_learner
    from trainwell.tabular import tabular_learner

    torch.manual_seed(0)
    if data.application == "collab":
        learn = collab_learner(data, n_factors=50, progress=False)
    else:
        learn = tabular_learner(data, progress=False)
    if variant == VARIANTS[0]:
        learn.remove_callback(OneThread)
    return learn


def rows_of(loader: Any) -> int:
    """Rows of one epoch of ``loader``: its tensors' (a table's, the ratings'), or counted (implicit feedback's
    loader draws its negatives each epoch)."""
    tensors = getattr(loader, "tensors", None)
    return len(tensors[0]) if tensors is not None else sum(len(batch[-1]) for batch in loader)


def timed(run: Any) -> tuple[float, float]:
    """Seconds of the clock and of CPU (every thread of the process) that ``run()`` took."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def measure(data: Any, variant: str, points: int) -> dict[str, Any]:
    learn = learner(data, variant)
    swept: dict[str, Any] = {}

    def sweep() -> None:
        swept["result"] = learn.lr_find(num_it=points)

    sweep_wall, sweep_cpu = timed(sweep)
    n = len(swept["result"].lrs)
    epoch_wall, epoch_cpu = timed(lambda: learn.fit(1, 1e-3 if data.application != "collab" else 5e-3))
    row = learn.history[-1]
    return {
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "sweep_points": n,
        "sweep_ms_per_batch": sweep_wall / n * 1000,
        "sweep_cpu_ms_per_batch": sweep_cpu / n * 1000,
        "epoch_s": epoch_wall,
        "epoch_cpu_s": epoch_cpu,
        "sweep_raw_losses": swept["result"].raw_losses,
        "valid_loss": row["valid_loss"],
        **{name: row[name] for name in RATINGS_SCORES if name in row},
    }


def breakdown(data: Any) -> dict[str, float]:
    """Milliseconds a training batch spends in each part (:data:`PARTS`), on one thread, over one epoch."""
    learn = learner(data, VARIANTS[1])
    split = _split_callback()
    learn.fit(1, 1e-3 if data.application != "collab" else 5e-3, callbacks=[split])
    return {part: seconds / split.batches * 1000 for part, seconds in split.seconds.items()}


def case_data(name: str) -> Any:
    """The bundle of case ``name`` as ``trainwell fit`` builds it, or ``None`` (said) when its data is absent."""
    folder = SHARED_DATA / name if name in DATASETS else MOVIELENS
    if not folder.exists():
        print(f"skipped {name}: needs {folder} (the shared datasets are not shipped with the repository)")
        return None
    if name in DATASETS:
        from trainwell.tabular import tabular_data

        return tabular_data(folder, DATASETS[name], seed=0)
    from trainwell.collab import ratings_data
    from trainwell.collab.data import read_ratings
    from trainwell.core.archives import unpacked

    frame = read_ratings(Path(unpacked(MOVIELENS)) / "u.data")
    if RATINGS[name]:
        return ratings_data(frame[["user", "item", "timestamp"]], implicit=True, seed=0)
    return ratings_data(frame, seed=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--points", type=int, default=30, help="batches of each learning-rate sweep")
    parser.add_argument(
        "--sets",
        default=",".join([*DATASETS, *RATINGS]),
        help=f"comma-separated cases among {', '.join([*DATASETS, *RATINGS])}",
    )
    args = parser.parse_args()
    sets = [name.strip() for name in args.sets.split(",") if name.strip()]
    unknown = [name for name in sets if name not in DATASETS and name not in RATINGS]
    if unknown:
        parser.error(f"--sets: unknown case {unknown[0]!r}; the cases are {', '.join([*DATASETS, *RATINGS])}")
    import trainwell  # noqa: F401, I001  (before torch: it sets the OpenMP spin count torch's threads read)
    import torch

    warnings.filterwarnings("ignore")  # the tables' notes on ID columns and words, said by every fit
    threads = torch.get_num_threads()
    results: dict[str, Any] = {}
    for name in sets:
        data = case_data(name)
        if data is None:
            continue
        torch.set_num_threads(1)
        loader = loader_ms(data.train)
        parts = breakdown(data)
        torch.set_num_threads(threads)
        learner(data, VARIANTS[1]).lr_find(num_it=5)  # warm-up: one-off costs (imports, first allocations)
        runs: dict[str, list[dict[str, Any]]] = {variant: [] for variant in VARIANTS}
        for repeat in range(args.repeats):
            for variant in VARIANTS if repeat % 2 == 0 else VARIANTS[::-1]:
                runs[variant].append(measure(data, variant, args.points))
                # Each variant leaves the process's setting as it found it.
                assert torch.get_num_threads() == threads
        results[name] = {
            "rows": rows_of(
                data.train
            ),  # a ratings case: rows a training epoch reads, drawn negatives included
            "batch_size": data.train.batch_size,
            "batches_per_epoch": len(data.train),
            "loader_ms_per_batch": loader,
            "one_thread_ms_per_batch": parts,
            "runs": runs,
        }
    if not results:
        return
    rows = []
    for name, result in results.items():
        for key, label in (
            ("sweep_ms_per_batch", "sweep, ms a batch"),
            ("sweep_cpu_ms_per_batch", "sweep, CPU ms a batch"),
            ("epoch_s", "fit epoch, s"),
            ("epoch_cpu_s", "fit epoch, CPU s"),
            *(
                (score, f"valid {score}")
                for score in RATINGS_SCORES
                if score in result["runs"][VARIANTS[1]][0]
            ),
        ):
            before = median([run[key] for run in result["runs"][VARIANTS[0]]])
            after = median([run[key] for run in result["runs"][VARIANTS[1]]])
            rows.append([f"{name} (batch {result['batch_size']})", label, before, after, before / after])
    print_table(
        f"Tables' MLP and ratings models, median of {args.repeats}, torch's {threads} threads against one "
        f"(load average {machine_info()['load_average_1min']:.1f})",
        ["table", "measure", VARIANTS[0], VARIANTS[1], "ratio"],
        rows,
    )
    split_rows = []
    for name, result in results.items():
        parts = result["one_thread_ms_per_batch"]
        total = sum(parts.values())
        split_rows.append(
            [name, result["loader_ms_per_batch"], total, *(f"{parts[p] / total:.0%}" for p in PARTS.values())]
        )
    print_table(
        "Where a training batch goes on one thread (share of the batch's time)",
        ["table", "loader alone, ms", "batch, ms", *PARTS.values()],
        split_rows,
    )
    for name, result in results.items():
        same = all(
            run["sweep_raw_losses"] == result["runs"][VARIANTS[1]][0]["sweep_raw_losses"]
            for run in result["runs"][VARIANTS[1]]
        )
        print(f"{name}: one thread's sweeps give the same losses in every repeat: {same}")
    path = write_results(
        "tabular_batch_speed" if any(name in DATASETS for name in results) else "ratings_batch_speed",
        {
            "machine": machine_info(torch_threads=threads),
            "repeats": args.repeats,
            "points": args.points,
            "load_average_1min_end": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
            "results": results,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
