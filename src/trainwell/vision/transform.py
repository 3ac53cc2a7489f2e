"""Test-time augmentation of an image model's predictions (:func:`tta_probabilities`), and, by name, the callbacks
that augment training batches (:class:`~trainwell.vision.augment_batch.AugmentBatch`, ``ProgressiveResize``).

Those callbacks live in :mod:`trainwell.vision.augment_batch` and are imported here on first use only: this
module is on the way of ``trainwell.load`` for an image model (its predictor's TTA), and a callback imports the
training loop (``trainwell.learner``, its callbacks, optimisers, losses and metrics: a third of a second), which
loading a model for predictions must not (tour71 #7)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
from torch.nn import functional as F

from trainwell.vision.augment_config import TTA_VIEWS as TTA_VIEWS
from trainwell.vision.augment_config import describe_tta as describe_tta
from trainwell.vision.augment_config import tta_views_for as tta_views_for

if TYPE_CHECKING:
    from trainwell.vision.augment import Augmentation
    from trainwell.vision.augment_batch import AugmentBatch as AugmentBatch
    from trainwell.vision.augment_batch import ProgressiveResize as ProgressiveResize

#: The names this module lends from :mod:`trainwell.vision.augment_batch`, imported when first asked for.
_CALLBACKS = ("AugmentBatch", "ProgressiveResize")


def __getattr__(name: str) -> Any:
    if name in _CALLBACKS:
        from trainwell.vision import augment_batch

        return getattr(augment_batch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@torch.no_grad()
def tta_probabilities(
    model: torch.nn.Module,
    activate: Callable[[torch.Tensor], torch.Tensor],
    images: torch.Tensor,
    augmentation: Augmentation | None,
    *,
    views: str = "auto",
    n_views: int = 4,
    plain_weight: float = 0.5,
    seed: int = 0,
    plain: torch.Tensor | None = None,
) -> torch.Tensor:
    """Test-time augmentation: the plain prediction blended with predictions on other views of the images.

    ``views="augmented"``: the mean over ``n_views`` views augmented by the training augmentation itself (so a
    model trained without flips is never shown a mirrored digit), each view one draw from a fixed seed: an
    image always gets the same answer, whichever images share its batch and wherever it sits in it.
    ``views="shifted"`` (airbench's): the images shifted by one pixel up-left and down-right (reflected
    borders), and with flips in training each view averaged with its mirror image; no randomness. ``"auto"``
    (:func:`tta_views_for`): shifted for a model trained on pixel shifts, else augmented. ``plain_weight`` is
    the share of the plain view (with its mirror, when shifted) in the blend; ``plain``: the activated plain
    prediction of ``images`` when already made (the augmented views' blend reuses it). Measured on the 10,000 CIFAR-10
    test images with models trained on 10,000 training images: the speedrun recipe's plain 79.24%, augmented
    79.85%, shifted 80.57%; the defaults' (simple_cnn, 8 epochs) plain 64.58%, augmented 67.58%, shifted 66.03%.
    """
    kind = tta_views_for(augmentation, views)
    x = images.float() / 255.0 if images.dtype == torch.uint8 else images
    if kind == "shifted" and n_views >= 1:
        assert augmentation is not None

        def predict(view: torch.Tensor) -> torch.Tensor:
            probabilities = activate(model(view).float())
            return (
                0.5 * (probabilities + activate(model(view.flip(-1)).float()))
                if augmentation.flip
                else probabilities
            )

        height, width = x.shape[-2:]
        if min(height, width) < 2:  # nothing to shift by a reflected pixel
            return predict(x)
        padded = F.pad(x, (1, 1, 1, 1), mode="reflect")
        shifted = 0.5 * (predict(padded[..., :height, :width]) + predict(padded[..., 2:, 2:]))
        return plain_weight * predict(x) + (1 - plain_weight) * shifted
    plain = activate(model(x).float()) if plain is None else plain.float()
    if kind is None or n_views < 1:
        return plain
    assert augmentation is not None

    def view(i: int) -> torch.Tensor:
        # Every image gets view i's one draw, whichever images share its batch and wherever it sits in it.
        if not augmentation.fills_at_random():
            return augmentation(x, generator=torch.Generator().manual_seed(seed + i), shared=True)
        # Random pixels (noise) would differ by position in a batch-wide draw: image by image, from one seed.
        return torch.cat(
            [
                augmentation(x[j : j + 1], generator=torch.Generator().manual_seed(seed + i))
                for j in range(len(x))
            ]
        )

    augmented = [activate(model(view(i)).float()) for i in range(n_views)]
    return plain_weight * plain + (1 - plain_weight) * torch.stack(augmented).mean(0)
