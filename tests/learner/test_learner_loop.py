"""The one training loop: event order, the Cancel exceptions, callback order, errors, and a reference loop."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from trainwell.core.errors import ConfigError
from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.data.bundle import DataBundle
from trainwell.learner import (
    Callback,
    CancelBatch,
    CancelEpoch,
    CancelFit,
    CancelStep,
    CancelTrain,
    CancelValidate,
    Event,
    Learner,
)

TRAIN_BATCH = [
    "before_batch", "after_pred", "after_loss", "before_backward", "after_backward", "before_step", "after_step",
    "after_batch",
]  # fmt: skip
VALID_BATCH = ["before_batch", "after_pred", "after_loss", "after_batch"]


def small_data(n_rows: int = 40, batch_size: int = 16, valid_pct: float = 0.25, seed: int = 0) -> DataBundle:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n_rows, 3, generator=generator)
    y = x @ torch.tensor([1.0, -2.0, 0.5])
    return tensor_data(x, y.numpy(), valid_pct=valid_pct, batch_size=batch_size, seed=seed)


def make_learner(data: DataBundle | None = None, **kwargs: Any) -> Learner:
    torch.manual_seed(0)
    return Learner(nn.Linear(3, 1), data or small_data(), progress=False, device="cpu", **kwargs)


_BATCH_EVENTS = {*TRAIN_BATCH}


class EventLog(Callback):
    """Logs every event and raises where told.

    ``raises`` maps ``(event, epoch, batch_index)`` to an exception; ``batch_index`` is ``None`` for events
    outside batches, and batch events only match during training.
    """

    def __init__(self, raises: dict[tuple[str, int, int | None], type[Exception]] | None = None) -> None:
        self.events: list[str] = []
        self.raises = raises or {}

    def _handle(self, event: str, learn: Learner) -> None:
        self.events.append(event)
        if event in _BATCH_EVENTS and not learn.training:
            return
        key = (event, learn.epoch, learn.batch_index if event in _BATCH_EVENTS else None)
        if key in self.raises:
            raise self.raises[key]


def _make_handler(event: str) -> Callable[[EventLog, Learner], None]:
    def handler(self: EventLog, learn: Learner) -> None:
        self._handle(event, learn)

    return handler


for _event in Event:
    setattr(EventLog, _event.value, _make_handler(_event.value))


def epoch_events(n_train: int, n_valid: int) -> list[str]:
    return [
        "before_epoch", "before_train", *TRAIN_BATCH * n_train, "after_train",
        "before_validate", *VALID_BATCH * n_valid, "after_validate", "after_epoch",
    ]  # fmt: skip


def test_event_order_is_the_documented_one() -> None:
    log = EventLog()
    learn = make_learner()  # 30 training rows in batches of 16 (2), 10 validation rows in one batch
    learn.fit(2, callbacks=[log])
    assert log.events == ["before_fit", *epoch_events(2, 1), *epoch_events(2, 1), "after_fit"]
    # The Event enum lists the events in the order they first happen.
    first_seen = list(dict.fromkeys(log.events))
    assert first_seen == [event.value for event in Event]


def test_cancel_batch_in_after_pred_skips_loss_backward_and_step() -> None:
    log = EventLog({("after_pred", 0, 0): CancelBatch})
    learn = make_learner()
    start = learn.model.weight.detach().clone()
    learn.fit(1, lr=0.1, callbacks=[log])
    first_batch = log.events[3 : 3 + 3]
    assert log.events[:3] == ["before_fit", "before_epoch", "before_train"]
    assert first_batch == ["before_batch", "after_pred", "after_batch"]
    assert log.events[6 : 6 + len(TRAIN_BATCH)] == TRAIN_BATCH  # the next batch runs in full
    assert learn.iteration == 2  # a cancelled batch still counts as seen
    assert not torch.equal(learn.model.weight, start)


def test_cancelling_every_batch_leaves_the_weights_alone() -> None:
    class CancelAll(Callback):
        def after_pred(self, learn: Learner) -> None:
            raise CancelBatch

    learn = make_learner()
    start = learn.model.weight.detach().clone()
    learn.fit(2, lr=0.1, callbacks=[CancelAll()])
    assert torch.equal(learn.model.weight, start)


def test_cancel_step_keeps_gradients_accumulating() -> None:
    grads: list[torch.Tensor] = []

    class SkipStep(Callback):
        def before_step(self, learn: Learner) -> None:
            raise CancelStep

        def after_batch(self, learn: Learner) -> None:
            if learn.training:
                grads.append(learn.model.weight.grad.detach().clone())

    log = EventLog()
    learn = make_learner(data=small_data(valid_pct=0.25), opt="sgd")
    start = learn.model.weight.detach().clone()
    learn.fit(1, callbacks=[SkipStep(), log])
    assert "after_step" not in log.events
    assert torch.equal(learn.model.weight, start)
    # By hand: the gradient of each batch's mean squared error, summed over the batches.
    expected = torch.zeros_like(start)
    model = nn.Linear(3, 1)
    model.load_state_dict(learn.model.state_dict())
    loader = learn.data.train
    loader.set_epoch(0)
    for (xb, yb), seen in zip(loader, grads, strict=True):
        model.zero_grad()
        F.mse_loss(model(xb).squeeze(-1), yb).backward()
        expected += model.weight.grad
        torch.testing.assert_close(seen, expected)


def test_cancel_train_skips_the_rest_of_training_then_validates() -> None:
    log = EventLog({("after_batch", 0, 0): CancelTrain})
    make_learner().fit(1, callbacks=[log])
    assert log.events == [
        "before_fit", "before_epoch", "before_train", *TRAIN_BATCH, "after_train",
        "before_validate", *VALID_BATCH, "after_validate", "after_epoch", "after_fit",
    ]  # fmt: skip


def test_cancel_validate_skips_validation_and_the_epoch_ends() -> None:
    log = EventLog({("before_validate", 0, None): CancelValidate})
    learn = make_learner()
    learn.fit(1, callbacks=[log])
    assert log.events == [
        "before_fit", "before_epoch", "before_train", *TRAIN_BATCH * 2, "after_train",
        "before_validate", "after_validate", "after_epoch", "after_fit",
    ]  # fmt: skip
    assert "valid_loss" not in learn.history[0]


def test_cancel_epoch_goes_to_after_epoch_then_the_next_epoch() -> None:
    log = EventLog({("before_train", 0, None): CancelEpoch})
    make_learner().fit(2, callbacks=[log])
    assert log.events == [
        "before_fit",
        "before_epoch",
        "before_train",
        "after_epoch",
        *epoch_events(2, 1),
        "after_fit",
    ]


def test_cancel_fit_in_before_epoch_ends_with_after_fit() -> None:
    log = EventLog({("before_epoch", 1, None): CancelFit})
    learn = make_learner()
    learn.fit(3, callbacks=[log])
    assert log.events == ["before_fit", *epoch_events(2, 1), "before_epoch", "after_fit"]
    assert len(learn.history) == 1


def test_callbacks_run_by_order_then_by_insertion() -> None:
    seen: list[str] = []

    def named(label: str, order: int) -> Callback:
        class Named(Callback):
            def before_fit(self, learn: Learner) -> None:
                seen.append(label)

        Named.order = order
        return Named()

    learn = make_learner(callbacks=[named("late", 5), named("first", -30)])
    learn.fit(1, callbacks=[named("middle-a", 0), named("early", -3), named("middle-b", 0)])
    assert seen == ["first", "early", "middle-a", "middle-b", "late"]


def test_a_handler_written_without_the_learner_is_refused_before_training() -> None:
    # fastai's style, def after_batch(self), failed at the first batch with "takes 1 positional argument but 2".
    class NoLearner(Callback):
        def after_batch(self) -> None:  # type: ignore[override]
            pass

    learn = make_learner()
    with pytest.raises(ConfigError) as caught:
        learn.fit(1, callbacks=[NoLearner()])
    assert str(caught.value) == (
        "NoLearner.after_batch cannot take the learner: a callback's handlers are written def after_batch(self, "
        "learn), the learner passed in (learn.epoch, learn.loss...)"
    )
    assert learn.history == []  # refused before any training


def test_a_callback_class_or_an_object_of_another_kind_is_refused_in_one_line() -> None:
    # A tour: the class itself gave "check_handlers() missing 1 required positional argument: 'self'", and an
    # object not derived from Callback "'Plain' object has no attribute 'check_handlers'".
    class Recording(Callback):
        def after_batch(self, learn: Learner) -> None:
            pass

    class Plain:
        def after_batch(self, learn: Learner) -> None:
            pass

    learn = make_learner()
    for given, said in (
        (Recording, "callbacks holds the class Recording, not an object of it: pass Recording()"),
        (
            Plain(),
            "callbacks holds a Plain, which is not a trainwell Callback: subclass trainwell.callbacks.Callback",
        ),
    ):
        with pytest.raises(ConfigError) as caught:
            learn.fit(1, callbacks=[given])  # type: ignore[list-item]
        assert str(caught.value).startswith(said)
    assert learn.history == []


def test_methods_named_like_events_that_are_not_are_warned_of() -> None:
    # A Keras or Lightning callback ported as is, or a misspelled event: it never ran, and nothing said so.
    class Ported(Callback):
        def on_epoch_end(self, learn: Learner) -> None:
            pass

        def after_epochs(self, learn: Learner) -> None:
            pass

        def after_loss(self, learn: Learner) -> None:  # an event: no warning
            pass

        def on_ready(self) -> str:  # named like no event at all: the events are listed
            return "ready"

    with pytest.warns(UserWarning) as caught:
        make_learner().fit(1, callbacks=[Ported()])
    said = sorted(str(w.message) for w in caught if "never runs" in str(w.message))
    assert (
        said[0]
        == "Ported.after_epochs is not an event of the training loop and never runs; write it as after_epoch"
    )
    assert (
        said[1]
        == "Ported.on_epoch_end is not an event of the training loop and never runs; write it as after_epoch"
    )
    assert said[2].startswith(
        "Ported.on_ready is not an event of the training loop and never runs; the events are: "
    )
    assert len(said) == 3


def test_an_error_in_a_callback_keeps_its_type_and_traceback_and_gains_a_note() -> None:
    class Broken(Callback):
        def after_loss(self, learn: Learner) -> None:
            raise KeyError("missing thing")

    learn = make_learner()
    with pytest.raises(KeyError) as caught:
        learn.fit(1, callbacks=[Broken()])
    assert type(caught.value) is KeyError and caught.value.args == ("missing thing",)
    assert caught.value.__notes__ == ["raised in callback Broken during event after_loss"]
    frames = [frame.name for frame in traceback.extract_tb(caught.value.__traceback__)]
    assert frames[-1] == "after_loss" and "_call" in frames
    assert not learn.training  # the fit was cleaned up


def test_show_training_loop_lists_callbacks_per_event(capsys: pytest.CaptureFixture[str]) -> None:
    class Clip(Callback):
        order = 30

        def after_backward(self, learn: Learner) -> None: ...

    class Early(Callback):
        order = -30

        def after_backward(self, learn: Learner) -> None: ...

        def after_fit(self, learn: Learner) -> None: ...

    learn = make_learner(callbacks=[Clip()])
    # Printed once and not returned, as summary() is: a returned text showed twice in a notebook.
    assert learn.show_training_loop([Early()]) is None  # type: ignore[func-returns-value]
    text = capsys.readouterr().out.strip()
    lines = dict(line.split(maxsplit=1) for line in text.splitlines())
    assert list(lines) == [event.value for event in Event]
    assert lines["after_backward"] == "Early, Clip"
    assert lines["after_loss"] == "Recorder, NanGuard"
    assert lines["after_fit"] == "Early, Recorder, NanGuard"
    assert lines["before_step"] == "-"


def test_fit_matches_a_hand_written_loop_with_adamw() -> None:
    seed_everything(0)
    x = torch.randn(100, 4)
    y = (x @ torch.tensor([1.0, -1.0, 2.0, 0.5]) + 0.1 * torch.randn(100)).numpy()
    data = tensor_data(x, y, valid_pct=0.2, batch_size=16, seed=7)
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    reference = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    reference.load_state_dict(model.state_dict())
    learn = Learner(model, data, opt="adamw", lr=3e-3, wd=0.01, progress=False, device="cpu")
    learn.fit(3)

    decay = [p for name, p in reference.named_parameters() if name.endswith("weight")]
    no_decay = [p for name, p in reference.named_parameters() if name.endswith("bias")]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
        lr=3e-3, betas=(0.9, 0.99), eps=1e-8,
    )  # fmt: skip
    losses, epoch_means = [], []
    loader = data.train
    for epoch in range(3):
        loader.set_epoch(epoch)
        total, rows = 0.0, 0
        for xb, yb in loader:
            loss = F.mse_loss(reference(xb).squeeze(-1), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            total, rows = total + loss.item() * len(yb), rows + len(yb)
        epoch_means.append(total / rows)

    assert learn.recorder.losses == pytest.approx(losses, rel=1e-6, abs=1e-7)
    assert [row["train_loss"] for row in learn.history] == pytest.approx(epoch_means, rel=1e-6)
    for (name, mine), theirs in zip(model.state_dict().items(), reference.state_dict().values(), strict=True):
        torch.testing.assert_close(mine, theirs, rtol=0, atol=1e-6, msg=name)


def _history(valid: list[float], train: list[float]) -> list[dict[str, float]]:
    return [
        {"fit": 1, "epoch": i, "train_loss": t, "valid_loss": v}
        for i, (v, t) in enumerate(zip(valid, train, strict=True))
    ]


def test_a_validation_loss_that_rose_well_above_its_lowest_is_called_overfitting() -> None:
    from trainwell.learner.run_files import overfitting_note

    note = overfitting_note(_history([0.7, 0.55, 0.52, 0.6, 0.8, 0.99], [0.7, 0.5, 0.4, 0.2, 0.1, 0.05]))
    assert note is not None and note.startswith(
        "the validation loss rose from 0.52 at epoch 3 to 0.99 at epoch 6"
    )
    assert "--epochs 3" in note


@pytest.mark.parametrize(
    ("valid", "train"),
    [
        (
            [0.7, 0.55, 0.52, 0.53, 0.54, 0.53],
            [0.7, 0.5, 0.4, 0.3, 0.2, 0.1],
        ),  # 2-4% up: noise, not a verdict
        ([0.7, 0.55, 0.52, 0.6, 0.8, 0.99], [0.7, 0.5, 0.4, 0.6, 0.8, 0.9]),  # both rose: a training problem
        (
            [0.7, 0.6, 0.5, 0.45, 0.4, 0.7],
            [0.7, 0.5, 0.4, 0.3, 0.2, 0.1],
        ),  # the lowest one epoch ago: too soon
        ([0.7, 0.9], [0.7, 0.5]),  # two epochs say nothing
    ],
)
def test_no_overfitting_note_without_a_clear_rise(valid: list[float], train: list[float]) -> None:
    from trainwell.learner.run_files import overfitting_note

    assert overfitting_note(_history(valid, train)) is None
