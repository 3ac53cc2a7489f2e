"""Two schedules of the same optimizer setting in one fit are said once (tour 61 #9: fit_one_cycle with a
ParamScheduler(lr=...) trained at the constant rate, the one-cycle dropped without a word)."""

from __future__ import annotations

import warnings

import pytest
from callbacks_helpers import linear_learner

from trainwell.callbacks import ParamScheduler
from trainwell.optim import schedules


def test_a_second_lr_schedule_beside_fit_one_cycle_is_said_once() -> None:
    learn = linear_learner()
    with pytest.warns(UserWarning) as said:
        learn.fit_one_cycle(2, 1e-2, callbacks=[ParamScheduler(lr=schedules.constant(0.5))])
    ours = [str(w.message) for w in said if "two schedules" in str(w.message)]
    assert ours == [
        "two schedules set lr in this fit, fit_one_cycle's schedule and ParamScheduler(lr): ParamScheduler(lr) "
        "runs after it and sets lr at every batch, so fit_one_cycle's schedule has no effect on lr; pass one "
        "schedule (fit with callbacks=[ParamScheduler(...)] instead of fit_one_cycle, or schedule other settings)"
    ]


def test_schedules_of_other_settings_say_nothing() -> None:
    learn = linear_learner()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        learn.fit_one_cycle(1, 1e-2, callbacks=[ParamScheduler(weight_decay=lambda pct: 1 - pct)])
        learn.fit(1, 1e-2, callbacks=[ParamScheduler(lr=schedules.constant(0.5))])
