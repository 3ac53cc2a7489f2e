"""Every class's bootstrap ROC AUC in one batched pass gives the numbers of the pass per class it replaced, to the
bit: with tied scores and without, binary, multiclass and multi-label, resamples lacking a class included.

The reference below is ``resampled_auc`` as it was before (a copy kept here): one column, the rows grouped by
tied score in every resample.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trainwell.evaluate._resampled import _masked_mean, resample_counts, resampled_metric
from trainwell.metrics._ranking import RESAMPLED_BLOCK, resampled_auc, resampled_column_auc


def grouped_resampled_auc(scores: torch.Tensor, positive: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """The former ``resampled_auc``: one column's (N,) AUC on each resample of ``counts`` (B, N)."""
    sorted_scores, order = scores.to(torch.float64).sort()
    starts_group = torch.ones_like(sorted_scores, dtype=torch.bool)
    starts_group[1:] = sorted_scores[1:] != sorted_scores[:-1]
    group = starts_group.long().cumsum(dim=0) - 1
    n_groups = int(group[-1]) + 1
    is_positive = positive[order].to(torch.float64)
    aucs = []
    for block in counts.split(max(1, RESAMPLED_BLOCK // max(1, len(order)))):
        drawn = block[:, order].to(torch.float64)
        positives = drawn.new_zeros(len(drawn), n_groups).index_add_(1, group, drawn * is_positive)
        negatives = drawn.new_zeros(len(drawn), n_groups).index_add_(1, group, drawn * (1 - is_positive))
        below = negatives.cumsum(dim=1) - negatives
        u_statistic = (positives * (below + 0.5 * negatives)).sum(dim=1)
        n_positive, n_negative = positives.sum(dim=1), negatives.sum(dim=1)
        auc = u_statistic / (n_positive * n_negative)
        aucs.append(torch.where((n_positive > 0) & (n_negative > 0), auc, torch.full_like(auc, float("nan"))))
    return torch.cat(aucs)


def _grouped(scores: torch.Tensor, positive: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    return torch.stack(
        [grouped_resampled_auc(scores[:, k], positive[:, k], counts) for k in range(scores.shape[1])], 1
    )


def _same(actual: torch.Tensor, expected: torch.Tensor) -> None:
    assert torch.equal(actual.isnan(), expected.isnan())
    assert torch.equal(actual.nan_to_num(), expected.nan_to_num())  # bit for bit


def _scores(n_rows: int, n_columns: int, ties: str, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    logits = 2 * torch.randn(n_rows, n_columns, generator=generator)
    scores = torch.sigmoid(logits) if n_columns == 1 else torch.softmax(logits, dim=1)
    if ties == "some":  # a saturated model: its most confident answers all equal
        return torch.where(scores > 0.5, scores.clamp(max=0.6), scores)
    if ties == "many":  # scores on a coarse grid: every score tied with many
        return (scores * 20).round() / 20
    return scores


@pytest.mark.parametrize("ties", ["none", "some", "many"])
@pytest.mark.parametrize("n_columns", [1, 6])
def test_every_column_at_once_equals_the_pass_per_column(ties: str, n_columns: int) -> None:
    n_rows = 400
    scores = _scores(n_rows, n_columns, ties, seed=n_columns)
    labels = torch.randint(0, n_columns + 1, (n_rows,), generator=torch.Generator().manual_seed(3))
    positive = labels.unsqueeze(1) == torch.arange(
        n_columns
    )  # one against the rest; no column is all positive
    assert (ties == "none") == (len(scores.unique()) == scores.numel())
    # 1,100 resamples: more than one block of the batched pass when there are 6 columns
    draws = torch.randint(0, n_rows, (1100, n_rows), generator=torch.Generator().manual_seed(0))
    counts = resample_counts(draws, n_rows)
    _same(resampled_column_auc(scores, positive, counts), _grouped(scores, positive, counts))
    _same(
        resampled_auc(scores[:, 0], positive[:, 0], counts),
        grouped_resampled_auc(scores[:, 0], positive[:, 0], counts),
    )


@pytest.mark.parametrize("tied_column", [0, 2])
def test_ties_in_one_column_only(tied_column: int) -> None:
    n_rows = 200
    scores = _scores(n_rows, 3, "none", seed=4)
    scores[: n_rows // 4, tied_column] = (
        0.25  # a quarter of one column tied, the rest of it and the others not
    )
    positive = torch.randint(0, 2, (n_rows, 3), generator=torch.Generator().manual_seed(6)).bool()
    draws = torch.randint(0, n_rows, (200, n_rows), generator=torch.Generator().manual_seed(2))
    counts = resample_counts(draws, n_rows)
    _same(resampled_column_auc(scores, positive, counts), _grouped(scores, positive, counts))


def test_a_rare_label_missing_from_resamples_stays_undefined_there() -> None:
    n_rows = 60
    scores = _scores(n_rows, 3, "some", seed=5)
    positive = torch.zeros(n_rows, 3, dtype=torch.bool)
    positive[:30, 0], positive[::2, 1], positive[7, 2] = True, True, True  # label 2: one positive row
    draws = torch.randint(0, n_rows, (300, n_rows), generator=torch.Generator().manual_seed(1))
    counts = resample_counts(draws, n_rows)
    batched = resampled_column_auc(scores, positive, counts)
    assert batched[:, 2].isnan().any() and not batched[:, :2].isnan().any()
    _same(batched, _grouped(scores, positive, counts))


@pytest.mark.parametrize("ties", ["none", "many"])
def test_the_multiclass_intervals_roc_auc_is_what_it_was(ties: str) -> None:
    n_rows, n_classes = 300, 5
    probabilities = _scores(n_rows, n_classes, ties, seed=7)
    targets = torch.randint(0, n_classes, (n_rows,), generator=torch.Generator().manual_seed(2))
    draws = torch.randint(0, n_rows, (500, n_rows), generator=torch.Generator().manual_seed(0))
    scored = resampled_metric("roc_auc", "multiclass")
    assert scored is not None
    per_class = _grouped(
        probabilities, targets.unsqueeze(1) == torch.arange(n_classes), resample_counts(draws, n_rows)
    )
    expected = _masked_mean(per_class, ~per_class.isnan())
    np.testing.assert_array_equal(scored(probabilities, targets, draws), expected)
