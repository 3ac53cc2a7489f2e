"""``GET /ready`` is the server's readiness for an orchestrator: 200 while it takes requests, 503 once its
shutdown has begun; ``/health`` stays the liveness. On real loopback HTTP.

A draining server (trainwell serve's :class:`DrainingServer`) stops accepting connections at once, so a probe
cannot reach it on a new connection (a refused connection is "not ready" to Kubernetes too): the 503 is checked
on a server marked draining as SIGTERM marks it, and the marking itself on a DrainingServer stopped during a
slow request, which is still answered."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from serve_support import LIMITS, RealClockLoop, start_server

from trainwell.cli._server import DrainingServer
from trainwell.export import load
from trainwell.serve import create_app
from trainwell.serve._middleware import begin_draining


def test_ready_turns_503_when_draining_while_health_stays_200(model_dir: Path) -> None:
    server = start_server(create_app(model_dir, threads=1, **LIMITS))
    try:
        before = httpx.get(f"{server.url}/ready", timeout=60)
        head = httpx.head(f"{server.url}/ready", timeout=60)
        assert begin_draining(server.app)
        during = httpx.get(f"{server.url}/ready", timeout=60)
        health = httpx.get(f"{server.url}/health", timeout=60)
        openapi = httpx.get(f"{server.url}/openapi.json", timeout=60).json()
    finally:
        server.stop()
    assert (before.status_code, before.json()) == (200, {"status": "ready"})
    assert head.status_code == 200
    assert (during.status_code, during.json()) == (503, {"status": "draining"})
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    described = openapi["paths"]["/ready"]["get"]["description"]
    assert "readinessProbe" in described and "livenessProbe" in described and "preStop" in described
    assert not begin_draining(object())  # no trainwell app: nothing marked


def test_stopping_marks_the_server_draining_and_answers_the_slow_request(
    model_dir: Path, new_rows: list[dict[str, Any]]
) -> None:
    predictor = load(model_dir)
    entered, release = threading.Event(), threading.Event()
    original = predictor.predict_proba

    def slow(rows: Any, **options: Any) -> Any:
        entered.set()
        release.wait(60)
        return original(rows, **options)

    predictor.predict_proba = slow  # type: ignore[method-assign]
    app = create_app(predictor, threads=1, **LIMITS)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(
        app, log_level="warning", lifespan="on", timeout_graceful_shutdown=30, loop=RealClockLoop
    )
    server = DrainingServer(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    answers: list[httpx.Response] = []
    try:
        assert httpx.get(f"{url}/ready", timeout=60).status_code == 200
        client = threading.Thread(
            target=lambda: answers.append(
                httpx.post(f"{url}/predict", json={"rows": new_rows[:1]}, timeout=60)
            )
        )
        client.start()
        assert entered.wait(60)  # the request is in the model call
        server.should_exit = True  # what uvicorn's SIGTERM handler does
        for _ in range(600):  # the shutdown begins on the server loop's next tick
            if app.state.readiness.draining:
                break
            time.sleep(0.05)
        assert app.state.readiness.draining
    finally:
        release.set()
        client.join(60)
        thread.join(60)
    assert not thread.is_alive()
    assert [answer.status_code for answer in answers] == [200]  # the request under way is answered
