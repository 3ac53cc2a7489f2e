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
#: Fewer images than this changing their answer between the two ways are too few to be sure of a verdict.
FEW_CHANGED = 10


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
    """

    metric: str
    plain: float
    tta: float
    n_images: int
    fixed: int | None = None
    broken: int | None = None
    views: str = ""

    @property
    def lower_is_better(self) -> bool:
        return self.metric in ("rmse", "mae", "log_loss")

    @property
    def helps(self) -> bool | None:
        """Whether TTA scores better (``None``: the same)."""
        if round(self.tta, 4) == round(self.plain, 4):
            return None
        return (self.tta < self.plain) if self.lower_is_better else (self.tta > self.plain)

    def verdict(self) -> str:
        """One line: the two scores and whether to use ``--tta``."""
        scores = f"{self.metric} {self.plain:.4f} plain, {self.tta:.4f} with TTA on {self.n_images:,} images"
        changed = ""
        if self.fixed is not None and self.broken is not None:
            changed = f"; it fixes {self.fixed} and breaks {self.broken}"
            if self.fixed + self.broken < FEW_CHANGED:
                changed += f", too few changed answers to be sure (under {FEW_CHANGED})"
        if self.helps is None:
            return (
                f"TTA makes no difference here ({scores}{changed}): predict without --tta, which costs one "
                "prediction an image instead of five"
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
        return TTAEffect(
            "rmse", functional.rmse(plain, targets), functional.rmse(tta, targets), len(targets), views=views
        )
    threshold = task.decision_threshold
    fixed = broken = None
    if task.kind in ("binary", "multiclass"):
        right_plain, right_tta = _right(task, plain, targets), _right(task, tta, targets)
        fixed = int((right_tta & ~right_plain).sum())
        broken = int((right_plain & ~right_tta).sum())
    return TTAEffect(
        "accuracy",
        functional.accuracy(plain, targets, task.kind, threshold),
        functional.accuracy(tta, targets, task.kind, threshold),
        len(targets),
        fixed,
        broken,
        views,
    )


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
