"""The server over real HTTP on loopback: health, metadata, predictions against the Python API, 4xx answers
that name the field, and concurrent requests merged into shared model calls."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pandas as pd
import pytest
from serve_support import LIMITS, TRAIN_ROWS, UNREADABLE_BODIES, LiveServer, start_server

import trainwell
from trainwell.datasets import ADULT_TARGET
from trainwell.serve import create_app
from trainwell.serve.schema import MAX_STANDARD_DEVIATIONS


@pytest.fixture(scope="module")
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=60) as session:
        yield session


def assert_matches_predictor(
    answers: list[dict[str, Any]], predictor: Any, rows: list[dict[str, Any]]
) -> None:
    """Each answer equals ``predictor.predict`` on the same rows: label, and both class probabilities."""
    expected = predictor.predict(rows)
    negative, positive = (str(label) for label in predictor.task.classes)
    assert len(answers) == len(expected)
    for answer, (_, reference) in zip(answers, expected.iterrows(), strict=True):
        assert answer["prediction"] == reference["prediction"]
        p = float(reference[f"probability_{positive}"])
        assert answer["probabilities"][positive] == pytest.approx(p, rel=1e-5, abs=1e-6)
        assert answer["probabilities"][negative] == pytest.approx(1 - p, rel=1e-5, abs=1e-6)


def test_health(client: httpx.Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_metadata_describes_task_inputs_metrics_and_versions(
    client: httpx.Client, predictor: Any, adult: pd.DataFrame
) -> None:
    body = client.get("/metadata").json()
    recipe, metadata = predictor.recipe, predictor.metadata
    assert body["task"] == {
        "kind": "binary",
        "classes": ["<=50K", ">50K"],
        "target_names": [ADULT_TARGET],
        "threshold": 0.5,  # binary and multi-label models only
        "label_thresholds": None,  # multi-label models only
    }
    inputs = {item["name"]: item for item in body["inputs"]}
    assert list(inputs) == [*recipe.cat_names, *recipe.cont_names]
    for name in recipe.cat_names:
        assert inputs[name]["kind"] == "categorical"
        assert inputs[name]["values"] == recipe.categories[name]
    rows = adult.head(TRAIN_ROWS)
    # The rows the model trained on, read again as the fit read them: their inputs as the model saw them.
    trained_on = (
        trainwell.tabular_data(rows, ADULT_TARGET).train.tensors[1].double()
    )  # (N, n_cont), standardised
    for column, name in enumerate(recipe.cont_names):
        assert inputs[name]["kind"] == "continuous"
        assert inputs[name]["mean"] == pytest.approx(recipe.means[name])
        assert inputs[name]["std"] == pytest.approx(recipe.stds[name])
        assert inputs[name]["median"] == pytest.approx(recipe.fill_values[name])
        # The training rows' range (the tour saw mean +- 10^6 std here, Age from -13127660), and apart from it
        # the range the server accepts.
        seen = trained_on[:, column] * recipe.stds[name] + recipe.means[name]
        low, high = inputs[name]["minimum"], inputs[name]["maximum"]
        close = (
            1e-6 * recipe.stds[name]
        )  # float32's rounding of the standardised values, back in the column's units
        assert (low, high) == (
            pytest.approx(float(seen.min()), abs=close),
            pytest.approx(float(seen.max()), abs=close),
        )
        assert {low, high} <= set(rows[name].astype(float))  # the values themselves, not float32's near them
        reach = MAX_STANDARD_DEVIATIONS * recipe.stds[name]
        assert inputs[name]["accepted_minimum"] == pytest.approx(recipe.means[name] - reach)
        assert inputs[name]["accepted_maximum"] == pytest.approx(recipe.means[name] + reach)
    final = metadata["training"]["final"]
    # The figures of the last epoch, that epoch counted from 1 as history.csv, the screen and the stored row count
    # it; not the row's bookkeeping (fit, lr, time).
    figures = {name: value for name, value in final.items() if name not in ("fit", "lr", "time")}
    assert body["metrics"] == {**figures, "epoch": metadata["training"]["epochs"]} and final["epoch"] == 1
    assert set(body["metrics"]) == {"epoch", "train_loss", "valid_loss", "accuracy", "roc_auc", "f1"}
    assert body["metrics"]["roc_auc"] > 0.5
    versions = body["versions"]
    assert (versions["trainwell"], versions["torch"], versions["format_version"]) == (
        metadata["trainwell_version"],
        metadata["torch_version"],
        metadata["format_version"],
    )
    assert body["limits"]["max_rows"] == LIMITS["max_rows"]


def test_predict_equals_the_python_api(client: httpx.Client, predictor: Any, new_rows: list[dict]) -> None:
    rows = new_rows[:15]
    response = client.post("/predict", json={"rows": rows})
    assert response.status_code == 200, response.text
    assert_matches_predictor(response.json()["predictions"], predictor, rows)


def test_a_query_parameter_is_refused_not_ignored(client: httpx.Client, new_rows: list[dict]) -> None:
    # /predict?tta=true was answered 200, no TTA done: the client believed it had been.
    response = client.post("/predict?tta=true&k=3", json={"rows": new_rows[:2]})
    assert response.status_code == 422, response.text
    problem = response.json()["detail"][0]
    assert problem["loc"] == ["query", "tta"] and problem["type"] == "query_not_read"
    assert problem["msg"] == (
        "/predict reads no query parameter (tta, k): its settings go in the request's body (see /docs); drop the query"
    )
    assert (
        client.post("/predict", json={"rows": new_rows[:2]}).status_code == 200
    )  # the connection still serves
    assert client.get("/health?verbose=1").status_code == 200  # GET routes are not POSTs: left as they were


def test_unseen_categories_read_as_the_rare_values_and_nulls_as_missing(
    client: httpx.Client, predictor: Any, new_rows: list[dict]
) -> None:
    import pandas as pd

    base = new_rows[0]
    unseen = {**base, "workclass": "Astronaut", "education-num": 99}
    nulls = {**base, "workclass": None, "education-num": None, "age": None, "hours-per-week": None}
    response = client.post("/predict", json={"rows": [unseen, nulls]})
    assert response.status_code == 200, response.text
    answers = response.json()["predictions"]
    assert_matches_predictor(answers, predictor, [unseen, nulls])
    # An unseen value takes the code of the column's rare training values (missing's where it had none); null
    # takes missing's.
    recipe = predictor.recipe
    codes = recipe.transform(pd.DataFrame([unseen, nulls]))[0]
    for name in ("workclass", "education-num"):
        column = recipe.cat_input_names.index(name)
        assert codes[0, column] == recipe.unseen_code(name) and codes[1, column] == 0


def test_numbers_and_text_name_the_same_category(client: httpx.Client, new_rows: list[dict]) -> None:
    row = {**new_rows[1], "education-num": 13}
    as_text = {**row, "education-num": "13"}
    as_float = {**row, "education-num": 13.0}
    answers = client.post("/predict", json={"rows": [row, as_text, as_float]}).json()["predictions"]
    # The same encoded row three times in one batch: the same answer, up to the last bits a batched matrix product
    # may give one row and not another.
    assert answers[0]["prediction"] == answers[1]["prediction"] == answers[2]["prediction"]
    assert answers[0]["unseen"] == answers[1]["unseen"] == answers[2]["unseen"]
    for other in answers[1:]:
        assert other["probabilities"] == pytest.approx(answers[0]["probabilities"], abs=1e-6)


def post_row_change(client: httpx.Client, row: dict, **change: Any) -> httpx.Response:
    return client.post("/predict", json={"rows": [row, {**row, **change}]})


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"age": "forty"}, "rows.1.age", "Input should be a valid number"),
        ({"age": True}, "rows.1.age", "Input should be a valid number"),
        ({"fnlwgt": 1e300}, "rows.1.fnlwgt", "Input should be less than or equal to"),
        ({"sex": {"value": "Male"}}, "rows.1.sex", "Input should be text, a number, a boolean or null"),
        ({"race": ["White"]}, "rows.1.race", "Input should be text, a number, a boolean or null"),
        ({"colour": "blue"}, "rows.1.colour", "Extra inputs are not permitted"),
    ],
)
def test_bad_field_is_422_naming_the_field(
    client: httpx.Client, new_rows: list[dict], change: dict, field: str, words: str
) -> None:
    response = post_row_change(client, new_rows[0], **change)
    assert response.status_code == 422
    body = response.json()
    assert body["message"].startswith(f"{field}: {words}")
    assert [item["field"] for item in body["detail"]] == [field]


@pytest.mark.parametrize(
    ("text", "number"), [("39", 39), ("39.5", 39.5), ("-1e3", -1000), (".5", 0.5), ("+7", 7)]
)
def test_a_number_sent_as_text_is_read_as_that_number(
    client: httpx.Client, predictor: Any, new_rows: list[dict], text: str, number: float
) -> None:
    """Many HTTP clients send form values as strings; a CSV's "39" is read as 39, and so is the server's (the tour:
    "Age": "22" refused while "Pclass": "3" was read as the category 3)."""
    as_number = {**new_rows[0], "age": number, "hours-per-week": number}
    as_text = {**new_rows[0], "age": text, "hours-per-week": text}
    response = client.post("/predict", json={"rows": [as_number, as_text]})
    assert response.status_code == 200, response.text
    assert_matches_predictor(response.json()["predictions"], predictor, [as_number, as_number])


# "", " 39", "nan" and "NaN" are read as a CSV's cell holding them is (test_d1_request_cells.py)
@pytest.mark.parametrize("text", ["39 years", "inf", "1_000", "1,5", "0x10", "٣", "39 ?"])
def test_text_that_is_not_a_number_says_what_to_send(
    client: httpx.Client, new_rows: list[dict], text: str
) -> None:
    response = post_row_change(client, new_rows[0], age=text)
    assert response.status_code == 422
    assert response.json()["message"] == (
        f"rows.1.age: Input should be a valid number, got the text {text!r} (send a number, as 22.5 or as the text "
        '"22.5", and null for a missing value)'
    )


def test_a_value_out_of_range_says_why_there_is_a_range(client: httpx.Client, new_rows: list[dict]) -> None:
    """A value past the accepted range got the bound alone, not why there is one; as text too."""
    for huge in (1e300, "1e300"):
        message = post_row_change(client, new_rows[0], fnlwgt=huge).json()["message"]
        assert re.fullmatch(
            r"rows\.1\.fnlwgt: Input should be less than or equal to [\d.e+]+ \(1,000,000 training standard "
            r"deviations from the training mean: a data error; GET /metadata lists the range each input accepts, "
            r"accepted_minimum to accepted_maximum, and its training range, minimum to maximum, where the model "
            r"records it\)",
            message,
        ), message
    # Text past float's range reads as infinity: refused as the JSON number 1e999 is (read as infinity too).
    for infinite in ('"1e999"', "1e999"):
        row = json.dumps({**new_rows[0], "fnlwgt": "INFINITE"}).replace('"INFINITE"', infinite)
        response = client.post(
            "/predict", content=f'{{"rows": [{row}]}}', headers={"Content-Type": "application/json"}
        )
        assert response.json()["message"].startswith(
            "rows.0.fnlwgt: Input should be a finite number, got a number beyond a 64-bit float's range"
        )


def test_missing_field_is_422_naming_it(client: httpx.Client, new_rows: list[dict]) -> None:
    row = dict(new_rows[0])
    del row["hours-per-week"]
    response = client.post("/predict", json={"rows": [row]})
    assert response.status_code == 422
    assert response.json()["message"] == (
        "rows.0.hours-per-week: Field required (every input must be present; send null for a missing value)"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"rows": []}, "rows: send at least 1 row, got 0"),
        ({}, "rows: Field required"),
        (
            {"rows": {"age": 3}},
            'rows: must be a list of rows such as [{"input": value, ...}, ...], not an object (one row: wrap it in [ ])',
        ),
        # pydantic's words were "Input should be a valid dictionary or object to extract fields from"
        (
            [1, 2],
            'body: must be a JSON object such as {"rows": [{"input": value, ...}, ...]}, not a list (GET /docs '
            "shows the body)",
        ),
        ("rows", 'body: must be a JSON object such as {"rows": [{"input": value, ...}, ...]}, not text'),
        (None, 'body: must be a JSON object such as {"rows": [{"input": value, ...}, ...]}, not null'),
        ({"rows": "x"}, 'rows: must be a list of rows such as [{"input": value, ...}, ...], not text'),
        (
            {"rows": [[1, 2], None]},
            'rows.0: each row must be a JSON object of input values such as {"input": value, ...} (GET /metadata '
            'lists the inputs), not a list; rows.1: each row must be a JSON object of input values such as {"input": '
            "value, ...} (GET /metadata lists the inputs), not null",
        ),
    ],
)
def test_malformed_body_is_422(client: httpx.Client, body: Any, message: str) -> None:
    sent = json.dumps(body).encode()  # as written: httpx's json=None would send no body at all
    response = client.post("/predict", content=sent, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["message"].startswith(message)


def test_a_switch_that_is_not_true_or_false_is_said_so(client: httpx.Client, new_rows: list[dict]) -> None:
    response = client.post("/predict", json={"rows": new_rows[:1], "at_least_one": "yes"})
    assert response.status_code == 422
    assert response.json()["message"] == "at_least_one: must be true or false, not 'yes'"
    typed = client.post("/predict", json={"rows": [{**new_rows[0], "age": [39]}]})
    assert typed.json()["message"] == (
        "rows.0.age: Input should be a valid number, not a list (send a number, and null for a missing value)"
    )


def test_too_many_rows_is_422(client: httpx.Client, new_rows: list[dict]) -> None:
    rows = [new_rows[0]] * (LIMITS["max_rows"] + 1)
    response = client.post("/predict", json={"rows": rows})
    assert response.status_code == 422
    assert response.json()["message"] == (
        "rows: send at most 20 rows in one request (the server's limit), got 21: split them over several requests"
    )


def test_invalid_json_is_400(client: httpx.Client) -> None:
    response = client.post("/predict", content=b'{"rows": [', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["message"] == "body: invalid JSON at character 10: Expecting value"


@pytest.mark.parametrize(("body", "message"), UNREADABLE_BODIES)
def test_json_python_cannot_read_is_400_saying_why(client: httpx.Client, body: bytes, message: str) -> None:
    """Bytes that are not UTF-8, arrays nested 10,000 deep and a 5,000-digit number all got
    "There was an error parsing the body", which names neither the problem nor the fix."""
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["message"] == message
    assert response.json()["detail"][0]["type"] == "json_invalid"


@pytest.mark.parametrize(
    ("headers", "received"),
    [
        (
            {"content-type": "application/x-www-form-urlencoded"},
            "content type 'application/x-www-form-urlencoded'",
        ),
        ({"content-type": "text/plain; charset=utf-8"}, "content type 'text/plain'"),
        ({}, "the request has no Content-Type"),
    ],
)
def test_a_body_not_sent_as_json_is_415_naming_both_types(
    client: httpx.Client, new_rows: list[dict], headers: dict[str, str], received: str
) -> None:
    # curl -d sends a form type unless told: FastAPI then reported "body: Input should be a valid dictionary".
    body = json.dumps({"rows": new_rows[:1]}).encode()
    response = client.post("/predict", content=body, headers=headers)
    assert response.status_code == 415
    assert response.json()["message"] == (
        f"body: {received}{'' if 'no Content-Type' in received else ' is not accepted'}; send application/json "
        "(curl: -H 'Content-Type: application/json')"
    )
    assert response.json()["detail"][0]["type"] == "unsupported_media_type"
    typed = client.post("/predict", content=body, headers={"content-type": "application/json; charset=utf-8"})
    assert typed.status_code == 200, typed.text


def test_head_probes_of_health_and_metadata_are_answered(client: httpx.Client) -> None:
    """Load balancers and uptime checkers probe with HEAD; FastAPI's GET routes answered it 405."""
    for path in ("/health", "/metadata"):
        response = client.head(path)
        assert response.status_code == 200, path
        assert response.content == b""
        assert response.headers["content-type"] == "application/json"
    # Not a second operation in the API document, whose operation ids must be unique.
    operations = client.get("/openapi.json").json()["paths"]["/health"]
    assert list(operations) == ["get"]


