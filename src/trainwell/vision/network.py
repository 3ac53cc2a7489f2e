"""The image model every vision artifact holds: normalisation + a registered architecture (+ the target's scale,
for a regression).

The normalisation lives inside the model (as buffers), so the training loop, evaluation, the predictor, ONNX
and the occlusion maps all feed the same thing: pixels as ``uint8`` 0..255 or floats 0..1. Nothing outside
the model has to remember the statistics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from trainwell.models.layers import target_scale
from trainwell.models.registry import create_model, register_model


@register_model("image_classifier", application="vision")
class ImageClassifier(nn.Module):
    """``net(normalise(pixels))``, then ``scale`` (``x * std + mean``) for a regression.

    Args:
        arch: a registered vision architecture (``"simple_cnn"``, ``"xresnet18"``...).
        arch_config: its settings (``n_out``, ``in_channels``...), plain JSON values.
        mean, std: per-channel statistics on the 0..1 scale.
        channels_last: keep activations in channels-last memory order (faster convolutions on GPUs).
        target_mean, target_std, target_range: a regression's training targets' statistics (each one number per
            target; the range ``[lows, highs]``): the output passes through
            :class:`~trainwell.models.layers.TargetScale`, so the network learns standardised numbers and the
            model answers in the target's units, within the range seen. A classifier has none, and no such
            module (its weights load as before).
    """

    mean: torch.Tensor
    std: torch.Tensor
    scale: nn.Module | None

    def __init__(
        self,
        arch: str,
        arch_config: dict[str, Any],
        mean: Sequence[float],
        std: Sequence[float],
        channels_last: bool = False,
        target_mean: Sequence[float] | None = None,
        target_std: Sequence[float] | None = None,
        target_range: Sequence[Sequence[float]] | None = None,
    ) -> None:
        super().__init__()
        self.net = create_model(arch, **arch_config)
        channels = len(mean)
        self.register_buffer("mean", torch.tensor(list(mean), dtype=torch.float32).view(1, channels, 1, 1))
        self.register_buffer("std", torch.tensor(list(std), dtype=torch.float32).view(1, channels, 1, 1))
        self.channels_last = channels_last
        # Registered only for a regression: a classifier's state dict stays as older artifacts hold it.
        scale = target_scale(target_mean, target_std, target_range)
        self.scale = scale[0] if scale else None

    def normalise(self, pixels: torch.Tensor) -> torch.Tensor:
        x = pixels.float() / 255.0 if pixels.dtype == torch.uint8 else pixels
        x = (x - self.mean) / self.std
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        output = self.net(self.normalise(pixels))
        return self.scale(output) if self.scale is not None else output

    def layer_groups(self) -> list[nn.Module]:
        split = getattr(self.net, "layer_groups", None)
        return list(split()) if callable(split) else [self.net]
