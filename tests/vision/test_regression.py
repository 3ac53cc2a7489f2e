"""Image regression end to end: a number read from real PNG files (the side of a bright square) is inferred as a
regression, learned, and answered in the target's units by the predictor, ``trainwell predict``, the report,
the ONNX export and the HTTP server; plots and occlusion maps show numbers; labels that are not numbers are
refused by CSV, column and row."""

from __future__ import annotations

import base64
import re
import socket
import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import torch
import uvicorn
from PIL import Image

from process_support import run_trainwell
from trainwell.core.errors import ConfigError, DataError
from trainwell.export import load
from trainwell.interpret.occlusion import occlusion_map
from trainwell.vision import fit_images, image_data
from trainwell.vision.mix import MixUp

SIDE = 16
#: R² the model trained below reaches on the held-out images: 0.983 (0.969 to 0.983 over three seeds of the
#: images and the model); predicting the mean scores 0.
MIN_R2 = 0.8


def _square(side: int, rng: np.random.Generator) -> np.ndarray:
    """A dark, noisy 16x16 image with a bright square of ``side`` pixels somewhere in it."""
    image = np.full((SIDE, SIDE), 20, dtype=np.int64)
    top, left = rng.integers(0, SIDE - side + 1, size=2)
    image[top : top + side, left : left + side] = 230
    return np.clip(image + rng.integers(-15, 16, size=image.shape), 0, 255).astype(np.uint8)


def _value(side: int) -> float:
    """The number to predict: 0.75 per pixel of side, plus a half (2.75 to 10.25: not whole numbers)."""
    return side * 0.75 + 0.5


def write_squares(root: Path, n: int, seed: int) -> tuple[Path, list[float]]:
    """``root/<i>.png`` and ``root/squares.csv`` (``path,value``); returns the CSV and the values."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rows, values = ["path,value"], []
    for index in range(n):
        side = int(rng.integers(3, 14))
        Image.fromarray(_square(side, rng)).save(root / f"{index}.png")
        rows.append(f"{index}.png,{_value(side)}")
        values.append(_value(side))
    csv = root / "squares.csv"
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return csv, values


def r2(predicted: np.ndarray, actual: np.ndarray) -> float:
    return float(1 - ((predicted - actual) ** 2).sum() / ((actual - actual.mean()) ** 2).sum())


@pytest.fixture(scope="module")
def squares(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Training images (a CSV of 240) and 60 held-out ones, with their values."""
    root = tmp_path_factory.mktemp("squares")
    train_csv, train_values = write_squares(root / "train", 240, seed=0)
    test_csv, test_values = write_squares(root / "test", 60, seed=1)
    return {
        "root": root,
        "train": train_csv,
        "values": train_values,
        "test": test_csv,
        "test_values": test_values,
    }


@pytest.fixture(scope="module")
def run(squares: dict[str, Any]) -> Any:
    """An image regression model fitted in-process on the training CSV and written to a model directory."""
    return fit_images(
        squares["train"],
        path_col="path",
        label_col="value",
        out=squares["root"] / "model",
        arch="simple_cnn",
        epochs=6,
        augmentation="none",
        progress=False,
    )


@pytest.fixture(scope="module")
def model_dir(run: Any) -> Path:
    return Path(run.model_dir)


# ------------------------------------------------------------------------------------------ the task
def test_float_labels_are_a_regression_and_whole_numbers_stay_classes() -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (40, 12, 12), dtype=np.uint8)
    with warnings.catch_warnings():
        # 40 distinct numbers: no "class" may be moved into training as a class with no training rows would be.
        warnings.simplefilter("error")
        data = image_data(images, labels=[0.5 + i * 0.25 for i in range(40)], augmentation="none")
    assert data.task.kind == "regression"
    assert data.task.n_outputs == 1
    train_values = data.train.tensors[-1]  # type: ignore[attr-defined]
    assert data.model_hints["target_mean"] == pytest.approx([float(train_values.mean())])
    assert data.model_hints["target_range"] == [[float(train_values.min())], [float(train_values.max())]]
    whole = [i % 5 for i in range(40)]
    assert image_data(images, labels=whole, augmentation="none").task.kind == "multiclass"
    assert image_data(images, labels=[float(v) for v in whole], augmentation="none").task.kind == "multiclass"
    forced = image_data(images, labels=whole, task="regression", augmentation="none")
    assert forced.task.kind == "regression"
    assert forced.train.tensors[-1].dtype == torch.float32  # type: ignore[attr-defined]
    # many whole numbers (PetFinder's Pawpularity, 1 to 100) stay classes, said to be perhaps a quantity
    ages = [20 + i % 30 for i in range(80)]
    many = rng.integers(0, 255, (80, 12, 12), dtype=np.uint8)
    with pytest.warns(UserWarning, match=r"target 'label' holds 30 different whole numbers \(20 to 49\)"):
        assert image_data(many, labels=ages, augmentation="none", valid_pct=0).task.kind == "multiclass"


