"""Area under the ROC curve from ranks (the Mann-Whitney U statistic), and average precision (area under the
precision-recall curve), column by column, in torch.

AUC equals the probability that a random positive is scored above a random negative, ties counting half.
With average ranks for tied scores that probability is ``(R_pos - n_pos (n_pos + 1) / 2) / (n_pos n_neg)``,
where ``R_pos`` is the sum of the positives' ranks. One sort per column, no thresholds, exact with ties.
We write it ourselves so that it runs on the tensors' own device without a round trip through numpy.
"""

from __future__ import annotations

import torch


def average_ranks(scores: torch.Tensor) -> torch.Tensor:
    """1-based ranks of each column of ``scores`` (N, K), tied values sharing their average rank.

    Returns:
        float64 tensor (N, K).
    """
    n_rows, n_columns = scores.shape
    sorted_scores, order = scores.sort(dim=0)
    starts_group = torch.ones_like(sorted_scores, dtype=torch.bool)
    starts_group[1:] = sorted_scores[1:] != sorted_scores[:-1]
    # Group ids are made unique across columns so one scatter handles every column: (N, K).
    column_offset = torch.arange(n_columns, device=scores.device) * n_rows
    group = (starts_group.long().cumsum(dim=0) - 1 + column_offset).flatten()
    position = torch.arange(1, n_rows + 1, dtype=torch.float64, device=scores.device)
    position = position.unsqueeze(1).expand(n_rows, n_columns).flatten()
    rank_sum = torch.zeros(n_rows * n_columns, dtype=torch.float64, device=scores.device)
    rank_sum.scatter_add_(0, group, position)
    group_size = torch.zeros_like(rank_sum).scatter_add_(0, group, torch.ones_like(position))
    sorted_ranks = (rank_sum[group] / group_size[group]).view(n_rows, n_columns)
    return torch.empty_like(sorted_ranks).scatter_(0, order, sorted_ranks)


def column_auc(scores: torch.Tensor, positive: torch.Tensor) -> torch.Tensor:
    """ROC AUC of each column of ``scores`` (N, K) against boolean ``positive`` (N, K).

    Returns:
        float64 tensor (K,); NaN for a column whose targets hold only one class, where AUC is undefined.
    """
    ranks = average_ranks(scores.to(torch.float64))
    positive = positive.to(torch.float64)
    n_positive = positive.sum(dim=0)
    n_negative = positive.shape[0] - n_positive
    u_statistic = (ranks * positive).sum(dim=0) - n_positive * (n_positive + 1) / 2
    auc = u_statistic / (n_positive * n_negative)
    return torch.where((n_positive > 0) & (n_negative > 0), auc, torch.full_like(auc, float("nan")))


#: At most this many numbers in one block of :func:`resampled_auc` (resamples x rows), to bound its memory.
RESAMPLED_BLOCK = 1 << 22


