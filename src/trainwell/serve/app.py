"""The HTTP server of a model directory: ``create_app(dir)`` returns a FastAPI application.

Endpoints:

- ``GET /health``: ``{"status": "ok"}`` once the model is loaded (``HEAD`` too, as ``/metadata``): liveness.
- ``GET /ready``: readiness, 200 ``{"status": "ready"}``, or 503 ``{"status": "draining"}`` once the shutdown
  has begun (:data:`READY_DOC`: the Kubernetes probes).
- ``GET /metadata``: the task, the inputs a row needs (categorical ones with their known values, continuous
  ones with their training mean, standard deviation, smallest and largest value, and the range accepted), the
  final validation metrics, versions and limits.
- ``POST /predict``: ``{"rows": [{column: value, ...}, ...]}`` in, ``{"predictions": [...]}`` out, one entry
  per row in order; each entry's ``unseen`` names the row's category values the model has no code for
  (``{"workclass": "Space-force"}``, ``{}`` when none), as ``trainwell predict`` notes them for a file.
  A multi-label model's body may add ``"at_least_one": true`` (a row with no label over its threshold is
  answered with its likeliest label, as ``predict(at_least_one=True)`` gives it; ``false``: an empty list), the
  server's default being ``create_app(at_least_one=)`` (``trainwell serve --at-least-one``); any other model
  refuses ``true`` with a 422.
  Concurrent requests are merged into one model call (:mod:`trainwell.serve.batching`).
  A vision model takes images instead: JSON ``{"images": ["<base64>", ...]}`` (one image: ``{"image": ...}``),
  a ``multipart/form-data`` form with files in the field ``images`` (or ``image``, ``files``, ``file``), or one
  image file as the body (sent as ``image/*``, ``application/octet-stream`` or untyped: its first bytes say it is
  an image); each request's images are decoded (up to ``max_image_pixels`` each) and fitted to the training size (:mod:`trainwell.serve.images`), and the images of concurrent requests share
  one forward. An image model's request may add ``"tta": true`` (or the form field ``tta=true``): its images are
  answered with test-time augmentation, as ``trainwell predict --tta`` gives them (:mod:`trainwell.serve.tta`),
  the server's default being ``create_app(tta=)`` (``trainwell serve --tta``); any other model refuses ``true``
  with a 422.
- ``POST /recommend`` (ratings models): ``{"user": 196, "k": 10, "exclude": [...]}`` in, the user's best items
  out; ``{"users": [196, 186], ...}`` for several users at once; or ``{"from_items": [...]}`` (a basket) or
  ``{"similar_to": 50}`` (an item's neighbours), answered by PyTorch on either backend
  (:mod:`trainwell.serve.recommend`). A recommender's ``/metadata`` counts its users and items (``count``);
  ``?ids=true`` lists them.
- ``GET /metrics``: counters in Prometheus' text format (:mod:`trainwell.serve.metrics`).
- ``GET /docs`` and ``GET /openapi.json``: the API, with the request schema generated from the recipe.

Bad requests get a 4xx whose JSON names the field (``rows.0.age: Input should be a valid number``): a wrong
type, a missing or unknown field, too many or no rows are 422, a body that is not JSON is 400, a body over
the size limit is 413, and a body sent without ``Content-Type: application/json`` (curl's ``-d`` alone) is 415
on every endpoint (:mod:`trainwell.serve._content_type`). For images: invalid base64, an undecodable or
oversized image (named by its index and file name), no images or too many are 422; malformed multipart is 400.
An item the server cannot read (a row's invalid value, an undecodable image, a recommender's row without a user)
refuses the whole request, with a 422 naming it by its index, as ``trainwell.load(dir).predict`` raises for it;
an item it reads but the model knows nothing of (a category value never seen in training, a recommender's unknown
user) is scored and flagged in its answer (``unseen``, ``known_user``). A text empty or only spaces is answered
with a ``note`` and no prediction, the request's other texts scored, as the tagger answers it and ``trainwell
predict`` skips a blank line; a request of blank texts alone is a 422 (``texts_all_empty``).
An unknown path is a 404 listing the endpoints, a method the path does not take a 405 naming the ones it takes. A 5xx
is a bug: its JSON names the exception, and the server's log has the traceback.

Loading goes through :func:`trainwell.export.load`, which reads weights with ``safetensors`` and metadata with
``json`` only: a model directory can never make the server run code. With ``backend="onnx"`` (or ``"auto"``
and a parity-checked ``model.onnx``) onnxruntime runs the model instead (:mod:`trainwell.serve.backends`);
the answers are the same. ``model.safetensors`` must then still read (its header and size are checked at
start-up), as ``trainwell.load`` and ``trainwell predict`` need it.
"""

from __future__ import annotations

import inspect
import json
import os
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

