"""The loop's small traps from tour 61: learn.xb set to a bare tensor (#8), learn.loss still on the graph in
after_batch (#10), and the misplaced-CancelStep message's reason, right only for after_step (#12)."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from trainwell.core.errors import ConfigError
from trainwell.data import tensor_data
from trainwell.learner import Callback, Learner
from trainwell.learner.events import CancelStep


def _learner() -> Learner:
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(32, 3, generator=generator)
    data = tensor_data(x, (x[:, 0] > 0).long(), valid_pct=0.25, batch_size=8, seed=0)
    return Learner(nn.Linear(3, 1), data, progress=False, device="cpu")


def test_a_bare_tensor_in_learn_xb_is_refused_in_one_line() -> None:
    class Bare(Callback):
        def before_batch(self, learn) -> None:
            learn.xb = learn.xb[0]

    # before: TypeError: Linear.forward() takes 2 positional arguments but 9 were given
    with pytest.raises(
        ConfigError, match=r"^learn\.xb must be a tuple of inputs \(got a Tensor\): write learn\.xb = \(x,\)$"
    ):
        _learner().fit(1, callbacks=[Bare()])


def test_a_list_in_learn_xb_is_taken_as_the_inputs() -> None:
    class AsList(Callback):
        def before_batch(self, learn) -> None:
            learn.xb = list(learn.xb)

    learn = _learner()
    learn.fit(1, callbacks=[AsList()])
    assert isinstance(learn.xb, tuple) and len(learn.history) == 1


def test_learn_loss_is_detached_for_callbacks_and_loss_grad_keeps_the_graph() -> None:
    class Log(Callback):
        def __init__(self) -> None:
            self.losses: list[float] = []
            self.grad_attached: list[bool] = []

        def after_loss(self, learn) -> None:
            if learn.training:
                self.grad_attached.append(learn.loss_grad.requires_grad)

        def after_batch(self, learn) -> None:
            if learn.training:
                self.losses.append(
                    float(learn.loss)
                )  # torch warned: a tensor with requires_grad=True to a scalar

    log = Log()
    learn = _learner()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        learn.fit(1, callbacks=[log])
    assert len(log.losses) == 3 and all(log.grad_attached)
    assert learn.history[-1]["train_loss"] == pytest.approx(sum(log.losses) / 3, rel=1e-5)


@pytest.mark.parametrize(
    ("event", "training", "reason"),
    [
        ("after_step", True, ": by after_step the optimizer has stepped"),
        ("after_loss", True, ": in after_loss the batch has no gradient yet, so its step is still to come"),
        ("after_pred", False, ": validation takes no optimizer step"),
        ("after_batch", True, ": by after_batch the batch's step is done"),
        ("after_epoch", False, ": after_epoch is outside a batch's step, so there is no step to cancel"),
    ],
)
def test_a_misplaced_cancel_step_is_explained_for_its_event(event: str, training: bool, reason: str) -> None:
    # before: every one of them said "...: by after_step the optimizer has stepped"
    def raise_it(self, learn) -> None:
        if learn.training == training:
            raise CancelStep

    Late = type("Late", (Callback,), {event: raise_it})
    with pytest.raises(ConfigError) as raised:
        _learner().fit(1, callbacks=[Late()])
    message = str(raised.value)
    assert message.startswith(
        f"CancelStep raised in callback Late during event {event} cancels nothing there: it works only in "
        f"after_backward or before_step{reason}"
    ), message
    if event != "after_step":
        assert "optimizer has stepped" not in message
