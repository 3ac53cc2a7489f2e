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
  :class:`WorkerSupervisor` lets go of it as it stops the workers.
- Its workers run its own server, so with several workers the settling above did not happen: a worker closed
  the connections it had just accepted. :class:`DrainingWorkerSupervisor` starts each worker as a
  :class:`DrainingWorker`, which serves with :class:`DrainingServer`; the supervisor stops a worker with
  SIGTERM, on which it drains as a single server does.
- It re-raises the signal once it has drained, so the process ended as killed by SIGTERM (status 143), which
  a supervisor reads as a crash, or, after Ctrl+C, with a KeyboardInterrupt (status 130, and the command
  line's "nothing was written for the unfinished run"). :func:`run_server` makes that last signal a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import signal
import socket
import sys
from collections.abc import Callable, Iterator
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess
from uvicorn.supervisors.multiprocess import Process

#: Seconds a connection without a request under way is given for one to arrive once the server stops.
SETTLE_S = 0.5
#: uvicorn's exit status when the server could not start (the port is taken, the app fails to load).
STARTUP_FAILURE = 3

logger = logging.getLogger("uvicorn.error")  # the logger uvicorn configures, in the parent and in each worker


class DrainingServer(uvicorn.Server):
    """uvicorn's server, stopping as the module docstring says; ``on_ready`` is called with the server's URL
    once it listens (the port 0 asked resolved)."""

    on_ready: Callable[[str], None] | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.on_ready is not None and self.servers and self.servers[0].sockets:
            self.on_ready(_url(self.config.host, self.servers[0].sockets[0].getsockname()[1]))

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        from trainwell.serve._middleware import begin_draining

        begin_draining(getattr(self.config, "loaded_app", None))  # GET /ready answers 503 from now on
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


class DrainingWorker(Process):
    """uvicorn's worker process, serving with :class:`DrainingServer` (uvicorn builds the server lazily, in the
    worker, through this property)."""

    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = DrainingServer(config=self.config)
        return self._server


class WorkerSupervisor(Multiprocess):
    """uvicorn's supervisor of several workers, which closes its own copy of the listening socket as it stops
    them (it never accepts on it), and calls ``on_ready`` with the server's URL once, when every worker serves
    (uvicorn said nothing of it: each worker logs its own start-up, and ``trainwell serve`` printed no "ready"
    line with several workers)."""

    on_ready: Callable[[str], None] | None = None
    _said_ready = False

    def keep_subprocess_alive(self) -> None:
        super().keep_subprocess_alive()
        self._say_ready_once()

    def _say_ready_once(self) -> None:
        """Called on each turn of the supervisor's loop (every 0.5 s) until every worker has started serving."""
        if self.on_ready is None or self._said_ready or self.should_exit.is_set() or not self.sockets:
            return
        if len(self.processes) < self.processes_num:
            return
        for worker in self.processes:
            is_ready = getattr(worker, "is_ready", None)  # uvicorn 0.36 and later
            if is_ready is None or not is_ready(timeout=1):
                return
        self._said_ready = True
        self.on_ready(_url(self.config.host, self.sockets[0].getsockname()[1]))

    def terminate_all(self) -> None:
        for listener in self.sockets:
            listener.close()
        super().terminate_all()


class DrainingWorkerSupervisor(WorkerSupervisor):
    """:class:`WorkerSupervisor` whose workers drain as one server does (uvicorn 0.36 and later, where the
    supervisor builds each worker itself).

    uvicorn names its own worker class wherever it starts one, so each of those places is written again here
    to start a :class:`DrainingWorker`: the first workers, the replacement of one that died, SIGHUP (replace
    them all, one by one) and SIGTTIN (one more). Stopping is uvicorn's: SIGTERM to each worker, which drains.
    """

    def _start_worker(self) -> DrainingWorker:
        worker = DrainingWorker(self.config, self.sockets)
        worker.start()
        return worker

    def init_processes(self) -> None:
        self.processes.extend(self._start_worker() for _ in range(self.processes_num))

    def keep_subprocess_alive(self) -> None:
        self._replace_ended_workers()
        self._say_ready_once()

    def _replace_ended_workers(self) -> None:
        for index, worker in enumerate(self.processes):
            if self.should_exit.is_set():
                return  # stopping: a worker that ended is not replaced
            if worker.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            worker.kill()  # it may be hung rather than gone
            worker.join()
            if worker.exitcode == STARTUP_FAILURE:  # its replacement would fail to start the same way
                logger.error(f"Worker process [{worker.pid}] could not start, nor would another: stopping.")
                self.should_exit.set()
                return
            logger.info(f"Worker process [{worker.pid}] ended; starting another.")
            self.processes[index] = self._start_worker()

    def restart_all(self) -> None:
        for index, old_worker in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new_worker = self._start_worker()
            # The old worker serves until its replacement does; one that never gets ready ends the restart.
            if not new_worker.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new_worker.kill()
                new_worker.join()
                if not self.should_exit.is_set():
                    logger.error(
                        f"Worker process [{new_worker.pid}] did not get ready in time; the restart stops here "
                        f"and worker [{old_worker.pid}] keeps serving."
                    )
                return
            old_worker.terminate()
            old_worker.join()
            self.processes[index] = new_worker

    def handle_ttin(self) -> None:
        logger.info("Received SIGTTIN, starting one more worker.")
        self.processes_num += 1
        self.processes.append(self._start_worker())


def run_server(
    app: Any,
    *,
    host: str,
    port: int,
    workers: int,
    grace_s: int,
    log_level: str = "info",
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve ``app`` (with several workers: an import string of an app factory) until SIGTERM or Ctrl+C, then
    return (the process ends with status 0 after either). ``on_ready``: called once with the URL, when the
    server listens (with several workers: when every one of them serves).

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
        access_log=False,  # the app writes its own line, with the request id and the latency
        timeout_graceful_shutdown=grace_s,
    )
    if workers == 1:
        server = DrainingServer(config)
        server.on_ready = on_ready
        with _quiet_stop_signals():
            server.run()
        if not server.started:
            sys.exit(STARTUP_FAILURE)
        return
    listener = config.bind_socket()
    # A uvicorn whose supervisor is not built as the one DrainingWorkerSupervisor rewrites keeps its own
    # workers: they serve and stop, without the settling (said once, in the log).
    if _supervisor_is_known():
        supervisor: WorkerSupervisor = DrainingWorkerSupervisor(config, sockets=[listener])
    else:
        logger.warning(
            "uvicorn %s: its workers are started in a way trainwell does not know; they stop without "
            "waiting for requests on connections just accepted",
            uvicorn.__version__,
        )
        supervisor = WorkerSupervisor(config, sockets=[listener])
    supervisor.on_ready = on_ready
    supervisor.run()


def _url(host: str | None, port: int) -> str:
    """The address a server listening on ``host`` and ``port`` is reached at (an IPv6 host in brackets)."""
    host = host or "0.0.0.0"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _supervisor_is_known() -> bool:
    """Whether uvicorn's supervisor and worker have the methods and signatures that
    :class:`DrainingWorkerSupervisor` rewrites or calls (uvicorn 0.36 to at least 0.55)."""
    methods = ("init_processes", "keep_subprocess_alive", "restart_all", "handle_ttin", "terminate_all")
    worker = ("wait_until_ready", "is_alive", "kill", "terminate", "join", "start")
    return (
        all(callable(getattr(Multiprocess, name, None)) for name in methods)
        and all(callable(getattr(Process, name, None)) for name in worker)
        and list(inspect.signature(Process.__init__).parameters) == ["self", "config", "sockets"]
        and isinstance(getattr(Process, "server", None), property)
    )


@contextlib.contextmanager
def _quiet_stop_signals() -> Iterator[None]:
    """SIGTERM and SIGINT (Ctrl+C) handled by doing nothing: uvicorn restores these handlers once it has
    drained, then raises the signal again to end the process as the signal would have: killed by SIGTERM
    (143), or a KeyboardInterrupt that the command line reported as an unfinished run and status 130. A
    server stopped either way has stopped as asked (status 0)."""
    stops = (signal.SIGTERM, signal.SIGINT)
    previous = {stop: signal.signal(stop, lambda signum, frame: None) for stop in stops}
    try:
        yield
    finally:
        for stop, handler in previous.items():
            signal.signal(stop, handler)
