"""A model with a date column over real HTTP: the schema and /metadata name the date's form, a row in that
form is answered like the Python API answers it, and a date in another form is a 422 naming the form."""

from __future__ import annotations

import warnings
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from serve_support import start_server

import trainwell
from trainwell.export import load
from trainwell.serve import create_app


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(0)
    days = pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 1000, 300), unit="D")
    x = rng.normal(size=300)
    frame = pd.DataFrame({"date": days.strftime("%d/%m/%Y"), "x": x, "sales": x + (days.day_of_week >= 5)})
    out = tmp_path_factory.mktemp("serve-dates") / "model"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainwell.fit_table(frame, "sales", out=out, epochs=1, lr=1e-2, progress=False)
    return out


def test_serve_documents_and_checks_date_fields_over_http(model_dir: Path) -> None:
    server = start_server(create_app(model_dir, threads=1))
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            metadata = client.get("/metadata").json()
            date = next(entry for entry in metadata["inputs"] if entry["name"] == "date")
            assert date["kind"] == "date" and date["format"] == "DD/MM/YYYY"
            schema = client.get("/openapi.json").json()
            assert "DD/MM/YYYY" in str(schema)
            rows = [{"x": 0.5, "date": "06/01/2024"}, {"x": 0.5, "date": None}]
            answer = client.post("/predict", json={"rows": rows})
            assert answer.status_code == 200
            expected = load(model_dir).predict(rows)["prediction"].tolist()
            got = [item["prediction"] for item in answer.json()["predictions"]]
            assert got == pytest.approx(expected, rel=1e-5)
            bad = client.post("/predict", json={"rows": [{"x": 0.5, "date": "2024-01-06"}]})
            assert bad.status_code == 422
            assert "date in the form DD/MM/YYYY" in bad.json()["message"]
    finally:
        server.stop()


def test_a_model_that_reads_the_hour_shows_a_time_in_its_schema_example() -> None:
    import json

    from trainwell.serve.schema import request_model
    from trainwell.tabular.recipe import TabularRecipe

    frame = pd.DataFrame({"at": ["2020-01-31 10:00", "2020-02-01 08:00", "2020-02-03"], "y": [0.0, 1.0, 2.0]})
    schema = json.dumps(
        request_model(
            TabularRecipe.fit(frame, target="y"), max_rows=5, forbid_extra_fields=True
        ).model_json_schema()
    )
    assert "2020-01-31T08:30:00" in schema and "the model reads the hour" in schema


def test_a_column_left_out_with_ignore_is_accepted_and_ignored_by_the_schema() -> None:
    from trainwell.serve.schema import request_model
    from trainwell.tabular.recipe import TabularRecipe

    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "note": ["a", "b", "c"], "y": [0.0, 1.0, 2.0]})
    recipe = TabularRecipe.fit(frame, target="y", ignore=["note"])
    body = request_model(recipe, max_rows=5, forbid_extra_fields=True)
    assert body.model_validate({"rows": [{"x": 1.0, "note": "kept out"}]}).rows[0]["x"] == 1.0
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        body.model_validate({"rows": [{"x": 1.0, "typo": 2}]})
