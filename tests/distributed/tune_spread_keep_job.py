"""A search spread over ``torchrun``'s two processes in which, by construction, the best trial's gain over the
defaults is within the noise and the defaults' trial and the best were trained by different processes, so the
defaults' model must be written by the process that did not train the best.

The table (:func:`rare_table`, as in ``tests/automl/test_tune_keep.py``): a column ``a``, 1 on 12 training rows
and one validation row, all positive, 0 on rows whose target is a coin toss. The defaults' trial (``x`` = 0)
fits the trees with their default leaf size, too large to split those rows off: one probability for every row.
Any other trial (``x`` > 0) fits a leaf size of 5, which splits them off: a gain carried by one validation row.
Two trials in all, and each process waits in its first trial until the other has begun one, so each process
trains exactly one of them.

Usage: ``torchrun --nproc_per_node 2 tune_spread_keep_job.py TABLE.csv OUT_DIR``. The model goes to
``OUT_DIR/model``; each process writes ``OUT_DIR/rank<r>.json``: what its ``TuneResult`` says.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd

from trainwell.automl.search import Range, SearchSettings, Space, run_search
from trainwell.automl.table import _train_trees
from trainwell.data.bundle import DataBundle
from trainwell.distributed.spread import each_process_alone, job_store, spread_position
from trainwell.learner.events import Callback
from trainwell.learner.learner import Learner
from trainwell.tabular.data import tabular_data
from trainwell.tabular.pipeline import TableRun

_began = False


def rare_table(rows: int = 300, valid: int = 100, rare: int = 12) -> pd.DataFrame:
    """``y`` is ``"yes"`` where ``a`` is 1 (``rare`` training rows, one validation row), a coin toss elsewhere."""
    generator = np.random.default_rng(0)
    a = np.r_[np.ones(rare), np.zeros(rows - rare), np.ones(1), np.zeros(valid - 1)].astype(int)
    y = np.where(a == 1, 1, generator.integers(0, 2, size=len(a)))
    return pd.DataFrame(
        {"a": a, "y": np.where(y == 1, "yes", "no"), "is_valid": [False] * rows + [True] * valid}
    )


def defaults(data: DataBundle, seed: int) -> dict[str, Any]:
    return {"x": 0.0}


def train(
    data: DataBundle, params: dict[str, Any], seed: int, callbacks: list[Callback], progress: bool
) -> Learner:
    global _began
    if not _began:  # both processes hold a trial before either finishes one: each trains one of the two
        _began = True
        rank, _ = spread_position()
        store = job_store("keep-job")
        store.set(f"began/{rank}", b"1")
        store.wait([f"began/{1 - rank}"])
    # The trees' default leaf size, or one that splits the rare rows off.
    leaf = 20 if params["x"] == 0.0 else 5
    return _train_trees(data, {"min_samples_leaf": leaf}, seed, callbacks, progress)


def main() -> None:
    table, out = Path(sys.argv[1]), Path(sys.argv[2])
    rank, _ = spread_position()
    with each_process_alone():
        data = tabular_data(table, "y", seed=0, valid_col="is_valid")
        space = Space(defaults, {"x": Range(0.0, 1.0)}, train, TableRun, arch="gbdt")
        settings = SearchSettings(2, None, out / "model", seed=0, pruner=optuna.pruners.NopPruner())
        result = run_search(data, space, "roc_auc", settings)
    said = {
        "has_run": result.run is not None,
        "best_trial": result.best_trial,
        "kept": result.kept,
        "kept_trial": result.kept_trial,
        "kept_reason": result.kept_reason,
        "improvement_interval": result.improvement_interval,
        "selection": None if result.selection is None else result.selection.to_dict(),
        "trials": result.trials,
    }
    (out / f"rank{rank}.json").write_text(json.dumps(said))


if __name__ == "__main__":
    main()
