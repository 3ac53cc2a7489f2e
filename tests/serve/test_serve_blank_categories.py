"""A category sent as ``""`` (or only spaces) is missing over HTTP, as a CSV's empty cell is in batch: the same
rows get the same answers from the server as from ``trainwell.load(dir).predict``, on real loopback HTTP.

Before, ``""`` was scored as an unseen category (and named in ``unseen``): row 883 of the Adult sample, sent as
its CSV holds it, scored 0.261 against 0.451 in batch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from serve_support import LIMITS, start_server

from trainwell.datasets import ADULT_TARGET
from trainwell.serve import create_app


def test_blank_categories_are_missing_as_in_batch(
    model_dir: Path, predictor: Any, adult: pd.DataFrame
) -> None:
    test_rows = adult.iloc[800:].drop(columns=[ADULT_TARGET])
    categorical = list(predictor.recipe.cat_names)
    with_missing = test_rows[test_rows[categorical].isna().any(axis=1)].head(12)
    assert 883 in with_missing.index and len(with_missing) == 12  # the report's row is among them
    frame = with_missing.reset_index(drop=True)
    rows: list[dict[str, Any]] = json.loads(frame.to_json(orient="records"))  # missing values as null
    blank_rows = []
    for index, row in enumerate(rows):  # as a CSV's cells, converted to JSON as they are: "" (or spaces)
        blank = "" if index % 2 else "   "
        blank_rows.append({k: blank if k in categorical and v is None else v for k, v in row.items()})
    assert sum(v == "" for row in blank_rows for v in row.values()) > 0

    server = start_server(create_app(model_dir, threads=1, **LIMITS))
    try:
        blank = httpx.post(f"{server.url}/predict", json={"rows": blank_rows}, timeout=60)
        null = httpx.post(f"{server.url}/predict", json={"rows": rows}, timeout=60)
        schema = httpx.get(f"{server.url}/openapi.json", timeout=60).json()
    finally:
        server.stop()
    assert blank.status_code == 200, blank.text
    answers = blank.json()["predictions"]
    assert [answer["unseen"] for answer in answers] == [{}] * len(rows)  # "" is no category the model lacks
    assert answers == null.json()["predictions"]  # "" and null: one answer

    expected = predictor.predict(frame)  # batch: the rows with NaN, as pandas reads a CSV's empty cells
    positive = str(predictor.task.classes[1])
    assert [answer["prediction"] for answer in answers] == expected["prediction"].tolist()
    for answer, probability in zip(answers, expected[f"probability_{positive}"], strict=True):
        assert answer["probabilities"][positive] == pytest.approx(float(probability), rel=1e-5, abs=1e-6)
    described = json.dumps(schema["components"]["schemas"])
    assert '\\"\\" (or only spaces) is missing' in described
