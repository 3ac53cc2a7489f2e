"""The API's schema, generated from the recipe; settings; safe loading; and a bounded fuzz with Schemathesis."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import torch
from fastapi import FastAPI
from serve_support import fuzz, pickle_in_place_of_weights

from trainwell.core.errors import ArtifactError, ConfigError
from trainwell.export import read_artifact, save_artifact
from trainwell.serve import create_app
from trainwell.serve.schema import MAX_STANDARD_DEVIATIONS, NUMBER_TEXT, number_or_missing_text


@pytest.fixture(scope="module")
def app(model_dir: Path) -> FastAPI:
    return create_app(model_dir, max_rows=7)


def row_schema(app: FastAPI) -> dict[str, Any]:
    return app.openapi()["components"]["schemas"]["Row"]


def call(app: FastAPI, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request through the ASGI interface, without a network (the batcher starts on demand)."""

    async def send() -> httpx.Response:
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.request(method, path, **kwargs)
        finally:
            await app.state.batcher.aclose()

    return asyncio.run(send())


def test_one_required_nullable_field_per_input(app: FastAPI, predictor: Any) -> None:
    recipe = predictor.recipe
    schema = row_schema(app)
    unused = [*recipe.target_names, *recipe.dropped]  # accepted and ignored: rows of the training table
    assert list(schema["properties"]) == [*recipe.cat_names, *recipe.cont_names, *unused]
    assert schema["required"] == [*recipe.cat_names, *recipe.cont_names]
    assert all("does not use" in schema["properties"][name]["description"] for name in unused)
    assert schema["additionalProperties"] is False
    for name in recipe.cat_names:
        field = schema["properties"][name]
        # Adult's categories are words: a JSON boolean is refused (test_serve_operator_answers.py), not offered
        assert {option["type"] for option in field["anyOf"]} == {"string", "number", "null"}
        assert all(repr(value) in field["description"] for value in recipe.categories[name])
        assert "read as missing" in field["description"]
    for name in recipe.cont_names:
        field = schema["properties"][name]
        number, text, null = field["anyOf"]
        assert null == {"type": "null"}
        mean, reach = recipe.means[name], MAX_STANDARD_DEVIATIONS * recipe.stds[name]
        assert number["type"] == "number"
        assert number["minimum"] == pytest.approx(mean - reach)
        assert number["maximum"] == pytest.approx(mean + reach)
        # A number written as text is accepted too ("39", " 39 "), and a missing marker ("NaN", ""), as a CSV's
        # cell holding it is read, and declared: what the schema allows is accepted.
        assert text["type"] == "string" and text["pattern"] == number_or_missing_text()
        assert "written as text" in field["description"]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        *[(text, True) for text in ("22", "22.5", "-1e3", "+.5", "5.", "1E+4")],
        *[
            (text, False)
            for text in ("22 years", "", "nan", "-inf", " 22", "1_000", "١٢", "1e", ".", "--1", "0x1f")
        ],
    ],
)
def test_the_number_text_pattern_matches_what_is_read(text: str, number: bool) -> None:
    """The schema's pattern (ECMA-262 in a client, Python's re here) says which texts are read as numbers."""
    import re

    assert bool(re.fullmatch(NUMBER_TEXT.strip("^$"), text)) is number


def test_long_vocabularies_are_cut_in_the_description() -> None:
    from trainwell.serve.schema import VALUES_IN_DESCRIPTION, InputSpec, _describe

    values = tuple(f"v{index}" for index in range(VALUES_IN_DESCRIPTION + 12))
    text = _describe(InputSpec("city", "categorical", values))
    assert f"'v{VALUES_IN_DESCRIPTION - 1}', ... (12 more: GET /metadata lists them all)" in text
    assert f"'v{VALUES_IN_DESCRIPTION}'" not in text


def test_rows_limits_are_in_the_schema(app: FastAPI) -> None:
    rows = app.openapi()["components"]["schemas"]["PredictRequest"]["properties"]["rows"]
    assert (rows["minItems"], rows["maxItems"]) == (1, 7)


def test_response_schema_names_the_classes(app: FastAPI) -> None:
    schemas = app.openapi()["components"]["schemas"]
    assert schemas["Prediction"]["properties"]["prediction"]["enum"] == ["<=50K", ">50K"]
    assert schemas["Probabilities"]["required"] == ["<=50K", ">50K"]
    responses = app.openapi()["paths"]["/predict"]["post"]["responses"]
    assert set(responses) == {"200", "400", "413", "415", "422"}


