"""What every command shares: the consoles and the guard that turns user mistakes into one line and exit 2."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from trainwell.core.text_encoding import file_lines

#: Width of tables written to a file or a pipe (COLUMNS unset): rich would assume 80 columns and cut wide tables
#: (tune's trials, evaluate's comparisons) with "…"; at 200 a fit's table with its "what it means here" column
#: was written about 190 columns wide, which logs and CI wrap badly. At help's width (100) the sentences wrap
#: within their column and the wide tables fold their cells (:func:`fold_cells`), losing no figure.
PIPED_WIDTH = 100


def _width() -> int | None:
    """COLUMNS when it is a number, ``None`` (rich measures the terminal) when a standard stream is one, else
    :data:`PIPED_WIDTH`."""
    from trainwell.cli._help import a_terminal_measures

    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    return None if a_terminal_measures() else PIPED_WIDTH


out_console = Console(width=_width())
err_console = Console(stderr=True, width=_width())


def fit_consoles() -> None:
    """Size both consoles for the command about to run, from the environment and streams it runs with: the
    module is imported once, and a process (an application, a test) may run several commands under other
    settings. The group calls it before each command, and :func:`guarded` before what it runs."""
    for console in (out_console, err_console):
        console.width = _width()  # type: ignore[assignment]  # None: measure the terminal


def fold_cells(table: Table) -> Table:
    """Let ``table`` wrap long values onto more lines instead of cutting them with "…" when a narrow
    terminal cannot fit it: no figure is lost."""
    for column in table.columns:
        column.overflow = "fold"
    return table


T = TypeVar("T")
#: The largest seed every generator takes (NumPy's are 32-bit).
MAX_SEED = 2**32 - 1
#: The help of every command's --encoding option.
ENCODING_HELP = "Text encoding of CSV/TSV/JSON tables, e.g. cp1252 or latin-1 (default utf-8)."
_shown: set[str] = set()  # the warnings this command has printed
#: Files this command made for the user's data (the joined splits of a folder in the cache), and how its
#: messages name them instead: the folder the user gave and the split, not a hashed path in the cache.
_aliases: dict[str, str] = {}


def alias_path(made: Path, shown: str) -> None:
    """Name the file ``made`` (for the user's data, in the cache) ``shown`` in this command's messages."""
    _aliases[str(made)] = shown


def shown_paths(text: str) -> str:
    """``text`` with each file this command made for the user's data named as :func:`alias_path` said."""
    for made, shown in _aliases.items():
        text = text.replace(made, shown)
    return text


def _said_by_rank_zero(message: str) -> bool:
    """Under ``torchrun``, whether rank 0 prints this same error, so that a mistake every process meets (a
    missing column) is said once, not once per process."""
    if "TORCHELASTIC_USE_AGENT_STORE" not in os.environ:  # not torchrun: no need to import torch.distributed
        return False
    from trainwell.distributed.spread import rank_zero_says

    return rank_zero_says(message)


def guarded(run: Callable[[], T]) -> T:
    from trainwell.core.errors import UserError

    _shown.clear()
    _aliases.clear()
    fit_consoles()
    with warnings.catch_warnings():
        warnings.showwarning = show_warning
        try:
            return run()
        except UserError as error:
            # Worded for the command line where the message names settings (--cv 5, not Python's cv=5).
            message = shown_paths(one_line(error.command_line or str(error)))
            if not _said_by_rank_zero(message):
                err_console.print(Text.assemble(("error:", "bold red"), " ", message), soft_wrap=True)
            _failing()
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            # Ctrl-C under torchrun reaches every process: rank 0 says it for all of them.
            if os.environ.get("RANK", "0") == "0":
                err_console.print("interrupted; nothing was written for the unfinished run")
            raise typer.Exit(130) from None
        except Exception as error:
            # A write error may come wrapped: torch.save raises a RuntimeError ("unexpected pos ...") for a disk
            # that filled while it wrote, with the OSError as its context.
            cause = None if isinstance(error, typer.Exit) else _write_error_in(error)
            reason = None if cause is None else unwritable(cause)
            if reason is None:
                raise
            err_console.print(Text.assemble(("error:", "bold red"), " ", reason), soft_wrap=True)
            _failing()
            raise typer.Exit(2) from None


def _failing() -> None:
    """Under torchrun, tell the process group this process ends on an error, which may be its own alone: it
    leaves at once rather than wait at exit for processes blocked on it (``distributed.setup.mark_failed``).
    Looked up, not imported: an error said before training never loads torch."""
    setup = sys.modules.get("trainwell.distributed.setup")
    if setup is not None:
        setup.mark_failed()


#: What keeps a file from being written: a read-only file system or folder, a full disk or quota.
_WRITE_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT}


