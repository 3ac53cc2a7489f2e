"""uvicorn, run by ``trainwell serve`` so that SIGTERM drains the server rather than cutting it off.

SIGTERM is how ``docker stop``, Kubernetes and systemd stop a server. On it the server stops accepting
connections, answers the requests it has already received (each on a connection then closed), waits at most
``grace_s`` seconds for them (uvicorn's ``timeout_graceful_shutdown``; the rest are cancelled), and the
process exits with status 0. What uvicorn does not do by itself:

- It closed every connection without a request under way at once, so a request sent on a connection accepted
  just before the signal met a closed connection. :class:`DrainingServer` first stops accepting, letting the
  loop take in what the kernel has queued (closing a listening socket resets its queue), then gives such
  connections ``SETTLE_S`` seconds for their request to arrive, as Go's ``http.Server.Shutdown`` does for new
  connections, before idle ones are closed.
- With several workers, the parent process held its copy of the listening socket until it exited: the
  kernel kept queueing connections that no worker would accept any more, and reset them all at the end.
  :class:`WorkerSupervisor` lets go of it as it stops the workers. (The workers themselves run uvicorn's
  own server, so the settling above is for one worker only.)
- It re-raises the signal once it has drained, so the process ended as killed by SIGTERM (status 143), which
  a supervisor reads as a crash. :func:`run_server` makes that last signal a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import signal
import socket
import sys
from collections.abc import Iterator
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

#: Seconds a connection without a request under way is given for one to arrive once the server stops.
SETTLE_S = 0.5
#: uvicorn's exit status when the server could not start (the port is taken, the app fails to load).
STARTUP_FAILURE = 3


class DrainingServer(uvicorn.Server):
    """uvicorn's server, stopping as the module docstring says."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(0)  # one more turn of the loop accepts the connections the kernel has queued
        for server in self.servers:
            for listener in server.sockets:
                loop.remove_reader(listener.fileno())  # accept nothing more
        for _ in range(3):  # the connections just accepted get their transports, which need an open server
            await asyncio.sleep(0)
        for server in self.servers:
            server.close()
        for listener in sockets or []:
            listener.close()
        if self.server_state.connections:
            await asyncio.sleep(SETTLE_S)
        await super().shutdown(sockets)  # closes idle connections, waits up to the grace period, lifespan


class WorkerSupervisor(Multiprocess):
    """uvicorn's supervisor of several workers, which closes its own copy of the listening socket as it stops
    them (it never accepts on it)."""

    def terminate_all(self) -> None:
        for listener in self.sockets:
            listener.close()
        super().terminate_all()


def run_server(
    app: Any, *, host: str, port: int, workers: int, grace_s: int, log_level: str = "info"
) -> None:
    """Serve ``app`` (with several workers: an import string of an app factory) until SIGTERM or Ctrl+C.

    Raises:
        SystemExit: with status 3 when the server could not start, as ``uvicorn.run`` does.
    """
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        workers=workers,
        factory=workers > 1,
        log_level=log_level,
        timeout_graceful_shutdown=grace_s,
    )
    if workers == 1:
        server = DrainingServer(config)
        with _quiet_sigterm():
            server.run()
        if not server.started:
            sys.exit(STARTUP_FAILURE)
        return
    listener = config.bind_socket()
    # uvicorn before 0.36 passes the worker's entry point to the supervisor; later versions build it.
    if "target" in inspect.signature(Multiprocess).parameters:
        supervisor = WorkerSupervisor(config, target=uvicorn.Server(config).run, sockets=[listener])  # type: ignore[call-arg]
    else:
        supervisor = WorkerSupervisor(config, sockets=[listener])
    supervisor.run()


@contextlib.contextmanager
def _quiet_sigterm() -> Iterator[None]:
    """SIGTERM handled by doing nothing: uvicorn restores this handler once it has drained, then raises the
    signal again to end the process as the signal would have."""
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
