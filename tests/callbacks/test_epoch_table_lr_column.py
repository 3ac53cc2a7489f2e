"""The epoch table's lr column wrote one fit's rates in three forms, 0.0090 above 0.000828 and 1e-07 (4 decimals
from a thousandth up, 3 significant digits below); it writes every rate as the report's history does, 9.0e-03."""

from __future__ import annotations

import io
import re

import torch
from callbacks_helpers import WEIGHTS
from rich.console import Console
from torch import nn

from trainwell.callbacks import ProgressBar
from trainwell.callbacks.progress import _cell
from trainwell.data import tensor_data
from trainwell.learner import Learner


def test_every_rate_is_written_in_one_form() -> None:
    assert [_cell(rate, "lr") for rate in (0.009, 0.000828, 1e-07, 0.05, 1, 0.0)] == [
        "9.0e-03",
        "8.3e-04",
        "1.0e-07",
        "5.0e-02",
        "1.0e+00",
        "0.0e+00",
    ]
    assert _cell(float("nan"), "lr") == "-"
    assert _cell(0.009) == "0.0090" and _cell(0.000828) == "0.000828"  # other columns: as before


def test_a_one_cycle_fits_rates_line_up_in_one_form() -> None:
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(64, 3, generator=generator)
    data = tensor_data(x, (x @ WEIGHTS).numpy(), valid_pct=0.25, batch_size=16, seed=0)
    learn = Learner(nn.Linear(3, 1), data, progress=False, device="cpu", lr=0.01)
    console = Console(file=io.StringIO(), record=True, width=200, force_terminal=False)
    learn.fit_one_cycle(3, callbacks=[ProgressBar(console)])
    header, *rows = [line for line in console.export_text().splitlines() if line.strip()]
    column = header.split().index("lr")
    rates = [re.split(r"\s{2,}", row.strip())[column] for row in rows[:3]]
    assert all(re.fullmatch(r"\d\.\de-\d\d", rate) for rate in rates), rates
    assert rates[-1] != rates[0]  # the schedule's rates, each as it ended its epoch
