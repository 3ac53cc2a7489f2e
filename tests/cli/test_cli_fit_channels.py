"""`trainwell fit --channels 1|3`: images read as grayscale or colour as asked, kept with the model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import run_cli

from image_files import make_image_folder

pytestmark = pytest.mark.slow


def test_fit_channels_3_makes_a_colour_model_of_grey_images(tmp_path: Path) -> None:
    folder = make_image_folder(tmp_path / "grey", per_class=8, size=12, mode="L")
    result = run_cli("fit", folder, "--out", tmp_path / "model", "--epochs", "1", "--channels", "3")
    assert result.returncode == 0, result.explain()
    recipe = json.loads((tmp_path / "model" / "trainwell.json").read_text(encoding="utf-8"))["recipe"]
    assert recipe["channels"] == 3
    # predict reads a grey file into the three channels the model takes.
    predicted = run_cli("predict", tmp_path / "model", next((folder / "vertical").iterdir()))
    assert predicted.returncode == 0, predicted.explain()


def test_other_values_and_other_data_are_refused_in_one_line(tmp_path: Path, binary_csv: Path) -> None:
    folder = make_image_folder(tmp_path / "grey", per_class=4, size=12, mode="L")
    result = run_cli("fit", folder, "--channels", "4")
    assert result.returncode == 2, result.explain()
    assert result.stderr_lines == [
        "error: --channels must be 1 (read every image as grayscale) or 3 (as colour, RGB), got 4; leave it out "
        "to read them as most of the images are"
    ], result.explain()
    table = run_cli("fit", binary_csv, "--target", "y", "--channels", "3")
    assert table.returncode == 2, table.explain()
    assert table.stderr_lines == [
        "error: --channels is for images (a folder of class folders or --path-col); drop it"
    ], table.explain()
