"""``trainwell.load(dir).predict`` of a table's network runs on one CPU thread, as its fit did: 1,000 Adult rows
took several times longer on two busy cores' two threads than on one, for the same probabilities
(``benchmarks/thread_speed.py``). Boosted trees keep the process's setting (their walk takes the free cores).
The process's own setting is back after each prediction, however it ends."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import torch
from test_tabular_threads import small_table

import trainwell
from trainwell.core.errors import DataError
from trainwell.tabular import tabular_data, tabular_learner


def threads_in_forward(model: torch.nn.Module) -> list[int]:
    """torch's intra-op threads at each call of ``model``, appended as it runs."""
    seen: list[int] = []
    model.register_forward_hook(lambda *_: seen.append(torch.get_num_threads()))
    return seen


def test_a_loaded_tables_network_predicts_on_one_thread(two_threads: None, tmp_path: Path) -> None:
    learn = tabular_learner(tabular_data(small_table(), "y", batch_size=32), progress=False)
    learn.fit(1, 1e-3)
    predictor = trainwell.load(learn.export(tmp_path / "model"))
    assert predictor.threads == 1
    seen = threads_in_forward(predictor.model)
    rows = small_table(50).drop(columns="y")
    table = predictor.predict(rows)
    probabilities = predictor.predict_proba(rows, as_frame=True)
    assert seen == [1, 1] and len(table) == len(probabilities) == 50
    assert torch.get_num_threads() == 2
    learn_seen = threads_in_forward(learn.model)
    assert len(learn.predict(rows)) == 50 and learn_seen == []  # learn.predict goes through a predictor too
    bad = rows.assign(x=["not a number"] + [0.0] * 49)
    with pytest.raises(DataError):
        predictor.predict(bad)
    assert torch.get_num_threads() == 2
    predictor.threads = None  # the process's own setting
    seen.clear()
    predictor.predict(rows)
    assert seen == [2]


def test_loaded_boosted_trees_keep_the_processs_threads(two_threads: None, tmp_path: Path) -> None:
    learn = tabular_learner(tabular_data(small_table(), "y"), arch="gbdt", progress=False)
    learn.fit(1)
    predictor = trainwell.load(learn.export(tmp_path / "trees"))
    assert predictor.threads is None
    assert len(predictor.predict(pd.DataFrame(small_table(10).drop(columns="y")))) == 10
    assert torch.get_num_threads() == 2
