"""A live progress bar (rich) and one printed line per epoch.

Updates are throttled to ten a second so the display costs nothing measurable per batch; reading the smoothed
loss (a device sync) happens only then. Nothing is drawn on ranks other than 0, and when the output is not a
terminal only the epoch lines are printed.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from trainwell.callbacks.closed_form import ClosedForm
from trainwell.core.device import is_rank_zero
from trainwell.core.numbers import figure, format_value
from trainwell.learner.events import Callback
from trainwell.metrics.targets import split_target_key

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

REFRESH_SECONDS = 0.1
#: After the first epoch, a fit whose other epochs will take longer than this says how long.
LONG_FIT_SECONDS = 300.0


class ProgressBar(Callback):
    """Show training progress; ``console`` defaults to standard error so piped output stays clean."""

    order = 50

    def __init__(self, console: Console | None = None, print_epochs: bool = True) -> None:
        self.console = console
        self.print_epochs = print_epochs
        self._progress: Progress | None = None
        self._task: Any = None
        self._columns: list[str] = []
        self._phase = "train"

    def before_fit(self, learn: Learner) -> None:
        self._enabled = is_rank_zero()
        if not self._enabled:
            return
        self.console = self.console or Console(stderr=True)
        self._columns = []
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[status]}"),
            console=self.console,
            transient=True,
            refresh_per_second=10,
        )
        self._progress.start()

    def _start_phase(self, learn: Learner, phase: str) -> None:
        if self._progress is None:
            return
        total = len(learn.loader) if hasattr(learn.loader, "__len__") else None  # type: ignore[arg-type]
        if self._task is not None:
            self._progress.remove_task(self._task)
        self._phase = phase
        self._task = self._progress.add_task(
            _description(learn, phase),
            total=total,
            status="",
            completed=learn._start_batch if phase == "train" else 0,
        )
        self._last = 0.0

    def before_train(self, learn: Learner) -> None:
        self._start_phase(learn, "train")

    def before_validate(self, learn: Learner) -> None:
        self._start_phase(learn, "valid")

    def after_batch(self, learn: Learner) -> None:
        now = time.perf_counter()
        if self._progress is None or now - self._last < REFRESH_SECONDS:
            return
        self._last = now
        status = ""
        smooth = learn.recorder.smooth_loss
        if learn.training and smooth is not None:
            status = f"loss {float(smooth):.4f}"
        self._progress.update(
            self._task,
            completed=learn.batch_index + 1,
            status=status,
            description=_description(learn, self._phase),  # a TimeBudget may re-plan the epochs
        )

    def after_epoch(self, learn: Learner) -> None:
        if not self._enabled or not self.print_epochs or not learn.history or _fitted_in_closed_form(learn):
            return
        row = learn.history[-1]
        assert self.console is not None
        if not self._columns:
            # Per-target values ("rmse[price]") would make the line as wide as the targets are many: they are
            # in learn.history, the CSV log and the final table; the line keeps the headlines.
            self._columns = [key for key in row if key != "fit" and split_target_key(key)[1] is None]
            header = "  ".join(f"{name:>11}" for name in self._columns)
            self.console.print(header, highlight=False, soft_wrap=True)
        # The history keeps the fit's 0-based epoch (resuming relies on it); people read 1, 2... as curves.png.
        shown = {**row, "epoch": learn.recorder.shown_epoch(int(row["epoch"]))} if "epoch" in row else row
        self.console.print(
            "  ".join(_cell(shown.get(name)) for name in self._columns), highlight=False, soft_wrap=True
        )
        if learn.epoch == 0 and learn._start_batch == 0:
            self._say_how_long(learn, float(row.get("time", 0.0)))

    def _say_how_long(self, learn: Learner, epoch_seconds: float) -> None:
        """After a fit's first epoch, when the rest will take long, say how long (once)."""
        per_epoch = max(1, learn.planned_iterations // max(1, learn.n_epochs))
        remaining = math.ceil(learn.n_iterations / per_epoch) - 1
        seconds = remaining * epoch_seconds
        if seconds < LONG_FIT_SECONDS:
            return
        from trainwell.callbacks.budget import TimeBudget, format_duration

        assert self.console is not None
        bounded = any(isinstance(callback, TimeBudget) for callback in learn._active)
        hint = (
            "" if bounded else " (a time budget, --time 10m or TimeBudget('10m'), fits the schedule to less)"
        )
        self.console.print(
            f"about {format_duration(seconds)} to go at this speed: {remaining} more epochs{hint}",
            highlight=False,
            soft_wrap=True,
            markup=False,
        )

    def teardown(self, learn: Learner) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._task = None


def say(learn: Learner, text: str) -> None:
    """Print ``text`` under the epoch rows, where a fit with a progress bar prints them (nothing without one:
    ``progress=False`` keeps a fit quiet)."""
    for callback in learn._active:
        if (
            isinstance(callback, ProgressBar)
            and getattr(callback, "_enabled", False)
            and callback.print_epochs
        ):
            assert callback.console is not None
            callback.console.print(text, highlight=False, soft_wrap=True, markup=False)
            return


def _fitted_in_closed_form(learn: Learner) -> bool:
    """A model fitted in closed form (boosted trees, EASE) trains no epoch: its fit's one epoch only validates.
    Its line would be a header over one row of dashes (no training loss, no rate), and the command prints the
    same validation figures in its table just below."""
    return bool(getattr(learn.model, "closed_form", False)) or any(
        isinstance(callback, ClosedForm) for callback in learn._active
    )


def _description(learn: Learner, phase: str) -> str:
    """``epoch 3/12 train``: the last epoch is the one the planned batches end in (fewer than asked for when
    a :class:`~trainwell.callbacks.TimeBudget` shortened the plan)."""
    per_epoch = max(1, learn.planned_iterations // max(1, learn.n_epochs))
    last = min(learn.n_epochs, max(learn.epoch + 1, math.ceil(learn.n_iterations / per_epoch))) - 1
    return f"epoch {learn.recorder.shown_epoch(learn.epoch)}/{learn.recorder.shown_epoch(last)} {phase}"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return f"{'-':>11}"
        if abs(value) < 1e-3 and value != 0:
            return f"{value:>11.3g}"
        shown = figure(value)  # 4 decimals; a price whole: 64,659
        return f"{shown if len(shown) <= 11 else f'{value:.4g}':>11}"  # a loss in squared dollars: 4.177e+09
    # Whole numbers as the report writes them (12,435); a column an epoch lacks as a missing float's "-".
    return f"{'-' if value is None else format_value(value):>11}"
