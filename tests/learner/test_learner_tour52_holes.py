"""Holes an expert's tour (tour52) found in the Learner: each one silent, garbled or wrong before."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import trainwell
from trainwell.callbacks import Checkpoint
from trainwell.core.errors import ConfigError
from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.learner import Learner


def digits(n: int = 200, *, low: int = 0, high: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    seed_everything(0)
    y = low + torch.arange(n) % (high - low)
    x = torch.randn(n, 6) + nn.functional.one_hot(y, 10).float()[:, :6]
    return x, y


def test_a_model_narrower_than_the_task_is_explained_not_an_index_error() -> None:
    # F.cross_entropy raised IndexError ("Target 7 is out of bounds"), which the explanation did not catch.
    x, y = digits()
    learn = Learner(nn.Linear(6, 5), tensor_data(x, y), progress=False, device="cpu")
    with pytest.raises(
        ConfigError,
        match=r"^the model's output has 5 columns but the multiclass task needs 10 \(shape \(64, 5\)\): give the "
        r"model 10 outputs$",
    ):
        learn.fit(1)


def test_a_model_wider_than_the_task_is_refused() -> None:
    # 10 logits on digits 0..4 trained, and get_preds gave 10 probability columns for 5 classes, in silence.
    x, y = digits(high=5)
    learn = Learner(nn.Linear(6, 10), tensor_data(x, y), progress=False, device="cpu")
    with pytest.raises(ConfigError) as caught:
        learn.fit(1)
    message = str(caught.value)
    assert message.startswith(
        "the model's output has 10 columns but the multiclass task has 5 classes (0, 1, 2, 3, 4), so 5 outputs "
        "would stand for no class and get_preds would give 10 probability columns: give the model 5 outputs"
    )
    assert "tensor_data(x, y, classes=...)" in message and "\n" not in message
    # The route it names: a task that holds every class the model is for.
    task = trainwell.Task("multiclass", classes=tuple(range(10)))
    fixed = Learner(nn.Linear(6, 10), tensor_data(x, y, task=task), progress=False, device="cpu")
    fixed.fit(1)
    assert fixed.get_preds()[0].shape[1] == 10


def test_a_loss_with_trainable_parameters_no_optimizer_holds_is_warned_of() -> None:
    class TempCE(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.log_t = nn.Parameter(torch.zeros(()))

        def forward(self, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
            return F.cross_entropy(out / self.log_t.exp(), target)

    x, y = digits()
    learn = Learner(nn.Linear(6, 10), tensor_data(x, y), loss=TempCE(), progress=False, device="cpu")
    with pytest.warns(UserWarning) as caught:
        learn.fit(1)
    said = [str(w.message) for w in caught if "the loss" in str(w.message)]
    assert said == [
        "the loss (TempCE) has 1 trainable parameter (log_t) that no optimizer updates, so it never moves and its "
        "gradient piles up; put them in the model (its forward returning what the loss needs), or pass them in an "
        "optimizer group (opt=a factory adding {'params': loss.parameters()}), or set requires_grad=False"
    ]
    with warnings.catch_warnings():  # said once per learner
        warnings.simplefilter("error")
        learn.fit(1)
    # Held by an optimizer group (a factory of one's own): nothing to say.
    loss = TempCE()

    def with_loss(groups: list[dict[str, Any]], lr: float) -> torch.optim.Optimizer:
        return torch.optim.AdamW([*groups, {"params": list(loss.parameters())}], lr=lr)

    held = Learner(
        nn.Linear(6, 10), tensor_data(x, y), loss=loss, opt=with_loss, progress=False, device="cpu"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        held.fit(1)
    assert float(loss.log_t.detach()) != 0.0


def test_new_data_with_other_classes_advises_one_task_for_every_class() -> None:
    # The advice was Learner(learn.model, new_data), which coded digits 5..9 as 0..4 onto the old outputs.
    x, y = digits()
    first = y < 5
    learn = Learner(nn.Linear(6, 5), tensor_data(x[first], y[first]), progress=False, device="cpu")
    with pytest.raises(ConfigError) as caught:
        learn.data = tensor_data(x[~first], y[~first])
    message = str(caught.value)
    assert "Learner(learn.model" not in message
    assert message.startswith(
        "learn.data: the new data's classes (multiclass of 5, 6, 7, 8, 9) are not the Learner's (multiclass of 0, "
        "1, 2, 3, 4)"
    )
    assert message.endswith(
        "build the first data with every class, tensor_data(x, y, classes=(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)), and a "
        "model of 10 outputs, then the new data like it, learn.data = tensor_data(x_new, y_new, like=learn.data)"
    )
    # Following it works: the first bundle holds every class, the new one is read like it, and the new labels keep
    # their own outputs.
    classes = tuple(range(10))
    both = Learner(
        nn.Linear(6, 10), tensor_data(x[first], y[first], classes=classes), progress=False, device="cpu"
    )
    second = tensor_data(x[~first], y[~first], like=both.data)
    both.data = second
    assert sorted(set(second.train.tensors[1].tolist())) == [5, 6, 7, 8, 9]  # type: ignore[attr-defined]


def test_predict_runs_an_unregistered_model_in_memory_and_export_still_refuses(tmp_path: Path) -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = nn.Linear(6, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.layer(x)

    x, y = digits()
    learn = Learner(Net(), tensor_data(x, y), progress=False, device="cpu")
    learn.fit(1)
    table = learn.predict(x[:3])
    assert len(table) == 3 and "probability_9" in table.columns
    expected = learn.get_preds([(x[:3], y[:3])])[0]
    got = torch.tensor(table[[f"probability_{k}" for k in range(10)]].to_numpy(), dtype=torch.float32)
    torch.testing.assert_close(got, expected)
    predictor = learn.predictor()
    learn.fit(1, lr=0.1)  # a copy: training on changes nothing in it
    torch.testing.assert_close(predictor.predict_proba(x[:3]), expected)
    with pytest.raises(ConfigError, match=r"^export needs to know how to rebuild the model \(Net\)"):
        learn.export(tmp_path / "model")


def test_get_preds_of_a_tuple_of_tensors_says_to_wrap_it() -> None:
    x, y = digits()
    learn = Learner(nn.Linear(6, 10), tensor_data(x, y), progress=False, device="cpu")
    with pytest.raises(
        ConfigError,
        match=r"got a tuple of 2 tensors, which reads as one batch per tensor: wrap one batch in a list, "
        r"\[\(x, y\)\], or make a loader of them, trainwell.TensorLoader\(\(x, y\), batch_size=64\)$",
    ):
        learn.get_preds((x, y))
    assert learn.get_preds([(x, y)])[0].shape == (200, 10)


def test_a_slice_of_rates_on_one_layer_group_is_warned_of() -> None:
    x, y = digits()
    learn = Learner(nn.Linear(6, 10), tensor_data(x, y), progress=False, device="cpu")
    with pytest.warns(
        UserWarning,
        match=r"^the learning rates slice\(0.0001, 0.01\) spread over layer groups, but Linear is one layer "
        r"group, so it all trains at 0.01: give the model a layer_groups\(\) method",
    ):
        learn.fit_one_cycle(1, slice(1e-4, 1e-2))
    with warnings.catch_warnings():  # one rate, and fine_tune on one group (freeze_epochs=0): nothing to say
        warnings.simplefilter("error")
        learn.fit_one_cycle(1, 1e-2)
        learn.fine_tune(1, 1e-3, freeze_epochs=0)


def test_resuming_with_another_batch_size_names_it(tmp_path: Path) -> None:
    def learner(batch_size: int) -> Learner:
        seed_everything(0)
        x, y = digits(96)
        data = tensor_data(x, y, batch_size=batch_size, seed=5)
        return Learner(nn.Linear(6, 10), data, progress=False, device="cpu", path=tmp_path)

    learner(16).fit(2, callbacks=[Checkpoint()])
    with pytest.raises(
        ConfigError,
        match=r"^checkpoint '.*checkpoint\.pt' comes from a fit of 5 batches an epoch and this one has 3 \(2 epochs "
        r"each\): the batch size or the training data changed since; resume with the data and batch size the "
        r"checkpoint's fit had$",
    ):
        learner(32).fit(2, resume_from=tmp_path / "checkpoint.pt")
