"""A Learner around one's own model and callbacks: what the loop refuses, with one line, instead of doing wrong."""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from trainwell.core.errors import ConfigError
from trainwell.data import tensor_data
from trainwell.data.bundle import DataBundle
from trainwell.learner import Callback, CancelBatch, CancelFit, Learner


def labelled(n_rows: int = 64, task: str | None = None) -> DataBundle:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(n_rows, 4, generator=generator)
    y = (x[:, 0] > 0).long()
    return tensor_data(x, y.numpy(), valid_pct=0.25, batch_size=8, seed=0, task=task)


class BodyExtraHead(nn.Module):
    def __init__(self, n_out: int = 1) -> None:
        super().__init__()
        self.body, self.extra, self.head = nn.Linear(4, 8), nn.Linear(8, 8), nn.Linear(8, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.extra(torch.relu(self.body(x)))))

    def layer_groups(self) -> list[nn.Module]:
        return [self.body, self.head]  # forgets `extra`


def test_layer_groups_that_leave_out_a_trained_parameter_are_refused() -> None:
    learn = Learner(BodyExtraHead(), labelled(), progress=False, device="cpu")
    with pytest.raises(ConfigError, match=r"BodyExtraHead.layer_groups\(\) leaves out trainable parameters "
                       r"extra.weight, extra.bias: the optimizer would never update them"):  # fmt: skip
        learn.fit(1, 1e-2)
    # Left out on purpose, frozen: allowed, and they stay as they were
    learn.model.extra.requires_grad_(False)
    before = learn.model.extra.weight.detach().clone()
    learn.fit(1, 1e-2)
    assert torch.equal(learn.model.extra.weight, before)


def test_freezing_a_model_of_one_layer_group_is_refused() -> None:
    learn = Learner(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1)), labelled(), progress=False)
    for call in (learn.freeze, lambda: learn.fine_tune(1)):
        with pytest.raises(
            ConfigError, match="cannot freeze Sequential: it is one layer group, so nothing would"
        ):
            call()
    assert all(param.requires_grad for param in learn.model.parameters())


class SkipOddBatches(Callback):
    def __init__(self) -> None:
        self.seen: list[tuple[int, float | None]] = []

    def before_batch(self, learn: Learner) -> None:
        if learn.training and learn.batch_index % 2:
            raise CancelBatch

    def after_batch(self, learn: Learner) -> None:
        if learn.training:
            loss = float(learn.loss) if learn.loss.numel() else None
            self.seen.append((learn.batch_index, loss))


def test_a_batch_cancelled_before_its_loss_records_no_loss() -> None:
    torch.manual_seed(0)
    data = labelled()
    learn = Learner(nn.Linear(4, 1), data, progress=False, device="cpu")
    skip = SkipOddBatches()
    learn.fit(1, 1e-2, callbacks=[skip])
    # The cancelled batches pass on no loss (they used to repeat the batch before them)...
    assert [loss is None for _, loss in skip.seen] == [False, True] * 3
    kept = [loss for _, loss in skip.seen if loss is not None]
    # ...so the curves and the epoch's training loss hold the batches that ran, and only those
    assert learn.recorder.losses == pytest.approx(kept) and len(learn.recorder.lrs) == 3
    assert learn.history[-1]["train_loss"] == pytest.approx(sum(kept) / 3)


class Stray(Callback):
    def __init__(self, event: str, error: type[Exception]) -> None:
        self.event, self.error = event, error
        setattr(self, event, self._raise)

    def _raise(self, learn: Learner) -> None:
        raise self.error


@pytest.mark.parametrize(
    ("event", "error", "where"),
    [
        ("before_epoch", CancelBatch, "in a batch's events from before_batch to after_step"),
        ("after_fit", CancelFit, "before after_fit"),
    ],
)
def test_a_cancel_raised_where_it_cancels_nothing_names_the_callback(
    event: str, error: type[Exception], where: str
) -> None:
    learn = Learner(nn.Linear(4, 1), labelled(), progress=False, device="cpu")
    with pytest.raises(ConfigError) as raised:
        learn.fit(1, 1e-2, callbacks=[Stray(event, error)])
    message = str(raised.value)
    assert message.startswith(
        f"{error.__name__} raised in callback Stray during event {event} cancels nothing"
    )
    assert where in message and "\n" not in message


