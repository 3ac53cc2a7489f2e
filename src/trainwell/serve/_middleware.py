"""ASGI middleware of the server: the request body size limit, and announcing predictions to the batcher.

Both are plain ASGI callables (not Starlette's ``BaseHTTPMiddleware``, which runs the app in another task and
buffers the body) so they add nothing measurable to a request.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trainwell.serve.batching import MicroBatcher
from trainwell.serve.metrics import ITEMS_KEY

#: Scope key holding the :class:`~trainwell.serve.batching.Ticket` of a ``POST /predict`` request.
TICKET_KEY = "trainwell.batch_ticket"


class BodyTooLarge(HTTPException):
    """The request body is over the limit (413). An ``HTTPException`` so that FastAPI's body reader, which
    turns other errors into a 400, lets it through to the exception handlers."""

    def __init__(self, limit: int, received: str, items: str = "rows, texts or images") -> None:
        fewer = (
            "send fewer images per request, or smaller ones (the model reads them at its own size)"
            if items == "images"
            else "send fewer texts per request, or shorter ones"
            if items == "texts"
            else f"send fewer {items} per request"
        )
        super().__init__(
            status_code=413,
            detail=(
                f"body: the request body is {received}, over the limit of {limit:,} bytes; {fewer} (or start the "
                "server with a larger --max-body-bytes)"
            ),
        )


#: A request id taken from the client: printable ASCII, at most this long (else one is made up).
_MAX_REQUEST_ID = 128


class RequestId:
    """Every answer carries an ``X-Request-ID`` header: the client's own (a load balancer's or a tracing
    proxy's), so its logs and the client's can be joined, or a new random one when it sent none (or one longer
    than 128 characters, or with characters that do not belong in a header)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        usable = (
            given is not None
            and 0 < len(given) <= _MAX_REQUEST_ID
            and given.isascii()
            and given.isprintable()
        )
        request_id = given if usable and given is not None else uuid.uuid4().hex

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", request_id.encode("ascii"))]}
            await send(message)

        await self.app(scope, receive, send_with_id)


#: The logger of the access log (:class:`AccessLog`): a child of uvicorn's ``uvicorn.error``, so a server run
#: by uvicorn writes it to stderr with uvicorn's other lines, at uvicorn's ``--log-level`` (INFO: shown).
access_logger = logging.getLogger("uvicorn.error.trainwell.access")


#: The logger of the JSON access log (``--access-log json``): its own handler writes each record's message
#: alone, one JSON object a line, to standard output (:func:`json_access_logger`).
json_access_logger = logging.getLogger("trainwell.serve.access")

#: ``--access-log``'s formats.
ACCESS_LOG_FORMATS = ("text", "json")


def _json_access_logger() -> logging.Logger:
    """:data:`json_access_logger`, given its handler the first time: the message alone, to ``sys.stdout`` (the
    stream a container's log collector reads; the server's other lines stay on standard error)."""
    if not json_access_logger.handlers:
        import sys

        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        json_access_logger.addHandler(handler)
        json_access_logger.setLevel(logging.INFO)
        json_access_logger.propagate = False
    return json_access_logger


