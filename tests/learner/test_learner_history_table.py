"""``learn.history_table()``: the history with epochs counted from 1 over every fit, as ``history.csv`` has them
and as ``learn.history``'s rows count them."""

from __future__ import annotations

import io

import pandas as pd
import torch
from torch import nn

from trainwell.data import tensor_data
from trainwell.learner import Learner
from trainwell.learner.run_files import history_csv


def _learner() -> Learner:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(40, 3, generator=generator)
    y = x @ torch.tensor([1.0, -2.0, 0.5])
    data = tensor_data(x, y.numpy(), valid_pct=0.25, batch_size=16, seed=0)
    torch.manual_seed(0)
    return Learner(nn.Linear(3, 1), data, progress=False, device="cpu")


def test_history_table_counts_epochs_from_one_over_every_fit_as_history_csv_does() -> None:
    learn = _learner()
    assert learn.history_table().empty
    learn.fit(2, lr=1e-2)
    learn.fit(1, lr=1e-3)
    assert [(row["fit"], row["epoch"]) for row in learn.history] == [(1, 1), (1, 2), (2, 3)]
    table = learn.history_table()
    assert table["epoch"].tolist() == [1, 2, 3]
    assert table["valid_loss"].tolist() == [row["valid_loss"] for row in learn.history]
    from_csv = pd.read_csv(io.StringIO(history_csv(learn.history)))
    pd.testing.assert_frame_equal(table, from_csv, check_dtype=False)
    assert [row["epoch"] for row in learn.history] == [1, 2, 3]  # left as they were
