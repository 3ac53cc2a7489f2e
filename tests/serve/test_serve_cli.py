"""``trainwell serve`` as a user runs it (``python -m trainwell.cli.serve_cmd``), and the multi-worker app factory."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from trainwell.core.errors import ConfigError
from trainwell.serve.app import MODEL_ENV, OPTIONS_ENV, app_from_env

WORKERS = 2
RUNNING = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")


def command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "trainwell.cli.serve_cmd", *(str(arg) for arg in args)]


def env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200"}


@pytest.fixture
def served(model_dir: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``serve MODEL --port 0 --workers 2``: the URL it printed, and the process (stopped afterwards)."""
    process = subprocess.Popen(
        command(model_dir, "--port", "0", "--workers", str(WORKERS), "--threads", "1", "--max-rows", "3"),
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env(),
    )
    lines: queue.Queue[str | None] = queue.Queue()
    assert process.stderr is not None
    stderr = process.stderr

    def read_lines() -> None:
        for line in stderr:
            lines.put(line)
        lines.put(None)  # the process closed its stderr: it has exited

    reader = threading.Thread(target=read_lines, daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        # The parent prints the address once bound; each worker listens after its own startup.
        while sum("Application startup complete" in line for line in seen) < WORKERS:
            line = lines.get(timeout=120)
            assert line is not None, "the server exited before it was ready:\n" + "".join(seen)
            seen.append(line)
        match = next(found for line in seen if (found := RUNNING.search(line)))
        yield match.group(1), process
    finally:
        process.terminate()
        process.wait(timeout=60)
        reader.join(timeout=60)  # EOF once the workers are gone too
        stderr.close()


def test_serve_command_with_two_workers(
    served: tuple[str, Any], predictor: Any, new_rows: list[dict]
) -> None:
    url, process = served
    rows = new_rows[:3]
    with httpx.Client(base_url=url, timeout=60) as client:
        assert client.get("/health").json() == {"status": "ok"}
        answers = [client.post("/predict", json={"rows": rows}).json() for _ in range(4)]  # both workers
        too_many = client.post("/predict", json={"rows": new_rows[:4]})
    expected = predictor.predict(rows)["prediction"].tolist()
    for answer in answers:
        assert [item["prediction"] for item in answer["predictions"]] == expected
    assert too_many.status_code == 422  # the options reached the workers
    assert process.poll() is None


def test_bad_option_is_one_line_and_exit_2(model_dir: Path) -> None:
    done = subprocess.run(
        command(model_dir, "--port", "70000"),
        capture_output=True,
        text=True,
        env=env(),
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip() == "error: --port must be between 0 and 65535, got 70000; pass e.g. --port 8000"
    )


def test_app_factory_reads_the_environment(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MODEL_ENV, str(model_dir))
    monkeypatch.setenv(OPTIONS_ENV, json.dumps({"max_rows": 9, "forbid_extra_fields": False}))
    app = app_from_env()
    assert (app.state.config.max_rows, app.state.config.forbid_extra_fields) == (9, False)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (None, f"${MODEL_ENV} is not set"),
        ('{"max_rows": 9, "colour": 1}', f"${OPTIONS_ENV} has unknown settings ['colour']"),
        ("[1]", f"${OPTIONS_ENV} must hold a JSON object of settings"),
    ],
)
def test_app_factory_refuses_bad_environment(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch, options: str | None, message: str
) -> None:
    if options is None:
        monkeypatch.delenv(MODEL_ENV, raising=False)
    else:
        monkeypatch.setenv(MODEL_ENV, str(model_dir))
        monkeypatch.setenv(OPTIONS_ENV, options)
    with pytest.raises(ConfigError) as error:
        app_from_env()
    assert str(error.value).startswith(message)


def test_a_port_in_use_is_one_line_and_exit_2(model_dir: Path) -> None:
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = subprocess.run(
            command(model_dir, "--port", str(port)),
            capture_output=True,
            text=True,
            env=env(),
            timeout=120,
            check=False,
        )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"cannot listen on 127.0.0.1:{port}" in lines[0] and "--port" in lines[0]
