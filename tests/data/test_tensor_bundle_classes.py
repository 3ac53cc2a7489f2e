"""tensor_data's classes= and like=: a label keeps its output index from one bundle to the next.

Continual learning on split MNIST (digits 0-4, then 5-9) built each bundle on its own: each inferred its classes
from its labels, so the second re-coded 5..9 as 0..4 and trained the first task's outputs in silence.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from trainwell.core.errors import ConfigError, DataError
from trainwell.data import tensor_data
from trainwell.data.bundle import DataBundle
from trainwell.data.task import Task
from trainwell.learner import Learner


@pytest.fixture(scope="module")
def digits(shared_data: Path) -> tuple[np.ndarray, np.ndarray]:
    from trainwell.vision import read_idx

    mnist = shared_data / "mnist"
    x = read_idx(mnist / "t10k-images-idx3-ubyte.gz")[:3000].reshape(-1, 784).astype(np.float32) / 255
    y = read_idx(mnist / "t10k-labels-idx1-ubyte.gz")[:3000].astype(np.int64)
    return x, y


def split_tasks(digits: tuple[np.ndarray, np.ndarray]) -> tuple[tuple, tuple]:
    x, y = digits
    first, second = y < 5, y >= 5
    return (x[first], y[first]), (x[second], y[second])


def test_like_keeps_digit_7_as_output_7_where_a_bundle_of_its_own_re_codes_it(
    digits: tuple[np.ndarray, np.ndarray],
) -> None:
    (xa, ya), (xb, yb) = split_tasks(digits)
    a = tensor_data(xa, ya, classes=range(10))
    b = tensor_data(xb, yb, like=a)
    alone = tensor_data(xb, yb)
    assert a.task == b.task and b.task.classes == tuple(range(10))
    sevens = np.flatnonzero(yb[b.train_index] == 7)
    assert len(sevens) > 50
    assert set(b.train.tensors[1][sevens].tolist()) == {7}
    # built on its own, the second task numbers its own classes: 7 is output 2 (what the tour saw)
    assert set(alone.train.tensors[1][np.flatnonzero(yb[alone.train_index] == 7)].tolist()) == {2}
    by_classes = tensor_data(xb, yb, classes=range(10))
    assert by_classes.task == a.task and set(
        by_classes.valid.tensors[1][yb[by_classes.valid_index] == 7].tolist()
    ) == {7}


def test_a_learner_trained_on_the_second_task_predicts_its_digits_with_their_own_outputs(
    digits: tuple[np.ndarray, np.ndarray],
) -> None:
    (xa, ya), (xb, yb) = split_tasks(digits)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    learn = Learner(model, tensor_data(xa, ya, classes=range(10)), progress=False, device="cpu")
    learn.fit_one_cycle(1, 1e-2)
    learn.data = tensor_data(xb, yb, like=learn.data)  # the same task: accepted
    learn.fit_one_cycle(2, 1e-2)
    with torch.no_grad():
        predicted = model(torch.as_tensor(xb)).argmax(dim=1).numpy()
    assert (predicted >= 5).mean() > 0.95  # digits 5-9 land on outputs 5-9, not on task A's 0-4
    assert (predicted == yb).mean() > 0.6


def test_labels_outside_the_given_classes_are_refused_in_one_line(
    digits: tuple[np.ndarray, np.ndarray],
) -> None:
    (xa, ya), (xb, yb) = split_tasks(digits)
    with pytest.raises(DataError) as refused:
        tensor_data(xb, yb, like=tensor_data(xa, ya))  # the first data knew digits 0-4 only
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(
        "tensor_data: label(s) 5, 6, 7, 8, 9 are not among the classes of like= (0, 1, 2, 3, 4), and the model "
        "has no output for them; build the first data with every class the tasks will bring "
        "(tensor_data(x, y, classes=[...]))"
    )
    with pytest.raises(
        DataError, match=re.escape("label(s) 5, 6, 7, 8, 9 are not among classes= (0, 1, 2, 3, 4)")
    ):
        tensor_data(xb, yb, classes=range(5))
    with pytest.raises(DataError, match=re.escape("label(s) 10, 11, 12, 13, 14 and 2 more are not among")):
        tensor_data(np.zeros((7, 2)), np.arange(10, 17), classes=[0, 1])


def test_classes_make_the_task() -> None:
    x = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    y = np.arange(40) % 2
    assert tensor_data(x, y, classes=[0, 1]).task.kind == "binary"
    assert tensor_data(x, y, classes=[0, 1], task="multiclass").task.kind == "multiclass"
    names = tensor_data(x, np.where(y == 1, "dog", "cat"), classes=["dog", "cat", "bird"])
    assert names.task.classes == ("dog", "cat", "bird")  # output order as given
    assert names.train.tensors[1].tolist() == [0 if label == 1 else 1 for label in y[names.train_index]]
    assert tensor_data(x, torch.as_tensor(y), classes=torch.arange(3)).task.classes == (0, 1, 2)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"classes": "ab"}, "classes= takes the classes as a list (classes=range(10)"),
        ({"classes": [0, 1, 1]}, "classes= names 1 more than once"),
        ({"classes": [0, 1], "task": "regression"}, "not a regression task's; drop classes= or task="),
        ({"classes": [0, 1], "task": Task("binary", (0, 1))}, "pass task=Task(...) or classes=, not both"),
    ],
)
def test_wrong_classes_are_refused(settings: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        tensor_data(np.zeros((10, 2)), np.arange(10) % 2, **settings)


def test_like_refuses_other_bundles_settings_it_fixes_and_rows_of_another_shape() -> None:
    x, y = np.zeros((20, 4), dtype=np.float32), np.arange(20) % 3
    first = tensor_data(x, y)
    table = DataBundle(first.task, [], application="tabular")
    with pytest.raises(
        ConfigError,
        match=re.escape("like= takes a bundle of tensor_data (learn.data), got a bundle of tabular"),
    ):
        tensor_data(x, y, like=table)
    with pytest.raises(
        ConfigError, match="like= takes the task and its classes from its data; drop task=, classes="
    ):
        tensor_data(x, y, like=first, task="multiclass", classes=range(3))
    with pytest.raises(DataError, match=re.escape("x's rows have shape (2, 2) but like='s have (4,)")):
        tensor_data(x.reshape(20, 2, 2), y, like=first)


def test_the_bundle_keeps_which_rows_of_x_each_split_holds() -> None:
    x = torch.arange(50, dtype=torch.float32)[:, None]
    y = np.arange(50) % 2
    data = tensor_data(x, y, valid_pct=0.2, seed=3)
    assert torch.equal(x[torch.as_tensor(data.valid_index)], data.valid.tensors[0])
    assert torch.equal(x[torch.as_tensor(data.train_index)], data.train.tensors[0])
    assert sorted([*data.train_index, *data.valid_index]) == list(range(50))
    given = tensor_data(x, y, splits=([5, 1, 2], [9, 0]))
    assert given.valid_index.tolist() == [9, 0] and given.train_index.tolist() == [5, 1, 2]
    whole = tensor_data(x, y, valid_pct=0)
    assert whole.valid_index is None and whole.train_index.tolist() == list(range(50))
