"""Model artifacts: a directory holding the weights and the metadata needed to use them again.

Layout of an artifact directory::

    model/
      model.safetensors   the model's state dict (safetensors: plain tensors, never pickle)
      trainwell.json      metadata, UTF-8 JSON
      ...                 optional extra files (history.csv, plots), written in the same atomic step

``trainwell.json`` always holds the keys this module adds: ``"format_version"`` (int, see
:data:`FORMAT_VERSION`), ``"trainwell_version"``, ``"torch_version"``, ``"created"`` (UTC, ISO 8601) and
``"extra_files"`` (the names of the extra files, sorted). Callers
are expected to add, and readers may rely on, these keys (only ``"format_version"`` is checked here):

- ``"application"``: the application that built the model, e.g. ``"tabular"``;
- ``"task"``: the task description (a dict), e.g. ``{"kind": "binary", ...}``;
- ``"recipe"``: the fitted preprocessing (a dict), applied the same way at serving time;
- ``"architecture"``: ``{"name": str, "config": dict}``, enough to rebuild the model from the registry;
- ``"training"``: a summary (a dict) with final metrics and the per-epoch history.

Writing is atomic: the artifact is built in a hidden temporary directory beside the target (same file system),
every file is fsync'ed, and only then renamed into place. An existing artifact is renamed aside first, the new
one renamed in, and the old one deleted, so a crash leaves either the old or the new artifact at the target.
Files of the old directory that no save wrote (notes, a report, a folder of the user's) are carried into the
new one, with a warning that names them.
The one window where the target name is briefly absent (between the two renames) leaves the old artifact
complete under ``.<name>.old-<id>``; :func:`read_artifact` names it in its error message. A crash while
building leaves a hidden ``.<name>.tmp-<id>`` directory that is safe to delete.

Reading never unpickles anything: weights go through ``safetensors`` and metadata through ``json``. Artifacts
of an older format are upgraded by the small functions in :mod:`trainwell.core._migrations`.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path, PurePath, PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar

import trainwell
from trainwell.core._migrations import FORMAT_VERSION, migrate
from trainwell.core.atomic import make_readable
from trainwell.core.errors import ArtifactError
from trainwell.core.model_dir import FIT_CHECKPOINT_FILE, METADATA_FILE, REPORT_TITLE, WEIGHTS_FILE
from trainwell.core.model_dir import RESERVED_NAMES as _RESERVED_NAMES
from trainwell.core.model_dir import check_model_directory as _check_model_directory
from trainwell.core.warn import warn

if TYPE_CHECKING:
    import torch

T = TypeVar("T")

__all__ = [
    "FIT_CHECKPOINT_FILE",
    "FORMAT_VERSION",
    "METADATA_FILE",
    "WEIGHTS_FILE",
    "check_stored_keys",
    "check_weights",
    "holds_only_a_fit_checkpoint",
    "is_fit_checkpoint_file",
    "metadata_entry",
    "migrate",
    "read_artifact",
    "read_metadata",
    "save_artifact",
    "to_jsonable",
]

#: Files a model directory holds that describe its model, whoever saves it: a save replacing the directory
#: drops those it does not write again (a stale ONNX export, the old curves, the fit's checkpoint); every other
#: file is kept.
MODEL_FILES = frozenset(
    {
        WEIGHTS_FILE,
        METADATA_FILE,
        "model.onnx",
        "history.csv",
        "curves.png",
        "lr_find.png",
        "tuning.json",
        FIT_CHECKPOINT_FILE,
    }
)


def is_fit_checkpoint_file(name: str) -> bool:
    """Whether ``name`` is a fit's checkpoint in a model directory, or the temporary file of one being written
    (left behind by a process killed during the write)."""
    return name == FIT_CHECKPOINT_FILE or name.startswith(f".{FIT_CHECKPOINT_FILE}.")


def holds_only_a_fit_checkpoint(directory: Path) -> bool:
    """Whether ``directory`` holds a fit's checkpoint and nothing else: a fit that was stopped before its model
    was first written, which may be written there still."""
    names = [entry.name for entry in directory.iterdir()] if directory.is_dir() else []
    return bool(names) and all(is_fit_checkpoint_file(name) for name in names)


def check_stored_keys(data: Mapping[str, Any], expected: Iterable[str], what: str) -> None:
    """Refuse a stored entry (a recipe, a tokenizer) whose keys are not exactly ``expected``.

    Raises:
        ArtifactError: Naming the missing and the unknown keys, e.g. ``tabular recipe has missing keys ...``.
    """
    wanted = set(expected)
    missing, unknown = sorted(wanted - set(data)), sorted(set(data) - wanted)
    if missing or unknown:
        raise ArtifactError(
            f"{what} has missing keys {missing} and unknown keys {unknown}; "
            "the artifact is corrupted or from another trainwell version"
        )


def metadata_entry(
    metadata: Mapping[str, Any],
    key: str,
    build: Callable[[Any], T],
    errors: tuple[type[Exception], ...] = (KeyError, TypeError, AttributeError, ValueError),
) -> T:
    """``build(metadata[key])``, or an :class:`ArtifactError` naming the entry of ``trainwell.json`` that is
    missing or malformed (a ``KeyError``, ``TypeError``... raised while reading it names neither).

    ``errors`` are the exceptions that mean a malformed entry; building a model from its architecture entry
    passes ``(Exception,)``: whatever a hand-edited size makes the builder raise (torch's ``RuntimeError`` for
    ``layers: [-5]``) says the entry is wrong, and the original stays chained as the cause.

    Example:
        >>> metadata_entry({"task": None}, "task", lambda entry: entry["kind"])
        Traceback (most recent call last):
        ...
        trainwell.core.errors.ArtifactError: trainwell.json has no valid 'task' entry (TypeError: 'NoneType' object is not subscriptable); the file is damaged or not from trainwell: restore it or re-export the model
    """
    if key not in metadata:
        problem = "it is missing"
    else:
        try:
            return build(metadata[key])
        except errors as error:
            first_line = str(error).strip().split("\n", 1)[0]  # one line, whatever the builder raised
            problem = f"{type(error).__name__}: {first_line}"
            raise _no_valid_entry(key, problem) from error
    raise _no_valid_entry(key, problem)


def _no_valid_entry(key: str, problem: str) -> ArtifactError:
    return ArtifactError(
        f"{METADATA_FILE} has no valid {key!r} entry ({problem}); the file is damaged or not from trainwell: "
        "restore it or re-export the model"
    )


def to_jsonable(obj: Any, path: str = "metadata") -> Any:
    """Convert ``obj`` to plain JSON types, or raise naming the first value that cannot be converted.

    Numpy scalars and arrays become Python numbers and lists, tuples become lists and paths become strings.
    Floats may be NaN or infinite (written as ``NaN``/``Infinity``, which Python's ``json`` reads back).

    Args:
        obj: The value to convert: nested dicts (with ``str`` keys), lists, tuples and scalars.
        path: How to name ``obj`` in error messages; nested values extend it, e.g. ``metadata['task']['classes']``.

    Returns:
        A structure of ``dict``, ``list``, ``str``, ``int``, ``float``, ``bool`` and ``None`` only.

    Raises:
        ArtifactError: If a value (or a dict key) has a type JSON cannot hold; the message names its path.

    Example:
        >>> import numpy as np
        >>> to_jsonable({"best": np.float32(0.5), "shape": (2, 3)})
        {'best': 0.5, 'shape': [2, 3]}
    """
    import numpy as np

    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, np.generic):
        # .item() turns float32/int64/bool_ into Python numbers; checking the result catches datetime64 etc.
        return to_jsonable(obj.item(), path)
    if isinstance(obj, (int, float)):
        return obj
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist(), path)
    if isinstance(obj, PurePath):
        return str(obj)
    if isinstance(obj, Mapping):
        converted = {}
        for key, value in obj.items():
            if not isinstance(key, str):
                raise ArtifactError(
                    f"{path} has the key {key!r} of type {_type_name(key)}; JSON object keys must be str: "
                    f"convert the key with str() before saving"
                )
            converted[key] = to_jsonable(value, f"{path}[{key!r}]")
        return converted
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(item, f"{path}[{index}]") for index, item in enumerate(obj)]
    tensor = type(obj).__module__.startswith("torch") and type(obj).__name__ == "Tensor"
    hint = " (for a tensor use .item() or .tolist())" if tensor else ""
    raise ArtifactError(
        f"{path} is a {_type_name(obj)}, which cannot be stored in {METADATA_FILE}; convert it to "
        f"str, int, float, bool, None, list or dict before saving{hint}"
    )


def save_artifact(
    directory: str | Path,
    state_dict: Mapping[str, torch.Tensor],
    metadata: Mapping[str, Any],
    *,
    extra_files: Mapping[str, bytes] | None = None,
) -> Path:
    """Write a model artifact atomically: after a crash the target holds the old artifact or the new one.

    Args:
        directory: The artifact directory. It may be missing (parents are created), empty, or an existing
            artifact, which is replaced.
        state_dict: The model's tensors, e.g. ``model.state_dict()``. Tensors may be on any device, non-contiguous
            or share storage (tied weights); each key is stored as its own tensor, so loading it with
            ``model.load_state_dict`` into a model whose weights are tied keeps them tied.
        metadata: JSON-able metadata (see the module docstring for the expected keys). ``"format_version"``,
            ``"trainwell_version"``, ``"torch_version"`` and ``"created"`` are added, replacing any given.
        extra_files: Small files to store beside the weights, ``{relative name: content}``, e.g.
            ``{"history.csv": b"..."}``. Names may contain ``/`` for sub-folders.

    Returns:
        The absolute path of the artifact directory.

    Raises:
        ArtifactError: If ``directory`` exists and is not a trainwell model directory, if ``metadata`` holds a
            value JSON cannot store, if a state-dict entry is not a dense tensor, or if an extra file name is
            invalid. Nothing is written to the target in these cases.
    """
    shown = str(directory)
    target = Path(os.path.abspath(directory))
    _check_writable_target(target, shown)
    extra_files = extra_files or {}
    _check_extra_names(extra_files)
    document = _metadata_document(metadata, extra_files)
    tensors = _prepare_tensors(state_dict)

    replaced = _replaced_kind(target, document)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = _sibling(target, "tmp")
    # mkdir (not tempfile.mkdtemp) so the artifact gets the usual umask permissions, not 0o700.
    staging.mkdir()
    try:
        _write_contents(staging, tensors, document, extra_files)
        kept, reports = _keep_other_files(target, staging)
        _move_into_place(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if reports:
        warn(
            f"removed {', '.join(reports)} from '{shown}': the report of the model this save replaced (trainwell "
            f"report {shown} --data ROWS writes one of the new model)",
            UserWarning,
        )
    if replaced:
        warn(f"replaced {replaced} in '{shown}' with {_kind_of(json.loads(document))}", UserWarning)
    if kept:
        warn(
            f"kept {', '.join(kept)} in '{shown}' from the model directory this save replaced (files it does not "
            "write; one that described the old model, such as a report, describes it still)",
            UserWarning,
        )
    return target


def _kind_of(metadata: Mapping[str, Any]) -> str:
    """A model's kind in words, from its metadata: ``"a vision multiclass model"``."""
    application = metadata.get("application")
    task = metadata.get("task")
    kind = task.get("kind") if isinstance(task, Mapping) else None
    words = " ".join(str(word) for word in (application, kind) if isinstance(word, str) and word)
    return f"a {words} model" if words else "a model"


def _replaced_kind(target: Path, document: str) -> str | None:
    """The model of another kind (application or task) that a save to ``target`` replaces, in words with its
    date (``"the vision multiclass model fitted 2026-12-06T19:47:03+00:00"``), or ``None``: an image model
    replaced by a table model had gone without a word. The same kind fitted again is the usual reuse of --out."""
    try:
        old = json.loads((target / METADATA_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # no model there, or a damaged one: nothing to name
        return None
    if not isinstance(old, dict):
        return None
    old_kind, new_kind = _kind_of(old), _kind_of(json.loads(document))
    if old_kind == new_kind:
        return None
    created = old.get("created")
    return "the" + old_kind.removeprefix("a") + (f" fitted {created}" if isinstance(created, str) else "")


def read_metadata(directory: str | Path) -> dict[str, Any]:
    """Read and validate ``trainwell.json`` only (no weights), upgraded to the current format.

    Args:
        directory: An artifact directory written by :func:`save_artifact`.

    Returns:
        The metadata, with ``"format_version"`` equal to :data:`FORMAT_VERSION`.

    Raises:
        ArtifactError: If the directory is missing or not an artifact, if ``trainwell.json`` is not valid JSON
            or has no ``"format_version"``, or if it was written by a newer trainwell.
    """
    shown = str(directory)
    path = Path(directory)
    _check_model_directory(path, shown)
    metadata_path = path / METADATA_FILE
    try:
        metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ArtifactError(
            f"{metadata_path} is not valid JSON ({error.msg.removesuffix(' at')} at line {error.lineno}, column {error.colno}); "
            f"the file is damaged: restore it or re-export the model"
        ) from error
    except UnicodeDecodeError as error:
        raise ArtifactError(
            f"{metadata_path} is not UTF-8 text ({error.reason} at byte {error.start}); "
            f"the file is damaged: restore it or re-export the model"
        ) from error
    if not isinstance(metadata, dict):
        raise ArtifactError(
            f"{metadata_path} must hold a JSON object, found a JSON {type(metadata).__name__}; "
            f"the file is damaged or not from trainwell: re-export the model"
        )
    version = metadata.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ArtifactError(
            f"{metadata_path} needs a non-negative integer 'format_version', found {version!r}; "
            f"the file is damaged or not from trainwell: re-export the model"
        )
    if version > FORMAT_VERSION:
        raise ArtifactError(
            f"model directory '{shown}' was written by a newer trainwell (format {version}); upgrade trainwell "
            f"(this version reads formats up to {FORMAT_VERSION}): pip install --upgrade trainwell"
        )
    return migrate(metadata, source=str(metadata_path))


def read_artifact(directory: str | Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Read an artifact: its metadata (upgraded to the current format) and its state dict, on the CPU.

    Nothing is unpickled: a pickle or ``torch.save`` file in place of ``model.safetensors`` is refused
    without being executed.

    Args:
        directory: An artifact directory written by :func:`save_artifact`.

    Returns:
        ``(metadata, state_dict)``; pass ``state_dict`` to ``model.load_state_dict``.

    Raises:
        ArtifactError: For everything :func:`read_metadata` refuses, and if ``model.safetensors`` is missing,
            corrupted, truncated or not a safetensors file.
    """
    import safetensors
    from safetensors.torch import load_file

    metadata = read_metadata(directory)
    weights_path = _weights_path(directory)
    try:
        state_dict = load_file(weights_path, device="cpu")
    except safetensors.SafetensorError as error:
        raise _corrupted_weights(weights_path, error) from error
    return metadata, state_dict


def check_weights(directory: str | Path) -> None:
    """Check that ``model.safetensors`` is there and reads as a whole, without loading a tensor: its header
    parses and the file's size is exactly what the header's tensors need (a truncated or padded file is not).

    A server running ``model.onnx`` calls it at start-up: the PyTorch model is built from these weights only on
    first use (a ranking the graph cannot give), and a damaged directory must be refused before then, with the
    message :func:`read_artifact` gives.

    Raises:
        ArtifactError: ``model.safetensors`` is missing, corrupted, truncated or not a safetensors file.
    """
    import safetensors

    weights_path = _weights_path(directory)
    try:
        # framework "numpy": opening reads no tensor, and a server on the ONNX backend never imports torch
        with safetensors.safe_open(str(weights_path), framework="numpy"):  # reads the header, maps the file
            pass
    except safetensors.SafetensorError as error:
        raise _corrupted_weights(weights_path, error) from error


def _weights_path(directory: str | Path) -> Path:
    weights_path = Path(directory) / WEIGHTS_FILE
    if not weights_path.is_file():
        raise ArtifactError(
            f"model directory '{directory}' has no {WEIGHTS_FILE} (the weights); the directory is "
            "incomplete: restore it from where it was copied, or write it again (`trainwell fit --out`, "
            "learn.export)"
        )
    return weights_path


def _corrupted_weights(weights_path: Path, error: Exception) -> ArtifactError:
    return ArtifactError(
        f"{weights_path} is corrupted or not a safetensors file ({error}); re-export the model "
        f"(trainwell never loads pickled weights)"
    )


def _check_writable_target(target: Path, shown: str) -> None:
    """Refuse to replace anything but a missing path, an empty directory or a trainwell artifact."""
    if not target.exists() and not target.is_symlink():
        return
    is_artifact = target.is_dir() and (target / METADATA_FILE).is_file()
    is_empty_dir = target.is_dir() and not any(target.iterdir())
    if not (is_artifact or is_empty_dir or holds_only_a_fit_checkpoint(target)):
        raise ArtifactError(
            f"'{shown}' exists and is not a trainwell model directory; choose another --out (Python: out=, or the path given to export) or delete it"
        )


def _metadata_document(metadata: Mapping[str, Any], extra_names: Iterable[str] = ()) -> str:
    """The text of ``trainwell.json``: the caller's metadata plus the format and version stamps, the
    environment it was written in (``environment``: python, numpy, pandas, torch, onnxruntime where installed,
    and the platform, so a model that answers differently elsewhere can be traced to what differed), and the
    extra files written beside it (so that a later save replacing the directory knows them as its own)."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    import torch

    document = to_jsonable(metadata)
    if not isinstance(document, dict):
        raise ArtifactError(f"metadata must be a dict, got {_type_name(metadata)}")
    environment: dict[str, str] = {"python": platform.python_version()}
    # Read from the installed packages' metadata, not imported; onnxruntime is optional (left out where absent).
    for key, names in (
        ("numpy", ("numpy",)),
        ("pandas", ("pandas",)),
        ("onnxruntime", ("onnxruntime", "onnxruntime-gpu")),
    ):
        for name in names:
            try:
                environment[key] = version(name)
                break
            except PackageNotFoundError:
                continue
    environment["torch"] = str(torch.__version__)  # the one running, as torch_version
    environment["platform"] = platform.platform()
    document.update(
        format_version=FORMAT_VERSION,
        trainwell_version=str(trainwell.__version__),
        torch_version=str(torch.__version__),
        environment=environment,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        extra_files=sorted(extra_names),
    )
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _prepare_tensors(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Detached, contiguous CPU tensors that share no storage (safetensors refuses shared storage)."""
    import torch

    prepared: dict[str, torch.Tensor] = {}
    seen_storages: set[int] = set()
    for key, value in state_dict.items():
        if not isinstance(key, str):
            raise ArtifactError(f"state_dict key {key!r} is a {_type_name(key)}; state_dict keys must be str")
        if not isinstance(value, torch.Tensor):
            raise ArtifactError(
                f"state_dict[{key!r}] is a {_type_name(value)}, not a tensor; {WEIGHTS_FILE} holds tensors "
                f"only: store other values in the metadata"
            )
        if value.layout != torch.strided or value.is_meta:
            raise ArtifactError(
                f"state_dict[{key!r}] is a {value.layout} tensor on {value.device}; only dense tensors with "
                f"data can be saved: convert it with .to_dense() or materialise it first"
            )
        tensor = value.detach().cpu().contiguous()
        storage = tensor.untyped_storage().data_ptr()
        # Tied weights (two keys, one storage) become two copies; load_state_dict copies both into the
        # single tied parameter, so the tie survives a round trip.
        if storage != 0 and storage in seen_storages:
            tensor = tensor.clone()
        seen_storages.add(tensor.untyped_storage().data_ptr())
        prepared[key] = tensor
    return prepared


def _check_extra_names(extra_files: Mapping[str, bytes]) -> None:
    """Refuse extra file names that would leave the artifact directory or overwrite its own files."""
    for name in extra_files:
        parts = PurePosixPath(name).parts if isinstance(name, str) else ()
        if (
            not parts
            or PurePosixPath(name).is_absolute()
            or "\\" in name
            or ":" in name
            or ".." in parts
            or parts[0] in _RESERVED_NAMES
        ):
            raise ArtifactError(
                f"extra file name {name!r} is not allowed; use a relative name such as 'history.csv' or "
                f"'plots/loss.png', without '..', backslashes or ':', other than {' or '.join(_RESERVED_NAMES)}"
            )


def _write_contents(
    staging: Path, tensors: dict[str, torch.Tensor], document: str, extra_files: Mapping[str, bytes]
) -> None:
    """Write and fsync every file; trainwell.json goes last so its presence marks a complete directory."""
    from safetensors.torch import save_file

    weights_path = staging / WEIGHTS_FILE
    save_file(tensors, weights_path, metadata={"format": "pt"})
    make_readable(weights_path)
    with open(weights_path, "rb+") as weights:
        os.fsync(weights.fileno())
    for name, content in extra_files.items():
        if not isinstance(content, (bytes, bytearray, memoryview)):
            raise ArtifactError(
                f"extra_files[{name!r}] is a {_type_name(content)}; extra file contents must be bytes"
            )
        destination = staging / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        _write_bytes(destination, bytes(content))
    _write_bytes(staging / METADATA_FILE, document.encode("utf-8"))
    for folder, _, _ in os.walk(staging, topdown=False):
        _fsync_directory(Path(folder))


def _keep_other_files(target: Path, staging: Path) -> tuple[list[str], list[str]]:
    """Link (or copy) into ``staging`` what an existing artifact at ``target`` holds besides its model's files
    (:data:`MODEL_FILES`, the extra files its save wrote), the reports ``trainwell report`` wrote of it and what
    the new save writes: notes, a folder of the user's. Returns their names, and the reports' (left out: they
    describe the old model). The old directory is left whole until the swap, so a failed save loses nothing."""
    if not target.is_dir() or target.is_symlink():  # a link's folder keeps its own files
        return [], []
    try:
        written = json.loads((target / METADATA_FILE).read_text(encoding="utf-8")).get("extra_files") or []
    except (OSError, ValueError, AttributeError):  # a damaged trainwell.json: only the model files are known
        written = []
    owned = MODEL_FILES | {str(name).split("/")[0] for name in written}
    kept, reports = [], []
    for entry in sorted(target.iterdir(), key=lambda path: path.name):
        name = entry.name
        if (
            name in owned
            or name.startswith(".model.onnx.")
            or is_fit_checkpoint_file(name)
            or (staging / name).exists()
        ):
            continue
        if _is_trainwell_report(entry):
            reports.append(name)
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, staging / name, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(entry, staging / name)
        kept.append(name)
    return kept, reports


def _is_trainwell_report(path: Path) -> bool:
    """Whether ``path`` is an HTML page ``trainwell report`` wrote (its title says so), not a file of the user's."""
    if path.suffix.lower() != ".html" or not path.is_file() or path.is_symlink():
        return False
    try:
        with path.open("rb") as stream:
            head = stream.read(2048)
    except OSError:
        return False
    return f"<title>{REPORT_TITLE}".encode() in head


def _link_or_copy(source: str | Path, destination: str | Path) -> None:
    """A hard link (no copy of the bytes; the file system is the same), else a copy."""
    if Path(source).is_symlink():
        os.symlink(os.readlink(source), destination)
        return
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def _move_into_place(staging: Path, target: Path) -> None:
    """Rename ``staging`` to ``target``, setting an existing ``target`` aside until the new one is in."""
    if not target.is_dir():
        os.rename(staging, target)
        _fsync_directory(target.parent)
        return
    old = _sibling(target, "old")
    os.rename(target, old)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(old, target)
        raise
    _fsync_directory(target.parent)
    if old.is_symlink():  # a target that was a link to an artifact: drop the link, never the linked folder
        old.unlink()
    else:
        shutil.rmtree(old, ignore_errors=True)


def _sibling(target: Path, kind: str) -> Path:
    """A hidden, unique path beside ``target`` (same directory, hence the same file system)."""
    return target.parent / f".{target.name}.{kind}-{uuid.uuid4().hex[:12]}"


def _write_bytes(path: Path, content: bytes) -> None:
    with open(path, "wb") as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())


def _fsync_directory(path: Path) -> None:
    """Make renames and new entries in ``path`` durable (POSIX only: Windows cannot open directories)."""
    if os.name == "nt":
        return
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _type_name(obj: object) -> str:
    cls = type(obj)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
