"""Whether test-time augmentation helps an image model, measured on labelled images.

``predict --tta`` blends each image's plain answer with answers on views augmented as in training; on MNIST it
lowered the accuracy from 0.710 to 0.595 and nothing said so. :func:`tta_effect` scores the same labelled images
both ways and words a one-line verdict (``trainwell report`` shows it; :func:`measure_tta` is the Python side).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from trainwell.core.errors import ConfigError
from trainwell.data.task import Task
from trainwell.data.tta import tta_refusal

if TYPE_CHECKING:
    from trainwell.vision.predictor import ImagePredictor

#: A report measures TTA by itself on at most this many images on the CPU (each image is predicted 1 + 4 times);
#: ``tta=True`` (``report --tta``) measures it on any number, and on a GPU it is always measured.
TTA_AUTO_IMAGES = 2000
#: Fewer images (a multi-label model's: label decisions) than this changing their answer between the two ways
#: are too few to be sure of a verdict: TTA is then said to make no clear difference, whatever the scores.
FEW_CHANGED = 10
#: The paired test's level: TTA is said to help (or hurt) only when the two ways differ at p below it.
ALPHA = 0.05


@dataclass(frozen=True)
class TTAEffect:
    """The headline metric of labelled images scored plain and with test-time augmentation.

    Attributes:
        metric: ``"accuracy"`` (a classifier) or ``"rmse"`` (a regression).
        plain, tta: the metric without and with TTA.
        n_images: the images scored.
        fixed, broken: a single-label classifier's images TTA gets right that the plain answer got wrong, and
            the other way round (``None`` for other tasks).
        views: what the TTA averages, in words.
        label_fixed, label_broken: a multi-label model's label decisions (an image and a label) TTA gets right
            that the plain answer got wrong, and the other way round (``None`` for other tasks).
        p_value: the paired test of the two ways on the same images (two-sided): McNemar's exact test of
            ``fixed`` against ``broken`` for one class an image; for several labels an image or a regression, a
            paired t-test over images of each image's right label decisions, or its squared error, with and
            without TTA. ``None``: not measured (a verdict then rests on the counts alone).
    """

    metric: str
    plain: float
    tta: float
    n_images: int
    fixed: int | None = None
    broken: int | None = None
    views: str = ""
    label_fixed: int | None = None
    label_broken: int | None = None
    p_value: float | None = None

    @property
    def lower_is_better(self) -> bool:
        return self.metric in ("rmse", "mae", "log_loss")

    @property
    def _changes(self) -> tuple[int, int, str] | None:
        """``(fixed, broken, what)``: the decisions TTA changed for the better and for the worse, and what they
        are ("images", "label decisions"); ``None`` for a regression."""
        if self.fixed is not None and self.broken is not None:
            return self.fixed, self.broken, "images"
        if self.label_fixed is not None and self.label_broken is not None:
            return self.label_fixed, self.label_broken, "label decisions"
        return None

    @property
    def _p(self) -> float | None:
        """:attr:`p_value`, or McNemar's from the counts when it was not given."""
        if self.p_value is not None:
            return self.p_value
        changes = self._changes
        if changes is None:
            return None
        return _sign_test(changes[0], changes[1])

    @property
    def too_few_changed(self) -> bool:
        """Whether fewer than :data:`FEW_CHANGED` decisions changed between the two ways."""
        changes = self._changes
        return changes is not None and changes[0] + changes[1] < FEW_CHANGED

    @property
    def helps(self) -> bool | None:
        """Whether TTA scores better beyond noise (``None``: no clear difference). The scores must differ,
        the paired test say so (p below :data:`ALPHA`) and, for decisions, at least :data:`FEW_CHANGED` of
        them have changed: a difference of one label decision in 900 said "use --tta" before."""
        if round(self.tta, 4) == round(self.plain, 4) or self.too_few_changed:
            return None
        p = self._p
        if p is not None and not p < ALPHA:
            return None
        return (self.tta < self.plain) if self.lower_is_better else (self.tta > self.plain)

    def verdict(self) -> str:
        """One line: the two scores, how sure the difference is, and whether to use ``--tta``."""
        scores = f"{self.metric} {self.plain:.4f} plain, {self.tta:.4f} with TTA on {self.n_images:,} images"
        changed = ""
        changes = self._changes
        if changes is not None:
            fixed, broken, what = changes
            changed = f"; it fixes {fixed} and breaks {broken}" + ("" if what == "images" else f" {what}")
            if self.too_few_changed:
                changed += f", too few changed answers to be sure (under {FEW_CHANGED})"
        p = self._p
        same = round(self.tta, 4) == round(self.plain, 4) and (
            changes is None or changes[0] + changes[1] == 0
        )
        if same:
            return (
                f"TTA makes no difference here ({scores}{changed}): predict without --tta, which costs one "
                "prediction an image instead of five"
            )
        if self.helps is None:
            within = (
                ""
                if self.too_few_changed
                else f"; a difference within noise (paired test {_p_words(p)})"
                if p is not None
                else "; the scores differ by under 0.0001"
            )
            return (
                f"TTA makes no clear difference here ({scores}{changed}{within}): predict without --tta, which "
                "costs one prediction an image instead of five"
            )
        if self.helps:
            return f"TTA helps here ({scores}{changed}): use --tta (predict, serve)"
        return f"TTA hurts here ({scores}{changed}): don't use --tta"


