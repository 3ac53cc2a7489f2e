"""What an image fit chose, in words: the architecture, the size, the augmentation and the normalisation.

``trainwell fit photos/`` says it in one line before training (README: "size, normalisation, augmentation and
architecture chosen from the data"), and ``trainwell info`` says the augmentation from the model directory's
recipe. Plain values in, text out, and no torch: ``info`` reads ``trainwell.json`` without loading it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Images whose median side is at most this are kept at their own size (vision.data.NATIVE_SIZE_LIMIT).
NATIVE_SIZE_LIMIT = 64
#: Largest side for which ``--arch auto`` picks the small CNN (vision.learner.SMALL_IMAGE).
SMALL_IMAGE = 32


def describe_augmentation(settings: Mapping[str, Any] | None, preset: str | None = None) -> str:
    """``'digits' (turns up to 10°, zooms up to 10%, shifts up to 10%)``: the preset's name when known (a model
    saved before the name was recorded has none), then what its settings change; ``none`` when nothing.

    >>> describe_augmentation({"flip": True, "min_scale": 0.75, "max_scale": 1.0, "brightness": 0.1}, "default")
    "'default' (flips, crops of 75-100% of the area, brightness)"
    >>> describe_augmentation(None)
    'none'
    """
    changes = augmentation_changes(settings or {})
    named = f"'{preset}'" if preset else ""
    if not changes:
        return f"{named} (none)" if preset and preset != "none" else "none"
    listed = ", ".join(changes)
    return f"{named} ({listed})" if named else listed


def augmentation_changes(settings: Mapping[str, Any]) -> list[str]:
    """What :class:`~trainwell.vision.augment.Augmentation` settings (its ``to_dict()``) change, in words."""

    def value(name: str, default: float = 0.0) -> float:
        found = settings.get(name, default)
        return float(found) if isinstance(found, int | float) and not isinstance(found, bool) else default

    said: list[str] = []
    flip = settings.get("flip", False)
    if flip:
        said.append("alternating flips" if flip == "alternate" else "flips")
    if value("min_scale", 1.0) < 1:
        low, high = value("min_scale", 1.0), value("max_scale", 1.0)
        said.append(f"crops of {low * 100:.0f}-{high * 100:.0f}% of the area")
    if value("p_affine", 0.75) > 0:
        if value("max_rotate") > 0:
            said.append(f"turns up to {value('max_rotate'):g}°")
        if value("max_zoom") > 0:
            said.append(f"zooms up to {value('max_zoom'):.0%}")
        if value("max_translate") > 0:
            said.append(f"shifts up to {value('max_translate'):.0%}")
    if value("pixel_shift") > 0:
        said.append(f"shifts of up to {value('pixel_shift'):g} pixels")
    if value("p_color", 0.75) > 0:
        colours = [name for name in ("brightness", "contrast", "saturation") if value(name) > 0]
        if colours:
            said.append("/".join(colours))
    for name, probability, words in (
        ("max_blur", "blur_p", "blur"),
        ("max_noise", "noise_p", "noise"),
        ("max_streaks", "streak_p", "streaks"),
        ("min_contrast", "low_contrast_p", "faded ink"),
    ):
        if value(probability) > 0 and value(name, 1.0) > 0:
            said.append(words)
    if value("erase_p") > 0:
        said.append("erased patches")
    return said


def describe_size(size: tuple[int, int], *, given: bool, from_files: bool, like: bool = False) -> str:
    """``32x32 (the images' median size)``: the size the images are fitted to, and why that one."""
    if like:
        why = "like='s"
    elif given:
        why = "as asked"
    elif not from_files:
        why = "the images' own size"
    elif max(size) <= NATIVE_SIZE_LIMIT:
        why = "the images' median size"
    else:
        why = f"the default for images over {NATIVE_SIZE_LIMIT} px"
    return f"{size[0]}x{size[1]} ({why})"


def describe_normalisation(extra: Mapping[str, Any]) -> str:
    """Where the statistics the model normalises with came from."""
    source = extra.get("normalisation")
    return (
        f"normalised with the statistics {source}"
        if source
        else "normalised with the training images' mean and std"
    )


def choices_line(arch: str, asked: str, size: str, augmentation: str, normalisation: str) -> str:
    """The one line an image fit says before training (``asked``: the ``arch`` asked for, ``auto`` or a name;
    ``speedrun`` for the speedrun recipe's, ``pretrained`` for a fine-tune's)."""
    why = " (the speedrun recipe's)" if asked == "speedrun" else ""
    if asked == "auto":
        why = f" (auto: images {'up to' if arch == 'simple_cnn' else 'over'} {SMALL_IMAGE} px)"
    return f"images: {arch}{why} at {size}, augmentation {augmentation}, {normalisation}"
