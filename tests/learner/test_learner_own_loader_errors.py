"""A DataBundle over loaders of your own: a task given by name (tour 61 #6: DataBundle(task="binary") failed with
"'str' object has no attribute 'loss_name'"), and float64 batches (a raw "mat1 and mat2 must have the same dtype,
but got Double and Float") now say what to cast."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from trainwell.core.errors import ConfigError
from trainwell.data.bundle import DataBundle
from trainwell.data.task import Task
from trainwell.learner import Learner


def _loader(dtype: np.dtype) -> DataLoader:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 3)).astype(dtype)
    y = (x[:, 0] > 0).astype(np.float32)
    return DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=8)


def test_a_task_name_is_read_as_its_task() -> None:
    loader = _loader(np.float32)
    binary = DataBundle(task="binary", train=loader, valid=loader)
    assert binary.task == Task("binary", classes=(0, 1))
    assert DataBundle(task="regression", train=loader).task == Task("regression")
    torch.manual_seed(0)
    learn = Learner(nn.Linear(3, 1), binary, progress=False, device="cpu")
    learn.fit(1)
    assert "valid_loss" in learn.history[-1]


@pytest.mark.parametrize(
    ("name", "match"),
    [
        (
            "multiclass",
            r"^DataBundle\(task='multiclass'\): a multiclass task needs its classes in output order",
        ),
        ("language_model", r"needs its vocabulary size.*extra=\{'vocab_size': N\}"),
        ("binery", r"^DataBundle\(task='binery'\): not a task kind; use one of: binary, "),
    ],
)
def test_a_name_that_cannot_say_the_task_is_refused_in_one_line(name: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match) as raised:
        DataBundle(task=name, train=_loader(np.float32))
    assert "\n" not in str(raised.value)


def test_float64_batches_of_your_own_loader_are_told_to_be_cast() -> None:
    loader = _loader(np.float64)
    learn = Learner(
        nn.Linear(3, 1), DataBundle(task=Task("binary", classes=(0, 1)), train=loader), progress=False
    )
    with pytest.raises(
        ConfigError,
        match=r"^the model's weights are float32 but the batch's inputs are float64 \(NumPy's default float is "
        r"float64\): cast them where your loader reads them",
    ):
        learn.fit(1)
