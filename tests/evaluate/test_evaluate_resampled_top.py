"""``top10_precision`` scored on every bootstrap resample at once against :func:`top_precision` on each
resample's rows: the same numbers to the bit, with and without ties in the scores (a stable sort takes the
same tied rows in a block of resamples as in one)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trainwell.data.task import Task
from trainwell.evaluate._resampled import resampled_metric
from trainwell.evaluate.explain import explain_validation, top_precision
from trainwell.evaluate.intervals import wilson_interval


def _data(rows: int, ties: bool, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    scores = torch.rand(rows, generator=generator)
    if ties:
        scores = (scores * 3).round() / 3  # four values: the cut at the top 10% nearly always falls in a tie
    return scores, (torch.rand(rows, generator=generator) < 0.3).float()


@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "tied"])
@pytest.mark.parametrize("rows", [1, 7, 10, 31, 250])
def test_every_resample_is_top_precision_on_its_rows(rows: int, ties: bool) -> None:
    scores, targets = _data(rows, ties, seed=rows)
    draws = torch.randint(0, rows, (80, rows), generator=torch.Generator().manual_seed(3))
    fast = resampled_metric("top10_precision", "binary")
    assert fast is not None
    found = fast(scores, targets, draws)
    expected = np.array([top_precision(scores[r], targets[r]) for r in draws], dtype=np.float64)
    np.testing.assert_array_equal(found, expected)


@pytest.mark.parametrize(
    "special",
    [[float("nan"), 0.5], [-0.0, 0.0], [float("inf"), float("-inf")]],
    ids=["nan", "signed_zeros", "infinities"],
)
def test_awkward_scores_are_taken_as_the_sort_takes_them(special: list[float]) -> None:
    scores, targets = _data(60, ties=True, seed=9)
    scores[::3] = torch.tensor(special).repeat(10)  # 20 rows of the awkward values, in turn
    draws = torch.randint(0, 60, (50, 60), generator=torch.Generator().manual_seed(10))
    found = resampled_metric("top10_precision", "binary")(scores, targets, draws)  # type: ignore[misc]
    np.testing.assert_array_equal(found, np.array([top_precision(scores[r], targets[r]) for r in draws]))


def test_long_targets_and_a_column_of_scores_read_as_the_metric_reads_them() -> None:
    scores, targets = _data(40, ties=True, seed=5)
    draws = torch.randint(0, 40, (30, 40), generator=torch.Generator().manual_seed(6))
    found = resampled_metric("top10_precision", "binary")(scores.unsqueeze(1), targets.long(), draws)  # type: ignore[misc]
    expected = [top_precision(scores.unsqueeze(1)[r], targets.long()[r]) for r in draws]
    np.testing.assert_array_equal(found, np.array(expected))


def test_a_tie_at_the_cut_takes_the_rows_in_their_order() -> None:
    scores = torch.tensor([0.9, 0.5, 0.5, 0.5, 0.1])
    # The top 40% is two rows: 0.9, then the first 0.5 in row order (a positive here, the others negative).
    assert top_precision(scores, torch.tensor([0.0, 1.0, 0.0, 0.0, 0.0]), share=0.4) == 0.5
    assert top_precision(scores, torch.tensor([0.0, 0.0, 1.0, 1.0, 0.0]), share=0.4) == 0.0


def test_the_explained_interval_is_wilson_s_on_the_top_rows() -> None:
    # A share of the 12 top-scored rows: the Wilson interval on its counts (a percentile bootstrap of 1 of 12
    # gave [0, 0.25], and [1, 1] for 14 of 14 rows all positive).
    scores, targets = _data(120, ties=True, seed=8)
    lines = {
        line.name: line
        for line in explain_validation(Task("binary", ("no", "yes")), scores, targets, (), n_boot=90, seed=2)
    }
    line = lines["top10_precision"]
    value = top_precision(scores, targets)
    assert line.value == value
    assert (line.low, line.high) == wilson_interval(round(value * 12), 12)
    assert line.low < value < line.high
