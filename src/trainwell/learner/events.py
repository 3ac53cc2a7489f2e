"""Events of the training loop, the exceptions that steer it, and the Callback base class.

The loop, written once in :mod:`trainwell.learner.learner`, runs::

    before_fit
      for each epoch:
        before_epoch
          before_train
            for each batch:
              before_batch → forward → after_pred → loss → after_loss
              → before_backward → backward → after_backward
              → before_step → optimizer step → after_step → zero grads → after_batch
          after_train
          before_validate
            for each batch: before_batch → forward → after_pred → loss → after_loss → after_batch
          after_validate
        after_epoch
    after_fit

A callback steers the loop by raising one of these exceptions; the loop catches it and resumes as described:

========================  ==================================================================================
``CancelBatch``           the rest of this batch is skipped; ``after_batch`` runs, then the next batch.
                          Raised after the backward pass (``after_backward``, ``before_step``,
                          ``after_step``), it also sets the gradients to ``None``, so the batch's gradient
                          never reaches a later step (with gradient accumulation, the whole group's so far).
``CancelStep``            the optimizer step and the zeroing of gradients are skipped (gradients keep
                          accumulating); ``after_batch`` runs. Raised in ``after_backward`` or ``before_step``.
``CancelTrain``           the rest of the training phase is skipped; ``after_train`` runs, then validation.
``CancelValidate``        the rest of validation is skipped; ``after_validate`` runs.
``CancelEpoch``           the rest of the epoch is skipped; ``after_epoch`` runs, then the next epoch.
``CancelFit``             training stops; ``after_fit`` runs.
========================  ==================================================================================

Any other exception raised in a callback propagates with its traceback intact and a note naming the callback
and the event.

``learn.loss`` is what is logged: in ``after_loss`` it still holds the graph (``learn.loss_grad``, what
``backward()`` is called on, is the same tensor there), so read it with ``learn.loss.item()`` (``float()`` on it
gives torch's "Converting a tensor with requires_grad=True to a scalar" warning); from ``before_backward`` on it
is detached and ``float(learn.loss)`` reads it. A callback that stops a fit for good on its own rule sets
``learn.stopped_by = self.name`` before raising ``CancelFit``, so that a checkpoint's resume trains no more (a
bare ``CancelFit`` reads as an interruption, which a resume continues).
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from collections.abc import Callable

    import torch

    from trainwell.learner.learner import Learner


class Event(str, Enum):
    """A point in the training loop where callbacks run, in loop order."""

    before_fit = "before_fit"
    before_epoch = "before_epoch"
    before_train = "before_train"
    before_batch = "before_batch"
    after_pred = "after_pred"
    after_loss = "after_loss"
    before_backward = "before_backward"
    after_backward = "after_backward"
    before_step = "before_step"
    after_step = "after_step"
    after_batch = "after_batch"
    after_train = "after_train"
    before_validate = "before_validate"
    after_validate = "after_validate"
    after_epoch = "after_epoch"
    after_fit = "after_fit"


class CancelBatch(Exception):
    """Skip the rest of this batch; ``after_batch`` still runs. After the backward pass the gradients are set to
    ``None`` too (:class:`CancelStep` is the one that keeps them to accumulate)."""


class CancelStep(Exception):
    """Skip the optimizer step and the zeroing of gradients for this batch; raised in ``after_backward`` or
    ``before_step`` (in ``after_step`` the step has been taken, and the fit refuses it)."""


class CancelTrain(Exception):
    """Skip the rest of this epoch's training phase; validation follows."""


class CancelValidate(Exception):
    """Skip the rest of this validation pass."""


class CancelEpoch(Exception):
    """Skip the rest of this epoch; ``after_epoch`` still runs."""


class CancelFit(Exception):
    """Stop training; ``after_fit`` still runs."""


#: How the names of methods that look like event handlers start.
_EVENT_LIKE = ("before_", "after_", "on_")
#: Other libraries' names for the loop's events (Keras, PyTorch Lightning): what a callback ported from them has.
_OTHER_LIBRARIES = {
    **dict.fromkeys(("on_train_begin", "on_fit_start", "on_train_start"), "before_fit"),
    **dict.fromkeys(("on_train_end", "on_fit_end"), "after_fit"),
    **dict.fromkeys(("on_epoch_begin", "on_train_epoch_start", "on_epoch_start"), "before_epoch"),
    **dict.fromkeys(("on_epoch_end", "on_train_epoch_end"), "after_epoch"),
    **dict.fromkeys(("on_batch_begin", "on_train_batch_begin", "on_train_batch_start"), "before_batch"),
    **dict.fromkeys(("on_batch_end", "on_train_batch_end"), "after_batch"),
    **dict.fromkeys(("on_validation_start", "on_validation_epoch_start", "on_test_begin"), "before_validate"),
    **dict.fromkeys(("on_validation_end", "on_validation_epoch_end", "on_test_end"), "after_validate"),
    "on_before_backward": "before_backward",
    "on_after_backward": "after_backward",
    "on_before_optimizer_step": "before_step",
}


