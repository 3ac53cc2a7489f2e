"""A budget that cuts its fit to less than one epoch says so, with the batches trained and the budget one epoch
would need (``TimeBudget.barely_trained``), in Python's words and the command line's; a budget spent before the
first batch names ``--time`` and a budget worth giving.

``fit --task language_model --time 10s`` on 200 KB of Tiny Shakespeare trained 2 of an epoch's 12 batches and
printed its perplexity as a trained model's. The clock is moved by hand (one second a training batch, half a
second a validation batch): no time is asserted.
"""

from __future__ import annotations

import pytest
from callbacks_helpers import linear_learner, regression_data

from clock_support import FakeClock, Ticks
from trainwell.callbacks import TimeBudget
from trainwell.callbacks.budget import BudgetSpent, duration_text
from trainwell.core.duration import parse_duration
from trainwell.learner import Learner


def _learner() -> tuple[Learner, int]:
    """A linear regression of 20 training batches an epoch (a second each on the clock) and 7 validation ones."""
    learn = linear_learner(regression_data(400, batch_size=15, valid_pct=0.25))
    batches = len(learn.data.train)  # type: ignore[arg-type]
    assert batches == 20
    return learn, batches


def _fit(seconds: float | str) -> tuple[TimeBudget, int]:
    clock = FakeClock()
    learn, batches = _learner()
    budget = TimeBudget(seconds, clock=clock)
    learn.fit_one_cycle(3, 0.05, callbacks=[budget, Ticks(clock, train=1.0, valid=0.5)])
    return budget, batches


def test_a_fit_cut_within_its_first_epoch_says_what_one_epoch_would_need() -> None:
    budget, batches = _fit(8)
    trained = budget.fits[-1]["trained_batches"]
    assert 1 <= trained < batches
    warning = budget.barely_trained()
    assert warning is not None
    python, command_line = str(warning), warning.command_line
    assert command_line is not None
    assert command_line.startswith(
        f"--time 8.0s trained less than one epoch ({trained} of the {batches} batches "
    )
    assert python.startswith("time_budget='8.0s' trained less than one epoch")
    assert "barely trained model's" in python
    # An epoch of 20 one-second batches and its 3.5 s validation: about 22 s, asked for with a margin.
    assert "a batch took 1.0s" in command_line
    assert command_line.endswith("pass --time 40s or more")
    assert python.endswith("pass time_budget='40s' or more")


def test_the_budget_it_asks_for_trains_a_whole_epoch() -> None:
    warning = _fit(8)[0].barely_trained()
    assert warning is not None and warning.command_line is not None
    asked = warning.command_line.rsplit("pass --time ", 1)[1].removesuffix(" or more")
    budget, batches = _fit(parse_duration(asked))
    assert sum(fit["trained_batches"] for fit in budget.fits) >= batches
    assert budget.barely_trained() is None


def test_a_fit_that_trains_an_epoch_or_more_is_not_warned_of() -> None:
    budget, batches = _fit(60)
    assert budget.fits[-1]["trained_batches"] >= batches
    assert budget.barely_trained() is None
    assert _fit(1000)[0].barely_trained() is None  # not cut at all


def test_a_budget_spent_before_training_names_the_option_and_a_budget_worth_giving() -> None:
    clock = FakeClock()
    learn, _ = _learner()
    budget = TimeBudget(5, clock=clock).start()
    clock.now += 7.0  # reading the data took more than the budget
    with pytest.raises(BudgetSpent) as raised:
        learn.fit_one_cycle(1, 0.05, callbacks=[budget])
    assert raised.value.command_line is not None
    assert raised.value.command_line.startswith(
        "the --time of 5.0s was spent before training began (7.0s went"
    )
    assert "pass --time 20s or more, or pass --lr to skip" in raised.value.command_line
    assert str(raised.value).startswith("the time budget of 5.0s was spent before training began (7.0s went")
    assert "pass time_budget='20s' or more, or pass lr to skip" in str(raised.value)


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(0.2, "10s"), (11.2, "20s"), (60, "1m"), (60.5, "2m"), (131, "3m"), (700, "12m"), (3880, "1h5m")],
)
def test_a_budget_to_ask_for_is_rounded_up_and_reads_as_a_duration(seconds: float, said: str) -> None:
    assert duration_text(seconds) == said
    assert parse_duration(said) >= seconds
