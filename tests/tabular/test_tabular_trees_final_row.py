"""A boosted-trees learner's ``learn.final_row`` holds only what was measured: a tour printing it read
``'train_loss': nan`` and ``'lr': nan``, columns trees have no value for (they take no training batches). The row
now reads as ``run.metrics`` does and as an MLP's row less those two; the history keeps them, so that history.csv's
columns stay those of every run."""

from __future__ import annotations

import json
import math
from pathlib import Path

import trainwell
from table_samples import yes_no_rows
from trainwell.tabular import tabular_data, tabular_learner


def _has_nan(row: dict) -> bool:
    return any(isinstance(value, float) and math.isnan(value) for value in row.values())


def test_a_trees_final_row_holds_only_what_was_measured(tmp_path: Path) -> None:
    run = trainwell.fit_table(
        yes_no_rows(300, 0), target="y", arch="gbdt", out=tmp_path / "trees", progress=False
    )
    row = run.learn.final_row
    assert not _has_nan(row) and "train_loss" not in row and "lr" not in row, row
    assert row == run.metrics and row["valid_loss"] > 0 and {"accuracy", "roc_auc", "time"} <= set(row)
    assert math.isnan(run.learn.history[-1]["train_loss"])  # the history keeps the column, empty
    final = json.loads((tmp_path / "trees" / "trainwell.json").read_text())["training"]["final"]
    assert final == json.loads(json.dumps(row))  # the model directory records the same row, no nulls
    # An MLP's row has the same keys and the two it measures besides
    mlp = trainwell.fit_table(yes_no_rows(300, 0), target="y", arch="mlp", epochs=1, lr=1e-2, progress=False)
    assert set(mlp.learn.final_row) == set(row) | {"train_loss", "lr"}
    assert mlp.learn.final_row is mlp.learn.history[-1]  # a row trained by steps is the history's own


def test_a_trees_learner_built_by_hand_reads_the_same() -> None:
    data = tabular_data(yes_no_rows(300, 1), "y", seed=0)
    learn = tabular_learner(data, arch="gbdt")
    assert learn.final_row == {}  # before any epoch
    learn.fit(1)
    assert "train_loss" not in learn.final_row and "lr" not in learn.final_row
    assert not _has_nan(learn.final_row) and learn.final_row["valid_loss"] > 0
