"""The shapes a plain metric function receives: a single-target regression's are ``(N,)`` and ``(N,)``.

The expert tour's ``my_mae(preds, targets) = (preds.squeeze() - targets).abs().mean()`` got preds and targets
``(N, 1)`` on a single-target regression, so ``preds.squeeze() - targets`` broadcast to ``N x N`` and the history
showed ``my_mae`` 1.84 beside the built-in ``mae`` 1.01, with no error. A binary task's function already got
``(N,)`` and ``(N,)``; one regression target now does too, and several keep ``(N, K)``.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.learner import Learner
from trainwell.metrics import FunctionMetric, get_metric


def squeezed_mae(preds: torch.Tensor, targets: torch.Tensor) -> float:
    return float((preds.squeeze() - targets).abs().mean())


def plain_mae(preds: torch.Tensor, targets: torch.Tensor) -> float:
    return float((preds - targets).abs().mean())


def shapes_seen() -> tuple[list[tuple[tuple[int, ...], tuple[int, ...]]], object]:
    seen: list[tuple[tuple[int, ...], tuple[int, ...]]] = []

    def shapes(preds: torch.Tensor, targets: torch.Tensor) -> float:
        seen.append((tuple(preds.shape), tuple(targets.shape)))
        return 0.0

    return seen, shapes


def test_a_learner_gives_one_regression_target_as_n_and_n_and_the_natural_mae_matches_the_builtin() -> None:
    seed_everything(0)
    x = torch.randn(300, 6)
    y = 2 * x[:, 0] + x[:, 1]
    seen, shapes = shapes_seen()
    learn = Learner(
        nn.Linear(6, 1), tensor_data(x, y), metrics=[squeezed_mae, plain_mae, shapes, "mae"], progress=False
    )
    learn.fit(2, 0.1)
    assert seen == [((60,), (60,))] * 2
    for row in learn.history:
        assert row["squeezed_mae"] == pytest.approx(row["mae"], rel=1e-6)
        assert row["plain_mae"] == pytest.approx(row["mae"], rel=1e-6)


def test_batches_of_b_by_1_and_of_b_are_joined_into_n() -> None:
    metric = FunctionMetric(plain_mae, "regression")
    builtin = get_metric("mae", "regression")
    batches = [
        (torch.tensor([[1.0], [2.0]]), torch.tensor([1.5, 2.0])),
        (torch.tensor([[4.0]]), torch.tensor([[1.0]])),
    ]
    for preds, targets in batches:
        metric.update(preds, targets)
        builtin.update(preds, targets)
    assert metric.compute() == pytest.approx(builtin.compute()) == pytest.approx(3.5 / 3)
    seen, shapes = shapes_seen()
    shaped = FunctionMetric(shapes, "regression")
    for preds, targets in batches:
        shaped.update(preds, targets)
    shaped.compute()
    assert seen == [((3,), (3,))]


def test_several_regression_targets_keep_n_by_k() -> None:
    seen, shapes = shapes_seen()
    metric = FunctionMetric(shapes, "regression")
    metric.update(torch.randn(5, 2), torch.randn(5, 2))
    metric.compute()
    assert seen == [((5, 2), (5, 2))]

    def second_mae(preds: torch.Tensor, targets: torch.Tensor) -> float:
        return float((preds - targets).abs().mean(dim=0)[1])

    per_target = FunctionMetric(second_mae, "regression")
    per_target.update(torch.tensor([[0.0, 1.0], [0.0, 3.0]]), torch.tensor([[5.0, 0.0], [5.0, 0.0]]))
    assert per_target.compute() == 2.0


@pytest.mark.parametrize(
    ("task", "preds", "targets", "expected"),
    [
        ("binary", torch.rand(4, 1), torch.tensor([[0.0], [1.0], [1.0], [0.0]]), ((4,), (4,))),
        ("multiclass", torch.rand(4, 3), torch.tensor([0, 2, 1, 0]), ((4, 3), (4,))),
        ("multilabel", torch.rand(4, 3), torch.ones(4, 3), ((4, 3), (4, 3))),
    ],
)
def test_the_classification_shapes_are_as_before(task: str, preds, targets, expected) -> None:
    seen, shapes = shapes_seen()
    metric = FunctionMetric(shapes, task)
    metric.update(preds, targets)
    metric.compute()
    assert seen == [expected]


def test_an_error_in_the_function_names_the_shapes_it_was_called_with() -> None:
    def first_column(preds: torch.Tensor, targets: torch.Tensor) -> float:
        return float(preds[:, 0].mean())  # written for (N, 1): now told why it fails

    metric = FunctionMetric(first_column, "regression")
    metric.update(torch.randn(3, 1), torch.randn(3))
    with pytest.raises(IndexError) as caught:
        metric.compute()
    assert any(
        "called with preds (3,) torch.float32 and targets (3,)" in note for note in caught.value.__notes__
    )
