"""Which per-channel mean and standard deviation an image model normalises its inputs with.

Trained from scratch, a model normalises with the statistics of its training images (:meth:`ImageRecipe.fit`).
Fine-tuned, its first layers were trained on inputs normalised another way: with the new data's statistics
every input is shifted and rescaled from what those layers learned on, and the first epochs spend themselves
undoing it. So a fine-tune keeps the statistics the weights were trained with:

- a trainwell model (a directory, or its ``model.safetensors``): the ``mean``/``std`` its classifier applied
  (the buffers of :class:`~trainwell.vision.network.ImageClassifier`, the same numbers as its recipe);
- a timm network: the mean and std of its pretrained configuration (``pretrained_cfg``), ImageNet's for most;
- a torchvision network: ImageNet's, which every torchvision classification weight documents;
- weights with no record of their statistics (a bare ``state_dict`` of a built-in architecture): the new data's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

#: ImageNet's per-channel statistics (0..1 scale), as torchvision's and most of timm's weights were trained with.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Normalisation:
    """Per-channel ``mean`` and ``std`` on the 0..1 scale, and where they came from (said in the artifact)."""

    mean: tuple[float, ...]
    std: tuple[float, ...]
    source: str

    def for_channels(self, channels: int) -> Normalisation:
        """The statistics for images of ``channels`` channels, matching how the first convolution is adapted.

        Colour statistics for grayscale images are averaged (the stem's kernels are summed over the colours);
        grayscale statistics for colour images are repeated (the kernels are repeated and scaled).

        >>> Normalisation((0.2, 0.4, 0.6), (0.1, 0.2, 0.3), "x").for_channels(1).mean
        (0.4,)
        """
        if len(self.mean) == channels:
            return self
        mean: tuple[float, ...]
        std: tuple[float, ...]
        if channels == 1:
            mean = (round(sum(self.mean) / len(self.mean), 5),)
            std = (round(sum(self.std) / len(self.std), 5),)
        else:
            mean, std = (self.mean[0],) * channels, (self.std[0],) * channels
        return Normalisation(mean, std, self.source)


def from_weights(state: Mapping[str, torch.Tensor], source: str) -> Normalisation | None:
    """The statistics a trainwell image classifier's weights hold (its ``mean``/``std`` buffers), else ``None``."""
    mean, std = state.get("mean"), state.get("std")
    if mean is None or std is None or not any(key.startswith("net.") for key in state):
        return None  # a bare network's weights: nothing says how its inputs were normalised
    return Normalisation(_values(mean), _values(std), f"the pretrained model {source}")


def from_library(library: str, network: Any) -> Normalisation:
    """The statistics a timm or torchvision network's published weights were trained with."""
    if library == "timm":
        config = getattr(network, "pretrained_cfg", None) or getattr(network, "default_cfg", None) or {}
        mean, std = config.get("mean"), config.get("std")
        if mean and std:
            tag = config.get("architecture") or config.get("tag") or "its"
            return Normalisation(
                tuple(float(v) for v in mean), tuple(float(v) for v in std), f"timm's pretrained_cfg ({tag})"
            )
    return Normalisation(IMAGENET_MEAN, IMAGENET_STD, f"ImageNet's, as {library}'s pretrained weights use")


def _values(buffer: torch.Tensor) -> tuple[float, ...]:
    return tuple(round(float(v), 6) for v in buffer.reshape(-1).tolist())


def apply(model: torch.nn.Module, normalisation: Normalisation) -> None:
    """Set an :class:`~trainwell.vision.network.ImageClassifier`'s ``mean``/``std`` buffers in place."""
    with torch.no_grad():
        for buffer, values in ((model.mean, normalisation.mean), (model.std, normalisation.std)):
            buffer.copy_(torch.tensor(values, dtype=torch.float32).view_as(buffer))  # type: ignore[union-attr, operator, arg-type]
