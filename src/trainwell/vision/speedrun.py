"""The ``speedrun`` recipe for small photos (CIFAR-10 class): a whitened 8-layer CNN trained for few epochs.

The record for CIFAR-10 is a line of "speedrun" scripts (Page 2018's ResNet-9 in 26 s, hlb-CIFAR10, Keller
Jordan's airbench: 94% in about 3.5 s on an A100). What makes them fast is a handful of choices that work
together, rebuilt here inside the library rather than as a separate loop:

- **Patch whitening**: the first layer is a 2x2 convolution whose filters are the eigenvectors of the training
  images' 2x2 patch covariance, scaled by ``1 / sqrt(eigenvalue)`` (and their negatives, so a GELU keeps both
  signs). It is computed once from up to 5,000 normalised training images and frozen: the network starts from
  decorrelated inputs instead of learning to decorrelate them.
- **Identity ("dirac") initialisation** of every 3x3 convolution's first ``in_channels`` filters: each block
  starts close to passing its input through, an implicit residual without residual branches.
- Three conv groups (``conv -> maxpool -> BN -> GELU -> conv -> BN -> GELU``) of widths 64 / 256 / 256, a global
  max-pool and a bias-free linear layer whose logits are scaled by 1/9. Batch-norm scales are fixed at 1 and
  their running statistics follow the batch fast (momentum 0.4); their **biases learn 64 times faster** than
  the other weights, done here by parametrising ``bias = 8 * raw`` (an SGD step on ``raw`` moves the bias
  64 times as far), so any optimizer works unchanged.
- Training (:data:`SPEEDRUN`): Nesterov SGD with momentum 0.85 at batch 1024 (halved on small sets until an
  epoch has 16 steps, the learning rate scaled with it: :func:`speedrun_batch_size`), label smoothing 0.2, a
  warm-up to the peak at 23% of the run then a decay to 7% of it, alternating flips (each image mirrored in
  every other epoch) and 2-pixel translations only, about 10 epochs. The records also evaluate with test-time
  augmentation, airbench's views (each image, it shifted one pixel up-left and down-right, and their mirror
  images), which is what TTA gives a model trained on pixel shifts; here it is asked for: ``learn.tta()``,
  ``predict(..., tta=True)`` or ``trainwell predict --tta`` (the validation metrics of the fit are those of plain
  predictions).
- Lookahead (:class:`~trainwell.callbacks.WeightAverage` with ``reset``): every 5 steps the network is pulled
  back to an exponential average of itself whose decay grows with the cube of progress, and the fit ends on it.

Not reproduced: freezing the whitening bias after three epochs and ``torch.compile`` (opt-in:
``vision_learner(..., compile=True)``, or ``fit_images(..., recipe="speedrun", learner_kwargs={"compile": True})``):
each is worth a fraction of an epoch. Changed on purpose: the schedule's phases are cosines where airbench's
are straight, and the batch-norm biases do not decay where airbench's do; both of airbench's together scored
79.23% against these choices' 79.24% (10,000 CIFAR-10 training images, 10 epochs, the full test set;
``fit_one_cycle(anneal="linear")`` gives the straight schedule).

On the JPEG copy of CIFAR-10 this project benchmarks with (quality 75, colour at half resolution), airbench94's
own code (adapted to read those files, fp32 on a CPU) reached 89.70% (90.83% with its TTA) where it averages 94.01%
on the original arrays; this recipe reached 89.65% (90.53%) on the same data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from trainwell.core.errors import ConfigError, DataError
from trainwell.models.registry import register_model
from trainwell.vision.models import _BodyHeadModel

__all__ = [
    "SPEEDRUN",
    "PatchWhitening",
    "ScaledBiasNorm",
    "WhitenedCNN",
    "patch_whitening",
    "speedrun_batch_size",
]

#: The training settings of the recipe (peak learning rate for a mean loss; weight decay is torch's L2 term).
SPEEDRUN: dict[str, Any] = {
    "arch": "whitened_cnn",
    "batch_size": 1024,
    "epochs": 10,
    "lr": 1.5,
    "wd": 1.33e-3,
    "momentum": 0.85,
    "label_smoothing": 0.2,
    "pct_start": 0.23,
    "div": 5.0,
    "div_final": 1 / 0.07,
    "translate_pixels": 2,
    # Lookahead: every 5 steps the weights move to an EMA of themselves, its decay growing as progress**3.
    "lookahead_every": 5,
    "lookahead_decay": 0.95**5,
}
#: Fewest optimizer steps per epoch: a smaller training set gets a smaller batch (see :func:`speedrun_batch_size`).
MIN_STEPS_PER_EPOCH = 16
#: Learning-rate multiplier of the batch-norm biases (through ``bias = sqrt(BIAS_LR_SCALE) * raw``).
BIAS_LR_SCALE = 64.0
#: Training images used to measure the patch covariance, and the most pixels (per channel) they may hold.
WHITENING_IMAGES, WHITENING_PIXELS = 5000, 5000 * 32 * 32


class ScaledBiasNorm(nn.BatchNorm2d):
    """Batch norm without a learnt scale, whose bias learns ``lr_scale`` times faster than other weights.

    A :class:`~torch.nn.BatchNorm2d` (so freezing and weight-decay rules treat it as a normalisation layer) with
    ``affine=False`` and one parameter, ``raw_bias``; the bias used is ``sqrt(lr_scale) * raw_bias``.

    Args:
        n_features: channels.
        momentum: weight of the current batch in the running statistics (0.4: they follow training closely,
            which matters when weights move fast).
        eps: added to the variance.
        lr_scale: how much faster the bias learns under any first-order optimizer.
    """

    def __init__(
        self, n_features: int, momentum: float = 0.4, eps: float = 1e-12, lr_scale: float = 64.0
    ) -> None:
        super().__init__(n_features, eps=eps, momentum=momentum, affine=False)
        self.multiplier = float(lr_scale) ** 0.5
        self.raw_bias = nn.Parameter(torch.zeros(n_features))
        # A fixed scale of ones rather than none: CUDA's batch-norm backward with no weight but a bias returns an
        # empty bias gradient ("invalid gradient at index 2"); with a weight that needs no gradient it is right.
        self.unit_scale: torch.Tensor
        self.register_buffer("unit_scale", torch.ones(n_features), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.batch_norm(
            x,
            self.running_mean,
            self.running_var,
            self.unit_scale,
            self.raw_bias * self.multiplier,
            self.training,
            float(self.momentum or 0.0),
            self.eps,
        )


class PatchWhitening(nn.Module):
    """A ``k x k`` convolution whose filters are fixed (a buffer, set by :meth:`fit`) and whose bias learns.

    Until :meth:`fit` sees training images the filters are random (Kaiming), so the network also works untrained.
    """

    def __init__(self, in_channels: int, kernel: int = 2) -> None:
        super().__init__()
        n_out = 2 * in_channels * kernel * kernel
        self.weight: torch.Tensor
        self.register_buffer(
            "weight", nn.init.kaiming_normal_(torch.empty(n_out, in_channels, kernel, kernel))
        )
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight, self.bias)  # (B, C, H, W) -> (B, 2Ck², H - k + 1, W - k + 1)

    def fit(self, images: torch.Tensor, eps: float = 5e-4) -> None:
        """Set the filters from normalised training images ``(N, C, H, W)`` (see :func:`patch_whitening`)."""
        self.weight.copy_(patch_whitening(images, self.weight.size(-1), eps).to(self.weight))


class _Conv(nn.Conv2d):
    """A bias-free 3x3 'same' convolution whose first ``in_channels`` filters start as the identity."""

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__(n_in, n_out, kernel_size=3, padding=1, bias=False)
        with torch.no_grad():
            nn.init.dirac_(self.weight[: min(n_in, n_out)])


def _conv_group(n_in: int, n_out: int) -> nn.Sequential:
    return nn.Sequential(
        _Conv(n_in, n_out),
        nn.MaxPool2d(2),
        ScaledBiasNorm(n_out, lr_scale=BIAS_LR_SCALE),
        nn.GELU(),
        _Conv(n_out, n_out),
        ScaledBiasNorm(n_out, lr_scale=BIAS_LR_SCALE),
        nn.GELU(),
    )


class _Scale(nn.Module):
    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = float(factor)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor


@register_model("whitened_cnn", application="vision")
class WhitenedCNN(_BodyHeadModel):
    """The speedrun network (see the module docstring): whitening, three conv groups, max-pool, scaled logits.

    ``body`` = whitening, GELU, the conv groups; ``head`` = global max-pool, a bias-free linear layer, the scale.

    Args:
        n_out: outputs (classes).
        in_channels: image channels.
        widths: widths of the conv groups.
        whitening_kernel: side of the whitening patches (2: 2x2).
        logit_scale: factor on the logits (1/9: a softer start for the softmax).
    """

    def __init__(
        self,
        n_out: int,
        in_channels: int = 3,
        widths: Sequence[int] = (64, 256, 256),
        whitening_kernel: int = 2,
        logit_scale: float = 1 / 9,
    ) -> None:
        super().__init__()
        sizes = list(widths)
        if len(sizes) < 1 or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in sizes):
            raise ConfigError(f"widths must list positive integers, e.g. [64, 256, 256]; got {widths!r}")
        for name, value in (
            ("n_out", n_out),
            ("in_channels", in_channels),
            ("whitening_kernel", whitening_kernel),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        whitening = PatchWhitening(in_channels, whitening_kernel)
        stages: list[nn.Module] = [whitening, nn.GELU()]
        n_in = whitening.weight.size(0)
        for width in sizes:
            stages.append(_conv_group(n_in, width))
            n_in = width
        self.body = nn.Sequential(*stages)
        self.head = nn.Sequential(
            nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(n_in, n_out, bias=False), _Scale(logit_scale)
        )
        self.split_at = 3  # whitening + first group | later groups | head

    @property
    def whiten(self) -> PatchWhitening:
        first = self.body[0]
        assert isinstance(first, PatchWhitening)
        return first

    def init_whitening(self, images: torch.Tensor, eps: float = 5e-4) -> None:
        """Set the first layer from normalised training images ``(N, C, H, W)`` (see :func:`patch_whitening`)."""
        with torch.no_grad():
            self.whiten.fit(images, eps)


def smallest_side(widths: Sequence[int] = (64, 256, 256), whitening_kernel: int = 2) -> int:
    """The fewest pixels a side of an image :class:`WhitenedCNN` can read: its whitening (no padding) takes
    ``whitening_kernel - 1`` off each side, then each conv group halves it, and a side pooled to nothing fails in
    torch's words on the first batch. 9 for the defaults.

    Example:
        >>> smallest_side(), smallest_side((64, 128))
        (9, 5)
    """
    return 2 ** len(list(widths)) + int(whitening_kernel) - 1


def speedrun_batch_size(n_images: int) -> int:
    """The recipe's batch (1024), halved until an epoch of ``n_images`` has ``MIN_STEPS_PER_EPOCH`` steps (>= 32).

    1,200 images: 64; CIFAR-10's 50,000: 1024.
    """
    fitting = 2 ** math.floor(math.log2(max(n_images, 1) / MIN_STEPS_PER_EPOCH))
    return int(min(SPEEDRUN["batch_size"], max(32, fitting)))


def patch_whitening(images: torch.Tensor, kernel: int = 2, eps: float = 5e-4) -> torch.Tensor:
    """Convolution filters ``(2 * C * k * k, C, k, k)`` that whiten the ``k x k`` patches of ``images``.

    The filters are the eigenvectors of the patch covariance divided by ``sqrt(eigenvalue + eps)``, largest
    eigenvalue first, followed by their negatives.
    """
    if images.ndim != 4 or images.size(0) == 0 or min(images.shape[2:]) < kernel:
        raise DataError(
            f"patch whitening needs a batch of images (N, C, H, W) at least {kernel} pixels wide; got shape "
            f"{tuple(images.shape)}"
        )
    x = images.float()
    channels = x.size(1)
    patches = x.unfold(2, kernel, 1).unfold(3, kernel, 1)  # (N, C, H', W', k, k)
    patches = patches.permute(0, 2, 3, 1, 4, 5).reshape(-1, channels * kernel * kernel)
    covariance = patches.T @ patches / patches.size(0)
    eigenvalues, eigenvectors = torch.linalg.eigh(covariance.double())  # ascending
    order = torch.argsort(eigenvalues, descending=True)
    scaled = eigenvectors[:, order].T / torch.sqrt(eigenvalues[order].clamp(min=0) + eps)[:, None]
    filters = scaled.reshape(-1, channels, kernel, kernel).float()
    return torch.cat([filters, -filters])
