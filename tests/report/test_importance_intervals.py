"""Permutation importance with a metric of the user's choice, an interval over the repeats, and a row sample."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from trainwell.core.errors import ConfigError
from trainwell.data.task import Task
from trainwell.report import FeatureImportance, permutation_importance
from trainwell.report.importance import _summary, importance_metric


class OneColumnModel:
    """A fixed 'model' whose probability is a logistic function of column 'signal' only; it notes how many rows
    each call scored."""

    task = Task("binary", (0, 1), ("y",))
    input_names: ClassVar[list[str]] = ["signal", "noise"]

    def __init__(self) -> None:
        self.rows_seen: list[int] = []

    def predict_proba(self, rows: pd.DataFrame) -> torch.Tensor:
        self.rows_seen.append(len(rows))
        return torch.sigmoid(torch.tensor(rows["signal"].to_numpy(), dtype=torch.float32) * 3)


def labelled(n: int = 400) -> tuple[pd.DataFrame, torch.Tensor]:
    generator = np.random.default_rng(0)
    signal = generator.normal(size=n)
    rows = pd.DataFrame({"signal": signal, "noise": generator.normal(size=n)})
    targets = torch.tensor((signal + 0.8 * generator.normal(size=n) > 0).astype(np.float32))
    return rows, targets


def test_the_interval_is_students_t_over_the_repeats_with_the_sample_std() -> None:
    # Reference: the textbook t interval and one-sided t test, by hand with scipy.
    drops = [0.21, 0.19, 0.24, 0.20, 0.22]
    item = _summary("duration", drops, 0.95)
    n, mean, std = 5, float(np.mean(drops)), float(np.std(drops, ddof=1))
    half = stats.t.ppf(0.975, n - 1) * std / math.sqrt(n)
    assert item.importance == pytest.approx(mean)
    assert item.std == pytest.approx(std)  # ddof 1: np.std's default (ddof 0) was what it reported before
    assert (item.low, item.high) == (pytest.approx(mean - half), pytest.approx(mean + half))
    assert item.p_value == pytest.approx(stats.ttest_1samp(drops, 0.0, alternative="greater").pvalue)
    assert (item.n, item.reading) == (5, "helps")
    wider = _summary("duration", drops, 0.99)
    assert wider.low < item.low and wider.high > item.high
    assert _summary("x", [0.01, -0.02, 0.005], 0.95).reading == "no measurable effect"
    assert _summary("x", [-0.01, -0.012, -0.011], 0.95).reading == "hurts"
    one = _summary("x", [0.3], 0.95)
    assert one.reading == "not measured" and math.isnan(one.low) and math.isnan(one.std)


def test_signal_helps_and_a_column_never_read_has_no_measurable_effect() -> None:
    rows, targets = labelled()
    signal, noise = permutation_importance(OneColumnModel(), rows, targets, n_repeats=5, seed=0)
    assert (signal.column, signal.reading, signal.n) == ("signal", "helps", 5)
    assert 0 < signal.low < signal.importance < signal.high
    assert signal.p_value < 0.01
    # Every shuffle of 'noise' changes nothing: an interval of exactly [0, 0], and nothing to reject.
    assert (noise.importance, noise.low, noise.high, noise.p_value) == (0.0, 0.0, 0.0, 1.0)
    assert noise.reading == "no measurable effect"
    # Items built by hand (the report's plot tests do) still take three fields.
    assert FeatureImportance("a", 0.5, 0.1).reading == "not measured"


def test_a_metric_by_name_or_alias_and_its_direction() -> None:
    rows, targets = labelled()
    by_alias = permutation_importance(OneColumnModel(), rows, targets, metric="pr_auc", seed=1)
    by_name = permutation_importance(OneColumnModel(), rows, targets, metric="average_precision", seed=1)
    default = permutation_importance(OneColumnModel(), rows, targets, seed=1)
    assert by_alias == by_name and by_name[0].importance != default[0].importance
    # Log loss is an error: the importance is its rise, positive for the column the model reads.
    log_loss = importance_metric(OneColumnModel.task, "log_loss")
    assert not log_loss.higher_is_better and log_loss.loss_of_quality == "rise in log_loss"
    assert permutation_importance(OneColumnModel(), rows, targets, metric="log_loss")[0].importance > 0.1
    # The registered metric scores at the model's threshold: the value sklearn gives.
    from sklearn.metrics import average_precision_score

    probabilities = OneColumnModel().predict_proba(rows)
    expected = average_precision_score(targets.numpy(), probabilities.numpy())
    assert importance_metric(OneColumnModel.task, "pr_auc").function(probabilities, targets) == pytest.approx(
        expected, abs=1e-6
    )


def test_an_unknown_or_unfit_metric_is_refused_with_the_tasks_metrics() -> None:
    task = OneColumnModel.task
    with pytest.raises(
        ConfigError,
        match=r"unknown metric 'prauc' \(did you mean 'pr_auc'\?\); metrics for a binary model: accuracy, average_precision",
    ):
        importance_metric(task, "prauc")
    with pytest.raises(
        ConfigError, match=r"metric 'rmse' does not score a binary model \(it scores: regression\)"
    ):
        importance_metric(task, "rmse")
    assert importance_metric(Task("regression", (), ("price",)), "mae").name == "mae"


def test_a_seeded_sample_of_rows_is_scored() -> None:
    rows, targets = labelled()
    model = OneColumnModel()
    sampled = permutation_importance(model, rows, targets, subsample=100, n_repeats=2, seed=4)
    assert set(model.rows_seen) == {100}  # the base score and every shuffle score the same 100 rows
    assert (
        permutation_importance(OneColumnModel(), rows, targets, subsample=100, n_repeats=2, seed=4) == sampled
    )
    assert (
        permutation_importance(OneColumnModel(), rows, targets, subsample=100, n_repeats=2, seed=5) != sampled
    )
    # A sample as large as the rows is every row: the same figures as without one.
    whole = permutation_importance(OneColumnModel(), rows, targets, n_repeats=2, seed=4)
    assert (
        permutation_importance(OneColumnModel(), rows, targets, subsample=400, n_repeats=2, seed=4) == whole
    )
    with pytest.raises(ConfigError, match="subsample must be at least 2 rows"):
        permutation_importance(OneColumnModel(), rows, targets, subsample=1)
    with pytest.raises(ConfigError, match="confidence must lie strictly between 0 and 1"):
        permutation_importance(OneColumnModel(), rows, targets, confidence=95)
