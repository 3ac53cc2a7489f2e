"""An image augmentation's settings, its presets and what test-time augmentation makes of them, without torch.

:class:`AugmentationConfig` is :class:`~trainwell.vision.augment.Augmentation` less the pixels' work: the
settings a recipe records (``trainwell.json``'s ``augmentation``), checked, and the presets. An ONNX server
describes an image model's test-time augmentation from them (:func:`describe_tta`) without importing torch,
which only making the views needs (:mod:`trainwell.vision.augment`, :mod:`trainwell.vision.transform`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Self

from trainwell.core.errors import ConfigError

Size = int | tuple[int, int]


def _pair(size: Size, name: str = "size") -> tuple[int, int]:
    height, width = (size, size) if isinstance(size, int) else tuple(size)
    if (
        isinstance(height, bool)
        or not isinstance(height, int)
        or not isinstance(width, int)
        or min(height, width) < 1
    ):
        raise ConfigError(
            f"{name} must be a whole number >= 1 or (height, width), got {size!r}; pass e.g. {name}=64"
        )
    return height, width


# ------------------------------------------------------------------------------------------------ config
def _number(name: str, value: Any, low: float, high: float, *, low_open: bool = False, example: str) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > low if low_open else value >= low) and value <= high
    if not ok:
        bracket = "(" if low_open else "["
        raise ConfigError(
            f"Augmentation {name} must be a number in {bracket}{low:g}, {high:g}], got {value!r}; "
            f"pass e.g. {name}={example}"
        )


def _whole(name: str, value: Any, low: int, high: int, *, example: int, unit: str = "") -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(
            f"Augmentation {name} must be a whole number{unit} from {low} to {high}, got {value!r}; "
            f"pass e.g. {name}={example}"
        )


def _ordered(low_name: str, low: float, high_name: str, high: float) -> None:
    if low > high:
        raise ConfigError(
            f"Augmentation {low_name} ({low!r}) must not exceed {high_name} ({high!r}); swap or widen them"
        )


@dataclass(frozen=True)
class AugmentationConfig:
    """The training-time augmentation's settings, plain and JSON-serialisable (:class:`~trainwell.vision.augment.
    Augmentation` applies them to images).

    The bare constructor changes nothing (every operation is off); start from a preset and adjust with
    ``dataclasses.replace``. Calling it applies, in order: geometry (one warp: random resized crop, flip,
    rotate, zoom, translate), colour, document degradations (low contrast, blur, noise, streaks), then random
    erasing. Each operation draws per image whether it applies (``p_*``) and how strongly.

    Attributes:
        size: output size (``int`` for square or ``(height, width)``); ``None`` keeps the input's.
        flip: mirror left-right half of the time; ``"alternate"``: during training each image is mirrored in
            every other epoch, starting from a per-image random choice (the speed records' alternating flip:
            every image is seen both ways in any two epochs in a row).
        max_rotate: largest rotation, degrees. ``max_zoom``: zoom factor up to ``1 + max_zoom`` (in or out).
        max_translate: largest shift, as a fraction of the output size. ``p_affine``: chance of
            rotate/zoom/translate per image.
        pixel_shift: shift every image by a whole number of pixels up to this many, each way, with reflected
            borders (after the warp): unlike ``max_translate``, no resampling, so training images stay as sharp
            as test images (the CIFAR-10 speed records' augmentation).
        min_scale, max_scale: random resized crop: fraction of the image area kept (``1, 1`` = no crop).
        min_ratio, max_ratio: crop aspect relative to the output's (``1, 1`` = no distortion).
        brightness, contrast, saturation: factors drawn in ``[1 - v, 1 + v]``; ``p_color``: chance per image.
        erase_p: chance of one erased rectangle per image, covering ``erase_min_area`` to ``erase_max_area``,
            filled with noise or ``erase_value``.
        blur_p, max_blur: chance of a Gaussian blur and its largest sigma in pixels.
        noise_p, max_noise: chance of white noise and its largest standard deviation.
        streak_p, max_streaks: chance of scanner streaks and the most lines per image.
        low_contrast_p, min_contrast: chance of faded ink and the smallest share of contrast kept.

    Example:
        >>> import json, dataclasses
        >>> aug = dataclasses.replace(AugmentationConfig.digits(28), max_rotate=15.0)
        >>> AugmentationConfig.from_dict(json.loads(json.dumps(aug.to_dict()))) == aug
        True
    """

    size: int | tuple[int, int] | None = None
    flip: bool | str = False
    max_rotate: float = 0.0
    max_zoom: float = 0.0
    max_translate: float = 0.0
    p_affine: float = 0.75
    min_scale: float = 1.0
    max_scale: float = 1.0
    min_ratio: float = 1.0
    max_ratio: float = 1.0
    brightness: float = 0.0
    contrast: float = 0.0
    saturation: float = 0.0
    p_color: float = 0.75
    erase_p: float = 0.0
    erase_min_area: float = 0.02
    erase_max_area: float = 0.25
    erase_value: float | None = None
    blur_p: float = 0.0
    max_blur: float = 1.0
    noise_p: float = 0.0
    max_noise: float = 0.05
    streak_p: float = 0.0
    max_streaks: int = 3
    low_contrast_p: float = 0.0
    min_contrast: float = 0.5
    pixel_shift: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.size, list):  # from JSON
            object.__setattr__(self, "size", tuple(self.size))
        if self.size is not None:
            _pair(self.size, "Augmentation size")
        if not isinstance(self.flip, bool) and self.flip != "alternate":
            raise ConfigError(f"Augmentation flip must be true, false or 'alternate', got {self.flip!r}")
        _number("max_rotate", self.max_rotate, 0, 180, example="10.0")
        _number("max_zoom", self.max_zoom, 0, 1, example="0.1")
        _number("max_translate", self.max_translate, 0, 0.5, example="0.1")
        _number("min_scale", self.min_scale, 0, 1, low_open=True, example="0.35")
        _number("max_scale", self.max_scale, 0, 1, low_open=True, example="1.0")
        _ordered("min_scale", self.min_scale, "max_scale", self.max_scale)
        _number("min_ratio", self.min_ratio, 0.1, 10, example="0.75")
        _number("max_ratio", self.max_ratio, 0.1, 10, example="1.333")
        _ordered("min_ratio", self.min_ratio, "max_ratio", self.max_ratio)
        for name in ("brightness", "contrast", "saturation"):
            _number(name, getattr(self, name), 0, 0.95, example="0.2")
        for name in ("p_affine", "p_color", "erase_p", "blur_p", "noise_p", "streak_p", "low_contrast_p"):
            _number(name, getattr(self, name), 0, 1, example="0.5")
        _number("erase_min_area", self.erase_min_area, 0, 1, low_open=True, example="0.02")
        _number("erase_max_area", self.erase_max_area, 0, 1, low_open=True, example="0.25")
        _ordered("erase_min_area", self.erase_min_area, "erase_max_area", self.erase_max_area)
        if self.erase_value is not None:
            _number("erase_value", self.erase_value, 0, 1, example="0.0")
        _number("max_blur", self.max_blur, 0, 10, example="1.0")
        _number("max_noise", self.max_noise, 0, 1, example="0.05")
        _whole("max_streaks", self.max_streaks, 1, 20, example=3)
        _number("min_contrast", self.min_contrast, 0, 1, low_open=True, example="0.5")
        _whole("pixel_shift", self.pixel_shift, 0, 64, example=2, unit=" of pixels")

    # ----------------------------------------------------------------------------------------- presets
    @classmethod
    def none(cls, image_size: Size | None = None) -> Self:
        """No augmentation: only :func:`center_crop_resize` to ``image_size`` when one is given."""
        return cls(size=image_size)

    @classmethod
    def default(cls, image_size: Size | None = None, channels: int = 3) -> Self:
        """Natural photos: random resized crop (35-100% of the area), flips, rotations up to 10°, colour.

        ``channels=1`` drops the saturation jitter, which means nothing for grey images.
        """
        if channels not in (1, 3):
            raise ConfigError(f"channels must be 1 (grey) or 3 (RGB), got {channels!r}")
        return cls(
            size=image_size,
            flip=True,
            max_rotate=10.0,
            min_scale=0.35,
            max_scale=1.0,
            min_ratio=3 / 4,
            max_ratio=4 / 3,
            brightness=0.2,
            contrast=0.2,
            saturation=0.2 if channels == 3 else 0.0,
        )

    @classmethod
    def digits(cls, image_size: Size | None = None) -> Self:
        """Small grey characters (MNIST-like): no flips (a mirrored 2 is not a 2), small rotate/zoom/shift."""
        return cls(size=image_size, max_rotate=10.0, max_zoom=0.1, max_translate=0.1, p_affine=0.9)

    @classmethod
    def documents(cls, image_size: Size | None = None) -> Self:
        """Scanned or faxed pages: slight skew and shift, then blur, noise, streaks and faded ink."""
        return cls(
            size=image_size,
            max_rotate=3.0,
            max_zoom=0.05,
            max_translate=0.03,
            brightness=0.1,
            contrast=0.2,
            blur_p=0.3,
            max_blur=1.0,
            noise_p=0.3,
            max_noise=0.05,
            streak_p=0.2,
            low_contrast_p=0.3,
            min_contrast=0.5,
        )

    # ----------------------------------------------------------------------------------- serialising
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (a ``(height, width)`` size becomes a list)."""
        data = asdict(self)
        if isinstance(self.size, tuple):
            data["size"] = list(self.size)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Rebuild from :meth:`to_dict` output; unknown keys are an error (a typo must not pass silently)."""
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"unknown Augmentation setting(s) {', '.join(unknown)}; "
                f"known settings are: {', '.join(sorted(known))}"
            )
        return cls(**data)

    # ------------------------------------------------------------------------------------------ views
    def _geometric(self) -> bool:
        moves = self.p_affine > 0 and (self.max_rotate > 0 or self.max_zoom > 0 or self.max_translate > 0)
        crops = self.min_scale < 1 or self.min_ratio != 1 or self.max_ratio != 1
        return bool(self.flip) or moves or crops

    def fills_at_random(self) -> bool:
        """Whether some pixels are drawn at random (Gaussian noise, erasing with random values)."""
        return (self.noise_p > 0 and self.max_noise > 0) or (self.erase_p > 0 and self.erase_value is None)

    def changes_views(self) -> bool:
        """Whether a test-time view made by this augmentation differs from the image: a resize alone, to the size
        the images have already, does not (``--augment none``)."""
        degrades = (self.blur_p > 0 and self.max_blur > 0) or (self.noise_p > 0 and self.max_noise > 0)
        degrades = degrades or self.streak_p > 0 or self.low_contrast_p > 0 or self.erase_p > 0
        colours = self.p_color > 0 and (self.brightness > 0 or self.contrast > 0 or self.saturation > 0)
        return self._geometric() or colours or degrades or self.pixel_shift > 0

    def _changes_pixels(self) -> bool:
        return self.changes_views() or self.size is not None


#: What ``tta_probabilities(views=...)`` takes.
TTA_VIEWS = ("auto", "augmented", "shifted")


def tta_views_for(augmentation: AugmentationConfig | None, views: str = "auto") -> str | None:
    """The views ``views="auto"`` stands for with this training augmentation: ``"shifted"`` for a model trained
    on whole-pixel shifts (the speedrun recipe), ``"augmented"`` for other augmentations, ``None`` (the plain
    prediction alone) without augmentation."""
    if views not in TTA_VIEWS:
        raise ConfigError(f"TTA views must be one of {', '.join(TTA_VIEWS)}; got {views!r}")
    if augmentation is None or not augmentation.changes_views():  # trained without (--augment none)
        return None
    if views != "auto":
        return views
    return "shifted" if augmentation.pixel_shift > 0 else "augmented"


def describe_tta(
    augmentation: AugmentationConfig | None,
    views: str = "auto",
    n_views: int = 4,
    what: str = "probabilities",
) -> str:
    """What :func:`tta_probabilities` averages, in words (``trainwell predict --tta`` says it); ``what`` names
    the outputs averaged (``"predicted numbers"`` for a regression)."""
    kind = tta_views_for(augmentation, views)
    if kind is None or n_views < 1:
        return "the model trained without augmentation, so there are no views to average: these are the plain predictions"
    assert augmentation is not None
    mirrors = ", and the mirror images of all three" if augmentation.flip else ""
    if kind == "shifted":
        return (
            f"each image's {what} average the image (half) and its shifts by one pixel up-left and "
            f"down-right{mirrors}"
        )
    return f"each image's {what} blend its plain view (half) with {n_views} views augmented as in training"
