"""``trainwell fit`` run in this process on a clock sped up or slowed down, for the closing line on the command's
time: at 100 times the wall's pace the few tenths of a second after a one-step fit (the test set's scoring, the
writing) look clearly past a 2 s budget, at a hundredth they take no time to speak of; no test asserts a wall
time. (:class:`clock_support.FakeClock` is the clock moved by hand, for code that takes a ``clock``.)"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import pytest

#: The ``monotonic`` of each module that times a command: its closing line, the scoring and writing after the
#: fit (run_files), and a fit made in one step (trees, EASE), which no budgeted fit times.
COMMAND_CLOCKS = (
    "trainwell.cli._training.monotonic",
    "trainwell.learner.run_files.monotonic",
    "trainwell.learner.one_step.monotonic",
)


def scaled_monotonic(speed: float) -> Callable[[], float]:
    """:func:`time.monotonic` from now on, running ``speed`` times as fast as the wall's."""
    real, base = time.monotonic, time.monotonic()

    def clock() -> float:
        return base + (real() - base) * speed

    return clock


def fit_on_a_scaled_clock(monkeypatch: pytest.MonkeyPatch, speed: float, args: Sequence[str]) -> str:
    """``trainwell fit ARGS`` in this process (300 columns wide), the :data:`COMMAND_CLOCKS` running ``speed``
    times as fast as the wall's: its output, once it has exited 0."""
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    clock = scaled_monotonic(speed)
    for target in COMMAND_CLOCKS:
        monkeypatch.setattr(target, clock)
    done = CliRunner().invoke(app, ["fit", *args], env={"COLUMNS": "300"})
    assert done.exit_code == 0, done.output
    return done.output
