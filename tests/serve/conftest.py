"""Fixtures of the serving tests: one small Adult model and one small image model per session, and a real
uvicorn server on loopback.

The model is trained once (800 rows of the embedded Adult sample, one epoch). Servers run in a background
thread on a socket bound and listening before the thread starts, so a client can connect at once: the kernel
queues the connection until uvicorn has finished its startup and accepts it (no polling, no sleeps).
"""

from __future__ import annotations

import io
import json
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
import uvicorn
from fastapi import FastAPI
from PIL import Image

import trainwell
from trainwell.datasets import ADULT_TARGET, adult_sample
from trainwell.export import load
from trainwell.serve import create_app

TRAIN_ROWS = 800


@pytest.fixture(scope="session")
def adult() -> pd.DataFrame:
    return adult_sample()


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory, adult: pd.DataFrame) -> Path:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        out = tmp_path_factory.mktemp("serve") / "adult-model"
        trainwell.fit_table(adult.head(TRAIN_ROWS), ADULT_TARGET, out=out, epochs=1, lr=1e-2, progress=False)
    finally:
        torch.set_num_threads(previous)
    return out


@pytest.fixture(scope="session")
def onnx_model_dir(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Path:
    """A copy of ``model_dir`` exported to ONNX (the original stays without ``model.onnx``)."""
    from trainwell.export.onnx import export_onnx

    out = tmp_path_factory.mktemp("serve-onnx") / "adult-model"
    shutil.copytree(model_dir, out)
    export_onnx(out)
    return out


@pytest.fixture(scope="session")
def predictor(model_dir: Path) -> Any:
    """The reference: the same model directory loaded by the Python API."""
    return load(model_dir)


@pytest.fixture(scope="session")
def new_rows(adult: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows the model never saw, as a client would send them (JSON types, missing values as null)."""
    frame = adult.iloc[TRAIN_ROWS : TRAIN_ROWS + 40].drop(columns=[ADULT_TARGET])
    return json.loads(frame.to_json(orient="records"))


@dataclass
class LiveServer:
    """A uvicorn server running ``app`` in a thread, reachable at :attr:`url`."""

    app: FastAPI
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the uvicorn thread did not stop"


def start_server(app: FastAPI) -> LiveServer:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(256)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="uvicorn-test")
    thread.start()
    return LiveServer(app, f"http://127.0.0.1:{port}", server, thread)


# Small limits, so the limit tests send small bodies; a long batch wait, so concurrent requests merge even
# when the shared test machine is slow to deliver them.
LIMITS: dict[str, Any] = {"max_rows": 20, "max_body_bytes": 40_000, "batch_wait_ms": 250.0}


@pytest.fixture(scope="session")
def live(model_dir: Path) -> Iterator[LiveServer]:
    server = start_server(create_app(model_dir, threads=1, **LIMITS))
    yield server
    server.stop()


# ------------------------------------------------------------------------------------------ vision
VISION_CLASSES = ("horizontal", "square", "vertical")


def bar_image(label: str, rng: np.random.Generator, size: int = 20) -> Image.Image:
    """A noisy RGB image whose class is visible: a horizontal or vertical bar, or a filled square."""
    pixels = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
    start = int(rng.integers(2, size // 2))
    if label == "horizontal":
        pixels[start : start + 4, 2:-2] = (230, 40, 40)
    elif label == "vertical":
        pixels[2:-2, start : start + 4] = (40, 230, 40)
    else:
        pixels[start : start + 7, start : start + 7] = (40, 40, 230)
    return Image.fromarray(pixels, "RGB")


def make_image_folder(root: Path, per_class: int, seed: int = 0, size: int = 20) -> Path:
    """``root/<label>/<index>.png``: real PNG files of :data:`VISION_CLASSES`."""
    rng = np.random.default_rng(seed)
    for label in VISION_CLASSES:
        (root / label).mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            bar_image(label, rng, size).save(root / label / f"{index:03d}.png")
    return root


def encoded(image: Image.Image, format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def vision_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small CNN trained for one epoch on 20x20 PNGs of three classes (about 2 s)."""
    from trainwell.vision import image_data, vision_learner

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        root = tmp_path_factory.mktemp("vision-data")
        folder = make_image_folder(root / "images", per_class=16)
        learn = vision_learner(image_data(folder, seed=0), progress=False)
        learn.fit_one_cycle(1)
        out = root / "vision-model"
        learn.export(out)
    finally:
        torch.set_num_threads(previous)
    return out


@pytest.fixture(scope="session")
def vision_onnx_model_dir(tmp_path_factory: pytest.TempPathFactory, vision_model_dir: Path) -> Path:
    """A copy of ``vision_model_dir`` exported to ONNX (the original stays without ``model.onnx``)."""
    from trainwell.export.onnx import export_onnx

    out = tmp_path_factory.mktemp("vision-onnx") / "vision-model"
    shutil.copytree(vision_model_dir, out)
    export_onnx(out)
    return out


@pytest.fixture(scope="session")
def request_images() -> list[bytes]:
    """Encoded images the model never saw, of other sizes than the training one (the server fits them):
    PNGs, a JPEG and a grayscale PNG."""
    rng = np.random.default_rng(99)
    images = [encoded(bar_image(label, rng, size=32)) for label in VISION_CLASSES * 2]
    images.append(encoded(bar_image("square", rng, size=26), "JPEG"))
    images.append(encoded(bar_image("vertical", rng, size=20).convert("L")))
    return images