def _write_error_in(error: BaseException) -> OSError | None:
    """``error`` when it is an ``OSError``; else the ``OSError`` of a full disk or quota in its chain of causes
    and contexts (what torch wraps; a read error in the chain of a bug is not blamed), or ``None``."""
    if isinstance(error, OSError):
        return error
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        if isinstance(link, OSError) and link.errno in (errno.ENOSPC, errno.EDQUOT) and link.filename:
            return link
        link = link.__cause__ if link.__cause__ is not None or link.__suppress_context__ else link.__context__
    return None


def unwritable(error: OSError) -> str | None:
    """One line for an ``error`` that kept a file from being written (``None`` for other OS errors): the folder,
    the reason, and what to do. Every write goes through a temporary file beside its target, so the folder is
    what the user can act on. A full disk says how much is free there, and for a fit's checkpoint
    (:class:`~trainwell.callbacks.checkpoint.CheckpointSpaceError`) how much a write takes and whether the
    previous checkpoint is intact."""
    if error.errno not in _WRITE_ERRNOS or not error.filename:
        return None
    folder = Path(str(error.filename)).parent
    reason = (error.strerror or "cannot write").lower()
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        room = _room(folder, getattr(error, "needed_bytes", None))
        kept = getattr(error, "kept", None)
        if isinstance(kept, str):
            return (
                f"cannot write the checkpoint '{error.filename}': {reason}{room}; the checkpoint written before "
                f"({kept}) is intact: free some space there and continue with the same command and --resume, or "
                "start again with another --out"
            )
        return f"cannot write in '{folder}': {reason}{room}; free some space or write elsewhere (--out)"
    return (
        f"cannot write in '{folder}': {reason}; write elsewhere (--out), or copy the model directory to a "
        "writable place first"
    )


def _room(folder: Path, needed: object) -> str:
    """`` (160 kB free there; ...)``: the free space of ``folder``'s file system, and what the write ``needed``
    (bytes, or ``None``); ``""`` when the free space cannot be told."""
    import shutil

    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return ""
    more = (
        f"; writing it takes at least {_amount(needed)} more"
        if isinstance(needed, int) and needed > 0
        else ""
    )
    return f" ({_amount(free)} free there{more})"


def _amount(count: int) -> str:
    """Bytes in words: ``"160 kB"``, ``"1.2 MB"``, ``"3.4 GB"``."""
    for size, unit in ((1e9, "GB"), (1e6, "MB")):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count / 1e3:.0f} kB"


def one_line(message: str) -> str:
    # A message quoting a parser or a file may hold line breaks; the contract is one line per problem.
    return " ".join(message.split())


def show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: Any = None,
) -> None:
    """Warnings reach a command-line user as one ``warning:`` line (a :class:`~trainwell.core.warn.Note`, the
    documented reading said: ``note:``), without a source excerpt, once per command (cross-validation fits a
    recipe per fold: the same dropped column is said once; under torchrun, by rank 0 alone, as every process
    prepares the same data: a warning met only in another process's share of the work reaches rank 0 with its
    results, as :mod:`trainwell.evaluate.spread` sends them)."""
    from trainwell.core.warn import Note

    if os.environ.get("RANK", "0") != "0":  # under torchrun rank 0 speaks for all
        return
    # A warning worded for the command line too (options, not keywords) carries those words, as UserError does.
    text = shown_paths(one_line(getattr(message, "command_line", None) or str(message)))
    say_warning(text, note=isinstance(category, type) and issubclass(category, Note))


