"""trainwell evaluate on a folder of images: folds, per-fold statistics, thumbnail baselines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from trainwell.vision.evaluation import evaluate_images


def _folder(root: Path, per_class: int = 12) -> Path:
    rng = np.random.default_rng(0)
    for label, colour in (("red", (220, 30, 30)), ("blue", (30, 30, 220))):
        (root / label).mkdir(parents=True)
        for index in range(per_class):
            pixels = rng.integers(0, 120, (16, 16, 3), dtype=np.uint8)
            pixels[4:12, 4:12] = colour
            Image.fromarray(pixels).save(root / label / f"{index}.png")
    return root


@pytest.mark.slow
def test_cross_validation_on_images_fits_statistics_per_fold(tmp_path: Path) -> None:
    result = evaluate_images(_folder(tmp_path / "imgs"), cv=2, epochs=1, seed=0)
    assert result.model.k == 2 and result.n_rows == 24 and result.unit == "images"
    from rich.console import Console

    from trainwell.evaluate.evaluation import render

    console = Console(record=True, width=200)
    render(result, console)
    assert "2-fold cross-validation (binary, 24 images)" in console.export_text()
    assert set(result.baselines) >= {"majority class", "logistic"}
    summary = result.model.summary()
    assert 0 <= summary["accuracy"].mean <= 1
    # Normalisation is measured on each fold's training images only: the folds see different statistics.
    fold = result.predictions
    assert len(fold) == 2 and not np.array_equal(fold[0][0], fold[1][0])


def test_each_fold_measures_its_own_normalisation(tmp_path: Path) -> None:
    from trainwell.vision.data import _task
    from trainwell.vision.evaluation import ImageFold, read_labelled_images

    images, labels = read_labelled_images(_folder(tmp_path / "imgs", per_class=6), None)
    images[:3] = 255  # three images are white: the fold that trains on them measures a brighter mean
    task = _task(labels, None, None, "imgs")
    fold = ImageFold(images, labels, task, ["accuracy"], epochs=1)
    first, second = np.array([0, 1, 2, 6, 7, 8]), np.array([3, 4, 5, 9, 10, 11])  # both classes in each
    fold(first, second, 0)
    fold(second, first, 1)
    assert fold.means[0][0] > fold.means[1][0]


def test_each_fold_is_said_as_it_ends(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # images are the slowest folds: they were quiet until the table, as tables' were
    evaluate_images(_folder(tmp_path / "imgs", per_class=6), cv=2, epochs=1, seed=0, baselines=False)
    said = capsys.readouterr().err
    assert "fold 1 of 2 done in " in said and "fold 2 of 2 done in " in said
    evaluate_images(
        _folder(tmp_path / "quiet", per_class=6), cv=2, epochs=1, seed=0, baselines=False, progress=False
    )
    assert "fold 1 of 2" not in capsys.readouterr().err


def test_a_multilabel_csv_of_images_is_cross_validated(tmp_path: Path) -> None:
    """Red and/or blue squares, listed with '|'-separated labels; 'green' is rare (absent from some folds)."""
    rng = np.random.default_rng(0)
    rows = []
    for index in range(60):
        pixels = rng.integers(0, 60, (16, 16, 3), dtype=np.uint8)
        labels = [name for name in ("red", "blue") if rng.random() < 0.5]
        if index in (3, 40):
            labels.append("green")
        colours = {"red": (230, 30, 30), "blue": (30, 30, 230), "green": (30, 230, 30)}
        for name in labels:
            top, left = rng.integers(0, 10, 2)
            pixels[top : top + 6, left : left + 6] = colours[name]
        Image.fromarray(pixels).save(tmp_path / f"{index}.png")
        rows.append(f"{index}.png,{'|'.join(labels)}")  # no label at all: an empty cell
    csv = tmp_path / "labels.csv"
    csv.write_text("file,colours\n" + "\n".join(rows) + "\n")
    result = evaluate_images(csv, path_col="file", label_col="colours", label_delim="|", cv=3, epochs=2)
    assert result.task.kind == "multilabel" and set(result.task.classes) == {"red", "blue", "green"}
    assert not result.model.stratified and result.model.k == 3
    assert set(result.baselines) == {"label priors", "logistic", "HistGradientBoosting"}
    assert result.baselines["label priors"].summary()["roc_auc"].mean == pytest.approx(0.5, abs=0.01)
    for _valid, preds, targets in result.predictions:
        assert preds.shape[1] == targets.shape[1] == 3  # every fold scores all three labels


def test_an_unreadable_image_is_skipped_by_name(tmp_path: Path) -> None:
    from trainwell.vision.evaluation import read_labelled_images

    folder = _folder(tmp_path / "imgs", per_class=4)
    (folder / "red" / "broken.png").write_bytes(b"not an image")
    with pytest.warns(UserWarning, match=r"skipped 1 unreadable image file\(s\) of 9: .*broken\.png"):
        images, labels = read_labelled_images(folder, None)
    assert len(images) == len(labels) == 8


def test_an_array_of_images_is_evaluated_as_the_folder_it_came_from(tmp_path: Path) -> None:
    import trainwell
    from trainwell.vision.evaluation import read_labelled_images

    folder = _folder(tmp_path / "imgs")
    images, labels = read_labelled_images(folder, None)  # (24, 3, 16, 16) uint8, in the folder's order
    from_folder = trainwell.evaluate_images(folder, cv=2, epochs=1, seed=0)
    from_array = trainwell.evaluate_images(
        images.transpose(0, 2, 3, 1), labels, cv=2, epochs=1, seed=0
    )  # (N, H, W, C)
    assert from_array.to_dict() == from_folder.to_dict()
    assert "2-fold cross-validation (binary, 24 images)" in str(from_array)
    assert from_array.names == ["trainwell", "majority class", "logistic", "HistGradientBoosting"]
    low, high = from_array.interval("accuracy")
    assert 0 <= low <= from_array.mean("accuracy") <= high <= 1


def test_bad_image_input_is_one_line(tmp_path: Path) -> None:
    import trainwell
    from trainwell.core.errors import ConfigError, DataError

    with pytest.raises(DataError, match=r"'.*nowhere' not found: pass a folder of class folders"):
        trainwell.evaluate_images(tmp_path / "nowhere")
    folder = _folder(tmp_path / "imgs", per_class=3)
    with pytest.raises(ConfigError, match=r"labels= is for an array of images"):
        trainwell.evaluate_images(folder, ["red"] * 6)
    with pytest.raises(ConfigError, match=r"evaluate_images needs labels= with an array of images"):
        trainwell.evaluate_images(np.zeros((6, 8, 8), dtype=np.uint8))
    with pytest.raises(
        ConfigError, match=r"cv must be a whole number of folds of at least 2, got 1; pass e.g. cv=5"
    ):
        trainwell.evaluate_images(folder, cv=1)
    with pytest.raises(DataError, match=r"cv=4 is more than the smallest class count"):
        trainwell.evaluate_images(folder, cv=4)


def test_the_command_line_cross_validates_the_architecture_it_is_given(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    args = ["evaluate", str(_folder(tmp_path / "imgs")), "--cv", "2", "--epochs", "1", "--no-baselines"]
    said = CliRunner().invoke(app, [*args, "--arch", "xresnet18_small"], env={"COLUMNS": "200"})
    assert said.exit_code == 0, said.output
    assert "2-fold cross-validation (binary, 24 images)" in said.output


def test_images_are_judged_by_the_metrics_asked_for(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    # evaluate --metric was for tables only ("--metric is not used by images: drop it").
    args = ["evaluate", str(_folder(tmp_path / "imgs")), "--cv", "2", "--epochs", "1", "--metric", "log_loss"]
    said = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert said.exit_code == 0, said.output
    assert "│ log_loss" in said.output and "│ accuracy" not in said.output and "logistic" in said.output


def test_a_folders_test_split_is_left_out_of_the_folds(tmp_path: Path) -> None:
    # It was pooled with train/ and valid/: the images fit holds out of every choice were folded in.
    import shutil

    from typer.testing import CliRunner

    from trainwell.cli.app import app
    from trainwell.vision.evaluation import read_labelled_images

    root = tmp_path / "photos"
    _folder(root / "train", per_class=8)
    _folder(root / "valid", per_class=3)
    _folder(root / "test", per_class=5)
    images, labels = read_labelled_images(root, None)
    assert len(images) == len(labels) == 22  # train 16 + valid 6; test's 10 left out
    result = CliRunner().invoke(
        app, ["evaluate", str(root), "--cv", "2", "--epochs", "1", "--no-baselines"], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 0, result.output
    assert (
        f"{root / 'test'} left out: the folds are drawn from {root / 'train'} and {root / 'valid'}"
        in result.output
    )
    assert "2-fold cross-validation (binary, 22 images)" in result.output
    # The image reader's other names for the splits (training/, val/) are named alike.
    (root / "train").rename(root / "training")
    (root / "valid").rename(root / "val")
    renamed = CliRunner().invoke(
        app, ["evaluate", str(root), "--cv", "2", "--epochs", "1", "--no-baselines"], env={"COLUMNS": "250"}
    )
    assert renamed.exit_code == 0, renamed.output
    assert (
        f"{root / 'test'} left out: the folds are drawn from {root / 'training'} and {root / 'val'}"
        in renamed.output
    )
    # Without test/, train/ and valid/ were pooled into the folds without a word.
    shutil.rmtree(root / "test")
    pooled = CliRunner().invoke(
        app, ["evaluate", str(root), "--cv", "2", "--epochs", "1", "--no-baselines"], env={"COLUMNS": "250"}
    )
    assert pooled.exit_code == 0, pooled.output
    assert (
        f"the folds are drawn from {root / 'training'} and {root / 'val'} together (each fold holds out its own "
        "share, not the folder's split)"
    ) in " ".join(pooled.output.split())


def test_images_repeated_across_the_folds_are_said_once_by_path(tmp_path: Path) -> None:
    import shutil
    import warnings

    folder = _folder(tmp_path / "imgs", per_class=8)
    for copy in ("a.png", "b.png"):
        shutil.copy(folder / "red" / "0.png", folder / "red" / copy)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluate_images(folder, cv=2, epochs=1, baselines=False)
    said = [str(w.message) for w in caught if "pixel" in str(w.message)]
    assert len(said) == 1, said  # once for the whole set, not again by each fold
    assert said[0].startswith(f"{folder}: 2 of 18 images repeat another image pixel for pixel (the first: ")
    assert f"the same pixels as '{folder / 'red' / '0.png'}'" in said[0]
