"""EarlyStopping / SaveBest in mode "auto" on a metric function: the direction its name gives, and one warning when
the name says nothing (a tour: ``metrics=[mae]`` made SaveBest keep and reload the worst epoch, silently)."""

from __future__ import annotations

import warnings

import pytest
import torch
from callbacks_helpers import linear_learner, regression_data

from trainwell.callbacks import EarlyStopping, SaveBest
from trainwell.callbacks.tracker import TrackerCallback
from trainwell.learner import Learner
from trainwell.metrics import metric_function


def mae(preds: torch.Tensor, targets: torch.Tensor) -> float:
    return float((preds.view(-1) - targets.view(-1)).abs().mean())


def my_error(preds: torch.Tensor, targets: torch.Tensor) -> float:
    return float((preds.view(-1) - targets.view(-1)).abs().mean())


def gap(preds: torch.Tensor, targets: torch.Tensor) -> float:
    return float((preds.view(-1) - targets.view(-1)).abs().mean())


def fitted(metric: object, tracker: TrackerCallback) -> tuple[Learner, list[str]]:
    learn = linear_learner(regression_data(80, batch_size=12), metrics=[metric])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        learn.fit(4, callbacks=[tracker])
    return learn, [str(warning.message) for warning in caught]


@pytest.mark.parametrize("function", [mae, my_error])
def test_save_best_keeps_the_lowest_epoch_of_an_error_function(function: object) -> None:
    best = SaveBest(function.__name__)  # type: ignore[attr-defined]
    learn, said = fitted(function, best)
    values = [row[function.__name__] for row in learn.history]  # type: ignore[attr-defined]
    assert values == sorted(values, reverse=True)  # the error falls every epoch: the last is best
    assert best.best_epoch == 3 and best.higher_is_better is False
    assert said == []


def test_a_tracker_says_once_that_it_assumed_higher_is_better() -> None:
    stop = EarlyStopping("gap", patience=10)
    learn, said = fitted(gap, stop)
    assert said == [
        "EarlyStopping follows 'gap', a metric function whose direction was never set, as higher-is-better "
        "(mode='auto'); if smaller is better, pass metrics=[metric_function(gap, higher_is_better=False)] (from "
        "trainwell.metrics) or EarlyStopping('gap', mode='min'); higher_is_better=True or mode='max' says it "
        "is larger and silences this"
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        learn.fit(1, callbacks=[stop])  # the same tracker again: said already
    assert caught == []
    for quiet, tracker in [
        (metric_function(gap, higher_is_better=True), SaveBest("gap")),
        (gap, SaveBest("gap", mode="min")),
    ]:
        assert fitted(quiet, tracker)[1] == []