def say_warning(text: str, *, note: bool = False) -> None:
    """Print one ``warning:`` line (``note:``: what was done as documented), unless this command printed it
    already."""
    if text in _shown:
        return
    _shown.add(text)
    err_console.print(
        Text.assemble(("note:", "") if note else ("warning:", "yellow"), " ", text), soft_wrap=True
    )


def model_directory_line(model_dir: Path) -> str:
    """Where ``fit`` wrote the model, and its curves when it drew them (a closed-form fit draws none; boosted trees
    kept over the MLP: the MLP's)."""
    curves, beaten = model_dir / "curves.png", model_dir / "mlp_curves.png"
    if beaten.is_file():  # boosted trees kept: the MLP they beat drew the curves
        return f"model directory: {model_dir} (the MLP the trees beat, its curves: {beaten})"
    return f"model directory: {model_dir}" + (f" (training curves: {curves})" if curves.is_file() else "")


#: The endings a result table is written in (:func:`~trainwell.data.io.write_table`; a name without one is CSV),
#: each text format also gzipped with ``.gz`` after it.
TABLE_OUT_SUFFIXES = (
    ".csv", ".txt", ".tsv", ".tab", ".parquet", ".pq", ".arrow", ".json", ".jsonl", ".ndjson",
    ".xlsx", ".xlsm", ".xls", ".ods",
)  # fmt: skip


def check_table_out(
    out: Path | None, also: tuple[str, ...] = (), option: str = "--out", example: str = "predictions.csv"
) -> None:
    """Refuse, before any work, an ``--out`` (or ``option``) that is a folder or whose ending names no format a
    table is written in (``preds.foo`` had been written as CSV under that name), nor one of ``also`` (a tagger's
    ``.conll``)."""
    if out is None:
        return
    from trainwell.core.errors import ConfigError

    if out.is_dir():
        raise ConfigError(
            f"{option} '{out}' is a directory; pass the path of the file to write, e.g. {out / example}"
        )
    suffixes = [suffix.lower() for suffix in out.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] not in (*TABLE_OUT_SUFFIXES, *also):
        raise ConfigError(
            f"{option} '{out}': '{suffixes[-1]}' is not a format the table is written in; name the file .csv, .tsv, "
            ".parquet, .json, .jsonl or .xlsx (.csv.gz and the like compress a text format)"
        )


def check_json_out(path: Path | None, example: str) -> None:
    """Refuse, before any work, a ``--json`` that is a folder or whose folder does not exist (``example``: the
    file name the message suggests)."""
    if path is None:
        return
    from trainwell.core.errors import ConfigError

    if path.is_dir():
        raise ConfigError(f"--json '{path}' is a directory; pass the file to write, e.g. {path / example}")
    if not path.parent.is_dir():
        raise ConfigError(
            f"--json '{path}': its folder '{path.parent}' does not exist; create it or choose another"
        )


def emit_table(table: Any, out: Path | None, noun: str = "rows") -> None:
    """A result table as CSV on standard output, or to ``out`` in the format its name says (CSV, TSV, Parquet,
    JSON, JSON lines, optionally gzipped: :func:`~trainwell.data.io.write_table`), with a line on standard
    error (which says so when the file's folder had to be made)."""
    if out is None:
        table.to_csv(sys.stdout, index=False)
        return
    from trainwell.cli._outputs import replaced_note
    from trainwell.data.io import write_table

    check_table_out(out)
    missing = next((parent for parent in reversed(out.parent.parents) if not parent.exists()), None)
    if missing is None and not out.parent.exists():
        missing = out.parent
    replaced = replaced_note(out)
    write_table(table, out)
    made = f" (made the folder '{missing}' for it)" if missing is not None else replaced
    counted = noun.removesuffix("s") if len(table) == 1 else noun  # 1 prediction, 2 predictions
    err_console.print(
        f"wrote {len(table):,} {counted} to {out}{made}", soft_wrap=True, markup=False, highlight=False
    )


def check_encoding_errors(errors: str) -> None:
    """Refuse an ``--encoding-errors`` other than the two every reader takes."""
    from trainwell.core.errors import ConfigError

    if errors not in ("strict", "replace"):
        raise ConfigError(f"--encoding-errors must be 'strict' or 'replace', got {errors!r}")


