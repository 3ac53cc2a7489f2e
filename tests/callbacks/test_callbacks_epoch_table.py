"""The epoch table a fit prints: numbers as the final results table writes them (a loss in squared dollars
in 4 digits, 2.628e9, neither 5.585e+09 nor 2,628,295,116), the time as a duration (5.2s, not 5.2260), each
baseline beside its metric and before lr and time, bookkeeping (valid_tokens) left out, and no empty line after
a fit or a sweep when the output is not a terminal."""

from __future__ import annotations

import io
import re

import pytest
import torch
from callbacks_helpers import WEIGHTS
from rich.console import Console
from torch import nn

from clock_support import FakeClock
from ratings_support import low_rank_ratings
from text_samples import stories
from trainwell.callbacks import TimeBudget
from trainwell.callbacks.progress import ProgressBar, _cell, table_columns
from trainwell.collab import collab_learner, ratings_data
from trainwell.core.numbers import figure, format_value
from trainwell.data import tensor_data
from trainwell.learner import Learner
from trainwell.learner.events import Callback
from trainwell.text.lm_learner import language_model_learner
from trainwell.text.lm_stream import lm_data

#: How a duration is written (trainwell.callbacks.budget.format_duration): 12ms, 5.2s, 45s, 9m 52s, 1h 30m.
DURATION = re.compile(r"^(\d+ms|\d+(\.\d)?s|\d+m( \d+s)?|\d+h( \d+m)?)$")


def _recording() -> Console:
    return Console(record=True, width=250, force_terminal=False)


def _lines(console: Console) -> list[str]:
    return [line for line in console.export_text().splitlines() if line.strip()]


def _priced_learner() -> Learner:
    """A regression on prices in dollars: its squared-error losses run to billions."""
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(80, 3, generator=generator)
    prices = 200_000 + 50_000 * (x @ WEIGHTS) + 5_000 * torch.randn(80, generator=generator)
    data = tensor_data(x, prices.numpy(), valid_pct=0.25, batch_size=16, seed=0)
    return Learner(nn.Linear(3, 1), data, progress=False, device="cpu", lr=0.05)


def test_a_loss_in_billions_is_written_compact_as_the_results_table_writes_it_and_the_time_as_a_duration() -> (
    None
):
    console = _recording()
    learn = _priced_learner()
    learn.fit(2, callbacks=[ProgressBar(console)])
    header, *rows = _lines(console)
    names = header.split()
    assert names == ["epoch", "train_loss", "valid_loss", "rmse", "mae", "r2", "lr", "time"]
    for line, row in zip(rows, learn.history, strict=True):
        cells = re.split(r"\s{2,}", line.strip())
        assert len(cells) == len(names) and len(line) == len(header)  # aligned under the header
        loss = float(row["train_loss"])
        assert loss > 1e10 and cells[1] == format_value(loss, real=figure) == figure(loss)
        assert re.fullmatch(r"\d\.\d{3}e1\d", cells[1]), cells[1]  # 1.234e10: 4 digits, not 11
        assert "e+" not in line
        assert DURATION.match(cells[-1]), cells[-1]


def test_cells_write_numbers_as_the_results_table_and_seconds_as_a_duration() -> None:
    assert [_cell(value) for value in (0.8238, 64_659.3, 2_628_295_116.4, 2.05e-6, float("nan"))] == [
        "0.8238",
        "64,659",
        "2.628e9",  # 5.585e+09, then 2,628,295,116 before: the results table below writes it so
        "2.05e-06",  # a number below a thousandth: 4 decimals would read 0.0000 (the lr column: 2.1e-06)
        "-",
    ]
    assert [_cell(value, "time") for value in (5.226, 0.012, 75.0, 3_725.0)] == [
        "5.2s",
        "12ms",
        "1m 15s",
        "1h 2m",
    ]
    assert [_cell(value) for value in (3, 12_435, None, "auto")] == ["3", "12,435", "-", "auto"]
    # In a column that reaches 10,000 the thousands take separators too, as in the results table: 3,846.
    assert _cell(3_846.2, "mae", grouped=True) == "3,846" and _cell(3_846.2, "mae") == "3846.2000"


def test_baselines_stand_beside_their_metric_before_lr_and_time_and_bookkeeping_is_left_out() -> None:
    row = {
        "fit": 1,
        "epoch": 0,
        "train_loss": 4.9,
        "valid_loss": 4.8,
        "lr": 1e-3,
        "time": 11.7,
        "perplexity": 124.9,
        "perplexity_baseline": 22.9,
        "valid_tokens": 800,
        "valid_tokens_total": 4000,
        "f1": 0.8,
        "f1_baseline": 0.3,
        "f1_macro": 0.7,  # a metric of its own, not a baseline of f1
        "rmse[price]": 1.0,
    }
    assert table_columns(row) == [
        "epoch",
        "train_loss",
        "valid_loss",
        "perplexity",
        "perplexity_baseline",
        "f1",
        "f1_baseline",
        "f1_macro",
        "lr",
        "time",
    ]


def test_a_ratings_fit_prints_the_biases_rmse_beside_the_models() -> None:
    frame = low_rank_ratings(0).frame
    torch.manual_seed(0)
    learn = collab_learner(ratings_data(frame, seed=0), progress=False)
    console = _recording()
    learn.fit(1, callbacks=[ProgressBar(console)])
    assert "rmse_biases" in learn.history[-1]
    names = _lines(console)[0].split()
    assert names[names.index("rmse") + 1] == "rmse_biases" and names[-2:] == ["lr", "time"]


class _Ticks(Callback):
    """Each batch takes 0.05 s of the budget's clock in training and 1 s in validation."""

    order = 100

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    def after_loss(self, learn: Learner) -> None:
        self.clock.now += 0.05 if learn.training else 1.0


@pytest.mark.filterwarnings("ignore::trainwell.text.lm_callbacks.BaselineNotBeaten")  # a fit of a few batches
def test_a_language_models_table_leaves_the_tokens_read_to_the_history() -> None:
    torch.manual_seed(0)
    data = lm_data(stories(300), batch_size=4, bptt=8, min_freq=1, seed=0)
    learn = language_model_learner(data, emb_size=8, hidden_size=8, n_layers=1, progress=False)
    clock = FakeClock()
    console = _recording()
    learn.fit_one_cycle(1, 1e-2, callbacks=[TimeBudget(50, clock=clock), _Ticks(clock), ProgressBar(console)])
    assert "valid_tokens" in learn.history[-1]  # a budgeted validation counted what it read
    names = _lines(console)[0].split()
    assert "valid_tokens" not in names and "valid_tokens_total" not in names
    assert names[names.index("perplexity") + 1] == "perplexity_baseline" and names[-2:] == ["lr", "time"]


def test_no_empty_line_after_a_fit_or_a_sweep_off_a_terminal() -> None:
    # Off a terminal rich's progress display printed an empty line each time it stopped: a script's log read
    # "lr_find result", "", table, "" between the lines it printed itself.
    output = io.StringIO()
    console = Console(file=output, width=200)
    assert not console.is_terminal
    learn = _priced_learner()
    learn.callbacks.append(ProgressBar(console))
    learn.lr_find(num_it=10)
    assert output.getvalue() == ""
    learn.fit(1)
    lines = output.getvalue().splitlines()
    assert len(lines) == 2 and all(line.strip() for line in lines)  # the header and the epoch's row
