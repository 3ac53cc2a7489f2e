"""Micro and sample-averaged F1 (every multi-label fit reports both) scored on every bootstrap resample at once:
the same scores, to the bit, as the metric functions on each resample's rows, so the same intervals."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trainwell.evaluate._resampled import resampled_metric
from trainwell.evaluate.intervals import _resample_scores, bootstrap_ci
from trainwell.metrics import functional


@pytest.mark.parametrize("name", ["f1_micro", "f1_samples"])
@pytest.mark.parametrize("threshold", [0.5, (0.3, 0.5, 0.7, 0.9)])
def test_vectorised_multilabel_f1_is_the_per_resample_one(name: str, threshold: object) -> None:
    generator = torch.Generator().manual_seed(7)
    preds = torch.rand(40, 4, generator=generator)
    targets = (torch.rand(40, 4, generator=generator) < 0.3).float()
    targets[:3] = 0  # rows with no label, some given none: F1 0 by convention
    preds[:2] = 0.0
    metric = getattr(functional, name)

    def per_resample(p: torch.Tensor, t: torch.Tensor) -> float:
        return float(metric(p, t, "multilabel", threshold))

    fast = resampled_metric(name, "multilabel", threshold)  # type: ignore[arg-type]
    assert fast is not None, f"{name} has no vectorised form: 1,000 metric calls per interval"
    draws = torch.randint(0, 40, (300, 40), generator=torch.Generator().manual_seed(1))
    slow_scores = _resample_scores(per_resample, None, preds, targets, draws)
    fast_scores = _resample_scores(per_resample, fast, preds, targets, draws)
    assert np.array_equal(slow_scores, fast_scores), np.abs(slow_scores - fast_scores).max()
    assert bootstrap_ci(per_resample, preds, targets, n_boot=300, seed=3, resampled_fn=fast) == bootstrap_ci(
        per_resample, preds, targets, n_boot=300, seed=3
    )


def test_constant_resamples_keep_their_plain_bounds() -> None:
    """A perfect model: every resample scores 1. The intervals stay what the per-resample path gave."""
    targets = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]] * 5)
    for name in ("f1_micro", "f1_samples"):
        metric = getattr(functional, name)

        def per_resample(p: torch.Tensor, t: torch.Tensor, metric: object = metric) -> float:
            return float(metric(p, t, "multilabel"))  # type: ignore[operator]

        fast = resampled_metric(name, "multilabel")
        assert bootstrap_ci(per_resample, targets, targets, n_boot=50, resampled_fn=fast) == (1.0, 1.0, 1.0)
