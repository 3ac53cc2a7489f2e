"""Area under the ROC curve from ranks (the Mann-Whitney U statistic), column by column, in torch.

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
