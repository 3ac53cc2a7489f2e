"""ONNX export of an image model: the ``pixels`` graph matches PyTorch, the ONNX predictor gives the
PyTorch predictor's table, and the command checks on real image files or on synthesised images."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest
import torch
import typer
from PIL import Image
from typer.testing import CliRunner

from trainwell.cli.export_cmd import export
from trainwell.core.errors import ArtifactError, DataError
from trainwell.export import load, read_metadata
from trainwell.export import onnx as onnx_export
from trainwell.export.onnx import OnnxPredictor, export_onnx

CLASSES = ("dark", "light", "striped")
SIZE = 20


def class_image(label: str, rng: np.random.Generator, size: int = SIZE) -> Image.Image:
    """A noisy RGB image whose class is visible: mostly dark, mostly light, or striped."""
    base = {"dark": 40, "light": 200, "striped": 100}[label]
    pixels = np.clip(rng.normal(base, 25, (size, size, 3)), 0, 255).astype(np.uint8)
    if label == "striped":
        pixels[::4] = 250
    return Image.fromarray(pixels, "RGB")


def write_images(root: Path, per_class: int, seed: int, size: int = SIZE) -> Path:
    rng = np.random.default_rng(seed)
    for label in CLASSES:
        (root / label).mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            class_image(label, rng, size).save(root / label / f"{index:02d}.png")
    return root


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from trainwell.vision import image_data, vision_learner

    root = tmp_path_factory.mktemp("vision-export")
    learn = vision_learner(image_data(write_images(root / "train", 12, seed=0), seed=0), progress=False)
    learn.fit_one_cycle(1)
    learn.export(root / "model")
    return root / "model"


@pytest.fixture
def model_dir(trained: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(trained, tmp_path / "model"))


@pytest.fixture(scope="module")
def new_images(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Images the model never saw, some of another size than the training one (fitted by the recipe)."""
    root = tmp_path_factory.mktemp("vision-new")
    write_images(root / "small", 3, seed=5)
    write_images(root / "large", 2, seed=6, size=31)
    return sorted(root.rglob("*.png"))


def test_export_on_synthesised_images_matches_pytorch(model_dir: Path) -> None:
    report = export_onnx(model_dir)
    assert report.synthetic and report.unit == "images"
    assert report.n_rows_checked == onnx_export.SYNTHETIC_IMAGES
    assert (report.input_names, report.output_names) == (["pixels"], ["logits"])
    assert report.max_abs_diff <= 1e-4
    entry = read_metadata(model_dir)["onnx"]
    assert entry["inputs"] == ["pixels"] and entry["checked_on"] == "synthetic images"
    assert entry["n_images_checked"] == onnx_export.SYNTHETIC_IMAGES
    # The graph: float32 pixels (batch, C, H, W) with a dynamic batch axis.
    session = ort.InferenceSession(str(report.path), providers=["CPUExecutionProvider"])
    (graph_input,) = session.get_inputs()
    assert graph_input.type == "tensor(float)"
    assert graph_input.shape[1:] == [3, SIZE, SIZE] and isinstance(graph_input.shape[0], str)
    # The file says what to feed it and what its outputs are, for a runtime without trainwell.
    card = session.get_modelmeta().custom_metadata_map
    assert (card["application"], card["task"]) == ("vision", "multiclass")
    assert json.loads(card["classes"]) == list(load(model_dir).task.classes)
    assert (card["image_size"], card["channels"]) == (f"{SIZE}x{SIZE}", "3")
    assert card["resize"] == load(model_dir).recipe.resize and "0..1" in card["inputs"]