def stdin_text(encoding: str = "utf-8", errors: str = "strict") -> str:
    """All of standard input, decoded from ``encoding`` (a UTF-8 byte-order mark dropped): never with Python's
    own reading, which passes bytes that are not UTF-8 through as stray surrogate characters.

    Raises:
        DataError: A byte ``encoding`` cannot decode: which and where, and the options that read it.
    """
    import codecs

    from trainwell.core.errors import DataError
    from trainwell.core.text_encoding import check_encoding

    check_encoding(encoding)
    check_encoding_errors(errors)
    raw = sys.stdin.buffer.read()
    codec = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    try:
        return raw.decode(codec, errors=errors)
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DataError(
            f"standard input is not {encoding} text (byte 0x{raw[error.start]:02x} on line {line}); pass "
            "--encoding cp1252 (Windows/Excel) or --encoding latin-1, or --encoding-errors replace to read bad "
            "bytes as U+FFFD"
        ) from None


def stdin_lines(encoding: str = "utf-8", errors: str = "strict") -> tuple[list[int], list[str]]:
    """The non-blank lines of standard input and their 1-based line numbers (blank lines are skipped, so the
    numbers say which input line each prediction answers), decoded as :func:`stdin_text` does."""
    return numbered_lines(file_lines(stdin_text(encoding, errors)))


def text_lines(
    source: Path, encoding: str = "utf-8", errors: str = "strict", *, empty: str | None = None
) -> tuple[list[int], list[str]]:
    """:func:`stdin_lines` of standard input (``source`` ``-``), or the same of a text file. ``empty``: what to
    say when no line holds text (``"no text to predict; pass one text per line"``), after the source's name."""
    if str(source) == "-":
        numbers, texts = stdin_lines(encoding, errors)
    else:
        from trainwell.data.io import read_text_file

        numbers, texts = numbered_lines(
            file_lines(read_text_file(source, encoding=encoding, encoding_errors=errors))
        )
    if empty is not None and not texts:
        from trainwell.core.errors import DataError

        raise DataError(f"{'standard input' if str(source) == '-' else source} holds {empty}")
    return numbers, texts


def unpacked_data(path: Path | None) -> Path | None:
    """``path`` as a command reads it: an ``http(s)://`` address is downloaded into the cache once
    (:mod:`trainwell.core.downloads`), an archive (MovieLens' ``ml-100k.tgz``, ``photos.zip``) unpacked there once
    (:mod:`trainwell.core.archives`) and what it holds read instead, each said on standard error; anything else
    (``None``, ``-`` for standard input, a file, a folder) as it is."""
    from trainwell.core.archives import unpacked

    if path is None:
        return None

    def say(line: str) -> None:
        if os.environ.get("RANK", "0") == "0":  # under torchrun, rank 0 says it for all
            err_console.print(line, soft_wrap=True, markup=False, highlight=False)

    return Path(unpacked(path, say))


def column_names(text: str | None) -> list[str] | None:
    """The names of a comma-separated option (``--cat-names a,b``, ``--names ...``), or ``None`` when not given."""
    return [part.strip() for part in text.split(",") if part.strip()] if text else None


