"""A batch cancelled after its backward pass leaves no gradient behind: the next step does not add it in."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from trainwell.callbacks import GradientAccumulation
from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.data.bundle import DataBundle
from trainwell.learner import Callback, CancelBatch, CancelStep, Learner


def _data() -> DataBundle:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(96, 4, generator=generator)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 0.3]) + 0.1 * torch.randn(96, generator=generator)
    return tensor_data(x, y, valid_pct=0.0, batch_size=8, seed=0)


class SkipAt(Callback):
    """Raises ``exception`` in ``event`` on the training batches ``batches`` (a 'skip a spiking gradient' callback),
    and notes whether any gradient is left when each next batch's backward begins."""

    order = 50

    def __init__(
        self, event: str, batches: tuple[int, ...], exception: type[Exception] = CancelBatch
    ) -> None:
        self.event, self.batches, self.exception = event, batches, exception
        self.left_before_backward: dict[int, bool] = {}
        setattr(self, event, self._maybe_raise)

    def _maybe_raise(self, learn: Learner) -> None:
        if learn.training and learn.batch_index in self.batches:
            raise self.exception

    def before_backward(self, learn: Learner) -> None:
        left = any(param.grad is not None for param in learn.model.parameters())
        self.left_before_backward[learn.batch_index] = left


def _trained(*callbacks: Callback) -> Learner:
    seed_everything(0)
    learn = Learner(nn.Linear(4, 1), _data(), progress=False, device="cpu", lr=1e-2)
    learn.fit(1, callbacks=list(callbacks))
    return learn


@pytest.mark.parametrize("event", ["after_backward", "before_step", "after_step"])
def test_cancel_batch_after_the_backward_pass_leaves_no_gradient_to_the_next_batch(event: str) -> None:
    spy = SkipAt(event, (3,))
    _trained(spy)
    assert spy.left_before_backward[4] is False
    assert not any(spy.left_before_backward.values())


def test_cancel_step_keeps_the_gradient_as_documented() -> None:
    spy = SkipAt("before_step", (3,), CancelStep)
    _trained(spy)
    assert spy.left_before_backward[4] is True  # CancelStep accumulates: that is what it is for


def test_a_batch_cancelled_before_its_step_trains_as_one_cancelled_before_its_forward() -> None:
    late = _trained(SkipAt("before_step", (3, 7)))
    early = _trained(SkipAt("before_batch", (3, 7)))
    plain = _trained()
    for a, b in zip(late.model.parameters(), early.model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert not torch.equal(late.model.weight, plain.model.weight)  # the cancels did skip something


def test_with_accumulation_a_cancelled_step_drops_its_whole_group_exactly() -> None:
    # Batches 2 and 3 make one group of GradientAccumulation(2): cancelling its step in before_step (batch 3)
    # trains exactly as skipping both of its batches before their forward pass.
    late = _trained(GradientAccumulation(2), SkipAt("before_step", (3,)))
    early = _trained(GradientAccumulation(2), SkipAt("before_batch", (2, 3)))
    for a, b in zip(late.model.parameters(), early.model.parameters(), strict=True):
        assert torch.equal(a, b)


def test_accumulation_without_cancels_still_steps_like_the_larger_batch() -> None:
    seed_everything(0)
    accumulated = Learner(nn.Linear(4, 1), _data(), progress=False, device="cpu", lr=1e-2, opt="sgd")
    accumulated.fit(1, callbacks=[GradientAccumulation(2)])
    seed_everything(0)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(96, 4, generator=generator)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 0.3]) + 0.1 * torch.randn(96, generator=generator)
    larger = Learner(
        nn.Linear(4, 1),
        tensor_data(x, y, valid_pct=0.0, batch_size=16, seed=0),
        progress=False,
        lr=1e-2,
        opt="sgd",
    )
    # The same rows in the same order: the loader's shuffle at batch 16 is the same permutation of the rows.
    larger.fit(1)
    for a, b in zip(accumulated.model.parameters(), larger.model.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