class WithAuxiliary(nn.Module):
    """Returns the logits and an auxiliary output, as multi-output models do."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.linear(x)
        return logits, logits.pow(2).mean()


def auxiliary_loss(output: tuple[torch.Tensor, torch.Tensor], target: torch.Tensor) -> torch.Tensor:
    logits, penalty = output
    return F.binary_cross_entropy_with_logits(logits.squeeze(-1), target.float()) + 0.01 * penalty


class PicksLogits(Learner):
    def activate(self, output: Any, inputs: Any) -> torch.Tensor:
        return super().activate(output[0], inputs)


def test_a_model_returning_a_tuple_gets_a_clear_error_and_a_way_out() -> None:
    learn = Learner(WithAuxiliary(), labelled(), loss=auxiliary_loss, progress=False, device="cpu")
    with pytest.raises(
        ConfigError, match="the model returned a tuple, but metrics and predictions read one tensor"
    ):
        learn.fit(1, 1e-2)
    picked = PicksLogits(WithAuxiliary(), labelled(), loss=auxiliary_loss, progress=False, device="cpu")
    picked.fit(1, 1e-2)
    assert 0 <= picked.history[-1]["accuracy"] <= 1
    probabilities, _ = picked.get_preds()
    assert probabilities.shape == (16,) and bool(((probabilities >= 0) & (probabilities <= 1)).all())
    # With the built-in loss, the tuple is named where the loss fails on it
    plain = Learner(WithAuxiliary(), labelled(), progress=False, device="cpu")
    with pytest.raises(ConfigError, match="the model returned a tuple, not a tensor, and the loss"):
        plain.fit(1, 1e-2)


def test_two_logits_for_a_target_read_as_binary_says_how_to_match_them() -> None:
    data = labelled()
    assert data.task.kind == "binary"
    learn = Learner(nn.Linear(4, 2), data, progress=False, device="cpu")
    with pytest.raises(ConfigError) as raised:
        learn.fit(1, 1e-2)
    message = str(raised.value)
    assert message.startswith("the model's output has 2 columns but the binary task needs 1 (shape (8, 2))")
    assert "task='multiclass'" in message
    learn = Learner(nn.Linear(4, 2), labelled(task="multiclass"), progress=False, device="cpu")
    learn.fit(1, 1e-2)  # read as classes, two logits are right


class DictRows(torch.utils.data.Dataset):
    def __len__(self) -> int:
        return 8

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {"x": torch.randn(4), "label": torch.tensor(index % 2)}


class Stream(torch.utils.data.IterableDataset):
    def __iter__(self) -> Any:
        return iter((torch.randn(4), torch.tensor(1.0)) for _ in range(8))


def test_loaders_the_loop_cannot_read_are_named_in_one_line() -> None:
    from torch.utils.data import DataLoader

    task = labelled().task
    as_dicts = Learner(
        nn.Linear(4, 1), DataBundle(task, DataLoader(DictRows(), batch_size=4)), progress=False
    )
    with pytest.raises(ConfigError) as raised:
        as_dicts.fit(1, 1e-2)
    assert str(raised.value).startswith(
        "a batch of DataLoader over a DictRows is a dict (keys 'x', 'label'); the Learner reads each batch as a "
        "tuple of tensors"
    )
    endless = Learner(nn.Linear(4, 1), DataBundle(task, DataLoader(Stream(), batch_size=4)), progress=False)
    with pytest.raises(
        ConfigError, match=r"the data \(DataLoader over a Stream\) has no length, and the schedule"
    ):
        endless.fit(1, 1e-2)


def regression(n_rows: int = 64) -> DataBundle:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(n_rows, 4, generator=generator)
    return tensor_data(x, (x @ torch.tensor([1.0, -2.0, 0.5, 3.0])).numpy(), batch_size=8, seed=0)


@pytest.mark.parametrize("loss", [nn.MSELoss(), nn.L1Loss(), nn.HuberLoss()])
def test_torchs_regression_losses_take_one_output_a_row_against_targets_of_one_axis(loss: nn.Module) -> None:
    # nn.MSELoss on outputs (8, 1) and targets (8,) alone would compare all 64 pairs (and only warn): as fastai's
    # and Keras' losses do, the output's last axis is dropped, so the model trains towards each row's target
    learn = Learner(nn.Linear(4, 1), regression(), loss=loss, progress=False, device="cpu")
    learn.fit(30, lr=0.05)
    assert learn.history[-1]["r2"] > 0.99
    pred, target = torch.zeros(3, 1), torch.tensor([1.0, 2.0, 3.0])
    assert learn.compute_loss(pred, target) == loss(pred.squeeze(-1), target)


def test_a_loss_function_of_ones_own_that_broadcasts_the_output_against_the_target_is_refused() -> None:
    # a function of the user's is called as it is: broadcasting (8, 1) against (8,) is refused, not trained on
    learn = Learner(nn.Linear(4, 1), regression(), loss=lambda out, y: F.mse_loss(out, y), progress=False)
    with pytest.raises(
        ConfigError,
        match=r"the loss \(<lambda>\) broadcast the model's output of shape \(8, 1\) against the "
        r"target of shape \(8,\), so it compared outputs with other rows' targets; return outputs shaped like",
    ):
        learn.fit(1)
    with pytest.warns(UserWarning, match="Using a target size"):  # the check leaves torch's warning alone
        F.mse_loss(torch.zeros(2, 1), torch.zeros(2))


@pytest.mark.parametrize("dtype", [torch.float32, torch.int64])
def test_torchs_binary_loss_takes_one_output_a_row_and_class_numbers(dtype: torch.dtype) -> None:
    # torch alone raises "Target size (torch.Size([8])) must be the same as input size (torch.Size([8, 1]))",
    # and for integer classes "result type Float can't be cast to the desired output type Long"
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(64, 4, generator=generator)
    data = tensor_data(x, (x[:, 0] > 0).to(dtype).numpy(), task="binary", batch_size=8, seed=0)
    learn = Learner(nn.Linear(4, 1), data, loss=nn.BCEWithLogitsLoss(), progress=False, device="cpu")
    learn.fit(10, lr=0.1)
    assert learn.history[-1]["accuracy"] > 0.8


def test_bce_on_probabilities_is_refused_as_the_outputs_are_read_as_logits() -> None:
    # the sigmoid of a probability is at least 0.5: every row was answered positive (accuracy 0.23 here)
    data = tensor_data(
        torch.randn(64, 4), (torch.arange(64) % 2).float().numpy(), task="binary", batch_size=8
    )
    with pytest.raises(
        ConfigError, match=r"^nn.BCELoss takes probabilities, but a binary or multi-label model's"
    ):
        Learner(nn.Sequential(nn.Linear(4, 1), nn.Sigmoid()), data, loss=nn.BCELoss(), progress=False)


def test_a_binary_loss_function_of_ones_own_on_another_shape_is_one_line() -> None:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(64, 4, generator=generator)
    data = tensor_data(x, (x[:, 0] > 0).float().numpy(), task="binary", batch_size=8, seed=0)
    learn = Learner(nn.Linear(4, 1), data, loss=F.binary_cross_entropy_with_logits, progress=False)
    with pytest.raises(
        ConfigError,
        match=r"the loss \(binary_cross_entropy_with_logits\) needs the model's output and the target in one "
        r"shape, got \(8, 1\) and \(8,\); return outputs shaped like the target from forward",
    ):
        learn.fit(1)


def test_a_loss_of_ones_own_that_matches_the_shapes_trains() -> None:
    data = regression()
    learn = Learner(
        nn.Linear(4, 1),
        data,
        loss=lambda out, y: F.mse_loss(out.squeeze(-1), y),
        progress=False,
        device="cpu",
    )
    learn.fit(30, lr=0.05)
    assert learn.history[-1]["r2"] > 0.99


def test_a_missing_test_set_is_refused_not_replaced_by_the_validation_set() -> None:
    data = regression()
    assert data.test is None
    learn = Learner(nn.Linear(4, 1), data, progress=False, device="cpu")
    for method in (learn.get_preds, learn.validate):
        with pytest.raises(
            ConfigError, match=rf"learn.{method.__name__}\(None\): there is no data to read; a "
        ):
            method(data.test)  # gave the validation rows' predictions and scores
    preds, targets = learn.get_preds()
    assert targets is not None and len(preds) == len(targets) == data.valid.n_rows
    torch.testing.assert_close(learn.get_preds(data.valid)[0], preds)
    assert learn.validate() == learn.validate(data.valid)
