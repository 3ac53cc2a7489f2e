"""The image recipe: the size, channels and normalisation an image model was trained with."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from trainwell.core.errors import ArtifactError, ConfigError
from trainwell.vision.io import RESIZE_METHODS


@dataclass(frozen=True)
class ImageRecipe:
    """How raw images become model inputs: decoded to ``channels``, fitted to ``size`` by ``resize``.

    ``mean`` and ``std`` (per channel, on the 0..1 scale) are measured on the training images, or, for a
    fine-tune, are those the pretrained weights were trained with (``extra["normalisation"]`` says so; see
    :mod:`~trainwell.vision.normalisation`); the model applies them itself (see
    :class:`~trainwell.vision.network.ImageClassifier`), so every consumer feeds plain 0..1 pixels (or ``uint8``).
    """

    size: tuple[int, int]
    channels: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    resize: str = "crop"
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.channels not in (1, 3):
            raise ConfigError(f"images must have 1 or 3 channels, got {self.channels}")
        if len(self.size) != 2 or min(self.size) < 8:
            raise ConfigError(f"image size must be (height, width) of at least 8 pixels, got {self.size}")
        if self.resize not in RESIZE_METHODS:
            raise ConfigError(f"--resize must be one of {', '.join(RESIZE_METHODS)}, got {self.resize!r}")

    @classmethod
    def fit(cls, images: np.ndarray, resize: str = "crop", sample: int = 5000) -> ImageRecipe:
        """Measure the per-channel statistics of ``uint8`` images ``(N, C, H, W)`` (on a sample)."""
        step = max(1, len(images) // sample)
        pixels = images[::step].astype(np.float32) / 255.0
        mean = pixels.mean(axis=(0, 2, 3))
        std = np.maximum(pixels.std(axis=(0, 2, 3)), 1e-3)
        return cls(
            size=(int(images.shape[2]), int(images.shape[3])),
            channels=int(images.shape[1]),
            mean=tuple(round(float(v), 5) for v in mean),
            std=tuple(round(float(v), 5) for v in std),
            resize=resize,
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["size"] = list(self.size)
        data["mean"], data["std"] = list(self.mean), list(self.std)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImageRecipe:
        try:
            return cls(
                size=(int(data["size"][0]), int(data["size"][1])),
                channels=int(data["channels"]),
                mean=tuple(float(v) for v in data["mean"]),
                std=tuple(float(v) for v in data["std"]),
                resize=str(data.get("resize", "crop")),
                extra=dict(data.get("extra", {})),
            )
        except (KeyError, TypeError, ValueError, IndexError) as error:
            raise ArtifactError(f"the image recipe in trainwell.json is malformed: {error}") from error
