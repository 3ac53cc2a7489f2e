"""``fit --time`` with a test set keeps the test set's scoring out of the training's time: the budget bounded the
training alone, and a large test set's scoring came on top of it (``fit mnist --time 30s``: 1m 4s, 21 s of it
scoring 10,000 test images). :class:`~trainwell.cli._training.ReserveForTestSet` lowers the fit's limit by the
estimated scoring, measured in the fit, at most half of its time.
"""

from __future__ import annotations

import pytest
from cli_support import binary_table

from trainwell.callbacks import TimeBudget
from trainwell.cli._training import TEST_RESERVE_SHARE, ReserveForTestSet
from trainwell.tabular.data import tabular_data
from trainwell.tabular.learner import tabular_learner


def test_the_fit_keeps_time_for_the_test_set() -> None:
    data = tabular_data(binary_table(n_rows=200), "y", test=binary_table(seed=1, n_rows=3000), batch_size=32)
    learn = tabular_learner(data)
    budget = TimeBudget(600).start()
    reserve = ReserveForTestSet(budget)
    keeper = reserve.callback()
    learn.fit_one_cycle(1, 1e-3, callbacks=[budget, keeper])
    assert reserve.rows == 3000
    assert 0 < reserve.seconds <= TEST_RESERVE_SHARE * keeper.limit
    # The fit's limit (what its plan and schedule were fitted to) is lower by what was kept.
    assert budget.checkpoint_state()["fit_limit"] + reserve.seconds == pytest.approx(keeper.limit)


def test_what_was_kept_is_said() -> None:
    reserve = ReserveForTestSet(TimeBudget(30))
    reserve.rows, reserve.seconds, reserve.estimate = 10_000, 12.0, 12.0
    assert reserve.line("images") == (
        "--time: 12s of it was kept for scoring the test set after the training (10,000 images, about 1.2 ms each)"
    )
    reserve.seconds, reserve.estimate, reserve.capped = 13.0, 22.0, True
    assert reserve.line("images") == (
        "--time: 13s of it was kept for scoring the test set after the training, at most 50% of the fit's time: "
        "scoring its 10,000 images would take about 22s (2.2 ms each), the rest after --time"
    )
    reserve.seconds = 0.2  # too little to say
    assert reserve.line() is None
