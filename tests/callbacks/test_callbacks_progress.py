"""The epoch lines printed during a fit: epochs counted from 1 over the whole history, as curves.png counts
them, fine-tuning's two phases included, while the history keeps each fit's 0-based epoch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from callbacks_helpers import regression_data
from rich.console import Console
from torch import nn

from trainwell.callbacks import Checkpoint
from trainwell.callbacks.progress import ProgressBar
from trainwell.learner import Callback, Learner, plots


def _printed_epochs(console: Console) -> list[int]:
    rows = [line.split() for line in console.export_text().splitlines()]
    return [int(row[0]) for row in rows if row and row[0].isdigit()]


class _BodyHead(nn.Sequential):
    """A body and a head: a model fine_tune can freeze."""

    def __init__(self) -> None:
        super().__init__(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))

    def layer_groups(self) -> list[nn.Module]:
        return [self[0], self[2]]


def test_fine_tuning_counts_epochs_from_1_across_its_phases_as_the_curves_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    torch.manual_seed(0)
    console = Console(record=True, width=200, force_terminal=False)
    model = _BodyHead()
    learn = Learner(
        model, regression_data(), progress=False, device="cpu", lr=0.05, callbacks=[ProgressBar(console)]
    )
    learn.fine_tune(2, freeze_epochs=1)  # a frozen epoch, then two with everything training
    assert [(row["fit"], row["epoch"]) for row in learn.history] == [(1, 1), (2, 2), (2, 3)]  # as shown
    assert _printed_epochs(console) == [1, 2, 3]
    drawn: list[Any] = []  # the figure of curves.png, kept instead of written

    def keep(figure: Any, path: Path) -> Path:
        drawn.append(figure)
        return path

    monkeypatch.setattr(plots, "_save", keep)
    plots.plot_history(learn.history, learn.recorder.lrs, learn.recorder.losses, tmp_path / "curves.png")
    metric_axis = drawn[0].axes[1]
    assert metric_axis.get_xlabel() == "epoch"
    assert list(metric_axis.lines[0].get_xdata()) == [1, 2, 3]
    plots._pyplot().close(drawn[0])


def test_a_second_fit_goes_on_counting() -> None:
    console = Console(record=True, width=200, force_terminal=False)
    learn = Learner(nn.Linear(3, 1), regression_data(), progress=False, device="cpu", lr=0.05)
    bar = ProgressBar(console)
    learn.fit(2, callbacks=[bar])
    learn.fit(1, callbacks=[bar])
    assert _printed_epochs(console) == [1, 2, 3]
    assert learn.recorder.shown_epoch(learn.epoch) == 3 and learn.epoch == 0


class StopAtSecondEpoch(Callback):
    """Interrupts the fit as the second epoch starts (after the first epoch's checkpoint)."""

    def before_epoch(self, learn: Learner) -> None:
        if learn.epoch == 1:
            raise KeyboardInterrupt


def test_a_resumed_fit_numbers_its_epochs_as_the_uninterrupted_one(tmp_path: Path) -> None:
    def learner() -> Learner:
        return Learner(
            nn.Linear(3, 1), regression_data(), progress=False, device="cpu", lr=0.05, path=tmp_path
        )

    with pytest.raises(KeyboardInterrupt):
        learner().fit(3, callbacks=[Checkpoint(), StopAtSecondEpoch()])
    console = Console(record=True, width=200, force_terminal=False)
    resumed = learner()
    resumed.fit(3, callbacks=[ProgressBar(console)], resume_from=tmp_path / "checkpoint.pt")
    assert [row["epoch"] for row in resumed.history] == [1, 2, 3]  # as the uninterrupted fit's
    assert _printed_epochs(console) == [2, 3]


def test_a_long_fit_says_how_long_after_its_first_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    import trainwell.callbacks.progress as progress
    from trainwell.callbacks import TimeBudget

    monkeypatch.setattr(progress, "LONG_FIT_SECONDS", 0.0)  # every fit counts as long here
    console = Console(record=True, width=200, force_terminal=False)
    learn = Learner(nn.Linear(3, 1), regression_data(), progress=False, device="cpu", lr=0.05)
    learn.fit(3, callbacks=[ProgressBar(console)])
    said = [line for line in console.export_text().splitlines() if "to go at this speed" in line]
    assert len(said) == 1 and ": 2 more epochs (a time budget, --time 10m or TimeBudget('10m')" in said[0]
    console = Console(record=True, width=200, force_terminal=False)
    learn.fit(3, callbacks=[ProgressBar(console), TimeBudget("1h")])
    said = [line for line in console.export_text().splitlines() if "to go at this speed" in line]
    assert len(said) == 1 and said[0].endswith(": 2 more epochs")
    monkeypatch.setattr(progress, "LONG_FIT_SECONDS", 3600.0)
    console = Console(record=True, width=200, force_terminal=False)
    learn.fit(3, callbacks=[ProgressBar(console)])
    assert "to go at this speed" not in console.export_text()


def test_a_fit_in_closed_form_prints_no_epoch_line() -> None:
    # Boosted trees and EASE train no epoch: their one epoch only validates. The tour saw a header over a row
    # of dashes before the command's table of the same validation figures.
    console = Console(record=True, width=200, force_terminal=False)
    from trainwell.callbacks import ClosedForm

    learn = Learner(
        nn.Linear(3, 1),
        regression_data(),
        progress=False,
        device="cpu",
        callbacks=[ClosedForm(), ProgressBar(console)],
    )
    learn.fit(1)
    assert len(learn.history) == 1 and learn.history[0]["valid_loss"] is not None  # it did validate
    assert console.export_text().strip() == ""


def test_an_epoch_that_trains_prints_its_header_and_row() -> None:
    console = Console(record=True, width=200, force_terminal=False)
    learn = Learner(nn.Linear(3, 1), regression_data(), progress=False, device="cpu", lr=0.05)
    learn.fit(1, callbacks=[ProgressBar(console)])
    header, row = [line for line in console.export_text().splitlines() if line.strip()]
    assert header.split()[:3] == ["epoch", "train_loss", "valid_loss"] and row.split()[0] == "1"