def _one_edit_apart(word: str, other: str) -> bool:
    """Whether ``word`` becomes ``other`` by one insertion, deletion or replacement (``after_epochs``)."""
    if abs(len(word) - len(other)) > 1 or word == other:
        return False
    if len(word) == len(other):
        return sum(a != b for a, b in zip(word, other, strict=True)) == 1
    short, long = sorted((word, other), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


class Callback:
    """Base class: define methods named after :class:`Event` members, each taking the learner.

    ``order`` sorts callbacks (lower runs first at every event). ``teardown`` always runs when a fit ends,
    even by an error or Ctrl-C, to release what the callback holds (a live display, a file).

    Example:
        >>> class PrintEpoch(Callback):
        ...     def after_epoch(self, learn):
        ...         print("finished epoch", learn.epoch)
    """

    order: ClassVar[int] = 0
    #: True when :meth:`checkpoint_state` differs between the processes of a distributed fit (a language
    #: model's hidden state over each process's rows): a checkpoint then keeps every process's, and each takes
    #: its own back on resume. Other states are rank 0's, the same everywhere.
    per_process_state: ClassVar[bool] = False
    #: Whether the callback also runs in :meth:`~trainwell.learner.Learner.lr_find`'s sweep, which trains on a
    #: rising learning rate until the loss diverges and is then undone. ``False`` for the callbacks that judge,
    #: record or save the training (early stopping, best weights, checkpoints, logs, the NaN guard): in the
    #: sweep they would stop it early, write its epochs to files, or keep its weights.
    runs_in_lr_find: ClassVar[bool] = True
    #: Whether a fit holds at most one callback of this kind: one passed to a fit (``fit(..., callbacks=)``) then
    #: stands in for the learner's own for that fit, instead of running beside it. ``True`` for
    #: :class:`~trainwell.callbacks.GradientClip` and :class:`~trainwell.callbacks.MixedPrecision`: a language
    #: model's default clip at 0.25 and a fit's ``GradientClip(1.0)`` would both clip, the tighter winning.
    one_per_fit: ClassVar[bool] = False

    @property
    def name(self) -> str:
        return type(self).__name__

    def teardown(self, learn: Learner) -> None:
        """Release resources; runs after every fit, however it ended."""

    def checkpoint_state(self) -> dict[str, Any] | None:
        """What a checkpoint must hold to resume this callback exactly (tensors and plain values), or ``None``.

        A resumed fit hands it back to :meth:`load_checkpoint_state` after ``before_fit`` has run, so a callback
        that resets itself in ``before_fit`` still continues from where the checkpoint was taken.
        """
        return None

    def load_checkpoint_state(self, state: dict[str, Any]) -> None:
        """Take back what :meth:`checkpoint_state` returned when the checkpoint was written."""

    def combine(self, phase: str, add_up: Callable[[torch.Tensor], torch.Tensor]) -> None:
        """In a distributed fit, replace the running sums this callback keeps over ``phase`` (``"train"`` or
        ``"valid"``) by their totals over every process; ``add_up`` sums a float64 tensor across them.

        Called in every process, in callback order, once the phase's batches are done and before any
        ``after_train`` / ``after_validate`` handler reads the sums. A callback that totals something over the
        epoch's batches (a loss per token, counts) overrides this so its figure covers all the data.
        """

    def handled_events(self) -> list[Event]:
        return [event for event in Event if callable(getattr(self, event.value, None))]

    def check_handlers(self) -> None:
        """Refuse a handler that cannot take the learner (``def after_batch(self)``, fastai's style, failed mid-fit
        with "takes 1 positional argument but 2 were given"), and warn of a method named like an event that is
        not one (Keras' and Lightning's ``on_epoch_end``, a misspelled ``after_epochs``): it would never run."""
        import inspect

        from trainwell.core.errors import ConfigError
        from trainwell.core.warn import warn

        for event in self.handled_events():
            handler = getattr(self, event.value)
            try:
                inspect.signature(handler).bind(None)
            except TypeError:
                raise ConfigError(
                    f"{self.name}.{event.value} cannot take the learner: a callback's handlers are written "
                    f"def {event.value}(self, learn), the learner passed in (learn.epoch, learn.loss...)"
                ) from None
            except ValueError:  # no signature to read (a builtin): left to the call
                continue
        events = {event.value for event in Event}
        for name in dir(type(self)):
            if name in events or name.startswith("_") or not name.startswith(_EVENT_LIKE):
                continue
            if not callable(getattr(type(self), name, None)) or hasattr(Callback, name):
                continue
            alias = _OTHER_LIBRARIES.get(name)
            close = alias or next((e for e in events if _one_edit_apart(name, e)), None)
            hint = (
                f"; write it as {close}"
                if close
                else f"; the events are: {', '.join(e.value for e in Event)}"
            )
            warn(f"{self.name}.{name} is not an event of the training loop and never runs{hint}", UserWarning)

    def __repr__(self) -> str:
        return f"{self.name}()"