class AccessLog:
    """One line per request, once its answer is sent (or the request failed), while the server's log level
    shows INFO (``--log-level warning`` leaves them out).

    ``text`` (the default), at INFO among uvicorn's lines on standard error:
    ``127.0.0.1:53870 "POST /predict" 200 6.1 ms request_id=3f2a... model=3f2a9c1b7d4e``: the client, the method
    and path, the status, the latency in milliseconds from the request's arrival to the end of its answer, and
    the ``X-Request-ID`` the answer carries (the client's own, or the one made up), so that the server's log and
    the client's can be joined.

    ``json``: one JSON object a line on standard output, for a log collector: ``{"time":
    "2026-12-07T08:41:02.123Z", "method": "POST", "path": "/predict", "status": 200, "duration_ms": 6.12,
    "request_id": "...", "rows": 2, "model_version": "3f2a9c1b7d4e", "client": "127.0.0.1:53870"}`` (``rows``:
    the items the request held, rows, texts, images or users; null where it holds none, or was refused before
    they were read).

    uvicorn's own access line (without the id or the latency) is to be turned off where this one is on
    (``trainwell serve`` does). Outside :class:`RequestId`, it reads the id from the answer.
    """

    def __init__(self, app: ASGIApp, model_version: str | None = None, format: str = "text") -> None:
        self.app = app
        self.version = model_version
        self.model = f" model={model_version}" if model_version else ""
        self.json = format == "json"
        if self.json:
            _json_access_logger()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not access_logger.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | str = "-"
        request_id = "-"

        async def watching_send(message: Message) -> None:
            nonlocal status, request_id
            if message["type"] == "http.response.start":
                status = message["status"]
                for key, value in message.get("headers", []):
                    if key.lower() == b"x-request-id":
                        request_id = value.decode("latin-1")
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        except BaseException:
            status = status if status != "-" else 500
            raise
        finally:
            client = scope.get("client")
            address = f"{client[0]}:{client[1]}" if client else "-"
            elapsed_ms = (time.perf_counter() - started) * 1000
            if self.json:
                json_access_logger.info(
                    json.dumps(
                        {
                            "time": _utc_now(),
                            "method": scope.get("method"),
                            "path": scope.get("path"),
                            "status": status if isinstance(status, int) else None,
                            "duration_ms": round(elapsed_ms, 3),
                            "request_id": request_id if request_id != "-" else None,
                            "rows": scope.get(ITEMS_KEY),
                            "model_version": self.version,
                            "client": address if client else None,
                        },
                        separators=(",", ":"),
                    )
                )
            else:
                access_logger.info(
                    '%s "%s %s" %s %.1f ms request_id=%s%s',
                    address,
                    scope.get("method", "-"),
                    scope.get("path", "-"),
                    status,
                    elapsed_ms,
                    request_id,
                    self.model,
                )


def _utc_now() -> str:
    """Now, in UTC, ISO 8601 to the millisecond: ``2026-12-07T08:41:02.123Z``."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Readiness:
    """Whether a server takes new work: ``GET /ready`` answers 200 while it does, 503 once its shutdown has
    begun (:func:`begin_draining`) while the requests under way are answered. The model is loaded before the
    server listens, so a server that answers at all has it."""

    def __init__(self) -> None:
        self.draining = False

    def begin_draining(self) -> None:
        self.draining = True


def begin_draining(app: Any) -> bool:
    """Mark the server of ``app`` (a trainwell app, or the ASGI middleware uvicorn wraps around it) as draining,
    so that ``GET /ready`` answers 503 from now on; ``False`` where no :class:`Readiness` was found. Called by
    ``trainwell serve`` when SIGTERM begins its shutdown."""
    for _ in range(8):  # uvicorn's wrappers (proxy headers, message logger) keep the app as .app
        readiness = getattr(getattr(app, "state", None), "readiness", None)
        if isinstance(readiness, Readiness):
            readiness.begin_draining()
            return True
        app = getattr(app, "app", None)
        if app is None:
            break
    return False


class ModelVersion:
    """Every answer carries ``X-Model-Version: <version>``: the model that answered (the first 12 hex digits of
    the SHA-256 of its weights), so a client or a log can tell two models apart during a rolling deploy."""

    def __init__(self, app: ASGIApp, version: str) -> None:
        self.app = app
        self.header = (b"x-model-version", version.encode("ascii"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), self.header]}
            await send(message)

        await self.app(scope, receive, send_with_version)


class EncodedBody(HTTPException):
    """A body sent compressed (``Content-Encoding: gzip``), which the server does not decompress (415): it was
    read as the JSON itself and refused as "not UTF-8 text", which says nothing of the encoding."""

    def __init__(self, encoding: str) -> None:
        super().__init__(
            status_code=415,
            detail=f"body: Content-Encoding {encoding!r} is not accepted; send the body uncompressed",
        )


class BodySizeLimit:
    """Answer 413 to bodies over ``max_body_bytes``: from the ``Content-Length`` header before reading
    anything, and by counting the bytes of a body streamed without one (chunked). A compressed body is answered
    415 (:class:`EncodedBody`)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, items: str = "rows, texts or images") -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.items = items  # what a request holds, as the 413 names it ("images": send fewer or smaller)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        encoding = _header(scope, b"content-encoding")
        if encoding is not None and encoding.strip().lower() not in ("", "identity"):
            await _drain(receive, self.max_body_bytes)
            await _send_error(send, EncodedBody(encoding.strip()))
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            if declared <= DRAIN_BYTES:
                await _drain(receive)  # a client that sends all before it reads must not be cut off mid-send
            await _send_error(send, BodyTooLarge(self.max_body_bytes, f"{declared:,} bytes", self.items))
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge(
                        self.max_body_bytes, f"more than {self.max_body_bytes:,} bytes", self.items
                    )
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge as error:  # read by code that does not turn it into a response itself
            if started:
                raise
            await _drain(receive, limit=DRAIN_BYTES)
            await _send_error(send, error)


