"""``trainwell serve --workers 2`` drains on SIGTERM as one worker does: a request sent on a connection a worker
accepted just before the signal is still answered, and the process exits 0. So does a worker started in place
of one that died. It says it is ready once, when both workers serve, as one worker does.

The server is the real command on a loopback port, serving the session's small Adult model. One server is
started (a worker takes seconds to start): one of its workers is killed and replaced, and the drain is checked
with connections held by both the first worker left and the replacement (each connection's worker is read from
``/proc``).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import time
from pathlib import Path

import httpx
import pytest
from serve_support import READY, ServeProcess

WORKERS = 2
CONNECTIONS = 6
RUNNING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")
WORKER_STARTED = re.compile(r"Started server process \[(\d+)\]")
HEALTH = b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n"


class Served(ServeProcess):
    """``serve MODEL --port 0 --workers 2`` once both workers have started, with its port."""

    def __init__(self, model_dir: Path) -> None:
        super().__init__(model_dir, "--workers", str(WORKERS))
        self.wait_for("Application startup complete", WORKERS)
        self.port = next(int(found.group(1)) for line in self.log if (found := RUNNING.search(line)))

    def worker_pids(self) -> list[int]:
        return [int(found.group(1)) for line in self.log if (found := WORKER_STARTED.search(line))]


def wait_until_refused(port: int) -> None:
    """Returns once no copy of the listening socket is left open: every worker has begun to shut down."""
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except ConnectionRefusedError:
            return
        assert time.monotonic() < deadline, "the server kept accepting connections after SIGTERM"
        time.sleep(0.005)


def answer(client: socket.socket) -> bytes:
    """What the server sent on ``client`` until it closed the connection (a reset reads as what came before)."""
    received = b""
    try:
        while chunk := client.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def accepted_by(port: int, clients: list[socket.socket], workers: set[int]) -> dict[int, int]:
    """The worker that accepted each client's connection (by the client's port), once all are accepted: the
    inode of the connection's server end (``/proc/net/tcp``), found among each worker's open files."""
    wanted = {client.getsockname()[1] for client in clients}
    deadline = time.monotonic() + 60
    while True:
        ends = {}
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = (int(fields[column].split(":")[1], 16) for column in (1, 2))
            if local == port and remote in wanted and fields[9] != "0":
                ends[f"socket:[{fields[9]}]"] = remote
        held = {}
        for pid in workers:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):  # closed meanwhile
                    if (target := os.readlink(fd)) in ends:
                        held[ends[target]] = pid
        if set(held) == wanted:
            return held
        assert time.monotonic() < deadline, f"not every connection was accepted by {workers}: {held}"
        time.sleep(0.01)


def check_sigterm_drains(served: Served, workers: set[int]) -> None:
    """Connections opened (more, until each of ``workers`` has accepted some), SIGTERM, and once the workers
    refuse new connections, a request on each."""
    clients = [socket.create_connection(("127.0.0.1", served.port), timeout=10) for _ in range(CONNECTIONS)]
    held = accepted_by(served.port, clients, workers)
    # The kernel picks the worker, and one worker often takes a burst of them all: then one more at a time.
    while set(held.values()) != workers and len(clients) < 100:
        clients.append(socket.create_connection(("127.0.0.1", served.port), timeout=10))
        held = accepted_by(served.port, clients, workers)
    assert set(held.values()) == workers, f"{len(clients)} connections, all accepted by one worker: {held}"
    served.process.send_signal(signal.SIGTERM)
    wait_until_refused(served.port)
    for client in clients:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # closed: the answer below is empty
            client.sendall(HEALTH)
    answers = [answer(client) for client in clients]
    returncode = served.process.wait(timeout=30)
    served.read_rest()
    log = served.said
    unanswered = [reply for reply in answers if not reply.startswith(b"HTTP/1.1 200 OK\r\n")]
    assert not unanswered, (
        f"{len(unanswered)} of {len(clients)} connections got no answer: {unanswered}\n{log}"
    )
    assert all(reply.endswith(b'{"status":"ok"}') for reply in answers), answers
    assert returncode == 0, log


@pytest.mark.skipif(not Path("/proc/net/tcp").is_file(), reason="finds each connection's worker in /proc")
def test_two_workers_say_ready_once_when_both_serve_and_a_first_worker_and_one_started_in_place_of_one_that_died_drain(
    model_dir: Path,
) -> None:
    # One worker printed "ready on URL after ..."; two printed nothing of the kind, only uvicorn's log. Then one
    # worker dies and another starts in its place; on SIGTERM, a request on a connection each worker (the first
    # one left, and the replacement) accepted before the signal is answered.
    served = Served(model_dir)
    try:
        served.wait_for("ready on ", 1)
        ready = [index for index, line in enumerate(served.log) if READY.fullmatch(line.strip())]
        assert len(ready) == 1, "".join(served.log)
        started = [index for index, line in enumerate(served.log) if "Application startup complete" in line]
        assert len(started) == WORKERS and max(started) < ready[0]  # said once both serve, not before
        url = READY.fullmatch(served.log[ready[0]].strip()).group(1)  # type: ignore[union-attr]
        assert url == f"http://127.0.0.1:{served.port}"
        assert httpx.get(f"{url}/health", timeout=60).json() == {"status": "ok"}
        dead, first = served.worker_pids()
        os.kill(dead, signal.SIGKILL)
        served.wait_for("Application startup complete", WORKERS + 1)  # the replacement serves
        (replacement,) = set(served.worker_pids()) - {dead, first}
        check_sigterm_drains(served, {first, replacement})  # it exits 0
        assert sum(bool(READY.fullmatch(line.strip())) for line in served.log) == 1, "".join(served.log)
    finally:
        served.close()


def test_the_installed_uvicorn_is_one_whose_workers_drain() -> None:
    # A uvicorn that starts its workers otherwise falls back to its own (no settling): said here, not found later.
    import uvicorn

    from trainwell.cli._server import _supervisor_is_known

    assert _supervisor_is_known(), (
        f"uvicorn {uvicorn.__version__}: DrainingWorkerSupervisor no longer fits it"
    )
