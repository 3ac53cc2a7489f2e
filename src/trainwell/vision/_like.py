"""Images read as another bundle's were: ``image_data(..., like=learn.data)`` for the next task of continual
learning, or more images for a trained model.

A model trained on the first images normalises its inputs with their statistics (the buffers of
:class:`~trainwell.vision.network.ImageClassifier`) and has one output per class of their task. The next data,
built on its own, measures statistics of its own (split MNIST's digits 5-9: mean/std 0.1283/0.3047, against
0.1315/0.3095 for 0-4), may choose another size and channel count, and numbers its classes from its own labels:
its recipe, written beside the model, would then describe inputs the model never read that way. ``like=`` takes
the size (unless ``size=`` asks for larger images: progressive resizing), channels, resizing, normalisation,
augmentation and task of the other bundle as they are, as :func:`~trainwell.tabular.data.tabular_data` does for
tables.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from trainwell.core.errors import ConfigError, DataError
from trainwell.data.bundle import DataBundle
from trainwell.data.task import Task, unknown_labels

if TYPE_CHECKING:
    from trainwell.vision.recipe import ImageRecipe

#: Labels an error about classes outside ``like=``'s names before "and N more".
SHOWN_LABELS = 5
#: Per-channel statistics closer than this are the same (the recipe keeps 5 decimals, the model float32).
SAME_STATISTIC = 1e-4


def check_like(like: DataBundle | None, **given: Any) -> None:
    """Refuse ``like=`` that is no image bundle, or beside settings it fixes (resizing, the task, its names)."""
    if like is None:
        return
    if not isinstance(like, DataBundle) or like.application != "vision":
        raise ConfigError(
            f"like= takes a bundle of image_data (learn.data of an image Learner), got "
            f"{type(like).__name__ if not isinstance(like, DataBundle) else f'a bundle of {like.application} data'}"
        )
    set_too = [name for name, value in given.items() if value is not None]
    if set_too:
        raise ConfigError(
            "like= takes the channels, resizing, normalisation and classes from its data; drop "
            f"{', '.join(f'{name}=' for name in set_too)}"
        )


def check_classes(task: Task, labels: list[Any], where: str) -> None:
    """Refuse labels of ``where`` that are not among the classes of ``like=``'s task, naming them: the model has
    an output for each of its classes and none for another (regression: nothing to check).

    Raises:
        DataError: The new labels, the known classes, and how to build data that has them all.
    """
    if task.kind == "regression":
        return
    unknown = (
        list(unknown_labels(task, labels))
        if task.kind == "multilabel"
        else task.unknown_classes(label for label in labels if not isinstance(label, list | tuple))
    )
    if not unknown:
        return
    shown = ", ".join(map(str, unknown[:SHOWN_LABELS]))
    more = f" and {len(unknown) - SHOWN_LABELS} more" if len(unknown) > SHOWN_LABELS else ""
    known = ", ".join(map(str, task.classes[:20])) + (" ..." if len(task.classes) > 20 else "")
    raise DataError(
        f"{where}: label(s) {shown}{more} are not among the classes of like= ({known}), and the model has no "
        "output for them; build the first data with every class the tasks will bring "
        "(task=Task('multiclass', classes=[...])), or leave like= out to start a new model"
    )


def with_channels(images: np.ndarray, channels: int) -> np.ndarray:
    """``uint8`` images ``(N, C, H, W)`` with ``channels`` channels, as a file is decoded to them: grey repeated
    into colour, colour to grey by the luminance PIL's ``convert("L")`` uses (ITU-R 601-2)."""
    if images.shape[1] == channels:
        return images
    if channels == 3:
        return np.repeat(images, 3, axis=1)
    # PIL's fixed-point form of 0.299 R + 0.587 G + 0.114 B, so an array gives what its file gives, to the bit.
    weights = np.array([19595, 38470, 7471], dtype=np.uint32).reshape(1, 3, 1, 1)
    grey = (images.astype(np.uint32) * weights).sum(axis=1, keepdims=True)
    return ((grey + 0x8000) >> 16).astype(np.uint8)


def differences(model: Any, old: ImageRecipe | None, new: ImageRecipe) -> list[str]:
    """How images prepared by ``new`` are normalised otherwise than the model normalises them (its own
    ``mean``/``std`` buffers, else ``old``'s), in words; empty when they agree. Another size is no difference:
    progressive resizing trains on larger images on purpose."""
    said: list[str] = []
    mean, std = getattr(model, "mean", None), getattr(model, "std", None)
    if mean is not None and std is not None and hasattr(mean, "reshape"):
        own_mean = tuple(float(v) for v in mean.reshape(-1).tolist())
        own_std = tuple(float(v) for v in std.reshape(-1).tolist())
    elif old is not None:
        own_mean, own_std = old.mean, old.std
    else:
        own_mean, own_std = new.mean, new.std
    if len(own_mean) == len(new.mean) and not all(
        math.isclose(a, b, abs_tol=SAME_STATISTIC)
        for a, b in zip((*own_mean, *own_std), (*new.mean, *new.std), strict=True)
    ):
        said.append(
            f"normalised with mean/std per channel {_statistics(new.mean, new.std)}, not the model's "
            f"{_statistics(own_mean, own_std)}"
        )
    return said


def _statistics(mean: tuple[float, ...], std: tuple[float, ...]) -> str:
    return ", ".join(f"{m:.4g}/{s:.4g}" for m, s in zip(mean, std, strict=False))
