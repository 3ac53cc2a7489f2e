"""A language model exported to ONNX: one step of the stream with the state passed in and out, checked against
PyTorch window by window; a program carrying the state through onnxruntime scores text as trainwell does; the
server keeps PyTorch for it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from text_samples import stories
from trainwell.cli.app import app
from trainwell.core.errors import ConfigError
from trainwell.text.lm_learner import fit_language_model
from trainwell.text.lm_onnx import LMGraph, state_names
from trainwell.text.lm_predictor import load_lm

pytest.importorskip("onnxruntime", reason="ONNX export is an optional extra: pip install 'trainwell[onnx]'")
from trainwell.export.onnx import export_onnx
from trainwell.serve.backends import resolve_backend


@pytest.fixture(scope="module")
def lm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lm_onnx") / "lm"
    fit_language_model(stories(200), out=out, epochs=2, lr=1e-2, progress=False, batch_size=8, bptt=12,
                       min_freq=1, learner_kwargs={"emb_size": 16, "hidden_size": 24, "n_layers": 2})  # fmt: skip
    return out


def test_the_graph_is_the_model_with_the_state_carried_by_the_caller(lm_dir: Path) -> None:
    model = load_lm(lm_dir).model.eval()
    graph = LMGraph(model)
    ids = torch.randint(0, model.decoder.out_features, (2, 20))
    with torch.no_grad():
        model.reset()
        expected = torch.log_softmax(model(ids), -1)
        first = graph(ids[:, :7], *graph.zero_states(2))
        second = graph(ids[:, 7:], *first[2:])
    torch.testing.assert_close(torch.cat([first[0], second[0]], 1), expected)
    assert first[1].shape == (2, 7, 16) and [s.shape[1] for s in first[2:]] == [24, 24, 16, 16]


def test_export_writes_a_stepping_graph_checked_against_pytorch(lm_dir: Path) -> None:
    report = export_onnx(lm_dir)
    assert report.application == "language_model" and report.unit == "tokens"
    assert report.input_names == ["tokens", *state_names(2)]
    assert report.output_names == ["log_probs", "features", *state_names(2, "_out")]
    assert report.max_scaled_diff <= 1e-4 and report.n_rows_checked == 3 * 24 * 6
    import json

    entry = json.loads((lm_dir / "trainwell.json").read_text())["onnx"]
    assert entry["n_tokens_checked"] == report.n_rows_checked and entry["checked_on"] == "synthetic tokens"


def test_onnxruntime_scores_text_as_the_predictor_does(lm_dir: Path) -> None:
    import onnxruntime as ort

    if not (lm_dir / "model.onnx").exists():
        export_onnx(lm_dir)
    predictor = load_lm(lm_dir)
    session = ort.InferenceSession(str(lm_dir / "model.onnx"), providers=["CPUExecutionProvider"])
    card = session.get_modelmeta().custom_metadata_map
    assert (card["application"], card["task"]) == ("language_model", "language_model")
    assert "classes" not in card and "log_probs" in card["output"] and "tokens" in card["inputs"]
    text = stories(3, seed=11)[1]
    ids = predictor.recipe.encode_texts([text])[0].numpy()[None, :]
    states = {
        name: np.zeros((1, size), np.float32)
        for name, size in zip(state_names(2), (24, 24, 16, 16), strict=True)
    }
    total = 0.0
    for start in range(0, ids.shape[1] - 1, 5):  # windows of 5 tokens, the state carried between them
        window = ids[:, start : min(start + 5, ids.shape[1] - 1)]
        log_probs, _features, *new = session.run(None, {"tokens": window, **states})
        following = ids[0, start + 1 : start + 1 + window.shape[1]]
        total += float(log_probs[0, np.arange(len(following)), following].sum())
        states = dict(zip(states, new, strict=True))
    expected = predictor.score_texts([text])["log_prob"][0]
    assert total == pytest.approx(expected, rel=1e-4)


def test_the_command_line_exports_on_given_text_and_the_server_keeps_pytorch(
    lm_dir: Path, tmp_path: Path
) -> None:
    corpus = tmp_path / "held_out.txt"
    corpus.write_text("\n".join(stories(30, seed=5)) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["export", str(lm_dir), "--onnx", "--data", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "inputs tokens, h0, c0, h1, c1 -> log_probs, features, h0_out" in result.output
    assert f"onnxruntime matches PyTorch on 432 tokens of {corpus}, read as 3 streams" in result.output
    assert resolve_backend(lm_dir, "auto") == "torch"
    with pytest.raises(ConfigError, match="a language model is served with PyTorch"):
        resolve_backend(lm_dir, "onnx")
    # predict on its model.onnx: the command's own words (the directory to pass), not the server's --backend
    (tmp_path / "lines.txt").write_text("a story begins\n", encoding="utf-8")
    refused = CliRunner().invoke(app, ["predict", str(lm_dir / "model.onnx"), str(tmp_path / "lines.txt")])
    assert refused.exit_code == 2
    assert "trainwell predict scores a language model with PyTorch" in refused.output
    assert f"pass the model directory '{lm_dir}' in place of its model.onnx" in refused.output
    assert "--backend" not in refused.output
