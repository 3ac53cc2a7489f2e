"""A vision model served over real HTTP on loopback: base64 JSON and multipart uploads give the Python
predictor's answers, bad requests get a 4xx naming the image, concurrent requests share forwards, the onnx
backend answers the same, a crafted pickle is refused, and a bounded fuzz finds no 5xx."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import schemathesis
from fastapi import FastAPI
from PIL import Image
from serve_support import (
    UNREADABLE_BODIES,
    VISION_CLASSES,
    LiveServer,
    encoded,
    fuzz,
    pickle_in_place_of_weights,
    start_server,
)

from trainwell.core.errors import ArtifactError
from trainwell.export import load
from trainwell.serve import create_app
from trainwell.serve import images as images_module
from trainwell.serve._multipart import MultipartError, boundary_of, parse_multipart
from trainwell.serve.app import INLINE_DECODE_PIXELS

VISION_LIMITS: dict[str, Any] = {"max_images": 4, "max_body_bytes": 40_000, "batch_wait_ms": 250.0}


@pytest.fixture(scope="module")
def live_vision(vision_model_dir: Path) -> Iterator[LiveServer]:
    server = start_server(create_app(vision_model_dir, threads=1, backend="torch", **VISION_LIMITS))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(live_vision: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_vision.url, timeout=60) as session:
        yield session


@pytest.fixture(scope="module")
def image_predictor(vision_model_dir: Path) -> Any:
    return load(vision_model_dir)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def assert_same_as_predictor(answers: list[dict[str, Any]], predictor: Any, images: list[bytes]) -> None:
    """Each answer equals ``ImagePredictor.predict`` on the same encoded images (label and probabilities)."""
    expected = predictor.predict(images)
    assert len(answers) == len(expected)
    for answer, (_, reference) in zip(answers, expected.iterrows(), strict=True):
        assert answer["prediction"] == reference["prediction"]
        assert set(answer["probabilities"]) == set(VISION_CLASSES)
        for label in VISION_CLASSES:
            probability = float(reference[f"probability_{label}"])
            assert answer["probabilities"][label] == pytest.approx(probability, abs=1e-6)


def test_base64_json_gives_the_predictor_answers(
    client: httpx.Client, image_predictor: Any, request_images: list[bytes]
) -> None:
    images = request_images[:4]
    response = client.post("/predict", json={"images": [b64(data) for data in images]})
    assert response.status_code == 200, response.text
    assert_same_as_predictor(response.json()["predictions"], image_predictor, images)


def test_multipart_files_give_the_predictor_answers(
    client: httpx.Client, image_predictor: Any, request_images: list[bytes]
) -> None:
    images = request_images[4:8]  # a PNG, a JPEG and a grayscale PNG among them
    files = [("images", (f"img{index}.png", data, "image/png")) for index, data in enumerate(images)]
    response = client.post("/predict", files=files)
    assert response.status_code == 200, response.text
    assert_same_as_predictor(response.json()["predictions"], image_predictor, images)
    # The field may be called "files" too, and a data URL is accepted in JSON.
    as_files = client.post("/predict", files=[("files", ("a.png", images[0], "image/png"))])
    as_data_url = client.post("/predict", json={"images": ["data:image/png;base64," + b64(images[0])]})
    assert as_files.json()["predictions"] == as_data_url.json()["predictions"]
    alone, in_batch = as_files.json()["predictions"][0], response.json()["predictions"][0]
    assert alone["prediction"] == in_batch["prediction"]  # probabilities differ in float rounding only
    assert alone["probabilities"] == pytest.approx(in_batch["probabilities"], abs=1e-6)


def test_the_field_names_curl_users_send_are_accepted(
    client: httpx.Client, image_predictor: Any, request_images: list[bytes]
) -> None:
    # curl -F file=@cat.png was refused as an unknown form field (422).
    images = request_images[4:6]
    for field in ("file", "image"):
        one = client.post("/predict", files=[(field, ("cat.png", images[0], "image/png"))])
        assert one.status_code == 200, one.text
        assert_same_as_predictor(one.json()["predictions"], image_predictor, images[:1])
    # Several files, in one field or across them, are answered one by one in the form's order.
    files = [("file", ("a.png", images[0], "image/png")), ("image", ("b.png", images[1], "image/png"))]
    several = client.post("/predict", files=files)
    assert several.status_code == 200, several.text
    assert_same_as_predictor(several.json()["predictions"], image_predictor, images)
    broken = error_of(client.post("/predict", files=[("file", ("notes.png", b"words", "image/png"))]), 422)
    assert broken["message"].startswith("images.0: file 'notes.png' could not be decoded")


def test_metadata_describes_the_images(client: httpx.Client, image_predictor: Any) -> None:
    body = client.get("/metadata").json()
    recipe = image_predictor.recipe
    assert body["application"] == "vision" and body["backend"] == "torch"
    assert body["task"]["classes"] == list(VISION_CLASSES)
    assert (body["image"]["height"], body["image"]["width"]) == recipe.size
    assert body["image"]["channels"] == recipe.channels == 3
    assert {"PNG", "JPEG"} <= set(body["formats"])
    assert set(body["request_formats"]) == {"application/json", "multipart/form-data", "image/*"}
    assert body["limits"]["max_images"] == 4 and body["limits"]["max_body_bytes"] == 40_000


def test_openapi_describes_both_request_bodies(live_vision: LiveServer) -> None:
    operation = live_vision.app.openapi()["paths"]["/predict"]["post"]
    content = operation["requestBody"]["content"]
    images = content["application/json"]["schema"]["properties"]["images"]
    assert (images["minItems"], images["maxItems"], images["items"]["type"]) == (1, 4, "string")
    files = content["multipart/form-data"]["schema"]["properties"]["images"]
    assert files["items"] == {"type": "string", "format": "binary"} and files["maxItems"] == 4
    assert set(operation["responses"]) == {"200", "400", "413", "415", "422"}


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def test_invalid_base64_is_422_naming_the_image(client: httpx.Client, request_images: list[bytes]) -> None:
    body = error_of(client.post("/predict", json={"images": [b64(request_images[0]), "not base64!"]}), 422)
    assert body["message"].startswith("images.1: invalid base64")
    assert [item["field"] for item in body["detail"]] == ["images.1"]


def test_undecodable_images_are_422_naming_index_and_file(
    client: httpx.Client, request_images: list[bytes]
) -> None:
    truncated = request_images[0][:60]
    files = [
        ("images", ("good.png", request_images[0], "image/png")),
        ("images", ("notes.png", b"these are words, not pixels", "image/png")),
        ("images", ("cut.png", truncated, "image/png")),
    ]
    body = error_of(client.post("/predict", files=files), 422)
    assert [item["field"] for item in body["detail"]] == ["images.1", "images.2"]
    assert body["message"].startswith(
        "images.1: file 'notes.png' could not be decoded (not a known image format); send a JPEG or PNG file"
    )
    assert "images.2: file 'cut.png' could not be decoded" in body["message"]
    as_json = error_of(client.post("/predict", json={"images": [b64(b"GIF89a nonsense")]}), 422)
    assert as_json["message"].startswith("images.0: the image could not be decoded")
    empty = error_of(client.post("/predict", json={"images": [""]}), 422)
    assert empty["message"] == "images.0: the image is empty (0 bytes); send a JPEG or PNG file"


def test_no_images_or_too_many_is_422(client: httpx.Client, request_images: list[bytes]) -> None:
    empty = error_of(client.post("/predict", json={"images": []}), 422)
    assert empty["message"] == "images: send at least 1 image, got 0"
    five = [b64(request_images[0])] * 5
    many = error_of(client.post("/predict", json={"images": five}), 422)
    assert many["message"] == (
        "images: send at most 4 images in one request (the server's limit), got 5: split them over several requests"
    )
    # a body of another shape was told "Input should be a valid dictionary or object to extract fields from"
    shape = error_of(client.post("/predict", json=[b64(request_images[0])]), 422)
    assert shape["message"] == (
        'body: must be a JSON object such as {"images": ["<base64 image file>", ...]}, not a list (GET /docs shows '
        "the body)"
    )
    one = error_of(client.post("/predict", json={"images": b64(request_images[0])}), 422)
    assert one["message"] == (
        'images: must be a list of images such as ["<base64 image file>", ...], not text (one image: wrap it in [ ])'
    )
    files = [("images", (f"{i}.png", request_images[0], "image/png")) for i in range(5)]
    many_files = error_of(client.post("/predict", files=files), 422)
    assert many_files["message"].startswith("images: 5 images in one request, over the limit of 4")
    no_files = error_of(client.post("/predict", files=[("note", ("a.txt", b"hi", "text/plain"))]), 422)
    assert (
        no_files["message"]
        == "note: unknown form field 'note'; send image files in the field 'images' (or 'image', 'files', 'file')"
    )
    only_data = error_of(client.post("/predict", data={"x": "1"}, files=[]), 415)
    assert "content type 'application/x-www-form-urlencoded' is not accepted" in only_data["message"]


def test_oversized_body_is_413(client: httpx.Client) -> None:
    big = encoded(Image.fromarray(np.random.default_rng(0).integers(0, 256, (128, 128, 3), dtype=np.uint8)))
    assert len(big) > 40_000
    body = error_of(client.post("/predict", files=[("images", ("big.png", big, "image/png"))]), 413)
    assert "over the limit of 40,000 bytes" in body["message"]
    assert "send fewer images per request, or smaller ones" in body["message"]  # not "fewer rows, texts"
    assert client.get("/health").status_code == 200


def test_an_image_model_takes_a_phones_photo_by_default(vision_model_dir: Path) -> None:
    # The 1 MB default refused one 3.5 MB photo, advising to "send fewer rows, texts or images".
    from fastapi.testclient import TestClient

    from trainwell.serve.app import create_app

    photo = encoded(
        Image.fromarray(np.random.default_rng(1).integers(0, 256, (1100, 1100, 3), dtype=np.uint8))
    )
    assert len(photo) > 3_000_000
    with TestClient(create_app(vision_model_dir, backend="torch")) as served:
        answer = served.post("/predict", files=[("images", ("photo.png", photo, "image/png"))])
        assert answer.status_code == 200, answer.text
        assert served.get("/metadata").json()["limits"]["max_body_bytes"] == 32_000_000


def test_malformed_requests_are_400_or_415(client: httpx.Client) -> None:
    invalid_json = client.post(
        "/predict", content=b'{"images": [', headers={"content-type": "application/json"}
    )
    assert error_of(invalid_json, 400)["message"] == "body: invalid JSON at character 12: Expecting value"
    headers = {"content-type": "multipart/form-data; boundary=XYZ"}
    truncated = client.post(
        "/predict",
        content=b'--XYZ\r\nContent-Disposition: form-data; name="images"\r\n\r\nab',
        headers=headers,
    )
    assert error_of(truncated, 400)["message"].startswith(
        "body: malformed multipart/form-data: the body ends"
    )
    no_boundary = client.post("/predict", content=b"x", headers={"content-type": "multipart/form-data"})
    assert "has no boundary parameter" in error_of(no_boundary, 400)["message"]
    text = client.post("/predict", content=b"hello", headers={"content-type": "text/plain"})
    assert error_of(text, 415)["message"] == (
        "body: content type 'text/plain' is not accepted; send application/json "
        '({"images": ["<base64>", ...]}; curl: -H \'Content-Type: application/json\'), multipart/form-data '
        '(files in the field "images"; curl: -F images=@cat.png) or one image as the body, typed image/*, '
        "application/octet-stream or not at all (curl: --data-binary @cat.png -H 'Content-Type: image/png')"
    )
    empty = client.post("/predict", content=b"", headers={"content-type": "image/png"})
    assert error_of(empty, 422)["message"] == "body: the body holds no image; send an image file"
    # Without a content type the body was read as JSON here, but not by the JSON endpoints: now both refuse it.
    untyped = client.post("/predict", content=json.dumps({"images": [b64(b"x")]}).encode())
    assert error_of(untyped, 415)["message"].startswith(
        "body: the request has no Content-Type; send application/json"
    )
    extra = client.post("/predict", json={"images": [b64(b"x")], "id": 3})
    assert error_of(extra, 422)["message"].startswith("id: Extra inputs are not permitted")


def test_one_image_sent_as_the_body_is_predicted_as_its_json_form(
    client: httpx.Client, request_images: list[bytes]
) -> None:
    # curl --data-binary @cat.jpg -H 'Content-Type: image/jpeg', a common client's way, was a 415.
    raw = client.post("/predict", content=request_images[0], headers={"content-type": "image/png"})
    as_json = client.post("/predict", json={"images": [b64(request_images[0])]})
    assert raw.status_code == 200 and raw.json() == as_json.json()
    assert "--data-binary @image.png" in client.get("/docs").text


def test_json_python_cannot_read_is_400_not_500(client: httpx.Client) -> None:
    """The image endpoint reads its JSON itself: arrays nested 10,000 deep and a 5,000-digit number raised
    RecursionError and ValueError out of it, a 500 "Internal Server Error" in plain text."""
    for body, message in UNREADABLE_BODIES:
        response = client.post("/predict", content=body, headers={"content-type": "application/json"})
        assert error_of(response, 400)["message"] == message


def test_concurrent_requests_share_forwards(
    live_vision: LiveServer, image_predictor: Any, request_images: list[bytes]
) -> None:
    stats = live_vision.app.state.batch_stats
    calls_before, recent_before = stats.calls, len(stats.recent)
    images = [request_images[index % len(request_images)] for index in range(24)]

    async def send_all() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=len(images))
        async with httpx.AsyncClient(base_url=live_vision.url, timeout=60, limits=limits) as session:
            return await asyncio.gather(
                *(session.post("/predict", json={"images": [b64(data)]}) for data in images)
            )

    responses = asyncio.run(send_all())
    assert [response.status_code for response in responses] == [200] * len(images)
    assert_same_as_predictor([r.json()["predictions"][0] for r in responses], image_predictor, images)
    batches = list(stats.recent)[recent_before:]
    assert sum(requests for requests, _ in batches) == len(images)
    assert stats.calls - calls_before < len(images), "every request ran its own forward: nothing was merged"
    assert max(items for _, items in batches) > 1


def test_onnx_backend_answers_the_same(
    vision_onnx_model_dir: Path, image_predictor: Any, request_images: list[bytes]
) -> None:
    server = start_server(create_app(vision_onnx_model_dir, threads=1, backend="onnx"))
    try:
        with httpx.Client(base_url=server.url, timeout=60) as session:
            assert session.get("/metadata").json()["backend"] == "onnx"
            files = [("images", (f"{i}.png", data, "image/png")) for i, data in enumerate(request_images)]
            response = session.post("/predict", files=files)
    finally:
        server.stop()
    assert response.status_code == 200, response.text
    expected = image_predictor.predict(request_images)
    for answer, (_, reference) in zip(response.json()["predictions"], expected.iterrows(), strict=True):
        assert answer["prediction"] == reference["prediction"]
        for label in VISION_CLASSES:
            assert answer["probabilities"][label] == pytest.approx(
                reference[f"probability_{label}"], abs=1e-4
            )


def test_a_pickle_in_place_of_vision_weights_is_refused(vision_model_dir: Path, tmp_path: Path) -> None:
    with pickle_in_place_of_weights(vision_model_dir, tmp_path) as crafted:
        with pytest.raises(ArtifactError, match="not a safetensors file"):
            create_app(crafted)
        with pytest.raises(ArtifactError, match="not a safetensors file"):
            load(crafted)


def test_multipart_reader_keeps_binary_content_exactly() -> None:
    content = bytes(range(256)) * 3 + b"\r\n--almost\r\n\r\n"
    body = (
        b"preamble\r\n--B0undary\r\n"
        b'Content-Disposition: form-data; name="images"; filename="a;b \\"c\\".png"\r\n'
        b"Content-Type: image/png\r\n\r\n" + content + b"\r\n--B0undary\r\n"
        b'Content-Disposition: form-data; name="files"\r\n\r\n\r\n--B0undary--\r\nepilogue'
    )
    parts = parse_multipart(body, boundary_of('multipart/form-data; boundary="B0undary"'))
    assert [(part.name, part.filename) for part in parts] == [("images", 'a;b "c".png'), ("files", None)]
    assert parts[0].content == content and parts[1].content == b""
    with pytest.raises(MultipartError, match="does not contain the boundary"):
        parse_multipart(b"no parts here", "B0undary")


@pytest.fixture(scope="module")
def vision_api_schema(vision_model_dir: Path) -> Any:
    app: FastAPI = create_app(vision_model_dir, max_images=3, max_body_bytes=20_000, backend="torch")
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE])
def test_fuzz_finds_no_server_error(vision_api_schema: Any, mode: Any) -> None:
    """Schemathesis' checks on generated requests, both bodies: no 5xx, documented statuses and bodies.

    Generated strings and bytes are almost never images, so schema-valid requests are mostly refused with a
    422 naming the image: the check that schema-valid data is accepted cannot hold for images and is left out.
    """
    from schemathesis.checks import positive_data_acceptance

    fuzz(vision_api_schema, mode, excluded_checks=[positive_data_acceptance])


def test_valid_images_pass_the_response_schema_checks(
    vision_api_schema: Any, request_images: list[bytes]
) -> None:
    """A real image through Schemathesis' response checks (the fuzz rarely produces one)."""
    operation = vision_api_schema["/predict"]["POST"]
    case = operation.Case(body={"images": [b64(request_images[0])]}, media_type="application/json")
    response = case.call_and_validate()
    assert response.status_code == 200


