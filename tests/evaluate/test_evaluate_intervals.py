"""Confidence intervals against scipy and against hand-computed percentiles."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from trainwell.core.errors import ConfigError
from trainwell.evaluate import bootstrap_ci, mean_ci
from trainwell.metrics import functional


def test_mean_ci_matches_scipy_t_interval() -> None:
    values = np.random.default_rng(0).normal(0.8, 0.05, size=7)
    mean, std, low, high = mean_ci(values, level=0.9)
    expected = stats.t.interval(0.9, df=6, loc=values.mean(), scale=stats.sem(values))
    assert mean == pytest.approx(values.mean())
    assert std == pytest.approx(values.std(ddof=1))
    assert (low, high) == pytest.approx(expected)


def test_mean_ci_covers_the_true_mean_about_as_often_as_promised() -> None:
    samples = np.random.default_rng(1).normal(3.0, 2.0, size=(2000, 5))
    covered = [low <= 3.0 <= high for _, _, low, high in map(mean_ci, samples)]
    assert 0.93 <= np.mean(covered) <= 0.97


def test_mean_ci_skips_nan_and_gives_nan_bounds_for_one_value() -> None:
    assert mean_ci([0.5, float("nan"), 0.7])[0] == pytest.approx(0.6)
    mean, std, low, high = mean_ci([0.5])
    assert mean == 0.5 and all(math.isnan(v) for v in (std, low, high))


def test_bootstrap_bounds_are_the_percentiles_of_resampled_metrics() -> None:
    rng = np.random.default_rng(2)
    preds = torch.from_numpy(rng.random(200).astype(np.float32))
    targets = (torch.rand(200, generator=torch.Generator().manual_seed(3)) < preds).float()

    def auc(p: torch.Tensor, t: torch.Tensor) -> float:
        return functional.roc_auc(p, t, "binary")

    point, low, high = bootstrap_ci(auc, preds, targets, n_boot=300, level=0.9, seed=5)
    indices = torch.randint(0, 200, (300, 200), generator=torch.Generator().manual_seed(5))
    resampled = [auc(preds[rows], targets[rows]) for rows in indices]
    assert point == pytest.approx(auc(preds, targets))
    assert (low, high) == pytest.approx(tuple(np.quantile(resampled, [0.05, 0.95])))
    assert low <= point <= high


def test_bootstrap_interval_narrows_with_more_rows() -> None:
    def widths(n: int) -> float:
        rng = np.random.default_rng(4)
        preds = rng.random(n)
        targets = (rng.random(n) < preds).astype(np.float32)
        _, low, high = bootstrap_ci(
            lambda p, t: functional.accuracy(p, t, "binary"), preds.astype(np.float32), targets, n_boot=200
        )
        return high - low

    assert widths(2000) < widths(200) / 2


def test_bad_level_is_refused() -> None:
    with pytest.raises(ConfigError, match="level must be between 0 and 1"):
        mean_ci([1.0, 2.0], level=95)
