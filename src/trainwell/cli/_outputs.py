"""The checks an output file of a command gets before any work: it must not be one of the command's inputs, nor
a file of a model directory.

``trainwell predict MODEL rows.csv --out rows.csv`` had replaced the rows it read with its predictions, and
``--out MODEL/trainwell.json`` the model itself, each without a word: one typo lost the input for good. Such an
``--out`` is refused in one line. Any other existing file may well be meant (a predictions file written
again), so it is replaced, and the closing line of the command says so (:func:`replaced_note`). No torch,
NumPy or pandas here: the check runs on the command line's early path.

A drawing (``lr-find --out``, ``boundary --out/--gif``) is named as ``report`` names its page: a name without a
suffix gets ``.png`` (``.gif``), another suffix is refused, and so is an existing file that is not such an image
(:func:`image_out_file`): ``lr-find --out rows.csv`` had turned the user's CSV into a PNG. A model directory given
to ``fit``/``tune``/``fold-in --out`` that holds a model of another application, or of another target, is refused
before any training (:func:`check_out_model`): the old model had been replaced, and said so only afterwards.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

from trainwell.core.errors import ConfigError
from trainwell.core.model_dir import METADATA_FILE

__all__ = [
    "check_fit_out",
    "check_out_file",
    "check_out_model",
    "image_out_file",
    "model_directory_holding",
    "replaced_note",
]

#: The image files a command draws, by suffix: their name in messages and the bytes they begin with.
IMAGE_KINDS = {".png": ("PNG", (b"\x89PNG\r\n\x1a\n",)), ".gif": ("GIF", (b"GIF87a", b"GIF89a"))}
#: The applications a model fitted from what ``fit``'s ``ready(kind)`` reads may be of (``kind`` as in
#: ``_early.MISSING``): a table becomes a table model or, when a column holds texts, a text classifier.
FIT_APPLICATIONS = {
    "table": ("tabular", "text"),
    "corpus": ("text",),
    "conll": ("text",),
    "image csv": ("vision",),
    "images": ("vision",),
}


def model_directory_holding(path: Path) -> Path | None:
    """The trainwell model directory (a folder holding ``trainwell.json``) that ``path`` lies in, at any depth,
    or ``None``; links are followed, so a path reaching a model directory through one is found too."""
    resolved = Path(os.path.realpath(path))
    for folder in resolved.parents:
        if (folder / METADATA_FILE).is_file():
            return folder
    return None


def check_out_file(out: Path | None, inputs: Iterable[Path | str], option: str = "--out") -> None:
    """Refuse an output file that is one of ``inputs`` (the same file, however named: through a link, ``./``) or
    that lies inside a model directory, whose files a table written over would destroy.

    Raises:
        ConfigError: Naming the input or the model directory, and what to pass instead.
    """
    if out is None or str(out) == "-":
        return
    target = os.path.realpath(out)
    for source in inputs:
        if str(source) in ("", "-"):
            continue
        if os.path.realpath(source) == target or _same_file(out, Path(source)):
            raise ConfigError(
                f"{option} '{out}' is the input '{source}' this command reads; writing there would replace it: "
                "choose another file name"
            )
    folder = model_directory_holding(out)
    if folder is not None:
        shown = _shown(folder)
        raise ConfigError(
            f"{option} '{out}' lies inside the model directory '{shown}', whose files it could replace (a file "
            f"written over {METADATA_FILE} destroys the model); write it outside that folder"
        )


def image_out_file(
    out: Path,
    suffix: str,
    option: str = "--out",
    what: str = "the drawing",
    inputs: Iterable[Path | str] = (),
) -> Path:
    """``out`` as the name of the ``suffix`` image (``.png``, ``.gif``) a command writes: ``.png`` added to a name
    without a suffix (nothing opens a PNG named ``curve`` as a picture); one of ``inputs`` (what the command
    reads) is refused first, as :func:`check_out_file` refuses it.

    Raises:
        ConfigError: ``out`` is a directory, has another suffix (``--out rows.csv``: the file would be an image
            whatever its name), or is an existing file that is not such an image (its bytes would be lost).
    """
    kind, signatures = IMAGE_KINDS[suffix]
    inputs = list(inputs)
    check_out_file(out, inputs, option)  # the input named as --out: said so, whatever its suffix
    if out.is_dir():
        raise ConfigError(
            f"{option} '{out}' is a directory; pass the path of the {kind} file to write, e.g. {out / ('x' + suffix)}"
        )
    if not out.suffix:
        out = out.with_name(out.name + suffix)
    elif out.suffix.lower() != suffix:
        raise ConfigError(
            f"{option} '{out}': {what} is a {kind} image, and a viewer opens it by its name; pass "
            f"{out.with_suffix(suffix)}"
        )
    if out.is_file() and not _begins_with(out, signatures):
        raise ConfigError(
            f"{option} '{out}' exists and is not a {kind} image; writing there would replace it: choose another "
            "file name, or delete it"
        )
    check_out_file(out, inputs, option)
    return out


def check_out_model(
    out: Path | None,
    applications: str | Collection[str],
    targets: Sequence[str] | None = None,
    *,
    option: str = "--out",
    command: str = "this fit",
) -> None:
    """Refuse, before any training, an ``out`` that holds a model of another application than ``applications``
    or (``targets`` given) of other target columns: writing there would replace a model that answers another
    question. A model of the same application and targets is the usual reuse of ``--out``: said nothing (the
    save warns when its task changed, binary to multiclass). A missing or unreadable ``trainwell.json``: nothing
    to say here (the save's own checks refuse what is not a model directory).

    Raises:
        ConfigError: Naming what ``out`` holds, what would replace it, and the fix.
    """
    if out is None:
        return
    old = _metadata(out)
    if old is None:
        return
    wanted = {applications} if isinstance(applications, str) else set(applications)
    application = old.get("application")
    task = _task(old)
    old_targets = [str(name) for name in task.get("target_names") or [] if name is not None]
    if isinstance(application, str) and application not in wanted:
        instead = " or ".join(sorted(wanted))
        replacing = f"a {instead} model"
    elif targets and old_targets and sorted(map(str, targets)) != sorted(old_targets):
        replacing = f"a model of {_quoted(targets)}"
    else:
        return
    raise ConfigError(
        f"{option} '{out}' holds {_described(old, old_targets)}, and {command} would replace it with {replacing}: "
        f"pass another {option}, or delete '{out}' first"
    )


def check_fit_out(
    out: Path | None,
    kind: str,
    target: Any = None,
    *,
    ratings: bool = False,
    command: str = "this fit",
    data: Path | None = None,
) -> None:
    """:func:`check_out_model` for ``trainwell fit``, from what its ``ready(kind)`` knows before training: the
    kind of data read (a key of ``_early.MISSING``), whether it is ratings (--user/--item/--implicit) and the
    target columns (comma-separated, or a list) when given. A text table ``data`` whose first line does not
    even hold a target's name is left to the reading, which names the missing column and the columns there
    (a misspelt --target is the mistake to fix first, not the --out its model would go to)."""
    if ratings:
        applications: Collection[str] = ("collab",)
    else:
        applications = FIT_APPLICATIONS.get(kind, ())
        if not applications:
            return
    if isinstance(target, str):
        targets: list[str] | None = [part.strip() for part in target.split(",") if part.strip()] or None
    elif isinstance(target, (list, tuple)):
        targets = [str(name) for name in target] or None
    else:
        targets = None
    if kind == "table" and targets and data is not None and _lacks_any(data, targets):
        return
    check_out_model(out, applications, targets if kind == "table" else None, command=command)


def _lacks_any(data: Path, names: list[str]) -> bool:
    """Whether ``data`` is a plain text file whose first line lacks one of ``names`` (``False`` for anything
    else: a folder, a compressed or binary file, one that cannot be read)."""
    try:
        if not data.is_file():
            return False
        with data.open("rb") as stream:
            head = stream.read(65_536)
    except OSError:
        return False
    if b"\0" in head or head[:2] == b"\x1f\x8b" or head[:4] in (b"PK\x03\x04", b"PAR1"):
        return False
    first = head.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()[:1]
    return bool(first) and any(name not in first[0] for name in names)


def replaced_note(out: Path) -> str:
    """What the closing line of a command adds when ``out`` is about to replace an existing file (``""``
    otherwise): call it before writing."""
    return " (it replaced the file that was there)" if out.is_file() else ""


def _begins_with(path: Path, signatures: Iterable[bytes]) -> bool:
    """Whether the file ``path`` is empty (nothing to lose) or begins with one of ``signatures``."""
    try:
        with path.open("rb") as stream:
            head = stream.read(16)
    except OSError:
        return True  # unreadable: the write says why
    return not head or any(head.startswith(signature) for signature in signatures)


def _metadata(folder: Path) -> dict[str, Any] | None:
    """``folder``'s ``trainwell.json`` as JSON, or ``None`` (no model there, or a damaged one)."""
    try:
        metadata = json.loads((folder / METADATA_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return metadata if isinstance(metadata, dict) else None


def _described(metadata: dict[str, Any], targets: Sequence[str]) -> str:
    """``a tabular binary model of 'Survived' (fitted 2026-12-07T05:44:53+00:00)``."""
    task = _task(metadata)
    words = " ".join(
        word for word in (metadata.get("application"), task.get("kind")) if isinstance(word, str) and word
    )
    described = f"a {words} model" if words else "a model"
    if targets:
        described += f" of {_quoted(targets)}"
    created = metadata.get("created")
    return described + (f" (fitted {created})" if isinstance(created, str) else "")


def _task(metadata: dict[str, Any]) -> dict[str, Any]:
    task = metadata.get("task")
    return task if isinstance(task, dict) else {}


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def _same_file(first: Path, second: Path) -> bool:
    """Whether two existing paths are one file (hard links too); ``False`` when either is missing."""
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def _shown(folder: Path) -> str:
    """``folder`` relative to the working directory when it lies below it (as a user typed it), else whole."""
    try:
        return str(folder.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(folder)