def test_extra_fields_are_ignored_when_allowed(model_dir: Path, new_rows: list[dict]) -> None:
    lenient = create_app(model_dir, forbid_extra_fields=False)
    assert "additionalProperties" not in row_schema(lenient)
    row = new_rows[0]
    plain = call(lenient, "POST", "/predict", json={"rows": [row]})
    extra = call(lenient, "POST", "/predict", json={"rows": [{**row, "income": ">50K", "note": 1}], "id": 7})
    assert plain.status_code == extra.status_code == 200
    assert extra.json() == plain.json()


def test_a_predictor_object_can_be_served(predictor: Any, new_rows: list[dict]) -> None:
    app = create_app(predictor)
    assert app.state.predictor is predictor
    response = call(app, "POST", "/predict", json={"rows": new_rows[:2]})
    assert response.status_code == 200
    assert len(response.json()["predictions"]) == 2


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"max_batch": 0}, "max_batch must be a positive integer, got 0; pass e.g. --max-batch 64"),
        ({"max_rows": -1}, "max_rows must be a positive integer, got -1; pass e.g. --max-rows 1000"),
        ({"max_body_bytes": 1.5}, "max_body_bytes must be a positive integer, got 1.5"),
        ({"batch_wait_ms": -2}, "batch_wait_ms must be a number of milliseconds between 0 and 1000, got -2"),
        ({"threads": 0}, "threads must be a positive integer, got 0"),
    ],
)
def test_bad_settings_are_refused_before_loading(setting: dict, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        create_app("no/such/model", **setting)  # the setting is checked first: no ArtifactError
    assert str(error.value).startswith(message)


def test_a_pickle_in_place_of_the_weights_is_refused_without_running(model_dir: Path, tmp_path: Path) -> None:
    with (
        pickle_in_place_of_weights(model_dir, tmp_path) as crafted,
        pytest.raises(ArtifactError, match="not a safetensors file"),
    ):
        create_app(crafted)


def test_non_finite_outputs_are_a_422_naming_the_rows(
    model_dir: Path, tmp_path: Path, new_rows: list[dict]
) -> None:
    metadata, state = read_artifact(model_dir)
    head = next(key for key in state if key.startswith("head.") and key.endswith("bias"))
    state[head] = torch.full_like(state[head], float("nan"))  # a model that answers NaN for every row
    broken = save_artifact(tmp_path / "nan-model", state, metadata)
    response = call(create_app(broken), "POST", "/predict", json={"rows": new_rows[:2]})
    assert response.status_code == 422
    body = response.json()
    assert [item["field"] for item in body["detail"]] == ["rows.0", "rows.1"]
    assert body["message"].startswith("rows.0: the model's output for this row is not a finite number")


def test_not_a_model_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="is not a trainwell model directory"):
        create_app(tmp_path)


@pytest.fixture(scope="module")
def api_schema(model_dir: Path) -> Any:
    return schemathesis.openapi.from_asgi(
        "/openapi.json", create_app(model_dir, max_rows=5, max_body_bytes=20_000)
    )


@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE])
def test_fuzz_finds_no_server_error(api_schema: Any, mode: Any) -> None:
    """Valid requests must succeed and match the documented responses; invalid ones must get a documented 4xx.

    Schemathesis' default checks, among them: no 5xx, status codes and bodies as documented, schema-invalid
    data refused, schema-valid data accepted.
    """
    fuzz(api_schema, mode, keep=number_texts_in_range(api_schema.raw_schema) if mode.is_positive else None)


def number_texts_in_range(openapi: dict[str, Any]) -> Any:
    """Which generated requests to keep: those whose continuous inputs written as text ("39", "-1e3") are within
    the accepted range. JSON Schema bounds a number (minimum, maximum) but has no words to bound a number
    written as text, so the schema's pattern allows "9e99", which is refused as a number 9e99 is
    (test_serve_http's test_a_value_out_of_range_says_why_there_is_a_range); every other request is kept."""
    bounds = {}
    for name, field in openapi["components"]["schemas"]["Row"]["properties"].items():
        number = next((option for option in field.get("anyOf", ()) if option.get("type") == "number"), None)
        if number is not None and "minimum" in number:
            bounds[name] = (number["minimum"], number["maximum"])

    def keep(case: Any) -> bool:
        rows = case.body.get("rows") if isinstance(case.body, dict) else None
        for row in rows if isinstance(rows, list) else ():
            for name, (low, high) in bounds.items():
                value = row.get(name) if isinstance(row, dict) else None
                try:  # a missing marker ("NaN", "", "?") is missing, as the server reads it
                    number = float(value.strip()) if isinstance(value, str) else None
                except ValueError:
                    number = None
                if number is not None and number == number and not low <= number <= high:
                    return False
        return True

    return keep


