"""The bar a text classifier must clear: always answering the training set's most common class.

A classifier whose validation accuracy is no better than that has learned nothing usable, however its loss
moved: a ULMFiT classifier given a minute on IMDB trains 7 of its 825 batches and ends at 0.50, exactly what
answering "neg" to every review scores. :class:`MajorityBaseline` (switched on by
:func:`~trainwell.text.learner.text_classifier_learner`) warns at the end of training when the model does not
beat it, in Python and on the command line alike, as a language model is held to a Kneser-Ney trigram
(:class:`~trainwell.text.lm_callbacks.NgramBaseline`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from trainwell.core.warn import warn
from trainwell.learner.events import Callback

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

__all__ = ["MajorityBaseline", "majority_accuracy", "majority_warning"]

#: Phases of a schedule of several fits whose end is not the end of training (fine_tune's head-only fit,
#: gradual unfreezing's stages): the model is judged after the last one.
_EARLY_PHASES = ("frozen", "stage ")


def majority_accuracy(
    kind: str, train_targets: torch.Tensor, valid_targets: torch.Tensor
) -> tuple[int, float]:
    """The training set's most common class (its index; for ``binary``, 0 or 1) and the validation accuracy of
    answering it for every row.

    Example:
        >>> majority_accuracy("binary", torch.tensor([0.0, 0.0, 1.0]), torch.tensor([0.0, 1.0, 1.0, 1.0]))
        (0, 0.25)
    """
    if kind == "binary":
        majority = int(train_targets.float().mean() > 0.5)
        answers = valid_targets.reshape(len(valid_targets), -1)[:, 0].round().long()
    else:
        majority = int(torch.bincount(train_targets.long().reshape(-1)).argmax())
        answers = valid_targets.long().reshape(-1)
    return majority, float((answers == majority).double().mean()) if len(answers) else float("nan")


def majority_warning(accuracy: float, baseline: float, majority: str) -> str:
    """The line said when validation ``accuracy`` does not beat always answering ``majority`` (``baseline``)."""
    return (
        f"validation accuracy {accuracy:.3f} does not beat always answering the training rows' most common class, "
        f"{majority!r} (right on {baseline:.3f} of the validation rows): the model has learned nothing usable yet; "
        "train longer (more epochs, or a longer time budget: --time)"
    )


class MajorityBaseline(Callback):
    """Warn at the end of training when a single-label classifier's validation ``accuracy`` is no better than
    always answering the training set's most common class.

    Attributes:
        value: That answer's validation accuracy, or ``None`` (no validation rows, another task, or before a
            fit).
    """

    order = 50  # after the Recorder wrote the epoch's row

    def __init__(self) -> None:
        self.value: float | None = None
        self.majority: Any = None

    def before_fit(self, learn: Learner) -> None:
        kind = learn.task.kind
        train = getattr(learn.data.train, "targets", None)
        valid = getattr(learn.data.valid, "targets", None)
        if self.value is not None or kind not in ("binary", "multiclass") or train is None or valid is None:
            return
        if not isinstance(train, torch.Tensor) or not isinstance(valid, torch.Tensor) or not len(train):
            return
        index, self.value = majority_accuracy(kind, train, valid)
        classes = tuple(learn.task.classes or ())
        self.majority = classes[index] if index < len(classes) else index

    def after_fit(self, learn: Learner) -> None:
        if self.value is None or not learn.history or _sweeping(learn):
            return
        phase = getattr(learn, "fit_phase", None) or ""
        if phase.startswith(_EARLY_PHASES):
            return
        accuracy = learn.history[-1].get("accuracy")
        if isinstance(accuracy, float) and accuracy <= self.value + 1e-9:  # the same share: the same answers
            warn(majority_warning(accuracy, self.value, str(self.majority)), UserWarning)


def _sweeping(learn: Learner) -> bool:
    """Whether the fit ending is the learning-rate finder's sweep, which trains no model to judge."""
    return any(type(callback).__name__ == "LRFinder" for callback in getattr(learn, "_active", ()))
