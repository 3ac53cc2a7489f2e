"""image_data(..., like=other): the next task's images read as the first's were; learn.data = ... warns otherwise."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import pytest

from image_files import make_image_folder
from trainwell.core.errors import ConfigError, DataError
from trainwell.data.task import Task
from trainwell.tabular.data import tabular_data
from trainwell.vision.data import image_data
from trainwell.vision.learner import vision_learner

TEN = Task("multiclass", classes=tuple(range(10)))


def _digits(low: int, high: int, n: int = 60, seed: int = 0) -> tuple[np.ndarray, list[int]]:
    """Grey 16x16 images whose brightness grows with the digit: each task's statistics differ, as split MNIST's."""
    rng = np.random.default_rng(seed)
    labels = [low + i % (high - low + 1) for i in range(n)]
    images = np.stack([rng.integers(0, 20 + 20 * label, (16, 16)) for label in labels]).astype(np.uint8)
    return images, labels


def test_like_takes_the_recipe_task_and_augmentation_instead_of_measuring_them_again() -> None:
    first = image_data(*_digits(0, 4), task=TEN)
    own = image_data(*_digits(5, 9), task=TEN)
    assert own.recipe.mean != first.recipe.mean  # measured again: what like= avoids
    second = image_data(*_digits(5, 9), like=first)
    assert second.recipe == first.recipe
    assert second.task == first.task and second.augmentation == first.augmentation
    assert second.model_hints == first.model_hints
    # Its own images and labels, coded as the first data's classes.
    assert sorted(set(second.train.tensors[1].tolist())) == [5, 6, 7, 8, 9]


def test_like_takes_an_augmentation_named_beside_it() -> None:
    first = image_data(*_digits(0, 4), task=TEN)
    second = image_data(*_digits(5, 9), like=first, augmentation="none")
    assert second.recipe.mean == first.recipe.mean and second.recipe.size == first.recipe.size
    assert second.augmentation is not None and not second.augmentation.changes_views()
    assert second.recipe.extra["augmentation_preset"] == "none"


def test_like_fits_other_images_to_its_size_and_channels() -> None:
    first = image_data(*_digits(0, 4), task=TEN)
    colour = np.random.default_rng(1).integers(0, 255, (40, 20, 24, 3), dtype=np.uint8)
    second = image_data(colour, labels=[1, 2] * 20, like=first)
    assert tuple(second.train.tensors[0].shape[1:]) == (1, 16, 16)
    # Grey as a file is decoded to it (PIL's convert("L") weights).
    from PIL import Image

    same_size = colour[:, :16, :16]
    alone = image_data(same_size, labels=[1, 2] * 20, like=first, valid_pct=0.0)
    grey = np.stack([np.asarray(Image.fromarray(image).convert("L")) for image in same_size])
    assert np.array_equal(alone.train.tensors[0].numpy()[:, 0], grey)


def test_like_reads_a_folder_at_its_size(tmp_path: Path) -> None:
    first = image_data(make_image_folder(tmp_path / "a", size=24, per_class=10))
    second = image_data(make_image_folder(tmp_path / "b", size=40, per_class=10, mode="L"), like=first)
    assert second.recipe == first.recipe
    assert tuple(second.train.tensors[0].shape[1:]) == (3, 24, 24)


def test_like_at_a_larger_size_keeps_the_normalisation_and_crops_to_the_new_size(tmp_path: Path) -> None:
    # Progressive resizing: the same statistics and classes, larger images, the photo preset's crop resized.
    folder = make_image_folder(tmp_path / "a", size=40, per_class=10)
    first = image_data(folder, size=16)
    assert first.augmentation.size == (16, 16)
    larger = image_data(folder, like=first, size=24)
    assert (larger.recipe.mean, larger.recipe.std) == (first.recipe.mean, first.recipe.std)
    assert larger.recipe.size == (24, 24) and larger.model_hints["size"] == [24, 24]
    assert larger.augmentation == dataclasses.replace(first.augmentation, size=(24, 24))
    assert larger.recipe.extra["augmentation"] == larger.augmentation.to_dict()
    learn = vision_learner(first, "simple_cnn", progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        learn.data = larger


def test_like_refuses_labels_that_are_not_among_its_classes_naming_them() -> None:
    first = image_data(*_digits(0, 4))  # five classes: no output for 5 to 9
    with pytest.raises(DataError) as error:
        image_data(*_digits(3, 7), like=first)
    assert str(error.value) == (
        "the images: label(s) 5, 6, 7 are not among the classes of like= (0, 1, 2, 3, 4), and the model has no "
        "output for them; build the first data with every class the tasks will bring "
        "(task=Task('multiclass', classes=[...])), or leave like= out to start a new model"
    )


def test_like_refuses_settings_it_fixes_and_bundles_of_other_data() -> None:
    first = image_data(*_digits(0, 4), task=TEN)
    with pytest.raises(ConfigError, match=r"^like= takes the channels, .*; drop resize=, task=$"):
        image_data(*_digits(5, 9), like=first, resize="squish", task=TEN)
    import pandas as pd

    rows = pd.DataFrame({"x": range(40), "z": [1.0, 2.0] * 20, "y": [0, 1] * 20})
    with pytest.raises(
        ConfigError, match=r"^like= takes a bundle of image_data .*, got a bundle of tabular data$"
    ):
        image_data(*_digits(5, 9), like=tabular_data(rows, "y"))


def test_setting_data_measured_otherwise_warns_and_like_is_taken_in_silence() -> None:
    first = image_data(*_digits(0, 4), task=TEN)
    learn = vision_learner(first, "simple_cnn", progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        learn.data = image_data(*_digits(5, 9), like=first)
    own = image_data(*_digits(5, 9), task=TEN)
    with pytest.warns(UserWarning) as caught:
        learn.data = own
    (message,) = [str(w.message) for w in caught if "learn.data" in str(w.message)]
    model_mean, model_std = first.recipe.mean[0], first.recipe.std[0]
    assert message.startswith(
        f"learn.data: the new images are normalised with mean/std per channel {own.recipe.mean[0]:.4g}/"
        f"{own.recipe.std[0]:.4g}, not the model's {model_mean:.4g}/{model_std:.4g}; the model keeps normalising"
    )
    assert message.endswith("image_data(source, like=learn.data) (size= for larger images)")
    assert learn.data is own  # a warning, not a refusal


def test_setting_images_of_another_channel_count_is_refused() -> None:
    first = image_data(*_digits(0, 4), task=TEN)
    learn = vision_learner(first, "simple_cnn", progress=False)
    colour = np.random.default_rng(0).integers(0, 255, (40, 16, 16, 3), dtype=np.uint8)
    with pytest.raises(
        ConfigError, match=r"^learn.data: the new images have 3 channel\(s\), the model reads 1;"
    ):
        learn.data = image_data(colour, labels=[5, 6] * 20, task=TEN)
    assert learn.data is first
