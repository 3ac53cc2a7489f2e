"""The bar a text classifier must clear: always answering the training set's most common class.

A classifier whose validation accuracy is no better than that has learned nothing usable, however its loss
moved: a ULMFiT classifier given a minute on IMDB trains 7 of its 825 batches and ends at 0.50, exactly what
answering "neg" to every review scores. :class:`MajorityBaseline` (switched on by
:func:`~trainwell.text.learner.text_classifier_learner`) warns at the end of training when the model does not
beat it, in Python and on the command line alike, as a language model is held to a Kneser-Ney trigram
(:class:`~trainwell.text.lm_callbacks.NgramBaseline`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import torch

from trainwell.core.device import is_rank_zero
from trainwell.core.warn import warn
from trainwell.learner.events import Callback
from trainwell.metrics.label_baselines import BaselineNotBeaten, train_longer_warning

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

__all__ = [
    "MARGIN_LEVEL",
    "MajorityBaseline",
    "folds_at_chance_warning",
    "majority_accuracy",
    "majority_warning",
]

#: Phases of a schedule of several fits whose end is not the end of training (fine_tune's head-only fit,
#: gradual unfreezing's stages): the model is judged after the last one.
_EARLY_PHASES = ("frozen", "stage ")


def majority_accuracy(
    kind: str, train_targets: torch.Tensor, valid_targets: torch.Tensor, majority: int | None = None
) -> tuple[int, float]:
    """The training set's most common class (its index; for ``binary``, 0 or 1) and the validation accuracy of
    answering it for every row; ``majority``: that index, known already (``train_targets`` is then not read).

    Example:
        >>> majority_accuracy("binary", torch.tensor([0.0, 0.0, 1.0]), torch.tensor([0.0, 1.0, 1.0, 1.0]))
        (0, 0.25)
    """
    if kind == "binary":
        if majority is None:
            majority = int(train_targets.float().mean() > 0.5)
        answers = valid_targets.reshape(len(valid_targets), -1)[:, 0].round().long()
    else:
        if majority is None:
            majority = int(torch.bincount(train_targets.long().reshape(-1)).argmax())
        answers = valid_targets.long().reshape(-1)
    return majority, float((answers == majority).double().mean()) if len(answers) else float("nan")


#: The confidence of the interval a validation accuracy above the majority's share must clear it by: the 90%
#: Wilson interval's lower bound, a one-sided test at 5%. A ULMFiT classifier at 0.470 on 600 IMDB reviews
#: whose training majority was right on 0.465 of them had learned nothing, and said nothing.
MARGIN_LEVEL = 0.90


def majority_warning(
    accuracy: float,
    baseline: float,
    majority: str,
    *,
    rows: int | None = None,
    budgeted: bool = False,
    of_all: int | None = None,
) -> BaselineNotBeaten | None:
    """The :class:`~trainwell.metrics.label_baselines.BaselineNotBeaten` said when validation ``accuracy`` on
    ``rows`` does not beat always answering ``majority`` (right on ``baseline`` of them): not above it, or above
    it by less than chance explains (the lower end of accuracy's :data:`MARGIN_LEVEL` Wilson interval is not);
    ``None`` when it does. Worded for Python and, as its ``command_line``, for the command line; ``budgeted``:
    the fit had a time budget, so the fix is a longer one; ``of_all``: the validation rows in all, when the
    budget's passes read only ``rows`` of them (the accuracy and the baseline are then both those rows').

    Example:
        >>> str(majority_warning(0.47, 0.465, "pos", rows=600))[:60]
        'validation accuracy 0.470 does not beat always answering the'
        >>> majority_warning(0.90, 0.465, "pos", rows=600) is None
        True
    """
    low = math.nan
    if rows and accuracy > baseline + 1e-9:  # the same share: the same answers
        from trainwell.evaluate.intervals import wilson_interval

        low = wilson_interval(round(accuracy * rows), rows, MARGIN_LEVEL)[0]
        if not low <= baseline:
            return None
    elif accuracy > baseline + 1e-9:
        return None
    margin = (
        ""
        if math.isnan(low)
        else f" by more than chance allows on {rows} rows (its {MARGIN_LEVEL:.0%} interval starts at {low:.3f})"
    )

    which = "the validation rows"
    if rows and of_all and rows < of_all:
        which = f"the {rows:,} of the {of_all:,} validation rows each pass read within the time budget"

    def words(longer: str) -> str:
        return (
            f"validation accuracy {accuracy:.3f} does not beat always answering the training rows' most common "
            f"class, {majority!r} (right on {baseline:.3f} of {which}){margin}: the model has learned "
            f"nothing usable yet; train longer ({longer})"
        )

    return train_longer_warning(words, budgeted)


class MajorityBaseline(Callback):
    """Warn (:class:`~trainwell.metrics.label_baselines.BaselineNotBeaten`, :func:`majority_warning`) at the end
    of training when a single-label classifier's validation ``accuracy`` is no better than always answering the
    training set's most common class, or better by less than chance explains.

    The baseline is that of the rows the last validation pass read, as the history's accuracy is: under a time
    budget whose passes read only their first batches (:attr:`~trainwell.callbacks.TimeBudget.valid_batches`),
    those rows', and the warning says how many of how many (it once quoted all 600 validation texts' majority
    share, 0.558, beside an accuracy and a results table of the first 256 texts, 0.586).

    Attributes:
        value: That answer's validation accuracy, or ``None`` (no validation rows, another task, or before a
            fit).
        rows: The validation rows ``value`` is a share of; ``of_all``: the validation rows in all.
    """

    order = 50  # after the Recorder wrote the epoch's row

    def __init__(self) -> None:
        self.value: float | None = None
        self.majority: Any = None
        self.rows = 0  # validation rows the accuracy is a share of
        self.of_all = 0
        self._index = 0  # the training majority's output index
        self._kind = ""
        self._whole = 0.0  # the answer's accuracy on every validation row
        self._read: list[torch.Tensor] = []  # the targets of the validation pass under way

    def before_fit(self, learn: Learner) -> None:
        kind = learn.task.kind
        train = getattr(learn.data.train, "targets", None)
        valid = getattr(learn.data.valid, "targets", None)
        if self.value is not None or kind not in ("binary", "multiclass") or train is None or valid is None:
            return
        if not isinstance(train, torch.Tensor) or not isinstance(valid, torch.Tensor) or not len(train):
            return
        index, self.value = majority_accuracy(kind, train, valid)
        self.rows = self.of_all = len(valid)
        self._whole = self.value
        self._index, self._kind = index, kind
        classes = tuple(learn.task.classes or ())
        self.majority = classes[index] if index < len(classes) else index

    def before_validate(self, learn: Learner) -> None:
        self._read = []

    def after_loss(self, learn: Learner) -> None:
        if not learn.training and self.value is not None:
            self._read.append(learn.yb.detach().reshape(len(learn.yb), -1)[:, 0].cpu())

    def after_validate(self, learn: Learner) -> None:
        """The baseline of the rows this pass read, when it read only some (a time budget's cap): the history's
        accuracy is theirs. One process's share of a distributed pass says nothing of the others'."""
        read, self._read = self._read, []
        if self.value is None or not read or getattr(learn.data.valid, "world_size", 1) > 1:
            return
        targets = torch.cat(read)
        if len(targets) >= self.of_all:
            self.rows, self.value = self.of_all, self._whole
            return
        self.rows = len(targets)
        self.value = majority_accuracy(self._kind, targets[:0], targets, self._index)[1]

    def after_fit(self, learn: Learner) -> None:
        if self.value is None or not learn.history or _sweeping(learn):
            return
        phase = getattr(learn, "fit_phase", None) or ""
        if phase.startswith(_EARLY_PHASES):
            return
        accuracy = learn.history[-1].get("accuracy")
        if not isinstance(accuracy, float) or not is_rank_zero():
            return
        from trainwell.callbacks.budget import find_budget
        from trainwell.evaluate.cv import FoldVerdict, keep_fold_verdict

        budgeted = find_budget(getattr(learn, "_active", ())) is not None
        said = majority_warning(
            accuracy, self.value, str(self.majority), rows=self.rows, budgeted=budgeted, of_all=self.of_all
        )
        # A cross-validation's fold: said once for all the folds (folds_at_chance_warning), not once a fold.
        details = {
            "majority": str(self.majority),
            "accuracy": accuracy,
            "baseline": self.value,
            "budgeted": budgeted,
            "beaten": said is None,
        }
        if keep_fold_verdict(FoldVerdict(folds_at_chance_warning, details)):
            return
        if said is not None:
            warn(said)


def folds_at_chance_warning(verdicts: list[Any]) -> BaselineNotBeaten | None:
    """The one :class:`~trainwell.metrics.label_baselines.BaselineNotBeaten` a cross-validation says of its
    folds' classifiers that do not beat always answering their training rows' most common class (each judged as
    :func:`majority_warning` judges a fit: not above it, or above it by less than chance explains), from every
    fold's :class:`~trainwell.evaluate.cv.FoldVerdict`; ``None`` when every fold beats it.

    Example:
        >>> from trainwell.evaluate.cv import FoldVerdict
        >>> def fold(accuracy, beaten):
        ...     details = {"majority": "neg", "accuracy": accuracy, "baseline": 0.5, "budgeted": False}
        ...     return FoldVerdict(folds_at_chance_warning, {**details, "beaten": beaten})
        >>> str(folds_at_chance_warning([fold(0.5, False), fold(0.9, True), fold(0.52, False)]))[:70]
        "2 of 3 folds did not beat always answering the training rows' most com"
    """
    failed = [verdict.details for verdict in verdicts if not verdict.details["beaten"]]
    if not failed:
        return None
    counts: dict[str, int] = {}
    for details in failed:
        counts[details["majority"]] = counts.get(details["majority"], 0) + 1
    answer = (
        f"{next(iter(counts))!r}"
        if len(counts) == 1
        else "by fold: " + ", ".join(f"{name!r} in {count}" for name, count in counts.items())
    )

    def span(name: str) -> str:
        low, high = min(details[name] for details in failed), max(details[name] for details in failed)
        return f"{low:.3f}" if f"{low:.3f}" == f"{high:.3f}" else f"{low:.3f} to {high:.3f}"

    def words(longer: str) -> str:
        return (
            f"{len(failed)} of {len(verdicts)} folds did not beat always answering the training rows' most common "
            f"class, {answer} (validation accuracy {span('accuracy')}, that answer right on {span('baseline')} of "
            "the validation rows; not above it, or above it by less than chance allows): the model has learned "
            f"nothing usable yet; train longer ({longer})"
        )

    return train_longer_warning(words, any(details["budgeted"] for details in failed))


def _sweeping(learn: Learner) -> bool:
    """Whether the fit ending is the learning-rate finder's sweep, which trains no model to judge, or a search's
    trial (OptunaPruning): one candidate the search compares, not a model handed back."""
    names = ("LRFinder", "OptunaPruning")
    return any(type(callback).__name__ in names for callback in getattr(learn, "_active", ()))