def test_a_head_probe_of_metrics_is_answered(client: httpx.Client) -> None:
    """A scraper's or checker's HEAD /metrics got 405 (GET only), while /health and /metadata answered it."""
    response = client.head("/metrics")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert list(client.get("/openapi.json").json()["paths"]["/metrics"]) == ["get"]


def test_a_wrong_method_is_405_naming_the_one_taken(client: httpx.Client) -> None:
    """It was {"message": "Method Not Allowed"}: no word of what the endpoint takes."""
    response = client.get("/predict")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["message"] == (
        "GET /predict: this endpoint takes POST (GET /docs describes the endpoints)"
    )
    assert client.post("/health").json()["message"] == (
        "POST /health: this endpoint takes GET (GET /docs describes the endpoints)"
    )


def test_a_bug_is_a_json_500_and_its_traceback_stays_in_the_log(
    predictor: Any, new_rows: list[dict], caplog: pytest.LogCaptureFixture
) -> None:
    """An error the server did not expect was starlette's plain-text "Internal Server Error", which a client
    reading JSON bodies (as every other answer is) fails to parse."""
    broken = copy.copy(predictor)

    def fail(rows: Any, **options: Any) -> Any:
        raise RuntimeError("the model fell over")

    broken.predict_proba = fail
    server = start_server(create_app(broken, threads=1))
    uvicorn_log = logging.getLogger("uvicorn.error")  # uvicorn's loggers do not propagate to the root
    uvicorn_log.addHandler(caplog.handler)
    try:
        response = httpx.post(f"{server.url}/predict", json={"rows": new_rows[:1]}, timeout=60)
    finally:
        server.stop()
        uvicorn_log.removeHandler(caplog.handler)
    assert response.status_code == 500
    assert response.json() == {
        "message": "internal error (RuntimeError) answering POST /predict: a bug; the server's log has the "
        "traceback",
        "detail": [],
    }
    assert "the model fell over" in caplog.text  # the traceback is logged, not swallowed


