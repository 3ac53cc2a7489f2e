"""``trainwell serve`` as a user runs it (``python -m trainwell.cli.serve_cmd``), and the multi-worker app factory."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from serve_support import ServeProcess, serve_command, serve_env

from trainwell.core.errors import ConfigError
from trainwell.serve.app import MODEL_ENV, OPTIONS_ENV, app_from_env

WORKERS = 2
PROCESS_INFO = re.compile(r'^trainwell_process_info\{pid="(\d+)"\} 1$', re.MULTILINE)


@pytest.fixture
def served(model_dir: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``serve MODEL --port 0 --workers 2``: the URL it printed once both workers serve, and the process
    (stopped afterwards)."""
    with ServeProcess(model_dir, "--workers", str(WORKERS), "--max-rows", "3") as server:
        yield server.wait_ready(), server.process
        server.stop()


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
    # Each worker counts its own requests: a scrape says which one answered (a child of the supervisor).
    scraped = [httpx.get(f"{url}/metrics", timeout=60).text for _ in range(4)]  # a connection each
    pids = {int(found.group(1)) for text in scraped if (found := PROCESS_INFO.search(text))}
    assert len(pids) >= 1 and process.pid not in pids
    if Path("/proc").is_dir():
        assert all(f"PPid:\t{process.pid}\n" in Path(f"/proc/{pid}/status").read_text() for pid in pids)


def test_bad_option_is_one_line_and_exit_2(model_dir: Path) -> None:
    done = subprocess.run(
        serve_command(model_dir, "--port", "70000"),
        capture_output=True,
        text=True,
        env=serve_env(),
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
            serve_command(model_dir, "--port", str(port)),
            capture_output=True,
            text=True,
            env=serve_env(),
            timeout=120,
            check=False,
        )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"cannot listen on 127.0.0.1:{port}" in lines[0] and "--port" in lines[0]
