"""What ``Learner(metrics=...)`` takes: None (the task's), [] (none), names, functions, Metric objects."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from rich.console import Console
from torch import nn

from trainwell.callbacks import EarlyStopping, SaveBest
from trainwell.callbacks.progress import ProgressBar
from trainwell.core.errors import ConfigError
from trainwell.data import Task, tensor_data
from trainwell.data.bundle import DataBundle
from trainwell.learner import Learner
from trainwell.metrics import FunctionMetric, Metric, metric_function

RECORDER_COLUMNS = ["fit", "epoch", "train_loss", "valid_loss", "lr", "time"]


def classes_data(seed: int = 0) -> DataBundle:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(96, 4, generator=generator)
    y = (x[:, 0] + x[:, 1] > 0).long() + (x[:, 2] > 1).long()
    return tensor_data(x, y, task="multiclass", valid_pct=0.25, batch_size=16, seed=seed)


def learner(metrics: Any = None, **kwargs: Any) -> Learner:
    torch.manual_seed(0)
    return Learner(nn.Linear(4, 3), classes_data(), metrics=metrics, progress=False, device="cpu", **kwargs)


def my_acc(preds: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return (preds.argmax(-1) == targets).float().mean()


def test_an_empty_list_means_no_metrics_and_none_means_the_tasks() -> None:
    empty = learner([])
    assert empty.metrics == []
    empty.fit(1, lr=0.01)
    assert list(empty.history[-1]) == RECORDER_COLUMNS
    assert list(empty.validate()) == ["loss"]
    assert [metric.name for metric in learner(None).metrics] == ["accuracy", "balanced_accuracy", "roc_auc"]
    assert [metric.name for metric in learner(()).metrics] == []


def test_a_plain_function_is_reported_like_a_built_in_metric() -> None:
    learn = learner(["accuracy", my_acc])
    console = Console(record=True, width=200, force_terminal=False)
    learn.fit(2, lr=0.05, callbacks=[ProgressBar(console)])
    for row in learn.history:
        assert row["my_acc"] == pytest.approx(row["accuracy"])
        assert isinstance(row["my_acc"], float)
    assert learn.validate()["my_acc"] == pytest.approx(learn.history[-1]["accuracy"])
    header = next(line for line in console.export_text().splitlines() if "train_loss" in line)
    assert header.split() == ["epoch", "train_loss", "valid_loss", "accuracy", "my_acc", "lr", "time"]


def scripted(values: list[float]) -> Any:
    """A metric function returning ``values`` one validation pass after another."""
    remaining = list(values)

    def score(preds: torch.Tensor, targets: torch.Tensor) -> float:
        return remaining.pop(0)

    return score


@pytest.mark.parametrize(("higher_is_better", "best_epoch"), [(True, 0), (False, 1)])
def test_save_best_and_early_stopping_follow_a_function_by_name_and_direction(
    higher_is_better: bool, best_epoch: int
) -> None:
    score = metric_function(scripted([3.0, 1.0, 2.0]), name="score", higher_is_better=higher_is_better)
    learn = learner([score])
    stop = EarlyStopping("score", patience=2)
    learn.fit(3, lr=0.01, callbacks=[SaveBest("score"), stop])
    assert [row["score"] for row in learn.history] == [3.0, 1.0, 2.0]
    assert learn.final_row["epoch"] == best_epoch + 1  # the weights SaveBest loaded back (counted from 1)
    assert stop.best_epoch == best_epoch


def test_a_metric_subclass_without_init_trains_and_is_monitored() -> None:
    class TopTwo(Metric):
        name = "top2_accuracy"

        def reset(self) -> None:
            self.hits, self.rows = 0, 0

        def update(self, preds: torch.Tensor, targets: torch.Tensor) -> None:
            self.hits += int((preds.topk(2, dim=1).indices == targets[:, None]).any(dim=1).sum())
            self.rows += len(targets)

        def compute(self) -> float:
            return self.hits / self.rows

    learn = learner([TopTwo("multiclass"), "accuracy"])
    learn.fit(2, lr=0.05, callbacks=[EarlyStopping("top2_accuracy", patience=5)])
    rows = [row["top2_accuracy"] for row in learn.history]
    assert all(top2 >= row["accuracy"] for top2, row in zip(rows, learn.history, strict=True))
    preds, targets = learn.get_preds()
    assert targets is not None
    expected = float((preds.topk(2, dim=1).indices == targets[:, None]).any(dim=1).float().mean())
    assert rows[-1] == pytest.approx(expected)


def test_metric_names_must_be_distinct_and_metrics_a_list() -> None:
    def accuracy(preds: torch.Tensor, targets: torch.Tensor) -> float:
        return 0.0

    with pytest.raises(ConfigError) as caught:
        learner(["accuracy", accuracy])
    assert str(caught.value) == (
        "two metrics, or a metric and a history column, are both named 'accuracy' (metrics: accuracy, accuracy); "
        "each needs a name of its own: trainwell.metrics.metric_function(fn, name=...)"
    )
    assert [metric.name for metric in learner([accuracy]).metrics] == ["accuracy"]
    with pytest.raises(
        ConfigError, match=r"metrics must be a list, e.g. metrics=\['accuracy'\], got one str"
    ):
        learner("accuracy")
    with pytest.raises(
        ConfigError, match=r"metrics must be a list, e.g. metrics=\[my_acc\], got one function"
    ):
        learner(my_acc)
    with pytest.raises(ConfigError, match=r"a metric function needs a name for the history"):
        learner([lambda preds, targets: 0.0])


def test_a_function_of_your_own_under_a_registered_name_survives_label_thresholds() -> None:
    from trainwell.learner.label_thresholds import tune_label_thresholds

    generator = torch.Generator().manual_seed(1)
    x = torch.randn(120, 4, generator=generator)
    y = torch.stack([x[:, 0] > 0, x[:, 1] > 0.5, x[:, 2] > -0.5], dim=1).float()
    task = Task("multilabel", classes=("a", "b", "c"))
    data = tensor_data(x, y, task=task, valid_pct=0.5, batch_size=20, seed=0)

    def f1(preds: torch.Tensor, targets: torch.Tensor) -> float:
        return 0.123

    torch.manual_seed(0)
    learn = Learner(nn.Linear(4, 3), data, metrics=[f1, "accuracy"], progress=False, device="cpu")
    learn.fit(1, lr=0.05)
    tune_label_thresholds(learn)
    assert isinstance(learn.metrics[0], FunctionMetric) and learn.metrics[0].function.function is f1
    assert "f1_tuned" not in learn.history[-1] and "accuracy_tuned" in learn.history[-1]
    assert learn.validate()["f1"] == 0.123
