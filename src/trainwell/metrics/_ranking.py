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


#: At most this many numbers in one block of :func:`resampled_column_auc` (resamples x rows x columns), to
#: bound its memory.
RESAMPLED_BLOCK = 1 << 22


def resampled_auc(scores: torch.Tensor, positive: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """ROC AUC of ``scores`` (N,) against boolean ``positive`` (N,) on each of B resamples of the rows, given as
    ``counts`` (B, N): how many times each row was drawn. :func:`resampled_column_auc` of one column.

    Returns:
        float64 tensor (B,); NaN for a resample whose rows hold only one class.
    """
    return resampled_column_auc(scores.reshape(-1, 1), positive.reshape(-1, 1), counts)[:, 0]


def resampled_column_auc(scores: torch.Tensor, positive: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """ROC AUC of each column of ``scores`` (N, K) against boolean ``positive`` (N, K) on each of B resamples of
    the rows, given as ``counts`` (B, N): how many times each row was drawn (whole numbers). Equal to
    :func:`column_auc` on each resample's rows (a bootstrap's), from one sort of each column instead of one per
    resample, every column in the same few array operations.

    With multiplicities the Mann-Whitney count of a column is, over its rows in ascending score, each positive
    row's draws times the negative draws below it, plus half of those tied with it. The rows are sorted with the
    negatives first among tied scores, so one running sum of all draws gives, at a positive row, the negative
    draws below it and tied with it, plus the positive draws up to it; those add up to ``(P**2 + Q) / 2`` over a
    column's positives (P their draws, Q the sum of each one's draws squared), taken off without a sort. Half the
    tied pairs are then taken off group by group, only over the rows whose score is tied (none, most often).
    Where most rows are tied (scores on a coarse grid), the draws are summed by group instead and the count
    taken over the groups, fewer than the rows. Every number is a whole or half number in float64, so exact in
    any order: the result is :func:`column_auc`'s to the last bit. Against a pass per column, 2-3 times faster
    on 12,000 rows of 10 classes without tied scores.

    Returns:
        float64 tensor (B, K); NaN for a resample whose rows hold only one class of a column.
    """
    n_rows, n_columns = scores.shape
    counts = counts.to(torch.float64)
    # Ascending scores, negatives first among tied ones: a stable sort by the class, then by the score. (N, K)
    by_class = positive.to(torch.uint8).sort(dim=0, stable=True).indices
    sorted_scores, within = scores.to(torch.float64).gather(0, by_class).sort(dim=0, stable=True)
    order = by_class.gather(0, within).T.contiguous()  # (K, N) rows in each column's order
    is_positive = positive.T.gather(1, order)  # (K, N)
    # The positive rows of every column, column after column: where they sit in the running sums, which rows.
    where_positive = is_positive.reshape(-1).nonzero().squeeze(1)  # (M,) flat (column, place) positions
    positive_rows = order.reshape(-1)[where_positive]
    column_of = torch.nn.functional.one_hot(where_positive // n_rows, n_columns).to(torch.float64)  # (M, K)
    ties = _tied_groups(sorted_scores.T.contiguous(), is_positive)
    positives = positive.to(torch.float64)
    n_positive = counts @ positives  # (B, K)
    n_negative = counts.sum(dim=1, keepdim=True) - n_positive
    flat_order = order.reshape(-1)
    # The running sums are of whole numbers up to a resample's size: exact in float32 below 2**24, and half the
    # memory to read through.
    exact_in_float32 = len(counts) == 0 or float(counts.sum(dim=1).max()) < 2**24
    step = max(1, RESAMPLED_BLOCK // max(1, n_rows * n_columns))
    if ties is not None and ties.all_rows:
        return _where_defined(
            torch.cat([ties.mann_whitney(block.index_select(1, flat_order)) for block in counts.split(step)]),
            n_positive,
            n_negative,
        )
    positive_pairs = (n_positive.square() + counts.square() @ positives) / 2
    u_statistic = []
    for block in counts.split(step):
        drawn = block.to(torch.float32) if exact_in_float32 else block
        running = drawn.index_select(1, flat_order).view(len(block), n_columns, n_rows).cumsum(dim=2)
        # (b, K): each positive row's draws times the draws at or below it in its column's order
        at_positives = running.view(len(block), -1)[:, where_positive].to(torch.float64)
        u = (block[:, positive_rows] * at_positives) @ column_of
        if ties is not None:  # the tied rows' draws alone
            u = u - ties.half_pairs(block.index_select(1, flat_order[ties.rows]))
        u_statistic.append(u)
    return _where_defined(torch.cat(u_statistic) - positive_pairs, n_positive, n_negative)


def _where_defined(
    u_statistic: torch.Tensor, n_positive: torch.Tensor, n_negative: torch.Tensor
) -> torch.Tensor:
    """AUC from the Mann-Whitney count, NaN where the rows hold one class only."""
    auc = u_statistic / (n_positive * n_negative)
    return torch.where((n_positive > 0) & (n_negative > 0), auc, torch.full_like(auc, float("nan")))


class _TiedGroups:
    """The rows of columns sorted by score (K, N) whose score is tied with another's, by group: to count each
    resample's positive-negative pairs inside the groups (:meth:`half_pairs`). With ``all_rows``, every row, a
    group of one where its score is not tied: to count every pair by group (:meth:`mann_whitney`)."""

    def __init__(
        self,
        rows: torch.Tensor,
        group: torch.Tensor,
        column: torch.Tensor,
        is_positive: torch.Tensor,
        n_columns: int,
        all_rows: bool,
    ) -> None:
        self.rows, self.group, self.is_positive = rows, group, is_positive.to(torch.float64)  # (T,) each
        self.column = column  # (G,) each group's column, ascending
        self.n_columns = n_columns
        self.all_rows = all_rows

    def _draws_by_group(self, tied: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Each group's positive and negative draws (b, G), from ``tied`` (b, T): the draws of :attr:`rows`
        (flat positions in the columns' sorted rows, (K * N,))."""
        shape = (len(tied), len(self.column))
        positives = tied.new_zeros(shape).index_add_(1, self.group, tied * self.is_positive)
        negatives = tied.new_zeros(shape).index_add_(1, self.group, tied * (1 - self.is_positive))
        return positives, negatives

    def half_pairs(self, tied: torch.Tensor) -> torch.Tensor:
        """Half the positive draws times the negative draws of each tied group, summed by column -> (b, K)."""
        positives, negatives = self._draws_by_group(tied)
        pairs = positives.new_zeros(len(positives), self.n_columns)
        return 0.5 * pairs.index_add_(1, self.column, positives * negatives)

    def mann_whitney(self, tied: torch.Tensor) -> torch.Tensor:
        """The Mann-Whitney count of each column (b, K) over its groups in ascending score: each group's positive
        draws times the negative draws below it and half those in it."""
        positives, negatives = self._draws_by_group(tied)
        running = negatives.cumsum(dim=1)  # (b, G) through the columns one after another
        last_group = torch.searchsorted(self.column, torch.arange(self.n_columns), right=True) - 1  # (K,)
        before_column = torch.nn.functional.pad(running[:, last_group[:-1]], (1, 0))  # (b, K)
        below = running - negatives - before_column[:, self.column]
        count = positives.new_zeros(len(positives), self.n_columns)
        return count.index_add_(1, self.column, positives * (below + 0.5 * negatives))


def _tied_groups(sorted_scores: torch.Tensor, is_positive: torch.Tensor) -> _TiedGroups | None:
    """The tied rows of ``sorted_scores`` (K, N), each column ascending, or every row where most are tied;
    ``None`` when no score is tied."""
    n_columns, n_rows = sorted_scores.shape
    starts = torch.ones_like(sorted_scores, dtype=torch.bool)
    starts[:, 1:] = sorted_scores[:, 1:] != sorted_scores[:, :-1]
    if bool(starts.all()):
        return None
    group = starts.reshape(-1).long().cumsum(dim=0) - 1  # (K * N,) groups numbered across the columns
    first_rows = starts.reshape(-1).nonzero().squeeze(1)  # each group's first flat position
    tied = torch.bincount(group)[group] > 1
    if int(tied.sum()) * 2 > len(group):  # most rows tied: fewer groups than rows to count over
        return _TiedGroups(
            torch.arange(len(group)),
            group,
            first_rows // n_rows,
            is_positive.reshape(-1),
            n_columns,
            all_rows=True,
        )
    rows = tied.nonzero().squeeze(1)  # flat positions in groups of two or more
    numbers, tied_group = group[rows].unique(return_inverse=True)
    columns = first_rows[numbers] // n_rows
    return _TiedGroups(rows, tied_group, columns, is_positive.reshape(-1)[rows], n_columns, all_rows=False)


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