def test_large_images_are_decoded_off_the_event_loop_with_the_same_answers(
    client: httpx.Client, image_predictor: Any
) -> None:
    pixels = np.full((300, 280, 3), 30, dtype=np.uint8)  # 84,000 pixels: over the inline limit
    pixels[100:140, 20:-20] = (230, 40, 40)
    big = encoded(Image.fromarray(pixels))
    assert INLINE_DECODE_PIXELS < 300 * 280 and len(big) < VISION_LIMITS["max_body_bytes"]
    response = client.post("/predict", files=[("images", ("big.png", big, "image/png"))])
    assert response.status_code == 200, response.text
    assert_same_as_predictor(response.json()["predictions"], image_predictor, [big])


def test_a_large_jpeg_is_decoded_as_predict_decodes_its_file(image_predictor: Any, tmp_path: Path) -> None:
    # The server decoded the whole JPEG, where a file is decoded scaled down by libjpeg first: the same photo
    # sent to the server and given to `trainwell predict` had probabilities 0.258 and 0.256.
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)
    path = tmp_path / "photo.jpg"
    Image.fromarray(pixels).save(path, quality=90)
    served = images_module.decode_image(path.read_bytes(), image_predictor.recipe)
    assert np.array_equal(served, image_predictor.pixels([path])[0].numpy())


def test_images_over_the_pixel_limit_are_refused_before_decoding(
    image_predictor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(images_module, "MAX_IMAGE_PIXELS", 5_000)
    data = encoded(Image.new("RGB", (100, 80)))
    with pytest.raises(ValueError, match="is 100x80 pixels, over the limit of 5,000 pixels"):
        images_module.decode_image(data, image_predictor.recipe)
    assert images_module.decode_image(encoded(Image.new("L", (50, 60))), image_predictor.recipe).shape == (
        3,
        *image_predictor.recipe.size,
    )


def test_app_from_env_serves_a_vision_model(vision_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from trainwell.serve.app import MODEL_ENV, OPTIONS_ENV, app_from_env

    monkeypatch.setenv(MODEL_ENV, str(vision_model_dir))
    monkeypatch.setenv(OPTIONS_ENV, '{"max_images": 2, "backend": "torch"}')
    app = app_from_env()
    assert app.state.config.max_images == 2
    schema = app.openapi()["paths"]["/predict"]["post"]["requestBody"]["content"]
    assert schema["application/json"]["schema"]["properties"]["images"]["maxItems"] == 2
