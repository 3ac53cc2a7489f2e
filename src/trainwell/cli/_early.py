"""What a command checks before it imports the training stack (torch, pandas, scikit-learn: seconds).

A mistake the command line can see on its own (a path that does not exist or is not the right kind, an option
value that is not a duration or an encoding, options that conflict) is said in the first fraction of a second,
not after the imports. The lines are those the library says when it meets the same mistake later: the data
readers' own words for a missing file (:data:`MISSING`, checked against the readers by
``tests/cli/test_cli_early.py``), and the light checks of :mod:`trainwell.core` for durations, encodings and
model directories. Nothing here imports more than those.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: When this process started, on :func:`time.monotonic`'s clock: set by the console command
#: (:func:`mark_process_start`, from :func:`trainwell.cli.app.main`), ``None`` when the commands run inside another
#: Python process (typer's ``app``, the tests), whose start is not the command's.
process_started: float | None = None


def mark_process_start() -> None:
    """Note :data:`process_started`: now, less the process's age (:func:`process_age`)."""
    global process_started
    from time import monotonic

    process_started = monotonic() - process_age()


def process_age() -> float:
    """Seconds since this process started, from Linux's ``/proc`` (the system's uptime less the process's start
    time, in clock ticks); 0 where that cannot be read (another system, a sandbox without ``/proc``)."""
    import os

    try:
        with (
            open("/proc/self/stat", encoding="ascii") as stat,
            open("/proc/uptime", encoding="ascii") as uptime,
        ):
            # The command name (field 2) may hold spaces: the fields after its closing parenthesis are split.
            fields = stat.read().rsplit(")", 1)[1].split()
            started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22, the 20th after the name
            age = float(uptime.read().split()[0]) - started
    except (OSError, ValueError, IndexError):
        return 0.0
    return age if 0.0 <= age < 86_400.0 else 0.0


#: What the reader of each kind of data says of a path that does not exist (``{path}``: the path as given).
MISSING = {
    # read_table: tables, texts in a table, ratings
    "table": "data file '{path}' not found; check the path",
    # predict's inputs to a model that is not an image model: read_table's words, whatever reads them
    "rows": "data file '{path}' not found; check the path",
    # expand_image_paths: predict's inputs to an image model
    "image files": "'{path}' does not exist; pass image files or folders of images",
    # read_conll: tagged sentences
    "conll": "{path} does not exist; pass the path of a CoNLL or CoNLL-U file.",
    # read_corpus: a language model's text
    "corpus": "text source {path} does not exist; pass a folder of .txt files, a file or texts",
    # csv_files: a CSV of image paths (--path-col)
    "image csv": "CSV file '{path}' does not exist; check the path",
    # evaluate_images: a folder of class folders or a CSV of image paths
    "images": "'{path}' not found: pass a folder of class folders (<label>/*.jpg), or a CSV of image paths and "
    "labels with path_col= and label_col= (--path-col, --label-col)",
    # read_points: the 2-D points of trainwell boundary
    "points": "data file {path} not found; pass the path of a CSV with two features and a label",
}
#: What read_table says of a folder given as a table.
TABLE_IS_FOLDER = (
    "data file '{path}' is a directory, not a file; pass the path of a .csv, .tsv or .parquet file"
)


def need_data(path: Path, kind: str) -> None:
    """Refuse a ``path`` that does not exist, as the reader of ``kind`` (a key of :data:`MISSING`) would; a
    table that is a folder, and a model directory given as data, too. ``-`` (standard input) passes."""
    from trainwell.core.errors import DataError

    if str(path) == "-":
        return
    if not path.exists():
        raise DataError(MISSING[kind].format(path=path))
    refuse_model_directory(path)
    if kind == "table" and path.is_dir():
        raise DataError(TABLE_IS_FOLDER.format(path=path))


def refuse_model_directory(path: Path, command: str = "") -> None:
    """Refuse a model directory given as data: its PNGs would read as one loose image of a folder with no class
    folders, its JSON as a text (fit, evaluate and tune call it first, before they guess the kind of data).
    ``command``: ``"evaluate"`` adds where a fitted model is scored (Keras users look for model.evaluate)."""
    from trainwell.core.errors import DataError
    from trainwell.core.model_dir import METADATA_FILE

    if path.is_dir() and (path / METADATA_FILE).is_file():
        scored = (
            f" (evaluate cross-validates a new model on data; to score this fitted one on labelled rows: trainwell "
            f"report {path} --data FILE)"
            if command == "evaluate"
            else ""
        )
        raise DataError(
            f"'{path}' is a model directory (it holds {METADATA_FILE}), not data; pass the data to read{scored}"
        )


def peek_metadata(model: Path) -> dict[str, Any]:
    """A model directory's ``trainwell.json`` read as plain JSON, to choose the words of an early check; ``{}``
    when it cannot be read (the model's own reading says why, later)."""
    import json

    from trainwell.core.model_dir import METADATA_FILE

    try:
        metadata = json.loads((model / METADATA_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return metadata if isinstance(metadata, dict) else {}


def model_kind(metadata: dict[str, Any]) -> str:
    """``"vision"``, ``"language_model"``, ``"tagging"`` or ``"rows"`` (tables, texts, ratings): how the model's
    inputs are read."""
    if metadata.get("application") == "vision":
        return "vision"
    task = metadata.get("task")
    kind = task.get("kind") if isinstance(task, dict) else None
    return kind if kind in ("language_model", "tagging") else "rows"


def need_model_directory(path: Path) -> None:
    """Refuse a ``path`` that is not a model directory (missing, a file, no ``trainwell.json``)."""
    from trainwell.core.model_dir import check_model_directory

    check_model_directory(path, str(path))


def check_text_options(encoding: str, encoding_errors: str = "strict") -> None:
    """Refuse an ``--encoding`` Python does not know as a text encoding, and an ``--encoding-errors`` other than
    strict or replace."""
    from trainwell.cli._common import check_encoding_errors
    from trainwell.core.text_encoding import check_encoding

    check_encoding_errors(encoding_errors)
    check_encoding(encoding)


def duration_option(value: str | None, option: str) -> float | None:
    """Seconds in a ``--time`` or ``--timeout`` (``None`` when not given); a value that is not a duration is
    refused naming ``option``."""
    from trainwell.core.duration import parse_duration

    return None if value is None else parse_duration(value, option)


def version_line() -> str:
    """``trainwell X.Y.Z (torch A.B.C, Python D.E.F)``: what ``trainwell --version`` prints.

    torch's version is read from its installed package's metadata, not by importing it: the line comes in a
    fraction of a second, and it names the torch that an import would load (``importlib.metadata`` reads the
    same site-packages)."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    import trainwell

    try:
        torch = f"torch {version('torch')}"
    except PackageNotFoundError:
        torch = "torch not installed"
    return f"trainwell {trainwell.__version__} ({torch}, Python {platform.python_version()})"
