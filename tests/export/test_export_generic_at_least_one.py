"""``GenericPredictor.predict(..., at_least_one=True)``: a multi-label model on your own ``nn.Module`` (tensors in)
decodes as the applications' predictors do: a row with no label over its threshold gets its likeliest label, the
rest as without it; a model of another task refuses it in one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from torch import nn

import trainwell
from multilabel_samples import at_least_one_by_hand
from trainwell import ConfigError, Learner
from trainwell.data import DataBundle, Task, TensorLoader
from trainwell.export import GenericPredictor
from trainwell.models import register_model
from trainwell.models.registry import models

CLASSES = ("a", "b", "c")
NAME = "test_three_flags"


class ThreeFlags(nn.Module):
    def __init__(self, n_in: int = 4, n_out: int = 3) -> None:
        super().__init__()
        self.out = nn.Linear(n_in, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(x)


@pytest.fixture(autouse=True)
def registered() -> Iterator[None]:
    """The architecture registered as a user's module would, and removed after the test (as
    test_export_generic.py does: the registry has no public removal)."""
    register_model(NAME)(ThreeFlags)
    yield
    models._entries.pop(NAME, None)


def _exported(tmp_path: Path, task: Task, y: torch.Tensor, x: torch.Tensor) -> tuple[Learner, Path]:
    trainwell.seed_everything(0)
    data = DataBundle(
        task, TensorLoader((x[:90], y[:90]), 16, shuffle=True), TensorLoader((x[90:], y[90:]), 32)
    )
    learn = Learner(ThreeFlags(n_out=y.shape[1]), data, progress=False)
    learn.fit(2, lr=0.05)
    learn.model_spec = {"name": NAME, "config": {"n_out": y.shape[1]}}
    return learn, learn.export(tmp_path / "model")


def test_a_multi_label_model_of_your_own_fills_rows_without_a_label(tmp_path: Path) -> None:
    trainwell.seed_everything(0)
    x = torch.randn(120, 4)
    y = (x[:, :3] > 0.6).float()  # many rows hold no label
    learn, path = _exported(tmp_path, Task("multilabel", CLASSES, ("flags",)), y, x)
    predictor = trainwell.load(path)
    assert isinstance(predictor, GenericPredictor)
    new = torch.randn(40, 4)
    plain, filled = predictor.predict(new), predictor.predict(new, at_least_one=True)
    empty = plain["prediction"] == ""
    assert 0 < empty.sum() < len(new)
    assert filled["prediction"].tolist() == at_least_one_by_hand(plain, list(CLASSES), ";")
    assert filled.loc[~empty, "prediction"].tolist() == plain.loc[~empty, "prediction"].tolist()
    assert plain["prediction"].tolist() == [
        ";".join(labels) for labels in learn.task.decode(predictor.predict_proba(new))
    ]


def test_a_model_of_another_task_refuses_it(tmp_path: Path) -> None:
    x = torch.randn(120, 4)
    _, path = _exported(tmp_path, Task("regression"), x[:, :1] * 2, x)
    with pytest.raises(ConfigError) as error:
        trainwell.load(path).predict(x[:3], at_least_one=True)
    assert str(error.value) == (
        "at_least_one= is for multi-label models; this regression model gives every row one answer already: drop it"
    )
