"""A search spread over ``torchrun``'s processes whose best trial is, by construction, trained by rank 1: rank 0
trains every trial it gets at a thousandth of the trial's learning rate, so its models barely learn.

Usage: ``torchrun --nproc_per_node 2 tune_spread_job.py TABLE.csv OUT_DIR``. The model goes to
``OUT_DIR/model``; each process writes ``OUT_DIR/rank<r>.json``: what its ``TuneResult`` says.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import optuna

from trainwell.automl.search import Range, SearchSettings, Space, run_search
from trainwell.automl.table import _train
from trainwell.data.bundle import DataBundle
from trainwell.distributed.spread import each_process_alone, spread_position
from trainwell.learner.events import Callback
from trainwell.learner.learner import Learner
from trainwell.tabular.data import tabular_data
from trainwell.tabular.pipeline import TableRun

RANGES = {
    "lr": Range(3e-3, 3e-2, log=True),
    "wd": Range(fixed=0.01),
    "epochs": Range(fixed=4),
    "layers": Range(fixed="64"),
    "dropout": Range(fixed=0.0),
    "numeric_embedding": Range(fixed="none"),
}


def defaults(data: DataBundle, seed: int) -> dict[str, Any]:
    return {"lr": 1e-2, "wd": 0.01, "epochs": 4, "layers": "64", "dropout": 0.0, "numeric_embedding": "none"}


OUT = Path(".")


def train(
    data: DataBundle, params: dict[str, Any], seed: int, callbacks: list[Callback], progress: bool
) -> Learner:
    rank, _ = spread_position()
    # Both processes must train at least one trial, however the machine schedules them: each starts its first
    # only once the other has one too (on a loaded machine one process could otherwise take all six).
    (OUT / f"rank{rank}-started").touch()
    other, deadline = OUT / f"rank{1 - rank}-started", time.monotonic() + 120
    while not other.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    slowed = {**params, "lr": params["lr"] * (1e-3 if rank == 0 else 1.0)}
    return _train(data, slowed, seed, callbacks, progress)


def main() -> None:
    global OUT
    table, out = Path(sys.argv[1]), Path(sys.argv[2])
    OUT = out
    rank, _ = spread_position()
    with each_process_alone():
        data = tabular_data(table, "y", seed=0)
        space = Space(defaults, RANGES, train, TableRun, arch="tabular_mlp")
        settings = SearchSettings(6, None, out / "model", seed=0, pruner=optuna.pruners.NopPruner())
        result = run_search(data, space, "roc_auc", settings)
    said = {
        "has_run": result.run is not None,
        "model_dir": str(result.model_dir),
        "best_trial": result.best_trial,
        "best_value": result.best_value,
        "trials": result.trials,
        "selection": None if result.selection is None else result.selection.to_dict(),
    }
    (out / f"rank{rank}.json").write_text(json.dumps(said))


if __name__ == "__main__":
    main()
