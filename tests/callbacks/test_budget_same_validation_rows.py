"""Every epoch of a budgeted fit is scored on the same validation rows: a validation set the budget's first pass
read whole is read whole in every later pass, in every fit that shares the budget.

A ULMFiT classifier under ``fit --time 45s`` (gradual unfreezing: one fit a stage, each given a share of what is
left) scored its first stage on all 600 validation texts; the later stages, each with a smaller share and so a
smaller cap on a pass, on "the first 256 of the 600": the history's accuracy jumped from 0.558 to 0.586 with no
change in the model's answers. The clock is moved by hand (a second a batch): no time is asserted.
"""

from __future__ import annotations

from callbacks_helpers import linear_learner, regression_data

from clock_support import FakeClock, Ticks
from trainwell.callbacks import TimeBudget
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


def test_a_later_fit_with_a_smaller_share_reads_the_whole_validation_set_as_the_first_did() -> None:
    clock = FakeClock()
    learn = linear_learner(regression_data(400, batch_size=15, valid_pct=0.75))
    valid = len(learn.data.valid)  # type: ignore[arg-type]
    assert valid == 10  # 300 rows in batches of 30
    budget, counted = TimeBudget(200, clock=clock), CountValidation()
    callbacks = [budget, Ticks(clock, train=1.0, valid=1.0), counted]
    # The first fit may spend 40 s on a pass: its 10 batches of a second are read whole.
    learn.fit_one_cycle(1, 0.05, callbacks=callbacks)
    assert counted.passes == [valid]
    # The second gets a fifth of what is left (about 33 s), so a cap of about 6.6 s a pass: before, its passes
    # read their first 6 batches, the first fit's row stayed on all 10.
    budget.share_next_fit(0.2)
    learn.fit_one_cycle(2, 0.05, callbacks=callbacks)
    assert counted.passes == [valid, valid, valid], counted.passes
    assert budget.valid_batches is None
    assert "validation pass read" not in budget.summary()


def test_a_first_pass_the_budget_cut_fixes_the_batches_of_every_later_fit() -> None:
    clock = FakeClock()
    learn = linear_learner(regression_data(400, batch_size=15, valid_pct=0.75))
    budget, counted = TimeBudget(100, clock=clock), CountValidation()
    callbacks = [budget, Ticks(clock, train=1.0, valid=1.0), counted]
    budget.share_next_fit(0.2)  # 20 s: a pass may take 4 s, so it reads its first 4 batches
    learn.fit_one_cycle(1, 0.05, callbacks=callbacks)
    learn.fit_one_cycle(1, 0.05, callbacks=callbacks)  # the rest: a cap of some 15 s, yet the same 4 batches
    assert budget.valid_batches is not None and budget.valid_batches[0] == 4
    assert counted.passes == [4, 4], counted.passes


def test_a_resumed_fit_keeps_the_validation_rows_of_the_epochs_before_its_checkpoint() -> None:
    clock = FakeClock()
    learn = linear_learner(regression_data(400, batch_size=15, valid_pct=0.75))
    budget, counted = TimeBudget(200, clock=clock), CountValidation()
    learn.fit_one_cycle(1, 0.05, callbacks=[budget, Ticks(clock, train=1.0, valid=1.0), counted])
    assert counted.passes == [10]
    resumed = TimeBudget(200, clock=clock)  # what a checkpoint carries to the resumed fit's budget
    resumed.load_checkpoint_state(budget.checkpoint_state())
    resumed.share_next_fit(0.2)
    learn.fit_one_cycle(1, 0.05, callbacks=[resumed, Ticks(clock, train=1.0, valid=1.0), counted])
    assert counted.passes == [10, 10] and resumed.valid_batches is None
    cut = TimeBudget(100, clock=clock)
    cut.valid_batches = (4, 10)
    again = TimeBudget(100, clock=clock)
    again.load_checkpoint_state(cut.checkpoint_state())
    assert again.valid_batches == (4, 10)
