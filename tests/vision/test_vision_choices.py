"""What an image fit chose, said before training and by ``trainwell info``."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from image_files import make_image_folder
from trainwell.cli._show import show_info
from trainwell.vision._choices import describe_augmentation, describe_size
from trainwell.vision.augment import Augmentation
from trainwell.vision.data import image_data
from trainwell.vision.pipeline import fit_images


def test_each_preset_is_said_by_what_it_changes() -> None:
    said = {
        name: describe_augmentation(getattr(Augmentation, name)(32).to_dict(), name)
        for name in ("default", "digits", "documents", "none")
    }
    assert said == {
        "default": "'default' (flips, crops of 35-100% of the area, turns up to 10°, brightness/contrast/saturation)",
        "digits": "'digits' (turns up to 10°, zooms up to 10%, shifts up to 10%)",
        "documents": "'documents' (turns up to 3°, zooms up to 5%, shifts up to 3%, brightness/contrast, blur, noise, "
        "streaks, faded ink)",
        "none": "none",
    }
    assert describe_augmentation(None) == "none"  # a model trained with augmentation=None records none
    speedrun = Augmentation(flip="alternate", pixel_shift=2).to_dict()
    assert (
        describe_augmentation(speedrun, "custom") == "'custom' (alternating flips, shifts of up to 2 pixels)"
    )


@pytest.mark.parametrize(
    ("size", "given", "files", "why"),
    [
        ((32, 32), False, True, "32x32 (the images' median size)"),
        ((128, 128), False, True, "128x128 (the default for images over 64 px)"),
        ((28, 28), False, False, "28x28 (the images' own size)"),
        ((48, 64), True, True, "48x64 (as asked)"),
    ],
)
def test_the_size_is_said_with_why(size: tuple[int, int], given: bool, files: bool, why: str) -> None:
    assert describe_size(size, given=given, from_files=files) == why


def test_the_preset_auto_chose_is_recorded_in_the_recipe() -> None:
    grey = np.random.default_rng(0).integers(0, 255, (40, 16, 16), dtype=np.uint8)
    assert image_data(grey, labels=[0, 1] * 20).recipe.extra["augmentation_preset"] == "digits"
    colour = np.random.default_rng(0).integers(0, 255, (40, 16, 16, 3), dtype=np.uint8)
    assert image_data(colour, labels=[0, 1] * 20).recipe.extra["augmentation_preset"] == "default"
    custom = image_data(colour, labels=[0, 1] * 20, augmentation=Augmentation(flip=True)).recipe.extra
    assert custom["augmentation_preset"] == "custom"
    assert "augmentation_preset" not in image_data(colour, labels=[0, 1] * 20, augmentation=None).recipe.extra


def test_fit_says_what_it_chose_in_one_line_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_image_folder(tmp_path / "shapes", per_class=12, size=24)
    fit_images(folder, epochs=1, out=tmp_path / "model")
    first = capsys.readouterr().err.splitlines()[0]
    assert first == (
        "images: simple_cnn (auto: images up to 32 px) at 24x24 (the images' median size), augmentation 'default' "
        "(flips, crops of 75-100% of the area, brightness/contrast/saturation), normalised with the training "
        "images' mean and std"
    )
    # trainwell info says the same augmentation from the model directory.
    from trainwell.core.artifact import read_metadata

    out = io.StringIO()
    show_info(read_metadata(tmp_path / "model"), tmp_path / "model", Console(file=out, width=300))
    row = next(line for line in out.getvalue().splitlines() if "│ augmentation" in line)
    assert "'default' (flips, crops of 75-100% of the area, brightness/contrast/saturation)" in row


def test_fit_without_progress_says_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = make_image_folder(tmp_path / "shapes", per_class=12, size=24)
    fit_images(folder, epochs=1, progress=False)
    assert "images:" not in capsys.readouterr().err
