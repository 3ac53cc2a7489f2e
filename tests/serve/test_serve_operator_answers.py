"""What an operator and a client meet around the predictions (tour 50): /favicon.ico, the 413 of a streamed
body, the one-line 422 message, a boolean sent for a category, the note of an image not at the training size
or mode, and ``trainwell serve`` stopped by Ctrl+C (exit 0, no "unfinished run") after its "ready" line.

Real HTTP on loopback (``live``, a server per test where it needs another model), a real subprocess for the
command.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from serve_support import LIMITS, LiveServer, ServeProcess, encoded, start_server

from image_files import shape_image
from trainwell.export import load
from trainwell.serve import create_app
from trainwell.serve._errors import MAX_IN_MESSAGE


@pytest.fixture
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=60) as session:
        yield session


def test_favicon_is_204_not_a_404(client: httpx.Client) -> None:
    for method in ("GET", "HEAD"):
        response = client.request(method, "/favicon.ico")
        assert (response.status_code, response.content) == (204, b"")
    assert "favicon" not in client.get("/nowhere").json()["message"]  # not listed as an endpoint
    assert "/favicon.ico" not in client.get("/openapi.json").json()["paths"]


def test_a_streamed_body_over_the_limit_has_the_same_413_detail_as_a_declared_one(
    client: httpx.Client,
) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: the server counts what arrives
        yield b'{"rows": ['
        for _ in range(100):
            yield b'{"age": 1},' * 50

    streamed = client.post("/predict", content=chunks(), headers={"content-type": "application/json"})
    declared = client.post("/predict", content=b" " * (LIMITS["max_body_bytes"] + 1),
                           headers={"content-type": "application/json"})  # fmt: skip
    limit = LIMITS["max_body_bytes"]
    for response, size in ((streamed, f"more than {limit:,} bytes"), (declared, f"{limit + 1:,} bytes")):
        assert response.status_code == 413
        body = response.json()
        assert [(item["loc"], item["field"], item["type"]) for item in body["detail"]] == [
            (["body"], "body", "body_too_large")
        ]
        assert body["detail"][0]["msg"].startswith(f"the request body is {size}, over the limit of {limit:,}")
        assert body["message"] == f"body: {body['detail'][0]['msg']}"
    assert client.get("/health").status_code == 200


def test_an_unknown_field_leads_the_message_and_a_row_s_missing_inputs_are_one_part(
    client: httpx.Client, new_rows: list[dict]
) -> None:
    row = dict(new_rows[0])
    gone = list(row)[:6]
    for name in gone:
        del row[name]
    row["Foo"] = 1
    response = client.post("/predict", json={"rows": [row]})
    assert response.status_code == 422
    body = response.json()
    missing = [item["loc"][-1] for item in body["detail"] if item["type"] == "missing"]  # the model's order
    assert sorted(missing) == sorted(gone)
    assert body["message"] == (
        "rows.0.Foo: Extra inputs are not permitted (not an input of this model: GET /metadata lists the "
        f"inputs); rows.0: missing {', '.join(missing)} (every input must be present; send null for a missing "
        "value)"
    )
    assert len(body["detail"]) == 7  # still one entry per problem, in pydantic's order
    assert {item["type"] for item in body["detail"]} == {"missing", "extra_forbidden"}


@pytest.mark.parametrize(("extra", "tail"), [(1, "; and 1 more problem"), (2, "; and 2 more problems")])
def test_the_problems_left_out_of_the_message_are_counted_in_good_english(
    client: httpx.Client, new_rows: list[dict], extra: int, tail: str
) -> None:
    first = next(iter(new_rows[0]))
    rows = [
        {name: value for name, value in row.items() if name != first}
        for row in new_rows[: MAX_IN_MESSAGE + extra]
    ]
    body = client.post("/predict", json={"rows": rows}).json()
    assert body["message"].endswith(tail)
    assert (
        body["message"].count(f".{first}: Field required") == MAX_IN_MESSAGE
    )  # one missing input: its own words


def test_a_boolean_for_a_category_of_text_values_is_422_naming_it(
    client: httpx.Client, new_rows: list[dict], predictor: Any
) -> None:
    recipe = predictor.recipe
    column = next(
        name
        for name in recipe.cat_names
        if not any(key in ("True", "False") for key in recipe.categories[name])
    )
    known = list(recipe.categories[column])
    rows = [dict(new_rows[0]), {**new_rows[1], column: True}]
    response = client.post("/predict", json={"rows": rows})
    assert response.status_code == 422
    listed = ", ".join(repr(key) for key in known[:5]) + (", ..." if len(known) > 5 else "")
    assert response.json()["detail"] == [
        {
            "loc": ["rows", 1, column],
            "field": f"rows.1.{column}",
            "msg": f"got true, a JSON boolean, but the known values of {column} are text ({listed}): send one of "
            "them, or null for a missing value (GET /metadata lists them)",
            "type": "category_boolean",
        }
    ]
    # The same value as text is a category like any other: scored, flagged as unseen.
    answered = client.post("/predict", json={"rows": [{**new_rows[1], column: "True"}]})
    assert answered.status_code == 200
    assert answered.json()["predictions"][0]["unseen"] == {column: "True"}


def test_an_image_answer_says_when_the_image_was_resized_or_converted(vision_model_dir: Path) -> None:
    recipe = load(vision_model_dir).recipe
    height, width = recipe.size
    trained_mode = "L" if recipe.channels == 1 else "RGB"
    other_mode = "RGB" if trained_mode == "L" else "L"
    rng = np.random.default_rng(5)
    as_trained = shape_image("square", rng, size=width).convert(trained_mode)
    assert as_trained.size == (width, height)  # the session's model is trained on square images
    images = [
        encoded(as_trained),
        encoded(shape_image("square", rng, size=width + 13).convert(trained_mode)),
        encoded(as_trained.convert(other_mode)),
        encoded(shape_image("vertical", rng, size=width).convert("RGBA").resize((width * 3, height))),
    ]
    server = start_server(create_app(vision_model_dir, threads=1))
    try:
        response = httpx.post(
            f"{server.url}/predict", files=[("images", (f"{i}.png", data, "image/png")) for i, data in enumerate(images)],
            timeout=60,
        )  # fmt: skip
        schema = httpx.get(f"{server.url}/openapi.json", timeout=60).json()
    finally:
        server.stop()
    assert response.status_code == 200, response.text
    notes = [
        {key: answer[key] for key in ("resized_from", "converted_from") if key in answer}
        for answer in response.json()["predictions"]
    ]
    assert notes == [
        {},
        {"resized_from": [width + 13, width + 13]},
        {"converted_from": other_mode},
        {"resized_from": [width * 3, height], "converted_from": "RGBA"},
    ]
    documented = schema["components"]["schemas"]["Prediction"]["properties"]
    assert {"resized_from", "converted_from"} <= set(documented)


def test_serve_stopped_by_ctrl_c_exits_0_after_saying_it_was_ready(model_dir: Path) -> None:
    with ServeProcess(model_dir) as served:
        url = served.wait_ready()
        assert httpx.get(f"{url}/health", timeout=60).json() == {"status": "ok"}
        code = served.stop(signal.SIGINT)
    said = served.said
    assert code == 0, said
    assert "interrupted" not in said and "unfinished run" not in said and "Traceback" not in said
    assert "Application shutdown complete" in said


def test_a_boolean_is_refused_for_number_categories_and_read_where_training_had_booleans(
    tmp_path: Path,
) -> None:
    import pandas as pd

    import trainwell

    rng = np.random.default_rng(0)
    table = pd.DataFrame(
        {
            "x": rng.normal(size=150),
            "pclass": rng.choice([1, 2, 3], size=150),
            "alone": rng.choice([True, False], size=150),
        }
    )
    table["y"] = rng.choice(["yes", "no"], size=150)
    trainwell.fit_table(
        table, "y", out=tmp_path / "m", epochs=1, progress=False, cat_names=["pclass", "alone"]
    )
    server = start_server(create_app(tmp_path / "m", threads=1))
    try:
        refused = httpx.post(
            f"{server.url}/predict", json={"rows": [{"x": 0.1, "pclass": True, "alone": True}]}, timeout=60
        )
        read = httpx.post(
            f"{server.url}/predict", json={"rows": [{"x": 0.1, "pclass": 3, "alone": False}]}, timeout=60
        )
    finally:
        server.stop()
    assert refused.status_code == 422
    assert refused.json()["message"] == (
        "rows.0.pclass: got true, a JSON boolean, but the known values of pclass are numbers (1, 2, 3): send one "
        "of them, or null for a missing value (GET /metadata lists them)"
    )
    assert read.status_code == 200, read.text
    assert read.json()["predictions"][0]["unseen"] == {}  # false is a known value of alone
