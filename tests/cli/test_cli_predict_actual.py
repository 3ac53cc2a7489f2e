"""trainwell predict MODEL photos/test/: an ``actual`` column when the sub-folders are the model's classes."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from image_files import make_image_folder
from trainwell.cli.app import app
from trainwell.data.task import Task
from trainwell.vision._actual import folder_classes


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from trainwell.vision.pipeline import fit_images

    root = tmp_path_factory.mktemp("actual")
    fit_images(
        make_image_folder(root / "train", per_class=12, size=16), epochs=1, progress=False, out=root / "m"
    )
    return root / "m"


def _predict(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["predict", *map(str, args)], env={"COLUMNS": "300"})
    return result.exit_code, result.stdout, result.stderr


def test_a_folder_of_class_folders_gets_the_actual_label_and_the_accuracy(
    tmp_path: Path, model: Path
) -> None:
    test = make_image_folder(tmp_path / "test", per_class=5, size=16, seed=3)
    code, out, err = _predict(model, test)
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    assert list(table.columns[:3]) == ["path", "prediction", "actual"]
    assert table["actual"].tolist() == [Path(p).parent.name for p in table["path"]]
    right = int((table["prediction"] == table["actual"]).sum())
    assert err.splitlines()[0] == (
        f"actual: the sub-folders name the model's classes; accuracy {right / 10:.4f} on these 10 images ({right} "
        f"right); for the full account (intervals, per class, the confusion): trainwell report {model} --data {test}"
    )


def test_a_folder_whose_sub_folders_are_not_classes_is_predicted_as_before(
    tmp_path: Path, model: Path
) -> None:
    days = tmp_path / "days"
    make_image_folder(days, classes=("monday", "tuesday"), per_class=2, size=16)
    code, out, err = _predict(model, days)
    assert code == 0, err
    assert "actual" not in pd.read_csv(io.StringIO(out)).columns and "accuracy" not in err
    # One class folder beside one that is not a class: no column either.
    shutil.move(days / "monday", days / "horizontal")
    code, out, _ = _predict(model, days)
    assert code == 0 and "actual" not in pd.read_csv(io.StringIO(out)).columns


def test_folder_classes_needs_every_image_in_a_class_folder(tmp_path: Path) -> None:
    task = Task("multiclass", classes=("cat", "dog", "ship"))
    root = tmp_path / "photos"
    paths = [root / "cat" / "1.png", root / "dog" / "deep" / "2.png"]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    assert folder_classes(task, [root], paths) == ["cat", "dog"]
    assert folder_classes(task, [root], [*paths, root / "3.png"]) is None  # an image beside the class folders
    assert folder_classes(task, [paths[0]], paths[:1]) is None  # a file given, no folder
    assert folder_classes(Task("regression", target_names=("age",)), [root], paths) is None
    digits = Task("multiclass", classes=(0, 1, 2))
    (root / "1").mkdir()
    assert folder_classes(digits, [root], [root / "1" / "a.png"]) == [
        1
    ]  # the class itself, not its folder's text
