"""``trainwell serve MODEL``: an HTTP API for a model directory (FastAPI on uvicorn).

Registered on the main command line by ``app.command("serve")(serve)``; also runnable on its own as
``python -m trainwell.cli.serve_cmd MODEL``. Heavy imports (torch, fastapi, uvicorn) happen inside the command.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from trainwell.cli._common import guarded

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
#: Packages of the ``serve`` extra (and what they bring along).
SERVE_EXTRA = ("fastapi", "uvicorn", "starlette", "pydantic", "pydantic_core")


class Backend(str, Enum):
    """``--backend``: what runs the model (see :mod:`trainwell.serve.backends`)."""

    auto = "auto"
    torch = "torch"
    onnx = "onnx"


def serve(
    model: Annotated[Path, typer.Argument(help="Model directory written by `trainwell fit`.")],
    host: Annotated[
        str, typer.Option(help="Address to listen on; 127.0.0.1 is this machine only, 0.0.0.0 every network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (0 picks a free one, printed at start).")] = 8000,
    workers: Annotated[int, typer.Option(help="Server processes, each with its own copy of the model.")] = 1,
    max_batch: Annotated[
        int, typer.Option(help="Most rows (or images) merged from concurrent requests into one model call.")
    ] = 64,
    batch_wait_ms: Annotated[
        float, typer.Option(help="Longest wait (ms) for arriving requests to join a batch; 0 never waits.")
    ] = 2.0,
    max_rows: Annotated[int, typer.Option(help="Most rows in one request (more: 422).")] = 1000,
    max_images: Annotated[
        int, typer.Option(help="Most images in one request to a vision model (more: 422).")
    ] = 64,
    max_image_pixels: Annotated[
        int,
        typer.Option(
            help="Largest image a vision model's server decodes, in pixels (width x height, read from its header "
            "first; larger: 422). The default passes a phone's 48 to 64 MP photos; at most 178956970, which "
            "Pillow refuses as a decompression bomb.",
        ),
    ] = 80_000_000,
    max_body_bytes: Annotated[
        int | None,
        typer.Option(
            help="Largest request body in bytes (larger: 413). Default: 32000000 for an image model (a few phone "
            "photos), 1000000 for others."
        ),
    ] = None,
    forbid_extra_fields: Annotated[
        bool,
        typer.Option(
            help="Refuse row fields that are not model inputs (--no-forbid-extra-fields: ignore them)."
        ),
    ] = True,
    threads: Annotated[
        int | None,
        typer.Option(help="Model threads per process, torch's or onnxruntime's (default: the library's)."),
    ] = None,
    shutdown_grace: Annotated[
        int,
        typer.Option(
            help="Seconds to finish the requests under way on SIGTERM or Ctrl+C before stopping anyway; no new "
            "connection is accepted meanwhile. After either the command exits with status 0.",
            min=0,
        ),
    ] = 25,
    backend: Annotated[
        Backend,
        typer.Option(
            help="What runs the model: torch; onnx (needs model.onnx from `trainwell export MODEL --onnx`); "
            "auto: onnx when model.onnx passed its parity check, still matches the weights and the export did not "
            "time it over 1.25x slower than torch at the largest request size or at most sizes (and onnxruntime is "
            "installed), else torch."
        ),
    ] = Backend.auto,
    at_least_one: Annotated[
        bool,
        typer.Option(
            help="Multi-label models: answer a row with no label over its threshold with its likeliest label "
            'instead of an empty list, unless a request sends "at_least_one": false. Off by default, when a '
            'request\'s "at_least_one": true asks it.'
        ),
    ] = False,
    tta: Annotated[
        bool,
        typer.Option(
            help="Image models: answer with test-time augmentation (each image's probabilities averaged over "
            'views of it, as `trainwell predict --tta`), unless a request sends "tta": false. Off by default, '
            'when a request\'s "tta": true asks it.'
        ),
    ] = False,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(
            help="An origin a browser page may call the server from (https://dash.example.com, or * for any), "
            "answered with CORS headers and preflights; repeat it for several. None by default."
        ),
    ] = None,
    access_log: Annotated[
        str,
        typer.Option(
            # A choice shown as one (as --backend's), refused in one line by run() below, not by click's box.
            metavar="<text|json>",
            help="The access log's format: text (a line a request on standard error, with the server's other "
            "lines) or json (one JSON object a line on standard output: time, method, path, status, duration_ms, "
            "request_id, rows, model_version, client).",
        ),
    ] = "text",
    log_level: Annotated[
        str,
        typer.Option(
            help="The server log's level: debug, info (one access line a request: method, path, status, "
            "latency, request id, model version), warning (no access lines), error or critical."
        ),
    ] = "info",
) -> None:
    """Serve a model over HTTP: POST /predict, GET /metadata, GET /health, GET /ready, GET /metrics
    (Prometheus); the API is documented at /docs.

    Tabular models take JSON rows; vision models take images as base64 in JSON or as multipart file uploads.
    SIGTERM or Ctrl+C stops it gracefully: the requests under way are answered (see --shutdown-grace).
    """

    def run() -> None:
        started = time.monotonic()
        from trainwell.cli._early import need_model_directory
        from trainwell.core.errors import ConfigError

        # Before the imports of the model's stack and the server's: a mistake is said at once.
        if not 0 <= port <= 65535:
            raise ConfigError(f"--port must be between 0 and 65535, got {port}; pass e.g. --port 8000")
        if workers < 1:
            raise ConfigError(f"--workers must be at least 1, got {workers}; pass e.g. --workers 2")
        if log_level.lower() not in ("critical", "error", "warning", "info", "debug", "trace"):
            raise ConfigError(
                f"--log-level must be debug, info, warning, error or critical, got {log_level!r}; pass e.g. "
                "--log-level warning"
            )
        if access_log not in ("text", "json"):
            raise ConfigError(
                f"--access-log must be text or json, got {access_log!r}; pass e.g. --access-log json"
            )
        need_model_directory(model)
        _check_port_free(
            host, port
        )  # before loading: a port taken is said at once, not after the model loads
        # Said before the imports of torch and the server's stack and the model's loading, which take seconds
        # (over 20 on a loaded machine, with nothing printed and /health not yet answering).
        typer.echo(f"loading {model} ...", err=True)
        # With several workers this process only supervises them: it imports the settings and uvicorn, never the
        # app's stack (fastapi, pandas, numpy, torch), which held ~90 MB here for the server's life.
        with _serve_extra_needed():
            from trainwell.cli._server import run_server
            from trainwell.serve.config import METRICS_DIR_ENV, MODEL_ENV, OPTIONS_ENV, ServeConfig

            if workers == 1:
                from trainwell.serve.app import create_app
        imported = time.monotonic()

        config = ServeConfig(
            max_batch=max_batch,
            batch_wait_ms=batch_wait_ms,
            max_rows=max_rows,
            max_images=max_images,
            max_image_pixels=max_image_pixels,
            max_body_bytes=max_body_bytes,
            forbid_extra_fields=forbid_extra_fields,
            threads=threads,
            backend=backend.value,
            at_least_one=at_least_one,
            tta=tta,
            cors_origins=tuple(cors_origin or ()),
            access_log=access_log,
        )
        if host not in LOOPBACK_HOSTS:
            warnings.warn(
                f"serving on {host}: other machines can reach this server, which has no authentication or TLS; "
                "put it behind a reverse proxy that has them",
                UserWarning,
                stacklevel=1,
            )
        reason = None
        if workers == 1:
            app = create_app(model, **config.to_dict())  # loads the model: a bad directory fails here, once
            chosen = app.state.backend
            if backend.value == "auto":  # what auto chose on: the export's timings, or why not onnx
                from trainwell.serve.backends import auto_choice_words

                reason = auto_choice_words(model, chosen)
        else:
            # Checked (and "auto" resolved, and its reason found) in a process of its own that ends before the
            # workers start: a supervisor holding the model too kept N+1 copies of it in memory for the server's
            # life.
            with _serve_extra_needed():
                chosen, reason = _checked_in_subprocess(model, config.to_dict())
        loaded = time.monotonic()
        said = ', answering with test-time augmentation unless a request sends "tta": false' if tta else ""
        typer.echo(
            f"serving {model} with the {chosen} backend" + (f" ({reason})" if reason else "") + said,
            err=True,
        )

        def ready(url: str) -> None:
            # What the start-up took, for a readiness probe's budget (a minute on a busy machine was all
            # "loading ...").
            typer.echo(
                f"ready on {url} after {time.monotonic() - started:.1f} s (imports {imported - started:.1f} s, "
                f"model {loaded - imported:.1f} s)",
                err=True,
            )

        if workers == 1:
            run_server(
                app,
                host=host,
                port=port,
                workers=1,
                grace_s=shutdown_grace,
                log_level=log_level.lower(),
                on_ready=ready,
            )
            return
        # Each worker process builds its own app from the environment (an app object cannot be shared), on the
        # backend "auto" resolved to here, so every worker runs the same engine.
        resolved = {**config.to_dict(), "backend": chosen}
        os.environ[MODEL_ENV] = str(model.resolve())
        os.environ[OPTIONS_ENV] = json.dumps(resolved)
        # Each worker keeps its request counts in a file here, and the one a scrape reaches answers GET /metrics
        # with their sums: a scrape reported one worker's share, so the totals jumped between scrapes. Removed
        # when the server stops.
        with tempfile.TemporaryDirectory(prefix="trainwell-serve-metrics-") as shared:
            os.environ[METRICS_DIR_ENV] = shared
            run_server(
                "trainwell.serve.app:app_from_env",
                host=host,
                port=port,
                workers=workers,
                grace_s=shutdown_grace,
                log_level=log_level.lower(),
                on_ready=ready,  # once, when every worker serves
            )

    with _stopping_quietly_before_serving():
        guarded(run)


@contextlib.contextmanager
def _serve_extra_needed() -> Iterator[None]:
    """Inside, a package of the serve extra found missing is said in one line with the install command."""
    from trainwell.core.errors import ConfigError

    try:
        yield
    except ModuleNotFoundError as error:
        if error.name not in SERVE_EXTRA:
            raise
        raise ConfigError(
            f"`trainwell serve` needs the serve extra ({error.name} is not installed): "
            "pip install 'trainwell[serve]'"
        ) from error


def _checked_in_subprocess(model: Path, options: dict[str, object]) -> tuple[str, str | None]:
    """Build the app of ``model`` with ``options`` in a child process, as each worker will, and return the backend
    it runs on (``"auto"`` resolved) and, when ``"auto"`` chose it, what it chose on (the words of
    :func:`~trainwell.serve.backends.auto_choice_words`): what the model's loading raises there (a bad directory,
    an unusable ``model.onnx``) is raised here, once, before any worker starts. The child ends before this
    returns, so the supervisor of a multi-worker server holds no model, nor what loads it (torch, onnxruntime,
    pandas, numpy, fastapi)."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing of this one is copied
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_check_model, args=(str(model), options, sending), daemon=True)
    child.start()
    sending.close()
    answer: object = None
    try:
        answer = receiving.recv()
    except EOFError:  # it died without a word (killed, out of memory)
        pass
    finally:  # SIGTERM or Ctrl+C while it loads ends it too
        child.join(timeout=10 if answer is not None else 0)
        if child.is_alive():
            child.terminate()
            child.join()
    if isinstance(answer, BaseException):
        raise answer
    if not (isinstance(answer, tuple) and len(answer) == 2 and isinstance(answer[0], str)):
        from trainwell.core.errors import ArtifactError

        raise ArtifactError(
            f"loading model directory '{model}' ended without an answer (exit code {child.exitcode}); run "
            f"`trainwell serve {model}` with --workers 1 to see why"
        )
    return answer[0], answer[1]


