"""``Task.decode(..., at_least_one=True)``: a multi-label row with no label over its threshold gets its likeliest
label; every other row, and every other kind of task, decodes as without it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from trainwell.data import Task
from trainwell.data.tables import prediction_table


def _reference(probabilities: np.ndarray, thresholds: np.ndarray, classes: list[str]) -> list[list[str]]:
    """The rule written out row by row: the labels over their thresholds, else the one of highest probability."""
    rows = []
    for row in probabilities:
        over = [label for label, p, limit in zip(classes, row, thresholds, strict=True) if p >= limit]
        rows.append(over or [classes[int(np.argmax(row))]])
    return rows


def test_at_least_one_gives_an_empty_row_its_likeliest_label_and_leaves_the_rest() -> None:
    task = Task("multilabel", ("a", "b", "c"), ("tags",), label_thresholds=(0.5, 0.3, 0.9))
    probabilities = torch.tensor([[0.1, 0.2, 0.8], [0.6, 0.1, 0.1], [0.2, 0.25, 0.3], [0.9, 0.9, 0.95]])
    assert task.decode(probabilities) == [[], ["a"], [], ["a", "b", "c"]]  # the default is unchanged
    # The likeliest label, not the one nearest its threshold: 'c' (0.8), though 'b' (0.2 of 0.3) is nearer.
    assert task.decode(probabilities, at_least_one=True) == [["c"], ["a"], ["c"], ["a", "b", "c"]]


def test_at_least_one_matches_the_rule_written_out_on_random_rows() -> None:
    rng = np.random.default_rng(0)
    classes = [f"label{i}" for i in range(7)]
    thresholds = rng.uniform(0.3, 0.95, size=7)
    probabilities = rng.uniform(0, 1, size=(500, 7)) ** 3  # many rows with no label over its threshold
    task = Task("multilabel", tuple(classes), ("tags",), label_thresholds=tuple(thresholds.tolist()))
    decoded = task.decode(torch.from_numpy(probabilities.astype(np.float32)), at_least_one=True)
    expected = _reference(probabilities.astype(np.float32), thresholds.astype(np.float32), classes)
    assert decoded == expected
    assert sum(not labels for labels in task.decode(torch.from_numpy(probabilities.astype(np.float32)))) > 50


def test_prediction_table_passes_at_least_one_and_other_kinds_ignore_it() -> None:
    task = Task("multilabel", ("a", "b"), ("tags",), label_delim="|")
    table = prediction_table(task, np.array([[0.1, 0.3], [0.7, 0.8]]), pd.RangeIndex(2), at_least_one=True)
    assert table["prediction"].tolist() == ["b", "a|b"]
    assert prediction_table(task, np.array([[0.1, 0.3]]), pd.RangeIndex(1))["prediction"].tolist() == [""]
    multiclass = Task("multiclass", ("x", "y", "z"), ("k",))
    probabilities = torch.tensor([[0.2, 0.5, 0.3]])
    assert multiclass.decode(probabilities, at_least_one=True) == multiclass.decode(probabilities) == ["y"]