def resampled_auc(scores: torch.Tensor, positive: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """ROC AUC of ``scores`` (N,) against boolean ``positive`` (N,) on each of B resamples of the rows, given as
    ``counts`` (B, N): how many times each row was drawn. Equal to :func:`column_auc` on each resample's rows (a
    bootstrap's), from one sort of the scores instead of one per resample.

    With multiplicities the Mann-Whitney count is, over the groups of tied scores in ascending order, each
    group's positive draws times the negative draws below it plus half those tied with it. Every sum is of
    whole and half numbers in float64, so exact: the result is :func:`column_auc`'s to the last bit.

    Returns:
        float64 tensor (B,); NaN for a resample whose rows hold only one class.
    """
    sorted_scores, order = scores.to(torch.float64).sort()
    starts_group = torch.ones_like(sorted_scores, dtype=torch.bool)
    starts_group[1:] = sorted_scores[1:] != sorted_scores[:-1]
    group = starts_group.long().cumsum(dim=0) - 1  # (N,) each sorted row's group of tied scores
    n_groups = int(group[-1]) + 1
    is_positive = positive[order].to(torch.float64)
    aucs = []
    for block in counts.split(max(1, RESAMPLED_BLOCK // max(1, len(order)))):
        drawn = block[:, order].to(torch.float64)  # (b, N)
        positives = drawn.new_zeros(len(drawn), n_groups).index_add_(1, group, drawn * is_positive)
        negatives = drawn.new_zeros(len(drawn), n_groups).index_add_(1, group, drawn * (1 - is_positive))
        below = negatives.cumsum(dim=1) - negatives  # (b, G) negative draws under each group's score
        u_statistic = (positives * (below + 0.5 * negatives)).sum(dim=1)
        n_positive, n_negative = positives.sum(dim=1), negatives.sum(dim=1)
        auc = u_statistic / (n_positive * n_negative)
        aucs.append(torch.where((n_positive > 0) & (n_negative > 0), auc, torch.full_like(auc, float("nan"))))
    return torch.cat(aucs)


def resampled_average_precision(
    scores: torch.Tensor, positive: torch.Tensor, counts: torch.Tensor
) -> torch.Tensor:
    """Average precision of ``scores`` (N,) against boolean ``positive`` (N,) on each of B resamples of the rows,
    given as ``counts`` (B, N): how many times each row was drawn (one row of ones: the rows as they are).

    Average precision is the area under the precision-recall curve as a step sum, scikit-learn's
    ``average_precision_score``: going down the distinct scores, each group of tied scores adds the share of all
    positives it holds times the precision of flagging every row scored at or above it. One sort of the scores
    serves every resample. Counts are whole numbers in float64, so exact; a group a resample never drew adds an
    exact zero, and the terms are summed one after another (``cumsum``), so a resample's value is, to the last
    bit, the value of its rows scored as they are (with counts of ones).

    Returns:
        float64 tensor (B,); NaN for a resample without a positive, where it is undefined.
    """
    sorted_scores, order = scores.to(torch.float64).sort(descending=True)
    starts_group = torch.ones_like(sorted_scores, dtype=torch.bool)
    starts_group[1:] = sorted_scores[1:] != sorted_scores[:-1]
    group = (
        starts_group.long().cumsum(dim=0) - 1
    )  # (N,) each sorted row's group of tied scores, highest first
    n_groups = int(group[-1]) + 1 if len(group) else 0
    is_positive = positive[order].to(torch.float64)
    values = []
    for block in counts.split(max(1, RESAMPLED_BLOCK // max(1, len(order)))):
        drawn = block[:, order].to(torch.float64)  # (b, N)
        positives = drawn.new_zeros(len(drawn), n_groups).index_add_(1, group, drawn * is_positive)
        rows = drawn.new_zeros(len(drawn), n_groups).index_add_(1, group, drawn)
        flagged_positive, flagged = (
            positives.cumsum(dim=1),
            rows.cumsum(dim=1),
        )  # (b, G) at or above each group
        precision = torch.where(
            flagged > 0, flagged_positive / flagged.clamp(min=1), torch.zeros_like(flagged)
        )
        area = (positives * precision).cumsum(dim=1)[:, -1] if n_groups else drawn.new_zeros(len(drawn))
        n_positive = positives.sum(dim=1)
        values.append(
            torch.where(n_positive > 0, area / n_positive.clamp(min=1), torch.full_like(area, float("nan")))
        )
    return torch.cat(values) if values else torch.empty(0, dtype=torch.float64)


def column_average_precision(scores: torch.Tensor, positive: torch.Tensor) -> torch.Tensor:
    """Average precision of each column of ``scores`` (N, K) against boolean ``positive`` (N, K).

    Returns:
        float64 tensor (K,); NaN for a column without a positive.
    """
    ones = torch.ones(1, scores.shape[0], dtype=torch.float64, device=scores.device)
    columns = [
        resampled_average_precision(scores[:, k], positive[:, k], ones) for k in range(scores.shape[1])
    ]
    return torch.cat(columns) if columns else torch.empty(0, dtype=torch.float64, device=scores.device)
