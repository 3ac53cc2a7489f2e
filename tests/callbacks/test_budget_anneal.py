"""TimeBudget on a machine whose speed changes: a fit cut for time ends its schedule annealed, a slowdown shortens
the plan instead of ending it mid-anneal, a plan of a few slow batches still warms up and anneals over them, and a
stall no plan could foresee is said as a cut, at the learning rate it left.

A user's ``fit digits.zip --time 25s`` ended at 29% of the peak rate after one slow epoch, and Tiny Shakespeare
under ``--time 40s`` (7 batches) stayed at the first rate for 5 batches and jumped to the peak; both said "the
schedule was fitted to it". The clock is the test's: every training batch takes the seconds the test scripts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from callbacks_helpers import linear_learner, regression_data

from clock_support import FakeClock as Clock
from trainwell.callbacks import TimeBudget
from trainwell.learner import Learner
from trainwell.learner.events import Callback

PEAK = 0.1


class Ticks(Callback):
    """Moves the clock by ``train(n)`` seconds for the n-th training batch and ``valid`` per validation batch."""

    order = 100

    def __init__(self, clock: Clock, train: Callable[[int], float], valid: float) -> None:
        self.clock, self.train, self.valid = clock, train, valid
        self.lrs: list[float] = []

    def after_batch(self, learn: Learner) -> None:
        if learn.training:
            self.lrs.append(learn.opt.param_groups[0]["lr"])  # type: ignore[union-attr]
            self.clock.now += self.train(len(self.lrs) - 1)
        else:
            self.clock.now += self.valid


def budgeted_fit(
    seconds: float, train: Callable[[int], float], *, valid: float = 0.05, rows: int = 80
) -> tuple[TimeBudget, Ticks, Clock]:
    clock = Clock()
    learn = linear_learner(regression_data(rows, batch_size=15), path=Path("."))
    budget, ticks = TimeBudget(seconds, clock=clock), Ticks(clock, train, valid)
    learn.fit_one_cycle(100, PEAK, callbacks=[budget, ticks])
    return budget, ticks, clock


def test_a_machine_that_slows_down_shortens_the_plan_and_still_anneals() -> None:
    # 50 ms batches, then 8 times slower from the 200th: the slow average alone saw it too late, and the time
    # ran out at 9% of the peak.
    budget, ticks, clock = budgeted_fit(25, lambda n: 0.05 if n < 200 else 0.4)
    assert clock.now - 1000.0 <= 25.0
    assert ticks.lrs[-1] < PEAK * 1e-3 and max(ticks.lrs[-4:]) < PEAK * 0.1  # the last batches at the low end
    assert "(its learning-rate schedule was shortened to end within the budget)" in budget.summary()


def test_a_few_slow_batches_warm_up_and_anneal_over_them() -> None:
    # 4 s batches (the first 6 s), a 40 s budget, 4 batches an epoch and a short validation: 8 batches. The plan
    # once waited for three timed batches: five at the first rate, then the peak at once.
    _, ticks, _ = budgeted_fit(40, lambda n: 6.0 if n == 0 else 4.0, valid=1.0)
    lrs = ticks.lrs
    assert len(lrs) >= 7
    peak_at = lrs.index(max(lrs))
    # Near the first rate only for the two batches before the speed is known (the first's time is not the speed).
    assert sum(lr < 0.2 * PEAK for lr in lrs[:peak_at]) <= 2
    assert max(lrs) > 0.9 * PEAK and 0 < peak_at < len(lrs) - 2  # up, then down over more than one batch
    assert lrs[-1] < PEAK * 1e-3
    assert all(b <= a for a, b in zip(lrs[peak_at:], lrs[peak_at + 1 :], strict=False))


def test_a_stall_no_plan_could_foresee_is_said_as_a_cut() -> None:
    # One batch of 6.5 s among 50 ms ones takes what was left: the fit stops where the schedule had got to.
    budget, ticks, _ = budgeted_fit(25, lambda n: 6.5 if n == 300 else 0.05)
    assert ticks.lrs[-1] > PEAK * 0.1
    said = budget.summary()
    assert "fitted to it" not in said
    assert f"cut at lr {ticks.lrs[-1]:.2g} of a 0.1 peak" in said
    assert budget.fits[-1]["annealed"] is False


def test_a_fit_the_budget_fits_says_so() -> None:
    budget, ticks, _ = budgeted_fit(20, lambda n: 1.0, valid=0.5)
    assert ticks.lrs[-1] < PEAK * 1e-3 and budget.fits[-1]["annealed"]
    assert "(its learning-rate schedule was shortened to end within the budget)" in budget.summary()


def test_the_finder_may_take_what_a_training_that_plainly_fits_leaves() -> None:
    # A 25 s budget, 375 training batches at 25 ms (9.4 s): a tenth (2.5 s) would hold 100 sweep batches at
    # most, but the training leaves some 11 s; at 0.5 s a batch the training would not fit: a tenth it is.
    from trainwell.callbacks.budget import SWEEP_SHARE, sweep_time

    clock = Clock()
    budget = TimeBudget(25, clock=clock).start()
    limit = sweep_time(budget, 375)
    assert callable(limit)
    assert limit(0.025) == pytest.approx(25 - 1.5 * 375 * 0.025)
    assert limit(0.5) == pytest.approx(25 * SWEEP_SHARE)
    assert sweep_time(budget) == pytest.approx(25 * SWEEP_SHARE) and sweep_time(None) is None


def test_a_sweep_given_what_the_training_leaves_is_not_stopped(tmp_path: Path) -> None:
    # The finder's own check, with its batches timed by the test's clock at 25 ms each: a tenth of a 25 s budget
    # would stop a 100-point sweep on a slow start, what the training leaves does not.
    from trainwell.learner.lr_find import LRFinder

    clock = Clock()
    budget = TimeBudget(25, clock=clock).start()
    learn = linear_learner(regression_data(2_000, batch_size=15), path=tmp_path)

    class Slow(Callback):
        order = 100

        def after_batch(self, learn: Learner) -> None:
            clock.now += 0.1  # 0.1 s a batch: 100 points need 10 s, 4 times a tenth of the budget

    for limit, stopped in ((sweep_time_of(budget, None), True), (sweep_time_of(budget, 60), False)):
        finder = LRFinder(1e-7, 10.0, 100, time_limit=limit, clock=clock)
        learn.fit(1, lr=1e-3, callbacks=[finder, Slow()])
        assert finder.stopped_for_time is stopped


def sweep_time_of(budget: TimeBudget, batches: int | None) -> float | Callable[[float], float]:
    from trainwell.callbacks.budget import sweep_time

    limit = sweep_time(budget, batches)
    assert limit is not None
    return limit
