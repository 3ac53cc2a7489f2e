"""Test-time augmentation over real HTTP on loopback: ``"tta": true`` (or the form field, or ``serve --tta``) gives
an image model's ``predict(tta=True)`` answers on both backends, requests with and without it share a batch and
each get their own, /metadata and the OpenAPI body document it, and a table model refuses it in one line.

A tour sent ``{"images": [...], "tta": true}`` and got "Extra inputs are not permitted", although
``trainwell predict --tta`` exists."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from serve_support import VISION_CLASSES, LiveServer, start_server

from trainwell.core.errors import ConfigError
from trainwell.export import load
from trainwell.serve import create_app
from trainwell.vision.transform import describe_tta

LIMITS: dict[str, Any] = {"threads": 1, "batch_wait_ms": 250.0}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@pytest.fixture(scope="module")
def image_predictor(vision_model_dir: Path) -> Any:
    return load(vision_model_dir)


@pytest.fixture(scope="module")
def live_vision(vision_model_dir: Path) -> Iterator[LiveServer]:
    server = start_server(create_app(vision_model_dir, backend="torch", **LIMITS))
    yield server
    server.stop()


def probabilities(answers: list[dict[str, Any]]) -> list[list[float]]:
    return [[answer["probabilities"][label] for label in VISION_CLASSES] for answer in answers]


def expected(predictor: Any, images: list[bytes], *, tta: bool) -> list[list[float]]:
    frame = predictor.predict(images, tta=tta)
    return frame[[f"probability_{label}" for label in VISION_CLASSES]].to_numpy().tolist()


def assert_close(got: list[list[float]], want: list[list[float]], tolerance: float = 1e-6) -> None:
    assert len(got) == len(want)
    for row, reference in zip(got, want, strict=True):
        assert row == pytest.approx(reference, abs=tolerance)


def test_the_model_has_views_that_change_its_answers(
    image_predictor: Any, request_images: list[bytes]
) -> None:
    # Without this, every test below could pass with TTA ignored.
    assert image_predictor.augmentation is not None
    plain = expected(image_predictor, request_images, tta=False)
    averaged = expected(image_predictor, request_images, tta=True)
    assert (
        max(
            abs(a - b)
            for row, other in zip(plain, averaged, strict=True)
            for a, b in zip(row, other, strict=True)
        )
        > 1e-3
    )


def test_tta_true_gives_predict_tta_answers_in_json_and_in_a_form(
    live_vision: LiveServer, image_predictor: Any, request_images: list[bytes]
) -> None:
    images = [b64(data) for data in request_images]
    files = [("images", (f"{i}.png", data, "image/png")) for i, data in enumerate(request_images)]
    with httpx.Client(base_url=live_vision.url, timeout=60) as client:
        with_tta = client.post("/predict", json={"images": images, "tta": True})
        without = client.post("/predict", json={"images": images, "tta": False})
        left_out = client.post("/predict", json={"images": images})
        form = client.post("/predict", files=files, data={"tta": "true"})
        bad_form = client.post("/predict", files=files[:1], data={"tta": "maybe"})
        null = client.post("/predict", json={"images": images, "tta": None})
    for response in (with_tta, without, left_out, form):
        assert response.status_code == 200, response.text
    assert_close(
        probabilities(with_tta.json()["predictions"]), expected(image_predictor, request_images, tta=True)
    )
    assert_close(
        probabilities(form.json()["predictions"]), expected(image_predictor, request_images, tta=True)
    )
    plain = expected(image_predictor, request_images, tta=False)
    assert_close(probabilities(without.json()["predictions"]), plain)
    assert_close(probabilities(left_out.json()["predictions"]), plain)  # the server's default: off
    assert bad_form.status_code == 422
    assert bad_form.json()["message"] == "tta: the form field tta holds 'maybe'; send true or false (once)"
    assert null.status_code == 422 and null.json()["detail"][0]["loc"] == ["tta"]


def test_requests_with_and_without_tta_share_a_batch_and_get_their_own_answers(
    live_vision: LiveServer, image_predictor: Any, request_images: list[bytes]
) -> None:
    images = [b64(data) for data in request_images]
    stats = live_vision.app.state.batch_stats
    calls_before = stats.calls

    async def send_both() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=live_vision.url, timeout=60) as client:
            return list(
                await asyncio.gather(
                    *(client.post("/predict", json={"images": images, "tta": i % 2 == 0}) for i in range(4))
                )
            )

    responses = asyncio.run(send_both())
    plain = expected(image_predictor, request_images, tta=False)
    averaged = expected(image_predictor, request_images, tta=True)
    for index, response in enumerate(responses):
        assert response.status_code == 200, response.text
        assert_close(probabilities(response.json()["predictions"]), averaged if index % 2 == 0 else plain)
    assert stats.calls - calls_before < 4  # some requests were merged, TTA and plain alike


def test_serve_tta_is_the_default_that_a_request_can_turn_off(
    vision_model_dir: Path, image_predictor: Any, request_images: list[bytes]
) -> None:
    images = [b64(data) for data in request_images[:3]]
    server = start_server(create_app(vision_model_dir, backend="torch", tta=True, **LIMITS))
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            left_out = client.post("/predict", json={"images": images})
            turned_off = client.post("/predict", json={"images": images, "tta": False})
            metadata = client.get("/metadata").json()
    finally:
        server.stop()
    assert_close(
        probabilities(left_out.json()["predictions"]), expected(image_predictor, request_images[:3], tta=True)
    )
    assert_close(
        probabilities(turned_off.json()["predictions"]),
        expected(image_predictor, request_images[:3], tta=False),
    )
    assert metadata["tta"] == {
        "default": True,
        "available": True,
        "views": describe_tta(image_predictor.augmentation, what="probabilities"),
    }


def test_the_onnx_backend_answers_tta_as_pytorch_does(
    vision_onnx_model_dir: Path, image_predictor: Any, request_images: list[bytes]
) -> None:
    # The views run through model.onnx: a graph is a function of the pixels as the PyTorch model is.
    server = start_server(create_app(vision_onnx_model_dir, backend="onnx", **LIMITS))
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            assert client.get("/metadata").json()["backend"] == "onnx"
            response = client.post(
                "/predict", json={"images": [b64(data) for data in request_images], "tta": True}
            )
    finally:
        server.stop()
    assert response.status_code == 200, response.text
    assert_close(
        probabilities(response.json()["predictions"]),
        expected(image_predictor, request_images, tta=True),
        tolerance=1e-4,
    )


def test_metadata_and_openapi_document_tta(live_vision: LiveServer, image_predictor: Any) -> None:
    with httpx.Client(base_url=live_vision.url, timeout=60) as client:
        metadata = client.get("/metadata").json()
        document = client.get("/openapi.json").json()
    assert metadata["tta"]["default"] is False and metadata["tta"]["available"] is True
    assert metadata["tta"]["views"].startswith("each image's probabilities blend its plain view")
    body = document["paths"]["/predict"]["post"]["requestBody"]["content"]
    json_field = body["application/json"]["schema"]["properties"]["tta"]
    form_field = body["multipart/form-data"]["schema"]["properties"]["tta"]
    for field in (json_field, form_field):
        assert (
            "trainwell predict --tta" in field["description"]
            and "trainwell serve --tta" in field["description"]
        )
    assert form_field["enum"] == ["true", "false"]
    metadata_schema = document["components"]["schemas"]["VisionMetadataResponse"]
    assert "tta" in metadata_schema["required"]


def test_a_table_model_refuses_tta_in_one_line(
    live: LiveServer, model_dir: Path, new_rows: list[dict]
) -> None:
    # Refused as what it is, not as an unknown field; false asks for nothing and passes.
    with httpx.Client(base_url=live.url, timeout=60) as client:
        refused = client.post("/predict", json={"rows": new_rows[:2], "tta": True})
        passed = client.post("/predict", json={"rows": new_rows[:2], "tta": False})
        document = client.get("/openapi.json").json()
    assert refused.status_code == 422
    message = refused.json()["message"]
    assert message == (
        'tta: "tta": true: test-time augmentation averages an image model\'s answers over views of each image; '
        "this is a table model, which has no images to view: leave tta out"
    )
    assert "\n" not in message
    assert passed.status_code == 200, passed.text
    schemas = document["components"]["schemas"].values()
    assert not any(
        "tta" in schema.get("properties", {}) for schema in schemas
    )  # not shown where it cannot be used
    with pytest.raises(
        ConfigError, match=r"^tta \(--tta\): .* this is a table model, .*: start the server without --tta$"
    ):
        create_app(model_dir, tta=True)


# ------------------------------------------------------------------------------------------ the command
#: Runs `trainwell serve` with a hook that says on stderr when torch is first imported.
SAYS_WHEN_TORCH_LOADS = textwrap.dedent(
    """
    import sys

    class Announce:
        def find_spec(self, name, path=None, target=None):
            if name == "torch":
                print("[torch is being imported]", file=sys.stderr, flush=True)
                sys.meta_path.remove(self)
            return None

    sys.meta_path.insert(0, Announce())
    from trainwell.cli.app import app
    sys.argv = ["trainwell", "serve", *sys.argv[1:]]
    app()
    """
)


def test_serve_says_loading_before_torch_is_imported_and_refuses_tta_for_a_table(model_dir: Path) -> None:
    # A tour's `trainwell serve imgmodel` printed nothing for its first 20 s on a loaded machine: the imports of
    # torch and the server's stack, and the model's loading.
    done = subprocess.run(
        [sys.executable, "-c", SAYS_WHEN_TORCH_LOADS, str(model_dir), "--port", "0", "--tta"],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200"},
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0] == f"loading {model_dir} ..."
    assert lines[1] == "[torch is being imported]"
    assert lines[-1].startswith("error: tta (--tta): test-time augmentation averages an image model")
    assert lines[-1].endswith(
        "this is a table model, which has no images to view: start the server without --tta"
    )
