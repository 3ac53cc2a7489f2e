"""The callback that augments training batches on the device, as whole-batch tensor operations."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import torch

from trainwell.learner.events import Callback

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner
    from trainwell.vision.augment import Augmentation


class AugmentBatch(Callback):
    """Before each training batch: ``uint8`` pixels -> floats in 0..1 -> ``augmentation``.

    Validation batches are left as they are (the model normalises ``uint8`` itself). The random draws of
    batch ``i`` come from a generator seeded with ``(seed, i)``, so a run resumed from a checkpoint sees
    exactly the augmentations it would have seen.

    Args:
        augmentation: the pipeline to apply (see :class:`~trainwell.vision.augment.Augmentation`).
        seed: base seed of the per-batch generators.
    """

    order = -5  # after the schedules, before MixUp/CutMix (5) which mix augmented images

    def __init__(self, augmentation: Augmentation | None, seed: int = 0) -> None:
        self.augmentation = augmentation
        self.seed = int(seed)

    def before_batch(self, learn: Learner) -> None:
        if not learn.training:
            return
        images, *rest = learn.xb
        x = images.float().div_(255.0) if images.dtype == torch.uint8 else images
        if self.augmentation is not None:
            generator = torch.Generator().manual_seed(self.seed * 1_000_003 + learn.iteration)
            x = self.augmentation(x, generator=generator)
        learn.xb = (x, *rest)


@torch.no_grad()
def tta_probabilities(
    model: torch.nn.Module,
    activate: Callable[[torch.Tensor], torch.Tensor],
    images: torch.Tensor,
    augmentation: Augmentation | None,
    *,
    n_views: int = 4,
    plain_weight: float = 0.5,
    seed: int = 0,
) -> torch.Tensor:
    """Test-time augmentation: the plain prediction blended with the mean over ``n_views`` augmented views.

    The views use the training augmentation itself (so a model trained without flips is never shown a mirrored
    digit), drawn from fixed seeds: the same images always get the same answer. ``plain_weight`` is the share of
    the plain view in the blend.
    """
    x = images.float() / 255.0 if images.dtype == torch.uint8 else images
    plain = activate(model(x).float())
    if augmentation is None or n_views < 1:
        return plain
    views = [
        activate(model(augmentation(x, generator=torch.Generator().manual_seed(seed + i))).float())
        for i in range(n_views)
    ]
    return plain_weight * plain + (1 - plain_weight) * torch.stack(views).mean(0)
