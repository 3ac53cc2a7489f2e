"""A checkpoint written between two steps keeps the gradients held for the next one, whoever kept them: a user's
CancelStep ("gradients accumulate": the step skipped, the gradients kept for the next batch) lost them in the file,
so a fit resumed there stepped without the batches before the checkpoint and ended away from one never stopped."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from callbacks_helpers import linear_learner, regression_data, weights_of
from torch import nn

from resume_support import CrashAfter
from trainwell.callbacks import Checkpoint
from trainwell.core.errors import ConfigError
from trainwell.data import tensor_data
from trainwell.learner import Callback, CancelStep, Learner
from trainwell.text.optim import LazyAdamW


class StepEveryOtherBatch(Callback):
    """A user's callback: the step of every other training batch of the fit is cancelled, its gradient kept."""

    order = 50

    def __init__(self, event: str = "after_backward") -> None:
        setattr(self, event, self._maybe_cancel)

    def _maybe_cancel(self, learn: Learner) -> None:
        if (
            learn.training and learn.iteration % 2 == 0
        ):  # the batches done before this one: restored on resume
            raise CancelStep


def learner(path: Path) -> Learner:
    # 60 training rows in batches of 12: 5 batches an epoch, so held gradients cross epochs too.
    return linear_learner(regression_data(80, batch_size=12), path=path)


@pytest.mark.parametrize("event", ["after_backward", "before_step"])
def test_a_resume_from_a_checkpoint_between_cancelled_steps_equals_the_fit_never_stopped(
    tmp_path: Path, event: str
) -> None:
    reference = learner(tmp_path / "full")
    reference.fit_one_cycle(3, 0.05, callbacks=[StepEveryOtherBatch(event)])
    interrupted = learner(tmp_path / "run")
    with pytest.raises(KeyboardInterrupt):
        interrupted.fit_one_cycle(
            3, 0.05, callbacks=[StepEveryOtherBatch(event), Checkpoint(every_n_batches=3), CrashAfter(4)]
        )
    # Written after the fit's batch 3, whose step was cancelled (iteration 2 before it): its gradient is held.
    state = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)
    assert (state["iteration"], set(state["grads"])) == (3, {"weight", "bias"})
    assert state["grads"]["weight"].abs().sum() > 0
    resumed = learner(tmp_path / "run")
    resumed.fit_one_cycle(3, 0.05, callbacks=[StepEveryOtherBatch(event)], resume_from="checkpoint.pt")
    for key, value in weights_of(reference.model).items():
        assert torch.equal(weights_of(resumed.model)[key], value), key
    assert [row["valid_loss"] for row in resumed.history] == [row["valid_loss"] for row in reference.history]
    assert [row["train_loss"] for row in resumed.history] == [row["train_loss"] for row in reference.history]


def test_without_held_gradients_the_checkpoint_holds_none_and_a_resume_starts_from_none(
    tmp_path: Path,
) -> None:
    learn = learner(tmp_path)
    learn.fit(1, callbacks=[StepEveryOtherBatch(), Checkpoint(every_n_batches=2, every_epoch=False)])
    # After the fit's batch 4 the step ran (iteration 3 before it is odd): nothing held.
    assert "grads" not in torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    stale = learner(tmp_path)
    for parameter in stale.model.parameters():  # a gradient left by hand must not leak into the resumed step
        parameter.grad = torch.ones_like(parameter)
    seen: list[bool] = []

    class GradsAtStart(Callback):
        def before_batch(self, learn: Learner) -> None:
            seen.append(any(parameter.grad is not None for parameter in learn.model.parameters()))

    stale.fit(1, callbacks=[StepEveryOtherBatch(), GradsAtStart()], resume_from="checkpoint.pt")
    assert seen[0] is False


def test_held_gradients_of_another_model_are_refused_by_name(tmp_path: Path) -> None:
    learn = learner(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        learn.fit(1, callbacks=[StepEveryOtherBatch(), Checkpoint(every_n_batches=1), CrashAfter(1)])
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    state["grads"]["extra.weight"] = torch.zeros(1)
    torch.save(state, tmp_path / "edited.pt")
    with pytest.raises(
        ConfigError, match=r"holds the gradients of parameters this model lacks \(extra\.weight\)"
    ):
        learner(tmp_path).fit(1, resume_from="edited.pt")


class SparseBag(nn.Module):
    """A sum of sparse embedding rows (a text bag's gradients: sparse, uncoalesced once two batches add up)."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(20, 1, sparse=True)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.embedding(ids).sum(dim=1).squeeze(1)


def test_held_sparse_gradients_resume_exactly(tmp_path: Path) -> None:
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(0, 20, (60, 3), generator=generator)
    target = (ids % 3).sum(dim=1) + 0.1 * torch.randn(60, generator=generator)  # a regression
    data = tensor_data(ids, target.numpy(), valid_pct=0.2, batch_size=12, seed=0)

    def bag(path: Path) -> Learner:
        torch.manual_seed(0)
        return Learner(SparseBag(), data, opt=LazyAdamW, progress=False, device="cpu", lr=0.05, path=path)

    reference = bag(tmp_path / "full")
    reference.fit(2, callbacks=[StepEveryOtherBatch()])
    interrupted = bag(tmp_path / "run")
    with pytest.raises(KeyboardInterrupt):
        interrupted.fit(2, callbacks=[StepEveryOtherBatch(), Checkpoint(every_n_batches=3), CrashAfter(4)])
    assert torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)["grads"][
        "embedding.weight"
    ].is_sparse
    resumed = bag(tmp_path / "run")
    resumed.fit(2, callbacks=[StepEveryOtherBatch()], resume_from="checkpoint.pt")
    assert torch.equal(resumed.model.embedding.weight, reference.model.embedding.weight)
