"""A Cancel raised in after_epoch takes effect once every callback's after_epoch has run: the epoch that ends the
fit is printed, recorded, logged and weighed by the other callbacks whichever callback raises it, whatever its
order (docs/training-loop.md's StopAtLoss example has order 10, before the progress bar's 50)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch
from torch import nn

import trainwell
from trainwell import Callback, CancelFit
from trainwell.callbacks import CSVLogger, SaveBest
from trainwell.learner import Learner


class StopAtLoss(Callback):  # docs/training-loop.md, "## Events", as written there
    order = 10  # lower runs first at every event

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    def after_epoch(self, learn) -> None:  # type: ignore[no-untyped-def]
        if learn.history[-1]["valid_loss"] < self.threshold:
            raise CancelFit  # after_fit still runs


class Seen(Callback):
    """Counts the after_epoch and after_fit events it sees."""

    def __init__(self, order: int) -> None:
        self.order = order
        self.epochs: list[int] = []
        self.fits = 0

    def after_epoch(self, learn: Learner) -> None:
        self.epochs.append(learn.epoch)

    def after_fit(self, learn: Learner) -> None:
        self.fits += 1


def regression_learner(**kwargs: object) -> Learner:
    trainwell.seed_everything(0)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(512, 4, generator=generator)
    y = x @ torch.tensor([0.5, -1.0, 0.25, 2.0]) + 0.5 * torch.randn(512, generator=generator)
    data = trainwell.tensor_data(x, y.numpy(), batch_size=64)
    return Learner(nn.Linear(4, 1), data, **kwargs)  # type: ignore[arg-type]


def printed_rows(text: str) -> list[list[str]]:
    lines = [line.split() for line in text.splitlines() if line.strip()]
    header = next(i for i, cells in enumerate(lines) if cells and cells[0] == "epoch")
    return [cells for cells in lines[header + 1 :] if cells and cells[0].isdigit()]


def test_the_epoch_that_stops_the_fit_is_printed_and_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    learn = regression_learner(path=tmp_path)
    threshold = 1.0
    late = Seen(order=100)
    learn.fit_one_cycle(20, 1e-1, callbacks=[StopAtLoss(threshold), CSVLogger(), late])
    captured = capsys.readouterr()
    rows = printed_rows(captured.out + captured.err)
    header = next(
        line.split() for line in (captured.out + captured.err).splitlines() if line.split()[:1] == ["epoch"]
    )
    column = header.index("valid_loss")

    assert 1 < len(learn.history) < 20  # stopped by StopAtLoss, not at the end of the schedule
    assert learn.history[-1]["valid_loss"] < threshold <= learn.history[-2]["valid_loss"]
    # the table ends on the row below the threshold, and that row is learn.history's last entry
    assert len(rows) == len(learn.history)
    assert int(rows[-1][0]) == learn.history[-1]["epoch"]
    assert float(rows[-1][column]) == pytest.approx(learn.history[-1]["valid_loss"], abs=1e-4)
    assert float(rows[-1][column]) < threshold
    # so is history.csv's, and a callback ordered after all of them saw that epoch, then after_fit once
    with open(tmp_path / "history.csv", newline="") as handle:
        logged = list(csv.DictReader(handle))
    assert len(logged) == len(learn.history)
    assert float(logged[-1]["valid_loss"]) == pytest.approx(learn.history[-1]["valid_loss"])
    assert late.epochs == list(range(len(learn.history)))
    assert late.fits == 1


def test_the_stopping_epoch_is_weighed_for_the_best_weights(tmp_path: Path) -> None:
    learn = regression_learner(path=tmp_path, progress=False)
    best = SaveBest("valid_loss")  # order 80: after StopAtLoss raised
    learn.fit_one_cycle(20, 1e-1, callbacks=[StopAtLoss(1.0), best])
    assert best.best_epoch == len(learn.history) - 1  # the last epoch has the lowest loss so far


def test_the_first_cancel_is_the_one_raised_and_the_others_still_run() -> None:
    class StopWith(Callback):
        def __init__(self, order: int, error: type[Exception]) -> None:
            self.order = order
            self.error = error

        def after_epoch(self, learn: Learner) -> None:
            raise self.error

    late = Seen(order=95)
    learn = regression_learner(progress=False)
    learn.fit(5, callbacks=[StopWith(5, CancelFit), StopWith(90, CancelFit), late])
    assert len(learn.history) == 1
    assert late.epochs == [0] and late.fits == 1


def test_a_stray_cancel_in_after_epoch_still_names_its_callback() -> None:
    from trainwell import CancelTrain
    from trainwell.core.errors import ConfigError

    class Stray(Callback):
        order = 5

        def after_epoch(self, learn: Learner) -> None:
            raise CancelTrain

    late = Seen(order=95)
    learn = regression_learner(progress=False)
    with pytest.raises(ConfigError, match="CancelTrain raised in callback Stray during event after_epoch"):
        learn.fit(3, callbacks=[Stray(), late])
    assert late.epochs == [0]  # the others saw the epoch before the mistake was reported