def test_only_a_regression_model_holds_the_target_scale() -> None:
    # A classifier's weights stay as older model directories hold them: no TargetScale, no buffers of it.
    from trainwell.vision import vision_learner

    images = np.random.default_rng(1).integers(0, 255, (24, 12, 12), dtype=np.uint8)
    values = [0.5 + i * 0.25 for i in range(24)]
    classifier = vision_learner(
        image_data(images, labels=[i % 3 for i in range(24)]), "simple_cnn", progress=False
    )
    regression = vision_learner(image_data(images, labels=values), "simple_cnn", progress=False)
    assert not any(key.startswith("scale.") for key in classifier.model.state_dict())
    assert {key for key in regression.model.state_dict() if key.startswith("scale.")} == {
        "scale.mean",
        "scale.std",
        "scale.low",
        "scale.high",
    }
    config = regression.model_spec["config"]  # type: ignore[index]
    for key in ("target_mean", "target_std", "target_range"):
        assert config[key] == regression.data.model_hints[key]
    # Mean squared error in the target's units: label smoothing is for classes only.
    assert type(regression.loss_func).__name__ == "MSE"
    assert type(classifier.loss_func).__name__ == "CrossEntropy"


def test_a_label_that_is_not_a_number_is_named_by_csv_column_and_row(tmp_path: Path) -> None:
    csv, _values = write_squares(tmp_path, 12, seed=3)
    lines = csv.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].split(",")[0] + ",about six"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        image_data(csv, path_col="path", label_col="value", task="regression")
    assert str(caught.value) == (
        f"{csv}: --label-col 'value' holds 'about six' in data row 4, not a number; a regression target needs a "
        "number for every image: fix the cell or drop the row, or leave --task regression out to train a classifier"
    )
    with pytest.raises(ConfigError, match="a regression target is one number per image: drop --label-delim"):
        image_data(csv, path_col="path", label_col="value", task="regression", label_delim=";")


# ------------------------------------------------------------------------------- training, predicting
def test_the_model_learns_the_number_and_answers_in_its_units(
    run: Any, squares: dict[str, Any], model_dir: Path
) -> None:
    assert run.learn.task.kind == "regression"
    predictor = load(model_dir)
    paths = sorted((squares["root"] / "test").glob("*.png"), key=lambda path: int(path.stem))
    predicted = predictor.predict(paths)["prediction"].to_numpy()
    actual = np.array(squares["test_values"])
    assert r2(predicted, actual) > MIN_R2
    # In the target's units: near the true numbers, never outside the training range (TargetScale clips).
    low, high = min(squares["values"]), max(squares["values"])
    assert np.abs(predicted - actual).mean() < 0.25 * (high - low)
    assert predicted.min() >= low - 1e-4
    assert predicted.max() <= high + 1e-4
    # Test-time augmentation averages numbers: still numbers in range.
    blended = predictor.predict(paths[:5], tta=True)["prediction"].to_numpy()
    assert np.all((blended >= low - 1e-4) & (blended <= high + 1e-4))


def test_plots_and_occlusion_maps_show_numbers(run: Any, tmp_path: Path) -> None:
    learn, data = run.learn, run.data
    results = learn.show_results(tmp_path / "results.png", n=4)
    batch = data.show_batch(tmp_path / "batch.png", n=4)
    for path in (results, batch):
        assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    image = data.valid.tensors[0][0]
    result = occlusion_map(learn, image)
    assert result.quantity and result.label == "value" and result.target == 0
    with torch.no_grad():
        prediction = float(learn.model.eval()(image[None]).reshape(-1)[0])
    assert result.probability == pytest.approx(prediction, abs=1e-4)
    assert result.heat.shape == (SIDE, SIDE)
    assert result.plot(tmp_path / "occlusion.png").png.startswith(b"\x89PNG")
    with pytest.raises(ConfigError, match=r"target=3 is not an output of this regression model"):
        occlusion_map(learn, image, target=3)


def test_mixup_trains_a_regression(squares: dict[str, Any]) -> None:
    # MixUp mixes the losses of both targets, which for squared errors is the loss of the mixed number.
    from trainwell.vision import vision_learner

    data = image_data(squares["train"], path_col="path", label_col="value", augmentation="none")
    learn = vision_learner(data, "simple_cnn", progress=False, callbacks=[MixUp(0.4)])
    learn.fit_one_cycle(1)
    assert np.isfinite(learn.validate()["rmse"])


