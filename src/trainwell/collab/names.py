"""Items' names for people to read beside their ids: a table of ids and names (MovieLens' ``u.item``), read for
``trainwell recommend --item-names`` and ``trainwell report --item-names``; and the ratings file of a folder that
holds one beside them (MovieLens' ``u.data``), found alike by the command line and :func:`ratings_data`.

Nothing here imports torch: the command line looks into folders before the training stack is loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from warnings import warn

from trainwell.core.warn import Note

__all__ = [
    "ITEM_NAMES_FILE",
    "folder_item_names",
    "names_file",
    "ratings_file_in",
    "read_item_names",
    "stored_item_names",
]

#: The file of a model directory that keeps its items' names (``item,name``, UTF-8), written by ``fit`` from the
#: ratings folder's own list (MovieLens' ``u.item``), read by ``recommend`` and ``report`` without --item-names.
ITEM_NAMES_FILE = "item_names.csv"
#: Files of a ratings folder that name its items: MovieLens 100k's ``u.item``, the later releases' movies.csv.
FOLDER_NAME_FILES = ("u.item", "movies.csv")

#: Words in the name of the column that holds an item's name.
_NAME_WORDS = ("title", "name", "label", "description")


def read_item_names(
    path: str | Path,
    item_col: str,
    *,
    encoding: str = "utf-8",
    encoding_errors: Literal["strict", "replace"] = "strict",
) -> dict[str, str]:
    """Each item's name by its id's key (:func:`~trainwell.data.categories.category_key`, as the model keys its
    items), from the table ``path``: its ``item_col`` column (else its first) holds the ids, and the names are in
    a column named as names are (``title``, ``name``...), else in the first column of distinct texts. A file
    without a header row (MovieLens' ``u.item``: ``1|Toy Story (1995)|01-Jan-1995|...``, in Latin-1) is read by
    position. A file that is not UTF-8, read as UTF-8 (the default), is read as Latin-1 (which reads any byte),
    said in a warning.

    Raises:
        DataError: The file cannot be read, or holds no column of names.
    """
    from trainwell.core.errors import DataError

    path = Path(path)
    try:
        return _read_names(path, item_col, encoding, encoding_errors)
    except DataError as error:
        # A list of names in Latin-1 (MovieLens 100k's u.item) read by default: Latin-1 reads any byte, and a name
        # with an odd accent is better than none after the ranking is done.
        said = str(error)
        if encoding.replace("_", "-").lower() not in ("utf-8", "utf8") or encoding_errors != "strict":
            raise
        if not said.startswith(f"'{path}' is not utf-8 text"):
            raise
        where = said.partition("(")[2].partition(")")[0]
        warn(
            f"item names: '{path}' is not UTF-8 ({where}): read as Latin-1 (pass --encoding to choose another)",
            Note,
            stacklevel=2,
        )
        return _read_names(path, item_col, "latin-1", encoding_errors)


def _read_names(path: Path, item_col: str, encoding: str, encoding_errors: str) -> dict[str, str]:
    """:func:`read_item_names` in ``encoding``, no other tried."""
    from trainwell.core.errors import DataError
    from trainwell.data.categories import category_key
    from trainwell.data.io import list_columns, looks_like_data, read_table

    reading: dict[str, Any] = {"encoding": encoding, "encoding_errors": encoding_errors}
    table = read_table(path, na_values=(), pandas_na=False, **reading)
    if looks_like_data(table.columns):  # no header row: its first line was read as the names
        headerless = [f"column{i + 1}" for i in range(len(table.columns))]
        table = read_table(path, names=headerless, na_values=(), pandas_na=False, **reading)
    columns = [str(column) for column in table.columns]
    id_col = item_col if item_col in columns else columns[0]
    others = [column for column in columns if column != id_col]
    named = [column for column in others if any(word in column.casefold() for word in _NAME_WORDS)]
    name_col = next(iter(named or [column for column in others if _names_items(table[column])]), None)
    if name_col is None:
        raise DataError(
            f"--item-names {path} has no column of names beside its ids ({id_col!r}); its columns are "
            f"{list_columns(columns)}: pass a table of item ids and their names"
        )
    return {category_key(item): str(name) for item, name in zip(table[id_col], table[name_col], strict=True)}


def _names_items(values: Any) -> bool:
    """Whether a column reads as the items' names: text with letters in most rows, and a different text in most
    (a title, not a genre, a gender, an occupation or a zip code)."""
    text = values[values.map(lambda value: isinstance(value, str) and any(char.isalpha() for char in value))]
    return len(text) > len(values) / 2 and text.nunique() > len(values) / 2


def folder_item_names(folder: Path, item_col: str) -> dict[str, str] | None:
    """The items' names a ratings folder holds beside its ratings (:data:`FOLDER_NAME_FILES`), read as UTF-8,
    else Latin-1 (MovieLens 100k's ``u.item`` is); ``None`` when it holds none or they cannot be read."""
    from trainwell.core.errors import DataError

    for name in FOLDER_NAME_FILES:
        path = Path(folder) / name
        if not path.is_file():
            continue
        for encoding in ("utf-8", "latin-1"):
            try:
                return _read_names(path, item_col, encoding, "strict")
            except (DataError, UnicodeDecodeError):
                continue
    return None


def names_file(names: dict[str, str]) -> bytes:
    """``names`` as the model directory keeps them (:data:`ITEM_NAMES_FILE`)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["item", "name"])
    writer.writerows(names.items())
    return buffer.getvalue().encode("utf-8")


def stored_item_names(model_dir: str | Path) -> dict[str, str] | None:
    """The names a model directory keeps (:data:`ITEM_NAMES_FILE`), or ``None``."""
    import csv

    path = Path(model_dir) / ITEM_NAMES_FILE
    if not path.is_file():
        return None
    with path.open(newline="", encoding="utf-8") as stream:
        return {row["item"]: row["name"] for row in csv.DictReader(stream)}


def ratings_file_in(folder: Path) -> Path | None:
    """The largest file of ``folder`` (not hidden, at most 20 looked at) whose first line is 3 or 4 whole numbers,
    a user, an item, a rating and maybe a time, as MovieLens' ``u.data`` (tab) and ``ratings.dat`` (``::``)
    are, with no header row; ``None`` when there is none, or when the folder holds a table (CSV, TSV,
    Parquet...), which is what it is read as."""
    import csv

    from trainwell.core.paths import TABLE_SUFFIXES, is_idx_file
    from trainwell.data.io import first_row

    if any(child.name.lower().removesuffix(".gz").endswith(TABLE_SUFFIXES) for child in folder.iterdir()):
        return None

    files = sorted(
        (path for path in folder.iterdir() if path.is_file() and not path.name.startswith(".")),
        key=lambda path: -path.stat().st_size,
    )
    for path in files[:20]:
        if is_idx_file(path):
            continue
        try:
            first = first_row(path)
        except (OSError, UnicodeDecodeError, EOFError, csv.Error):  # not text (an archive): no ratings
            continue
        if first is not None and 3 <= len(first.fields) <= 4 and all(f.isdigit() for f in first.fields):
            return path
    return None


def is_ratings_file(path: Path) -> bool:
    """Whether ``path`` is a file laid out as MovieLens' ``u.data`` (``u1.base``, ``u1.test``...): no header row,
    and its first lines each 4 whole numbers separated by tabs: a user, an item, a rating and a time."""
    import csv

    from trainwell.core.paths import is_idx_file
    from trainwell.data.io import head_lines

    if not path.is_file() or is_idx_file(path):
        return False
    try:
        lines = [line for line in head_lines(path, "utf-8") if line.strip()]
    except (OSError, EOFError, csv.Error):  # not text (an archive): no ratings
        return False
    return bool(lines) and all(
        len(fields := line.split("\t")) == 4 and all(field.strip().isdigit() for field in fields)
        for line in lines
    )
