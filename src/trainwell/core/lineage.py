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


def loaded_words(
    head_kept: bool, n_outputs: int, classes: Sequence[str] | None, task: str
) -> tuple[str, str]:
    """What was carried over and what is new, for an image model's record (``loaded`` and ``new``)."""
    if head_kept:
        return "its body and head loaded (the head's shape fits these outputs)", ""
    if classes:
        return "its body loaded", f"a new head for {_count(len(classes), 'class', 'classes')}"
    outputs = _count(n_outputs, "output", "outputs")
    return "its body loaded", f"a new head ({outputs}, {task})"


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
