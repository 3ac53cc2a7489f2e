"""``at_least_one`` over HTTP: a multi-label model's ``/predict`` body may say ``"at_least_one": true`` (or a
multipart form's field of that name), and ``trainwell serve --at-least-one`` (``create_app(at_least_one=True)``)
makes it the default; the answers are ``predict(..., at_least_one=...)``'s, request by request even when
requests share a batch. Any other model refuses ``true`` with a 422 and the option at start-up."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
import torch
from serve_support import LIMITS, LiveServer, start_server

import trainwell
from multilabel_samples import TABLE_DELIM, fit_tagged_images, tagged_rows, write_tagged_images
from trainwell.core.errors import ConfigError
from trainwell.export import load
from trainwell.serve import create_app


@pytest.fixture(scope="module")
def tags_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A multi-label table model (tags in one '|'-delimited column), one epoch on 400 rows (about 2 s)."""
    out = tmp_path_factory.mktemp("served-tags") / "model"
    torch.manual_seed(0)
    trainwell.fit_table(
        tagged_rows(400, 0), "tags", out=out, epochs=1, lr=1e-2, progress=False, label_delim=TABLE_DELIM
    )
    return out


@pytest.fixture(scope="module")
def servers(tags_model: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    """The model served as it is by default, and with --at-least-one."""
    plain = start_server(create_app(tags_model, threads=1, **LIMITS))
    filling = start_server(create_app(tags_model, threads=1, at_least_one=True, **LIMITS))
    yield plain, filling
    plain.stop()
    filling.stop()


def _rows() -> list[dict[str, Any]]:
    return tagged_rows(20, 1).drop(columns="tags").to_dict(orient="records")  # type: ignore[return-value]


def _labels(table: pd.DataFrame) -> list[list[str]]:
    """``predict``'s joined predictions as the API's lists."""
    return [cell.split(TABLE_DELIM) if cell else [] for cell in table["prediction"]]


def _post(url: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{url}/predict", json=body, timeout=60)


def test_the_request_asks_and_the_answers_are_predicts(
    tags_model: Path, servers: tuple[LiveServer, LiveServer]
) -> None:
    plain_server, _ = servers
    predictor, rows = load(tags_model), _rows()
    expected_plain = _labels(predictor.predict(rows))
    expected_filled = _labels(predictor.predict(rows, at_least_one=True))
    assert [] in expected_plain and expected_filled != expected_plain  # some rows have no tag by default
    answers = {
        asked: _post(plain_server.url, {"rows": rows, **({} if asked is None else {"at_least_one": asked})})
        for asked in (None, False, True)
    }
    assert all(response.status_code == 200 for response in answers.values())
    got = {asked: response.json()["predictions"] for asked, response in answers.items()}
    assert [answer["prediction"] for answer in got[None]] == expected_plain
    assert got[False] == got[None]
    assert [answer["prediction"] for answer in got[True]] == expected_filled
    # Only the predictions of the rows without a tag change; every probability is as it was.
    assert [answer["probabilities"] for answer in got[True]] == [
        answer["probabilities"] for answer in got[None]
    ]
    meta = httpx.get(f"{plain_server.url}/metadata", timeout=60).json()
    assert meta["task"]["at_least_one"] is False


def test_the_server_default_and_a_request_that_says_otherwise(
    tags_model: Path, servers: tuple[LiveServer, LiveServer]
) -> None:
    _, filling = servers
    predictor, rows = load(tags_model), _rows()
    left_out = _post(filling.url, {"rows": rows}).json()["predictions"]
    assert [answer["prediction"] for answer in left_out] == _labels(
        predictor.predict(rows, at_least_one=True)
    )
    declined = _post(filling.url, {"rows": rows, "at_least_one": False}).json()["predictions"]
    assert [answer["prediction"] for answer in declined] == _labels(predictor.predict(rows))
    assert httpx.get(f"{filling.url}/metadata", timeout=60).json()["task"]["at_least_one"] is True


def test_requests_that_share_a_batch_each_get_their_own(
    tags_model: Path, servers: tuple[LiveServer, LiveServer]
) -> None:
    plain_server, _ = servers
    predictor, rows = load(tags_model), _rows()
    got: dict[bool, list[Any]] = {}

    def send(asked: bool) -> None:
        got[asked] = _post(plain_server.url, {"rows": rows, "at_least_one": asked}).json()["predictions"]

    threads = [threading.Thread(target=send, args=(asked,)) for asked in (True, False)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [answer["prediction"] for answer in got[True]] == _labels(
        predictor.predict(rows, at_least_one=True)
    )
    assert [answer["prediction"] for answer in got[False]] == _labels(predictor.predict(rows))


def test_the_field_is_documented_and_a_boolean(servers: tuple[LiveServer, LiveServer]) -> None:
    plain_server, _ = servers
    schema = httpx.get(f"{plain_server.url}/openapi.json", timeout=60).json()
    field = schema["components"]["schemas"]["PredictRequest"]["properties"]["at_least_one"]
    assert field["type"] == "boolean" and "likeliest label" in field["description"]
    response = _post(plain_server.url, {"rows": _rows()[:2], "at_least_one": "yes"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "at_least_one"


def test_a_model_that_is_not_multi_label_refuses_it(
    live: LiveServer, new_rows: list[dict], model_dir: Path
) -> None:
    refused = _post(live.url, {"rows": new_rows[:2], "at_least_one": True})
    assert refused.status_code == 422
    message = "at_least_one is for multi-label models; this binary model gives every row one answer already: drop it"
    assert refused.json() == {
        "message": f"at_least_one: {message}",
        "detail": [
            {
                "loc": ["at_least_one"],
                "field": "at_least_one",
                "msg": message,
                "type": "at_least_one_not_multilabel",
            }
        ],
    }
    assert _post(live.url, {"rows": new_rows[:2], "at_least_one": False}).status_code == 200
    schema = httpx.get(f"{live.url}/openapi.json", timeout=60).json()
    assert "at_least_one" not in schema["components"]["schemas"]["PredictRequest"]["properties"]
    assert "at_least_one" not in httpx.get(f"{live.url}/metadata", timeout=60).json()["task"]
    with pytest.raises(ConfigError) as error:
        create_app(model_dir, at_least_one=True)
    assert str(error.value) == (
        "at_least_one (--at-least-one) is for multi-label models; this binary model gives every row one answer "
        "already: drop it"
    )


def test_trainwell_serve_at_least_one_refuses_a_binary_model_in_one_line(model_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "trainwell.cli.serve_cmd", str(model_dir), "--port", "0", "--at-least-one"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "error: at_least_one (--at-least-one) is for multi-label models; this binary model gives every row one "
        "answer already: drop it"
    )


# ------------------------------------------------------------------------------------------------ images
@pytest.fixture(scope="module")
def tagged_images(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """A multi-label image model (about 4 s) and 12 new images, a quarter of them of neither label."""
    root = tmp_path_factory.mktemp("served-tagged-images")
    _, out = fit_tagged_images(root)
    return out, write_tagged_images(root / "new", 12, seed=1)


def test_images_ask_it_in_json_or_in_the_form(tagged_images: tuple[Path, list[Path]]) -> None:
    out, paths = tagged_images
    predictor = load(out)
    expected_plain = [cell.split(";") if cell else [] for cell in predictor.predict(paths)["prediction"]]
    expected_filled = [cell.split(";") for cell in predictor.predict(paths, at_least_one=True)["prediction"]]
    assert [] in expected_plain
    encoded = [base64.b64encode(path.read_bytes()).decode("ascii") for path in paths]
    server = start_server(create_app(out, threads=1))
    try:
        url = f"{server.url}/predict"
        by_json = httpx.post(url, json={"images": encoded, "at_least_one": True}, timeout=60)
        plain = httpx.post(url, json={"images": encoded}, timeout=60)
        files = [("images", (path.name, path.read_bytes(), "image/png")) for path in paths]
        by_form = httpx.post(url, files=files, data={"at_least_one": "true"}, timeout=60)
        bad_form = httpx.post(url, files=files[:1], data={"at_least_one": "maybe"}, timeout=60)
        schema = httpx.get(f"{server.url}/openapi.json", timeout=60).json()
    finally:
        server.stop()
    assert [answer["prediction"] for answer in plain.json()["predictions"]] == expected_plain
    assert [answer["prediction"] for answer in by_json.json()["predictions"]] == expected_filled
    assert [answer["prediction"] for answer in by_form.json()["predictions"]] == expected_filled
    assert bad_form.status_code == 422
    assert bad_form.json()["message"] == (
        "at_least_one: the form field at_least_one holds 'maybe'; send true or false (once)"
    )
    body = schema["paths"]["/predict"]["post"]["requestBody"]["content"]
    assert "at_least_one" in body["multipart/form-data"]["schema"]["properties"]
    assert json.dumps(body["application/json"]).count("at_least_one") >= 1


def test_the_onnx_backend_answers_alike(
    tags_model: Path, tmp_path: Path, servers: tuple[LiveServer, LiveServer]
) -> None:
    pytest.importorskip("onnxruntime")
    import shutil

    from trainwell.export.onnx import export_onnx

    plain_server, _ = servers
    copy = tmp_path / "onnx-model"
    shutil.copytree(tags_model, copy)
    export_onnx(copy)
    server = start_server(create_app(copy, threads=1, backend="onnx"))
    try:
        assert httpx.get(f"{server.url}/metadata", timeout=60).json()["backend"] == "onnx"
        body = {"rows": _rows(), "at_least_one": True}
        by_onnx = [answer["prediction"] for answer in _post(server.url, body).json()["predictions"]]
    finally:
        server.stop()
    by_torch = [answer["prediction"] for answer in _post(plain_server.url, body).json()["predictions"]]
    assert by_onnx == by_torch and [] not in by_onnx
