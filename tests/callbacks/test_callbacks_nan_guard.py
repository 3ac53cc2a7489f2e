"""NanGuard: the default stop with a clear message, rollback with a halved learning rate, and lr_find."""

from __future__ import annotations

import math
import re

import pytest
import torch
from callbacks_helpers import linear_learner, weights_of

from trainwell.callbacks import NanGuard
from trainwell.core.errors import ConfigError, TrainingDiverged, UserError
from trainwell.learner import Callback, CancelFit


class Poison(Callback):
    """Turns the training loss into NaN at the given (epoch, batch_index) positions, before NanGuard sees it."""

    order = -18

    def __init__(self, *positions: tuple[int, int], every_batch_from_epoch: int | None = None) -> None:
        self.positions = set(positions)
        self.every_batch_from_epoch = every_batch_from_epoch

    def after_loss(self, learn) -> None:
        late = self.every_batch_from_epoch is not None and learn.epoch >= self.every_batch_from_epoch
        if learn.training and (late or (learn.epoch, learn.batch_index) in self.positions):
            learn.loss = learn.loss * float("nan")
            learn.loss_grad = learn.loss


class Snapshots(Callback):
    order = 50

    def __init__(self) -> None:
        self.starts: list[dict[str, torch.Tensor]] = []
        self.ends: list[dict[str, torch.Tensor]] = []

    def before_epoch(self, learn) -> None:
        self.starts.append(weights_of(learn.model))

    def after_epoch(self, learn) -> None:
        self.ends.append(weights_of(learn.model))


def test_every_learner_stops_on_nan_with_a_clear_message() -> None:
    learn = linear_learner(lr=0.01)
    assert [type(cb) for cb in learn.callbacks if isinstance(cb, NanGuard)] == [NanGuard]
    snapshots = Snapshots()
    message = (
        "loss became nan at epoch 2, batch 3 (learning rate 1.0e-02); "
        "lower the learning rate (lr=) or clip the gradients (callbacks=[GradientClip(1.0)])"
    )
    with pytest.raises(TrainingDiverged, match=re.escape(message)) as caught:
        learn.fit(3, callbacks=[Poison((1, 2)), snapshots])
    assert isinstance(caught.value, UserError)
    # The command line names its options: --clip, not a Python class it cannot reach.
    assert caught.value.command_line == (
        "loss became nan at epoch 2, batch 3 (learning rate 1.0e-02); "
        "lower the learning rate (--lr) or clip the gradients (--clip 1.0)"
    )
    assert "raised in callback NanGuard during event after_loss" in caught.value.__notes__[0]
    assert all(
        torch.isfinite(value).all() for value in weights_of(learn.model).values()
    )  # stopped before the step
    assert len(learn.history) == 1


def test_a_huge_learning_rate_is_caught() -> None:
    learn = linear_learner(lr=1e6)
    with pytest.raises(
        TrainingDiverged,
        match=r"loss became (nan|infinite) at epoch \d+, batch \d+ \(learning rate 1\.0e\+06\)",
    ):
        learn.fit(5)


def test_rollback_restores_the_epoch_start_halves_the_lr_and_goes_on() -> None:
    guard = NanGuard(action="rollback")
    learn = linear_learner(callbacks=[guard], lr=0.04)
    assert sum(isinstance(cb, NanGuard) for cb in learn.callbacks) == 1  # replaces the default guard
    snapshots = Snapshots()
    with pytest.warns(
        RuntimeWarning,
        match=r"Rolled back to the start of the epoch with the learning rate halved to 2\.0e-02 \(rollback 1 of 3\)",
    ):
        learn.fit(4, callbacks=[Poison((1, 2)), snapshots])
    assert guard.rollbacks == 1
    for key, value in snapshots.ends[1].items():  # epoch 1 ended where it started
        assert torch.equal(value, snapshots.starts[1][key])
    assert not torch.equal(snapshots.ends[2]["weight"], snapshots.starts[2]["weight"])  # training went on
    assert [group["lr"] for group in learn.opt.param_groups] == [0.02] * len(learn.opt.param_groups)
    assert [group["max_lr"] for group in learn.opt.param_groups] == [0.02] * len(learn.opt.param_groups)
    assert len(learn.history) == 4
    assert "valid_loss" not in learn.history[1]  # the rolled-back epoch was not validated
    assert all(math.isfinite(row["valid_loss"]) for row in (learn.history[0], *learn.history[2:]))
    assert learn.history[-1]["valid_loss"] < learn.history[0]["valid_loss"]


def test_rollback_gives_up_after_max_rollbacks() -> None:
    learn = linear_learner(callbacks=[NanGuard(action="rollback", max_rollbacks=2)], lr=0.04)
    with (
        pytest.warns(RuntimeWarning, match=r"rollback [12] of 2") as warned,
        pytest.raises(
            TrainingDiverged,
            match=r"loss became nan at epoch 5, batch 1 \(learning rate 1\.0e-02\) after 2 rollbacks; lower",
        ),
    ):
        learn.fit(6, callbacks=[Poison(every_batch_from_epoch=2)])
    assert [str(w.message).split("(rollback ")[1] for w in warned] == ["1 of 2)", "2 of 2)"]


