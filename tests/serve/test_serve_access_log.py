"""``trainwell serve`` writes one access line per request to stderr, with the method, path, status, latency in
milliseconds and the request id its answer carries (the client's X-Request-ID, or the one made up), so the
server's log and the client's can be joined; uvicorn's own line (no id, no latency) is off. ``--log-level
warning`` leaves the access lines out, and ``--cors-origin`` answers a browser's preflight. ``--access-log json``
writes one JSON object a line to stdout instead. A real server
process on loopback, its stderr read as an operator reads it."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import httpx
from serve_support import ServeProcess, serve_command, serve_env

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


def test_access_log_json_is_one_object_a_line_on_stdout_and_metrics_answer(
    model_dir: Path, new_rows: list[dict[str, Any]], tmp_path: Path
) -> None:
    stdout = tmp_path / "access.jsonl"
    with ServeProcess(model_dir, "--access-log", "json", stdout=stdout) as served:
        with httpx.Client(base_url=served.wait_ready(), timeout=60) as client:
            answered = client.post(
                "/predict", json={"rows": new_rows[:3]}, headers={"X-Request-ID": "tour-59-json"}
            )
            refused = client.post("/predict", json={"rows": [{"age": "old"}]})
            scrape = client.get("/metrics")
        assert served.stop() == 0
    assert answered.status_code == 200 and refused.status_code == 422 and scrape.status_code == 200
    assert (
        "trainwell_requests_total{" in scrape.text
        and 'route="/predict",method="POST",status="200"} 1' in (scrape.text)
    )
    lines = stdout.read_text().splitlines()
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    version = answered.headers["x-model-version"]
    assert [(r["method"], r["path"], r["status"], r["request_id"], r["rows"]) for r in records] == [
        ("POST", "/predict", 200, "tour-59-json", 3),
        ("POST", "/predict", 422, refused.headers["x-request-id"], None),  # refused before its rows were read
        ("GET", "/metrics", 200, scrape.headers["x-request-id"], None),
    ]
    for record in records:
        assert set(record) == {
            "time", "method", "path", "status", "duration_ms", "request_id", "rows", "model_version", "client"
        }  # fmt: skip
        assert record["model_version"] == version and record["duration_ms"] > 0
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["time"])
        assert record["client"].startswith("127.0.0.1:")
    assert not any(ACCESS.search(line) for line in served.log), served.said  # no text lines besides


def test_help_shows_the_access_log_formats_as_a_choice() -> None:
    # --help said "--access-log <str>": the two formats were in the prose alone, unlike --backend's choice.
    done = subprocess.run(
        serve_command("--help"),
        capture_output=True,
        text=True,
        env={**serve_env(), "COLUMNS": "200"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if "--access-log" in line)
    assert "<text|json>" in line and "<str>" not in line


def test_an_unknown_access_log_format_is_one_line_and_exit_2(model_dir: Path) -> None:
    done = subprocess.run(
        serve_command(model_dir, "--access-log", "xml"),
        capture_output=True,
        text=True,
        env=serve_env(),
        timeout=120,
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == "error: --access-log must be text or json, got 'xml'; pass e.g. --access-log json"
    )
