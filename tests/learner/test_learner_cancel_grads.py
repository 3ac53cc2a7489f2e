"""Every cancel that leaves a batch or a training phase drops the gradients pending for the next step.

CancelBatch already did (tests/learner/test_learner_cancel_batch_grads.py); CancelTrain, CancelEpoch and CancelFit
raised after a backward pass, or while a GradientAccumulation group is half gathered, left them on the parameters,
and the next epoch's first step (or the next fit's) added that half-done batch in.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from trainwell.callbacks import GradientAccumulation
from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.data.bundle import DataBundle
from trainwell.learner import Callback, CancelEpoch, CancelFit, CancelTrain, Learner

CANCELS = (CancelTrain, CancelEpoch, CancelFit)
#: Where each cancel ends: the event that runs next, after the cancelled phase.
ENDS = {CancelTrain: "after_train", CancelEpoch: "after_epoch", CancelFit: "after_fit"}


def _data() -> DataBundle:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(96, 4, generator=generator)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 0.3]) + 0.1 * torch.randn(96, generator=generator)
    return tensor_data(x, y, valid_pct=0.25, batch_size=8, seed=0)


def _no_gradients(learn: Learner) -> bool:
    return all(param.grad is None or not param.grad.any() for param in learn.model.parameters())


class CancelOnce(Callback):
    """Raises ``exception`` in ``event`` once, on training batch ``batch`` of the first epoch; notes whether the
    parameters hold any gradient where the cancelled phase ends and at each later batch's backward."""

    order = 50

    def __init__(self, event: str, batch: int, exception: type[Exception], order: int = 50) -> None:
        self.event, self.batch, self.exception, self.order = event, batch, exception, order  # type: ignore[misc]
        self.raised = False
        self.clean_at_end: bool | None = None
        self.left_before_backward: list[bool] = []
        setattr(self, event, self._maybe_raise)
        setattr(self, ENDS[exception], self._note_end)

    def _maybe_raise(self, learn: Learner) -> None:
        if learn.training and not self.raised and learn.batch_index == self.batch:
            self.raised = True
            raise self.exception

    def _note_end(self, learn: Learner) -> None:
        if self.raised and self.clean_at_end is None:
            self.clean_at_end = _no_gradients(learn)

    def before_backward(self, learn: Learner) -> None:
        if self.raised:
            self.left_before_backward.append(not _no_gradients(learn))


def _learner() -> Learner:
    seed_everything(0)
    return Learner(nn.Linear(4, 1), _data(), progress=False, device="cpu", lr=1e-2)


@pytest.mark.parametrize("exception", CANCELS, ids=lambda kind: kind.__name__)
@pytest.mark.parametrize("event", ["after_backward", "before_step", "after_step"])
def test_a_cancel_after_the_backward_pass_leaves_no_gradient(event: str, exception: type[Exception]) -> None:
    learn = _learner()
    spy = CancelOnce(event, 3, exception)
    learn.fit(2, callbacks=[spy])
    assert spy.raised and spy.clean_at_end is True
    assert _no_gradients(learn)
    learn.fit(1, callbacks=[spy])  # a later fit starts clean as well (the spy has raised: it only watches)
    assert spy.left_before_backward and not any(spy.left_before_backward)


@pytest.mark.parametrize("exception", CANCELS, ids=lambda kind: kind.__name__)
@pytest.mark.parametrize(
    "event", ["before_batch", "after_pred", "after_loss", "before_backward", "after_backward", "after_batch"]
)
def test_a_cancel_mid_accumulation_drops_the_group_gathered_so_far(
    event: str, exception: type[Exception]
) -> None:
    # GradientAccumulation(4) keeps batches 0 and 1's gradients when batch 2 begins: pending at all its events.
    # (The spy runs first: GradientAccumulation's CancelStep in after_backward ends that event for later ones.)
    learn = _learner()
    spy = CancelOnce(event, 2, exception, order=5)
    first_backward: list[bool] = []

    class FirstBackward(Callback):
        order = 60

        def before_backward(self, learn: Learner) -> None:
            if spy.raised and learn.batch_index == 0:
                first_backward.append(not _no_gradients(learn))

    learn.fit(2, callbacks=[GradientAccumulation(4), spy, FirstBackward()])
    assert spy.raised and spy.clean_at_end is True
    learn.fit(1, callbacks=[GradientAccumulation(4), FirstBackward()])
    # The next group starts from nothing: the epoch's (or the next fit's) first batch finds no gradient.
    assert first_backward and not any(first_backward)


def _weights_after(event: str, exception: type[Exception], then_epochs: int) -> list[torch.Tensor]:
    learn = _learner()
    learn.fit(2, callbacks=[CancelOnce(event, 3, exception)])
    learn.fit(then_epochs)
    return [param.detach().clone() for param in learn.model.parameters()]


@pytest.mark.parametrize("exception", CANCELS, ids=lambda kind: kind.__name__)
@pytest.mark.parametrize("event", ["after_backward", "before_step"])
def test_a_batch_cancelled_before_its_step_trains_as_one_cancelled_before_its_forward(
    event: str, exception: type[Exception]
) -> None:
    # Cancelled before the step, the batch changes nothing; the rest (the next epoch, the next fit) trains as if
    # the cancel had come before the batch's forward pass.
    late = _weights_after(event, exception, 1)
    early = _weights_after("before_batch", exception, 1)
    for a, b in zip(late, early, strict=True):
        assert torch.equal(a, b)


def test_a_fit_after_a_cancelled_one_ends_like_a_fit_from_the_same_weights() -> None:
    # CancelFit after the backward of batch 3: the fit that follows equals a plain fit started from the weights
    # the cancelled fit left (same seed, same optimizer state: no step was taken on batch 3).
    learn = _learner()
    learn.fit(1, callbacks=[CancelOnce("before_step", 3, CancelFit)])
    reference = _learner()
    reference.fit(1, callbacks=[CancelOnce("before_batch", 3, CancelFit)])
    for a, b in zip(learn.model.parameters(), reference.model.parameters(), strict=True):
        assert torch.equal(a, b)
    seed_everything(1)
    learn.fit(1)
    seed_everything(1)
    reference.fit(1)
    for a, b in zip(learn.model.parameters(), reference.model.parameters(), strict=True):
        assert torch.equal(a, b)
