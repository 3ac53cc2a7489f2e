"""What a vision model's server takes in, over real HTTP on loopback to a real ``trainwell serve``: a phone's
48 MP photo under the default pixel limit and ``--max-image-pixels`` to set another, a raw image body sent as
``application/octet-stream`` or with no type (as ``requests.post(url, data=jpeg)`` sends it), the JSON key
``image`` for one image, ``resized_from`` of an image stored sideways (EXIF orientation), and an OpenAPI
document free of reST markup (``/docs`` showed ``:mod:`trainwell.serve.tta``` as it was)."""

from __future__ import annotations

import base64
import http.client
import inspect
import io
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image
from serve_support import LiveServer, ServeProcess, start_server

from trainwell.serve import create_app

#: The served limit of the ``served`` process: small, so a 100x80 image is over it.
SMALL_LIMIT = 5_000
#: What reST puts in a docstring and markdown shows as it is.
REST_MARKUP = re.compile(r":(mod|class|func|meth|attr|data|exc|obj):`|``")


@pytest.fixture(scope="module")
def served(vision_model_dir: Path) -> Iterator[str]:
    """``trainwell serve`` of the session's image model, its pixel limit set by the command's option."""
    with ServeProcess(
        vision_model_dir, "--backend", "torch", "--max-image-pixels", str(SMALL_LIMIT)
    ) as process:
        yield process.wait_ready()
        assert process.stop() == 0


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """POST ``body`` to ``url``/predict with exactly ``headers`` (http.client adds only Host and
    Content-Length: no Content-Type unless given): the status and the JSON answer."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request("POST", "/predict", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def jpeg(width: int, height: int, orientation: int | None = None, format: str = "JPEG") -> bytes:
    image = Image.new("RGB", (width, height), (200, 40, 40))
    image.paste((30, 30, 220), (0, 0, width // 2, height // 3))
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, format=format, exif=exif)
    return buffer.getvalue()


def test_the_pixel_limit_is_the_servers_option_and_its_422_names_it(served: str) -> None:
    status, body = post(served, jpeg(100, 80), {"Content-Type": "image/jpeg"})
    assert status == 422, body
    assert body["message"] == (
        "body: the image is 100x80 pixels, over the limit of 5,000 pixels (trainwell serve --max-image-pixels); "
        "send a smaller image"
    )
    assert post(served, jpeg(50, 60), {"Content-Type": "image/jpeg"})[0] == 200
    with urllib.request.urlopen(f"{served}/metadata", timeout=60) as answer:
        assert json.loads(answer.read())["limits"]["max_image_pixels"] == SMALL_LIMIT


@pytest.fixture(scope="module")
def default_server(vision_model_dir: Path) -> Iterator[LiveServer]:
    server = start_server(create_app(vision_model_dir, threads=1, backend="torch"))
    yield server
    server.stop()


def test_a_phones_48_megapixel_photo_is_taken_by_default(default_server: LiveServer) -> None:
    # 8064x6048, as a 48 MP phone camera writes it: a 422 "over the limit of 40000000 pixels", where
    # `trainwell predict` read the same file.
    photo = jpeg(8064, 6048)
    status, body = post(default_server.url, photo, {"Content-Type": "image/jpeg"})
    assert status == 200, body
    assert body["predictions"][0]["resized_from"] == [8064, 6048]
    from trainwell.cli.serve_cmd import serve
    from trainwell.serve.config import IMAGE_PIXELS, PILLOW_BOMB_PIXELS

    # The command's default is the server's; a decompression bomb stays refused.
    assert inspect.signature(serve).parameters["max_image_pixels"].default == IMAGE_PIXELS
    assert 9248 * 6936 < IMAGE_PIXELS < PILLOW_BOMB_PIXELS // 2


def test_a_raw_image_body_is_taken_as_octet_stream_or_untyped(
    served: str, request_images: list[bytes]
) -> None:
    # A 415 "content type 'application/octet-stream' is not accepted": what requests.post(url, data=jpeg)
    # (no Content-Type) and curl --data-binary without -H (form-urlencoded) send.
    formats = [
        (request_images[0], "PNG"),
        (request_images[-2], "JPEG"),
        (jpeg(40, 30, format="WEBP"), "WEBP"),
    ]
    for image, name in formats:
        typed = post(served, image, {"Content-Type": "image/png"})
        assert typed[0] == 200, typed
        for headers in ({"Content-Type": "application/octet-stream"}, {}):
            assert post(served, image, headers) == typed, (name, headers)
    # urllib's own default type for a body, as curl's --data-binary sends it.
    request = urllib.request.Request(f"{served}/predict", data=request_images[0])
    with urllib.request.urlopen(request, timeout=60) as answer:
        assert json.loads(answer.read()) == post(served, request_images[0], {"Content-Type": "image/png"})[1]
    # What is no image stays refused, saying what is taken.
    words = post(served, b"just words", {"Content-Type": "application/octet-stream"})
    assert words[0] == 415 and "is not an image file" in words[1]["message"]
    assert post(served, b"", {"Content-Type": "application/octet-stream"})[0] == 422
    html = post(served, request_images[0], {"Content-Type": "text/html"})
    assert html[0] == 415 and "content type 'text/html' is not accepted" in html[1]["message"]
    untyped_json = post(served, json.dumps({"images": ["x"]}).encode(), {})
    assert untyped_json[0] == 415 and "the request has no Content-Type" in untyped_json[1]["message"]


def test_one_image_may_be_sent_under_the_json_key_image(served: str, request_images: list[bytes]) -> None:
    # {"image": "<b64>"} was "Extra inputs are not permitted", though the form field "image" is taken.
    headers = {"Content-Type": "application/json"}
    encoded = base64.b64encode(request_images[0]).decode("ascii")
    as_list = post(served, json.dumps({"images": [encoded]}).encode(), headers)
    assert as_list[0] == 200
    assert post(served, json.dumps({"image": encoded}).encode(), headers) == as_list
    assert post(served, json.dumps({"image": [encoded]}).encode(), headers) == as_list
    status, bad = post(served, json.dumps({"image": "not base64!"}).encode(), headers)
    assert status == 422 and bad["message"].startswith("image: invalid base64")
    status, unknown = post(served, json.dumps({"img": encoded}).encode(), headers)
    assert status == 422 and [item["field"] for item in unknown["detail"]] == ["img"]
    assert unknown["message"].startswith(
        'img: unknown key; send the images as "images": ["<base64>", ...], or one image as "image": "<base64>"; '
        "other keys: "
    )
    assert '"tta"' in unknown["message"] and "images: Field required" not in unknown["message"]


@pytest.mark.parametrize("format", ["JPEG", "PNG"])
def test_resized_from_is_the_upright_size(served: str, format: str) -> None:
    # A phone photo stored 60x40 (width x height) and turned by its EXIF orientation is shown and fitted as 40x60;
    # resized_from said [60, 40].
    for orientation, upright in ((6, [40, 60]), (8, [40, 60]), (3, [60, 40]), (None, [60, 40])):
        status, body = post(
            served, jpeg(60, 40, orientation, format), {"Content-Type": f"image/{format.lower()}"}
        )
        assert status == 200, body
        assert body["predictions"][0]["resized_from"] == upright, orientation


def openapi_strings(document: Any) -> Iterator[tuple[str, str]]:
    """Every text of an OpenAPI document, with where it is."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((f"{where}/{key}", item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((f"{where}/{index}", item) for index, item in enumerate(value))
        elif isinstance(value, str):
            yield where, value


def test_the_openapi_document_holds_no_rest_markup(served: str, live: LiveServer) -> None:
    # /docs showed "a request's ``"tta"``: :mod:`trainwell.serve.tta`" and "``height`` x ``width``".
    for url in (served, live.url):
        with urllib.request.urlopen(f"{url}/openapi.json", timeout=60) as answer:
            document = json.loads(answer.read())
        marked = [
            f"{where}: {text[:120]}" for where, text in openapi_strings(document) if REST_MARKUP.search(text)
        ]
        assert not marked, "\n".join(marked)
    assert REST_MARKUP.search("fitted to ``height``") and REST_MARKUP.search(":mod:`trainwell.serve.tta`")
