"""Where a fine-tuned model came from: the ``pretrained`` record of its ``trainwell.json``, and how it is said.

A model fine-tuned from another trainwell model directory (``trainwell fit photos/ --pretrained old_model``)
records that directory as it was given, the parent's architecture, task and classes, what was carried over
and what is new, and a SHA-256 of the parent's weights file, so that a model's lineage can be traced back
even when the parent directory is later retrained in place. :func:`fine_tuned_from` words the record the
same way for the line ``fit`` prints, the ``fine-tuned from`` row of ``trainwell info`` and the HTML report.

No torch here: ``trainwell info`` reads the record without importing it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from trainwell.core.model_dir import WEIGHTS_FILE

#: Weights files larger than this are not hashed (reading them would cost seconds at the start of a fit).
MAX_HASHED_BYTES = 2 * 1024**3
#: Why a head was kept when the parent names no classes (a bare weights file): only its shape could be checked.
SHAPE_ONLY = "the head's shape fits these outputs"
#: Classes named in a sentence before "... (N in all)".
SHOWN_CLASSES = 6


def weights_digest(source: str | Path) -> str | None:
    """The SHA-256 (hex) of a model directory's weights file, or of a weights file; ``None`` when there is no
    such file or it is too large to hash cheaply (:data:`MAX_HASHED_BYTES`)."""
    path = Path(source)
    if path.is_dir():
        path = path / WEIGHTS_FILE
    if not path.is_file() or path.stat().st_size > MAX_HASHED_BYTES:
        return None
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parent_record(source: object, metadata: Mapping[str, Any] | None, network: str | None) -> dict[str, Any]:
    """The part of a ``pretrained`` record that describes the parent: ``source`` as given (a path, or a
    description of a mapping of tensors), its kind, and from its ``trainwell.json`` (``metadata``, for a model
    directory) its architecture (``network``), task and classes, with the weights' SHA-256."""
    if isinstance(source, str | Path):
        path = Path(source)
        kind = "model directory" if path.is_dir() else "weights file"
        record: dict[str, Any] = {"path": str(source), "kind": kind}
        digest = weights_digest(path)
        if digest is not None:
            record["weights_sha256"] = digest
    else:
        record = {"path": None, "kind": "tensors given in Python"}
    if network:
        record["architecture"] = network
    if metadata:
        task = metadata.get("task") or {}
        record["task"] = task.get("kind")
        classes = task.get("classes")
        if classes:
            record["classes"] = [str(name) for name in classes]
    return record


def fine_tuned_from(record: Mapping[str, Any]) -> str:
    """The record in words: "m_c5a (simple_cnn, 2 classes: horizontal, vertical): its body loaded, a new head for
    3 classes; the body frozen for 1 epoch, then unfrozen"."""
    about = [str(record["architecture"])] if record.get("architecture") else []
    classes = record.get("classes") or []
    if classes:
        about.append(f"{_count(len(classes), 'class', 'classes')}: {_names(classes)}")
    elif record.get("task"):
        about.append(
            "a language model" if record["task"] == "language_model" else f"a {record['task']} model"
        )
    where = record.get("path") or record.get("kind") or "pretrained weights"
    said = f"{where} ({', '.join(about)})" if about else str(where)
    parts = [part for part in (record.get("loaded"), record.get("new")) if part]
    if parts:
        said += ": " + ", ".join(parts)
    training = record.get("training")
    if training:
        said += f"; {training}"
    return said


def same_outputs(
    parent_task: Mapping[str, Any] | None, kind: str, classes: Sequence[Any], target_names: Sequence[Any]
) -> tuple[bool | None, str]:
    """Whether a parent model's head answers the very outputs of the model fine-tuned from it, and why in words:
    the same kind of task and the same class names in the same order (a regression: the same target names).
    ``parent_task`` is the parent's ``trainwell.json`` ``task`` (``None``: a bare weights file, which names no
    classes: ``(None, "")``, and the head's shape alone decides). The words are empty where the number of
    outputs differs: "a new head for 3 classes" says it already.

    A head of the same shape is no reason to keep it: fine-tuned from digits 0, 1, 7 onto avión, chat noir and
    犬 dog, the row that scored '0' started as 'avión'.

    Example:
        >>> same_outputs({"kind": "multiclass", "classes": ["0", "1", "7"]}, "multiclass", ["avión", "cat", "dog"], [])
        (False, 'its classes 0, 1, 7 are not these: avión, cat, dog')
    """
    if not parent_task or not parent_task.get("kind"):
        return None, ""
    parent_kind = str(parent_task["kind"])
    if parent_kind != kind:
        counted = "target_names" if kind == "regression" else "classes"
        now = target_names if kind == "regression" else classes
        if len(parent_task.get(counted) or ()) != len(now):
            return False, ""
        return False, f"it was a {parent_kind} model"
    if kind == "regression":
        before = [str(name) for name in parent_task.get("target_names") or ()]
        now = [str(name) for name in target_names]
        if before == now:
            return True, f"the same {'target' if len(now) == 1 else 'targets'}: {_names(now)}"
        if len(before) != len(now):
            return False, ""
        return False, f"it predicted {_names(before)}, not {_names(now)}"
    before = [str(name) for name in parent_task.get("classes") or ()]
    now = [str(name) for name in classes]
    if before == now:
        return True, "the same classes, in the same order"
    if len(before) != len(now):
        return False, ""
    if sorted(before) == sorted(now):
        return False, f"its classes are these in another order: {_names(before)}"
    return False, f"its classes {_names(before)} are not these: {_names(now)}"


def loaded_words(
    head_kept: bool, n_outputs: int, classes: Sequence[str] | None, task: str, *, why: str = ""
) -> tuple[str, str]:
    """What was carried over and what is new, for an image model's record (``loaded`` and ``new``); ``why``: the
    reason the head was kept or not (:func:`same_outputs`), said in brackets."""
    if head_kept:
        return f"its body and head loaded ({why or SHAPE_ONLY})", ""
    reason = f" ({why})" if why else ""
    if classes:
        return "its body loaded", f"a new head for {_count(len(classes), 'class', 'classes')}{reason}"
    outputs = _count(n_outputs, "output", "outputs")
    return "its body loaded", f"a new head ({outputs}, {task}){reason}"


def frozen_words(freeze_epochs: int) -> str:
    """How fine-tuning trained the loaded body (``training`` of the record)."""
    if freeze_epochs <= 0:
        return "everything trained from the start (no frozen epochs)"
    return f"the body frozen for {_count(freeze_epochs, 'epoch', 'epochs')}, then unfrozen"


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _names(classes: Sequence[Any]) -> str:
    shown = ", ".join(str(name) for name in list(classes)[:SHOWN_CLASSES])
    return shown + (f" ... ({len(classes)} in all)" if len(classes) > SHOWN_CLASSES else "")
