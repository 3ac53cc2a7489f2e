"""One held-out split in an Evaluation: metrics of means of per-item values, intervals over groups of items, and
paired verdicts on the same items (as a language model is judged)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from trainwell.data.task import Task
from trainwell.evaluate import Evaluation
from trainwell.evaluate.heldout import HeldOutResult, ItemMetric
from trainwell.evaluate.intervals import grouped_mean_ci


def _losses(mean: float, seed: int, n_groups: int = 40, per_group: int = 25) -> tuple[np.ndarray, np.ndarray]:
    """Per-item losses around ``mean`` with a shared difficulty per group (an easy text, a hard one)."""
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(n_groups), per_group)
    difficulty = np.random.default_rng(0).normal(scale=0.5, size=n_groups)[groups]  # the same for every model
    return mean + difficulty + rng.normal(scale=0.3, size=groups.size), groups


def test_intervals_are_a_bootstrap_over_groups_and_verdicts_are_paired() -> None:
    model_loss, groups = _losses(2.0, seed=1)
    other_loss, _ = _losses(2.1, seed=2)
    model = HeldOutResult.of({"perplexity": ItemMetric(model_loss, exp=True)}, groups, "test texts", seed=3)
    other = HeldOutResult.of({"perplexity": ItemMetric(other_loss, exp=True)}, groups, "test texts", seed=3)
    # Perplexity is exp of the mean loss; its interval is exp of the grouped bootstrap's (the same draws).
    mean, low, high = grouped_mean_ci(model_loss, groups, seed=3)
    summary = model.summary()["perplexity"]
    assert summary.mean == pytest.approx(math.exp(mean))
    assert (summary.low, summary.high) == pytest.approx((math.exp(low), math.exp(high)))
    assert summary.over == "40 test texts" and math.isnan(summary.std)
    # The groups' shared difficulty widens each interval past the gap, but cancels out in the paired difference.
    theirs = other.summary()["perplexity"]
    assert summary.high > theirs.low
    paired = model.paired_difference("perplexity", other)
    assert paired is not None and paired.mean == pytest.approx(summary.mean - theirs.mean)
    assert paired.high < 0
    evaluation = Evaluation(
        Task("language_model", (), ("next token",)), groups.size, model, {"other": other}, []
    )
    (verdict,) = evaluation.verdicts()
    assert verdict.outcome == "beats" and evaluation.beats_baselines()
    assert "the paired difference over the same 40 test texts (bootstrap) is -" in verdict.sentence()
    assert evaluation.to_dict()["trainwell"]["summary"]["perplexity"]["over"] == "40 test texts"
    # Scored on other items, two results are not paired.
    shuffled = HeldOutResult.of({"perplexity": ItemMetric(other_loss, exp=True)}, groups[::-1], "test texts")
    assert model.paired_difference("perplexity", shuffled) is None