def missing_target(
    data: Path, encoding: str, encoding_errors: str = "strict", *, names: list[str] | None = None
) -> Any:
    """The one-line error for a table given no ``--target``: its columns (``names``: those --names gives it), and
    for a file whose columns are all numbers (no header row, as MovieLens' ``u.data``), how to read it as
    ratings."""
    from trainwell.cli._early import MISSING
    from trainwell.core.errors import ConfigError, DataError, UserError

    if str(data) != "-" and not data.exists():  # a mistyped path: no --target would help
        return DataError(MISSING["table"].format(path=data))
    hint = "name the column to predict, e.g. --target label"
    frame = None
    if data.is_file():  # else said at once, without importing pandas to read it
        from trainwell.cli._fit_data import refuse_idx
        from trainwell.data.io import list_columns, read_table, workbook_error

        refused = workbook_error(data) or refuse_idx(data)
        if refused is not None:  # no --target would help: say what would
            return refused

        with contextlib.suppress(UserError):  # an unreadable table says why when read for real
            frame = read_table(data, names=names, encoding=encoding, encoding_errors=encoding_errors)
    columns = frame.columns if frame is not None else None
    images = _image_path_column(frame) if frame is not None else None
    if columns is not None and images is not None:
        others = [str(c) for c in columns if c != images]
        hint = (
            f"column '{images}' lists image files: to train on the images pass --path-col {images} --label-col "
            f"{others[0] if others else 'LABEL'} (--label-delim for several labels per image); to train on the "
            f"table itself, name the column to predict; columns are: {list_columns([str(c) for c in columns])}"
        )
    elif columns is not None:
        from trainwell.collab.data import headerless, ratings_columns
        from trainwell.data.io import looks_like_data, placeholder_names

        if names is not None:
            hint += f"; columns are: {list_columns([str(c) for c in columns])}"
        elif headerless(columns):
            hint = (
                f"its first row was read as the header (columns {list_columns([str(c) for c in columns])}), so it "
                "seems to have none: for ratings (user, item, rating, timestamp, as MovieLens' u.data) pass "
                "--user user --item item --target rating; otherwise name its columns with --names "
                f"{placeholder_names(len(columns))}"
            )
        elif looks_like_data(columns):
            hint = (
                f"its first row was read as the header (columns {list_columns([str(c) for c in columns])}); a "
                "number or a sentence where a column name goes says the file may have none: if so, name its "
                f"columns with --names, e.g. --names {placeholder_names(len(columns))}, and pass --target NAME"
            )
        elif (roles := ratings_columns(columns)) is not None:
            user, item, rating = roles
            hint = (
                f"for ratings, pass --user {user} --item {item}{f' --target {rating}' if rating else ''} (a "
                "recommender); to predict a column of the table, name it with --target NAME; columns are: "
                f"{list_columns([str(c) for c in columns])}"
            )
        else:
            hint += f"; columns are: {list_columns([str(c) for c in columns])}"
    if data.name.lower().removesuffix(".gz").endswith(".txt"):
        hint += (
            "; for running text to learn a language model from, pass --task language_model; for sentences "
            "tagged word by word (CoNLL), pass --task tagging"
        )
    return ConfigError(f"--target is required for the table '{data}': {hint}")


def described_target(data: Path | None, encoding: str, names: Any = None) -> str | None:
    """The column to predict when ``--target`` is not given (:func:`declared_target`), said on standard error;
    ``None`` when ``--names`` is given or nothing declares one."""
    if names or data is None:
        return None
    declared = declared_target(data, encoding)
    if declared is None:
        return None
    if os.environ.get("RANK", "0") == "0":
        err_console.print(declared[1], soft_wrap=True, markup=False, highlight=False)
    return declared[0]


#: Column names that say "the column to predict" (SST-2's and IMDB's ``label``), compared in lower case.
TARGET_NAMES = ("label", "labels", "target", "class")


def declared_target(data: Path, encoding: str) -> tuple[str, str] | None:
    """The class column a table's own description declares, and the line that says so: the one column a Parquet
    or Arrow file's Hugging Face Hub features call a ``ClassLabel``, the class a C4.5 ``.names`` file beside a
    table without a header row declares (UCI's ``adult.names`` beside ``adult.data``), or the one column named like a
    target (:data:`TARGET_NAMES`: SST-2's ``label``); else ``None``."""
    if not data.is_file():
        return None
    labelled = hub_class_column(data)
    if labelled is not None:
        return labelled, (
            f"--target {labelled}: the class column the dataset's features (the Hugging Face Hub's ClassLabel) "
            f"name in '{data}'"
        )
    from trainwell.data.io import described_table

    described = described_table(data, encoding)
    if described is not None:
        return str(described.target), (
            f"--target {described.target}: the class '{described.path}' declares for '{data}'"
        )
    from trainwell.cli._splits import table_header

    named = [
        column for column in table_header(data, encoding) or [] if column.strip().lower() in TARGET_NAMES
    ]
    if len(named) != 1:
        return None
    return named[0], (
        f"--target {named[0]}: the one column of '{data.name}' named like a target "
        f"({', '.join(TARGET_NAMES[:-1])} or {TARGET_NAMES[-1]})"
    )


