"""A server on the ONNX backend starts and answers without importing torch (about 5 s of a server's 7 s start
on this machine was importing it), for a table model and an image model, and answers as the torch backend does.

The server runs in a fresh interpreter (this one has torch imported already), on a real socket on loopback; the
request is sent with the standard library, so nothing on the client's side imports torch either.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest
from serve_support import start_server

from trainwell.serve import create_app

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("onnxruntime") is None,
    reason="needs onnxruntime (pip install 'trainwell[onnx]')",
)

#: Builds the ONNX app in a fresh interpreter, serves it on loopback, posts the JSON body in the file argv[2],
#: and prints whether torch was imported after the start and after the answer, and the answers.
SERVE_AND_ASK = textwrap.dedent(
    """
    import json, socket, sys, threading, urllib.request

    import uvicorn

    from trainwell.serve import create_app

    app = create_app(sys.argv[1], backend="onnx", threads=1)
    assert app.state.backend == "onnx", app.state.backend
    after_start = "torch" in sys.modules
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    with open(sys.argv[2], "rb") as file:
        body = file.read()
    request = urllib.request.Request(
        f"http://127.0.0.1:{sock.getsockname()[1]}/predict", data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        answers = json.load(response)["predictions"]
    server.should_exit = True
    thread.join(timeout=30)
    print(json.dumps({"after_start": after_start, "after_answer": "torch" in sys.modules, "answers": answers}))
    """
)


@pytest.fixture(scope="module")
def rows(new_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows never seen in training, with an unseen category, missing values and values far outside training."""
    base = new_rows[0]
    unseen = {**base, "workclass": "Astronaut"}
    nulls = {**base, "workclass": None, "age": None, "hours-per-week": None}
    far = {**base, "age": 120, "capital-gain": 99_999}
    return [*new_rows[:16], unseen, nulls, far]


#: The model kinds the ONNX backend serves here: (the fixture of the exported model directory, what is sent).
KINDS = {"table": ("onnx_model_dir", "rows"), "images": ("vision_onnx_model_dir", "images")}


@pytest.fixture(scope="module")
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A model of each kind served on the ONNX backend in a fresh interpreter: its directory, the request's
    body, and what the server said (whether torch was imported; the answers)."""
    directory_fixture, field = KINDS[request.param]
    model_dir: Path = request.getfixturevalue(directory_fixture)
    if field == "rows":
        items: list[Any] = request.getfixturevalue("rows")
    else:  # encoded images of other sizes than the training one (PNG, JPEG, grayscale), sent as base64
        items = [base64.b64encode(data).decode("ascii") for data in request.getfixturevalue("request_images")]
    body = {field: items}
    body_file = tmp_path_factory.mktemp("onnx-imports") / "body.json"
    body_file.write_text(json.dumps(body), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", SERVE_AND_ASK, str(model_dir), str(body_file)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout.strip().splitlines()[-1])
    return {"model_dir": model_dir, "body": body, **said}


@pytest.mark.parametrize(
    "served",
    [
        "table",
        "images",
    ],
    indirect=True,
)
def test_an_onnx_server_starts_and_answers_without_importing_torch(served: dict[str, Any]) -> None:
    assert served["after_start"] is False, "torch was imported while the ONNX server started"
    assert served["after_answer"] is False, "torch was imported while the ONNX server answered"


@pytest.mark.parametrize("served", sorted(KINDS), indirect=True)
def test_the_onnx_server_answers_as_the_torch_one(served: dict[str, Any]) -> None:
    server = start_server(create_app(served["model_dir"], threads=1, backend="torch"))
    try:
        response = httpx.post(f"{server.url}/predict", json=served["body"], timeout=60)
    finally:
        server.stop()
    response.raise_for_status()
    by_torch, by_onnx = response.json()["predictions"], served["answers"]
    assert len(by_onnx) == len(by_torch) == len(next(iter(served["body"].values())))
    for reference, answer in zip(by_torch, by_onnx, strict=True):
        assert answer["prediction"] == reference["prediction"]
        assert answer.get("unseen") == reference.get("unseen")
        assert answer["probabilities"].keys() == reference["probabilities"].keys()
        for label, p in reference["probabilities"].items():
            assert answer["probabilities"][label] == pytest.approx(p, abs=1e-5)
