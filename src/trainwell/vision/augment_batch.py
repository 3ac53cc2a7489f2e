"""The callbacks that augment training batches on the device, as whole-batch tensor operations
(:class:`AugmentBatch`, :class:`ProgressiveResize`); :mod:`trainwell.vision.transform` names them too."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Literal

import torch
from torch.nn import functional as F

from trainwell.core.errors import ConfigError
from trainwell.learner.events import Callback

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner
    from trainwell.vision.augment import Augmentation

__all__ = ["AugmentBatch", "ProgressiveResize"]


class AugmentBatch(Callback):
    """Before each training batch: ``uint8`` pixels -> floats in 0..1 -> ``augmentation``.

    Validation batches are left as they are (the model normalises ``uint8`` itself). The random draws of
    batch ``i`` come from a generator seeded with ``(seed, i)`` (and the process's rank under torchrun), so a
    run resumed from a checkpoint sees exactly the augmentations it would have seen.

    Args:
        augmentation: the pipeline to apply (see :class:`~trainwell.vision.augment.Augmentation`), or
            ``"data"`` (what :func:`~trainwell.vision.vision_learner` passes): the one of the learner's data,
            read at every fit, so data set on the learner later (``learn.data = image_data(..., size=64)``,
            progressive resizing by hand) is augmented with its own pipeline and size.
        seed: base seed of the per-batch generators.
    """

    order = -5  # after the schedules, before MixUp/CutMix (5) which mix augmented images

    def __init__(self, augmentation: Augmentation | Literal["data"] | None = "data", seed: int = 0) -> None:
        self.from_data = isinstance(augmentation, str) and augmentation == "data"
        if isinstance(augmentation, str) and not self.from_data:
            raise ConfigError(f"AugmentBatch takes an Augmentation, None or 'data'; got {augmentation!r}")
        self.augmentation: Augmentation | None = None if self.from_data else augmentation  # type: ignore[assignment]
        self.seed = int(seed)
        #: Output ``(height, width)`` of training batches (set by :class:`ProgressiveResize`; an ``int`` is a
        #: square); ``None`` keeps the data's.
        self.size: int | tuple[int, int] | None = None
        self._sized: dict[tuple[int, int], Augmentation] = {}

    def before_fit(self, learn: Learner) -> None:
        if self.from_data and learn.data.augmentation is not self.augmentation:
            self.augmentation = learn.data.augmentation
            self._sized = {}

    def _size(self) -> tuple[int, int] | None:
        if self.size is None:
            return None
        if isinstance(self.size, int):
            return self.size, self.size
        return int(self.size[0]), int(self.size[1])

    def _pipeline(self) -> Augmentation | None:
        size = self._size()
        if size is None or self.augmentation is None:
            return self.augmentation
        if size not in self._sized:
            self._sized[size] = dataclasses.replace(self.augmentation, size=size)
        return self._sized[size]

    def _batch_seed(self, iteration: int) -> int:
        """The seed of training batch ``iteration``'s draws; under torchrun each process has its own (with one
        seed for all, the image at row ``j`` of every process's shard got the same crop, flip and colour)."""
        import torch.distributed as dist

        rank = dist.get_rank() if dist.is_available() and dist.is_initialized() else 0
        return (self.seed * 1_000_003 + iteration + 7_919 * 1_000_003 * rank) % 2**63

    def before_batch(self, learn: Learner) -> None:
        if not learn.training:
            return
        images, *rest = learn.xb
        x = images.float().div_(255.0) if images.dtype == torch.uint8 else images
        pipeline = self._pipeline()
        if pipeline is not None:
            generator = torch.Generator().manual_seed(self._batch_seed(learn.iteration))
            mirrored = None
            if pipeline.flip == "alternate":
                from trainwell.vision.augment import alternating_flips

                mirrored = alternating_flips(images, learn.epoch)
            x = pipeline(x, generator=generator, mirrored=mirrored)
        size = self._size()
        if size is not None and tuple(x.shape[-2:]) != size:
            x = F.interpolate(x, size=size, mode="bilinear", antialias=True, align_corners=False)
        learn.xb = (x, *rest)


class ProgressiveResize(Callback):
    """Train on smaller images first, growing to the full size (fast early epochs; Howard's DAWNBench trick).

    Both sides grow linearly from ``start`` times the full size at the beginning of the fit to the full size at
    ``until`` of the way through, in steps of ``multiple`` pixels, so that images that are not square keep their
    shape. Validation always runs at the full size (the models pool globally, so any size fits them). Needs :class:`AugmentBatch` (``vision_learner`` adds it).

    Args:
        start: first side as a fraction of the full side.
        until: share of training after which images are full size.
        multiple: sides are rounded to a multiple of this.
    """

    order = -6  # just before AugmentBatch, which reads the size

    def __init__(self, start: float = 0.5, until: float = 0.75, multiple: int = 8) -> None:
        if not 0 < start <= 1 or not 0 < until <= 1:
            raise ConfigError(
                f"ProgressiveResize needs 0 < start <= 1 and 0 < until <= 1, got {start} and {until}"
            )
        self.start, self.until, self.multiple = start, until, max(1, int(multiple))
        self._augment: AugmentBatch | None = None

    def before_fit(self, learn: Learner) -> None:
        found = learn.get_callback(AugmentBatch)
        if not isinstance(found, AugmentBatch):
            raise ConfigError(
                "ProgressiveResize needs the AugmentBatch callback; build the learner with vision_learner"
            )
        self._augment = found
        height, width = learn.data.recipe.size  # type: ignore[union-attr]
        self._full = (int(height), int(width))

    def size_at(self, pct: float) -> tuple[int, int]:
        """``(height, width)`` of the training images at ``pct`` of the fit."""
        fraction = self.start + (1 - self.start) * min(1.0, pct / self.until)

        def side(full: int) -> int:
            return int(min(full, max(self.multiple, round(full * fraction / self.multiple) * self.multiple)))

        return side(self._full[0]), side(self._full[1])

    def before_batch(self, learn: Learner) -> None:
        if learn.training and self._augment is not None:
            self._augment.size = self.size_at(learn.pct_train)

    def after_fit(self, learn: Learner) -> None:
        if self._augment is not None:
            self._augment.size = None

    def teardown(self, learn: Learner) -> None:
        self.after_fit(learn)
