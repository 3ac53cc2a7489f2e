"""``serve --host/--port`` mistakes are one line and exit 2 before the model loads, each with its own cause.

Real sockets on this machine and the real command; the model directory only has to pass the early check
(``trainwell.json`` present), since every refusal here comes before the model is read.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from trainwell.cli.serve_cmd import _check_port_free
from trainwell.core.errors import ConfigError

#: TEST-NET-1 (RFC 5737): never an address of this machine.
NOT_HERE = "192.0.2.1"


@pytest.fixture
def model(tmp_path: Path) -> Path:
    directory = tmp_path / "model"
    directory.mkdir()
    (directory / "trainwell.json").write_text("{}")
    return directory


def serve(model: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trainwell.cli.serve_cmd", str(model), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=120,
        check=False,
    )


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, (
        done.stderr
    )  # no "loading ...", no "other machines can reach" warning, no uvicorn log
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize("port", ["0", "18802"])
def test_a_host_name_that_does_not_resolve(model: Path, port: str) -> None:
    line = one_error_line(serve(model, "--host", "999.1.1.1", "--port", port))
    assert "--host '999.1.1.1' is not a host name or address this machine can resolve" in line
    assert "127.0.0.1" in line and "another server" not in line


@pytest.mark.parametrize("port", ["0", "18803"])
def test_an_address_of_another_machine(model: Path, port: str) -> None:
    line = one_error_line(serve(model, "--host", NOT_HERE, "--port", port))
    assert f"--host '{NOT_HERE}' is not an address of this machine" in line
    assert "0.0.0.0" in line and "another server" not in line


def test_a_port_taken_names_the_other_server(model: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        line = one_error_line(serve(model, "--port", str(port)))
    assert f"cannot listen on 127.0.0.1:{port}" in line and "another server holds the port" in line


def test_a_low_port_without_the_rights(model: Path) -> None:
    start = int(Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text())
    if os.geteuid() == 0 or start <= 81:
        pytest.skip("this user may listen on port 81")
    line = one_error_line(serve(model, "--port", "81"))
    assert "cannot listen on 127.0.0.1:81" in line and "ports below 1024 need administrator rights" in line


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_hosts_this_machine_listens_on_pass(host: str) -> None:
    _check_port_free(host, 0)  # raises nothing


def test_the_check_raises_config_error() -> None:
    with pytest.raises(ConfigError, match="not an address of this machine"):
        _check_port_free(NOT_HERE, 0)


def test_help_says_when_auto_keeps_torch() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "trainwell.cli.serve_cmd", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
        timeout=120,
        check=True,
    )
    text = re.sub(r"[\s│]+", " ", done.stdout)
    assert (
        "parity check" in text
        and "over 1.25x slower than torch at the largest request size or at most sizes" in text
    )
