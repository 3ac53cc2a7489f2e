"""A model directory's file names, and the check that a path is one, without torch or NumPy.

:mod:`trainwell.core.artifact` reads and writes the directory; the command line uses this module alone to refuse
a path that is not a model directory before it imports the training stack (seconds of imports for one line).
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

from trainwell.core.errors import ArtifactError

__all__ = [
    "FIT_CHECKPOINT_FILE",
    "METADATA_FILE",
    "ONNX_FILE",
    "WEIGHTS_FILE",
    "check_model_directory",
    "file_digest",
    "fit_checkpoint_damage",
    "fit_checkpoint_position",
    "model_directory_of",
    "position_words",
    "weights_file_problem",
]

WEIGHTS_FILE = "model.safetensors"
METADATA_FILE = "trainwell.json"
#: The graph ``trainwell export MODEL --onnx`` writes beside the weights.
ONNX_FILE = "model.onnx"
RESERVED_NAMES = (WEIGHTS_FILE, METADATA_FILE)
#: The checkpoint ``trainwell fit --out DIR`` keeps in DIR while it trains (DIR may hold nothing else yet):
#: the save of the finished model replaces it, so it is gone once the model is written.
FIT_CHECKPOINT_FILE = "fit-checkpoint.pt"
#: How the title of every page ``trainwell report`` writes begins: a save replacing a model directory drops such
#: a page, which describes the old model.
REPORT_TITLE = "trainwell report"


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes, hex: what an export records of the weights it was checked against."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_model_directory(path: Path, shown: str) -> None:
    """Refuse paths that are not an artifact directory, with the most helpful message for each case."""
    if not path.exists():
        raise ArtifactError(f"model directory '{shown}' does not exist{interrupted_save_hint(path)}")
    if not path.is_dir():
        inside = f" (this file belongs in '{path.parent}')" if path.name in RESERVED_NAMES else ""
        raise ArtifactError(
            f"'{shown}' is a file, not a model directory; pass the folder written by `trainwell fit --out`{inside}"
        )
    if not (path / METADATA_FILE).is_file() and (path / FIT_CHECKPOINT_FILE).is_file():
        damage = fit_checkpoint_damage(path / FIT_CHECKPOINT_FILE)
        if damage is not None:  # --resume would refuse it: say so now, not "continue it with --resume"
            raise ArtifactError(
                f"'{shown}' holds the checkpoint of a fit that did not finish, not a model yet (no {METADATA_FILE}), "
                f"but that checkpoint {damage}, so it cannot be resumed: delete '{path / FIT_CHECKPOINT_FILE}' and fit "
                "again from the start (or fit into another --out)"
            )
        # fit's own words for this folder (trainwell fit --out DIR without --resume says the same)
        position = fit_checkpoint_position(path / FIT_CHECKPOINT_FILE)
        reached = f" ({position})" if position else ""
        raise ArtifactError(
            f"'{shown}' holds the checkpoint of a fit that did not finish{reached}, not a model yet (no "
            f"{METADATA_FILE}); "
            f"continue it with the same `trainwell fit` arguments and --resume (its model is written there when it "
            f"ends), or delete '{path / FIT_CHECKPOINT_FILE}' to start afresh"
        )
    if not (path / METADATA_FILE).is_file():
        raise ArtifactError(
            f"'{shown}' is not a trainwell model directory (no {METADATA_FILE}); "
            f"pass the folder written by `trainwell fit --out`"
        )


def model_directory_of(path: Path, shown: str) -> tuple[Path, bool]:
    """The model directory ``path`` names, and whether it named the directory's ONNX graph.

    A user who points at a file of a model directory (``model/model.onnx`` to run the exported graph, or
    ``model/trainwell.json``, ``model/model.safetensors``) means that model: the directory is what holds the
    recipe that reads raw inputs, so the file resolves to it. Any other path is checked as a directory
    (:func:`check_model_directory`); an ONNX file outside a model directory is refused naming what is missing.
    """
    if path.is_file() and (path.parent / METADATA_FILE).is_file():
        if path.name in (*RESERVED_NAMES, ONNX_FILE):
            return path.parent, path.name == ONNX_FILE
        if path.suffix.lower() == ".onnx":
            raise ArtifactError(
                f"'{shown}' is not the graph of its model directory '{path.parent}' (that is {ONNX_FILE}, written "
                f"by `trainwell export {path.parent} --onnx`); pass the directory, or its {ONNX_FILE}"
            )
    if path.is_file() and path.suffix.lower() == ".onnx":
        raise ArtifactError(
            f"'{shown}' is not part of a trainwell model directory (no {METADATA_FILE} beside it, whose recipe reads "
            f"the raw inputs); pass the folder written by `trainwell fit --out`, or its {ONNX_FILE}"
        )
    check_model_directory(path, shown)
    return path, False


def position_words(epoch: int, next_batch: int, n_epochs: int, phase: str = "") -> str:
    """Where a checkpoint's fit stopped, in words, from the epoch it continues at (0-based) and the batch of it:
    ``"after epoch 2 of 3"``, ``"in the unfrozen phase, in epoch 2 of 3, after 1 of its batches"``."""
    prefix = f"in the {phase} phase, " if phase else ""
    if next_batch == 0:
        return f"{prefix}after epoch {min(epoch, n_epochs)} of {n_epochs}"
    return f"{prefix}in epoch {epoch + 1} of {n_epochs}, after {next_batch} of its batches"


class _Opaque(dict):  # type: ignore[type-arg]
    """What every class and function named in a checkpoint's pickle reads as: nothing is imported or called, so
    no code of the file's runs; a dict, so the items pickled into one land somewhere harmless."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__()

    def __setstate__(self, state: object) -> None:
        pass

    def append(self, item: object) -> None:
        pass

    def extend(self, items: object) -> None:
        pass


