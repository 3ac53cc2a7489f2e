"""Per-label decision thresholds (trainwell.metrics.thresholds) and metrics that decide with them."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score

from trainwell.core.errors import ConfigError, DataError
from trainwell.metrics import functional as F
from trainwell.metrics import get_metric
from trainwell.metrics.thresholds import (
    best_f1_threshold,
    choose_thresholds,
    cross_fitted_decisions,
    cross_fitted_f1,
)


def _scores(seed: int, n_rows: int = 200, n_labels: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """Scores that rank positives higher, but mostly below 0.5 (labels with 5-25% positives)."""
    generator = torch.Generator().manual_seed(seed)
    rates = torch.linspace(0.05, 0.25, n_labels)
    truth = (torch.rand(n_rows, n_labels, generator=generator) < rates).float()
    scores = (0.15 + 0.25 * truth + 0.2 * torch.rand(n_rows, n_labels, generator=generator)).double()
    return scores, truth


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_best_f1_threshold_matches_a_brute_force_search(seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    scores = (torch.rand(150, generator=generator) * 20).round() / 20  # many ties
    truth = (torch.rand(150, generator=generator) < 0.2 + 0.5 * scores).long()
    threshold, best = best_f1_threshold(scores, truth)
    candidates = np.unique(scores.numpy())
    brute = max(f1_score(truth.numpy(), scores.numpy() >= c) for c in candidates)
    assert best == pytest.approx(brute, abs=1e-12)
    assert f1_score(truth.numpy(), scores.numpy() >= threshold) == pytest.approx(brute, abs=1e-12)


def test_best_f1_threshold_without_positives_keeps_a_half() -> None:
    assert best_f1_threshold(torch.tensor([0.2, 0.9]), torch.tensor([0, 0])) == (0.5, 0.0)


def test_thresholds_follow_each_label_and_beat_a_half() -> None:
    scores, truth = _scores(0)
    choice = choose_thresholds(scores, truth, prior_positives=0)
    # Positives score 0.40-0.60: each label's best threshold lies in the gap under them, far below 0.5.
    assert all(0.3 < t < 0.45 for t in choice.thresholds)
    tuned = F.f1(scores, truth, "multilabel", choice.thresholds)
    assert tuned > F.f1(scores, truth, "multilabel", 0.5) + 0.3


def test_rare_labels_lean_on_the_global_threshold() -> None:
    scores, truth = _scores(1)
    truth[:, 0] = 0
    truth[:3, 1], truth[3:, 1] = 1, 0  # three positives
    scores[:3, 1] = 0.9
    own = choose_thresholds(scores, truth, prior_positives=0)
    shrunk = choose_thresholds(scores, truth, prior_positives=3)
    assert shrunk.positives[:2] == (0, 3)
    assert own.thresholds[0] == shrunk.thresholds[0] == pytest.approx(shrunk.global_threshold)
    expected = (own.thresholds[1] + shrunk.global_threshold) / 2  # 3 positives against a prior of 3
    assert shrunk.thresholds[1] == pytest.approx(expected, abs=1e-6)


def test_cross_fitted_f1_is_not_optimistic_on_noise() -> None:
    generator = torch.Generator().manual_seed(3)
    scores = torch.rand(300, 6, generator=generator)
    truth = (torch.rand(300, 6, generator=generator) < 0.1).float()  # scores carry no information
    in_sample = F.f1(scores, truth, "multilabel", choose_thresholds(scores, truth).thresholds)
    honest = cross_fitted_f1(scores, truth)
    chance = F.f1(torch.ones_like(scores), truth, "multilabel")  # everything positive
    assert honest < in_sample - 0.02
    assert honest < chance + 0.05
    decisions = cross_fitted_decisions(scores, truth)
    assert decisions.shape == truth.shape and decisions.dtype == torch.bool


def test_choosing_thresholds_checks_its_inputs() -> None:
    with pytest.raises(DataError, match="same"):
        choose_thresholds(torch.rand(4, 2), torch.zeros(4, 3))
    with pytest.raises(ConfigError, match="prior_positives"):
        choose_thresholds(torch.rand(4, 2), torch.zeros(4, 2), prior_positives=-1)


def test_per_label_thresholds_decide_like_scikit_learn() -> None:
    scores, truth = _scores(4)
    limits = (0.3, 0.4, 0.5, 0.45)
    expected = f1_score(truth.numpy(), scores.numpy() >= np.array(limits), average="macro", zero_division=0)
    assert F.f1(scores, truth, "multilabel", limits) == pytest.approx(expected)
    metric = get_metric("f1", "multilabel", threshold=list(limits))
    metric.update(scores[:90], truth[:90])
    metric.update(scores[90:], truth[90:])
    assert metric.compute() == pytest.approx(expected)
    hamming = (scores.numpy() >= np.array(limits)) == truth.numpy().astype(bool)
    assert F.accuracy(scores, truth, "multilabel", limits) == pytest.approx(hamming.mean())


def test_per_label_thresholds_are_refused_where_they_do_not_fit() -> None:
    scores, truth = _scores(5)
    with pytest.raises(ConfigError, match="multilabel"):
        get_metric("f1", "binary", threshold=(0.3, 0.4))
    with pytest.raises(ConfigError, match="between 0 and 1"):
        F.f1(scores, truth, "multilabel", (0.3, 1.0, 0.5, 0.5))
    with pytest.raises(DataError, match="one threshold per label"):
        F.f1(scores, truth, "multilabel", (0.3, 0.4))
