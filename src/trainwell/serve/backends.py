"""Which engine runs the model: PyTorch (``trainwell.export.load``) or onnxruntime (``OnnxPredictor``).

- ``"torch"``: the PyTorch predictor, from ``model.safetensors``.
- ``"onnx"``: onnxruntime on ``model.onnx`` (written by ``trainwell export MODEL --onnx``); needs the ``onnx``
  extra. The export must have recorded a passing parity check in ``trainwell.json``: a ``model.onnx`` left
  over from an earlier model has no such record once the model is trained again, and is refused.
- ``"auto"``: ``"onnx"`` when it can be used (the file, a passing parity record of these very weights and graph,
  onnxruntime installed) and the
  export did not measure it slower than PyTorch (boosted trees, for one: PyTorch's walk
  leaves the rows at a leaf behind, the exported one walks every row to the deepest leaf), else ``"torch"``.
  Both give the same answers (the export checked it).

  How "slower" is read (:func:`onnx_measured_slower`). A table or image model exported by this version was timed
  end to end, as the server runs each backend (``speed.scope == "end_to_end"``: the rows as JSON objects through
  the recipe's encoding, the model and the activation; 1, 64 and 1000 rows, or 1 and 64 images; medians, both
  backends side by side). ``auto`` keeps PyTorch when onnxruntime took over :data:`SLOWER` times PyTorch's time at
  the largest size timed (a table's encoding is the same numpy code on both, so ONNX's gain on the model call
  alone can be lost on a large request; the largest request is also the steadiest figure), or at most of the
  sizes. One smaller size alone does not: on a busy machine one figure can be an outlier (tour71: 64 rows timed
  1.5x slower between 1 and 1000 rows timed 0.6x, and a single row slower than 64), and flipping to PyTorch
  costs seconds of every start. Up to :data:`SLOWER` times is still ONNX: within the noise of a busy machine,
  and an ONNX server never imports torch (seconds less to start, about 170 MB less memory per process), which
  is worth a little time per request. An older export timed the model call alone on a batch of 64 (``speed`` with
  no ``scope``): the same rule on that one figure, and the server's start-up line says it was the graph alone.

The onnx backend runs on numpy and onnxruntime: nothing on its way imports torch (seconds of a server's start;
:mod:`trainwell.export.predictor` imports it only where it builds a PyTorch model).
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from typing import Any

from trainwell.core.artifact import check_weights, read_metadata
from trainwell.core.errors import ConfigError
from trainwell.export.predictor import load, refuse_generic
from trainwell.serve.config import BACKENDS

__all__ = [
    "BACKENDS",
    "ONNX_FILE",
    "auto_choice_reason",
    "auto_choice_words",
    "load_predictor",
    "onnx_parity_passed",
    "resolve_backend",
    "slower_words",
]

#: The file :func:`trainwell.export.onnx.export_onnx` writes (named here to keep onnx imports lazy).
ONNX_FILE = "model.onnx"
#: ``"auto"`` keeps PyTorch when the export measured onnxruntime slower than this many times its time (timings
#: within a quarter of each other may be noise).
SLOWER = 1.25
#: The applications whose export this version times end to end (a re-export of an older one would).
END_TO_END_APPLICATIONS = ("tabular", "vision")


def onnx_parity_passed(metadata: dict[str, Any]) -> bool:
    """Whether ``trainwell.json`` records an ONNX export whose parity check with PyTorch passed."""
    entry = metadata.get("onnx")
    if not isinstance(entry, dict) or entry.get("file") != ONNX_FILE:
        return False
    difference, tolerance = entry.get("max_scaled_diff"), entry.get("tolerance")
    numbers = [value for value in (difference, tolerance) if isinstance(value, (int, float))]
    if len(numbers) != 2 or not all(math.isfinite(value) for value in numbers):
        return False
    return bool(numbers[0] <= numbers[1])


def onnx_out_of_date(directory: Path, metadata: dict[str, Any]) -> str | None:
    """Which file of ``directory`` changed since the ONNX export checked them (``model.safetensors`` replaced by
    other weights, ``model.onnx`` by another graph), or ``None`` when both are the ones checked or the export
    recorded no digests (before trainwell recorded them)."""
    from trainwell.core.model_dir import WEIGHTS_FILE, file_digest

    recorded = (metadata.get("onnx") or {}).get("sha256")
    if not isinstance(recorded, dict):
        return None
    if (directory / WEIGHTS_FILE).is_file():
        check_weights(directory)  # damaged weights are said as damaged, not as other weights
    for name in (WEIGHTS_FILE, ONNX_FILE):
        path = directory / name
        if name in recorded and path.is_file() and file_digest(path) != recorded[name]:
            return name
    return None


def _stale_words(directory: Path, changed: str) -> str:
    checked = "it" if changed == ONNX_FILE else ONNX_FILE
    return (
        f"{changed} changed since `trainwell export` checked {checked} against the weights, so {ONNX_FILE} may "
        f"be another model's; re-export it with `trainwell export {directory} --onnx`"
    )


def timed_batches(metadata: dict[str, Any]) -> list[dict[str, float]]:
    """The export's timings in ``trainwell.json``, one per request size: ``{"items", "onnxruntime_ms",
    "torch_ms"}`` with finite numbers (end to end where ``speed.scope`` says so, else the one graph-only batch);
    ``[]`` when none was recorded."""
    speed = (metadata.get("onnx") or {}).get("speed")
    if not isinstance(speed, dict):
        return []
    batches = speed.get("batches") if speed.get("scope") == "end_to_end" else None
    found = batches if isinstance(batches, list) else [speed]
    keys = ("items", "onnxruntime_ms", "torch_ms")
    return [
        {key: batch[key] for key in keys}
        for batch in found
        if isinstance(batch, dict)
        and all(isinstance(batch.get(key), (int, float)) and math.isfinite(batch[key]) for key in keys)
    ]


def end_to_end_timed(metadata: dict[str, Any]) -> bool:
    """Whether the export timed both backends end to end (this version's table and image exports)."""
    speed = (metadata.get("onnx") or {}).get("speed")
    return isinstance(speed, dict) and speed.get("scope") == "end_to_end" and bool(timed_batches(metadata))


def slower_sizes(metadata: dict[str, Any]) -> list[int]:
    """The request sizes at which the export timed onnxruntime over :data:`SLOWER` times PyTorch's time."""
    return [
        int(batch["items"])
        for batch in timed_batches(metadata)
        if batch["onnxruntime_ms"] > SLOWER * batch["torch_ms"] > 0
    ]


def onnx_measured_slower(metadata: dict[str, Any]) -> bool:
    """Whether the ONNX export timed onnxruntime more than :data:`SLOWER` times PyTorch at the largest request
    size it measured, or at most of them (see the module docstring): one smaller size alone may be noise."""
    batches = timed_batches(metadata)
    slower = slower_sizes(metadata)
    if not slower:
        return False
    largest = max(int(batch["items"]) for batch in batches)
    return largest in slower or 2 * len(slower) > len(batches)


def _unit(metadata: dict[str, Any]) -> str:
    return {"vision": "images", "text": "texts"}.get(str(metadata.get("application")), "rows")


def _sizes(sizes: list[int]) -> str:
    return ", ".join(str(size) for size in sizes[:-1]) + (" and " if len(sizes) > 1 else "") + str(sizes[-1])


def slower_words(metadata: dict[str, Any]) -> str:
    """Where the export timed onnxruntime over :data:`SLOWER` times slower, and whether that decides
    (``"over 1.25x slower at 1000 rows, the largest request timed"``; ``"over 1.25x slower at 64 rows only, of
    1/64/1000 rows timed: one smaller size alone (maybe noise), not enough to leave it"``); ``""`` when it was
    at no size."""
    slower = slower_sizes(metadata)
    if not slower:
        return ""
    batches = timed_batches(metadata)
    unit = _unit(metadata)
    at = f"over {SLOWER:g}x slower at {_sizes(slower)} {unit if slower != [1] else unit.removesuffix('s')}"
    if len(batches) == 1:
        return at
    if not onnx_measured_slower(metadata):
        timed = "/".join(str(int(batch["items"])) for batch in batches)
        return f"{at} only, of {timed} {unit} timed: one smaller size alone (maybe noise), not enough to leave it"
    largest = max(int(batch["items"]) for batch in batches)
    return f"{at}, {'the largest request timed' if largest in slower else 'most of the sizes timed'}"


def speed_words(metadata: dict[str, Any]) -> str:
    """The export's timings in a line: ``"end to end at export: 1/64/1000 rows in 0.9/3.1/40 ms on onnxruntime,
    0.8/3.5/30 ms on PyTorch"``; ``""`` when none was recorded."""
    batches = timed_batches(metadata)
    if not batches:
        return ""
    unit = _unit(metadata)

    def joined(key: str) -> str:
        return "/".join(f"{batch[key]:.3g}" if key != "items" else str(int(batch[key])) for batch in batches)

    if end_to_end_timed(metadata):
        scope = "end to end"
    elif metadata.get("application") in END_TO_END_APPLICATIONS:
        scope = "the model call alone (re-export to time it end to end)"
    else:  # a text model or a recommender: its export times the graph alone, a re-export would too
        scope = "the model call alone"
    return (
        f"timed {scope} at export: {joined('items')} {unit} in {joined('onnxruntime_ms')} ms on onnxruntime, "
        f"{joined('torch_ms')} ms on PyTorch"
    )


def auto_choice_words(model_dir: str | Path, chosen: str) -> str | None:
    """What ``"auto"`` chose ``chosen`` on, for the server's start-up line: the reason it kept PyTorch
    (:func:`auto_choice_reason`), or the export's timings it took onnxruntime on; ``None`` when there is nothing
    to say (no ``model.onnx``)."""
    if chosen == "torch":
        return auto_choice_reason(model_dir)
    metadata = read_metadata(Path(model_dir))
    words = speed_words(metadata)
    if not words:
        return "auto: the export recorded no timing"
    slower = slower_words(metadata)
    return f"auto: {words}" + (f"; onnxruntime {slower}" if slower else "")


def auto_choice_reason(model_dir: str | Path) -> str | None:
    """Why ``"auto"`` keeps PyTorch for ``model_dir`` although it has a ``model.onnx`` (said when the server
    starts), or ``None`` when it has none or takes it."""
    directory = Path(model_dir)
    if not (directory / ONNX_FILE).is_file():
        return None
    metadata = read_metadata(directory)
    if (metadata.get("task") or {}).get("kind") == "language_model":
        return f"a language model's {ONNX_FILE} is one step of a stream, for other ONNX runtimes"
    if not onnx_parity_passed(metadata):
        return (
            f"its {ONNX_FILE} has no passing parity check in trainwell.json (left over from an earlier model?); "
            f"re-export it with `trainwell export {directory} --onnx`"
        )
    changed = onnx_out_of_date(directory, metadata)
    if changed is not None:
        return _stale_words(directory, changed)
    if not _onnxruntime_installed():
        return "onnxruntime is not installed (pip install 'trainwell[onnx]')"
    if onnx_measured_slower(metadata) and end_to_end_timed(metadata):
        return f"auto: onnxruntime was {slower_words(metadata)}, {speed_words(metadata)}; --backend onnx serves it anyway"
    if onnx_measured_slower(metadata):
        speed = metadata["onnx"]["speed"]
        return (
            f"the export timed onnxruntime at {speed['onnxruntime_ms']:.3g} ms a batch against PyTorch's "
            f"{speed['torch_ms']:.3g} ms; --backend onnx serves it anyway"
        )
    return None


def resolve_backend(
    model_dir: str | Path, backend: str = "auto", *, instead: str = "pass --backend torch"
) -> str:
    """The backend ``"torch"`` or ``"onnx"`` that ``backend`` means for ``model_dir``.

    ``instead`` is the way round an unusable ``model.onnx`` that the error offers, in the caller's words:
    ``trainwell predict MODEL/model.onnx`` has no ``--backend``; its user passes the directory instead.

    Raises:
        ConfigError: ``backend`` is not one of :data:`BACKENDS`, or it is ``"onnx"`` and the directory has no
            ``model.onnx`` with a passing parity check.
    """
    if backend not in BACKENDS:
        raise ConfigError(
            f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}; pass e.g. --backend auto"
        )
    if backend == "torch":
        return backend
    directory = Path(model_dir)
    metadata = read_metadata(directory)
    if (metadata.get("task") or {}).get("kind") == "language_model":
        # Its graph is one step of a stream (the caller carries the LSTM state), for other runtimes; the
        # server generates and scores with PyTorch.
        if backend == "onnx":
            raise ConfigError(
                f"a language model is served with PyTorch: its {ONNX_FILE} (one step of the stream, the state "
                "carried by the caller) is for other ONNX runtimes; pass --backend torch or auto"
            )
        return "torch"
    has_file = (directory / ONNX_FILE).is_file()
    passed = has_file and onnx_parity_passed(metadata)
    changed = onnx_out_of_date(directory, metadata) if passed else None
    if backend == "auto":
        usable = passed and changed is None and _onnxruntime_installed()
        return "onnx" if usable and not onnx_measured_slower(metadata) else "torch"
    if not has_file:
        raise ConfigError(
            f"backend 'onnx' needs {ONNX_FILE} in the model directory '{directory}', which has none; write it "
            f"with `trainwell export {directory} --onnx`, or {instead}"
        )
    if not passed:
        raise ConfigError(
            f"backend 'onnx': {directory / ONNX_FILE} has no passing parity check recorded in trainwell.json "
            f"(it may be left over from an earlier model); re-export it with `trainwell export {directory} "
            f"--onnx`, or {instead}"
        )
    if changed is not None:
        raise ConfigError(f"backend 'onnx': {_stale_words(directory, changed)}, or {instead}")
    return backend


