"""The 95% intervals of the fit and report tables hold the truth about 95% of the time, also on few rows and near
1, and are never a zero-width ``[v, v]``.

A fixed classifier right on each row with probability 0.95: the percentile bootstrap of its accuracy over rows
held 0.95 about 60% of the time on 20 rows and 48% on 14 (14 of 14 right resamples to 14 of 14: ``[1, 1]``);
a proportion now gets the Wilson interval on its counts."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from trainwell.data.task import Task
from trainwell.evaluate._resampled import resampled_metric
from trainwell.evaluate.cv import CVResult
from trainwell.evaluate.explain import explain_validation
from trainwell.evaluate.intervals import bootstrap_ci, mean_ci, wilson_interval
from trainwell.metrics import functional

TRUE_ACCURACY = 0.95


def _accuracy_interval(right: np.ndarray, n_boot: int = 200, seed: int = 0) -> tuple[float, float]:
    """The accuracy interval fit's table gives a binary model right on the rows ``right`` marks (targets
    alternate 1, 0; the model answers 0.8 or 0.2 the right or the wrong way)."""
    targets = torch.tensor([1.0, 0.0] * (len(right) // 2) + [1.0] * (len(right) % 2))
    scores = torch.where(torch.as_tensor(right), targets * 0.6 + 0.2, 0.8 - targets * 0.6)
    _, low, high = bootstrap_ci(
        lambda p, t: functional.accuracy(p, t, "binary"),
        scores,
        targets,
        n_boot=n_boot,
        seed=seed,
        resampled_fn=resampled_metric("accuracy", "binary"),
    )
    return low, high


def test_the_accuracy_interval_holds_a_true_095_on_20_rows_at_least_90_percent_of_the_time() -> None:
    rng = np.random.default_rng(7)
    repeats, held = 400, 0
    for repeat in range(repeats):
        low, high = _accuracy_interval(rng.random(20) < TRUE_ACCURACY, seed=repeat)
        held += low <= TRUE_ACCURACY <= high
    assert held / repeats >= 0.90, held / repeats  # the percentile bootstrap: about 0.60-0.65


@pytest.mark.parametrize("rows", [14, 20, 50])
def test_its_exact_coverage_over_every_outcome_is_near_95_percent(rows: int) -> None:
    # Every number of right rows, weighted by its binomial probability: the coverage without simulation noise.
    coverage = 0.0
    for right in range(rows + 1):
        low, high = _accuracy_interval(np.arange(rows) < right)
        coverage += stats.binom.pmf(right, rows, TRUE_ACCURACY) * (low <= TRUE_ACCURACY <= high)
    assert coverage >= 0.90, coverage  # a percentile bootstrap: 0.51 on 14 rows, 0.64 on 20


def test_14_of_14_right_is_not_a_zero_width_interval() -> None:
    low, high = _accuracy_interval(np.ones(14, dtype=bool))
    assert (round(low, 3), high) == (0.785, 1.0)
    assert [round(bound, 3) for bound in wilson_interval(1, 1)] == [0.207, 1.0]
    assert [round(bound, 3) for bound in wilson_interval(0, 8)] == [0.0, 0.324]


def test_no_line_of_fit_s_table_is_a_zero_width_interval_on_a_perfect_model() -> None:
    # 14 rows all decided right: accuracy, top10_precision (2 rows), precision and recall are shares with a
    # Wilson interval; F1 and ROC AUC are the same on every resample, which says nothing of their spread.
    targets = torch.tensor([1.0, 0.0] * 7)
    scores = targets * 0.8 + 0.1
    task = Task("binary", ("no", "yes"))
    lines = explain_validation(task, scores, targets, ("accuracy", "roc_auc", "f1"))
    bounds = {line.name: (line.low, line.high) for line in lines}
    assert set(bounds) == {"accuracy", "roc_auc", "f1", "top10_precision"}
    for name, (low, high) in bounds.items():
        assert low != high, (name, low, high)  # never [1.0000, 1.0000]
    assert bounds["accuracy"] == wilson_interval(14, 14)
    assert bounds["top10_precision"] == wilson_interval(2, 2)
    assert all(math.isnan(bound) for bound in (*bounds["f1"], *bounds["roc_auc"]))  # not estimable


def test_precision_from_one_predicted_row_is_wilson_s_not_1_to_1() -> None:
    # compare and the paired verdicts score precision and recall through the same bootstrap_ci.
    targets = torch.tensor([1.0, 0.0, 0.0, 1.0, 0.0, 1.0])
    scores = torch.tensor([0.9, 0.1, 0.2, 0.3, 0.4, 0.2])  # one row called positive, rightly
    for name, counts in (("precision", (1, 1)), ("recall", (1, 3))):
        point, low, high = bootstrap_ci(
            lambda p, t, name=name: getattr(functional, name)(p, t, "binary"),
            scores,
            targets,
            n_boot=100,
            resampled_fn=resampled_metric(name, "binary"),
        )
        assert point == counts[0] / counts[1]
        assert (low, high) == wilson_interval(*counts)
    assert [round(bound, 3) for bound in wilson_interval(1, 1)] == [0.207, 1.0]


def test_a_difference_of_two_models_keeps_its_plain_bootstrap() -> None:
    # The same predictions twice: the difference is exactly 0 in every resample, and [0, 0] says so truly.
    scores, targets = torch.tensor([0.9, 0.2, 0.7, 0.4]), torch.tensor([1.0, 0.0, 1.0, 0.0])
    pair = torch.stack([scores, scores], dim=1)
    difference = bootstrap_ci(
        lambda p, t: functional.f1(p[:, 1], t, "binary") - functional.f1(p[:, 0], t, "binary"),
        pair,
        targets,
        n_boot=50,
    )
    assert difference == (0.0, 0.0, 0.0)


def test_the_cv_t_interval_is_widened_for_folds_that_share_training_rows() -> None:
    values = [0.80, 0.84, 0.78, 0.83, 0.81]
    splits = [(np.arange(80), np.arange(20)) for _ in values]  # 5-fold: each fold trains on 4 times its rows
    summary = CVResult([{"accuracy": value} for value in values], splits).summary()["accuracy"]
    mean, std, plain_low, plain_high = mean_ci(values)
    assert (summary.mean, summary.std) == (mean, std)
    # Nadeau and Bengio: variance (1/k + 1/4) std², against std² / k: sqrt(1 + 5/4) = 1.5 times as wide.
    assert (summary.high - summary.low) == pytest.approx(1.5 * (plain_high - plain_low))
    half = stats.t.ppf(0.975, 4) * std * math.sqrt(1 / 5 + 1 / 4)
    assert (summary.low, summary.high) == pytest.approx((mean - half, mean + half))
    # Without the splits the folds cannot be told apart from independent ones: the plain t interval.
    alone = CVResult([{"accuracy": value} for value in values]).summary()["accuracy"]
    assert (alone.low, alone.high) == (plain_low, plain_high)
