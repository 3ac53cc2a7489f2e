"""Splits (random and by a column), tensor_data end to end, and the DataBundle itself."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from trainwell.core.errors import ConfigError, DataError
from trainwell.data import DataBundle, Task, TensorLoader, mask_split, random_split, tensor_data
from trainwell.data.bundle import choose_split


# ------------------------------------------------------------------------------------------ random_split
@pytest.mark.parametrize(
    ("n_rows", "valid_pct", "n_valid"),
    [(100, 0.2, 20), (10, 0.25, 2), (2, 0.5, 1), (5, 0.01, 1), (5, 0.99, 4)],
)
def test_random_split_sizes_disjoint_and_complete(n_rows: int, valid_pct: float, n_valid: int) -> None:
    train, valid = random_split(n_rows, valid_pct, seed=3)
    assert len(valid) == n_valid and len(train) == n_rows - n_valid  # at least one row on each side
    assert set(train).isdisjoint(valid)
    assert sorted([*train, *valid]) == list(range(n_rows))
    assert list(train) == sorted(train) and list(valid) == sorted(valid)


def test_random_split_is_reproducible_and_seeded() -> None:
    first = random_split(200, 0.2, seed=1)
    again = random_split(200, 0.2, seed=1)
    other = random_split(200, 0.2, seed=2)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[1], other[1])
    expected_valid = np.sort(np.random.default_rng(1).permutation(200)[:40])
    assert np.array_equal(first[1], expected_valid)


@pytest.mark.parametrize("valid_pct", [0.0, 1.0, -0.1, 1.5])
def test_random_split_refuses_a_share_outside_zero_one(valid_pct: float) -> None:
    with pytest.raises(
        ConfigError, match=rf"--valid-pct must be between 0 and 1 \(exclusive\), got {valid_pct}"
    ):
        random_split(10, valid_pct)


def test_random_split_needs_two_rows() -> None:
    with pytest.raises(DataError, match="need at least 2 rows to split into train and valid, got 1"):
        random_split(1, 0.5)


# -------------------------------------------------------------------------------------------- mask_split
@pytest.mark.parametrize(
    "column",
    [
        [False, True, False, True],
        [0, 1, 0, 1],
        [0.0, 1.0, 0.0, 1.0],
        ["0", "1", "0", "1"],
        ["false", "true", "False", "TRUE"],
        ["no", "yes", "no", "yes"],
        ["train", "valid", "training", "validation"],
        np.array([False, True, False, True]),
        pd.Series([0, 1, 0, 1], dtype="int64"),
    ],
)
def test_mask_split_reads_boolean_like_values(column: Any) -> None:
    train, valid = mask_split(column)
    assert train.tolist() == [0, 2] and valid.tolist() == [1, 3]


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (
            ["train", "maybe", "valid", "2"],
            r"is_valid must hold true/false \(or 1/0, valid/train\); found \['2', 'maybe'\]",
        ),
        ([True, True], "is_valid marks every row as validation; both train and valid rows are needed"),
        ([0, 0, 0], "is_valid marks no row as validation; both train and valid rows are needed"),
    ],
)
def test_mask_split_errors_name_the_column(column: list[Any], message: str) -> None:
    with pytest.raises(DataError, match=message):
        mask_split(column, source="is_valid")


# ------------------------------------------------------------------------------------------- tensor_data
@pytest.mark.parametrize(
    ("name", "values", "warned"),
    [
        ("is_valid", [True, False] * 30, True),
        ("valid", [1, 0, 0] * 20, True),
        ("split", ["train", "valid", "train"] * 20, True),
        ("is_valid", [True] * 60, False),  # one value marks nothing
        ("split", ["train", "valid", "test"] * 20, False),  # test rows are not a validation mark
        ("valid_rows", ["a", "b"] * 30, False),
        ("is_train", [True, False] * 30, False),  # True marks training rows: not offered as valid_col
        ("validity", [True, False] * 30, False),
    ],
)
def test_a_column_marking_validation_rows_gets_a_hint_when_rows_are_drawn_at_random(
    name: str, values: list[Any], warned: bool
) -> None:
    frame = pd.DataFrame({"x": np.arange(60.0), "y": np.arange(60) % 2, name: values})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _train_rows, valid_rows = choose_split(frame, valid_pct=0.2, seed=0)
    hints = [str(w.message) for w in caught if "mark of validation rows" in str(w.message)]
    assert len(valid_rows) == 12
    assert hints == (
        [
            f"column '{name}' looks like a mark of validation rows, but the validation rows were drawn at random; "
            f"to hold out the rows it marks, pass --valid-col {name} (Python: valid_col='{name}')"
        ]
        if warned
        else []
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        choose_split(frame, valid_pct=0.0)  # no validation rows asked for: nothing to say
        if warned and name == "is_valid":
            choose_split(frame, valid_pct=0.2, valid_col=name)  # the hint taken


def test_tensor_data_end_to_end_classification() -> None:
    x = np.random.default_rng(0).normal(size=(50, 3))  # float64 in, float32 out
    y = np.array(["spam", "ham"] * 25)
    data = tensor_data(x, y, valid_pct=0.2, batch_size=8, seed=4)
    assert (data.task.kind, data.task.classes, data.application) == ("binary", ("ham", "spam"), "generic")
    train, valid = random_split(50, 0.2, seed=4)
    assert isinstance(data.train, TensorLoader) and isinstance(data.valid, TensorLoader)
    assert (data.train.batch_size, data.train.shuffle, data.train.seed) == (8, True, 4)
    assert (data.valid.batch_size, data.valid.shuffle) == (16, False)
    x_valid, y_valid = data.valid.tensors
    assert x_valid.dtype == torch.float32
    # The drawn rows, in a fair order (data.fair_order), each still named by valid_index.
    assert sorted(data.valid_index.tolist()) == sorted(valid.tolist())
    np.testing.assert_allclose(x_valid.numpy(), x[data.valid_index].astype(np.float32))
    assert data.task.decode(y_valid) == y[data.valid_index].tolist()
    assert sorted(data.train.tensors[0][:, 0].tolist()) == sorted(x[train, 0].astype(np.float32).tolist())
    assert data.test is None and list(data.loaders()) == ["train", "valid"]
    assert repr(data) == "DataBundle(task=binary, train=40 rows, valid=10 rows, application='generic')"


def test_drawn_validation_arrays_come_in_a_fair_order() -> None:
    # Arrays sorted by class: a capped validation pass reads the first batches, which in the arrays' order held
    # the first class alone. Each class now comes in proportion from the first rows on.
    x = np.arange(400, dtype=np.float32).reshape(200, 2)
    y = np.array(["a"] * 100 + ["b"] * 100)
    data = tensor_data(x, y, valid_pct=0.5, seed=0)
    first = data.task.decode(data.valid.tensors[1][:10])
    assert {"a", "b"} <= set(first), first
    assert sorted(data.valid_index.tolist()) == sorted(random_split(200, 0.5, seed=0)[1].tolist())
    splits = ([0, 1, 2], [199, 3, 198])  # rows placed by the caller keep the order given
    assert tensor_data(x, y, splits=splits).valid_index.tolist() == [199, 3, 198]


def test_tensor_data_with_explicit_splits_and_task_override() -> None:
    x = torch.arange(12, dtype=torch.float64).reshape(6, 2)
    y = [0, 1, 2, 0, 1, 2]
    data = tensor_data(x, y, task="regression", splits=([0, 1, 2, 3], [4, 5]))
    assert data.task.kind == "regression"
    assert data.train.tensors[1].tolist() == [0.0, 1.0, 2.0, 0.0]
    assert data.valid.tensors[0].tolist() == [[8.0, 9.0], [10.0, 11.0]]
    assert data.train.tensors[0].dtype == torch.float32


def test_tensor_data_without_validation_keeps_every_row_for_training() -> None:
    data = tensor_data(torch.randn(30, 2), torch.randn(30), valid_pct=0)
    assert data.valid is None and data.train.n_rows == 30
    assert repr(data) == "DataBundle(task=regression, train=30 rows, application='generic')"


def test_tensor_data_keeps_integer_inputs_and_takes_a_task() -> None:
    tokens = torch.randint(0, 100, (20, 5))
    task = Task("multiclass", ("a", "b", "c"))
    data = tensor_data(tokens, ["a", "b", "c", "a"] * 5, task=task, valid_pct=0.25)
    assert data.task is task
    assert data.train.tensors[0].dtype == torch.int64  # token ids must stay integers
    assert data.train.tensors[1].dtype == torch.long
    assert data.valid.n_rows == 5


def test_tensor_data_multilabel_targets() -> None:
    data = tensor_data(torch.randn(4, 2), [["a"], ["b", "c"], [], ["a", "c"]], valid_pct=0)
    assert data.task.kind == "multilabel"
    y = data.train.tensors[1]
    assert y.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 0], [1, 0, 1]]


def test_tensor_data_reports_target_problems() -> None:
    with pytest.raises(DataError, match="target 'target' has a single value"):
        tensor_data(torch.randn(4, 2), [1, 1, 1, 1])


def test_data_bundle_accepts_any_iterable_of_batches() -> None:
    batches = [(torch.randn(4, 2), torch.randn(4))] * 3
    bundle = DataBundle(Task("regression"), batches)
    assert bundle.loaders() == {"train": batches}
    assert repr(bundle) == "DataBundle(task=regression, train=stream, application='generic')"
