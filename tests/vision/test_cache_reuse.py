"""A folder of images small enough for memory is read from the disk cache's entry an earlier run left, not
decoded again: the decoding is inside a ``fit --time`` budget."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from image_files import make_image_folder
from trainwell.vision.cache import default_cache_dir
from trainwell.vision.data import image_data


def _mark_new_entries(before: set[Path], value: int) -> int:
    """Overwrite the pixels of the cache entries made since ``before`` with ``value``: an image read from them is
    then told from one decoded from its file. Returns how many entries were marked."""
    made = set(default_cache_dir().glob("*.npy")) - before
    for entry in made:
        pixels = np.load(entry, mmap_mode="r+")
        pixels[...] = value
        pixels.flush()
        del pixels
    return len(made)


@pytest.mark.filterwarnings("ignore:.*pixel-for-pixel copies")  # the marked entry's images are all alike
def test_an_entry_left_in_the_cache_is_read_instead_of_decoding(tmp_path: Path) -> None:
    folder = make_image_folder(tmp_path / "shapes", per_class=10, size=12, seed=3)
    default_cache_dir().mkdir(parents=True, exist_ok=True)
    before = set(default_cache_dir().glob("*.npy"))
    image_data(folder, cache=True, seed=0)  # an earlier run that kept the decoded images
    assert _mark_new_entries(before, 7) == 1

    data = image_data(folder, seed=0)  # the default: the set fits in memory
    train = data.train.tensors[0]  # type: ignore[attr-defined]
    assert bool((train == 7).all())  # the entry's pixels: nothing was decoded
    assert data.train.gather == "epoch"  # type: ignore[attr-defined]  # in memory, as decoded images would be

    decoded = image_data(folder, seed=0, cache=False)  # asked for memory alone: decoded from the files
    assert not bool((decoded.train.tensors[0] == 7).all())  # type: ignore[attr-defined]


def test_a_changed_file_is_decoded_again(tmp_path: Path) -> None:
    folder = make_image_folder(tmp_path / "shapes", per_class=10, size=12, seed=4)
    default_cache_dir().mkdir(parents=True, exist_ok=True)
    before = set(default_cache_dir().glob("*.npy"))
    image_data(folder, cache=True, seed=0)
    assert _mark_new_entries(before, 7) == 1
    changed = sorted(folder.rglob("*.png"))[0]
    make_image_folder(tmp_path / "other", per_class=1, size=12, seed=5)
    changed.write_bytes(
        sorted((tmp_path / "other").rglob("*.png"))[0].read_bytes()
    )  # its size and time change

    data = image_data(folder, seed=0)
    assert not bool((data.train.tensors[0] == 7).all())  # type: ignore[attr-defined]