def test_an_unknown_path_is_404_listing_the_endpoints(client: httpx.Client) -> None:
    response = client.post("/recommend", json={"user": 1})
    assert response.status_code == 404
    assert response.json()["message"] == (
        "no endpoint POST /recommend; this server answers GET /health, GET /metadata, GET /ready, POST /predict, "
        "GET /metrics (GET /docs describes them)"
    )


def test_oversized_body_is_413_from_the_header(client: httpx.Client, new_rows: list[dict]) -> None:
    padding = "x" * LIMITS["max_body_bytes"]
    response = client.post("/predict", json={"rows": [new_rows[0]], "padding": padding})
    assert response.status_code == 413
    assert "over the limit of 40,000 bytes" in response.json()["message"]


def test_a_client_that_sends_all_before_reading_gets_the_413(live: LiveServer) -> None:
    # Python's urllib writes the whole body, then reads: a server answering 413 and closing at once cut it off
    # with "connection reset" once the body outgrew the socket buffers; the body is read (and dropped) first.
    import urllib.error
    import urllib.request

    body = b'{"rows": [], "padding": "' + b"x" * (12 * 2**20) + b'"}'  # 12 MB: past any socket buffer
    request = urllib.request.Request(
        f"{live.url}/predict", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as answered:
        urllib.request.urlopen(request, timeout=30)
    assert answered.value.code == 413
    assert "over the limit of 40,000 bytes" in json.loads(answered.value.read())["message"]


def test_oversized_streamed_body_is_413(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: the server must count what arrives
        yield b'{"rows": ['
        for _ in range(100):
            yield b'{"age": 1},' * 50

    response = client.post("/predict", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["message"].startswith("body: the request body is more than 40,000 bytes")
    assert client.get("/health").status_code == 200  # the server is still fine


def test_concurrent_requests_are_answered_and_merged(
    live: LiveServer, predictor: Any, new_rows: list[dict]
) -> None:
    stats = live.app.state.batch_stats
    calls_before, recent_before = stats.calls, len(stats.recent)
    rows = new_rows[:32]

    async def send_all() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=len(rows))
        async with httpx.AsyncClient(base_url=live.url, timeout=60, limits=limits) as session:
            return await asyncio.gather(*(session.post("/predict", json={"rows": [row]}) for row in rows))

    responses = asyncio.run(send_all())
    assert [response.status_code for response in responses] == [200] * len(rows)
    answers = [response.json()["predictions"][0] for response in responses]
    assert_matches_predictor(answers, predictor, rows)
    calls = stats.calls - calls_before
    batches = list(stats.recent)[recent_before:]
    assert sum(requests for requests, _ in batches) == len(rows)
    assert calls < len(rows), f"32 requests took {calls} model calls: nothing was merged"
    assert max(requests for requests, _ in batches) > 1


def test_openapi_is_served(client: httpx.Client) -> None:
    schema = client.get("/openapi.json").json()
    assert set(schema["paths"]) == {"/health", "/metadata", "/predict", "/ready", "/metrics"}
    assert set(schema["paths"]["/predict"]["post"]["responses"]) == {"200", "400", "413", "415", "422"}
    assert json.dumps(schema)  # plain JSON


def test_docs_page_needs_nothing_from_the_internet_and_renders(
    client: httpx.Client, live: LiveServer, tmp_path: Any
) -> None:
    # FastAPI's Swagger UI loads its scripts from a CDN: offline, /docs was a blank page.
    import importlib.util
    import re
    from pathlib import Path

    response = client.get("/docs")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert not re.search(r"(src|href)=['\"]?https?://", page)  # no script, style or link from outside
    assert "<code>/predict</code>" in page and "curl -X POST" in page and "rows" in page
    assert client.get("/redoc").status_code == 404
    spec = importlib.util.spec_from_file_location(
        "report_browser", Path(__file__).parents[1] / "report" / "report_browser.py"
    )
    assert spec is not None and spec.loader is not None
    browser = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(browser)
    import subprocess

    flags = browser.chromium_flags(tmp_path / "profile")
    dom = subprocess.run(
        [*flags, "--dump-dom", f"{live.url}/docs"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert "POST" in dom and "/predict" in dom and "JSON body" in dom
