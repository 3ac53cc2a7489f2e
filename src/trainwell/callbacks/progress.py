"""A live progress bar (rich) and one printed line per epoch.

Updates are throttled to ten a second so the display costs nothing measurable per batch; reading the smoothed
loss (a device sync) happens only then. Nothing is drawn on ranks other than 0, and when the output is not a
terminal only the epoch lines are printed.

The epoch lines are a table: the epoch, the losses, each metric with its baselines beside it (``rmse`` then
``rmse_biases``), then the learning rate and the epoch's time (``5.2s``, ``1m 23s``). Numbers are written as
the final results table writes them (:func:`~trainwell.core.numbers.format_value`): a loss in squared dollars
as ``2,628,295,116``, not ``2.628e+09``.
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

from trainwell.callbacks.budget import format_duration
from trainwell.callbacks.closed_form import ClosedForm
from trainwell.core.device import is_rank_zero
from trainwell.core.errors import ConfigError
from trainwell.core.numbers import figure, format_value, reaches_ten_thousand
from trainwell.learner.events import Callback
from trainwell.learner.plots import BOOKKEEPING_COLUMNS, baseline_of
from trainwell.metrics.targets import split_target_key

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

REFRESH_SECONDS = 0.1
#: After the first epoch, a fit whose other epochs will take longer than this says how long.
LONG_FIT_SECONDS = 300.0
#: The narrowest a column of the epoch table is (a loss to 4 decimals, ``0.8238``, and room around it).
CELL_WIDTH = 11
#: Columns of a history row the epoch table leaves out: which fit a row is of (the epochs are numbered over all
#: fits) and what a budgeted validation read (``valid_tokens``: bookkeeping, not a measure of the model; the
#: history and the CSV log keep both).
HIDDEN_COLUMNS = ("fit", *BOOKKEEPING_COLUMNS)
#: The columns that close the table, after every measure of the model.
LAST_COLUMNS = ("lr", "time")


class ProgressBar(Callback):
    """Show training progress; ``console`` defaults to standard error so piped output stays clean."""

    order = 50

    def __init__(self, console: Console | None = None, print_epochs: bool = True) -> None:
        self.console = console
        self.print_epochs = print_epochs
        self._progress: Progress | None = None
        self._task: Any = None
        self._columns: list[str] = []
        self._widths: list[int] = []
        self._grouped: list[bool] = []
        self._phase = "train"
        self._sized = False  # the phase's total read (at its first batch)
        self._schedule_phase = ""  # the learner's fit_phase in the last fit (fine_tune's "frozen", ...)

    def before_fit(self, learn: Learner) -> None:
        self._enabled = is_rank_zero()
        if not self._enabled:
            return
        self.console = self.console or Console(stderr=True)
        # The fits of one schedule (fine_tune's frozen and unfrozen phases, ULMFiT's stages) make one table under
        # one header, as their epochs count on (a header a stage read as a table a stage: 4 for 4 epochs). A
        # schedule's first fit, a phase after its last ("unfrozen"), or a fit of no schedule starts a new table.
        phase = getattr(learn, "fit_phase", "") or ""
        if not (phase and self._schedule_phase and self._schedule_phase != "unfrozen"):
            self._columns = []
        self._schedule_phase = phase
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
            # Off a terminal nothing is drawn, and rich's stop() would print an empty line there: one after
            # each fit and each lr_find, between the lines a script's log or a notebook's output reads on.
            disable=not (self.console.is_interactive or self.console.is_jupyter),
        )
        self._progress.start()

    def _start_phase(self, learn: Learner, phase: str) -> None:
        if self._progress is None:
            return
        if self._task is not None:
            self._progress.remove_task(self._task)
        self._phase = phase
        # The phase's loader is not learn.loader yet (before_train and before_validate come before the learner
        # sets it: it is None in the first epoch, the other phase's later, which showed ``10/?`` and no time
        # left): the fit's own loaders are those of learn.data, and the loader iterated is read again at the
        # phase's first batch, as the bar is first updated.
        data = getattr(learn, "data", None)
        total = _batches(getattr(data, "train" if phase == "train" else "valid", None))
        self._sized = False
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
        if not self._sized:  # the phase's batches, for the bar's total and the time left
            self._sized = True
            self._progress.update(self._task, total=_batches(learn.loader))
        status = ""
        smooth = learn.recorder.smooth_loss
        if learn.training and smooth is not None:
            status = f"loss {figure(float(smooth))}"  # a loss in squared dollars whole: 4,177,235,367
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
        if self._columns and table_columns(row) != self._columns:  # a schedule's phase shows other columns
            self._columns = []
        if not self._columns:
            self._columns = table_columns(row)
            first = [_cell(row.get(name), name) for name in self._columns]
            # A column is as wide as its name and its first value (the largest loss, often); one whose first
            # value reaches 10,000 writes its thousands with separators to the end, as the results table does.
            self._widths = [
                max(CELL_WIDTH, len(name), len(cell)) for name, cell in zip(self._columns, first, strict=True)
            ]
            self._grouped = [reaches_ten_thousand(row.get(name)) for name in self._columns]
            header = "  ".join(
                f"{name:>{width}}" for name, width in zip(self._columns, self._widths, strict=True)
            )
            self.console.print(header, highlight=False, soft_wrap=True)
        # The row's epoch counts from 1 over every fit, as curves.png and history.csv count it.
        cells = (
            _cell(row.get(name), name, grouped)
            for name, grouped in zip(self._columns, self._grouped, strict=True)
        )
        self.console.print(
            "  ".join(f"{cell:>{width}}" for cell, width in zip(cells, self._widths, strict=True)),
            highlight=False,
            soft_wrap=True,
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
        from trainwell.callbacks.budget import TimeBudget

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


def _batches(loader: object) -> int | None:
    """The batches of a phase's loader, or ``None`` for a loader without a length (a stream)."""
    try:
        return len(loader)  # type: ignore[arg-type]
    except (TypeError, ConfigError):  # the learner's device wrapper of a stream says why in a ConfigError
        return None


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


