"""docs/training-loop.md's customisation points, each checked on a real tiny model: what a tour found wrong
(a callback object to remove_callback, a loss with reduction='none', CancelStep in after_step) and what it found
right (callback order, clipping under accumulation, a replaced loss_grad, a replaced optimizer)."""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

from trainwell.callbacks import GradientAccumulation, GradientClip, NanGuard, Recorder
from trainwell.core.errors import ConfigError
from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.data.bundle import DataBundle
from trainwell.learner import Callback, CancelStep, Learner


def _data() -> DataBundle:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(96, 4, generator=generator)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 0.3]) + 0.1 * torch.randn(96, generator=generator)
    return tensor_data(x, y, valid_pct=0.25, batch_size=8, seed=0)


class Flat(nn.Module):
    """A linear model whose output is shaped like the target, (N,)."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).squeeze(-1)


def _learner(**options: object) -> Learner:
    seed_everything(0)
    return Learner(Flat(), _data(), progress=False, device="cpu", lr=1e-2, **options)  # type: ignore[arg-type]


def test_remove_callback_takes_a_class_or_one_callback_object() -> None:
    learn = _learner()
    learn.remove_callback(learn.recorder)  # was: TypeError "isinstance() arg 2 must be a type"
    assert not any(isinstance(callback, Recorder) for callback in learn.callbacks)
    learn.remove_callback(NanGuard)
    assert learn.callbacks == []
    learn.remove_callback(GradientClip)  # none there: nothing to do
    with pytest.raises(ConfigError, match=re.escape("remove_callback takes a Callback class or one of")):
        learn.remove_callback("NanGuard")  # type: ignore[arg-type]


def test_removing_one_callback_object_keeps_another_of_its_kind() -> None:
    kept, removed = GradientClip(1.0), GradientClip(2.0)
    learn = _learner(callbacks=[kept, removed])
    learn.remove_callback(removed)
    assert [callback for callback in learn.callbacks if isinstance(callback, GradientClip)] == [kept]


def test_a_loss_without_reduction_is_refused_in_one_line() -> None:
    learn = _learner(loss=nn.MSELoss(reduction="none"))
    with pytest.raises(ConfigError) as refused:
        learn.fit(1)
    assert str(refused.value) == (
        "the loss (MSELoss) gave a tensor of shape (8,) for a batch, not one number, which backward() and the logs "
        "need: keep the loss's default reduction='mean', or reduce it in an override of Learner.compute_loss (e.g. "
        "loss.mean(), or a weighted mean over the rows)"
    )


def test_a_per_row_loss_reduced_in_compute_loss_trains() -> None:
    class Weighted(Learner):
        def compute_loss(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
            return super().compute_loss(pred, target).mean()

    seed_everything(0)
    per_row = Weighted(
        Flat(), _data(), loss=nn.MSELoss(reduction="none"), progress=False, lr=1e-2, device="cpu"
    )
    per_row.fit(1)
    plain = _learner(loss=nn.MSELoss())
    plain.fit(1)
    for a, b in zip(per_row.model.parameters(), plain.model.parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_cancel_step_after_the_step_is_refused_rather_than_applying_the_gradient_twice() -> None:
    class Late(Callback):
        def after_step(self, learn: Learner) -> None:
            raise CancelStep

    learn = _learner(opt="sgd")
    with pytest.raises(ConfigError) as refused:
        learn.fit(1, callbacks=[Late()])
    assert str(refused.value) == (
        "CancelStep raised in callback Late during event after_step cancels nothing there: it works only in "
        "after_backward or before_step: by after_step the optimizer has stepped (see docs/training-loop.md, "
        "'Steering the loop')"
    )
    assert all(param.grad is None for param in learn.model.parameters())


def test_lower_order_runs_first_and_equal_orders_keep_their_places() -> None:
    seen: list[str] = []

    def named(label: str, rank: int) -> Callback:
        class Noted(Callback):
            order = rank

            def before_batch(self, learn: Learner) -> None:
                seen.append(label)

        return Noted()

    learn = _learner(callbacks=[named("own", 30), named("own-0", 0)])
    learn.fit(1, callbacks=[named("given", -5), named("given-0", 0)])
    assert seen[:4] == ["given", "own-0", "given-0", "own"]


def test_under_accumulation_clipping_sees_each_groups_summed_gradient_once() -> None:
    norms: list[tuple[int, float]] = []

    class Norm(Callback):
        order = 100

        def before_step(self, learn: Learner) -> None:
            grads = [param.grad for param in learn.model.parameters() if param.grad is not None]
            norms.append(
                (learn.batch_index, float(torch.linalg.vector_norm(torch.cat([g.flatten() for g in grads]))))
            )

    learn = _learner()
    learn.fit(1, callbacks=[GradientAccumulation(3), GradientClip(0.01), Norm()])
    assert [index for index, _ in norms] == [2, 5, 8]  # 9 training batches: 3 steps
    assert all(norm == pytest.approx(0.01, rel=1e-4) for _, norm in norms)


def test_a_replaced_loss_grad_steers_backward_and_the_logged_loss_stays() -> None:
    class Nothing(Callback):
        def after_loss(self, learn: Learner) -> None:
            if learn.training:
                learn.loss_grad = learn.loss * 0

    learn = _learner(opt="sgd", wd=0.0)
    before = [param.detach().clone() for param in learn.model.parameters()]
    learn.fit(1, callbacks=[Nothing()])
    assert all(torch.equal(a, b) for a, b in zip(before, learn.model.parameters(), strict=True))
    assert learn.history[-1]["train_loss"] > 1.0  # the real loss was logged, not the zero trained on


def test_an_optimizer_replaced_mid_fit_trains_the_next_epoch() -> None:
    class Swap(Callback):
        def after_epoch(self, learn: Learner) -> None:
            if learn.epoch == 0:
                learn.opt = torch.optim.SGD(learn.model.parameters(), lr=0.05)

    learn = _learner()
    learn.fit(2, callbacks=[Swap()])
    assert isinstance(learn.opt, torch.optim.SGD)
    assert learn.history[-1]["lr"] == pytest.approx(0.05)
