"""A folder of loose images named <label><number> (Kaggle's dogs-vs-cats, the Oxford pets) is read with each
image's label taken from its name; other loose images are refused as before."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from image_files import shape_image
from trainwell.core.errors import DataError
from trainwell.vision import image_data
from trainwell.vision.io import folder_splits, labels_from_names


@pytest.mark.parametrize(
    ("names", "labels"),
    [
        (["cat.0", "cat.1", "dog.0", "dog.12"], ["cat", "cat", "dog", "dog"]),  # dogs-vs-cats
        (
            ["Abyssinian_1", "Abyssinian_10", "great_pyrenees_173", "great_pyrenees_2"],  # Oxford pets
            ["Abyssinian", "Abyssinian", "great_pyrenees", "great_pyrenees"],
        ),
        (["ship (1)", "ship (2)", "car-7", "car-08"], ["ship", "ship", "car", "car"]),
        (["a1", "a2", "b3", "b4"], ["a", "a", "b", "b"]),
    ],
    ids=["dots", "underscores", "brackets-dashes", "no-separator"],
)
def test_labels_are_the_part_of_a_name_before_its_number(names: list[str], labels: list[str]) -> None:
    assert labels_from_names([Path(f"{name}.jpg") for name in names]) == labels


@pytest.mark.parametrize(
    "names",
    [
        ["IMG_0001", "IMG_0002", "IMG_0003", "IMG_0004"],  # one camera's: one label
        ["cat.0", "cat.1", "dog.0", "kitten"],  # a name without a number
        ["cat.0", "cat.1", "cat.2", "dog.0"],  # a label with one image
        ["a1", "a2", "b1", "b2", "c1", "d1", "e1", "f1"],  # nearly a label per image
        ["0001", "0002", "0003", "0004"],  # numbers only
    ],
    ids=["one-label", "no-number", "single-image", "too-many-labels", "numbers"],
)
def test_names_that_do_not_read_as_labels_are_left_alone(names: list[str]) -> None:
    assert labels_from_names([Path(f"{name}.png") for name in names]) is None


def _flat(folder: Path, prefixes: dict[str, str], per_class: int, start: int = 0) -> Path:
    rng = np.random.default_rng(start)
    folder.mkdir(parents=True)
    for shape, prefix in prefixes.items():
        for index in range(start, start + per_class):
            shape_image(shape, rng, 16).save(folder / f"{prefix}.{index}.png")
    return folder


def test_image_data_reads_labels_from_names_in_a_flat_folder_and_its_splits(tmp_path: Path) -> None:
    prefixes = {"horizontal": "cat", "vertical": "dog"}
    flat = _flat(tmp_path / "train", prefixes, 10)
    with pytest.warns(
        UserWarning,
        match=r"no class sub-folders: each image's label is read from its name, .*: cat \(10\), dog \(10\)",
    ):
        data = image_data(flat, size=16, augmentation="none", valid_pct=0.2)
    assert list(data.task.classes) == ["cat", "dog"] and data.task.kind == "binary"
    _flat(tmp_path / "valid", prefixes, 3, start=100)
    with pytest.warns(UserWarning, match="label is read from its name"):
        splits = folder_splits(tmp_path)
    assert sorted(splits) == ["train", "valid"] and sorted(set(splits["valid"].labels)) == ["cat", "dog"]
    assert len(splits["valid"]) == 6 and splits["valid"].paths[0].name == "cat.100.png"


def test_loose_images_not_named_by_label_are_refused_as_before(tmp_path: Path) -> None:
    folder = tmp_path / "camera"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(4):
        shape_image("vertical", rng, 16).save(folder / f"IMG_{index:04d}.png")
    with pytest.raises(
        DataError,
        match=r"'.*camera' has no class sub-folders \(it holds 4 loose images, not named <label><number>",
    ):
        image_data(folder, size=16)