import trainwell
from trainwell.core.errors import ConfigError, UserError
from trainwell.serve._content_type import require_json
from trainwell.serve._errors import error_body, install_error_handlers
from trainwell.serve._middleware import (
    TICKET_KEY,
    AccessLog,
    AnnouncePredictions,
    BodySizeLimit,
    ModelVersion,
    Readiness,
    RequestId,
    UnreadQuery,
)
from trainwell.serve.backends import backend_of, load_predictor
from trainwell.serve.batching import MicroBatcher
from trainwell.serve.config import IMAGE_PIXELS, METRICS_DIR_ENV, MODEL_ENV, OPTIONS_ENV, ServeConfig
from trainwell.serve.docs_page import install_docs
from trainwell.serve.images import (
    ImageRequestError,
    accepted_formats,
    decode_noted_images,
    image_request,
    images_request_model,
    pixel_count,
)
from trainwell.serve.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from trainwell.serve.metrics import Metrics, RequestMetrics, note_items
from trainwell.serve.predictions import (
    ServablePredictor,
    at_least_one_problem,
    metadata_document,
    predict_image_items,
    predict_rows,
    with_likeliest_labels,
)
from trainwell.serve.schema import (
    ErrorResponse,
    MetadataResponse,
    VisionMetadataResponse,
    images_request_body,
    request_model,
    response_model,
    training_ranges,
    with_at_least_one,
)
from trainwell.serve.texts import predict_texts, text_metadata, texts_request_model
from trainwell.serve.tta import tta_problem, tta_refusal, with_tta

__all__ = [
    "METRICS_DIR_ENV",
    "MODEL_ENV",
    "MODEL_VERSION_HEADER",
    "OPTIONS_ENV",
    "app_from_env",
    "create_app",
    "model_identity",
]

# MODEL_ENV, OPTIONS_ENV and METRICS_DIR_ENV (in __all__ above) are defined in trainwell.serve.config, which the
# supervisor of a multi-worker server reads without importing this module's stack.

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "The body is not valid JSON."},
    413: {"model": ErrorResponse, "description": "The body is over the size limit."},
    415: {
        "model": ErrorResponse,
        "description": "The body is not sent as application/json (curl: -H 'Content-Type: application/json').",
    },
    422: {
        "model": ErrorResponse,
        "description": "A row, a text or a field is invalid; the message names each by its index (rows.3.age, "
        "texts.1). The request is refused as a whole (nothing in it is scored): mend or leave out the items named "
        "and send it again. A text that is empty or only spaces is not refused: it is answered with a note (no "
        "prediction) and the others are scored; only a request whose texts are all empty is (type "
        "texts_all_empty).",
    },
}
_IMAGE_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "The body is not valid JSON or not well-formed multipart."},
    413: {"model": ErrorResponse, "description": "The body is over the size limit."},
    415: {
        "model": ErrorResponse,
        "description": "The content type is neither JSON nor multipart/form-data (or there is none).",
    },
    422: {
        "model": ErrorResponse,
        "description": "An image is invalid (base64, undecodable, too large), or there are none or too many; "
        "the message names the image by its index (and file name).",
    },
}
#: Requests whose images hold at most this many pixels in all are decoded on the event loop (a thread hop
#: costs more than decoding a thumbnail); larger ones in a thread, so they do not hold up other requests.
INLINE_DECODE_PIXELS = 256 * 256


