"""Images given by path, in any form, are predicted with each image's path first and in the order given, by the
PyTorch predictor, the ONNX predictor and `trainwell predict` alike (a list of paths gave no path column, unlike
a folder)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import trainwell
from image_files import make_image_folder, small_image_model
from trainwell.cli.app import app


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_image_model(tmp_path_factory.mktemp("predictor_paths"))


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_image_folder(tmp_path_factory.mktemp("new"), per_class=3, size=12, seed=1)


def test_every_form_of_paths_gives_each_image_its_path_in_the_order_given(model: Path, images: Path) -> None:
    predictor = trainwell.load(model)
    a, b = images / "vertical" / "002.png", images / "horizontal" / "000.png"
    folder = images / "vertical"
    in_folder = [str(path) for path in sorted(folder.glob("*.png"))]
    pixels = predictor.predict([a.read_bytes(), b.read_bytes()])  # bytes have no path: as before
    assert "path" not in pixels.columns and len(pixels) == 2

    listed = predictor.predict([a, str(b)])
    assert listed.columns[0] == "path" and list(listed["path"]) == [str(a), str(b)]
    assert listed.drop(columns="path").equals(pixels)
    one = predictor.predict(a)
    assert list(one["path"]) == [str(a)] and one["prediction"].equals(pixels["prediction"].iloc[:1])
    # files and folders mixed, as on the command line: a folder's images in its place, in numbered order
    mixed = predictor.predict([a, b, folder])
    assert list(mixed["path"]) == [str(a), str(b), *in_folder]
    # Predicted in one batch of 5 rather than batches of 2 and 3: the same answers, the probabilities alike to
    # float rounding (a CPU kernel may sum in another order for another batch size: 0.516654 against 0.516655).
    same = {"check_exact": False, "rtol": 1e-5, "atol": 1e-6}
    pd.testing.assert_frame_equal(mixed.iloc[:2], listed, **same)
    pd.testing.assert_frame_equal(mixed.iloc[2:].reset_index(drop=True), predictor.predict(folder), **same)
    # a table's column keeps its rows' labels, now beside each path
    series = predictor.predict(pd.Series([str(b), str(a)], index=[20, 10]))
    assert list(series.index) == [20, 10] and list(series["path"]) == [str(b), str(a)]
    # a DataFrame's rows are named by its own column, its cells as written, so the answers join back
    frame = predictor.predict(pd.DataFrame({"file": [str(b), str(a)]}, index=[20, 10]), path_col="file")
    assert frame.columns[0] == "file" and frame.rename(columns={"file": "path"}).equals(series)


def test_the_onnx_predictor_names_the_paths_as_the_pytorch_one(
    model: Path, images: Path, tmp_path: Path
) -> None:
    pytest.importorskip("onnxruntime")
    from trainwell.export import OnnxPredictor, export_onnx

    copy = tmp_path / "model"
    shutil.copytree(model, copy)
    export_onnx(copy)
    a, folder = images / "vertical" / "002.png", images / "horizontal"
    by_torch = trainwell.load(copy).predict([a, folder])
    by_onnx = OnnxPredictor(copy).predict([a, folder])
    assert list(by_onnx.columns) == list(by_torch.columns) and by_onnx.columns[0] == "path"
    assert list(by_onnx["path"]) == list(by_torch["path"]) and len(by_onnx) == 4
    np.testing.assert_allclose(by_onnx["probability_vertical"], by_torch["probability_vertical"], atol=1e-5)
    # and on the command line, given the model's model.onnx (onnxruntime's answers were arrays, not tensors)
    result = CliRunner().invoke(app, ["predict", str(copy / "model.onnx"), str(a), str(folder)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.stdout))
    assert list(table["path"]) == list(by_torch["path"])
    np.testing.assert_allclose(table["probability_vertical"], by_torch["probability_vertical"], atol=1e-5)


def test_the_command_line_names_files_and_folders_in_the_order_given(model: Path, images: Path) -> None:
    a, b, folder = images / "vertical" / "002.png", images / "horizontal" / "001.png", images / "horizontal"
    result = CliRunner().invoke(app, ["predict", str(model), str(a), str(b), str(folder)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.stdout))
    in_folder = [str(path) for path in sorted(folder.glob("*.png"))]
    assert list(table["path"]) == [str(a), str(b), *in_folder]
    expected = trainwell.load(model).predict([a, b, folder])
    assert list(table.columns) == list(expected.columns)
    assert list(table["prediction"]) == list(expected["prediction"])
