"""tensor_data's refusals of inputs it cannot train on, and several inputs for a model called as ``model(a, b)``.

The expert tour found: ``tensor_data(x, y[:150])`` on 200 rows of ``x`` failed with an IndexError from the
validation order; a NaN in a training row of ``x`` stopped the fit as "loss became nan ... lower the learning
rate" (wrong advice), one in a validation row gave ``valid_loss: nan`` beside an accuracy that read as valid; and
``tensor_data((a, b), y)`` for a two-input model failed with numpy's "setting an array element with a sequence".
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from trainwell.core.errors import DataError
from trainwell.data import tensor_data
from trainwell.data.task import Task
from trainwell.learner import Learner


def rows(n: int = 200, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 6, generator=generator)
    return x, (x[:, 0] > 0).long()


# 1. x and y of different lengths ------------------------------------------------------------------------------


@pytest.mark.parametrize("convert", [lambda t: t, lambda t: t.numpy(), lambda t: t.tolist(), pd.Series])
def test_targets_fewer_than_rows_are_refused_in_one_line_naming_both_lengths(convert) -> None:
    x, y = rows()
    expected = (
        "tensor_data: x has 200 rows but y has 150; give one target per row of x, in the same order (cut both to "
        "the same rows)"
    )
    with pytest.raises(DataError) as caught:
        tensor_data(x, convert(y[:150]))
    assert str(caught.value) == expected


def test_more_targets_than_rows_are_refused_too_whatever_the_split() -> None:
    x, y = rows()
    with pytest.raises(DataError, match=r"^tensor_data: x has 100 rows but y has 200; "):
        tensor_data(x[:100], y, valid_pct=0)


def test_a_list_of_input_arrays_is_told_to_be_a_tuple() -> None:
    x, y = rows()
    with pytest.raises(
        DataError, match=re.escape("x is a list of 2 arrays of 200 rows: pass several inputs as a tuple")
    ):
        tensor_data([x[:, :4].numpy(), x[:, :4].numpy()], y)


# 2. missing or infinite numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize("row", [0, 199])  # a training row and a validation row of the tour's split
def test_a_nan_in_the_inputs_is_refused_naming_the_row_and_the_fix(row: int) -> None:
    x, y = rows()
    x[row, 2] = float("nan")
    with pytest.raises(DataError) as caught:
        tensor_data(x, y, splits=(list(range(160)), list(range(160, 200))))
    assert str(caught.value) == (
        f"tensor_data: x holds missing (NaN) values in 1 of 200 rows (the first: row {row}), which a model cannot "
        "learn from; fill them (e.g. torch.nan_to_num(x), or each column's mean) or drop those rows: arrays are "
        "used as given (only tabular_data fills a table's missing numbers)"
    )


def test_infinite_inputs_are_counted_by_row_and_numpy_arrays_are_checked_alike() -> None:
    x, y = rows()
    values = x.numpy().astype(np.float64)
    values[[5, 5, 9, 40], [0, 1, 3, 2]] = [np.inf, -np.inf, np.inf, np.nan]
    with pytest.raises(
        DataError,
        match=re.escape("x holds missing (NaN) or infinite values in 3 of 200 rows (the first: row 5)"),
    ):
        tensor_data(values, y.numpy())


def test_whole_number_inputs_and_finite_floats_pass() -> None:
    x, y = rows()
    assert tensor_data((x > 0).long(), y).train.n_rows == 160
    assert tensor_data(x.double(), y).train.tensors[0].dtype == torch.float32


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
@pytest.mark.parametrize("task", [None, "regression", Task("regression")])
def test_a_regression_target_that_is_not_a_number_is_refused(bad: float, task) -> None:
    x, _ = rows()
    y = 2 * x[:, 0] + x[:, 1]
    y[7] = bad
    word = "missing (NaN)" if bad != bad else "infinite"
    expected = (
        f"tensor_data: y holds {word} values in 1 of 200 rows (the first: row 7), which a model cannot learn from; "
        "drop those rows from x and y, or fill in their true targets"
    )
    with pytest.raises(DataError) as caught:
        tensor_data(x, y, task=task)
    assert str(caught.value) == expected


def test_several_regression_targets_in_a_frame_are_checked_row_by_row() -> None:
    x, _ = rows()
    y = pd.DataFrame({"price": x[:, 0].double().numpy(), "area": x[:, 1].double().numpy()})
    y.loc[[3, 3, 50], ["price", "area"]] = np.inf
    with pytest.raises(
        DataError, match=re.escape("y holds infinite values in 2 of 200 rows (the first: row 3)")
    ):
        tensor_data(x, y)


def test_a_nan_free_fit_learns_where_the_same_data_with_a_nan_would_have_been_refused() -> None:
    x, y = rows(400)
    data = tensor_data(torch.nan_to_num(x), y)  # the fix the message names
    learn = Learner(nn.Linear(6, 1), data, progress=False)
    learn.fit(3, 0.1)
    assert learn.history[-1]["valid_loss"] == learn.history[-1]["valid_loss"]  # not nan
    assert learn.history[-1]["accuracy"] > 0.9


# 3. several inputs ---------------------------------------------------------------------------------------------


class TwoInputs(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b, self.out = nn.Linear(4, 16), nn.Linear(2, 16), nn.Linear(16, 1)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return self.out(torch.relu(self.a(a) + self.b(b)))


def two_inputs(n: int = 400) -> tuple[torch.Tensor, np.ndarray, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    a, b = torch.randn(n, 4, generator=generator), torch.randn(n, 2, generator=generator)
    y = (a[:, 0] + 2 * b[:, 1] > 0).long()  # neither input alone decides it
    return a, b.double().numpy(), y


def test_a_tuple_of_inputs_is_split_alike_and_batched_as_a_b_y() -> None:
    a, b, y = two_inputs()
    data = tensor_data((a, b), y)
    batch = next(iter(data.train))
    assert [tuple(t.shape) for t in batch] == [(64, 4), (64, 2), (64,)]
    assert batch[1].dtype == torch.float32
    for loader, index in ((data.train, data.train_index), (data.valid, data.valid_index)):
        first, second, target = loader.tensors  # type: ignore[attr-defined]
        assert torch.equal(first, a[index]) and torch.equal(second, torch.as_tensor(b[index]).float())
        assert torch.equal(target, y[index])


def test_a_two_input_model_trains_end_to_end_and_predicts_from_a_tuple() -> None:
    a, b, y = two_inputs()
    learn = Learner(TwoInputs(), tensor_data((a, b), y), progress=False)
    learn.fit(6, 3e-2)
    assert learn.history[-1]["accuracy"] > 0.85
    predicted = learn.predict((a[:50], b[:50]))
    assert len(predicted) == 50
    assert (predicted["prediction"].to_numpy() == y[:50].numpy()).mean() > 0.8


def test_inputs_of_different_lengths_and_like_of_another_arity_are_refused() -> None:
    a, b, y = two_inputs()
    with pytest.raises(
        DataError, match=re.escape("the inputs of x have different numbers of rows ((400, 4), (399, 2))")
    ):
        tensor_data((a, b[:399]), y)
    first = tensor_data((a, b), y)
    assert tensor_data((a[:100], b[:100]), y[:100], like=first).task == first.task
    with pytest.raises(
        DataError, match=re.escape("x holds one input but like='s data held 2 inputs (a tuple)")
    ):
        tensor_data(a, y, like=first)
    with pytest.raises(
        DataError, match=re.escape("x's rows have shape (4,), (3,) but like='s have (4,), (2,)")
    ):
        tensor_data((a, torch.randn(400, 3)), y, like=first)


def test_a_nan_in_the_second_input_is_named_by_its_position() -> None:
    a, b, y = two_inputs()
    b[12, 1] = np.nan
    with pytest.raises(
        DataError,
        match=re.escape("tensor_data: x[1] holds missing (NaN) values in 1 of 400 rows (the first: row 12)"),
    ):
        tensor_data((a, b), y)