def create_app(
    model: str | os.PathLike[str] | ServablePredictor,
    *,
    max_batch: int = 64,
    batch_wait_ms: float = 2.0,
    max_rows: int = 1000,
    max_images: int = 64,
    max_image_pixels: int = IMAGE_PIXELS,
    max_body_bytes: int | None = None,
    forbid_extra_fields: bool = True,
    threads: int | None = None,
    backend: str = "auto",
    at_least_one: bool = False,
    tta: bool = False,
    cors_origins: Sequence[str] = (),
    access_log: str = "text",
) -> FastAPI:
    """The FastAPI application serving ``model``.

    Args:
        model: A model directory written by ``trainwell fit`` / ``Learner.export`` (tabular or vision), or a
            loaded predictor.
        max_batch: Most rows (or images) merged into one model call.
        batch_wait_ms: Longest wait for requests already arriving to join a batch (never waits when no other
            request is in flight).
        max_rows: Most rows in one request.
        max_images: Most images in one request (vision models).
        max_image_pixels: Largest image decoded, in pixels, read from its header before decoding (vision
            models; larger: 422). Default: 80,000,000, above a phone's 48 to 64 MP photos; at most
            178,956,970, which Pillow refuses as a decompression bomb.
        max_body_bytes: Largest request body, in bytes (default: 32 MB for an image model, 1 MB for others).
        forbid_extra_fields: Refuse fields that are not inputs of the model (else ignore them).
        threads: Intra-op threads for the model calls, torch's and onnxruntime's (``None``: their defaults).
        backend: ``"torch"``, ``"onnx"`` (needs ``model.onnx``: ``trainwell export MODEL --onnx``) or
            ``"auto"`` (onnx when ``model.onnx`` passed its parity check, else torch). With a loaded
            predictor, ``"auto"`` or the predictor's own backend.
        at_least_one: Multi-label models only: answer a row with no label over its threshold with its likeliest
            label unless the request says ``"at_least_one": false`` (default: only when it says ``true``).
        tta: Image models only: answer each image with test-time augmentation (:mod:`trainwell.serve.tta`)
            unless the request says ``"tta": false`` (default: only when it says ``true``).
        cors_origins: Origins a browser page may call the server from (``"*"``: any): CORS headers and
            preflights for them (default: none, no CORS headers).
        access_log: The access log's format: ``"text"`` (a line on standard error among the server's) or
            ``"json"`` (one JSON object a line on standard output).

    Returns:
        The application; serve it with any ASGI server (``trainwell serve`` uses uvicorn). ``app.state``
        holds ``predictor``, ``config``, ``backend`` (the one in use: ``"torch"`` or ``"onnx"``),
        ``batcher`` and ``batch_stats`` (model calls and batch sizes).

    Raises:
        ArtifactError: The directory is not a loadable model directory.
        ConfigError: A setting is out of range, the model is of an application the server cannot serve,
            ``backend="onnx"`` and the directory has no parity-checked ``model.onnx``, ``at_least_one`` for
            a model that is not multi-label, or ``tta`` for one that is not an image model.
        OnnxDependencyError: ``backend="onnx"`` and onnxruntime is not installed.

    Example:
        >>> app = create_app("model/")                                   # doctest: +SKIP
        >>> uvicorn.run(app, host="127.0.0.1", port=8000)                # doctest: +SKIP
    """
    config = ServeConfig(
        max_batch=max_batch,
        batch_wait_ms=batch_wait_ms,
        max_rows=max_rows,
        max_images=max_images,
        max_image_pixels=max_image_pixels,
        max_body_bytes=max_body_bytes,
        forbid_extra_fields=forbid_extra_fields,
        threads=threads,
        backend=backend,
        at_least_one=at_least_one,
        tta=tta,
        cors_origins=tuple(cors_origins),
        access_log=access_log,
    )
    predictor, used_backend = _predictor_and_backend(model, config)
    _check_at_least_one(predictor, config)
    if config.tta:  # every request would be answered in a way it cannot be: refused before any route is built
        refusal = tta_refusal(
            getattr(predictor, "task", None),
            getattr(predictor, "application", None),
            option="tta (--tta)",
            fix="start the server without --tta",
        )
        if refusal is not None:
            raise ConfigError(refusal)
    identity = model_identity(model, predictor)
    if ((getattr(predictor, "metadata", None) or {}).get("task") or {}).get("kind") == "language_model":
        from trainwell.serve.lm import create_lm_app

        lm_app = create_lm_app(predictor, config)
        _identify(lm_app, identity, config)
        _with_identity(lm_app.state.metadata, identity)
        _add_ready(lm_app)
        _add_metrics_route(lm_app)
        _add_cors(lm_app, config)
        return lm_app
    _check_servable(predictor, model)
    runners: dict[str, Callable[..., list[dict[str, Any] | None]]] = {
        "vision": predict_image_items,
        "text": predict_texts,
    }
    tagger = predictor.task.kind == "tagging"
    if tagger:
        from trainwell.serve.tagging import predict_tagged

        runners["text"] = predict_tagged
    run_batch = partial(runners.get(predictor.application, predict_rows), predictor)
    batcher: MicroBatcher[Any, dict[str, Any] | None] = server_batcher(run_batch, config)

    task = predictor.task
    app = FastAPI(
        title=f"trainwell model: {task.kind} prediction of {', '.join(task.target_names) or 'the target'}",
        version=trainwell.__version__,
        description=_description(predictor),
        lifespan=batcher.lifespan,
        docs_url=None,  # Swagger UI loads its scripts from a CDN: /docs is drawn here instead
        redoc_url=None,
    )
    install_docs(app)
    app.state.predictor, app.state.config, app.state.backend = predictor, config, used_backend
    app.state.batcher, app.state.batch_stats = batcher, batcher.stats
    install_error_handlers(app)
    app.add_middleware(AnnouncePredictions, batcher=batcher)  # type: ignore[arg-type]
    items = {"vision": "images", "text": "sentences" if tagger else "texts"}.get(
        predictor.application, "rows"
    )
    app.add_middleware(
        BodySizeLimit,  # type: ignore[arg-type]
        max_body_bytes=config.body_limit(predictor.application),
        items=items,
    )
    app.add_middleware(UnreadQuery)  # type: ignore[arg-type]
    app.add_middleware(RequestId)  # type: ignore[arg-type]  # outermost: every answer, a 413 too, carries it
    _identify(app, identity, config)
    if predictor.application == "collab" and isinstance(model, str | os.PathLike):
        from trainwell.collab.names import stored_item_names

        # MovieLens' titles, kept by fit: /recommend names the items it answers with.
        app.state.item_names = stored_item_names(os.fspath(model))
    routes = {"vision": _add_image_routes, "text": _add_text_routes, "collab": _add_collab_routes}
    add_routes = routes.get(predictor.application, _add_routes)
    add_routes(app, predictor, config, batcher, used_backend)
    _add_metrics_route(app)
    _add_cors(app, config)
    return app


