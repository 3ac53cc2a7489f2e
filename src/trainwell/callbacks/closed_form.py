"""Fitting in closed form inside the training loop: the model was fitted when built, so epochs only validate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trainwell.learner.events import Callback, CancelTrain

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner


class ClosedForm(Callback):
    """Skips the training batches of a model fitted in closed form (``closed_form = True``: EASE, boosted
    trees): each epoch of its fit only validates, so the history, metrics and model directory come out as for
    any other model."""

    order = -100

    def before_train(self, learn: Learner) -> None:
        raise CancelTrain