def test_cross_validation_scores_a_regression_beside_its_baselines() -> None:
    from trainwell.vision import evaluate_images

    rng = np.random.default_rng(5)
    sides = rng.integers(3, 14, size=40)
    images = np.stack([_square(int(side), rng) for side in sides])
    result = evaluate_images(images, labels=[_value(int(side)) for side in sides], cv=2, epochs=1)
    assert result.task.kind == "regression"
    assert np.isfinite(result.mean("rmse"))
    assert result.mean("r2", "mean") <= 0.05  # the mean baseline explains nothing
    assert np.isfinite(result.mean("rmse", "ridge"))


def test_tuning_searches_a_regression_by_rmse_without_label_smoothing() -> None:
    from trainwell.automl.images import tune_images

    rng = np.random.default_rng(6)
    sides = rng.integers(3, 14, size=40)
    images = np.stack([_square(int(side), rng) for side in sides])
    labels = [_value(int(side)) for side in sides]
    result = tune_images(images, labels, n_trials=2, search={"epochs": 1}, augmentation="none")
    assert result.metric == "rmse"
    assert result.direction == "minimize"
    assert all("label_smoothing" not in trial["params"] for trial in result.trials)


# --------------------------------------------------------------------------------- the command line
def test_predict_report_and_export_from_the_command_line(model_dir: Path, squares: dict[str, Any]) -> None:
    test_dir = squares["root"] / "test"
    commands = [
        ("predict", model_dir, test_dir / "0.png", test_dir),
        ("predict", model_dir, test_dir / "0.png", "--tta"),
        ("report", model_dir, "--data", squares["test"]),
        ("export", model_dir, "--data", test_dir),
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:  # independent commands, side by side
        predicted, averaged, reported, exported = pool.map(lambda args: run_trainwell(*args), commands)
    assert predicted.returncode == 0, predicted.stderr
    lines = predicted.stdout.strip().splitlines()
    assert lines[0] == "path,prediction"
    assert len(lines) == 1 + 1 + 60
    number = float(lines[1].split(",")[1])
    assert number == pytest.approx(
        float(load(model_dir).predict([test_dir / "0.png"])["prediction"][0]), abs=1e-4
    )
    assert averaged.returncode == 0, averaged.stderr
    assert (
        "trained without augmentation, so there are no views to average" in averaged.stderr
    )  # augmentation="none"

    assert reported.returncode == 0, reported.stderr
    html = (model_dir / "report.html").read_text(encoding="utf-8")
    assert "<dd>image regression predicting &#x27;value&#x27;</dd>" in html
    assert "<dt>Evaluated on</dt><dd>60 labelled images" in html
    assert "Predicted against actual" in html
    assert "The 10 images predicted worst" in html

    assert exported.returncode == 0, exported.stderr
    assert re.search(r"onnxruntime matches PyTorch on 60 images", exported.stdout + exported.stderr)
    import onnxruntime

    session = onnxruntime.InferenceSession(str(model_dir / "model.onnx"), providers=["CPUExecutionProvider"])
    predictor = load(model_dir)
    pixels = predictor.pixels(sorted(test_dir.glob("*.png"))[:8])
    # The graph takes float pixels on the 0..1 scale and answers the number itself (TargetScale is in it).
    (onnx_out,) = session.run(None, {"pixels": pixels.numpy().astype(np.float32) / np.float32(255.0)})
    expected = predictor.predict_proba(pixels).numpy()
    np.testing.assert_allclose(onnx_out.reshape(-1), expected, atol=1e-4)


def test_an_empty_number_is_said_to_need_a_number_not_label_delim(tmp_path: Path) -> None:
    csv, _values = write_squares(tmp_path, 12, seed=4)
    lines = csv.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].split(",")[0] + ","  # data row 3: a path without its number
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        image_data(csv, path_col="path", label_col="value", task="regression")
    message = str(caught.value)
    assert (
        "--label-col 'value' is empty in data row 3" in message and "a number to predict is needed" in message
    )
    assert "--label-delim" not in message


def test_fit_refuses_a_label_that_is_not_a_number_in_one_line(tmp_path: Path) -> None:
    csv, _values = write_squares(tmp_path, 12, seed=4)
    text = csv.read_text(encoding="utf-8").replace("4.png,", "4.png,n/a #", 1)
    csv.write_text(text, encoding="utf-8")
    result = run_trainwell("fit", csv, "--path-col", "path", "--label-col", "value", "--task", "regression")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert re.fullmatch(
        rf"error: {re.escape(str(csv))}: --label-col 'value' holds 'n/a #[0-9.]+' in data row 5, not a number; .*",
        lines[0],
    ), lines[0]


