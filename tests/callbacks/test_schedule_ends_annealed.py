"""The plan's last training batch reads learn.pct_train = 1, so fit_one_cycle takes its last step at the floor.

Tour 61 #4: pct_train was iteration / n_iterations read before the batch, (n - 1) / n on the last one: a one-cycle
fit of 4 batches took its last step at a quarter of its peak, one of 12 at 3%, so div_final had no effect.
"""

from __future__ import annotations

import pytest
from callbacks_helpers import linear_learner, regression_data

from trainwell.learner import Callback


class StepRates(Callback):
    order = 100

    def __init__(self) -> None:
        self.rates: list[float] = []
        self.pcts: list[float] = []

    def before_step(self, learn) -> None:
        self.rates.append(float(learn.opt.param_groups[0]["lr"]))
        self.pcts.append(learn.pct_train)


@pytest.mark.parametrize("n_epochs", [1, 3])
def test_one_cycle_takes_its_last_step_at_the_floor(n_epochs: int) -> None:
    spy = StepRates()
    learn = linear_learner(regression_data(64, batch_size=16, valid_pct=0.0))  # 4 batches an epoch
    learn.fit_one_cycle(n_epochs, 1e-2, callbacks=[spy])
    assert len(spy.rates) == 4 * n_epochs
    assert spy.pcts[-1] == 1.0 and spy.pcts[0] == 0.0
    assert spy.rates[-1] == pytest.approx(1e-2 / 1e5)  # lr_max / div_final: the schedule's floor
    assert spy.pcts[:-1] == [i / (4 * n_epochs) for i in range(4 * n_epochs - 1)]  # the others as before