def _add_cors(app: FastAPI, config: ServeConfig) -> None:
    """CORS for ``config.cors_origins`` (none: nothing added): outermost, so a preflight (``OPTIONS``) is
    answered before any route; the answers' ``X-Request-ID`` and ``X-Model-Version`` are readable by the page."""
    if not config.cors_origins:
        return
    from starlette.middleware.cors import CORSMiddleware

    app.add_middleware(
        CORSMiddleware,  # type: ignore[arg-type]
        allow_origins=list(config.cors_origins),
        allow_methods=["GET", "HEAD", "POST"],
        allow_headers=["Content-Type", "X-Request-ID"],
        expose_headers=["X-Request-ID", MODEL_VERSION_HEADER],
    )


def model_identity(model: str | os.PathLike[str] | ServablePredictor, predictor: Any) -> dict[str, Any]:
    """Which model a server answers with: ``version``, the first 12 hex digits of the SHA-256 of its
    ``model.safetensors`` (``None`` where the predictor has no directory or the directory no such file),
    ``sha256`` (all 64) and ``created`` (``trainwell.json``'s, to the second). Read once at start-up."""
    from trainwell.core.model_dir import WEIGHTS_FILE, file_digest

    directory = model if isinstance(model, (str, os.PathLike)) else getattr(predictor, "model_dir", None)
    weights = Path(directory) / WEIGHTS_FILE if directory is not None else None
    digest = file_digest(weights) if weights is not None and weights.is_file() else None
    created = (getattr(predictor, "metadata", None) or {}).get("created")
    return {"version": digest[:12] if digest else None, "sha256": digest, "created": created}


#: The response header naming the model that answered (:func:`model_identity`'s ``version``).
MODEL_VERSION_HEADER = "X-Model-Version"


def _identify(app: FastAPI, identity: dict[str, Any], config: ServeConfig) -> None:
    """Every answer of ``app`` carries ``X-Model-Version`` (when the weights have a digest), ``/metadata`` the
    identity (``versions.model_version``, ``versions.model_sha256``) and ``/docs`` names it: during a rolling
    deploy a client or a log can tell which model answered, not only the server's trainwell version. The
    access log and ``GET /metrics`` name it too."""
    app.state.model_identity = identity
    _add_metrics(app, identity)
    # Outermost: it times the whole request and reads the X-Request-ID the answer leaves with.
    app.add_middleware(AccessLog, model_version=identity["version"], format=config.access_log)  # type: ignore[arg-type]
    if identity["version"] is None:
        return
    app.add_middleware(ModelVersion, version=identity["version"])  # type: ignore[arg-type]
    app.description = (
        f"{app.description} Model version {identity['version']} (the first 12 hex digits of the SHA-256 of "
        f"model.safetensors; every answer's {MODEL_VERSION_HEADER} header), created {identity['created']}."
    )


def _add_metrics(app: FastAPI, identity: dict[str, Any]) -> None:
    """The middleware that counts every request for ``GET /metrics`` (:mod:`trainwell.serve.metrics`), whose
    route :func:`_add_metrics_route` adds after the others (the 404's list of endpoints names it last)."""
    predictor = app.state.predictor
    info = {
        "model_version": identity["version"] or "",
        "backend": str(app.state.backend),
        "application": str(getattr(predictor, "application", None) or "text"),
        "trainwell_version": trainwell.__version__,
    }
    metrics = Metrics(
        info,
        lambda: [path for route in app.routes if isinstance(path := getattr(route, "path", None), str)],
        getattr(app.state, "batch_stats", None),
    )
    app.state.metrics = metrics
    app.add_middleware(RequestMetrics, metrics=metrics)  # type: ignore[arg-type]


def _add_metrics_route(app: FastAPI) -> None:
    """``GET /metrics``: ``app.state.metrics`` (:func:`_add_metrics`) in Prometheus' text format; ``HEAD`` too
    (:func:`answer_head`), as /health and /metadata answer it."""
    metrics: Metrics = app.state.metrics

    @app.get(
        "/metrics",
        summary="Counters in Prometheus' text format",
        description="Requests by route, method and status, a latency histogram per route, requests in flight, "
        "items predicted, the micro-batcher's batch sizes and the model's version, in Prometheus' text "
        "exposition format. With --workers N the figures are the sums over the workers, whichever answers the "
        "scrape (trainwell_process_info's pid says which did; trainwell_worker_requests_total and "
        "trainwell_worker_up{worker} are each worker's own).",
        response_class=PlainTextResponse,
    )
    async def get_metrics() -> Response:
        return Response(metrics.render(), media_type=METRICS_CONTENT_TYPE)

    answer_head(app, "/metrics", get_metrics)


