"""A few colour images (CMYK, RGBA, a JPEG named .png) among grayscale ones: the majority decides."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from image_files import make_image_folder, shape_image
from trainwell.vision.data import image_data


def _stray(root: Path, kind: str) -> Path:
    """One colour file of ``kind`` among the grey ones, drawn as a grey digit would be."""
    grey = shape_image("vertical", np.random.default_rng(9), 28, "L")
    if kind == "cmyk":
        path = root / "vertical" / "stray.jpg"
        grey.convert("RGB").convert("CMYK").save(path, "JPEG")
    elif kind == "rgba":
        path = root / "vertical" / "stray.png"
        grey.convert("RGBA").save(path, "PNG")
    else:  # a JPEG saved under a .png name
        path = root / "vertical" / "stray.png"
        grey.convert("RGB").save(path, "JPEG")
    return path


def _read(root: Path) -> tuple[object, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = image_data(root, seed=0)
    return data, [str(w.message) for w in caught if "in colour" in str(w.message)]


@pytest.mark.parametrize("kind", ["cmyk", "rgba", "jpeg_named_png"])
def test_one_stray_colour_image_keeps_a_grey_model_and_its_digit_augmentation(
    tmp_path: Path, kind: str
) -> None:
    # Before: one such file among 90 grey digits made the model 3-channel and its augmentation the photo preset
    # (flips and crops), and the warning spoke of channels only.
    root = make_image_folder(tmp_path / "digits", per_class=45, size=28, mode="L")
    stray = _stray(root, kind)
    with Image.open(stray) as opened:
        assert opened.mode not in ("L", "1")  # the file really is in colour
    data, said = _read(root)
    assert data.model_hints["in_channels"] == 1  # type: ignore[attr-defined]
    assert data.recipe.extra["augmentation_preset"] == "digits"  # type: ignore[attr-defined]
    assert len(said) == 1 and "\n" not in said[0]
    line = said[0]
    assert line.startswith(f"1 of the 91 images looked at is in colour ('{stray}')")
    assert "read as grayscale" in line and "augmentation is chosen for grayscale images" in line
    assert "--augment default" in line  # how to override
    # The stray image was converted, not dropped: 91 images in all, each of one channel.
    paths = data.paths  # type: ignore[attr-defined]
    assert sum(len(split) for split in paths.values()) == 91
    assert any(Path(p) == stray for split in paths.values() for p in split)


def test_many_colour_files_are_named_with_their_count(tmp_path: Path) -> None:
    root = make_image_folder(tmp_path / "digits", per_class=60, size=28, mode="L")
    rng = np.random.default_rng(3)
    for index in range(5):  # 5 of 125: 4%, still a few
        shape_image("horizontal", rng, 28, "RGB").save(root / "horizontal" / f"c{index}.jpg")
    data, said = _read(root)
    assert data.model_hints["in_channels"] == 1  # type: ignore[attr-defined]
    assert len(said) == 1 and said[0].startswith("5 of the 125 images looked at are in colour (")
    assert " and 2 more), the others grayscale" in said[0]


def test_a_folder_with_many_colour_images_is_read_in_colour(tmp_path: Path) -> None:
    # Colour beyond a few strays is the data's nature: 3 channels and the photo preset, as before.
    root = make_image_folder(tmp_path / "mixed", per_class=20, size=28, mode="L")
    rng = np.random.default_rng(4)
    for index in range(10):
        shape_image("vertical", rng, 28, "RGB").save(root / "vertical" / f"c{index}.png")
    data, said = _read(root)
    assert said == []
    assert data.model_hints["in_channels"] == 3  # type: ignore[attr-defined]
    assert data.recipe.extra["augmentation_preset"] == "default"  # type: ignore[attr-defined]
