"""Test-time augmentation through ``model.onnx``: ``OnnxPredictor.predict(..., tta=True)`` and ``trainwell predict
MODEL/model.onnx --tta`` give the PyTorch predictor's TTA answers on real image files (its views, blended alike,
run through the graph), for augmented and for shifted views; what PyTorch's predict refuses (a table model, an
image model predicting several numbers) the graph refuses in one line.

Both had refused with "test-time augmentation runs on the PyTorch predictor only", although the server already
answered ``"tta": true`` on its onnx backend.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from typer.testing import CliRunner

import trainwell
from image_files import make_image_folder, shape_image
from trainwell.cli.app import app
from trainwell.core.errors import ConfigError
from trainwell.datasets import ADULT_TARGET, adult_sample
from trainwell.export import load
from trainwell.export.onnx import OnnxPredictor, export_onnx
from trainwell.vision import fit_images
from trainwell.vision.augment import Augmentation
from trainwell.vision.transform import tta_views_for

CLASSES = ("horizontal", "vertical", "square")


def _run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(arg) for arg in args], env={"COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _image_model(root: Path, classes: tuple[str, ...], augmentation: Augmentation | str) -> Path:
    """A small CNN trained one epoch on 24x24 PNGs of ``classes``, exported with its ``model.onnx``."""
    folder = make_image_folder(root / "images", classes, per_class=16, seed=0)
    fit_images(folder, epochs=1, seed=0, progress=False, out=root / "model", augmentation=augmentation)
    export_onnx(root / "model")
    return root / "model"


@pytest.fixture(scope="module")
def augmented(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three classes (softmax), the default augmentation: TTA blends the plain view with 4 augmented draws."""
    return _image_model(tmp_path_factory.mktemp("tta-augmented"), CLASSES, "default")


@pytest.fixture(scope="module")
def shifted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two classes (sigmoid), trained on flips and 2-pixel shifts: TTA averages shifts and mirror images."""
    augmentation = Augmentation(flip=True, pixel_shift=2)
    return _image_model(tmp_path_factory.mktemp("tta-shifted"), CLASSES[:2], augmentation)


@pytest.fixture(scope="module")
def new_images(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Files the models never saw: PNGs of another size than the training one (the recipe fits them), a JPEG
    and a grayscale PNG."""
    root = tmp_path_factory.mktemp("tta-new")
    make_image_folder(root / "new", CLASSES, per_class=3, size=31, seed=7)
    rng = np.random.default_rng(3)
    shape_image("square", rng, size=26).save(root / "photo.jpg", "JPEG")
    shape_image("vertical", rng, size=20, mode="L").save(root / "gray.png")
    return [*sorted((root / "new").rglob("*.png")), root / "photo.jpg", root / "gray.png"]


@pytest.mark.parametrize(("model", "views"), [("augmented", "augmented"), ("shifted", "shifted")])
def test_onnx_tta_equals_pytorch_tta_on_image_files(
    model: str, views: str, new_images: list[Path], request: pytest.FixtureRequest
) -> None:
    model_dir: Path = request.getfixturevalue(model)
    torch_predictor, onnx_predictor = load(model_dir), OnnxPredictor(model_dir, threads=1)
    assert onnx_predictor.augmentation == torch_predictor.augmentation
    assert tta_views_for(onnx_predictor.augmentation) == views
    reference = torch_predictor.predict_proba(new_images, tta=True).numpy()
    found = onnx_predictor.predict_proba(new_images, tta=True)
    assert found.dtype == np.float32 and found.shape == reference.shape
    np.testing.assert_allclose(found, reference, atol=1e-4, rtol=0)
    # Without this the comparison could pass with TTA ignored on both sides.
    plain = onnx_predictor.predict_proba(new_images)
    assert np.abs(found - plain).max() > 1e-3
    # The table, images given by path (path first) and as decoded Pillow images.
    table, expected = (
        onnx_predictor.predict(new_images, tta=True),
        torch_predictor.predict(new_images, tta=True),
    )
    assert list(table.columns) == list(expected.columns) and table["path"].equals(expected["path"])
    assert table["prediction"].equals(expected["prediction"])
    columns = [name for name in expected.columns if name.startswith("probability_")]
    np.testing.assert_allclose(table[columns].to_numpy(), expected[columns].to_numpy(), atol=1e-4, rtol=0)
    pillow = [Image.open(path) for path in new_images]
    np.testing.assert_allclose(onnx_predictor.predict_proba(pillow, tta=True), reference, atol=1e-4, rtol=0)