#: ``GET /ready``'s description: what an orchestrator does with it and with ``/health``.
READY_DOC = (
    'Readiness: 200 {"status": "ready"} while the server takes requests (its model is loaded before it '
    'listens), 503 {"status": "draining"} once its shutdown has begun (SIGTERM) while the requests under '
    "way are answered; after that the server refuses new connections, which a probe reads as not ready too. "
    "Kubernetes: readinessProbe httpGet /ready, livenessProbe httpGet /health, a preStop hook that sleeps a few "
    "seconds (so the pod leaves the Service's endpoints before SIGTERM), and terminationGracePeriodSeconds over "
    "that sleep plus trainwell serve --shutdown-grace."
)


def _add_ready(app: FastAPI) -> None:
    """``GET /ready`` (and ``HEAD``), from ``app.state.readiness`` (:class:`Readiness`)."""
    readiness = Readiness()
    app.state.readiness = readiness

    @app.get("/ready", summary="Readiness: taking requests (503 while draining)", description=READY_DOC)
    async def ready() -> JSONResponse:
        if readiness.draining:
            return JSONResponse({"status": "draining"}, status_code=503)
        return JSONResponse({"status": "ready"})

    answer_head(app, "/ready", ready)


def server_batcher(run_batch: Callable[[list[Any]], Any], config: ServeConfig) -> MicroBatcher[Any, Any]:
    """The batcher of a server's model calls, set as ``config`` says (batch size, wait, model threads)."""
    return MicroBatcher(
        run_batch,
        max_batch=config.max_batch,
        max_wait_s=config.batch_wait_ms / 1000,
        thread_initializer=partial(_torch_threads, config.threads) if config.threads else None,
    )


