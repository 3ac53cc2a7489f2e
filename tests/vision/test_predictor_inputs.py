"""What a loaded image model says of inputs it cannot read, in Python and on the command line: an empty file, a
file that is no image, a folder given where files go."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import trainwell
from image_files import make_image_folder
from trainwell.cli.app import app
from trainwell.core.errors import DataError
from trainwell.vision.pipeline import fit_images


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("predictor_inputs")
    fit_images(
        make_image_folder(root / "imgs", per_class=6, size=12), out=root / "model", epochs=1, progress=False
    )
    return root / "model"


def test_an_empty_file_and_a_file_that_is_no_image_are_said_as_such(model: Path, tmp_path: Path) -> None:
    # Both were "could not be decoded as an image (UnidentifiedImageError); send a JPEG or PNG": "send" is a web
    # client's word, and a file of 0 bytes (a failed copy) is best named as empty.
    empty, notes = tmp_path / "empty.jpg", tmp_path / "notes.png"
    empty.write_bytes(b"")
    notes.write_text("not an image")
    predictor = trainwell.load(model)
    with pytest.raises(DataError) as raised:
        predictor.predict([empty])
    assert str(raised.value) == f"'{empty}' is empty (0 bytes); pass a JPEG or PNG file"
    with pytest.raises(DataError) as raised:
        predictor.predict(str(notes))
    assert str(raised.value) == (
        f"'{notes}' could not be decoded as an image (UnidentifiedImageError); pass a JPEG or PNG file"
    )
    result = CliRunner().invoke(app, ["predict", str(model), str(empty)], env={"COLUMNS": "300"})
    assert (
        result.exit_code == 2
        and f"error: '{empty}' is empty (0 bytes); pass a JPEG or PNG file" in result.stderr
    )


def test_a_folder_given_to_predict_in_python_names_the_way_to_pass_its_files(
    model: Path, tmp_path: Path
) -> None:
    # It said "image 0: '...' does not exist or is not a file" of a folder that exists.
    with pytest.raises(DataError) as raised:
        trainwell.load(model).predict(str(tmp_path))
    assert str(raised.value) == (
        f"image 0: '{tmp_path}' is a folder; pass its image files, e.g. sorted(Path('{tmp_path}').rglob('*.png')) "
        "(trainwell predict MODEL FOLDER reads them all)"
    )


@pytest.mark.parametrize("name", ["model.onnx", "trainwell.json", "history.csv"])
def test_pretrained_a_file_of_a_model_directory_points_to_the_directory(model: Path, name: str) -> None:
    # --pretrained model/model.onnx said "cannot read ... as weights safely (UnpicklingError); save a state_dict".
    from trainwell.core.errors import ConfigError
    from trainwell.vision.learner import read_weights

    target = model / name
    if not target.exists():
        target.write_bytes(b"written by the test")
    with pytest.raises(ConfigError) as raised:
        read_weights(target)
    said = f" '{target}' is a file of the model directory '{model}'; pass the directory itself (or its model.safetensors)"
    assert str(raised.value) == "pretrained" + said and raised.value.command_line == "--pretrained" + said
    assert read_weights(model / "model.safetensors").keys() == read_weights(model).keys()