def fit_checkpoint_position(path: Path) -> str | None:
    """Where the fit of a checkpoint that ``torch.save`` wrote stopped (:func:`position_words`), read without
    torch: the zip's pickle is walked with every class and tensor read as an opaque placeholder, and only the
    top-level numbers are used. ``None`` when the file is not such a checkpoint or its fields are not there.
    """
    try:
        state = _checkpoint_record(path)
        if not isinstance(state, dict):
            return None
        epoch, next_batch, n_epochs = state.get("epoch"), state.get("next_batch"), state.get("n_epochs")
        if not (isinstance(epoch, int) and isinstance(next_batch, int) and isinstance(n_epochs, int)):
            return None
        if min(epoch, next_batch, n_epochs) < 0:
            return None
        phase = state.get("phase")
        return position_words(epoch, next_batch, n_epochs, phase if isinstance(phase, str) else "")
    except Exception:  # a damaged or foreign file: the message goes on without the position
        return None


def _checkpoint_record(path: Path) -> object:
    """The pickled record of a file ``torch.save`` wrote (a zip holding ``data.pkl`` and the tensors' storages),
    read without torch, with every class and tensor read as an opaque placeholder.

    Raises:
        zipfile.BadZipFile: the file is no zip (cut short: a zip's directory is at its end).
        ValueError: the zip holds no single ``data.pkl`` or an entry runs past the file's end.
        Exception: what the zip or pickle reader raised for garbled bytes (a CRC that does not match).
    """
    import io
    import pickle
    import zipfile

    class _Reader(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> type:
            return _Opaque

        def persistent_load(self, pid: object) -> None:
            return None  # a tensor's storage: left on disk

    size = path.stat().st_size
    with zipfile.ZipFile(path) as archive:
        entries = archive.infolist()
        if any(entry.header_offset + entry.compress_size > size for entry in entries):
            raise ValueError("an entry runs past the file's end")
        names = [entry.filename for entry in entries if entry.filename.rsplit("/", 1)[-1] == "data.pkl"]
        if len(names) != 1:
            raise ValueError("no single data.pkl")
        return _Reader(io.BytesIO(archive.read(names[0]))).load()


def fit_checkpoint_damage(path: Path) -> str | None:
    """Why the checkpoint file ``path`` cannot be resumed, in words that follow "the checkpoint" (``"is damaged: it
    is cut short at 600,000 bytes ..."``), or ``None`` when it reads as a whole file that ``torch.save`` wrote with
    a fit's position in it. Read without torch, from the zip's directory (at the file's end: the first part lost
    when a copy or a write is cut short) and its small record, not the tensors: quick for a checkpoint of any size.
    """
    import zipfile

    try:
        size = path.stat().st_size
        with open(path, "rb") as stream:
            start = stream.read(4)
    except OSError as error:
        return f"cannot be read ({(error.strerror or str(error)).lower()})"
    if size == 0:
        return "is damaged: it is empty (0 bytes)"
    try:
        _checkpoint_record(path)
    except zipfile.BadZipFile:
        if start == b"PK\x03\x04":  # it begins as torch.save's zip does: its end is missing
            return f"is damaged: it is cut short at {size:,} bytes (the end torch.save writes is missing)"
        return "is not a file torch.save writes"
    except Exception as error:  # garbled entries, or a record that does not unpickle
        return f"is damaged: its contents are garbled ({type(error).__name__})"
    if fit_checkpoint_position(path) is None:
        return "records no fit's position (trainwell fit did not write it)"
    return None


def interrupted_save_hint(path: Path) -> str:
    """Point at the old artifact left aside if a save was interrupted between its two renames."""
    absolute = Path(os.path.abspath(path))
    pattern = f".{glob.escape(absolute.name)}.old-*"
    backups = [
        backup for backup in sorted(absolute.parent.glob(pattern)) if (backup / METADATA_FILE).is_file()
    ]
    if not backups:
        return ""
    return f"; an interrupted save left the previous model in '{backups[-1]}': rename it to '{path}'"


def weights_file_problem(path: Path) -> str | None:
    """What is wrong with a ``model.safetensors`` that its header alone shows (``None`` when nothing is): a
    header that does not parse, or a file shorter or longer than its tensors (truncated, padded).

    Read by hand, without torch or safetensors' loader, so ``trainwell info`` stays quick: the format is an
    8-byte little-endian header length, a JSON header of ``{name: {"dtype", "shape", "data_offsets"}}``, then the
    tensors' bytes, the last one ending at the file's end.
    """
    import json

    size = path.stat().st_size
    with open(path, "rb") as stream:
        length_bytes = stream.read(8)
        if len(length_bytes) < 8:
            return f"it holds {size} byte(s), too few for a safetensors header"
        length = int.from_bytes(length_bytes, "little")
        if length > size - 8:
            return f"its header claims {length:,} bytes, the file holds {size:,}: it is truncated or not safetensors"
        try:
            header = json.loads(stream.read(length).decode("utf-8"))
            ends = [entry["data_offsets"][1] for name, entry in header.items() if name != "__metadata__"]
            end = max(ends, default=0)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            return "its header does not parse: it is garbled or not a safetensors file"
    if not isinstance(end, int):
        return "its header does not parse: it is garbled or not a safetensors file"
    expected = 8 + length + end
    if size < expected:
        return f"it holds {size:,} bytes where its tensors need {expected:,}: it is truncated"
    if size > expected:
        return f"it holds {size:,} bytes where its tensors need {expected:,}: bytes were added to it"
    return None
