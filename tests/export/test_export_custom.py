"""A model on the user's own nn.Module, on a table, on images and on tensors: exported, run by onnxruntime
without the class, and loaded by trainwell.load with it (registered, or passed as model=) or refused in one line
that names it.

Before: OnnxPredictor refused a model on tensors (application 'generic'); an image network of the user's own
was traced on 0..1 floats though it trained on uint8 pixels, so onnxruntime answered other probabilities than the
PyTorch predictor; and loading without the class said only "not registered".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

import trainwell
from trainwell.core.errors import ArtifactError, ConfigError
from trainwell.models import create_model
from trainwell.models.registry import models
from trainwell.tabular import tabular_data
from trainwell.vision import image_data

pytest.importorskip("onnxruntime", reason="the ONNX tests need the onnx extra")
from trainwell.export import OnnxPredictor, export_onnx


class TableNet(nn.Module):
    def __init__(self, n_cont: int = 2) -> None:
        super().__init__()
        self.linear = nn.Linear(n_cont, 1)

    def forward(self, x_cat: torch.Tensor, x_cont: torch.Tensor) -> torch.Tensor:
        return self.linear(x_cont)


class PixelNet(nn.Module):
    """Reads the uint8 pixels it trains on as 0..255 numbers (no normalisation of trainwell's)."""

    def __init__(self, channels: int = 3) -> None:
        super().__init__()
        self.linear = nn.Linear(channels, 1)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.linear(pixels.float().mean(dim=(2, 3)) / 64.0)


class TensorNet(nn.Module):
    def __init__(self, width: int = 8) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, width), nn.ReLU(), nn.Linear(width, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def fitted(name: str, cls: type[nn.Module], data: trainwell.DataBundle, out: Path, **config: int) -> Path:
    """``cls`` registered as ``name`` only while it is built, trained one epoch and exported (no entry stays)."""
    torch.manual_seed(0)
    with models.lent(name, cls):
        learn = trainwell.Learner(create_model(name, **config), data)
        learn.fit(1)
        learn.export(out)
    assert name not in models
    return out


def table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=120), "b": rng.normal(size=120)})
    frame["y"] = np.where(frame.a + frame.b > 0, "yes", "no")
    return frame


def test_a_table_model_of_your_own_runs_in_onnxruntime_and_loads_with_its_class(tmp_path: Path) -> None:
    frame = table()
    out = fitted("table_net", TableNet, tabular_data(frame, target="y"), tmp_path / "model", n_cont=2)
    rows = frame.drop(columns="y").head(20)
    with pytest.raises(ArtifactError) as raised:
        trainwell.load(out)
    module = TableNet.__module__
    assert str(raised.value) == (
        f"model directory '{out}' holds your own architecture 'table_net' (built by TableNet of module {module}), "
        "which trainwell.json records by name, not as code, and this process has not registered: import "
        f"{module} (where @register_model('table_net') decorates TableNet) before loading, or pass the class: "
        f"trainwell.load('{out}', model=TableNet)"
    )
    export_onnx(out, inputs=rows, model=TableNet)
    by_torch = trainwell.load(out, model=TableNet).predict(rows)
    assert "table_net" not in models  # used for that load only
    by_onnx = OnnxPredictor(out).predict(rows)  # the graph alone: no class needed
    pd.testing.assert_frame_equal(by_onnx, by_torch, check_exact=False, atol=1e-5, rtol=0)
    built = trainwell.load(out, model=TableNet(n_cont=2)).predict(rows)  # a module built already
    pd.testing.assert_frame_equal(built, by_torch)
    with pytest.raises(ConfigError, match=r"^model= takes the class \(or function\) that builds the model"):
        trainwell.load(out, model="TableNet")  # type: ignore[arg-type]
    with models.lent("table_net", TableNet):  # registered, as by importing the module that decorates it
        pd.testing.assert_frame_equal(trainwell.load(out).predict(rows), by_torch)


def test_an_image_network_of_your_own_answers_the_same_in_onnxruntime(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(48, 8, 8, 3), dtype=np.uint8)
    labels = ["red" if value > 127 else "blue" for value in pixels[..., 0].mean(axis=(1, 2))]
    data = image_data(pixels, labels, augmentation=None)
    out = fitted("pixel_net", PixelNet, data, tmp_path / "model", channels=3)
    export_onnx(out, model=PixelNet)
    by_torch = trainwell.load(out, model=PixelNet).predict_proba(pixels[:16]).numpy()
    by_onnx = OnnxPredictor(out).predict_proba(pixels[:16])
    np.testing.assert_allclose(by_onnx, by_torch, atol=1e-5)


def test_a_tensor_model_of_your_own_runs_in_onnxruntime(tmp_path: Path) -> None:
    torch.manual_seed(0)
    x = torch.randn(160, 4)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
    out = fitted("tensor_net", TensorNet, trainwell.tensor_data(x, y), tmp_path / "model", width=16)
    export_onnx(out, inputs=x[:40], model=TensorNet)
    by_torch = trainwell.load(out, model=TensorNet).predict(x[:30])
    predictor = OnnxPredictor(out)
    assert predictor.application == "generic" and predictor.input_names == ["input"]
    by_onnx = predictor.predict(x[:30].numpy().astype(np.float64))  # cast to what the graph declares
    pd.testing.assert_frame_equal(by_onnx, by_torch, check_exact=False, atol=1e-5, rtol=0)
    np.testing.assert_allclose(predictor.predict_proba(x[:5]), by_torch.iloc[:5, 1:].to_numpy(), atol=1e-5)


def test_model_is_refused_for_an_architecture_of_trainwells(tmp_path: Path) -> None:
    from trainwell.tabular import tabular_learner

    learn = tabular_learner(tabular_data(table(), target="y"))
    learn.export(tmp_path / "model")
    with pytest.raises(
        ConfigError,
        match=r"^model= builds an architecture of your own; '.*model' holds trainwell's 'tabular_mlp'",
    ):
        trainwell.load(tmp_path / "model", model=TableNet)
