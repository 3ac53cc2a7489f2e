"""The server's settings, validated in one place before any model is loaded, and the environment variables that
carry them to the workers of a multi-worker server.

Light on purpose: the supervisor of ``trainwell serve --workers N`` imports this module and not the app's stack
(fastapi, pandas, numpy, torch), which only its workers need."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from trainwell.core.errors import ConfigError

#: The settings accepted for ``backend``; ``"auto"`` resolves to one of the other two
#: (:mod:`trainwell.serve.backends`).
BACKENDS = ("auto", "torch", "onnx")
#: Environment variables read by :func:`~trainwell.serve.app.app_from_env` (the app factory of multi-worker
#: servers): the model directory, and the settings as a JSON object.
MODEL_ENV, OPTIONS_ENV = "TRAINWELL_SERVE_MODEL", "TRAINWELL_SERVE_OPTIONS"
#: Read by :func:`~trainwell.serve.app.app_from_env` too: an empty folder of the server's where each worker keeps
#: its counts, so that ``GET /metrics`` answers with the whole server's
#: (:meth:`~trainwell.serve.metrics.Metrics.share`).
METRICS_DIR_ENV = "TRAINWELL_SERVE_METRICS_DIR"

#: The largest request body by default: rows and texts (1 MB), and images (32 MB: a few phone photos of 3 to
#: 8 MB each; the pixel limit guards what decoding them costs).
BODY_BYTES, IMAGE_BODY_BYTES = 1_000_000, 32_000_000
#: The largest image decoded by default, in pixels (width x height, read from its header before decoding): above
#: the phones' 48, 50 and 64 megapixel photos (8064x6048, 8160x6120, 9248x6936), below Pillow's own warning
#: against decompression bombs (89,478,485). 40,000,000 refused a 48 MP photo that ``trainwell predict`` reads.
IMAGE_PIXELS = 80_000_000
#: The most ``max_image_pixels`` may be: Pillow refuses any larger image as a decompression bomb
#: (twice its ``Image.MAX_IMAGE_PIXELS``), whatever the server allows.
PILLOW_BOMB_PIXELS = 2 * 89_478_485


@dataclass(frozen=True)
class ServeConfig:
    """Limits and batching settings of one server process.

    Attributes:
        max_batch: Most rows (or images) merged into one model call. A single request with more rows still runs, alone.
        batch_wait_ms: Longest wait, in milliseconds, for requests already being received to join a batch.
            The server never waits when no other request is in flight, so a lone client pays nothing.
        max_rows: Most rows in one request (more: 422).
        max_images: Most images in one request to a vision model (more: 422).
        max_image_pixels: Largest image a vision model's server decodes, in pixels (width x height, read from
            the image's header before decoding it: a small file can expand to gigabytes); larger: 422. At most
            :data:`PILLOW_BOMB_PIXELS`, which Pillow itself refuses.
        max_body_bytes: Largest request body in bytes (larger: 413); ``None``: :data:`IMAGE_BODY_BYTES` for an
            image model (a phone's photo is several megabytes), :data:`BODY_BYTES` for any other.
        forbid_extra_fields: Refuse a row holding a field that is not an input of the model (422); when
            ``False`` such fields are ignored.
        threads: Intra-op threads for the model calls (torch's, and onnxruntime's on the onnx backend);
            ``None`` keeps each library's default.
        backend: What runs the model: ``"torch"``, ``"onnx"`` (``model.onnx`` from ``trainwell export --onnx``)
            or ``"auto"`` (onnx when the directory has a parity-checked ``model.onnx``, else torch); see
            :mod:`trainwell.serve.backends`.
        at_least_one: Multi-label models only (refused for others when the app is created): a row with no label
            over its threshold is answered with its likeliest label instead of an empty list, unless the request
            says ``"at_least_one": false``; off by default, when a request's ``"at_least_one": true`` asks it.
        tta: Image models only (refused for others when the app is created): each image is answered with
            test-time augmentation (:mod:`trainwell.serve.tta`) unless the request says ``"tta": false``; off by
            default, when a request's ``"tta": true`` asks it.
        cors_origins: Origins a browser page may call the server from (``https://dash.example.com``; ``"*"``:
            any), answered with CORS headers and preflights (Starlette's ``CORSMiddleware``); none by default,
            when a browser refuses a page's calls from another origin.
        access_log: The access log's format: ``"text"`` (a line among the server's on standard error) or
            ``"json"`` (one JSON object a line on standard output); see :class:`~trainwell.serve._middleware.AccessLog`.
    """

    max_batch: int = 64
    batch_wait_ms: float = 2.0
    max_rows: int = 1000
    max_images: int = 64
    max_image_pixels: int = IMAGE_PIXELS
    max_body_bytes: int | None = None
    forbid_extra_fields: bool = True
    threads: int | None = None
    backend: str = "auto"
    at_least_one: bool = False
    tta: bool = False
    cors_origins: tuple[str, ...] = ()
    access_log: str = "text"

    def __post_init__(self) -> None:
        _check_origins(self)
        _check_count("max_batch", self.max_batch, "e.g. --max-batch 64")
        _check_count("max_rows", self.max_rows, "e.g. --max-rows 1000")
        _check_count("max_images", self.max_images, "e.g. --max-images 64")
        _check_count("max_image_pixels", self.max_image_pixels, f"e.g. --max-image-pixels {IMAGE_PIXELS}")
        if self.max_image_pixels > PILLOW_BOMB_PIXELS:
            raise ConfigError(
                f"max_image_pixels must be at most {PILLOW_BOMB_PIXELS} (Pillow refuses larger images as "
                f"decompression bombs), got {self.max_image_pixels}; pass e.g. --max-image-pixels {IMAGE_PIXELS}"
            )
        if self.max_body_bytes is not None:
            _check_count("max_body_bytes", self.max_body_bytes, "e.g. --max-body-bytes 1000000")
        if self.threads is not None:
            _check_count("threads", self.threads, "e.g. --threads 1, or leave it out for torch's default")
        wait = self.batch_wait_ms
        if (
            isinstance(wait, bool)
            or not isinstance(wait, (int, float))
            or not math.isfinite(wait)
            or not 0 <= wait <= 1000
        ):
            raise ConfigError(
                f"batch_wait_ms must be a number of milliseconds between 0 and 1000, got {wait!r}; "
                "pass e.g. --batch-wait-ms 2 (0 never waits)"
            )
        if self.backend not in BACKENDS:
            raise ConfigError(
                f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}; pass e.g. --backend auto"
            )
        if not isinstance(self.forbid_extra_fields, bool):
            raise ConfigError(f"forbid_extra_fields must be True or False, got {self.forbid_extra_fields!r}")
        if not isinstance(self.at_least_one, bool):
            raise ConfigError(f"at_least_one must be True or False, got {self.at_least_one!r}")
        if self.access_log not in ("text", "json"):
            raise ConfigError(
                f"access_log must be text or json, got {self.access_log!r}; pass e.g. --access-log json"
            )
        if not isinstance(self.tta, bool):
            raise ConfigError(f"tta must be True or False, got {self.tta!r}")

    def body_limit(self, application: str) -> int:
        """The largest request body a server of a model of ``application`` takes: ``max_body_bytes`` if set."""
        if self.max_body_bytes is not None:
            return self.max_body_bytes
        return IMAGE_BODY_BYTES if application == "vision" else BODY_BYTES

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain JSON data (``ServeConfig(**config.to_dict())`` rebuilds them)."""
        return asdict(self)


def _check_count(name: str, value: Any, example: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}; pass {example}")


def _check_origins(config: ServeConfig) -> None:
    """``cors_origins`` as a tuple of origins (a list from JSON too): ``scheme://host[:port]`` or ``*``."""
    origins = config.cors_origins
    if isinstance(origins, str) or not isinstance(origins, (list, tuple)):
        raise ConfigError(
            f"cors_origins must be a list of origins, got {origins!r}; pass e.g. --cors-origin URL"
        )
    for origin in origins:
        if not isinstance(origin, str) or not (
            origin == "*"
            or (origin.startswith(("http://", "https://")) and "/" not in origin.split("://", 1)[1])
        ):
            raise ConfigError(
                f"--cors-origin must be an origin such as https://dash.example.com (a scheme and a host, an "
                f"optional port, no path) or *, got {origin!r}"
            )
    object.__setattr__(config, "cors_origins", tuple(origins))