def test_export_on_image_files_and_the_graph_on_any_batch(model_dir: Path, new_images: list[Path]) -> None:
    report = export_onnx(model_dir, inputs=new_images, opset=13)
    assert not report.synthetic and report.n_rows_checked == len(new_images)
    assert report.max_abs_diff <= 1e-4
    assert read_metadata(model_dir)["onnx"]["checked_on"] == "given images"
    predictor = load(model_dir)
    session = ort.InferenceSession(str(report.path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(3)
    for batch in (1, 50):
        pixels = rng.integers(0, 256, (batch, 3, SIZE, SIZE), dtype=np.uint8)
        logits = session.run(None, {"pixels": pixels.astype(np.float32) / np.float32(255)})[0]
        with torch.no_grad():
            expected = predictor.model(torch.from_numpy(pixels)).numpy()  # uint8: the model divides itself
        assert logits.shape == expected.shape == (batch, len(CLASSES))
        np.testing.assert_allclose(logits, expected, atol=1e-4)


def test_onnx_predictor_table_equals_the_torch_predictor(model_dir: Path, new_images: list[Path]) -> None:
    export_onnx(model_dir, inputs=new_images)
    torch_predictor, onnx_predictor = load(model_dir), OnnxPredictor(model_dir, threads=1)
    assert onnx_predictor.application == "vision" and onnx_predictor.input_names == ["image"]
    expected = torch_predictor.predict(new_images)
    actual = onnx_predictor.predict(new_images)
    assert list(actual.columns) == ["path", "prediction", *[f"probability_{label}" for label in CLASSES]]
    pd.testing.assert_frame_equal(actual, expected, check_exact=False, atol=1e-4, rtol=0)
    assert (actual["prediction"] == expected["prediction"]).all()
    # Encoded bytes, Pillow images, single arrays (resized when of another size) and a uint8 batch.
    as_bytes = [path.read_bytes() for path in new_images[:3]]
    pil = [Image.open(io.BytesIO(data)) for data in as_bytes]
    arrays = [np.asarray(Image.open(path)) for path in new_images[-2:]]  # (31, 31, 3): fitted to 20x20
    for inputs in (as_bytes, pil, arrays):
        np.testing.assert_allclose(
            onnx_predictor.predict_proba(inputs), torch_predictor.predict_proba(inputs).numpy(), atol=1e-4
        )
    batch = torch_predictor.pixels(new_images[:4]).numpy()
    np.testing.assert_array_equal(onnx_predictor.pixels(new_images[:4]), batch)
    np.testing.assert_allclose(
        onnx_predictor.predict_proba(batch), torch_predictor.predict_proba(batch).numpy(), atol=1e-4
    )


def test_onnx_predictor_takes_one_image_and_batches_of_another_size_as_pytorch_does(
    model_dir: Path, new_images: list[Path]
) -> None:
    # ONNX's predictor read a path string as a sequence of characters ("'/' does not exist"), a Pillow image as
    # "not iterable", and refused a batch array of another size that the PyTorch predictor fits image by image.
    export_onnx(model_dir)
    torch_predictor, onnx_predictor = load(model_dir), OnnxPredictor(model_dir, threads=1)
    path = next(path for path in new_images if "large" in path.parts)
    with Image.open(path) as image:
        pillow = image.copy()
    for single in (str(path), path, path.read_bytes(), pillow, np.asarray(pillow)):
        np.testing.assert_allclose(
            onnx_predictor.predict_proba(single), torch_predictor.predict_proba([path]).numpy(), atol=1e-4
        )
    batch = np.stack([np.asarray(Image.open(path)) for path in new_images if "large" in path.parts])
    assert batch.shape[1:] == (31, 31, 3)
    np.testing.assert_array_equal(onnx_predictor.pixels(batch), torch_predictor.pixels(batch).numpy())
    assert onnx_predictor.pixels(batch).shape == (len(batch), 3, SIZE, SIZE)


def test_onnx_predictor_needs_no_weights_and_names_bad_images(model_dir: Path, tmp_path: Path) -> None:
    export_onnx(model_dir)
    (model_dir / "model.safetensors").unlink()
    predictor = OnnxPredictor(model_dir, threads=1)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image at all")
    good = class_image("dark", np.random.default_rng(0))
    with pytest.raises(DataError, match=r"'.*broken.png' could not be decoded as an image"):
        predictor.predict([good, broken])
    with pytest.raises(DataError, match="image 1 could not be decoded as an image"):
        predictor.predict([good, b"\x89PNG broken"])
    with pytest.raises(DataError, match=r"must have 1, 3 or 4 \(RGBA\) channels; got shape \(2, 5, 8, 8\)"):
        predictor.predict(np.zeros((2, 5, 8, 8), dtype=np.uint8))  # another size is fitted; 5 channels never
    with pytest.raises(DataError, match="no images to predict"):
        predictor.predict([])
    assert len(predictor.predict([good], tta=True)) == 1  # test-time augmentation runs on the graph alone
    assert len(predictor.predict([good])) == 1


def test_a_difference_above_tolerance_writes_nothing(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = (model_dir / "trainwell.json").read_bytes()
    run = onnx_export.run_onnx_pixels  # scaled logits (a shift would not change the probabilities)
    monkeypatch.setattr(onnx_export, "run_onnx_pixels", lambda *args: run(*args) * np.float32(3))
    with pytest.raises(
        ArtifactError, match=r"on 64 images, above the tolerance 0\.0001; nothing was written"
    ):
        export_onnx(model_dir)
    assert not (model_dir / "model.onnx").exists()
    assert (model_dir / "trainwell.json").read_bytes() == before


def test_bad_check_images_are_refused(model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no images to check the export on"):
        export_onnx(model_dir, inputs=[])
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 truncated")
    with pytest.raises(DataError, match=r"'.*broken.jpg' could not be decoded"):
        export_onnx(model_dir, inputs=[broken])
    assert not (model_dir / "model.onnx").exists()


def cli() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.callback()(lambda: None)
    app.command("export")(export)
    return app


def test_cli_checks_on_folders_and_files(model_dir: Path, new_images: list[Path]) -> None:
    folder = new_images[0].parent.parent  # holds two class folders of images
    extra = new_images[0]
    result = CliRunner().invoke(
        cli(), ["export", str(model_dir), "--data", str(folder), "--data", str(extra)]
    )
    assert result.exit_code == 0, result.output
    entry = read_metadata(model_dir)["onnx"]
    output = " ".join(result.output.split())
    assert (
        f"onnxruntime matches PyTorch on {entry['n_images_checked']} images from {folder}, {extra}" in output
    )
    assert f"max difference {entry['max_abs_diff']:.2e}" in output and entry["max_abs_diff"] <= 1e-4


def test_cli_says_when_images_were_synthesised(model_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli(), ["export", str(model_dir)])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "64 images synthesised at the recipe's size 20x20x3 (random pixels" in output
    empty = tmp_path / "empty"
    empty.mkdir()
    failed = CliRunner().invoke(cli(), ["export", str(model_dir), "--data", str(empty)])
    assert failed.exit_code == 2 and re.search(r"folder '.*empty' holds no image files", failed.output)


def test_cli_skips_an_unreadable_image_of_a_folder_by_name(model_dir: Path, tmp_path: Path) -> None:
    # fit and predict skip a corrupt file found in a folder, naming it; the export's check stopped outright.
    folder = write_images(tmp_path / "check", 2, seed=7)
    (folder / "dark" / "broken.png").write_bytes(b"not an image")
    runner = CliRunner()
    result = runner.invoke(cli(), ["export", str(model_dir), "--data", str(folder)])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "skipped 1 unreadable image file(s) of 7:" in output and "broken.png" in output
    assert read_metadata(model_dir)["onnx"]["n_images_checked"] == 6
    named = runner.invoke(cli(), ["export", str(model_dir), "--data", str(folder / "dark" / "broken.png")])
    assert named.exit_code == 2 and "broken.png' could not be decoded as an image" in named.output
    only_bad = tmp_path / "bad"
    only_bad.mkdir()
    (only_bad / "a.jpg").write_bytes(b"\xff\xd8 truncated")
    none = runner.invoke(cli(), ["export", str(model_dir), "--data", str(only_bad)])
    assert none.exit_code == 2 and "none of the 1 images could be decoded, e.g. " in none.output
