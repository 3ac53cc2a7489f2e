"""An image beyond Pillow's limit against decompression bombs is read, and the warning names its file."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from trainwell.vision.io import open_image, probe_images


def test_the_decompression_bomb_warning_names_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Pillow's own words named no file: "Image size (108000000 pixels) exceeds limit of 89478485 pixels, could be
    # decompression bomb DOS attack". The limit is lowered here so that a small file is over it.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000)
    big = tmp_path / "big.png"
    Image.fromarray(np.full((40, 30, 3), 200, dtype=np.uint8)).save(big)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image = open_image(big, "RGB")
        probe_images([big])
    assert image.size == (30, 40) and np.asarray(image)[0, 0].tolist() == [200, 200, 200]
    said = [str(item.message) for item in caught]
    assert (
        said
        == [
            f"'{big}' is 30x40 pixels (1,200), beyond Pillow's limit against decompression bombs (1,000): read anyway, "
            "as a file you gave; it is slow to decode, so shrink it if it is a photo like the others"
        ]
        * 2
    )
    assert not any(issubclass(item.category, Image.DecompressionBombWarning) for item in caught)