# ------------------------------------------------------------------------------------------- serving
@pytest.fixture
def live_server(model_dir: Path) -> Iterator[str]:
    """The model served by uvicorn on a free loopback port (as tests/serve start theirs), for the test's span."""
    from trainwell.serve import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    server = uvicorn.Server(
        uvicorn.Config(create_app(model_dir, threads=1, backend="torch"), log_level="warning")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        assert not thread.is_alive(), "the uvicorn thread did not stop"


def test_the_server_answers_numbers(live_server: str, model_dir: Path, squares: dict[str, Any]) -> None:
    files = [squares["root"] / "test" / f"{i}.png" for i in range(3)]
    images = [path.read_bytes() for path in files]
    with httpx.Client(base_url=live_server, timeout=60) as client:
        response = client.post(
            "/predict", json={"images": [base64.b64encode(data).decode() for data in images]}
        )
        metadata = client.get("/metadata").json()
    assert response.status_code == 200, response.text
    answers = response.json()["predictions"]
    expected = load(model_dir).predict(images)["prediction"].tolist()
    assert [set(answer) for answer in answers] == [{"prediction"}] * 3
    assert [answer["prediction"] for answer in answers] == pytest.approx(expected, abs=1e-5)
    assert metadata["task"]["kind"] == "regression"
    assert metadata["task"]["target_names"] == ["value"]


def test_tune_takes_a_csv_of_images_from_the_command_line(squares: dict[str, Any], tmp_path: Path) -> None:
    # `trainwell tune images.csv --path-col path --label-col value` had no --path-col: only folders were tuned.
    out = tmp_path / "tuned"
    # The 60 held-out images, not the 240 training ones, and the defaults trial held to 4 epochs, not 40: what is
    # checked is that tune reads a CSV of images as a regression, not how well it does (its one trial's 40 epochs
    # took most of the test's time).
    result = run_trainwell(
        "tune", squares["test"], "--path-col", "path", "--label-col", "value", "--trials", "1",
        "--augment", "none", "--search", "epochs=2:4", "--out", out, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "rmse" in result.stdout and "0 (defaults)" in result.stdout
    assert load(out).task.kind == "regression"
    for command in (
        "tune",
        "fit",
    ):  # fit read the CSV as a table: an MLP on the path strings, --label-col unread
        alone = run_trainwell(command, squares["train"], "--label-col", "value", "--out", tmp_path / "x")
        assert alone.returncode == 2
        assert alone.stderr.strip().splitlines()[-1] == (
            "error: --label-col names the labels of a CSV of images: pass its --path-col too"
        )
        assert not (tmp_path / "x").exists()


def test_lr_find_takes_a_csv_of_images_from_the_command_line(squares: dict[str, Any], tmp_path: Path) -> None:
    # `trainwell lr-find images.csv --path-col path` was "No such option": only folders were swept.
    curve = tmp_path / "lr.png"
    result = run_trainwell(
        "lr-find", squares["train"], "--path-col", "path", "--label-col", "value", "--out", curve, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "suggested learning rate" in result.stdout and curve.is_file()
    alone = run_trainwell("lr-find", squares["train"], "--label-col", "value", "--out", tmp_path / "x.png")
    assert alone.returncode == 2
    assert alone.stderr.strip().splitlines()[-1] == (
        "error: --label-col and --label-delim read the labels of a CSV of images: pass its --path-col too"
    )


def test_a_report_says_what_it_needs_of_its_images(
    model_dir: Path, squares: dict[str, Any], tmp_path: Path
) -> None:
    # report --data one.jpg said "'one.jpg' is a CSV: name its columns"; a label that is no number advised
    # "leave --task regression out to train a classifier", which report has not; size="big" was "--size must be
    # at least 8 pixels".
    from trainwell.report.build import build_report

    one = sorted((squares["root"] / "test").glob("*.png"))[0]
    with pytest.raises(DataError, match=r"is one image; a model is judged on labelled images: pass a"):
        build_report(model_dir, one, tmp_path / "r.html")
    worded = tmp_path / "worded.csv"
    header, *rows = squares["test"].read_text(encoding="utf-8").splitlines()
    rows = [f"{squares['test'].parent / row.split(',')[0]},{row.split(',', 1)[1]}" for row in rows]
    rows[2] = rows[2].split(",")[0] + ",about six"
    worded.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        build_report(model_dir, worded, tmp_path / "r.html")
    assert "this model predicts a number for every image" in str(caught.value)
    assert "--task regression" not in str(caught.value)
    with pytest.raises(
        ConfigError, match=r"^size is the image side in whole pixels \(64, or height and width"
    ):
        image_data(np.zeros((4, 8, 8), dtype=np.uint8), labels=[0, 1, 0, 1], size="big")  # type: ignore[arg-type]
