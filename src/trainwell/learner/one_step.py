"""The time budget of a model fitted in one step (boosted trees, EASE), which no budgeted fit times.

A pipeline's ``time_budget=`` bounds a network's training through a :class:`~trainwell.callbacks.TimeBudget` in
its fit, which counts what the fit used and, after it, what scoring the test set and writing the model took
(``TimeBudget.after``), so that ``fit --time``'s closing line can say where a command's time went. A model fitted
in one step has no fit for such a budget to run in (one there would refuse a fit whose budget the step had spent
as "spent before training began", and would plan batches it does not have), so its time went uncounted and the
closing line was never said (``fit --arch gbdt --time 1s`` on adult took 45 s and said nothing). The pipelines of
such models (tabular and collab, which may not import each other) count it here instead:
:class:`OneStepStart` counts the step's time from the call's start as the budget's used time,
:func:`score_and_write` counts the scoring and the writing after it, and :func:`hand_over` gives the budget to a
:class:`BudgetKeeper` among the call's callbacks (the command line's), which a budgeted fit hands it by itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING, Any

from trainwell.learner.events import Callback
from trainwell.learner.run_files import score_test_set, write_run

if TYPE_CHECKING:
    from trainwell.callbacks.budget import TimeBudget
    from trainwell.learner.lr_find import LRFindResult


class BudgetKeeper(Callback):
    """Keeps the time budget the training of a call kept to, for a closing line on the call's whole time.

    In a fit's callbacks it keeps the budget of every budgeted fit as it ends (the last one counts:
    ``learn.time_budget``, set by the :class:`~trainwell.callbacks.TimeBudget`'s ``after_fit``); a pipeline that
    fitted its model in one step hands it that budget with :func:`hand_over`. :attr:`one_step` says which: a
    one-step budget saw no fit (``budget.fits`` is empty) and still bounded the training.
    """

    order = 40  # after TimeBudget's after_fit, which sets learn.time_budget

    def __init__(self) -> None:
        self.budget: Any = None
        self.learn: Any = None
        self.one_step = False

    def after_fit(self, learn: Any) -> None:
        if getattr(learn, "time_budget", None) is not None:
            self.budget, self.learn, self.one_step = learn.time_budget, learn, False

    def keep_one_step(self, budget: TimeBudget, learn: Any) -> None:
        """Keep ``budget``, on which a pipeline counted a model fitted in one step; a budget kept from a fit (an
        MLP's, before the boosted trees that beat it were kept) stays."""
        if self.budget is None:
            self.budget, self.learn, self.one_step = budget, learn, True


def hand_over(callbacks: Sequence[Callback], budget: TimeBudget | None, learn: Any) -> None:
    """Give ``budget``, on which a model fitted in one step was counted, to each :class:`BudgetKeeper` among the
    call's ``callbacks`` (no fit ran them to hand it over)."""
    if budget is None:
        return
    for callback in callbacks:
        if isinstance(callback, BudgetKeeper):
            callback.keep_one_step(budget, learn)


@dataclass
class OneStepStart:
    """A call's started budget (or ``None``), and what it had used and its clock as the call began: made as the
    call starts, so that :meth:`count` counts the one step as a network's fit counts its own, from the call's
    start, reading the data included."""

    budget: TimeBudget | None
    used: float = 0.0
    clock: float = 0.0

    def __post_init__(self) -> None:
        if self.budget is not None:
            self.used, self.clock = self.budget.used, self.budget.clock()

    def count(self) -> None:
        """Count the time from the call's start to now as the budget's used time (the model fitted, validated)."""
        if self.budget is not None:
            self.budget.used = self.used + self.budget.clock() - self.clock


def score_and_write(
    learn: Any,
    out: str | Path | None,
    finder: LRFindResult | None,
    budget: TimeBudget | None,
    extra_files: dict[str, bytes] | None = None,
) -> Path | None:
    """Score the test set once and write the model directory (when ``out`` is given), with ``extra_files``.

    A fit under ``budget`` counts the time of each on it (``TimeBudget.after``, by
    :func:`~trainwell.learner.run_files.count_after_training`); a model fitted in one step ran no budgeted fit,
    so its scoring and writing are counted here, without the model directory claiming a budget use.
    """
    by_hand = budget is not None and getattr(learn, "time_budget", None) is not budget
    started = monotonic()
    score_test_set(learn)
    if by_hand and getattr(learn.data, "test", None) is not None:
        count_after(budget, "test", started)
    started = monotonic()
    model_dir = write_run(learn, Path(out), finder, extra_files) if out is not None else None
    if by_hand and out is not None:
        count_after(budget, "write", started)
    return model_dir


def count_after(budget: Any, what: str, started: float) -> None:
    """Add the seconds since ``started`` (:func:`time.monotonic`) to ``budget.after[what]``, as
    :func:`~trainwell.learner.run_files.count_after_training` adds a budgeted fit's."""
    now = monotonic()
    budget.after[what] = budget.after.get(what, 0.0) + now - started
    budget.after_ended = now
