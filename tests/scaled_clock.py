"""``trainwell fit`` run in this process on a clock sped up or slowed down, for the closing line on the command's
time: at 100 times the wall's pace the few tenths of a second after a one-step fit (the test set's scoring, the
writing) look clearly past a 2 s budget, at a hundredth they take no time to speak of; no test asserts a wall
time. (:class:`clock_support.FakeClock` is the clock moved by hand, for code that takes a ``clock``.)"""

from __future__ import annotations

import re
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


def closing_line(
    said: str, *, training: str = r"[0-9.]+s", scored_rows: int | None = None
) -> re.Match[str] | None:
    """The last line of ``said`` matched as the command's closing line on its time, part by part: the training
    (``training``, a pattern for its duration), the test set's scoring where ``scored_rows`` is given, the
    writing, then the reporting and the rest where they are said; ``None`` where it does not read so."""
    took = r"\S+( \S+)?"
    scoring = rf", ({took}) scoring the test set \({scored_rows} rows\)" if scored_rows is not None else ""
    pattern = (
        rf"the command took ({took}): {training} training \(--time\){scoring}, ({took}) writing the model"
        rf"(, {took} reporting the results)?(, {took} starting up and the rest)?"
        rf"(, {took} before --time's clock \(starting up: the interpreter, the imports of the training stack\))?"
        rf"(, {took} after the training \(validation results, plots, thresholds\))?"
    )
    return re.fullmatch(pattern, said.strip().splitlines()[-1])
