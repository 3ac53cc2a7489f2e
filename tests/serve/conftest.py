"""Fixtures of the serving tests: one small Adult model and one small image model per session, and a real
uvicorn server on loopback.

The model is trained once (800 rows of the embedded Adult sample, one epoch). Servers run in a background
thread on a socket bound and listening before the thread starts, so a client can connect at once: the kernel
queues the connection until uvicorn has finished its startup and accepts it (no polling, no sleeps).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from serve_support import (
    LIMITS,
    TRAIN_ROWS,
    VISION_CLASSES,
    LiveServer,
    encoded,
    make_image_folder,
    start_server,
)

import trainwell
from image_files import shape_image
from trainwell.datasets import ADULT_TARGET, adult_sample
from trainwell.export import load
from trainwell.serve import create_app


@pytest.fixture(scope="session")
def adult() -> pd.DataFrame:
    return adult_sample()


def onnx_copy(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Path:
    """A copy of ``model_dir`` exported to ONNX (the original stays without ``model.onnx``)."""
    from trainwell.export.onnx import export_onnx

    out = tmp_path_factory.mktemp(f"onnx-{model_dir.name}") / model_dir.name
    shutil.copytree(model_dir, out)
    export_onnx(out)
    return out


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory, adult: pd.DataFrame) -> Path:
    out = tmp_path_factory.mktemp("serve") / "adult-model"
    trainwell.fit_table(adult.head(TRAIN_ROWS), ADULT_TARGET, out=out, epochs=1, lr=1e-2, progress=False)
    return out


@pytest.fixture(scope="session")
def onnx_model_dir(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Path:
    return onnx_copy(tmp_path_factory, model_dir)


@pytest.fixture(scope="session")
def predictor(model_dir: Path) -> Any:
    """The reference: the same model directory loaded by the Python API."""
    return load(model_dir)


@pytest.fixture(scope="session")
def new_rows(adult: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows the model never saw, as a client would send them (JSON types, missing values as null)."""
    frame = adult.iloc[TRAIN_ROWS : TRAIN_ROWS + 40].drop(columns=[ADULT_TARGET])
    return json.loads(frame.to_json(orient="records"))


@pytest.fixture(scope="session")
def live(model_dir: Path) -> Iterator[LiveServer]:
    server = start_server(create_app(model_dir, threads=1, **LIMITS))
    yield server
    server.stop()


# ------------------------------------------------------------------------------------------ vision
@pytest.fixture(scope="session")
def vision_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small CNN trained for one epoch on 20x20 PNGs of three classes (about 2 s)."""
    from trainwell.vision import image_data, vision_learner

    root = tmp_path_factory.mktemp("vision-data")
    folder = make_image_folder(root / "images", per_class=16)
    learn = vision_learner(image_data(folder, seed=0), progress=False)
    learn.fit_one_cycle(1)
    out = root / "vision-model"
    learn.export(out)
    return out


@pytest.fixture(scope="session")
def vision_onnx_model_dir(tmp_path_factory: pytest.TempPathFactory, vision_model_dir: Path) -> Path:
    return onnx_copy(tmp_path_factory, vision_model_dir)


@pytest.fixture(scope="session")
def request_images() -> list[bytes]:
    """Encoded images the model never saw, of other sizes than the training one (the server fits them):
    PNGs, a JPEG and a grayscale PNG."""
    rng = np.random.default_rng(99)
    images = [encoded(shape_image(label, rng, size=32)) for label in VISION_CLASSES * 2]
    images.append(encoded(shape_image("square", rng, size=26), "JPEG"))
    images.append(encoded(shape_image("vertical", rng, size=20).convert("L")))
    return images
