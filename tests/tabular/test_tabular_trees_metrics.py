"""A boosted-trees run's ``run.metrics`` without the columns trees have no value for: a tour read
``'train_loss': nan`` and ``'lr': nan`` there. Its history keeps them, so that history.csv's columns stay those of
every run."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

import trainwell
from table_samples import yes_no_rows


def test_a_boosted_trees_run_leaves_out_the_columns_trees_have_no_value_for(tmp_path: Path) -> None:
    run = trainwell.fit_table(
        yes_no_rows(300, 0), target="y", arch="gbdt", out=tmp_path / "trees", progress=False
    )
    assert "train_loss" not in run.metrics and "lr" not in run.metrics
    assert run.metrics["valid_loss"] > 0
    # The history keeps them, empty, so that every run's history.csv has the same columns
    assert math.isnan(run.learn.history[-1]["train_loss"])
    history = pd.read_csv(tmp_path / "trees" / "history.csv")
    assert {"train_loss", "lr"} <= set(history.columns)
    # arch="auto" compares the trees' row as the user reads it, the MLP's with its training loss and rate
    auto = trainwell.fit_table(yes_no_rows(300, 0), target="y", epochs=None, progress=False)
    assert auto.compared is not None and "train_loss" not in auto.compared["gbdt"]
    assert "train_loss" in auto.compared["tabular_mlp"]
    # An MLP's row keeps them
    mlp = trainwell.fit_table(yes_no_rows(300, 0), target="y", arch="mlp", epochs=1, lr=1e-2, progress=False)
    assert {"train_loss", "lr"} <= set(mlp.metrics)
