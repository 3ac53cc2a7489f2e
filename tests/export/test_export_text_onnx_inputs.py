"""A text model's ``model.onnx`` used outside trainwell's predictors: :func:`text_onnx_inputs` makes the graph's
inputs from the model directory and raw texts, and a bare onnxruntime session fed with them gives
``trainwell.load(model).predict_proba``'s probabilities (a bag of n-grams and a sequence model); the ONNX file's
metadata names the function. Before, the metadata said the ids were "as the tokenizer and vocabulary in
trainwell.json make them", which no program without trainwell's tokenizer and salted n-gram hashing could do."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import trainwell
from text_samples import reviews
from trainwell.core.errors import ArtifactError, DataError
from trainwell.export.onnx import export_onnx
from trainwell.export.text_inputs import text_onnx_inputs
from trainwell.text import fit_texts, text_classifier_learner, text_data

ort = pytest.importorskip("onnxruntime", reason="the ONNX tests need the onnx extra")

TEXTS = [
    "a wonderful film with great acting",
    "awful and boring plot, I want my money back",
    "<br />Not bad at ALL!!! Truly   great",  # markup, case and repeats: trainwell's word rules
    "zzyzx qwertyuiop",  # words never seen in training
]


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """A binary graph's (batch, 1) logits as the predictor's (batch,) probabilities of the positive class."""
    return (1.0 / (1.0 + np.exp(-logits))).reshape(-1)


@pytest.fixture(scope="module")
def bag_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bag") / "model"
    fit_texts(reviews(200, 0), text_col="review", target="sentiment", out=out, epochs=5, progress=False)
    export_onnx(out)
    return out


def test_onnxruntime_fed_with_it_gives_the_predictors_probabilities(bag_model: Path) -> None:
    inputs = text_onnx_inputs(bag_model, TEXTS)
    assert sorted(inputs) == ["ids", "offsets"]
    assert inputs["ids"].dtype == np.int64 and inputs["offsets"].dtype == np.int64
    assert inputs["offsets"].shape == (len(TEXTS),) and inputs["offsets"][0] == 0
    session = ort.InferenceSession(str(bag_model / "model.onnx"), providers=["CPUExecutionProvider"])
    card = session.get_modelmeta().custom_metadata_map
    assert "trainwell.export.text_inputs.text_onnx_inputs(model_dir, texts)" in card["inputs"]
    (logits,) = session.run(None, inputs)
    expected = trainwell.load(bag_model).predict_proba(TEXTS).numpy()
    assert np.ptp(expected) > 1e-2  # the texts' answers differ: ids made otherwise would show
    assert np.abs(sigmoid(logits) - expected).max() < 1e-5
    # A table with the training column reads the same; one text alone is one row.
    import pandas as pd

    table = text_onnx_inputs(bag_model, pd.DataFrame({"review": TEXTS, "id": range(4)}))
    assert all(np.array_equal(table[name], inputs[name]) for name in inputs)
    (one,) = session.run(None, text_onnx_inputs(bag_model, TEXTS[2]))
    assert np.abs(sigmoid(one) - expected[2:3]).max() < 1e-5


def test_blank_texts_and_other_models_are_refused(bag_model: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="empty or only whitespace"):
        text_onnx_inputs(bag_model, ["fine", "  "])
    lm_like = tmp_path / "lm"
    lm_like.mkdir()
    metadata = json.loads((bag_model / "trainwell.json").read_text())
    metadata["task"]["kind"] = "language_model"
    (lm_like / "trainwell.json").write_text(json.dumps(metadata))
    with pytest.raises(ArtifactError, match="holds a language_model model; text_onnx_inputs makes"):
        text_onnx_inputs(lm_like, ["fine"])


def test_a_sequence_models_tokens(tmp_path: Path) -> None:
    data = text_data(
        reviews(60, 3, positive_every=3, filler=None),
        "sentiment",
        text_col="review",
        batch_format="padded",
        min_freq=1,
    )
    learn = text_classifier_learner(
        data, "awd_lstm", arch_config={"emb_size": 8, "hidden_size": 8, "n_layers": 2}, progress=False
    )
    learn.fit(2, 1e-2)
    learn.export(tmp_path / "lstm")
    export_onnx(tmp_path / "lstm")
    inputs = text_onnx_inputs(tmp_path / "lstm", TEXTS)
    assert list(inputs) == ["tokens"] and inputs["tokens"].shape[0] == len(TEXTS)
    session = ort.InferenceSession(str(tmp_path / "lstm" / "model.onnx"), providers=["CPUExecutionProvider"])
    (logits,) = session.run(None, inputs)
    expected = trainwell.load(tmp_path / "lstm").predict_proba(TEXTS).numpy()
    assert np.ptp(expected) > 1e-3  # the texts' answers differ: tokens made otherwise would show
    assert np.abs(sigmoid(logits) - expected).max() < 1e-5


#: Makes a model's inputs in a fresh interpreter and predicts with the ONNX predictor, then says whether torch was
#: imported.
TORCH_FREE = (
    "import sys; from trainwell.export.text_inputs import text_onnx_inputs; "
    "inputs = text_onnx_inputs(sys.argv[1], ['a wonderful film', 'awful']); "
    "from trainwell.export import OnnxPredictor; OnnxPredictor(sys.argv[1]).predict_proba(['a wonderful film']); "
    "print(sorted(inputs), 'torch' in sys.modules)"
)


def test_it_needs_no_torch(bag_model: Path) -> None:
    # A runtime without PyTorch (a slim ONNX service) can make the inputs, and the ONNX predictor (the server's
    # onnx backend) runs a text model without it: the text preprocessing is numpy alone.
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", TORCH_FREE, str(bag_model)], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["['ids',", "'offsets']", "False"], done.stdout + done.stderr