def test_training_table_columns_the_model_ignores_are_accepted(tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd

    import trainwell

    rng = np.random.default_rng(0)
    table = pd.DataFrame({"x": rng.normal(size=120), "name": [f"person {i}" for i in range(120)]})
    table["y"] = (table["x"] > 0).map({True: "yes", False: "no"})
    trainwell.fit_table(table, "y", out=tmp_path / "m", epochs=1, progress=False)
    strict = create_app(tmp_path / "m")
    assert "name" in trainwell.load(tmp_path / "m").recipe.dropped  # left out as an ID
    row = {"x": 0.5}
    plain = call(strict, "POST", "/predict", json={"rows": [row]})
    # A row straight from the training table, target and ID included, as trainwell predict takes it.
    whole = call(strict, "POST", "/predict", json={"rows": [{**row, "name": "person 3", "y": "no"}]})
    assert plain.status_code == whole.status_code == 200, whole.text
    assert whole.json() == plain.json()
    typo = call(strict, "POST", "/predict", json={"rows": [{**row, "nmae": "person 3"}]})
    assert typo.status_code == 422 and "not an input of this model" in typo.text
    assert "name" not in row_schema(strict).get("required", [])


def test_a_column_with_rare_values_says_what_an_unlisted_value_reads_as() -> None:
    import pandas as pd

    from trainwell.serve.schema import request_model
    from trainwell.tabular.recipe import TabularRecipe

    frame = pd.DataFrame({"ticket": ["A"] * 4 + ["B", "C"], "colour": ["red", "blue"] * 3, "y": [0, 1] * 3})
    recipe = TabularRecipe.fit(frame, target="y")
    assert recipe.rare == {"ticket": 2}
    fields = request_model(recipe, max_rows=10, forbid_extra_fields=True).model_json_schema()
    described = json.dumps(fields)
    assert "a value not listed as the column's 2 rare training values" in described  # ticket
    assert "an unseen value, like null, is read as missing" in described  # colour: no rare value


def test_a_column_with_one_rare_value_says_it_in_the_singular() -> None:
    import pandas as pd

    from trainwell.serve.schema import request_model
    from trainwell.tabular.recipe import TabularRecipe

    # The tour's /docs: "as the column's 1 rare training values".
    frame = pd.DataFrame({"ticket": ["A"] * 4 + ["B"] * 3 + ["C"], "y": [0, 1] * 4})
    recipe = TabularRecipe.fit(frame, target="y")
    assert recipe.rare == {"ticket": 1}
    described = json.dumps(request_model(recipe, max_rows=10, forbid_extra_fields=True).model_json_schema())
    assert "the column's 1 rare training value (seen in too few rows" in described
    assert "1 rare training values" not in described


def test_the_accepted_range_says_it_is_a_guard_not_the_models_range() -> None:
    import pandas as pd

    from trainwell.serve.schema import MAX_STANDARD_DEVIATIONS, InputInfo, readable, request_model
    from trainwell.tabular.recipe import TabularRecipe

    # The tour: Adult age's accepted range -13474943.9 to 13475021.6 read as a range the model accepts.
    fields = InputInfo.model_json_schema()["properties"]
    for end in ("accepted_minimum", "accepted_maximum"):
        assert "guard against data errors" in fields[end]["description"], end
    assert "not a range the model knows" in fields["accepted_minimum"]["description"]
    frame = pd.DataFrame({"age": [20.0, 30.0, 40.0, 50.0], "y": [0, 1, 0, 1]})
    recipe = TabularRecipe.fit(frame, target="y")
    age = request_model(recipe, max_rows=10, forbid_extra_fields=True).model_json_schema()
    described = json.dumps(age)
    assert (
        f"({readable(MAX_STANDARD_DEVIATIONS)} standard deviations from the mean) are refused as data errors"
        in described
    )
    assert "outside the training range is accepted, and the model extrapolates" in described