#: A body over the limit is still read (and dropped), up to this many bytes, before the 413 is sent: clients
#: that send the whole body before reading the answer (Python's urllib) would otherwise meet a reset connection
#: instead of the 413 once the body outgrows the socket buffers. Bigger bodies are cut off.
DRAIN_BYTES = 32 * 2**20


async def _drain(receive: Receive, limit: int | None = None) -> None:
    """Read and drop the rest of a request's body (up to ``limit`` more bytes)."""
    drained = 0
    while limit is None or drained <= limit:
        message = await receive()
        if message["type"] != "http.request":
            return
        drained += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


class UnreadQuery:
    """Answer 422 to a ``POST`` whose URL carries query parameters: no ``POST`` route reads any (its settings are
    in the body), and ``/predict?tta=true`` was answered 200 without test-time augmentation, as if it had been
    applied. The body is drained, unread."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if not query or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        from urllib.parse import parse_qsl

        from trainwell.serve._errors import error_body

        names = list(
            dict.fromkeys(name for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True))
        )
        shown = ", ".join(names) or query.decode("latin-1")
        problem = {
            "loc": ["query", *names[:1]],
            "msg": f"{scope['path']} reads no query parameter ({shown}): its settings go in the request's body "
            "(see /docs); drop the query",
            "type": "query_not_read",
        }
        await _drain(receive)
        body = json.dumps(error_body([problem]), separators=(",", ":")).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 422,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class AnnouncePredictions:
    """Tell the batcher as soon as a ``POST`` to ``path`` arrives, before its body is read and validated, so
    a batch being collected can wait for it. The ticket is closed when the request ends, whatever happened."""

    def __init__(self, app: ASGIApp, batcher: MicroBatcher, path: str = "/predict") -> None:
        self.app = app
        self.batcher = batcher
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        ticket = self.batcher.announce()
        scope[TICKET_KEY] = ticket
        try:
            await self.app(scope, receive, send)
        finally:
            ticket.close()


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


def body_problem(error: BodyTooLarge | EncodedBody) -> dict[str, Any]:
    """The problem a 413 or a 415 of this module lists in ``detail``, the same whether the middleware answers it
    (``Content-Length`` over the limit) or the exception handlers do (a chunked body counted past it)."""
    kind = "body_too_large" if error.status_code == 413 else "unsupported_media_type"
    return {"loc": ["body"], "msg": str(error.detail).removeprefix("body: "), "type": kind}


async def _send_error(send: Send, error: BodyTooLarge | EncodedBody) -> None:
    from trainwell.serve._errors import error_body  # the body every other error has

    body = json.dumps(error_body([body_problem(error)]), separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status_code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),  # the unread rest of the body must not be taken for a new request
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
