"""``trainwell serve`` writes one access line per request to stderr, with the method, path, status, latency in
milliseconds and the request id its answer carries (the client's X-Request-ID, or the one made up), so the
server's log and the client's can be joined; uvicorn's own line (no id, no latency) is off. ``--log-level
warning`` leaves the access lines out, and ``--cors-origin`` answers a browser's preflight. A real server
process on loopback, its stderr read as an operator reads it."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx

READY = re.compile(r"(http://127\.0\.0\.1:\d+)")
ACCESS = re.compile(r'"(GET|POST) (/\S*)" (\d{3}) (\d+\.\d) ms request_id=(\S+) model=([0-9a-f]{12})')


def serve(
    model_dir: Path, *options: str
) -> tuple[subprocess.Popen[str], queue.Queue[str | None], str, list[str]]:
    """``trainwell serve MODEL --port 0 OPTIONS``: the process, its stderr's lines, its URL and the lines so far."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "trainwell.cli.serve_cmd",
            str(model_dir),
            "--port",
            "0",
            "--threads",
            "1",
            *options,
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200"},
    )
    assert process.stderr is not None
    stderr = process.stderr
    lines: queue.Queue[str | None] = queue.Queue()

    def read_lines() -> None:
        for line in stderr:
            lines.put(line)
        lines.put(None)  # the process closed its stderr: it has exited

    threading.Thread(target=read_lines, daemon=True).start()
    seen: list[str] = []
    while not any(READY.search(line) for line in seen):  # "ready on URL", once it listens
        line = lines.get(timeout=120)
        if line is None:
            process.wait(timeout=60)
            raise AssertionError("the server exited before it was ready:\n" + "".join(seen))
        seen.append(line)
    url = next(found.group(1) for line in seen if (found := READY.search(line)))
    return process, lines, url, seen


def stop(process: subprocess.Popen[str], lines: queue.Queue[str | None], seen: list[str]) -> None:
    """SIGTERM, then every line the process wrote to stderr into ``seen``."""
    process.terminate()
    process.wait(timeout=60)
    while (line := lines.get(timeout=60)) is not None:
        seen.append(line)


def test_access_lines_carry_the_request_id_and_latency(
    model_dir: Path, new_rows: list[dict[str, Any]]
) -> None:
    process, lines, url, seen = serve(model_dir)
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            answered = client.post(
                "/predict", json={"rows": new_rows[:2]}, headers={"X-Request-ID": "tour-59"}
            )
            refused = client.post("/predict", json={"rows": []})
            client.get("/health")
    finally:
        stop(process, lines, seen)
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
    process, lines, url, seen = serve(model_dir, "--cors-origin", dash, "--log-level", "warning")
    try:
        preflight = httpx.options(
            f"{url}/predict", headers={"Origin": dash, "Access-Control-Request-Method": "POST"}, timeout=60
        )
        health = httpx.get(f"{url}/health", timeout=60)
    finally:
        stop(process, lines, seen)
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == dash
    assert health.status_code == 200
    assert not any(ACCESS.search(line) for line in seen), "".join(seen)  # warning: no access lines
