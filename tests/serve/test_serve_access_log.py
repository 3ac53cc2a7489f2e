"""``trainwell serve`` writes one access line per request to stderr, with the method, path, status, latency in
milliseconds and the request id its answer carries (the client's X-Request-ID, or the one made up), so the
server's log and the client's can be joined; uvicorn's own line (no id, no latency) is off. ``--log-level
warning`` leaves the access lines out, and ``--cors-origin`` answers a browser's preflight. A real server
process on loopback, its stderr read as an operator reads it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from serve_support import ServeProcess

ACCESS = re.compile(r'"(GET|POST) (/\S*)" (\d{3}) (\d+\.\d) ms request_id=(\S+) model=([0-9a-f]{12})')


def test_access_lines_carry_the_request_id_and_latency(
    model_dir: Path, new_rows: list[dict[str, Any]]
) -> None:
    with ServeProcess(model_dir) as served:
        with httpx.Client(base_url=served.wait_ready(), timeout=60) as client:
            answered = client.post(
                "/predict", json={"rows": new_rows[:2]}, headers={"X-Request-ID": "tour-59"}
            )
            refused = client.post("/predict", json={"rows": []})
            client.get("/health")
        served.stop()
    seen = served.log
    assert answered.status_code == 200 and refused.status_code == 422
    access = [found.groups() for line in seen if (found := ACCESS.search(line))]
    assert [(method, path, status, rid) for method, path, status, _, rid, _ in access] == [
        ("POST", "/predict", "200", "tour-59"),
        ("POST", "/predict", "422", refused.headers["x-request-id"]),
        ("GET", "/health", "200", access[2][4]),
    ], "".join(seen)
    assert {model for *_, model in access} == {answered.headers["x-model-version"]}
    assert all(float(ms) > 0 for _, _, _, ms, _, _ in access)
    assert not any('HTTP/1.1" 200' in line for line in seen), "uvicorn's own access line is still on"


def test_cors_origin_and_log_level_options(model_dir: Path) -> None:
    dash = "http://dash.example.com"
    with ServeProcess(model_dir, "--cors-origin", dash, "--log-level", "warning") as served:
        url = served.wait_ready()
        preflight = httpx.options(
            f"{url}/predict", headers={"Origin": dash, "Access-Control-Request-Method": "POST"}, timeout=60
        )
        health = httpx.get(f"{url}/health", timeout=60)
        served.stop()
    seen = served.log
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == dash
    assert health.status_code == 200
    assert not any(ACCESS.search(line) for line in seen), "".join(seen)  # warning: no access lines