def test_predict_model_onnx_with_tta_writes_the_directory_s_tta_table(
    shifted: Path, new_images: list[Path]
) -> None:
    folder = new_images[0].parent.parent  # new/<class>/*.png, 3 images a class
    code, graph_out, graph_err = _run("predict", shifted / "model.onnx", folder, "--tta")
    assert code == 0, graph_err
    code, torch_out, torch_err = _run("predict", shifted, folder, "--tta")
    assert code == 0, torch_err
    graph, reference = pd.read_csv(io.StringIO(graph_out)), pd.read_csv(io.StringIO(torch_out))
    assert list(graph.columns) == list(reference.columns) == ["path", "prediction", "probability_vertical"]
    assert len(graph) == 9 and graph[["path", "prediction"]].equals(reference[["path", "prediction"]])
    np.testing.assert_allclose(graph["probability_vertical"], reference["probability_vertical"], atol=1e-4)
    said = (
        "--tta: each image's probabilities average the image (half) and its shifts by one pixel up-left and "
    )
    assert said in graph_err and said in torch_err
    code, plain_out, _ = _run("predict", shifted / "model.onnx", folder)
    plain = pd.read_csv(io.StringIO(plain_out))
    assert (plain["probability_vertical"] - graph["probability_vertical"]).abs().max() > 1e-3


def test_what_pytorch_refuses_the_graph_refuses_in_one_line(tmp_path: Path) -> None:
    adult = adult_sample().head(300)
    # lr given: no learning-rate sweep (and its plot), which this test does not look at
    trainwell.fit_table(adult, ADULT_TARGET, out=tmp_path / "table", epochs=1, lr=1e-2, progress=False)
    export_onnx(tmp_path / "table")
    rows = adult.drop(columns=[ADULT_TARGET]).head(3)
    table = OnnxPredictor(tmp_path / "table", threads=1)
    words = (
        "tta (--tta): test-time augmentation averages an image model's answers over views of each image; this is "
        "a table model, which has no images to view: predict without tta"
    )
    for call in (table.predict, table.predict_proba):
        with pytest.raises(ConfigError) as refused:
            call(rows, tta=True)
        assert str(refused.value) == words
    rows.to_csv(tmp_path / "rows.csv", index=False)
    code, _, err = _run("predict", tmp_path / "table" / "model.onnx", tmp_path / "rows.csv", "--tta")
    assert code == 2 and "--tta (test-time augmentation) is for image models; drop it" in err

    # Several numbers an image (a point's x and y): views that move no pixel pull them toward the middle.
    points = tmp_path / "points"
    points.mkdir()
    rng = np.random.default_rng(0)
    cells = []
    for index in range(24):
        image = rng.integers(0, 40, (24, 24, 3), dtype=np.uint8)
        left, top = (int(value) for value in rng.integers(0, 20, 2))
        image[top : top + 4, left : left + 4] = 240
        Image.fromarray(image).save(points / f"{index}.png")
        cells.append((f"{index}.png", (left + 2) / 24, (top + 2) / 24))
    pd.DataFrame(cells, columns=["path", "x", "y"]).to_csv(points / "points.csv", index=False)
    fit_images(points / "points.csv", path_col="path", label_col="x,y", epochs=1, seed=0, progress=False,
               out=tmp_path / "xy")  # fmt: skip
    export_onnx(tmp_path / "xy")
    graph = OnnxPredictor(tmp_path / "xy", threads=1)
    with pytest.raises(
        ConfigError, match=r"^tta \(--tta\): .*this model predicts x, y in each image.*: predict "
    ):
        graph.predict([points / "0.png"], tta=True)
    assert len(graph.predict([points / "0.png"])) == 1
    code, _, err = _run("predict", tmp_path / "xy" / "model.onnx", points / "0.png", "--tta")
    assert code == 2 and "this model predicts x, y in each image" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) <= 2, err  # one line (rich may wrap it once)
