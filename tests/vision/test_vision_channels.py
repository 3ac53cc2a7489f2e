"""image_data(channels=) / fit --channels: grayscale or colour as asked, not as the majority of the files are."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from image_files import make_image_folder, shape_image
from trainwell.core.errors import ConfigError
from trainwell.vision.data import image_data


def _quiet_read(source: Path | np.ndarray, **kwargs: object) -> tuple[object, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = image_data(source, augmentation="none", cache=False, **kwargs)  # type: ignore[arg-type]
    return data, [str(w.message) for w in caught]


def test_grey_images_read_in_colour_when_asked(tmp_path: Path) -> None:
    root = make_image_folder(tmp_path / "grey", per_class=8, size=12, mode="L")
    data, _ = _quiet_read(root, channels=3)
    assert data.recipe.channels == 3 and data.model_hints["in_channels"] == 3  # type: ignore[attr-defined]
    pixels = data.train.tensors[0]  # type: ignore[attr-defined]
    assert pixels.shape[1:] == (3, 12, 12)
    # Each grey image repeated into the three channels, as PIL's convert("RGB") does.
    assert (pixels[:, 0] == pixels[:, 1]).all() and (pixels[:, 1] == pixels[:, 2]).all()
    plain, _ = _quiet_read(root)
    assert plain.recipe.channels == 1  # type: ignore[attr-defined]


def test_colour_images_read_as_grey_when_asked_as_pil_converts_them(tmp_path: Path) -> None:
    root = make_image_folder(tmp_path / "colour", per_class=8, size=12, mode="RGB")
    data, _ = _quiet_read(root, channels=1, valid_pct=0.0)
    assert data.recipe.channels == 1  # type: ignore[attr-defined]
    first = Path(data.paths["train"][0])  # type: ignore[attr-defined]
    with Image.open(first) as opened:
        reference = np.asarray(opened.convert("L"))
    got = data.train.tensors[0].numpy()  # type: ignore[attr-defined]
    assert any(np.array_equal(image[0], reference) for image in got)


def test_a_stray_colour_image_names_the_override_and_channels_3_silences_the_vote(tmp_path: Path) -> None:
    root = make_image_folder(tmp_path / "digits", per_class=20, size=12, mode="L")
    shape_image("vertical", np.random.default_rng(0), 12, "RGB").save(root / "vertical" / "stray.png")
    _, said = _quiet_read(root)
    assert any("read them all in colour (--channels 3 / channels=3)" in line for line in said), said
    data, said = _quiet_read(root, channels=3)
    assert data.recipe.channels == 3  # type: ignore[attr-defined]
    assert not any("the majority decides" in line for line in said), said


def test_an_array_is_converted_too() -> None:
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 255, (20, 10, 10), dtype=np.uint8)
    data, _ = _quiet_read(grey, labels=[0, 1] * 10, channels=3)  # type: ignore[arg-type]
    assert data.train.tensors[0].shape[1] == 3  # type: ignore[attr-defined]


@pytest.mark.parametrize("bad", [2, 4, 0, "3", True, 3.0])
def test_other_values_are_refused_in_words(tmp_path: Path, bad: object) -> None:
    with pytest.raises(
        ConfigError,
        match=r"^channels must be 1 \(read every image as grayscale\) or 3 \(as colour, RGB\), got .*; leave it "
        r"out to read them as most of the images are$",
    ) as raised:
        image_data(tmp_path / "never read", channels=bad)  # type: ignore[arg-type]
    assert raised.value.command_line.startswith("--channels must be 1")  # type: ignore[attr-defined]


def test_like_fixes_the_channels(tmp_path: Path) -> None:
    root = make_image_folder(tmp_path / "grey", per_class=8, size=12, mode="L")
    first, _ = _quiet_read(root)
    with pytest.raises(ConfigError, match=r"like= takes the channels.*drop channels="):
        image_data(root, like=first, channels=3)  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_model_predicts_serves_and_exports_with_the_channels_it_was_fitted_with(tmp_path: Path) -> None:
    import trainwell
    from trainwell.export.onnx import export_onnx
    from trainwell.export.onnx_predictor import OnnxPredictor
    from trainwell.vision.pipeline import fit_images

    root = make_image_folder(tmp_path / "grey", per_class=10, size=12, mode="L")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_images(root, out=tmp_path / "model", epochs=1, progress=False, channels=3, cache=False)
    written = json.loads((tmp_path / "model" / "trainwell.json").read_text(encoding="utf-8"))
    assert written["recipe"]["channels"] == 3
    predictor = trainwell.load(tmp_path / "model")
    grey_file = next((root / "vertical").iterdir())
    # A grey file is read into the three channels the model takes, as in training: its answer matches the
    # answer to the same image given in colour.
    with Image.open(grey_file) as opened:
        colour = opened.convert("RGB")
    grey_answer = np.asarray(predictor.predict_proba([grey_file]))
    assert np.allclose(grey_answer, np.asarray(predictor.predict_proba([colour])), atol=1e-6)
    # Served over real HTTP: the grey PNG uploaded is read into three channels, the same answer.
    served = _served_probabilities(tmp_path / "model", grey_file.read_bytes())
    table = predictor.predict([grey_file])  # a binary model's: the positive class's probability
    assert served["vertical"] == pytest.approx(float(table["probability_vertical"].iloc[0]), abs=1e-5)
    export_onnx(tmp_path / "model")
    import onnx

    graph_input = onnx.load(str(tmp_path / "model" / "model.onnx")).graph.input[0]
    assert graph_input.type.tensor_type.shape.dim[1].dim_value == 3
    from_onnx = OnnxPredictor(tmp_path / "model")
    assert np.allclose(np.asarray(from_onnx.predict_proba([grey_file])), grey_answer, atol=1e-4)


def _served_probabilities(model_dir: Path, png: bytes) -> dict[str, float]:
    """The probabilities ``trainwell serve``'s app answers for one uploaded image, over real HTTP on loopback."""
    import socket
    import threading

    import httpx
    import uvicorn

    from trainwell.serve import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    app = create_app(model_dir, threads=1, backend="torch")
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        with httpx.Client(base_url=url, timeout=60) as client:
            for _ in range(600):  # until it listens (started in its thread)
                if server.started:
                    break
                threading.Event().wait(0.05)
            response = client.post("/predict", files=[("images", ("grey.png", png, "image/png"))])
        assert response.status_code == 200, response.text
        return {label: float(p) for label, p in response.json()["predictions"][0]["probabilities"].items()}
    finally:
        server.should_exit = True
        thread.join(timeout=30)