def _torch_threads(count: int) -> None:
    """torch's intra-op threads, where torch runs the model (imported by then); a server on the ONNX backend
    never imports torch (onnxruntime's threads are set on its session)."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(count)


def _predictor_and_backend(
    model: str | os.PathLike[str] | ServablePredictor, config: ServeConfig
) -> tuple[Any, str]:
    if isinstance(model, (str, os.PathLike)):
        predictor, used = load_predictor(Path(model), config.backend, threads=config.threads)
        if config.threads is not None and hasattr(predictor, "threads"):
            # torch's table, ratings and bag predictors answer on one thread (predictor_threads): --threads wins
            predictor.threads = config.threads
        return predictor, used
    used = backend_of(model)
    if config.backend not in ("auto", used):
        raise ConfigError(
            f"backend={config.backend!r} does not match the given predictor ({type(model).__name__} runs on "
            f"{used}); pass backend='auto', or a model directory to load on {config.backend}"
        )
    return model, used


def _add_routes(
    app: FastAPI,
    predictor: ServablePredictor,
    config: ServeConfig,
    batcher: MicroBatcher[Any, Any],
    backend: str,
) -> None:
    metadata = metadata_document(predictor, config, backend=backend)
    request_type = request_model(
        predictor.recipe,
        max_rows=config.max_rows,
        forbid_extra_fields=config.forbid_extra_fields,
        ranges=training_ranges(predictor.metadata),
    )

    _health_and_metadata(app, metadata, "Task, inputs, metrics, versions and limits", MetadataResponse)
    recommender = predictor.application == "collab"
    # A table model's answers name the categories it has no code for; a recommender's, its unknown ids.
    schema = response_model(predictor.task, recommender=recommender, unseen=not recommender)
    _json_predict_route(app, predictor, config, batcher, request_type, ("rows",), "row", _NOT_FINITE, schema)


def _add_collab_routes(
    app: FastAPI,
    predictor: ServablePredictor,
    config: ServeConfig,
    batcher: MicroBatcher[Any, Any],
    backend: str,
) -> None:
    """A ratings model: ``/predict`` scores (user, item) rows like a table; ``/recommend`` ranks items."""
    from trainwell.serve.recommend import add_recommend_route

    _add_routes(app, predictor, config, batcher, backend)
    add_recommend_route(app, predictor, config)


def _health_and_metadata(app: FastAPI, metadata: dict[str, Any], summary: str, schema: Any = None) -> None:
    """``GET /health`` and ``GET /metadata`` (a document built once at start-up), the same for every model;
    ``HEAD`` too (:func:`answer_head`)."""

    @app.get(
        "/health",
        summary="Liveness: the model is loaded",
        description="Liveness: 200 while the process serves, draining too (a Kubernetes livenessProbe); "
        "readiness is GET /ready.",
    )
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    _with_identity(metadata, getattr(app.state, "model_identity", None))

    if metadata.get("application") == "collab":
        get_metadata = _recommender_metadata_route(app, metadata, summary, schema)
    else:

        @app.get("/metadata", summary=summary, response_model=schema)
        async def get_metadata() -> dict[str, Any]:
            return metadata

    answer_head(app, "/health", health)
    answer_head(app, "/metadata", get_metadata)
    _add_ready(app)


def _recommender_metadata_route(
    app: FastAPI, metadata: dict[str, Any], summary: str, schema: Any
) -> Callable[..., Any]:
    """A recommender's ``GET /metadata``: its users and items counted (``count``), not listed, unless
    ``?ids=true`` asks for the lists (``values``): MovieLens' 943 users and 1,682 items were 40 kB of ids in
    every answer, and a catalogue of a million items would be megabytes."""
    compact = {
        **metadata,
        "inputs": [
            {**{key: value for key, value in entry.items() if key != "values"}, "count": len(entry["values"])}
            if entry.get("kind") == "categorical"
            else entry
            for entry in metadata["inputs"]
        ],
    }
    listed = {
        **metadata,
        "inputs": [
            {**entry, "count": len(entry["values"])} if entry.get("kind") == "categorical" else entry
            for entry in metadata["inputs"]
        ],
    }

    @app.get("/metadata", summary=summary, response_model=schema)
    async def get_metadata(
        ids: bool = Query(
            False, description="List every user and item id (values) besides their count: a long answer."
        ),
    ) -> dict[str, Any]:
        return listed if ids else compact

    return get_metadata


def _with_identity(metadata: dict[str, Any], identity: dict[str, Any] | None) -> None:
    """``/metadata``'s ``versions`` with the model's identity (:func:`model_identity`): ``model_version`` (as
    every answer's ``X-Model-Version``) and ``model_sha256``."""
    if identity is not None and isinstance(metadata.get("versions"), dict):
        metadata["versions"].update(model_version=identity["version"], model_sha256=identity["sha256"])


def answer_head(app: FastAPI, path: str, endpoint: Callable[..., Any]) -> None:
    """Answer ``HEAD path`` as ``GET path`` (headers, no body): load balancers and uptime checkers often probe
    with HEAD, which FastAPI does not add to a GET route (it answered 405). Left out of the OpenAPI document,
    where a second operation of the same endpoint would repeat its operation id."""
    app.add_api_route(path, endpoint, methods=["HEAD"], include_in_schema=False)


def _json_predict_route(
    app: FastAPI,
    predictor: ServablePredictor,
    config: ServeConfig,
    batcher: MicroBatcher[Any, Any],
    request_type: Any,
    fields: tuple[str, ...],
    noun: str,
    not_finite: str,
    schema: Any = None,
) -> None:
    """``POST /predict`` for a JSON body whose field lists the items (rows, texts, or a tagger's texts or
    lists of words: the first of ``fields`` sent), batched with others; ``schema`` documents the answer
    (default: the task's predictions with probabilities). The body's ``at_least_one`` (:func:`with_at_least_one`)
    is applied to this request's answers alone, after the batch's model call."""
    application = getattr(predictor, "application", None)
    request_type = with_tta(with_at_least_one(request_type, predictor.task, noun), application)

    async def predict(body: Any, request: Request) -> Response:
        refused = at_least_one_problem(predictor.task, body.at_least_one, application) or tta_problem(
            predictor.task, body.tta, application
        )
        if refused is not None:
            return JSONResponse(error_body([refused]), 422)
        field = next(name for name in fields if getattr(body, name) is not None)
        items: list[Any] = getattr(body, field)
        note_items(request.scope, len(items))
        try:
            answers = await batcher.submit(items, request.scope.get(TICKET_KEY))
        except UserError as error:  # the predictor refused these items (the schema should have caught it)
            return JSONResponse(
                error_body([{"loc": [field], "msg": str(error), "type": f"invalid_{field}"}]), 422
            )
        failed = [index for index, answer in enumerate(answers) if answer is None]
        if failed:
            problems = [
                {"loc": [field, index], "msg": not_finite, "type": "output_not_finite"} for index in failed
            ]
            return JSONResponse(error_body(problems), status_code=422)
        if _wants_at_least_one(body.at_least_one, config):
            answers = with_likeliest_labels(predictor.task, answers)
        content = json.dumps({"predictions": answers}, allow_nan=False, separators=(",", ":"))
        return Response(content, media_type="application/json")

    # The body type is built at run time (from the recipe, or the limits); FastAPI reads it from the signature.
    predict.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=request_type),
            inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
        ],
        return_annotation=Response,
    )
    app.post(
        "/predict",
        summary=f"Predict {' or '.join(fields)}",
        description=f"One answer per {noun}, in order. Concurrent requests share model calls.",
        response_model=schema or response_model(predictor.task),
        responses=_ERRORS,
        dependencies=[Depends(require_json)],
    )(predict)


