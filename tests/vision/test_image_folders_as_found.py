"""Image folders as they arrive (tour 68): a Kaggle ``test/`` of unlabelled images beside ``train/``, a phone's
dump of camera-named photos, loose images beside class folders, a CSV of ';'-joined labels, an empty file, macOS
zip residue; and how many images of each class each split holds, said by ``fit`` and kept for ``info``."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from image_files import make_image_folder, shape_image
from trainwell.cli.app import app
from trainwell.core.errors import DataError
from trainwell.vision import image_data
from trainwell.vision._counts import counts_line
from trainwell.vision.io import decode_images, folder_splits, labels_from_names, model_pixels


def _loose(folder: Path, names: list[str], seed: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for index, name in enumerate(names):
        path = folder / name
        shape_image(("horizontal", "vertical")[index % 2], rng, 16).save(path, format="PNG")
        paths.append(path)
    return paths


def _said(caught: list[warnings.WarningMessage], part: str) -> list[str]:
    return [str(w.message) for w in caught if part in str(w.message)]


@pytest.mark.parametrize(
    "names",
    [[f"{index}.jpg" for index in range(6)], [f"img{index}.jpg" for index in range(6)]],
    ids=["ids", "img-prefix"],
)
def test_an_unlabelled_test_folder_beside_train_is_not_scored_but_said(
    tmp_path: Path, names: list[str]
) -> None:
    # fit tv_unl2/ failed: "'tv_unl2/test' has no class sub-folders ...; arrange images as tv_unl2/test/<label>/"
    # (img0.jpg...: "has classes the training folder lacks: ['img']"), though such images have no labels at all.
    make_image_folder(tmp_path / "train", per_class=6, size=16)
    _loose(tmp_path / "test", names)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        splits = folder_splits(tmp_path)
    assert sorted(splits) == ["train"]
    (line,) = _said(caught, "not scored")
    assert line == (
        f"'{tmp_path / 'test'}' holds 6 images without labels (no class folders): it is not scored as a test set; "
        f"to answer them, trainwell predict MODEL_DIR '{tmp_path / 'test'}'"
    )
    with pytest.warns(UserWarning, match="not scored"):
        data = image_data(tmp_path, size=16, augmentation="none")
    assert data.test is None and data.train.n_rows + data.valid.n_rows == 12  # type: ignore[union-attr]


def test_a_test_folder_of_images_named_by_the_training_classes_is_still_scored(tmp_path: Path) -> None:
    make_image_folder(tmp_path / "train", per_class=6, size=16)
    _loose(tmp_path / "test", ["horizontal.1.png", "vertical.7.png", "horizontal.2.png"])
    with pytest.warns(UserWarning, match="label is read from its name"):
        splits = folder_splits(tmp_path)
    assert splits["test"].labels == ["horizontal", "horizontal", "vertical"]


@pytest.mark.parametrize(
    "names",
    [
        [f"IMG_{1000 + i}.JPG" for i in range(4)] + [f"DSC_{1030 + i}.JPG" for i in range(4)],
        [f"PXL_20240101_09300{i}.jpg" for i in range(4)]
        + [f"Screenshot 2024-01-05 at 10.22.3{i}.png" for i in range(4)],
        [f"DSCN{i:04d}.jpg" for i in range(4)] + [f"frame_{i:04d}.png" for i in range(4)],
    ],
    ids=["img-dsc", "pixel-screenshot", "dscn-frame"],
)
def test_names_cameras_give_are_never_classes(tmp_path: Path, names: list[str]) -> None:
    # 30 IMG_*.JPG beside 30 DSC_*.JPG trained a binary "IMG or DSC" model, with a warning naming the classes.
    paths = _loose(tmp_path / "phone", names)
    assert labels_from_names(paths) is None
    with pytest.raises(DataError) as refused:
        image_data(tmp_path / "phone", size=16)
    message = str(refused.value)
    assert "\n" not in message
    assert (
        f"'{tmp_path / 'phone'}' has no class sub-folders (it holds 8 images named as cameras and phones name"
        in message
    )
    assert message.endswith(
        f"not a class); arrange images as {tmp_path / 'phone'}/<label>/<image>.jpg, or pass a CSV of paths and labels"
    )


def test_names_of_classes_still_read_as_labels(tmp_path: Path) -> None:
    paths = _loose(tmp_path / "pets", [f"{label}_{i}.png" for label in ("beagle", "pug") for i in range(3)])
    assert labels_from_names(paths) == ["beagle"] * 3 + ["pug"] * 3


def test_loose_images_beside_class_folders_are_said_to_be_left_out(tmp_path: Path) -> None:
    # mixed_root/ (class folders and 5 stray*.jpg beside them): the strays were dropped without a word.
    root = make_image_folder(tmp_path / "photos", per_class=6, size=16)
    _loose(root, [f"stray{i}.png" for i in range(3)])
    with pytest.warns(UserWarning) as caught:
        data = image_data(root, size=16, augmentation="none")
    (line,) = _said(caught.list, "left out")
    assert line == (
        f"3 images directly in '{root}', beside its class folders, are left out (e.g. '{root / 'stray0.png'}'): "
        "an image's class is the folder it is in; move them into one"
    )
    assert data.train.n_rows + data.valid.n_rows == 12  # type: ignore[union-attr]
    split = tmp_path / "split"
    make_image_folder(split / "train", per_class=6, size=16)
    _loose(split, ["odd.png"])
    with pytest.warns(
        UserWarning, match=r"^1 image directly in '.*split', beside its 'train' folder, is left out"
    ):
        folder_splits(split)


def test_a_macos_zip_folder_is_no_class(tmp_path: Path) -> None:
    # __MACOSX/ (of ._* companions) was refused: "class folder '__MACOSX' ... holds no images".
    root = make_image_folder(tmp_path / "photos", per_class=6, size=16)
    junk = root / "__MACOSX" / "horizontal"
    junk.mkdir(parents=True)
    (junk / "._000.png").write_bytes(b"\x00\x05\x16\x07" + bytes(60))
    (root / "__MACOSX" / "._horizontal").write_bytes(bytes(10))
    data = image_data(root, size=16, augmentation="none")
    assert list(data.task.classes) == ["horizontal", "vertical"]


def test_labels_joined_by_a_separator_are_warned_of(tmp_path: Path) -> None:
    # multi_semi.csv ('cat;bright', 'dog;dark'...) without --label-delim trained a 6-class model, silently.
    paths = _loose(tmp_path / "images", [f"{i}.png" for i in range(12)])
    tags = ["cat;bright", "dog;dark", "cat;dark", "dog;bright"] * 3
    pd.DataFrame({"path": [f"images/{p.name}" for p in paths], "tags": tags}).to_csv(
        tmp_path / "t.csv", index=False
    )
    with pytest.warns(UserWarning) as caught:
        data = image_data(tmp_path / "t.csv", path_col="path", label_col="tags", size=16, augmentation="none")
    (line,) = _said(caught.list, "--label-delim")
    assert line == (
        f"every label of --label-col 'tags' in '{tmp_path / 't.csv'}' holds ';' (e.g. 'cat;bright'): each "
        "combination is read as one class; for several labels an image (multi-label), pass --label-delim ';' "
        "(Python: label_delim=';')"
    )
    assert data.task.kind == "multiclass"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing said once the separator is given, or of plain labels
        multi = image_data(
            tmp_path / "t.csv",
            path_col="path",
            label_col="tags",
            label_delim=";",
            size=16,
            augmentation="none",
        )
        assert multi.task.kind == "multilabel"
        pd.DataFrame({"path": [f"images/{p.name}" for p in paths], "tags": ["cat", "dog"] * 6}).to_csv(
            tmp_path / "plain.csv", index=False
        )
        image_data(tmp_path / "plain.csv", path_col="path", label_col="tags", size=16, augmentation="none")


def test_an_empty_file_is_named_alike_by_fit_and_predict(tmp_path: Path) -> None:
    # fit said "UnidentifiedImageError: cannot identify image file ..." of it, predict "empty file (0 bytes)".
    good = _loose(tmp_path, ["a.png"])[0]
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.warns(UserWarning) as caught:
        decode_images([good, empty], (16, 16), 3)
    (line,) = _said(caught.list, "unreadable")
    assert line.endswith(f"of 2: {empty}: ValueError: empty file (0 bytes)")
    with pytest.raises(DataError) as refused:
        model_pixels([empty], (16, 16), 3, "crop")
    assert str(refused.value.__cause__) == "empty file (0 bytes)"


def test_fit_says_how_many_images_each_class_holds_in_each_split(tmp_path: Path) -> None:
    root = tmp_path / "photos"
    make_image_folder(root / "train", classes=("horizontal", "vertical", "square"), per_class=6, size=16)
    (root / "train" / "square" / "005.png").unlink()
    make_image_folder(root / "valid", per_class=2, size=16, seed=1)
    make_image_folder(root / "test", per_class=1, size=16, seed=2)
    data = image_data(root, size=16, augmentation="none")
    found = data.train.images_found  # type: ignore[union-attr]
    assert list(data.task.classes) == ["horizontal", "square", "vertical"]
    assert found == {
        "train": {"images": 17, "per_class": [6, 5, 6]},
        "valid": {"images": 4, "per_class": [2, 0, 2]},
        "test": {"images": 2, "per_class": [1, 0, 1]},
    }
    assert counts_line(found, data.task.classes) == (
        "train 17 (horizontal 6, square 5, vertical 6), valid 4 (horizontal 2, square 0, vertical 2), "
        "test 2 (horizontal 1, square 0, vertical 1)"
    )
    result = CliRunner().invoke(
        app,
        ["fit", str(root), "--epochs", "1", "--size", "16", "--out", str(tmp_path / "m")],
        env={"COLUMNS": "300"},
    )
    assert result.exit_code == 0, result.output
    assert "images found: train 17 (horizontal 6, square 5, vertical 6), valid 4 " in result.stderr
    info = CliRunner().invoke(app, ["info", str(tmp_path / "m")], env={"COLUMNS": "300"})
    assert info.exit_code == 0, info.output
    assert "train 17 (horizontal 6, square 5, vertical 6), valid 4 (horizontal 2" in info.stdout


def test_many_classes_are_said_by_the_largest_and_the_smallest() -> None:
    classes = [f"c{i}" for i in range(10)]
    found = {"train": {"images": 55, "per_class": list(range(1, 11))}}
    assert counts_line(found, classes) == "train 55 (10 classes: c9 10, c8 9, c7 8 ... fewest: c0 1)"
    assert (
        counts_line({"train": {"images": 9, "per_class": [3, 3, 3]}}, ["a", "b", "c"])
        == "train 9 (3 a class)"
    )
    assert counts_line({"train": {"images": 40}, "valid": {"images": 1}}, None) == "train 40, valid 1"


def test_images_are_counted_as_images_not_rows(tmp_path: Path) -> None:
    # One image: "need at least 2 rows to split into train and valid, got 1"; the bundle said "41 rows".
    _loose(tmp_path / "one" / "cat", ["0.png"])
    with pytest.raises(DataError, match=r"^'?.*one'? holds 1 image: at least 2 are needed"):
        image_data(tmp_path / "one", size=16, task="multiclass")
    root = make_image_folder(tmp_path / "photos", per_class=5, size=16)
    data = image_data(root, size=16, augmentation="none")
    assert repr(data) == "DataBundle(task=binary, train=8 images, valid=2 images, application='vision')"


def test_a_path_given_as_text_is_opened_and_an_empty_one_named(tmp_path: Path) -> None:
    from trainwell.vision.io import EMPTY_FILE, open_image

    image = tmp_path / "a.png"
    shape_image("horizontal", np.random.default_rng(0), 16).save(image, format="PNG")
    assert open_image(str(image), "RGB").size == (16, 16)  # predict's one file is a str
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ValueError, match=re.escape(EMPTY_FILE)):
        open_image(str(tmp_path / "empty.png"), "RGB")  # type: ignore[arg-type]
