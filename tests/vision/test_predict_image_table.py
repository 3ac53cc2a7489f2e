"""A table of image paths is predicted row for row under its own column of paths, its cells as written, so the
answers join back to the table: on the command line, in Python (a CSV's path or a DataFrame) and on the ONNX
predictor. A tour's ``trainwell predict MODEL csvimg/test.csv`` wrote a ``path`` column of joined paths
(``csvimg/../c10small/test/airplane/0000.jpg``) instead of the table's ``image`` column as written
(``../c10small/test/airplane/0000.jpg``): the output joined back to nothing."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import trainwell
from image_files import make_image_folder
from trainwell.cli.app import app
from trainwell.vision.pipeline import fit_images


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """As the tour laid it out: images in ``c10small/{train,test}/<class>/``, and ``csvimg/{train,test}.csv``
    listing them relative to the CSV, in a sibling folder (``../c10small/...``), under the column ``image``;
    ``model/`` trained from ``csvimg/train.csv``. ``test.csv`` lists a broken image as its third row."""
    root = tmp_path_factory.mktemp("tour")
    tables = root / "csvimg"
    tables.mkdir()
    for split, count, seed in (("train", 8, 0), ("test", 3, 1)):
        folder = make_image_folder(root / "c10small" / split, per_class=count, size=12, seed=seed)
        files = sorted(folder.rglob("*.png"))
        rows = pd.DataFrame(
            {"image": [f"../{path.relative_to(root).as_posix()}" for path in files],
             "label": [path.parent.name for path in files]}
        )  # fmt: skip
        if split == "test":
            (root / "c10small" / "test" / "broken.png").write_bytes(b"not an image")
            broken = pd.DataFrame({"image": ["../c10small/test/broken.png"], "label": ["vertical"]})
            rows = pd.concat([rows.iloc[:2], broken, rows.iloc[2:]], ignore_index=True)
        rows.to_csv(tables / f"{split}.csv", index=False)
    fit_images(tables / "train.csv", path_col="image", label_col="label", out=root / "model", epochs=1,
               progress=False)  # fmt: skip
    return root


def _predict(*args: str | Path) -> tuple[pd.DataFrame, str]:
    result = CliRunner().invoke(app, ["predict", *map(str, args)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    return pd.read_csv(io.StringIO(result.stdout)), result.stderr


def test_the_command_line_names_a_tables_rows_by_its_column_of_paths_as_written(tour: Path) -> None:
    test = tour / "csvimg" / "test.csv"
    written = pd.read_csv(test)
    table, err = _predict(tour / "model", test)
    assert "skipped 1 unreadable image file(s) of 7" in err and "broken.png" in err
    assert "each keeps its row, with an empty prediction and the reason in the 'error' column" in err
    assert list(table.columns) == ["image", "prediction", "probability_vertical", "error"]
    # one row per row of the CSV, in order, the cells as the CSV writes them: it joins back, the broken one too
    assert table["image"].tolist() == written["image"].tolist()
    assert not table["image"].str.contains("csvimg").any()
    broken = table.loc[2]
    assert pd.isna(broken["prediction"]) and pd.isna(broken["probability_vertical"])
    assert (
        broken["error"].startswith("UnidentifiedImageError: ") and table["error"].drop(index=2).isna().all()
    )
    decoded = table.drop(index=2).reset_index(drop=True).drop(columns="error")
    # the images named on the command line are answered alike, each by its own path
    files = [tour / "csvimg" / cell for cell in decoded["image"]]
    direct, _ = _predict(tour / "model", *files)
    assert direct.columns[0] == "path"
    pd.testing.assert_frame_equal(decoded.drop(columns="image"), direct.drop(columns="path"))
    # --keep names the column of paths once, where it is named; other kept columns come first, as before
    kept, _ = _predict(tour / "model", test, "--keep", "image")
    pd.testing.assert_frame_equal(kept, table)
    both, _ = _predict(tour / "model", test, "--keep", "label,image")
    assert list(both.columns[:3]) == ["label", "image", "prediction"]
    label_first, _ = _predict(tour / "model", test, "--keep", "label")
    pd.testing.assert_frame_equal(label_first, both)
    # --label-only names the rows by the same column
    submission, _ = _predict(tour / "model", test, "--label-only")
    assert list(submission.columns) == ["image", "label"]
    assert submission["image"].tolist() == table["image"].tolist()


def test_python_predicts_a_csv_and_a_dataframe_under_their_column_of_paths(
    tour: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    predictor = trainwell.load(tour / "model")
    test = tour / "csvimg" / "test.csv"
    written = pd.read_csv(test)
    with pytest.warns(UserWarning, match=r"skipped 1 unreadable image file\(s\) of 7: .*broken\.png"):
        from_csv = predictor.predict(test)
    assert from_csv.columns[0] == "image" and "path" not in from_csv.columns
    # the rows' positions in the CSV as the index: the broken third row (2) keeps its place, empty but for why
    assert list(from_csv.index) == [0, 1, 2, 3, 4, 5, 6]
    assert from_csv["image"].equals(written["image"])
    assert pd.isna(from_csv.loc[2, "prediction"]) and "cannot identify image file" in from_csv.loc[2, "error"]
    assert (from_csv["error"] == "").sum() == 6
    joined = written.join(from_csv.drop(columns="image"), how="inner")
    assert len(joined) == 7 and joined["image"].tolist() == from_csv["image"].tolist()
    monkeypatch.chdir(tour / "csvimg")  # a DataFrame's paths are read from the working folder
    frame = written.drop(index=2).set_index(pd.Index([10, 11, 13, 14, 15, 16]))
    from_frame = predictor.predict(frame)
    assert list(from_frame.index) == [10, 11, 13, 14, 15, 16] and from_frame.columns[0] == "image"
    assert from_frame["image"].tolist() == frame["image"].tolist()
    decoded = from_csv.drop(index=2, columns="error")
    decoded["prediction"] = decoded["prediction"].astype(from_frame["prediction"].dtype)
    pd.testing.assert_frame_equal(from_frame.reset_index(drop=True), decoded.reset_index(drop=True))
    # paths given on their own keep their 'path' column
    assert predictor.predict(frame["image"].tolist()).columns[0] == "path"


def test_the_onnx_predictor_names_a_tables_rows_as_the_pytorch_one(tour: Path, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    from trainwell.export import OnnxPredictor, export_onnx

    copy = tmp_path / "model"
    shutil.copytree(tour / "model", copy)
    export_onnx(copy)
    test = tour / "csvimg" / "test.csv"
    with pytest.warns(UserWarning, match="broken.png"):
        by_torch = trainwell.load(copy).predict(test)
    with pytest.warns(UserWarning, match="broken.png"):
        by_onnx = OnnxPredictor(copy).predict(test)
    assert list(by_onnx.columns) == list(by_torch.columns) and by_onnx.columns[0] == "image"
    assert list(by_onnx.index) == list(by_torch.index) and by_onnx["image"].equals(by_torch["image"])
    np.testing.assert_allclose(by_onnx["probability_vertical"], by_torch["probability_vertical"], atol=1e-5)
    on_cli, _ = _predict(copy / "model.onnx", test)
    assert on_cli["image"].tolist() == by_torch["image"].tolist()