def _add_text_routes(
    app: FastAPI,
    predictor: ServablePredictor,
    config: ServeConfig,
    batcher: MicroBatcher[Any, Any],
    backend: str,
) -> None:
    """Texts in: a classifier answers labels and probabilities; a tagger, words, tags and entities (and takes
    sentences already split into words too)."""
    request_type = texts_request_model(
        max_texts=config.max_rows,
        forbid_extra_fields=config.forbid_extra_fields,
        fields=getattr(predictor.recipe, "fields", ()),
        text_col=getattr(predictor.recipe, "text_col", None),
        blank_notes=True,
        accepted=predictor.task.target_names,
    )
    schema, noun = response_model(predictor.task, blank_notes=True), "text"
    fields: tuple[str, ...] = ("texts",)
    if predictor.task.kind == "tagging":
        from trainwell.serve.tagging import tagging_metadata, tagging_request_model, tagging_response_model

        request_type = tagging_request_model(
            max_sentences=config.max_rows, forbid_extra_fields=config.forbid_extra_fields
        )
        fields, noun = ("texts", "words"), "sentence"
        metadata = tagging_metadata(predictor, config, backend=backend)
        summary = "Task, tags, vocabulary, metrics, versions and limits"
        schema = tagging_response_model([str(c) for c in predictor.task.classes])
    else:
        metadata = text_metadata(predictor, config, backend=backend)
        summary = "Task, text column, tokenizer, metrics, versions and limits"
    _health_and_metadata(app, metadata, summary)
    _json_predict_route(app, predictor, config, batcher, request_type, fields, noun, _NOT_FINITE_TEXT, schema)


def _add_image_routes(
    app: FastAPI,
    predictor: ServablePredictor,
    config: ServeConfig,
    batcher: MicroBatcher[Any, Any],
    backend: str,
) -> None:
    metadata = metadata_document(predictor, config, backend=backend)
    json_model = with_tta(
        with_at_least_one(
            images_request_model(
                max_images=config.max_images, forbid_extra_fields=config.forbid_extra_fields
            ),
            predictor.task,
            "image",
        ),
        "vision",
    )
    body_schema = images_request_body(
        json_model,
        max_images=config.max_images,
        formats=accepted_formats(),
        multilabel=predictor.task.kind == "multilabel",
    )
    parse = partial(
        image_request,
        request_model=json_model,
        max_images=config.max_images,
        forbid_extra_fields=config.forbid_extra_fields,
    )
    decode = partial(decode_noted_images, recipe=predictor.recipe, max_pixels=config.max_image_pixels)

    summary = "Task, image size, formats, metrics, versions and limits"
    _health_and_metadata(app, metadata, summary, VisionMetadataResponse)

    @app.post(
        "/predict",
        summary="Predict images",
        description="One answer per image, in order. Concurrent requests share model calls.",
        response_model=response_model(predictor.task, image_notes=True),
        responses=_IMAGE_ERRORS,
        openapi_extra={"requestBody": body_schema},
    )
    async def predict(request: Request) -> Response:
        body = await request.body()  # over the size limit: BodyTooLarge, a 413
        content_type = request.headers.get("content-type", "")
        try:
            items, asked = parse(body, content_type)  # JSON or multipart, base64: cheap
            note_items(request.scope, len(items))
            refused = at_least_one_problem(predictor.task, asked.at_least_one, "vision") or tta_problem(
                predictor.task, asked.tta, "vision"
            )
            if refused is not None:
                raise ImageRequestError(422, [refused])
            if pixel_count(items) <= INLINE_DECODE_PIXELS:
                images, notes = decode(items)
            else:
                images, notes = await run_in_threadpool(decode, items)
        except ImageRequestError as error:
            return JSONResponse(error_body(error.problems), status_code=error.status)
        try:
            # Each image with whether it is answered with TTA: a batch may mix requests that ask it and others.
            wants_tta = config.tta if asked.tta is None else asked.tta
            answers = await batcher.submit(
                [(image, wants_tta) for image in images], request.scope.get(TICKET_KEY)
            )
        except UserError as error:  # the predictor refused the pixels (decoding should have caught it)
            return JSONResponse(
                error_body([{"loc": ["images"], "msg": str(error), "type": "invalid_images"}]), 422
            )
        failed = [index for index, answer in enumerate(answers) if answer is None]
        if failed:
            problems = [
                {"loc": ["images", index], "msg": _NOT_FINITE_IMAGE, "type": "output_not_finite"}
                for index in failed
            ]
            return JSONResponse(error_body(problems), status_code=422)
        if _wants_at_least_one(asked.at_least_one, config):
            answers = with_likeliest_labels(predictor.task, answers)
        for answer, note in zip(answers, notes, strict=True):  # not at the training size or mode: say so
            if answer is not None:
                answer.update(note)
        content = json.dumps({"predictions": answers}, allow_nan=False, separators=(",", ":"))
        return Response(content, media_type="application/json")


def _wants_at_least_one(asked: bool | None, config: ServeConfig) -> bool:
    """What a request's answers get: its own ``at_least_one`` where it says one, else the server's default."""
    return config.at_least_one if asked is None else asked


def _check_at_least_one(predictor: Any, config: ServeConfig) -> None:
    """Refuse ``at_least_one`` (``--at-least-one``) at start-up for a model that is not multi-label, before any
    route is built: every request would get answers it did not ask to change."""
    if not config.at_least_one:
        return
    task = getattr(predictor, "task", None)
    if getattr(task, "kind", None) != "multilabel":
        from trainwell.data.at_least_one import refusal_for

        application = getattr(predictor, "application", None)
        raise ConfigError(refusal_for(task, application, option="at_least_one (--at-least-one)"))


