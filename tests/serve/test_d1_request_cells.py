"""What a deployment tour sent that the servers read otherwise than ``trainwell predict``, or answered badly: a lone
surrogate escape (a 500 from a table server), padded and missing-marker text in a row (read unlike a CSV's
cell), a number past a float's range ("a valid number, not a number"), extra keys in a text model's rows (taken
in silence), ``{"text": ...}`` (no hint), and the byte counts of a 413 and the type of an oversized image.

One table server (the session's, in a thread) and one text server for the module, over real HTTP on loopback.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from serve_support import LIMITS, LiveServer, start_server

from text_samples import reviews
from trainwell.serve import create_app


def post_raw(url: str, body: str) -> httpx.Response:
    """POST a JSON text as written (``json=`` would encode a lone surrogate as the client's own escape)."""
    return httpx.post(
        f"{url}/predict", content=body.encode(), headers={"Content-Type": "application/json"}, timeout=60
    )


def test_a_lone_surrogate_is_a_422_naming_the_field_and_a_pair_is_text(
    live: LiveServer, new_rows: list[dict[str, Any]]
) -> None:
    row = json.dumps(new_rows[0])
    for body, field in (
        # what the tour sent: a 500 "internal error (UnicodeEncodeError)" from pandas' UTF-8 strings
        (row.replace('"Private"', '"K\\ud800"'), "rows.0.workclass"),
        (row.replace('"age"', '"\\udc00age"'), "rows.0"),  # a key (was pydantic's "unable to parse raw data")
    ):
        response = post_raw(live.url, f'{{"rows": [{body}]}}')
        assert response.status_code == 422, response.text
        problem = response.json()["detail"][0]
        assert (problem["field"], problem["type"]) == (field, "string_unicode")
        assert "not valid Unicode text: it holds the lone surrogate \\u" in problem["msg"]
        assert "send the character itself, or both halves of its pair" in problem["msg"]
    emoji = row.replace('"Private"', '"\\ud83d\\ude00"')
    paired = post_raw(live.url, '{"rows": [' + emoji + "]}")
    assert paired.status_code == 200, paired.text  # a pair of escapes is one character: an unseen category
    assert paired.json()["predictions"][0]["unseen"] == {"workclass": "\U0001f600"}


def test_the_python_api_names_the_row_and_column_of_a_lone_surrogate(
    predictor: Any, new_rows: list[dict]
) -> None:
    from trainwell.core.errors import DataError

    rows = [new_rows[0], {**new_rows[1], "workclass": "K\ud800"}]
    with pytest.raises(
        DataError, match=r"^the value of 'workclass' in row 1 of the rows is not valid Unicode text"
    ):
        predictor.predict(rows)


def test_serve_reads_text_cells_as_predict_reads_the_same_csv(
    live: LiveServer, predictor: Any, new_rows: list[dict[str, Any]], tmp_path: Path
) -> None:
    """The same rows through ``predict`` on a CSV and through the server (every cell sent as the CSV's text) agree:
    " 39 " is 39, " Private " is Private, "" / "NaN" / "?" are missing, "3.0" in a column of numbers is 3."""
    rows = [
        {name: "" if value is None else str(value) for name, value in row.items()} for row in new_rows[:5]
    ]
    rows[1] = {**rows[1], "age": f" {rows[1]['age']} ", "workclass": f" {rows[1]['workclass']} "}
    rows[2] = {**rows[2], "age": "", "hours-per-week": "NaN", "occupation": ""}
    rows[3] = {**rows[3], "age": "NaN", "capital-gain": "?", "workclass": "?", "education-num": "9.0"}
    rows[4] = {**rows[4], "fnlwgt": " 1e5 ", "native-country": "NA", "capital-loss": "  "}
    path = tmp_path / "rows.csv"
    columns = list(rows[0])
    path.write_text(
        "\n".join([",".join(columns), *(",".join(f'"{row[name]}"' for name in columns) for row in rows)])
        + "\n"
    )
    expected = predictor.predict(path)
    response = httpx.post(f"{live.url}/predict", json={"rows": rows}, timeout=60)
    assert response.status_code == 200, response.text
    for answer, (_, batch) in zip(response.json()["predictions"], expected.iterrows(), strict=True):
        label = str(predictor.task.classes[1])
        assert answer["probabilities"][label] == pytest.approx(batch[f"probability_{label}"], abs=1e-6)
        assert answer["prediction"] == batch["prediction"]
    # Still refused: text that is no number and no missing marker, naming the field.
    refused = httpx.post(f"{live.url}/predict", json={"rows": [{**rows[0], "age": "39 years"}]}, timeout=60)
    assert refused.status_code == 422 and refused.json()["message"].startswith("rows.0.age: Input should be")


def test_the_missing_markers_are_pandas_own_and_predict_s() -> None:
    from pandas._libs.parsers import STR_NA_VALUES

    from trainwell.data.io import DEFAULT_NA_VALUES
    from trainwell.serve.schema import _LONGEST_MARKER, MISSING_TEXTS

    assert frozenset(STR_NA_VALUES) | set(DEFAULT_NA_VALUES) == MISSING_TEXTS
    assert max(len(text) for text in MISSING_TEXTS) == _LONGEST_MARKER


def test_a_number_past_a_float_s_range_is_said_to_be_too_large(
    live: LiveServer, new_rows: list[dict[str, Any]]
) -> None:
    big = json.dumps({"rows": [{**new_rows[0], "age": 10**400}]})
    message = post_raw(live.url, big).json()["message"]
    # was "rows.0.age: Input should be a valid number, not a number"
    assert message.startswith(
        "rows.0.age: Input should be a finite number, got 1e400 (a whole number of 401 digits), beyond a 64-bit "
        "float's range (at most about 1.8e308)"
    ), message
    infinite = post_raw(live.url, big.replace("1" + "0" * 400, "1e400")).json()["message"]
    assert (
        "a number beyond a 64-bit float's range (at most about 1.8e308), which reads as infinity" in infinite
    )


def test_a_413_groups_the_digits_of_its_byte_counts(live: LiveServer) -> None:
    response = post_raw(live.url, " " * (LIMITS["max_body_bytes"] + 1))
    assert response.status_code == 413
    assert response.json()["message"].startswith(
        "body: the request body is 40,001 bytes, over the limit of 40,000 bytes"
    )


@pytest.fixture(scope="module")
def live_text(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from trainwell.text import fit_texts

    out = tmp_path_factory.mktemp("d1-text") / "model"
    fit_texts(reviews(40, 0), text_col="review", target="sentiment", out=out, epochs=1, progress=False)
    server = start_server(create_app(out, threads=1, **LIMITS))
    yield server
    server.stop()


def test_a_text_model_refuses_keys_of_its_rows_it_does_not_read_as_a_table_model_does(
    live_text: LiveServer,
) -> None:
    row = {
        "review": "a wonderful film",
        "sentiment": "pos",
    }  # the target: accepted and ignored, as by a table model
    assert httpx.post(f"{live_text.url}/predict", json={"rows": [row]}, timeout=60).status_code == 200
    response = httpx.post(f"{live_text.url}/predict", json={"rows": [{**row, "titel": "x"}]}, timeout=60)
    assert response.status_code == 422, (
        response.text
    )  # was a 200: other keys were ignored, --forbid-extra-fields or not
    assert response.json()["message"] == (
        "rows.0.titel: Extra inputs are not permitted (not an input of this model: GET /metadata lists the inputs)"
    )
    lone = post_raw(live_text.url, '{"texts": ["a \\ud800 film"]}')  # was scored
    assert lone.status_code == 422 and lone.json()["detail"][0]["field"] == "texts.0"


def test_text_for_texts_is_asked_whether_it_meant_texts(live_text: LiveServer) -> None:
    response = httpx.post(f"{live_text.url}/predict", json={"text": "a film"}, timeout=60)
    assert response.status_code == 422
    assert response.json()["message"] == (
        'text: Extra inputs are not permitted (not a field of this request: did you mean "texts"? '
        '{"texts": ["...", ...]}; GET /docs shows the body)'
    )


def test_without_forbid_extra_fields_a_text_row_s_other_keys_are_ignored() -> None:
    from trainwell.serve.texts import texts_request_model

    request = texts_request_model(
        max_texts=5, forbid_extra_fields=False, text_col="review", accepted=["sentiment"]
    )
    parsed = request.model_validate({"rows": [{"review": "fine", "titel": "x"}]})
    assert parsed.texts == ["fine"]  # type: ignore[attr-defined]


def test_an_image_over_the_pixel_limit_has_a_type_that_says_so() -> None:
    from trainwell.serve.images import EncodedImage, ImageRequestError, decode_noted_images
    from trainwell.vision.recipe import ImageRecipe

    buffer = io.BytesIO()
    Image.new("RGB", (120, 100)).save(buffer, format="PNG")
    recipe = ImageRecipe(size=(8, 8), channels=3, mean=(0.5,) * 3, std=(0.25,) * 3)
    with pytest.raises(ImageRequestError) as refused:
        decode_noted_images(
            [EncodedImage(["images", 0], "the image ", buffer.getvalue())], recipe, max_pixels=10_000
        )
    [problem] = refused.value.problems
    assert problem["type"] == "image_too_large"  # was image_invalid, as for a file that is no image
    assert "is 120x100 pixels, over the limit of 10,000 pixels" in problem["msg"]
