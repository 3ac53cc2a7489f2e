"""TimeBudget bounds the validation pass: a budget that cannot hold a whole pass beside its training validates on
the first batches, the same ones every epoch, at most VALID_SHARE of the fit's time, and says so.

CoNLL-2003 under ``--time 1m`` on a loaded 2-core machine: one pass over the 3,250 validation sentences took
over two minutes, so the first epoch ran 2-3 minutes and the training the plan had left scored entity F1 0.
The clock is moved by hand (one second a training batch, one a validation batch): no time is asserted.
"""

from __future__ import annotations

import pytest
from callbacks_helpers import linear_learner, regression_data

from clock_support import FakeClock, Ticks
from trainwell.callbacks import TimeBudget
from trainwell.callbacks.budget import VALID_SHARE
from trainwell.learner import Learner
from trainwell.learner.events import Callback


class CountValidation(Callback):
    """The validation batches each pass read."""

    order = 200

    def __init__(self) -> None:
        self.passes: list[int] = []

    def before_validate(self, learn: Learner) -> None:
        self.passes.append(0)

    def after_batch(self, learn: Learner) -> None:
        if not learn.training:
            self.passes[-1] += 1


def slow_validation_learner() -> tuple[Learner, int, int]:
    learn = linear_learner(regression_data(400, batch_size=15, valid_pct=0.75))
    train, valid = len(learn.data.train), len(learn.data.valid)  # type: ignore[arg-type]
    assert valid >= 8 and train >= 4
    return learn, train, valid


def test_a_pass_the_budget_cannot_hold_reads_its_first_batches_every_epoch() -> None:
    clock = FakeClock()
    learn, train, valid = slow_validation_learner()
    budget, counted = TimeBudget(20, clock=clock), CountValidation()
    with pytest.warns(UserWarning, match=r"holds no whole validation pass .* first 4 of its"):
        learn.fit_one_cycle(10, 0.05, callbacks=[budget, Ticks(clock, train=1.0, valid=1.0), counted])
    # A fifth of 20 s is 4 s: four validation batches of a second; every pass reads the same four.
    assert VALID_SHARE * 20 == 4
    assert budget.valid_batches == (4, valid)
    assert counted.passes and set(counted.passes) == {4}
    # The fit ends within its budget: the plan kept 4 s for each validation, not a whole pass.
    assert clock.now - 1000.0 <= 20.0
    assert learn.iteration >= train  # at least a whole epoch trained
    assert all("valid_loss" in row for row in learn.history)
    assert budget.summary().endswith(f"; each validation pass read the first 4 of its {valid} batches")


def test_a_pass_the_budget_holds_reads_every_batch() -> None:
    clock = FakeClock()
    learn, _, valid = slow_validation_learner()
    budget, counted = TimeBudget(200, clock=clock), CountValidation()
    learn.fit_one_cycle(2, 0.05, callbacks=[budget, Ticks(clock, train=1.0, valid=1.0), counted])
    assert budget.valid_batches is None and counted.passes == [valid, valid]
    assert "validation pass read" not in budget.summary()


def test_a_callback_that_bounds_the_pass_itself_is_left_to_do_it() -> None:
    # A language model's BudgetedValidation calls bound_validation and cuts its own passes (its windows).
    class BoundsItself(Callback):
        order = 0

        def before_fit(self, learn: Learner) -> None:
            budget.bound_validation(100.0)

    clock = FakeClock()
    learn, _, valid = slow_validation_learner()
    budget, counted = TimeBudget(20, clock=clock), CountValidation()
    learn.fit_one_cycle(
        1, 0.05, callbacks=[budget, BoundsItself(), Ticks(clock, train=1.0, valid=1.0), counted]
    )
    assert budget.valid_batches is None and counted.passes == [valid]


def test_the_closing_line_parts_the_time_before_the_clock_from_that_after_the_training() -> None:
    # Adult under --time 1m on a loaded machine: 1m 45s were said as "starting up and the rest". The time before
    # the budget's clock (the interpreter, the imports) and the untimed work after the training are said apart.
    import time

    from trainwell.cli._training import CommandTime

    clock = FakeClock()
    budget = TimeBudget(10, clock=clock).start()
    learn, _, _ = slow_validation_learner()
    learn.fit_one_cycle(1, 0.05, callbacks=[budget, Ticks(clock, valid=0.0)])
    command = CommandTime()
    command.callback().budget = budget
    command.started = time.monotonic() - 100.0
    assert budget.started_at is not None
    budget.started_at = command.started + 20.0
    budget.after, budget.after_ended = {"test": 5.0, "write": 1.0}, command.started + 90.0
    line = command.line()
    assert line is not None
    assert line.startswith("the command took 1m 40s: ")
    assert (
        ", 20s before --time's clock (starting up: the interpreter, the imports of the training stack), "
        in line
    )
    assert line.endswith("after the training (validation results, plots, thresholds)")
    assert "starting up and the rest" not in line