def tta_effect(
    task: Task, plain: torch.Tensor, tta: torch.Tensor, targets: torch.Tensor, views: str = ""
) -> TTAEffect:
    """The effect of TTA on labelled images: ``plain`` and ``tta`` are their predictions (activated) without and
    with it, ``targets`` their encoded labels (``task.encode``)."""
    from trainwell.metrics import functional

    if task.kind == "regression":

        def per_image(preds: torch.Tensor) -> torch.Tensor:  # each image's squared error, over its targets
            return ((preds.double() - targets.double()) ** 2).reshape(len(targets), -1).sum(1)

        return TTAEffect(
            "rmse",
            functional.rmse(plain, targets),
            functional.rmse(tta, targets),
            len(targets),
            views=views,
            p_value=_paired_t(per_image(tta) - per_image(plain)),
        )
    threshold = task.decision_threshold
    fixed = broken = label_fixed = label_broken = p_value = None
    if task.kind in ("binary", "multiclass"):
        right_plain, right_tta = _right(task, plain, targets), _right(task, tta, targets)
        fixed = int((right_tta & ~right_plain).sum())
        broken = int((right_plain & ~right_tta).sum())
    elif task.kind == "multilabel":
        right_plain, right_tta = _right_labels(task, plain, targets), _right_labels(task, tta, targets)
        label_fixed = int((right_tta & ~right_plain).sum())
        label_broken = int((right_plain & ~right_tta).sum())
        # an image's labels are not independent draws: the test is over images, of each one's right decisions
        p_value = _paired_t(right_tta.double().sum(1) - right_plain.double().sum(1))
    return TTAEffect(
        "accuracy",
        functional.accuracy(plain, targets, task.kind, threshold),
        functional.accuracy(tta, targets, task.kind, threshold),
        len(targets),
        fixed,
        broken,
        views,
        label_fixed,
        label_broken,
        p_value,
    )


def _right_labels(task: Task, probabilities: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``(N, L)``: whether each label decision of each image is its label (at the model's thresholds)."""
    threshold = task.decision_threshold
    cut = torch.as_tensor(threshold, dtype=probabilities.dtype)
    return (probabilities >= cut) == (targets > 0.5)


def _sign_test(fixed: int, broken: int) -> float:
    """McNemar's exact two-sided p of ``fixed`` against ``broken`` (1.0 when none changed)."""
    from trainwell.evaluate.paired import mcnemar

    if fixed + broken == 0:
        return 1.0
    return mcnemar([True] * broken + [False] * fixed, [False] * broken + [True] * fixed).p_exact


def _paired_t(differences: torch.Tensor) -> float:
    """The two-sided p of a paired t-test that ``differences`` (one per image) average 0: 1.0 when every one is
    0, 0.0 when they are all the same other value (no spread: the difference is certain on these images)."""
    import math

    from scipy import stats

    values = differences.double().reshape(-1)
    n = len(values)
    if n == 0 or bool((values == 0).all()):
        return 1.0
    mean, spread = float(values.mean()), float(values.std()) if n > 1 else 0.0
    if spread == 0.0:
        return 0.0 if n > 1 else 1.0
    t = mean / (spread / math.sqrt(n))
    return float(2 * stats.t.sf(abs(t), n - 1))


def _p_words(p: float) -> str:
    """``p = 0.420``, ``p < 0.001``."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _right(task: Task, probabilities: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Whether each image's decision is its label (one class an image)."""
    if task.kind == "binary":
        threshold = task.decision_threshold
        cut = float(threshold if isinstance(threshold, int | float) else threshold[0])
        return (probabilities.reshape(-1) >= cut) == (targets.reshape(-1) > 0.5)
    return probabilities.argmax(-1) == targets.reshape(-1).long()


def measure_tta(predictor: ImagePredictor, images: Any, labels: Sequence[Any]) -> TTAEffect:
    """Score labelled ``images`` (what :meth:`ImagePredictor.predict_proba` takes: paths, arrays...) with and
    without test-time augmentation, e.g. ``measure_tta(load("model/"), paths, labels).verdict()``.

    Raises:
        ConfigError: the model cannot use TTA (several numbers an image), or ``labels`` do not match.
    """
    refused = tta_refusal(predictor.task, "vision", option="TTA", fix="predict without it")
    if refused is not None:
        raise ConfigError(refused)
    labels = list(labels)
    plain, tta = predictor.predict_proba_both(images)
    if len(labels) != len(plain):
        raise ConfigError(f"{len(plain)} images but {len(labels)} labels: give one label per image")
    task = predictor.task
    targets = task.encode(labels if task.kind == "regression" else [task.as_class(label) for label in labels])
    return tta_effect(task, plain, tta, targets, predictor.describe_tta())
