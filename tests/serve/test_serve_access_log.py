"""``trainwell serve`` writes one access line per request to stderr, with the method, path, status, latency in
milliseconds and the request id its answer carries (the client's X-Request-ID, or the one made up), so the
server's log and the client's can be joined; uvicorn's own line (no id, no latency) is off. A real server
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


def test_access_lines_carry_the_request_id_and_latency(
    model_dir: Path, new_rows: list[dict[str, Any]]
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "trainwell.cli.serve_cmd", str(model_dir), "--port", "0", "--threads", "1"],
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
        lines.put(None)

    reader = threading.Thread(target=read_lines, daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        while not any(READY.search(line) for line in seen):  # "ready on URL", once it listens
            line = lines.get(timeout=120)
            assert line is not None, "the server exited before it was ready:\n" + "".join(seen)
            seen.append(line)
        url = next(found.group(1) for line in seen if (found := READY.search(line)))
        with httpx.Client(base_url=url, timeout=60) as client:
            answered = client.post(
                "/predict", json={"rows": new_rows[:2]}, headers={"X-Request-ID": "tour-59"}
            )
            refused = client.post("/predict", json={"rows": []})
            client.get("/health")
    finally:
        process.terminate()
        process.wait(timeout=60)
        reader.join(timeout=60)
        stderr.close()
    while (line := lines.get_nowait() if not lines.empty() else None) is not None:
        seen.append(line)
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