def table_columns(row: dict[str, Any]) -> list[str]:
    """The columns of the epoch table for a history ``row``, in order: the epoch and the losses, each metric
    followed by its baselines (``rmse``, ``rmse_biases``; ``f1``, ``f1_baseline``), then :data:`LAST_COLUMNS`.

    Left out: :data:`HIDDEN_COLUMNS`, and per-target values (``rmse[price]``), which would make the line as wide as
    the targets are many (they are in ``learn.history``, the CSV log and the final table).

    Example:
        >>> table_columns({"fit": 1, "epoch": 0, "train_loss": 1.4, "valid_loss": 1.1, "rmse": 1.0, "lr": 0.004,
        ...                "time": 7.3, "rmse_biases": 0.99})
        ['epoch', 'train_loss', 'valid_loss', 'rmse', 'rmse_biases', 'lr', 'time']
    """
    names = [key for key in row if key not in HIDDEN_COLUMNS and split_target_key(key)[1] is None]
    measures = [name for name in names if name not in LAST_COLUMNS]
    baselines = {name: of for name in measures if (of := baseline_of(name, measures)) is not None}
    ordered: list[str] = []
    for name in measures:
        if name not in baselines:
            ordered += [name, *(baseline for baseline, of in baselines.items() if of == name)]
    return ordered + [name for name in LAST_COLUMNS if name in names]


def _cell(value: Any, name: str = "", grouped: bool = False) -> str:
    """One cell of the epoch table, unpadded: the ``time`` column as a duration (``5.2s``, ``1m 23s``); the ``lr``
    column in scientific notation in every row (``9.0e-03``, ``8.3e-04``, ``1.0e-07``), as the report's history
    writes it: a one-cycle schedule's rates span powers of ten, and ``0.0090`` above ``0.000828`` and ``1e-07``
    read as three kinds of number; another number below a thousandth in 3 significant digits (``2.05e-06``: 4
    decimals would say 0.0000); other numbers as the final results table writes them
    (:func:`~trainwell.core.numbers.format_value` with 4 decimals); a value an epoch lacks as ``-``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if name == "time" and isinstance(value, int | float) and not isinstance(value, bool):
        return format_duration(float(value))
    if (
        name == "lr"
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    ):
        return f"{float(value):.1e}"
    if isinstance(value, float) and abs(value) < 1e-3 and value != 0:
        return f"{value:.3g}"
    return format_value(value, grouped, real=figure)
