"""``learn.summary()`` and ``learn.save``/``load``: each layer group's layers with their output shapes on a batch, their parameters and
whether they train, as ``freeze`` leaves them; then the totals, the data, the loss and the optimizer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import trainwell
from trainwell.core.errors import ConfigError
from trainwell.learner.summary import summary


def _learner() -> trainwell.Learner:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=200), "colour": rng.choice(["red", "blue"], 200)})
    frame["y"] = np.where(frame["x"] > 0, "yes", "no")
    return trainwell.tabular_learner(trainwell.tabular_data(frame, "y", seed=0), progress=False)


def test_the_summary_lists_the_layers_with_their_shapes_and_the_totals(
    capsys: pytest.CaptureFixture[str],
) -> None:
    learn = _learner()
    assert learn.summary() is None  # printed once: a notebook showed a returned text a second time
    text = capsys.readouterr().out.strip()
    assert text == summary(learn)
    lines = text.splitlines()
    assert lines[0] == "TabularMLP: binary (2 classes: no, yes), on cpu"
    head = next(line for line in lines if line.startswith("2 ") and " head " in line)
    assert head.split()[3:] == ["B", "x", "1", "129", "yes"]  # B x 1, 128 weights and a bias
    total = sum(p.numel() for p in learn.model.parameters())
    assert f"parameters: {total:,} ({total:,} trainable, 0 frozen)" in text
    assert "data: train 160 rows in " in text and "; valid 40 rows in 1 batch\n" in text
    assert "loss: BCEWithLogits; optimizer: adamw (lr 0.003, weight decay 0.01); metrics: accuracy" in text


def test_the_summary_shows_what_freeze_leaves_training(capsys: pytest.CaptureFixture[str]) -> None:
    learn = _learner()
    learn.freeze()
    text = summary(learn)
    trainable = sum(p.numel() for p in learn.model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in learn.model.parameters())
    assert f"({trainable:,} trainable, {total - trainable:,} frozen)" in text
    rows = {line.split()[1]: line.split()[-1] for line in text.splitlines()[3:] if line[:1].isdigit()}
    assert rows["head"] == "yes" and rows["embeddings"] == "no"
    assert rows["body"] == "partly"  # batch norm keeps training while frozen


def test_weights_saved_and_loaded_come_back_exactly(tmp_path: Path) -> None:
    # fastai's learn.save / learn.load, as safetensors: a tour had found only checkpoints and exports.
    learn = _learner()
    learn.path = tmp_path
    learn.fit(1)
    written = learn.save("stage-1")
    assert written == tmp_path / "stage-1.safetensors"
    kept = {key: value.clone() for key, value in learn.model.state_dict().items()}
    learn.fit(1)
    assert learn.load("stage-1") is learn
    assert all(torch.equal(kept[key], value) for key, value in learn.model.state_dict().items())
    learn.export(tmp_path / "model")
    learn.load(tmp_path / "model")  # a model directory's weights
    other = trainwell.tabular_learner(learn.data, layers=(16,), progress=False)
    with pytest.raises(ConfigError, match=r"holds the weights of another model \(.*shaped otherwise"):
        other.load(written)
    with pytest.raises(ConfigError, match="no weights at"):
        learn.load("nowhere")
