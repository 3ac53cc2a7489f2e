"""``trainwell serve`` stops gracefully on SIGTERM: no new connections, the requests already received are
answered (within a bounded grace period), and the process exits 0.

The server runs a tiny ASGI app (no model: nothing here needs torch) in a thread on a loopback socket; a thread
cannot receive signals, so SIGTERM is delivered as uvicorn's signal handler delivers it (``handle_exit``). One
test runs the real signal in a subprocess that imports only uvicorn, to check the exit status.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from logged_process import LoggedProcess
from trainwell.cli._server import DrainingServer, WorkerSupervisor

BODY = b'{"rows": [1, 2, 3]}'
HEADERS = (
    b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\n\r\n" % len(BODY)
)


async def lifespan(receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "lifespan.startup.complete"})
    await receive()
    await send({"type": "lifespan.shutdown.complete"})


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers a request with its own body, once the whole body has arrived."""
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Running:
    def __init__(self, grace_s: int) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        config = uvicorn.Config(echo, log_level="warning", timeout_graceful_shutdown=grace_s)
        self.server = DrainingServer(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [listener]}, daemon=True)
        self.thread.start()

    def connect(self) -> socket.socket:
        client = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        return client

    def wait_for_connections(self, count: int) -> None:
        deadline = time.monotonic() + 10
        while len(self.server.server_state.connections) < count:
            assert time.monotonic() < deadline, "the server did not accept the connections"
            time.sleep(0.005)

    def terminate(self) -> None:
        self.server.handle_exit(signal.SIGTERM, None)  # what uvicorn's SIGTERM handler does
        deadline = time.monotonic() + 10
        while True:  # until the listening socket is closed
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            except ConnectionRefusedError:
                return
            assert time.monotonic() < deadline, "the server kept accepting connections after SIGTERM"
            time.sleep(0.005)


@pytest.fixture
def running() -> Iterator[Running]:
    server = Running(grace_s=5)
    yield server
    server.server.should_exit = True
    server.thread.join(timeout=10)


def read_all(client: socket.socket) -> bytes:
    answer = b""
    while chunk := client.recv(65536):
        answer += chunk
    return answer


def test_sigterm_answers_the_requests_already_on_their_way_and_refuses_new_connections(
    running: Running,
) -> None:
    half_sent = running.connect()
    half_sent.sendall(HEADERS + BODY[:5])  # a request being received
    just_connected = running.connect()  # its request leaves just after the signal
    running.wait_for_connections(2)
    running.terminate()  # returns once new connections are refused
    just_connected.sendall(HEADERS + BODY)
    half_sent.sendall(BODY[5:])
    for client in (half_sent, just_connected):
        answer = read_all(client)  # the server closes the connection after answering
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n"), answer
        assert answer.endswith(b"\r\n\r\n" + BODY)
    running.thread.join(timeout=10)
    assert not running.thread.is_alive()


def test_the_grace_period_bounds_the_wait_for_a_request_that_never_ends() -> None:
    running = Running(grace_s=0)
    stalled = running.connect()
    stalled.sendall(HEADERS + BODY[:5])  # the rest never comes
    running.wait_for_connections(1)
    started = time.monotonic()
    running.server.handle_exit(signal.SIGTERM, None)
    running.thread.join(timeout=10)
    assert not running.thread.is_alive()
    assert time.monotonic() - started < 3.0
    stalled.close()


def test_the_parent_of_several_workers_lets_go_of_the_listening_socket_as_it_stops_them() -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        supervisor = WorkerSupervisor(uvicorn.Config(echo, workers=2), sockets=[listener])
        supervisor.terminate_all()  # no worker started: only the parent's own copy to close
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert listener.fileno() == -1
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


SERVE_AND_WAIT = textwrap.dedent(
    """
    from trainwell.cli._server import run_server

    async def app(scope, receive, send):
        assert scope["type"] == "lifespan"
        for step in ("startup", "shutdown"):
            await receive()
            await send({"type": f"lifespan.{step}.complete"})

    run_server(app, host="127.0.0.1", port=0, workers=1, grace_s=5)
    print("returned", flush=True)
    """
)


def test_sigterm_ends_the_process_with_status_0(tmp_path: Path) -> None:
    with LoggedProcess([sys.executable, "-c", SERVE_AND_WAIT], stdout=tmp_path / "stdout") as started:
        started.wait_for("Uvicorn running on", timeout=60)
        code = started.stop(signal.SIGTERM, timeout=10)
    assert code == 0  # not -15: uvicorn re-raises the signal once it has drained
    assert (tmp_path / "stdout").read_text() == "returned\n"


STOPPED_WHILE_LOADING = textwrap.dedent(
    """
    import os, signal, sys, time
    import trainwell.serve.app as served

    def loading(*args, **kwargs):  # SIGTERM arrives while the model loads
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
        raise AssertionError("the signal did not stop the load")

    served.create_app = loading
    from trainwell.cli.app import app
    sys.argv = ["trainwell", "serve", sys.argv[1], "--port", "0"]
    app()
    """
)


def test_sigterm_while_the_model_loads_ends_with_status_0_too(tmp_path: Path) -> None:
    # Before the server ran, SIGTERM killed the process (143), which a supervisor reads as a crash.
    (tmp_path / "trainwell.json").write_text("{}")
    done = subprocess.run(
        [sys.executable, "-c", STOPPED_WHILE_LOADING, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "stopped by SIGTERM before serving" in done.stderr
