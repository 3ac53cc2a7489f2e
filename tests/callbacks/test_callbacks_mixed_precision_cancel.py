"""float16 MixedPrecision with a batch cancelled after its gradients were unscaled (a callback's before_step of order
< 20): the GradScaler still recorded them as unscaled, so the next batch stopped the fit with "unscale_() has
already been called on this optimizer since the last update()" (CancelBatch, CancelStep and CancelEpoch alike)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from callbacks_helpers import linear_learner, regression_data, weights_of

import trainwell.callbacks.mixed_precision as mixed_precision_module
from resume_support import CrashAfter
from trainwell.callbacks import Checkpoint, GradientClip, MixedPrecision
from trainwell.learner import Callback, CancelBatch, CancelEpoch, CancelStep, Learner


@pytest.fixture(autouse=True)
def float16_on_the_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    # The scaler logic is device-independent: torch's GradScaler("cpu") and CPU float16 autocast run it here.
    monkeypatch.setattr(mixed_precision_module, "_float16_device_ok", lambda device: True)


class CancelAt(Callback):
    """Raises ``exception`` in ``event`` on the training batches where ``when(learn)`` holds, before
    MixedPrecision's handler of that event (order 15 < 20): in before_step its gradients are unscaled by then,
    in before_backward and after_backward not yet."""

    order = 15

    def __init__(self, event: str, exception: type[Exception], when: object) -> None:
        self.exception, self.when = exception, when
        setattr(self, event, self._maybe_raise)

    def _maybe_raise(self, learn: Learner) -> None:
        if learn.training and self.when(learn):  # type: ignore[operator]
            raise self.exception


def fitted(*callbacks: Callback, epochs: int = 2, path: Path | None = None) -> tuple[Learner, MixedPrecision]:
    mixed = MixedPrecision("float16", init_scale=2.0**10, growth_interval=3)  # the scale grows within the fit
    learn = linear_learner(regression_data(96, batch_size=16), lr=0.1, **({"path": path} if path else {}))
    learn.fit(epochs, callbacks=[mixed, GradientClip(1e6), *callbacks])
    return learn, mixed


def same_fit(one: tuple[Learner, MixedPrecision], other: tuple[Learner, MixedPrecision]) -> None:
    for key, value in weights_of(one[0].model).items():
        assert torch.equal(weights_of(other[0].model)[key], value), key
    assert one[1].scaler.state_dict() == other[1].scaler.state_dict()  # type: ignore[union-attr]


def odd_batches(learn: Learner) -> bool:
    return learn.batch_index % 2 == 1


def test_a_batch_cancelled_after_unscaling_is_dropped_as_one_cancelled_before_its_backward() -> None:
    after = fitted(CancelAt("before_step", CancelBatch, odd_batches))
    before = fitted(CancelAt("before_backward", CancelBatch, odd_batches))
    same_fit(after, before)  # nor did the scale grow or back off on the cancelled batches
    assert all(parameter.grad is None for parameter in after[0].model.parameters())


def test_a_step_cancelled_after_unscaling_accumulates_as_one_cancelled_before_it() -> None:
    # The gradients kept are scaled back, so the next batch adds scaled gradients to scaled ones.
    after = fitted(CancelAt("before_step", CancelStep, odd_batches))
    before = fitted(CancelAt("after_backward", CancelStep, odd_batches))
    same_fit(after, before)


def test_an_epoch_cancelled_after_unscaling_lets_the_next_one_train() -> None:
    learn, _ = fitted(CancelAt("before_step", CancelEpoch, lambda learn: learn.batch_index == 2), epochs=3)
    assert len(learn.history) == 3


def test_a_checkpoint_between_steps_cancelled_after_unscaling_resumes_exactly(tmp_path: Path) -> None:
    every_other = CancelAt("before_step", CancelStep, lambda learn: learn.iteration % 2 == 0)
    reference = fitted(every_other, epochs=2, path=tmp_path / "full")
    with pytest.raises(KeyboardInterrupt):
        fitted(every_other, Checkpoint(every_n_batches=3), CrashAfter(4), path=tmp_path / "run")
    assert "grads" in torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)
    mixed = MixedPrecision("float16", init_scale=2.0**10, growth_interval=3)
    resumed = linear_learner(regression_data(96, batch_size=16), lr=0.1, path=tmp_path / "run")
    resumed.fit(2, callbacks=[mixed, GradientClip(1e6), every_other], resume_from="checkpoint.pt")
    same_fit(reference, (resumed, mixed))
