"""The progress bar of a fit showed ``10/?`` and no time left during every epoch, though the loader's batches
were known (375 an epoch on MNIST): it read the loader's length before the learner had set the phase's loader
(none yet in the first epoch; the other phase's later, so an epoch's bar counted to the validation batches). It
now shows each phase's own total, and the time left, whenever the loader has a length."""

from __future__ import annotations

import io
import re

import pytest
from callbacks_helpers import linear_learner, regression_data
from rich.console import Console

from trainwell.callbacks import progress
from trainwell.callbacks.progress import ProgressBar
from trainwell.learner import Callback, Learner


class DrawnBar(Callback):
    """After each batch, the bar as a terminal shows it (rendered once the ProgressBar has updated it)."""

    order = 51

    def __init__(self, bar: ProgressBar) -> None:
        self.bar = bar
        self.frames: list[tuple[bool, int, str]] = []

    def after_batch(self, learn: Learner) -> None:
        assert self.bar._progress is not None
        screen = Console(file=io.StringIO(), width=160, force_terminal=False, record=True)
        screen.print(self.bar._progress)
        self.frames.append((learn.training, learn.batch_index, screen.export_text().strip()))


def test_each_phase_of_each_epoch_shows_its_own_total_and_the_time_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(progress, "REFRESH_SECONDS", 0.0)  # every batch updates the bar: its last one is seen
    data = regression_data(200, batch_size=16)
    n_train, n_valid = len(data.train), len(data.valid)  # type: ignore[arg-type]
    assert n_train != n_valid  # the other phase's length would show
    terminal = Console(file=io.StringIO(), width=160, force_terminal=True, force_interactive=True)
    bar = ProgressBar(terminal)
    drawn = DrawnBar(bar)
    learn = linear_learner(data)
    learn.fit(2, callbacks=[bar, drawn])
    assert len(drawn.frames) == 2 * (n_train + n_valid)
    for training, index, frame in drawn.frames:
        total = n_train if training else n_valid
        assert re.search(
            rf"epoch [12]/2 {'train' if training else 'valid'} .* {index + 1}/{total} ", frame
        ), frame
        assert "/?" not in frame, frame
    # a total and some progress give a time left (h:mm:ss), never rich's -:--:-- of an unknown total
    last = drawn.frames[n_train - 1][2]
    assert re.search(r"\d:\d\d:\d\d\s+\d:\d\d:\d\d", last) and "-:--:--" not in last, last