def hub_class_column(data: Path) -> str | None:
    """The one column a Parquet or Arrow file's Hugging Face Hub features call a ``ClassLabel`` (GLUE's and IMDB's
    ``label``) or a sequence of them (GoEmotions' ``labels``, multi-label), else ``None`` (no such features, or
    several class columns: which to predict is the user's say)."""
    if not data.name.lower().endswith((".parquet", ".pq", ".arrow")):
        return None
    from trainwell.core.columnar import class_feature, hub_features, schema_of

    try:
        features = hub_features(schema_of(data))
    except (OSError, ValueError):  # unreadable: its reader says why
        return None
    classes = [str(column) for column, feature in features.items() if class_feature(feature) is not None]
    return classes[0] if len(classes) == 1 else None


def header_names(
    names: str | None, metadata: dict[str, Any], source: Path, encoding: str
) -> list[str] | None:
    """The column names to read ``source`` with: those of ``--names``, else, for a model fitted on a file
    without a header row (``fit --names``, kept in ``trainwell.json``), the same names when ``source``'s first
    row names none of them and has as many fields (two or more) as they are, or as the inputs without the
    targets (said on standard error); else ``None`` (its first row is its header, or it is a file of one text a
    line)."""
    if names is not None:
        return column_names(names) or []
    stored = (metadata.get("training") or {}).get("header_names")
    if not stored or not source.is_file():
        return None
    bare = source.name.lower().removesuffix(".gz")
    if metadata.get("application") == "text" and not bare.endswith((".csv", ".tsv", ".tab")):
        return None  # a text model reads any other file (.txt, rt-polarity.neg) one text a line
    from trainwell.data.io import first_row

    first = first_row(source, encoding)
    if first is None:
        return None
    # A header row names its columns; a row of data may hold a value spelled as a column's name ('y' in a column
    # of x and y, the target named y): a header is a row more than half of whose fields are column names.
    if 2 * sum(field in set(stored) for field in first.fields) > len(first.fields):
        return None
    targets = set((metadata.get("task") or {}).get("target_names") or [])
    for candidate in (list(stored), [name for name in stored if name not in targets]):
        # One name would read any file of lines as a table of one column: a text model reads those as lines.
        if len(candidate) > 1 and len(first.fields) == len(candidate):
            err_console.print(
                f"'{source}' has no header row: its columns read as the training file's were (--names "
                f"{','.join(candidate)})",
                markup=False,
                soft_wrap=True,
            )
            return candidate
    return None


def _image_path_column(frame: Any) -> str | None:
    """The first column whose values are image file names (``.jpg``, ``.png``...), if any."""
    from trainwell.vision.io import IMAGE_SUFFIXES

    for name in frame.columns:
        values = frame[name].dropna().head(50)
        if len(values) and all(
            isinstance(value, str) and value.lower().endswith(tuple(IMAGE_SUFFIXES)) for value in values
        ):
            return str(name)
    return None


def refuse_encoding(encoding: str, what: str, *, text: bool = True) -> None:
    """Stop when ``--encoding`` names anything but UTF-8 for a source read as UTF-8 whatever it says, rather
    than ignore it; ``text``: the source is text, which ``--encoding-errors replace`` can read."""
    import codecs

    from trainwell.core.errors import ConfigError
    from trainwell.core.text_encoding import check_encoding

    check_encoding(encoding)
    if codecs.lookup(encoding).name != "utf-8":
        replace = " (--encoding-errors replace reads bytes that are not UTF-8 as U+FFFD)" if text else ""
        raise ConfigError(
            f"--encoding {encoding} applies to tables (CSV, TSV, JSON); {what} are read as UTF-8: drop "
            f"--encoding{replace}"
        )


def numbered_lines(lines: Iterable[str]) -> tuple[list[int], list[str]]:
    """The non-blank ``lines`` (without their newline) and their 1-based line numbers."""
    numbers, kept = [], []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            numbers.append(number)
            kept.append(line.rstrip("\n"))
    return numbers, kept
