"""A table model's server names, row by row, the category values the model has no code for (``unseen``), on real
loopback HTTP with either backend: the rows are scored as before, and a caller can tell which to distrust."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from serve_support import LIMITS, start_server

from trainwell.serve import create_app
from trainwell.serve.schema import response_model


def request_rows(base: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        base,
        {**base, "workclass": "Space-force"},
        {**base, "education-num": 99, "native-country": "Atlantis"},
        {**base, "workclass": "private"},  # a known value in another case is no known value
        {**base, "workclass": None, "education-num": "13"},  # null is missing; "13" is the known 13
    ]


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_each_answer_names_the_rows_unseen_values(
    backend: str, model_dir: Path, onnx_model_dir: Path, predictor: Any, new_rows: list[dict[str, Any]]
) -> None:
    if backend == "onnx":
        pytest.importorskip("onnxruntime", reason="the onnx backend needs the onnx extra")
    directory = onnx_model_dir if backend == "onnx" else model_dir
    rows = request_rows({**new_rows[0], "workclass": "Private", "native-country": "United-States"})
    server = start_server(create_app(directory, threads=1, backend=backend, **LIMITS))
    try:
        response = httpx.post(f"{server.url}/predict", json={"rows": rows}, timeout=60)
        openapi = httpx.get(f"{server.url}/openapi.json", timeout=60).json()
    finally:
        server.stop()
    assert response.status_code == 200, response.text
    answers = response.json()["predictions"]
    assert [answer["unseen"] for answer in answers] == [
        {},
        {"workclass": "Space-force"},
        {"education-num": 99, "native-country": "Atlantis"},
        {"workclass": "private"},
        {},
    ]
    # The values `trainwell predict` notes for the same rows (the recipe's unknown_categories), row by row.
    import pandas as pd

    noted = predictor.recipe.unknown_categories(pd.DataFrame(rows))
    flagged: dict[str, set[str]] = {}
    for answer in answers:
        for name, value in answer["unseen"].items():
            flagged.setdefault(name, set()).add(str(value))
    assert flagged == {name: set(values) for name, values in noted.items()}
    # The existing fields are untouched: the predictor's labels and probabilities, and the documented shape.
    expected = predictor.predict(rows)
    positive = str(predictor.task.classes[1])
    assert [answer["prediction"] for answer in answers] == expected["prediction"].tolist()
    for answer, probability in zip(answers, expected[f"probability_{positive}"], strict=True):
        assert answer["probabilities"][positive] == pytest.approx(float(probability), rel=1e-5, abs=1e-6)
    response_model(predictor.task, unseen=True).model_validate(response.json())
    documented = openapi["components"]["schemas"]["Prediction"]
    assert "unseen" in documented["required"]
    assert "has no code for" in documented["properties"]["unseen"]["description"]
