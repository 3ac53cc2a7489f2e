"""A time budget counts from after the process's one-off imports for training: building the first optimizer
loads ``torch._dynamo`` (1-4 s), which ``fit --time 30s`` used to take out of its 30 s of training.

The imports are stood in for by a call that moves the test's clock by four seconds: the budget must make it
before it reads the clock, when it is started and when a fit begins.
"""

from __future__ import annotations

import pytest
from test_callbacks_budget import timed_learner

import trainwell.callbacks.budget as budget_module
from clock_support import FakeClock as Clock
from clock_support import Ticks
from trainwell.callbacks import TimeBudget


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """A clock that the stand-in for the one-off imports moves by four seconds at each call (``clock.calls``)."""
    clock = Clock()
    clock.calls = 0  # type: ignore[attr-defined]

    def imports_taking_four_seconds() -> None:
        clock.now += 4.0
        clock.calls += 1  # type: ignore[attr-defined]

    monkeypatch.setattr(budget_module, "load_training_imports", imports_taking_four_seconds)
    return clock


def test_a_started_budget_counts_from_after_the_one_off_imports(clock: Clock) -> None:
    budget = TimeBudget(10, clock=clock).start()
    assert clock.calls == 1  # type: ignore[attr-defined]
    assert budget.remaining == 10.0  # the four seconds of imports came before its start


def test_a_fit_counts_from_after_the_one_off_imports(clock: Clock) -> None:
    # The fit of test_the_plan_uses_the_budget_and_the_schedule_ends_annealed (1 s a batch, 0.5 s a validation):
    # the same 17 batches in the same 19.5 s, the imports at its start not counted.
    learn = timed_learner()
    budget = TimeBudget(20, clock=clock)
    learn.fit_one_cycle(100, 0.1, callbacks=[budget, Ticks(clock)])
    assert clock.calls >= 1  # type: ignore[attr-defined]
    assert learn.iteration == 17
    assert budget.used == pytest.approx(19.5)