_NOT_FINITE_TEXT = "the model's output for this text is not a finite number; the model may be damaged"
_NOT_FINITE_IMAGE = "the model's output for this image is not a finite number; the model may be damaged"
_NOT_FINITE = (
    "the model's output for this row is not a finite number; an input is far outside the training data: "
    "check the row's values"
)


def _check_servable(predictor: Any, source: object) -> None:
    from trainwell.export.predictor import refuse_generic, refuse_language_model

    refuse_language_model(getattr(predictor, "metadata", None), str(source), "serving over HTTP")
    refuse_generic(getattr(predictor, "metadata", None), str(source), "serving over HTTP")
    kind = getattr(getattr(predictor, "task", None), "kind", None)
    needed = ("task", "recipe", "tag") if kind == "tagging" else ("task", "recipe", "predict_proba")
    missing = [name for name in needed if not hasattr(predictor, name)]
    if missing:
        application = getattr(predictor, "application", type(predictor).__name__)
        raise ConfigError(
            f"cannot serve {source!r}: the server needs a tabular, vision or text predictor (with task, recipe and "
            f"predict_proba), got {application!r} without {', '.join(missing)}; pass a model directory "
            "written by `trainwell fit`"
        )


def _description(predictor: ServablePredictor) -> str:
    task = predictor.task
    classes = f" Classes: {', '.join(map(str, task.classes))}." if task.classes else ""
    if task.kind == "tagging":
        return (
            f"Tags of a trainwell tagger.{classes} POST texts to /predict as JSON "
            '{"texts": ["...", ...]}; each answer lists the words, their tags and the entities they mark, with '
            'character offsets. Sentences already split into words go as {"words": [["...", ...], ...]}: the tags '
            "are then those of the words sent, one each, and entities have word indices but no character "
            "offsets (null). GET /metadata lists the limits."
        )
    if predictor.application == "text":
        return (
            f"Predictions of a trainwell text model ({task.kind}).{classes} POST texts to /predict as JSON "
            '{"texts": ["...", ...]}, or as rows holding the text column (one of the two); each must hold a '
            "non-space character. GET /metadata lists the limits."
        )
    if predictor.application == "vision":
        height, width = predictor.recipe.size
        return (
            f"Predictions of a trainwell vision model ({task.kind}).{classes} POST images to /predict as JSON "
            '{"images": ["<base64>", ...]}, as files in the multipart/form-data field "images" (or "file"), or '
            "one image as the body with its own Content-Type (image/png...), as application/octet-stream or with "
            "none; "
            f"each is fitted to {height}x{width} as in training (its answer's resized_from, [width, height], and "
            "converted_from, its mode, say where it was not at that size or in the training mode). "
            'Add "tta": true (a form field tta=true) for '
            "test-time augmentation, as trainwell predict --tta. GET /metadata lists the formats and limits."
        )
    return (
        f"Predictions of a trainwell {predictor.application} model ({task.kind}).{classes} "
        "POST rows to /predict: every input field of a row is required and may be null (a missing value); "
        "unseen categories are read as the column's rare values (or as missing), and each answer's unseen names "
        "them, so a caller can distrust those rows. GET /metadata lists the inputs and their known values."
    )


def app_from_env() -> FastAPI:
    """App factory for multi-worker servers: the model from ``$TRAINWELL_SERVE_MODEL`` and the settings
    (:meth:`ServeConfig.to_dict` as JSON) from ``$TRAINWELL_SERVE_OPTIONS``; with ``$TRAINWELL_SERVE_METRICS_DIR``
    (an empty folder, the same for every worker) ``GET /metrics`` answers with the sums over the workers.

    Example:
        ``TRAINWELL_SERVE_MODEL=model/ uvicorn --factory trainwell.serve.app:app_from_env --workers 2``
    """
    model = os.environ.get(MODEL_ENV)
    if not model:
        raise ConfigError(f"${MODEL_ENV} is not set; set it to the model directory to serve")
    try:
        options = json.loads(os.environ.get(OPTIONS_ENV) or "{}")
    except json.JSONDecodeError as error:
        raise ConfigError(f"${OPTIONS_ENV} is not valid JSON ({error.msg}); unset it or fix it") from error
    if not isinstance(options, dict):
        raise ConfigError(f"${OPTIONS_ENV} must hold a JSON object of settings, got {options!r}")
    known = set(inspect.signature(ServeConfig).parameters)
    unknown = sorted(set(options) - known)
    if unknown:
        raise ConfigError(f"${OPTIONS_ENV} has unknown settings {unknown}; known: {', '.join(sorted(known))}")
    app = create_app(Path(model), **options)
    shared = os.environ.get(METRICS_DIR_ENV)
    if shared:
        if not Path(shared).is_dir():
            raise ConfigError(f"${METRICS_DIR_ENV} is '{shared}', not a folder; unset it or make the folder")
        app.state.metrics.share(Path(shared))
    return app
