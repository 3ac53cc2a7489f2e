"""What a fit says of a loss, a metric, a model or callbacks given wrong, and learn.load of a torch.save'd file."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import torch
from torch import nn

import trainwell
from trainwell import Learner
from trainwell.callbacks import Callback, GradientClip
from trainwell.core.errors import ConfigError


def _data(rows: int = 128) -> trainwell.DataBundle:
    trainwell.seed_everything(0)
    x = torch.randn(rows, 6)
    return trainwell.tensor_data(x, (x[:, 0] > 0).long(), batch_size=32)


def _float_loss(pred: torch.Tensor, target: torch.Tensor) -> float:
    return 0.5


def _item_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return torch.tensor(nn.functional.binary_cross_entropy_with_logits(pred.squeeze(-1), target).item())


@pytest.mark.parametrize(
    ("loss", "said"),
    [
        (_float_loss, "returned a float, not a tensor"),
        (_item_loss, "returned a tensor that does not come from the model's output"),
    ],
)
def test_a_loss_without_the_models_graph_is_refused_naming_it(loss: object, said: str) -> None:
    learn = Learner(nn.Linear(6, 1), _data(), loss=loss, progress=False)  # type: ignore[arg-type]
    with pytest.raises(ConfigError) as raised:
        learn.fit(1)
    message = str(raised.value)
    assert "\n" not in message
    assert f"the loss ({loss.__name__}) {said}" in message  # type: ignore[attr-defined]
    assert "return a tensor computed from pred with torch operations, keeping its graph" in message


def test_a_loss_of_one_argument_is_refused_when_the_learner_is_built() -> None:
    def my_loss(pred: torch.Tensor) -> torch.Tensor:
        return pred.mean()

    with pytest.raises(ConfigError) as raised:
        Learner(nn.Linear(6, 1), _data(), loss=my_loss, progress=False)  # type: ignore[arg-type]
    assert "the loss my_loss(pred) cannot be called as loss(pred, target)" in str(raised.value)


def test_losses_inspect_can_read_or_not_are_taken() -> None:
    def weighted(pred: torch.Tensor, target: torch.Tensor, weight: float = 2.0) -> torch.Tensor:
        return weight * nn.functional.binary_cross_entropy_with_logits(pred.squeeze(-1), target)

    for loss in (
        weighted,
        functools.partial(weighted, weight=1.0),
        nn.BCEWithLogitsLoss(),
        lambda *a: a[0].sum(),
    ):
        Learner(nn.Linear(6, 1), _data(), loss=loss, progress=False)


def test_a_type_error_inside_a_loss_says_how_the_loss_was_called() -> None:
    def my_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return pred.mean(target=1)  # type: ignore[call-overload]

    learn = Learner(nn.Linear(6, 1), _data(), loss=my_loss, progress=False)
    with pytest.raises(TypeError) as raised:
        learn.fit(1)
    notes = raised.value.__notes__
    assert any(
        "raised by the loss (my_loss), called as loss(pred, target) with pred (32, 1) float32" in n
        for n in notes
    )


def test_a_metric_function_of_one_argument_is_refused_before_training() -> None:
    def my_metric(preds: torch.Tensor) -> float:
        return 1.0

    with pytest.raises(ConfigError) as raised:
        Learner(nn.Linear(6, 1), _data(), metrics=[my_metric], progress=False)  # type: ignore[list-item]
    assert "the metric function my_metric(preds) cannot be called as fn(preds, targets)" in str(raised.value)


def test_a_models_error_in_a_fit_names_the_model_and_the_inputs() -> None:
    learn = Learner(nn.Linear(5, 1), _data(), progress=False)
    with pytest.raises(RuntimeError) as raised:
        learn.fit(1)
    notes = getattr(raised.value, "__notes__", [])
    assert any(
        "raised in Linear.forward during fit, on training batch 0 of epoch 1" in note for note in notes
    )
    assert any("with inputs (32, 6) float32" in note for note in notes)
    with pytest.raises(RuntimeError) as predicted:
        learn.predict(torch.randn(3, 6))
    assert any("predicting with 'Linear' on inputs (3, 6)" in note for note in predicted.value.__notes__)


class _Count(Callback):
    def __init__(self) -> None:
        self.fits = 0

    def before_fit(self, learn: Learner) -> None:
        self.fits += 1


def test_one_callback_given_alone_is_taken_as_a_list_of_one() -> None:
    own, given = _Count(), _Count()
    learn = Learner(nn.Linear(6, 1), _data(), callbacks=own, progress=False)  # type: ignore[arg-type]
    learn.fit(1, callbacks=given)  # type: ignore[arg-type]
    learn.fit_one_cycle(1, callbacks=GradientClip(1.0))  # type: ignore[arg-type]
    assert (own.fits, given.fits) == (2, 1)


def test_something_not_a_callback_given_alone_is_refused_in_one_line() -> None:
    with pytest.raises(ConfigError, match="callbacks holds a int, which is not a trainwell Callback"):
        Learner(nn.Linear(6, 1), _data(), callbacks=3, progress=False)  # type: ignore[arg-type]


def test_loading_a_torch_save_state_dict_says_it_is_not_safetensors(tmp_path: Path) -> None:
    model = nn.Linear(6, 1)
    torch.save(model.state_dict(), tmp_path / "plain_state.pt")
    learn = Learner(nn.Linear(6, 1), _data(), progress=False, path=tmp_path)
    with pytest.raises(ConfigError) as raised:
        learn.load("plain_state.pt")
    message = str(raised.value)
    assert f"'{tmp_path / 'plain_state.pt'}' exists but is not a safetensors file" in message
    assert "learn.model.load_state_dict(torch.load(" in message
    with pytest.raises(ConfigError, match=r"\('.*plain_state\.pt' exists: pass its whole name\)"):
        learn.load("plain_state")
    # a safetensors file under another name is read as it is
    learn.save(tmp_path / "weights.bin")
    (tmp_path / "weights.bin.safetensors").rename(tmp_path / "weights.bin")
    learn.load("weights.bin")
