"""A metric function's direction when nobody gives it: read from its name (a tour: ``metrics=[mae]`` was taken
as higher-is-better and SaveBest kept the worst epoch). The trackers' side: tests/callbacks/test_callbacks_tracker_direction.py."""

from __future__ import annotations

import pytest
import torch

from trainwell.metrics import FunctionMetric, metric_function
from trainwell.metrics.function import direction_from_name


@pytest.mark.parametrize(
    ("name", "higher", "direction"),
    [
        ("mae", False, "builtin"),  # a built-in metric's name takes its direction
        ("RMSE", False, "builtin"),
        ("auc", True, "builtin"),  # an alias too
        ("r2", True, "builtin"),
        ("my_error", False, "name"),  # "error" / "loss" anywhere, as fastai reads them
        ("valLoss", False, "name"),
        ("meanAbsoluteError", False, "name"),
        ("rmse_log", False, "name"),  # whole words of an error
        ("mape", False, "name"),
        ("error_rate_top5", False, "name"),
        ("accuracy_top5", True, "name"),
        ("f1_macro", True, "name"),
        ("neg_mean_squared_error", True, "assumed"),  # scikit-learn's negated errors go up
        ("median_gap", True, "assumed"),  # nothing to read
    ],
)
def test_the_name_decides_when_nobody_said(name: str, higher: bool, direction: str) -> None:
    assert direction_from_name(name) == (higher, direction)
    made = metric_function(lambda preds, targets: 0.0, name=name)
    assert (made.higher_is_better, made.direction) == (higher, direction)


def test_a_given_direction_wins_and_survives_a_rename() -> None:
    def mae(preds: torch.Tensor, targets: torch.Tensor) -> float:
        return 0.0

    given = metric_function(mae, higher_is_better=True)  # the caller knows better than the name
    assert (given.higher_is_better, given.direction) == (True, "given")
    renamed = metric_function(given, name="gap")
    assert (renamed.name, renamed.higher_is_better, renamed.direction) == ("gap", True, "given")
    metric = FunctionMetric(mae, "regression")
    assert (metric.higher_is_better, metric.direction) == (False, "builtin")
