"""EarlyStopping and SaveBest over epochs without a monitored value (validation skipped, epoch cancelled).

Tour 61 #1: a fit validating every other epoch (Lightning's check_val_every_n_epoch=2) stopped after its first
epoch with patience=1, never having validated, because an epoch without a value counted as "no improvement".
"""

from __future__ import annotations

import math

from callbacks_helpers import linear_learner

from trainwell.callbacks import EarlyStopping, SaveBest
from trainwell.learner import Callback
from trainwell.learner.events import CancelEpoch, CancelValidate


class ValidateOddEpochs(Callback):
    """Skips validation on even epochs; on odd ones, replaces ``valid_loss`` with a scripted value."""

    order = 0  # after the Recorder's row (-20), before the trackers (80, 90)

    def __init__(self, values: dict[int, float]) -> None:
        self.values = values

    def before_validate(self, learn) -> None:
        if learn.epoch % 2 == 0:
            raise CancelValidate

    def after_epoch(self, learn) -> None:
        if learn.epoch in self.values:
            learn.history[-1]["valid_loss"] = self.values[learn.epoch]


def test_an_epoch_without_validation_does_not_count_against_patience() -> None:
    stop = EarlyStopping(patience=1)
    learn = linear_learner()
    learn.fit(8, callbacks=[ValidateOddEpochs({1: 5.0, 3: 4.0, 5: 3.0, 7: 2.0}), stop])
    assert len(learn.history) == 8 and stop.stopped_epoch is None
    assert math.isnan(learn.history[0].get("valid_loss", math.nan))  # the skipped epochs have no value
    assert stop.best_epoch == 7 and stop.wait == 0


def test_epochs_with_values_still_stop_the_fit() -> None:
    stop = EarlyStopping(patience=2)
    learn = linear_learner()
    learn.fit(8, callbacks=[ValidateOddEpochs({1: 5.0, 3: 6.0, 5: 7.0, 7: 1.0}), stop])
    assert (
        stop.stopped_epoch == 5 and stop.best_epoch == 1
    )  # epochs 3 and 5 did not improve; 0, 2, 4 say nothing
    assert len(learn.history) == 6


def test_a_cancelled_epoch_does_not_count_against_patience() -> None:
    class SkipSecondEpoch(Callback):
        def before_epoch(self, learn) -> None:
            if learn.epoch == 1:
                raise CancelEpoch

    stop, best = EarlyStopping(patience=1), SaveBest()
    learn = linear_learner()
    learn.fit(4, callbacks=[SkipSecondEpoch(), stop, best])
    assert len(learn.history) == 4 and stop.stopped_epoch is None  # the loss keeps falling on this data
    assert best.best_epoch == 3