def _check_model(model: str, options: dict[str, object], sending: object) -> None:
    """In the child of :func:`_checked_in_subprocess`: the backend the app runs on and the words on what
    ``"auto"`` chose (``None`` for a backend asked), or what stopped it."""
    try:
        from trainwell.serve.app import create_app
        from trainwell.serve.backends import auto_choice_words

        chosen = create_app(Path(model), **options).state.backend  # type: ignore[arg-type]
        answer: object = (
            chosen,
            auto_choice_words(model, chosen) if options.get("backend") == "auto" else None,
        )
    except BaseException as error:  # sent whole, so the parent says it as it would have itself
        answer = error
    try:
        sending.send(answer)  # type: ignore[attr-defined]
    except Exception:  # an exception that does not pickle: its type and words
        sending.send(RuntimeError(f"{type(answer).__name__}: {answer}"))  # type: ignore[attr-defined]


@contextlib.contextmanager
def _stopping_quietly_before_serving() -> Iterator[None]:
    """Inside, SIGTERM while the model loads (a deployment rolled back, ``docker stop`` at start-up) ends the
    command with status 0, as it does once the server runs: it was killed by the signal (143), which a
    supervisor reads as a crash. The server's own handling takes over while it runs
    (:func:`~trainwell.cli._server.run_server`); the handler before is put back after."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL  # someone else's handler: theirs to keep
    ):
        yield
        return

    def stop(signum: int, frame: object) -> None:
        print("stopped by SIGTERM before serving", file=sys.stderr)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _check_port_free(host: str, port: int) -> None:
    """One line, exit 2, when the server could not listen on ``host``:``port`` (uvicorn would log a bare
    "[Errno ...]" and exit 3 after loading the model): a host name that does not resolve, an address that is not
    this machine's, a port taken, a port below 1024 without the rights. Port 0 is checked too (the host still
    has to be one this machine can listen on)."""
    import errno
    import socket

    from trainwell.core.errors import ConfigError

    addresses = (
        "pass 127.0.0.1 (this machine only), 0.0.0.0 (every network) or one of this machine's addresses"
    )
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as error:
        reason = error.strerror if isinstance(error, socket.gaierror) and error.strerror else str(error)
        raise ConfigError(
            f"--host '{host}' is not a host name or address this machine can resolve ({reason}); {addresses}"
        ) from error
    unavailable: OSError | None = None
    for family, _, _, _, address in found:  # as asyncio binds each address a name has ("localhost": two)
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            # as uvicorn binds: TIME_WAIT is no clash
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as error:
                if error.errno != errno.EADDRNOTAVAIL:
                    raise ConfigError(_bind_error(host, port, error)) from error
                unavailable = unavailable or error  # asyncio skips it too (that address family is off here)
                continue
            return
    if unavailable is not None:
        raise ConfigError(
            f"--host '{host}' is not an address of this machine ({unavailable.strerror or unavailable}); {addresses}"
        ) from unavailable


def _bind_error(host: str, port: int, error: OSError) -> str:
    """The line for a bind of ``host``:``port`` that failed with ``error`` (other than "not this machine's")."""
    import errno

    where = f"cannot listen on {host}:{port} ({error.strerror or error})"
    if error.errno == errno.EADDRINUSE:
        return f"{where}; another server holds the port: stop it, or pass another --port (0 picks a free one)"
    if error.errno in (errno.EACCES, errno.EPERM) and 0 < port < 1024:
        return (
            f"{where}: ports below 1024 need administrator rights; pass --port 8000 (or another port from 1024 up; "
            "0 picks a free one), or put a reverse proxy on the low port"
        )
    return f"{where}; pass another --host or --port (0 picks a free one)"


def main() -> None:
    """``python -m trainwell.cli.serve_cmd``: the ``serve`` command on its own."""
    command = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    command.command()(serve)
    command()


if __name__ == "__main__":
    main()
