"""A table's MLP ends its fit with the weights of its epoch of lowest validation loss, not its last.

A tour's synthetic table (6,000 rows): the validation loss went 0.668, 0.657, 0.645, 0.682, 0.700 while the
training loss fell to 0.36, and the last epoch's 0.700 (worse than a constant answer) was the model kept and the
figure ``arch="auto"`` compared the trees with. AutoGluon's network keeps its best epoch; fastai users add
``SaveModelCallback``. :class:`KeepBestEpoch` is :class:`~trainwell.callbacks.SaveBest` on ``valid_loss``, the
copy in memory (no file), which says what it kept in one line, beside the last epoch's loss, only when the two
differ. It keeps the kept epoch's validation predictions too, so the results after the fit read them rather than
score the validation rows again with the weights loaded back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from trainwell.callbacks.tracker import SaveBest
from trainwell.learner.kept_predictions import (
    PassPredictions,
    keep_for_restored_weights,
    this_pass_predictions,
)

if TYPE_CHECKING:
    from trainwell.learner.events import Callback
    from trainwell.learner.learner import Learner


class KeepBestEpoch(SaveBest):
    """:class:`~trainwell.callbacks.SaveBest` on the validation loss, in memory, restored when the fit ends, with
    the pipeline's line: ``kept epoch 3's weights (validation loss 0.645; the last epoch had 0.700)``. Its copy is
    part of a checkpoint (SaveBest's), so a resumed fit keeps the best epoch of the whole fit."""

    def __init__(self) -> None:
        super().__init__("valid_loss", restore=False)  # restored below, said in the pipeline's words
        # The best epoch's validation predictions, kept when its weights are copied: (epoch, predictions).
        self._predictions: tuple[int, PassPredictions] | None = None

    def before_fit(self, learn: Learner) -> None:
        super().before_fit(learn)
        self._predictions = None

    def after_epoch(self, learn: Learner) -> None:
        copied = self.best_state
        super().after_epoch(learn)
        if (
            self.best_state is not copied
        ):  # a new best: its pass's predictions are those of the weights copied
            held = this_pass_predictions(learn)
            self._predictions = None if held is None else (learn.epoch, held)

    def after_fit(self, learn: Learner) -> None:
        if self.best_state is None or self.best_epoch is None or self.best_epoch == learn.epoch:
            return  # no validated epoch, or the last was the best: the model holds its weights already
        last = learn.history[-1].get(self.monitor) if learn.history else None
        self.restore = True
        try:
            # SaveBest's restore; its own line ("SaveBest: the model holds...") is not said: only this one
            _quietly(super().after_fit, learn)
        finally:
            self.restore = False
        if self._predictions is not None and self._predictions[0] == self.best_epoch:
            # The epoch's own pass scored these weights: the results read it, not another pass over the rows
            keep_for_restored_weights(learn, self._predictions[1])
        self._predictions = None
        from trainwell.callbacks.progress import say
        from trainwell.core.numbers import figure

        had = (
            f"; the last epoch had {figure(last)}" if isinstance(last, float) and math.isfinite(last) else ""
        )
        best = figure(self.best_value) if self.best_value is not None else "?"
        say(learn, f"kept epoch {self.best_epoch_shown}'s weights (validation loss {best}{had})")


def _quietly(restore: Any, learn: Learner) -> None:
    """Run SaveBest's ``after_fit`` with the fit's progress display silent (its ``say`` prints through it)."""
    from trainwell.callbacks.progress import ProgressBar

    bars = [callback for callback in learn._active if isinstance(callback, ProgressBar)]
    printing = [bar.print_epochs for bar in bars]
    for bar in bars:
        bar.print_epochs = False
    try:
        restore(learn)
    finally:
        for bar, was in zip(bars, printing, strict=True):
            bar.print_epochs = was


def best_epoch_callbacks(keep_best: bool, has_validation: bool, given: Sequence[Callback]) -> list[Callback]:
    """``[KeepBestEpoch()]`` for a table's MLP fit with validation rows, unless ``keep_best`` is off or the
    callbacks given hold a SaveBest already (``--patience`` adds one: it keeps the best epoch itself)."""
    if not keep_best or not has_validation or any(isinstance(callback, SaveBest) for callback in given):
        return []
    return [KeepBestEpoch()]
