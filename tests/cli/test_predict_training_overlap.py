"""``trainwell predict model/ folder/`` on a folder sorted into the model's classes prints an accuracy; on the
images the model trained on it said "accuracy 0.6000 on these 150 images" with no word that 120 of them had
trained it, where ``report`` on the same folder warned. It now warns as report does."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from image_files import make_image_folder
from trainwell.cli.app import app
from trainwell.vision import fit_images


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("overlap")
    make_image_folder(root / "seen", per_class=10)
    make_image_folder(root / "new", per_class=6, seed=7)
    fit_images(root / "seen", out=root / "model", epochs=1, size=24, progress=False)
    return root


def _predict(root: Path, folder: str) -> str:
    result = CliRunner().invoke(
        app, ["predict", str(root / "model"), str(root / folder), "--out", str(root / f"{folder}.csv")],
        env={"COLUMNS": "300"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_an_accuracy_on_training_images_is_warned_as_report_warns(fitted: Path) -> None:
    said = _predict(fitted, "seen")
    assert "accuracy " in said and "on these 20 images" in said
    # 16 trained it (4 held out for validation), every one checked against the sketch of the 16
    assert (
        "warning: 80% of these images trained the model (16 of 20, every one checked against a sketch of its 16 "
        "training images): the accuracy above measures how well it fitted them, not how it does on new images"
    ) in said
    assert said.index("on these 20 images") < said.index("80% of these images trained the model")


def test_new_images_are_scored_in_silence(fitted: Path) -> None:
    said = _predict(fitted, "new")
    assert "on these 12 images" in said and "trained the model" not in said