def load_predictor(
    model_dir: str | Path,
    backend: str = "auto",
    *,
    threads: int | None = None,
    instead: str = "pass --backend torch",
) -> tuple[Any, str]:
    """The predictor of ``model_dir`` on the chosen backend, and that backend (``"torch"`` or ``"onnx"``).

    Args:
        model_dir: A model directory written by ``trainwell fit`` (and ``trainwell export --onnx`` for onnx).
        backend: ``"auto"``, ``"torch"`` or ``"onnx"`` (see the module docstring).
        threads: onnxruntime intra-op threads for the onnx backend (``None``: onnxruntime's choice).
        instead: What an error about an unusable ``model.onnx`` offers in its place (:func:`resolve_backend`).

    Raises:
        ConfigError: As :func:`resolve_backend`.
        ArtifactError: The directory (or its ``model.onnx``) cannot be loaded, or (onnx) its
            ``model.safetensors`` is missing or damaged (checked from its header and size, not loaded).
        OnnxDependencyError: ``backend="onnx"`` without onnxruntime installed.
    """
    refuse_generic(read_metadata(Path(model_dir)), model_dir, "serving over HTTP")
    chosen = resolve_backend(model_dir, backend, instead=instead)
    if chosen == "torch":
        return load(Path(model_dir)), chosen
    # The graph does not read model.safetensors, but the directory must hold a whole model: `trainwell predict`
    # and `load` read it, and the server builds the PyTorch model from it for what the graph cannot answer.
    check_weights(model_dir)
    if (read_metadata(Path(model_dir)).get("task") or {}).get("kind") == "tagging":
        from trainwell.text.tagging.onnx import OnnxTaggerPredictor

        return OnnxTaggerPredictor(model_dir, threads=threads), chosen
    from trainwell.export.onnx_predictor import OnnxPredictor  # imports onnxruntime: only when used

    return OnnxPredictor(model_dir, threads=threads), chosen


def backend_of(predictor: Any) -> str:
    """``"onnx"`` for an :class:`~trainwell.export.onnx_predictor.OnnxPredictor` (or a tagger's), else ``"torch"``."""
    from trainwell.export.onnx_predictor import OnnxPredictor

    return (
        "onnx"
        if isinstance(predictor, OnnxPredictor) or getattr(predictor, "backend", None) == "onnx"
        else "torch"
    )


def _onnxruntime_installed() -> bool:
    # Without the onnx extra, auto serves with torch rather than failing (onnx would raise the install hint).
    return all(importlib.util.find_spec(name) is not None for name in ("onnx", "onnxruntime"))
