"""Several numbers an image (``--label-col x,y``: where a bright square sits) train one regression: the images
squished, not cropped, and augmented without moving a pixel (a flip had sent x's R² below 0), answered per
target by the predictor, ``trainwell predict``, the report and cross-validation; flag columns mistyped or mixed
with numbers are refused by cell."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from process_support import run_trainwell
from trainwell.core.errors import DataError
from trainwell.export import load
from trainwell.vision import fit_images, image_data
from trainwell.vision.evaluation import evaluate_images

SIDE = 24


def write_points(root: Path, n: int = 160, seed: int = 0, width: int = SIDE) -> Path:
    """``root/<i>.png``, each a dark image ``width`` x 24 with a bright 4-pixel square; ``root/points.csv``:
    ``path,x,y``, the square's centre as fractions of the width and height."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rows = []
    for index in range(n):
        image = rng.integers(0, 40, (SIDE, width, 3), dtype=np.uint8)
        left, top = int(rng.integers(0, width - 4)), int(rng.integers(0, SIDE - 4))
        image[top : top + 4, left : left + 4] = 240
        Image.fromarray(image).save(root / f"{index}.png")
        rows.append((f"{index}.png", (left + 2) / width, (top + 2) / SIDE))
    pd.DataFrame(rows, columns=["path", "x", "y"]).to_csv(root / "points.csv", index=False)
    return root / "points.csv"


def test_a_point_per_image_is_one_regression_of_its_columns_kept_in_place(tmp_path: Path) -> None:
    points = write_points(tmp_path / "wide", n=40, width=40)  # 40 x 24: a centre crop would cut x's ends off
    data = image_data(points, path_col="path", label_col="x,y", size=24)
    assert data.task.kind == "regression" and data.task.target_names == ("x", "y")
    assert data.recipe.resize == "squish"
    augmentation = data.augmentation
    assert augmentation is not None and augmentation.flip is False and augmentation.pixel_shift == 0
    assert (augmentation.max_rotate, augmentation.max_translate, augmentation.min_scale) == (0.0, 0.0, 1.0)
    assert augmentation.brightness > 0  # colours still vary
    asked = image_data(
        points, path_col="path", label_col="x,y", size=24, augmentation="default", resize="crop"
    )
    assert asked.augmentation is not None and asked.augmentation.flip and asked.recipe.resize == "crop"
    pixels = np.random.default_rng(0).integers(0, 255, (20, 3, 8, 8), dtype=np.uint8)
    arrays = image_data(pixels, labels=np.linspace(0, 1, 40).reshape(20, 2))
    assert arrays.task.target_names == ("label_0", "label_1")
    flags = image_data(pixels, labels=np.eye(2, dtype=int)[np.arange(20) % 2].tolist())  # multi-hot rows
    assert flags.task.kind == "multilabel" and flags.augmentation is not None and flags.augmentation.flip


def test_both_coordinates_are_learned_and_answered_by_name(tmp_path: Path) -> None:
    points = write_points(tmp_path / "points")
    run = fit_images(points, path_col="path", label_col="x,y", epochs=6, seed=0, progress=False,
                     out=tmp_path / "model")  # fmt: skip
    final = run.learn.history[-1]
    # Measured: r2[x] 0.950, r2[y] 0.952 (10 epochs: 0.965, 0.978); with the photo preset's flips
    # (augmentation="default") x's was 0.018.
    assert final["r2[x]"] > 0.6 and final["r2[y]"] > 0.6, final
    predictor = load(tmp_path / "model")
    answers = predictor.predict([tmp_path / "points" / "0.png", tmp_path / "points" / "1.png"])
    assert list(answers.columns) == ["path", "x_predicted", "y_predicted"]  # as the command line writes them
    done = run_trainwell("predict", str(tmp_path / "model"), str(tmp_path / "points" / "3.png"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "path,x_predicted,y_predicted"
    # A tour: test-time augmentation had pulled the points toward the middle (colour views alone).
    refused = run_trainwell("predict", str(tmp_path / "model"), str(tmp_path / "points" / "3.png"), "--tta")
    assert refused.returncode == 2 and "this model predicts x, y in each image" in refused.stderr
    report = run_trainwell("report", str(tmp_path / "model"), "--data", str(points), "--out",
                           str(tmp_path / "report.html"))  # fmt: skip
    assert report.returncode == 0, report.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "x: predicted against actual" in page and "y: predicted against actual" in page


def test_cross_validation_scores_each_coordinate_against_the_baselines(tmp_path: Path) -> None:
    points = write_points(tmp_path / "points", n=60)
    result = evaluate_images(points, path_col="path", label_col="x,y", cv=2, epochs=1, seed=0)
    assert result.task.target_names == ("x", "y")
    assert {"rmse[x]", "rmse[y]", "r2[x]"} <= set(result.model.summary())
    assert "ridge" in result.baselines and "rmse[y]" in result.baselines["ridge"].summary()


@pytest.mark.parametrize(
    ("columns", "said"),
    [
        # A tour: one 2 in each of two flag columns had trained a regression of the flags, unsaid.
        (
            {"flag": [0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 2], "big": [1, 0, 0, 1, 1, 0, 2, 1, 0, 0, 1, 0]},
            "--label-col 'big' holds 2 in data row 7 of .*, where its other cells are 0 or 1",
        ),
        (
            {"x": [0.1, 0.5, 0.9] * 4, "visible": [0, 1, 1] * 4},
            "--label-col 'visible' holds 0/1 flags while 'x' holds numbers to predict",
        ),
        ({"x": [0.1, 0.5, np.nan] * 4, "y": [0.2, 0.3, 0.4] * 4}, "--label-col 'x' holds nan in data row 3"),
    ],
)
def test_columns_that_are_not_all_numbers_to_predict_are_refused(
    tmp_path: Path, columns: dict[str, list[float]], said: str
) -> None:
    write_points(tmp_path, n=12)
    table = pd.DataFrame({"path": [f"{index}.png" for index in range(12)], **columns})
    table.to_csv(tmp_path / "mixed.csv", index=False)
    with pytest.raises(DataError, match=said):
        image_data(tmp_path / "mixed.csv", path_col="path", label_col=",".join(columns), size=16)


def test_numbers_to_predict_are_not_read_as_classes_when_a_task_asks_for_them(tmp_path: Path) -> None:
    # A tour: --task multilabel had made each distinct coordinate a "label" (0.0938, 0.125...).
    from trainwell.core.errors import ConfigError

    points = write_points(tmp_path, n=12)
    with pytest.raises(
        ConfigError, match=r"holds numbers to predict in each image .* --task multilabel cannot"
    ):
        image_data(points, path_col="path", label_col="x,y", task="multilabel", size=16)
    with pytest.raises(ConfigError, match=r"--label-col names 'x' twice \(x,x\)"):
        image_data(points, path_col="path", label_col="x,x", size=16)
