"""Serving a model of sentence pairs on real loopback HTTP: each item of ``texts`` is a list of its two texts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from serve_support import start_server

from text_samples import pair_model as fit_pair_model
from text_samples import sentence_pairs
from trainwell.export import load
from trainwell.serve import create_app
from trainwell.serve.texts import EMPTY_TEXT_NOTE

LIMITS: dict[str, Any] = {"max_rows": 5, "max_body_bytes": 20_000, "batch_wait_ms": 50.0}


@pytest.fixture(scope="module")
def pair_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fit_pair_model(tmp_path_factory.mktemp("served-pairs") / "model", 800)


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_pairs_get_the_python_predictors_answers_and_bad_ones_are_422(
    pair_model_dir: Path, tmp_path: Path, backend: str
) -> None:
    model_dir = pair_model_dir
    if backend == "onnx":
        pytest.importorskip("onnxruntime", reason="the onnx backend needs the onnx extra")
        import shutil

        from trainwell.export.onnx import export_onnx

        model_dir = tmp_path / "model"
        shutil.copytree(pair_model_dir, model_dir)
        export_onnx(model_dir)
    server = start_server(create_app(model_dir, threads=1, backend=backend, **LIMITS))
    try:
        frame = sentence_pairs(4, seed=8)
        pairs = frame[["sentence1", "sentence2"]].to_numpy().tolist()
        response = httpx.post(f"{server.url}/predict", json={"texts": pairs}, timeout=60)
        assert response.status_code == 200, response.text
        answers = response.json()["predictions"]
        expected = load(pair_model_dir).predict(frame)
        for answer, probability in zip(answers, expected["probability_same"], strict=True):
            assert abs(answer["probabilities"]["same"] - probability) < 1e-4
        metadata = httpx.get(f"{server.url}/metadata", timeout=60).json()
        assert metadata["text"]["fields"] == ["sentence1", "sentence2"]
        assert metadata["request_format"] == (
            '{"texts": [["<sentence1>", "<sentence2>"], ...]} or {"rows": [{"sentence1": ..., "sentence2": ...}, ...]}'
        )
        # Rows as a table model takes them, each pair's two columns read (the target accepted and ignored; other
        # keys are refused, as by a table model): the same answers.
        rows = frame[["sentence1", "sentence2", "label"]].to_dict("records")
        as_rows = httpx.post(f"{server.url}/predict", json={"rows": rows}, timeout=60)
        assert as_rows.status_code == 200 and as_rows.json()["predictions"] == answers, as_rows.text
        # A pair with an empty text is answered with a note, the others scored (one policy for every text).
        noted = httpx.post(
            f"{server.url}/predict", json={"texts": [pairs[0], [pairs[1][0], " "]]}, timeout=60
        )
        assert noted.status_code == 200, noted.text
        assert noted.json()["predictions"] == [
            answers[0],
            {"prediction": None, "probabilities": None, "note": EMPTY_TEXT_NOTE},
        ]
        for body, where in (
            ({"texts": ["one string"]}, ["texts", 0]),
            ({"texts": [["a", "b", "c"]]}, ["texts", 0]),
            ({"texts": [["a", " "], ["", "b"]]}, ["texts"]),  # every pair has an empty text: nothing to score
        ):
            bad = httpx.post(f"{server.url}/predict", json=body, timeout=60)
            assert bad.status_code == 422, bad.text
            assert where in [problem["loc"] for problem in bad.json()["detail"]], bad.text
    finally:
        server.stop()