class CancelFitAt(Callback):
    def __init__(self, epoch: int, batch_index: int) -> None:
        self.at = (epoch, batch_index)

    def after_batch(self, learn) -> None:
        if learn.training and (learn.epoch, learn.batch_index) == self.at:
            raise CancelFit


def test_reading_every_few_batches_names_the_bad_batch_and_the_steps_since() -> None:
    # 60 training rows in batches of 16: 4 batches an epoch; checks read after batches 3 and at the phase's end.
    learn = linear_learner(callbacks=[NanGuard(check_every=3)], lr=0.01)
    message = (
        "loss became nan at epoch 2, batch 1 (learning rate 1.0e-02); 2 optimizer steps ran from it before the "
        "check was read (NanGuard reads its checks every 3 batches here; check_every=1 stops before the step); "
        "lower the learning rate (lr=) or clip the gradients (callbacks=[GradientClip(1.0)])"
    )
    with pytest.raises(TrainingDiverged, match=re.escape(message)) as caught:
        learn.fit(3, callbacks=[Poison((1, 0))])
    assert "during event after_loss" in caught.value.__notes__[0]  # read with batch 3's loss, before its step
    assert len(learn.history) == 1


def test_the_last_window_is_read_when_the_training_phase_ends() -> None:
    learn = linear_learner(callbacks=[NanGuard(check_every=3)], lr=0.01)
    with pytest.raises(
        TrainingDiverged,
        match=re.escape("at epoch 1, batch 4 (learning rate 1.0e-02); 1 optimizer step ran from it before"),
    ) as caught:
        learn.fit(2, callbacks=[Poison((0, 3))])
    assert "during event after_train" in caught.value.__notes__[0]
    assert learn.history == []  # not validated on the weights the bad step left


def test_the_bad_batch_of_the_window_being_read_stops_before_its_step() -> None:
    learn = linear_learner(callbacks=[NanGuard(check_every=2)], lr=0.01)
    snapshots = Snapshots()
    with pytest.raises(
        TrainingDiverged, match=r"at epoch 2, batch 2 \(learning rate 1\.0e-02\); lower"
    ) as caught:
        learn.fit(3, callbacks=[Poison((1, 1)), snapshots])
    assert "optimizer step" not in str(caught.value)
    assert all(torch.isfinite(value).all() for value in weights_of(learn.model).values())


def test_a_fit_cancelled_mid_epoch_still_has_its_last_losses_read() -> None:
    learn = linear_learner(callbacks=[NanGuard(check_every=3)], lr=0.01)
    with pytest.raises(TrainingDiverged, match=r"at epoch 1, batch 1 .*; 1 optimizer step ran") as caught:
        learn.fit(2, callbacks=[Poison((0, 0)), CancelFitAt(0, 0)])
    assert "during event after_fit" in caught.value.__notes__[0]


def test_rollback_reading_every_few_batches_restores_the_epoch_start() -> None:
    guard = NanGuard(action="rollback", check_every=3)
    learn = linear_learner(callbacks=[guard], lr=0.04)
    snapshots = Snapshots()
    with pytest.warns(RuntimeWarning, match=r"batch 1 .*2 optimizer steps ran from it.*\(rollback 1 of 3\)"):
        learn.fit(4, callbacks=[Poison((1, 0)), snapshots])
    for key, value in snapshots.ends[1].items():  # epoch 1 ended where it started, though two steps ran
        assert torch.equal(value, snapshots.starts[1][key])
    assert "valid_loss" not in learn.history[1]
    assert all(math.isfinite(row["valid_loss"]) for row in (learn.history[0], *learn.history[2:]))


def test_an_infinite_loss_is_named_as_such_and_a_large_finite_one_is_not_flagged() -> None:
    class Scale(Callback):
        order = -18

        def __init__(self, factor: float) -> None:
            self.factor = factor

        def after_loss(self, learn) -> None:
            if learn.training and (learn.epoch, learn.batch_index) == (0, 1):
                learn.loss = learn.loss_grad = learn.loss * self.factor

    learn = linear_learner(callbacks=[NanGuard(check_every=4)], lr=1e-6)
    learn.fit(1, callbacks=[Scale(1e30)])  # large but finite: nothing to say
    with pytest.raises(TrainingDiverged, match=r"loss became infinite at epoch \d, batch 2 "):
        learn.fit(1, callbacks=[Scale(float("inf"))])


def test_lr_find_still_runs_to_divergence() -> None:
    learn = linear_learner()
    result = learn.lr_find(start_lr=1e3, end_lr=1e30, num_it=20)
    assert not math.isfinite(result.raw_losses[-1])  # the sweep reached the NaN and stopped itself
    assert result.suggestion is not None
    assert sum(isinstance(cb, NanGuard) for cb in learn.callbacks) == 1  # the guard is back afterwards


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"action": "skip"}, "NanGuard action must be one of 'stop', 'rollback', got 'skip'"),
        (
            {"check_every": 0},
            "NanGuard check_every must be a whole number >= 1, got 0; pass e.g. check_every=1",
        ),
        (
            {"max_rollbacks": 0},
            "NanGuard max_rollbacks must be a whole number >= 1, got 0; pass e.g. max_rollbacks=3",
        ),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        NanGuard(**kwargs)
