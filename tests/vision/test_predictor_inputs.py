"""What a loaded image model says of inputs it cannot read, in Python and on the command line: an empty file, a
file that is no image, a folder given where files go."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import trainwell
from image_files import make_image_folder, small_image_model
from trainwell.cli.app import app
from trainwell.core.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_image_model(tmp_path_factory.mktemp("predictor_inputs"))


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


def test_a_folder_a_csv_or_a_table_of_paths_are_predicted_in_python_as_on_the_command_line(
    model: Path, tmp_path: Path
) -> None:
    # A folder was refused, a CSV of paths "could not be decoded as an image", a DataFrame a bare KeyError: None.
    import pandas as pd

    predictor = trainwell.load(model)
    folder = make_image_folder(tmp_path / "new", per_class=3, size=12)
    (folder / "vertical" / "gone.png").symlink_to(tmp_path / "nowhere.png")
    with pytest.warns(
        UserWarning, match=r"skipped 1 unreadable image file\(s\) of 7: .*gone\.png: a link to"
    ):
        with_gone = predictor.predict(folder)
    # the link to nowhere keeps its row, empty but for why, so the answers join back to every file found
    gone = with_gone["path"] == str(folder / "vertical" / "gone.png")
    assert gone.sum() == 1 and with_gone.loc[gone, "prediction"].isna().all()
    assert with_gone.loc[gone, "error"].tolist() == [
        f"a link to '{tmp_path / 'nowhere.png'}', which does not exist"
    ]
    table = with_gone[~gone].drop(columns="error").reset_index(drop=True)
    table["prediction"] = table["prediction"].astype(str)
    files = sorted(str(path) for path in folder.rglob("*.png") if path.is_file())
    assert table.columns[0] == "path" and sorted(table["path"]) == files
    expected = predictor.predict([Path(path) for path in table["path"]])
    assert table.equals(expected)  # a list of the paths names them too
    listed = pd.DataFrame({"file": [str(Path(path).relative_to(tmp_path)) for path in files], "n": range(6)})
    listed.to_csv(tmp_path / "list.csv", index=False)
    from_csv = predictor.predict(tmp_path / "list.csv", path_col="file")
    # the CSV's own column, as written, its rows' positions as the index: the answers join back to it
    assert list(from_csv["file"]) == list(listed["file"]) and list(from_csv.index) == list(range(6))
    assert from_csv["prediction"].equals(
        table.set_index("path").loc[files, "prediction"].reset_index(drop=True)
    )
    frame = pd.DataFrame({"file": files}, index=[10, 11, 12, 13, 14, 15])
    assert list(predictor.predict(frame, path_col="file").index) == [10, 11, 12, 13, 14, 15]
    with pytest.raises(
        ConfigError, match=r"^a table of images needs path_col= naming its column of image paths"
    ):
        predictor.predict(frame)  # trained from folders: no column known
    with pytest.raises(
        DataError, match=r"^the table has no column 'fil' of image paths \(did you mean 'file'"
    ):
        predictor.predict(frame, path_col="fil")
    with pytest.raises(DataError, match=r"^folder '.*' holds no image files"):
        (tmp_path / "empty").mkdir()
        predictor.predict(tmp_path / "empty")
    # a folder in a list is read in its place, as `trainwell predict MODEL a.png folder/` reads it (it was refused)
    with pytest.warns(UserWarning, match=r"gone\.png"):
        assert predictor.predict([folder]).equals(with_gone)


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
