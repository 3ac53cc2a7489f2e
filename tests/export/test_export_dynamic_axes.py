"""ONNX export of a sequence model of your own: ``dynamic_axes`` frees the length axis, and a graph exported
with it fixed refuses another length in one line naming the option, not with onnxruntime's paragraph."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import trainwell
from trainwell import ConfigError, DataError, Learner
from trainwell.models import register_model
from trainwell.models.registry import models

NAME = "test_dynamic_axes_gru"


class TinyGru(nn.Module):
    def __init__(self, vocab: int = 50, width: int = 4) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, width)
        self.gru = nn.GRU(width, width, batch_first=True)
        self.out = nn.Linear(width, 2)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        states, _ = self.gru(self.embed(tokens))
        return self.out(states[:, -1])


@pytest.fixture
def model_dir(tmp_path: Path) -> Iterator[tuple[Path, torch.Tensor]]:
    pytest.importorskip("onnxruntime")
    register_model(NAME)(TinyGru)
    try:
        trainwell.seed_everything(0)
        tokens = torch.randint(0, 50, (64, 12))
        data = trainwell.tensor_data(tokens, (tokens[:, 0] > 25).long(), task="multiclass", batch_size=16)
        learn = Learner(TinyGru(), data, progress=False)
        learn.fit(1, lr=0.01)
        learn.model_spec = {"name": NAME, "config": {}}
        yield learn.export(tmp_path / "model"), tokens
    finally:
        models._entries.pop(NAME, None)


def test_a_length_axis_exported_free_takes_other_lengths_as_pytorch_does(
    model_dir: tuple[Path, torch.Tensor],
) -> None:
    from trainwell.export import OnnxPredictor, export_onnx

    path, tokens = model_dir
    report = export_onnx(path, inputs=tokens[:32], dynamic_axes={"input": {1: "length"}})
    assert report.n_rows_checked == 32 and report.max_scaled_diff <= 1e-4  # the parity check ran
    assert trainwell.export.read_metadata(path)["onnx"]["dynamic_axes"] == {"input": {"1": "length"}}
    longer = torch.randint(0, 50, (3, 20))
    onnx_probs = OnnxPredictor(path).predict_proba(longer)
    torch_probs = np.asarray(trainwell.load(path).predict_proba(longer))
    np.testing.assert_allclose(onnx_probs, torch_probs, atol=1e-5)


def test_a_fixed_length_is_refused_in_one_line_naming_the_option(
    model_dir: tuple[Path, torch.Tensor],
) -> None:
    from trainwell.export import OnnxPredictor, export_onnx

    path, tokens = model_dir
    export_onnx(path, inputs=tokens[:32])  # the length axis fixed at 12, as before
    predictor = OnnxPredictor(path)
    assert predictor.predict(tokens[:2]).shape[0] == 2
    with pytest.raises(DataError) as raised:
        predictor.predict(torch.randint(0, 50, (2, 20)))
    message = str(raised.value)
    assert "\n" not in message
    assert "input has size 20 on axis 1" in message and "fixed at 12" in message
    assert "dynamic_axes={'input': {1: 'length'}}" in message


def test_dynamic_axes_naming_what_the_graph_lacks_is_refused(model_dir: tuple[Path, torch.Tensor]) -> None:
    from trainwell.export import export_onnx

    path, tokens = model_dir
    with pytest.raises(ConfigError, match="dynamic_axes names input 'tokens'; the graph's inputs are input"):
        export_onnx(path, inputs=tokens[:8], dynamic_axes={"tokens": {1: "length"}})
    with pytest.raises(ConfigError, match=r"names axis 2; input has 2 axes, of which 1 to 1"):
        export_onnx(path, inputs=tokens[:8], dynamic_axes={"input": [2]})


class LengthBaked(TinyGru):
    """Reads the last step at a position the tracer records as a constant: right at the length traced only."""

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        states, _ = self.gru(self.embed(tokens))
        return self.out(states[:, int(tokens.shape[1]) - 1])


def test_a_graph_that_baked_the_length_in_is_refused_not_shipped(
    model_dir: tuple[Path, torch.Tensor],
) -> None:
    from trainwell.core.errors import ArtifactError
    from trainwell.export import export_onnx
    from trainwell.export.onnx import ONNX_FILE

    path, tokens = model_dir
    models._entries.pop(NAME, None)
    register_model(NAME)(LengthBaked)  # the same weights, read by a forward that fixes the length when traced
    with pytest.raises(ArtifactError) as raised:
        export_onnx(path, inputs=tokens[:32], dynamic_axes={"input": {1: "length"}})
    message = str(raised.value)
    assert "\n" not in message
    assert "with the dynamic_axes (input axis 1) one shorter than in inputs, onnxruntime fails" in message
    assert "nothing was written" in message
    assert not (path / ONNX_FILE).exists()
