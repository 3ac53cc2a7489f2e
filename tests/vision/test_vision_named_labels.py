"""Images named as data sets name them: a folder of loose images named <label><number> (Kaggle's dogs-vs-cats, the
Oxford pets) is read with each image's label taken from its name, and a CSV of ids without folder or extension
(a Kaggle competition's train.csv beside train/) finds its images; other names are refused as before."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from image_files import shape_image
from trainwell.cli.app import app
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


def test_a_held_out_folder_needs_only_labels_the_training_folder_has() -> None:
    names = [
        Path("cat.100.png"),
        Path("dog.7.png"),
    ]  # one image a class: too few to find classes, not to judge
    assert labels_from_names(names) is None
    assert labels_from_names(names, known={"cat", "dog", "bird"}) == ["cat", "dog"]


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
    shape_image("vertical", np.random.default_rng(5), 16).save(tmp_path / "valid" / "bird.1.png")
    with (
        pytest.warns(UserWarning),
        pytest.raises(DataError, match=r"has classes the training folder lacks: \['bird'\]"),
    ):
        folder_splits(tmp_path)


def test_loose_images_not_named_by_label_are_refused_as_before(tmp_path: Path) -> None:
    folder = tmp_path / "camera"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(4):
        shape_image("vertical", rng, 16).save(folder / f"IMG_{index:04d}.png")
    with pytest.raises(
        DataError,
        match=r"'.*camera' has no class sub-folders \(it holds 4 loose images named <label><number>, but labels "
        r"are read from names only for two labels or more, each with two images at least\)",
    ):
        image_data(folder, size=16)


def test_loose_images_named_by_label_score_a_model_that_knows_the_labels(tmp_path: Path) -> None:
    # report m1 --data newimgs (cat_0100.jpg, ship_0100.jpg...: one image a label) was refused, "not named
    # <label><number>", though they were: the training rule (two images a label) held for data to score too.
    rng = np.random.default_rng(0)
    for label in ("horizontal", "vertical"):
        shape_image(label, rng, 16).save(tmp_path / f"{label}_0100.png")
    with pytest.warns(UserWarning, match="each image's label is read from its name"):
        files = folder_splits(tmp_path, known={"horizontal", "vertical", "square"})["all"]
    assert sorted(files.labels) == ["horizontal", "vertical"]
    with pytest.raises(DataError, match=r"named <label><number>, but labels are read from names only"):
        folder_splits(tmp_path)


def _kaggle(root: Path, folder: str, ids: list[str], suffix: str = ".png") -> None:
    rng = np.random.default_rng(1)
    (root / folder).mkdir(parents=True, exist_ok=True)
    for index, name in enumerate(ids):
        shape_image(("horizontal", "vertical")[index % 2], rng, 16).save(root / folder / f"{name}{suffix}")


@pytest.mark.parametrize(
    ("folder", "suffix", "listed", "lacking", "pattern"),
    [
        ("train", ".png", "{id}", "their folder and extension", "train/<id>.png"),
        ("train", ".png", "{id}.png", "their folder", "train/<id>"),
        (".", ".tif", "{id}", "their extension", "./<id>.tif"),
    ],
    ids=["folder-and-extension", "folder", "extension"],
)
def test_a_csv_of_ids_finds_its_images_in_one_folder_with_one_extension(
    tmp_path: Path, folder: str, suffix: str, listed: str, lacking: str, pattern: str
) -> None:
    # Kaggle's train.csv: 'id' without folder or extension, the images in train/ (test/ beside it too).
    ids = [f"{index:08x}f0e" for index in range(12)]
    _kaggle(tmp_path, folder, ids, suffix)
    _kaggle(tmp_path, "test", [f"t{index}" for index in range(4)], suffix)
    table = tmp_path / "train.csv"
    pd.DataFrame({"id": [listed.format(id=i) for i in ids], "label": [i % 2 for i in range(12)]}).to_csv(
        table, index=False
    )
    where = str(tmp_path / folder) if folder != "." else str(tmp_path)
    shown = pattern.replace(f"{folder}/", "")
    with pytest.warns(
        UserWarning,
        match=rf"lists its images without {lacking}: each read as '{re.escape(where)}/{re.escape(shown)}' \(found for all 12\)",
    ):
        data = image_data(table, path_col="id", label_col="label", size=16, augmentation="none")
    assert sorted(path.name for path in data.paths["train"] + data.paths["valid"])[0] == f"{ids[0]}{suffix}"


def test_ids_that_one_folder_and_extension_cannot_complete_are_refused_as_before(tmp_path: Path) -> None:
    ids = ["a1", "a2", "b1", "b2"]
    _kaggle(tmp_path, "train", ids[:3])
    table = tmp_path / "train.csv"
    pd.DataFrame({"id": ids, "label": [0, 1, 0, 1]}).to_csv(table, index=False)
    with pytest.raises(DataError, match=r"4 image file\(s\) listed in .*train.csv do not exist, e.g. '.*a1'"):
        image_data(table, path_col="id", label_col="label", size=16)


def test_predict_reads_a_submission_file_of_ids_and_writes_them_back(tmp_path: Path) -> None:
    ids = [f"{index:04d}" for index in range(16)]
    _kaggle(tmp_path, "train", ids)
    pd.DataFrame({"id": ids, "label": ["no", "yes"] * 8}).to_csv(tmp_path / "train.csv", index=False)
    _kaggle(tmp_path, "test", ["0100", "0101", "0102"])
    pd.DataFrame({"id": ["0100", "0101", "0102"], "label": ["no"] * 3}).to_csv(
        tmp_path / "sample.csv", index=False
    )
    runner = CliRunner()
    fitted = runner.invoke(
        app,
        [
            "fit",
            str(tmp_path / "train.csv"),
            "--path-col",
            "id",
            "--label-col",
            "label",
            "--epochs",
            "1",
            "--out",
            str(tmp_path / "m"),
        ],
    )
    assert fitted.exit_code == 0, fitted.stderr
    predicted = runner.invoke(
        app, ["predict", str(tmp_path / "m"), str(tmp_path / "sample.csv"), "--keep", "id", "--label-only"]
    )
    assert predicted.exit_code == 0, predicted.stderr
    assert "each read as '" in predicted.stderr and "test/<id>.png'" in predicted.stderr
    written = pd.read_csv(io.StringIO(predicted.stdout), dtype=str)
    assert list(written.columns) == ["id", "label"] and written["id"].tolist() == ["0100", "0101", "0102"]
    assert set(written["label"]) <= {"no", "yes"}


def test_a_column_of_0_and_1_per_class_labels_the_images(tmp_path: Path) -> None:
    # Kaggle's Plant Pathology: image_id, healthy, rust, scab (1 in the image's class): "--label-col 'healthy,rust,
    # scab' is not a column".
    ids = [f"Train_{index}" for index in range(18)]
    _kaggle(tmp_path, "images", ids)
    flags = pd.DataFrame(
        {"image_id": ids, "healthy": [1, 0, 0] * 6, "rust": [0, 1, 0] * 6, "scab": [0, 0, 1] * 6}
    )
    flags.to_csv(tmp_path / "train.csv", index=False)
    with pytest.warns(UserWarning, match="without their folder and extension"):
        data = image_data(tmp_path / "train.csv", path_col="image_id", label_col="healthy,rust,scab", size=16)
    assert data.task.kind == "multiclass" and list(data.task.classes) == ["healthy", "rust", "scab"]
    several = flags.assign(scab=[1, 0, 1] * 6, rust=[0, 0, 0] * 6)  # an image with two labels, one with none
    several.to_csv(tmp_path / "multi.csv", index=False)
    with pytest.warns(UserWarning, match="without their folder and extension"):
        multi = image_data(
            tmp_path / "multi.csv", path_col="image_id", label_col="healthy, rust, scab", size=16
        )
    assert multi.task.kind == "multilabel"
    for cells, said in (
        (
            ["0", "2", "0"],
            r"holds 2 in data row 2 of .*bad.csv, where its other cells are 0 or 1 .*fix the cell",
        ),
        (["0", "1", "x"], r"holds 'x' in data row 3 of .*bad.csv; several label columns each hold 0 or 1"),
    ):
        flags.assign(rust=cells * 6).to_csv(tmp_path / "bad.csv", index=False)
        with pytest.warns(UserWarning), pytest.raises(DataError, match=f"--label-col 'rust' {said}"):
            image_data(tmp_path / "bad.csv", path_col="image_id", label_col="healthy,rust,scab", size=16)
    runner = CliRunner()
    fitted = runner.invoke(app, ["fit", str(tmp_path / "train.csv"), "--path-col", "image_id", "--label-col",
                                 "healthy,rust,scab", "--epochs", "1", "--out", str(tmp_path / "m")])  # fmt: skip
    assert fitted.exit_code == 0, fitted.stderr
    predicted = runner.invoke(app, ["predict", str(tmp_path / "m"), str(tmp_path / "train.csv"), "--keep",
                                    "image_id", "--label-only"])  # fmt: skip
    assert predicted.exit_code == 0, predicted.stderr
    written = pd.read_csv(io.StringIO(predicted.stdout))
    assert list(written.columns) == [
        "image_id",
        "healthy",
        "rust",
        "scab",
    ]  # the submission's columns, 0 or 1
    assert (written[["healthy", "rust", "scab"]].sum(axis=1) == 1).all()


def test_a_validation_class_typed_otherwise_names_its_training_twin(tmp_path: Path) -> None:
    # train/Cat beside valid/cat: "has classes the training folder lacks: ['cat']", nothing saying why.
    rng = np.random.default_rng(3)
    for split, names in (("train", ("Cat", "dog")), ("valid", ("cat", "dog"))):
        for name in names:
            (tmp_path / split / name).mkdir(parents=True)
            for index in range(3):
                shape_image("vertical", rng, 16).save(tmp_path / split / name / f"{index}.png")
    with pytest.raises(
        DataError,
        match=r"has classes the training folder lacks: \['cat'\]; every class needs training images \('cat' here is "
        r"'Cat' in the training folder: name the folders alike\)$",
    ):
        folder_splits(tmp_path)
