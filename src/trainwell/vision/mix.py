"""MixUp and CutMix: train on blends of two images and the same blend of their losses.

Both exist as pure functions (:func:`mixup_batch`, :func:`cutmix_batch`) and as callbacks that apply them in
training only. The callbacks mix the inputs in ``before_batch`` and, in ``after_loss``, replace the loss with
``lam * loss(pred, y) + (1 - lam) * loss(pred, y[perm])``. Mixing the losses rather than the targets works for
any loss and any target (class indices, multi-label or regression), so nothing else needs to know about
mixing. Validation, ``validate`` and ``get_preds`` never see mixed images.

Randomness comes from torch's global generator, which the Learner seeds and its checkpoints save, so a resumed
run mixes the same way as an uninterrupted one.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import torch

from trainwell.core.errors import ConfigError, DataError
from trainwell.learner.events import Callback

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner


def _check_alpha(owner: str, alpha: Any) -> float:
    ok = (
        isinstance(alpha, (int, float)) and not isinstance(alpha, bool) and math.isfinite(alpha) and alpha > 0
    )
    if not ok:
        raise ConfigError(f"{owner} alpha must be a number > 0, got {alpha!r}; pass e.g. alpha=0.4")
    return float(alpha)


def _draw_lambda(alpha: float) -> float:
    return float(torch.distributions.Beta(alpha, alpha).sample())


def mixup_batch(x: torch.Tensor, lam: float, perm: torch.Tensor) -> torch.Tensor:
    """``lam * x + (1 - lam) * x[perm]``: each row blended with another row of the batch."""
    return torch.lerp(x[perm], x, lam)


def cutmix_box(height: int, width: int, lam: float) -> tuple[int, int, int, int]:
    """A random box ``(top, bottom, left, right)`` of about ``1 - lam`` of the area, clipped to the image."""
    cut = math.sqrt(1 - lam)
    box_h, box_w = round(height * cut), round(width * cut)
    centre_y = int(torch.randint(0, height, ()))
    centre_x = int(torch.randint(0, width, ()))
    top, bottom = max(centre_y - box_h // 2, 0), min(centre_y + box_h - box_h // 2, height)
    left, right = max(centre_x - box_w // 2, 0), min(centre_x + box_w - box_w // 2, width)
    return top, bottom, left, right


def cutmix_batch(
    x: torch.Tensor, perm: torch.Tensor, box: tuple[int, int, int, int]
) -> tuple[torch.Tensor, float]:
    """Paste ``box`` of ``x[perm]`` into ``x``; returns the images and the share of each kept (``lam``)."""
    top, bottom, left, right = box
    mixed = x.clone()
    mixed[..., top:bottom, left:right] = x[perm][..., top:bottom, left:right]
    kept = 1 - (bottom - top) * (right - left) / (x.shape[-2] * x.shape[-1])
    return mixed, kept


class _MixCallback(Callback):
    """Shared loss mixing: subclasses set ``self.lam`` and ``self.perm`` and replace ``learn.xb``."""

    order = 5  # before GradientAccumulation (10) and MixedPrecision (20), which rescale ``loss_grad``

    def __init__(self, alpha: float) -> None:
        self.alpha = _check_alpha(type(self).__name__, alpha)
        self.lam = 1.0
        self.perm: torch.Tensor | None = None

    def _images(self, learn: Learner) -> torch.Tensor:
        x = learn.xb[0] if learn.xb else None
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            kind = type(x).__name__ if not isinstance(x, torch.Tensor) else str(x.dtype)
            raise DataError(
                f"{self.name} needs float inputs as the first element of each batch, got {kind}; "
                "it mixes images, not token ids or category codes"
            )
        return x

    def before_batch(self, learn: Learner) -> None:
        self.perm = None
        if not learn.training:
            return
        x = self._images(learn)
        self.perm = torch.randperm(x.shape[0]).to(x.device)
        learn.xb = (self._mix(x, self.perm), *learn.xb[1:])

    def _mix(self, x: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def after_loss(self, learn: Learner) -> None:
        if not learn.training or self.perm is None:
            return
        target = learn.yb
        with learn.forward_context():
            loss = self.lam * learn.compute_loss(learn.pred, target) + (1 - self.lam) * learn.compute_loss(
                learn.pred, target[self.perm]
            )
        learn.loss = loss
        learn.loss_grad = loss

    def __repr__(self) -> str:
        return f"{self.name}(alpha={self.alpha})"


class MixUp(_MixCallback):
    """MixUp (Zhang et al. 2018): blend whole images, ``lam ~ Beta(alpha, alpha)`` per batch.

    Args:
        alpha: Beta parameter; small values (0.2-0.4) keep most blends close to one image.

    Example:
        >>> mix = MixUp(alpha=0.4)
    """

    def __init__(self, alpha: float = 0.4) -> None:
        super().__init__(alpha)

    def _mix(self, x: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
        self.lam = _draw_lambda(self.alpha)
        return mixup_batch(x, self.lam, perm)


class CutMix(_MixCallback):
    """CutMix (Yun et al. 2019): paste a rectangle from another image; ``lam`` is the area kept.

    The box covers about ``1 - lam`` of the image with ``lam ~ Beta(alpha, alpha)``, and the loss weights use
    the area actually kept after clipping the box to the image.

    Args:
        alpha: Beta parameter; 1.0 draws the box area uniformly.

    Example:
        >>> mix = CutMix(alpha=1.0)
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__(alpha)

    def _mix(self, x: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
        if x.dim() < 3:
            raise DataError(
                f"CutMix needs image batches (B, C, H, W), got shape {tuple(x.shape)}; "
                "use MixUp for flat inputs"
            )
        box = cutmix_box(int(x.shape[-2]), int(x.shape[-1]), _draw_lambda(self.alpha))
        mixed, self.lam = cutmix_batch(x, perm, box)
        return mixed
