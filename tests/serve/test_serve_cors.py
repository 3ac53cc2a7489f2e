"""``create_app(cors_origins=...)`` (``trainwell serve --cors-origin``) lets a browser page on those origins call
the server: its preflight is answered and its answers carry CORS headers; other origins, and a server without
the option, get none. On real loopback HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from serve_support import LIMITS, start_server

from trainwell.core.errors import ConfigError
from trainwell.serve import ServeConfig, create_app

DASH = "http://dash.example.com"
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}


def test_preflight_and_answers_for_the_origins_given(model_dir: Path, new_rows: list[dict[str, Any]]) -> None:
    server = start_server(create_app(model_dir, threads=1, cors_origins=[DASH], **LIMITS))
    try:
        preflight = httpx.options(f"{server.url}/predict", headers={"Origin": DASH, **PREFLIGHT}, timeout=60)
        stranger = httpx.options(
            f"{server.url}/predict", headers={"Origin": "http://evil.example", **PREFLIGHT}, timeout=60
        )
        answered = httpx.post(
            f"{server.url}/predict", json={"rows": new_rows[:1]}, headers={"Origin": DASH}, timeout=60
        )
    finally:
        server.stop()
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == DASH
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert stranger.status_code == 400 and "access-control-allow-origin" not in stranger.headers
    assert answered.status_code == 200 and answered.headers["access-control-allow-origin"] == DASH
    exposed = answered.headers["access-control-expose-headers"].lower()
    assert "x-request-id" in exposed and "x-model-version" in exposed


def test_no_cors_by_default(live: Any) -> None:
    preflight = httpx.options(f"{live.url}/predict", headers={"Origin": DASH, **PREFLIGHT}, timeout=60)
    plain = httpx.get(f"{live.url}/health", headers={"Origin": DASH}, timeout=60)
    assert preflight.status_code == 405
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in plain.headers


@pytest.mark.parametrize("origin", ["dash.example.com", "http://dash.example.com/app", ""])
def test_an_origin_that_is_not_one_is_refused(origin: str) -> None:
    with pytest.raises(ConfigError, match="--cors-origin must be an origin"):
        ServeConfig(cors_origins=(origin,))
    assert ServeConfig(cors_origins=["*", DASH]).to_dict()["cors_origins"] == ("*", DASH)
