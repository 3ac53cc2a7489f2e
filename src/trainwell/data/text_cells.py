"""Cells of text in a column of numbers: a typo or a unit left in a cell (``12,5 GBP``), or ``unknown`` in a
price, is refused by name before anything is trained on it.

Read as it is, such a column was silently something else: an input of numbers with one stray cell became a
column of categories (each price a category of its own, and prediction then accepted any text in it), and a
target of prices with an ``unknown`` became a classification over thousands of "classes". ``predict`` already
refuses text in a column of numbers; fitting refuses it alike, naming the cells, so both read a file the same way.

A column with fewer numbers (under :data:`NUMBER_SHARE` of its cells) is a column of categories; a warning says
so when it is mostly numbers and a few words (``unknown`` and ``twenty`` in a fifth of an age column). An input
whose stray cells are a few words without digits (``unknown``, ``-``, ``n.a.``) is left to the recipe, which reads
them as missing, with a warning (:mod:`trainwell.tabular.recipe`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from trainwell.core.errors import DataError
from trainwell.core.warn import warn
from trainwell.data.dates import data_row
from trainwell.data.io import _DECIMAL_COMMA
from trainwell.data.task import MAX_INTEGER_CLASSES

#: A text column with at least this share of its non-missing cells numbers is a column of numbers whose other
#: cells are mistakes; below it, a column of categories that happens to hold some numbers.
NUMBER_SHARE = 0.9
#: Fewest number cells for a column to count as one of numbers (below, too few to say).
MIN_NUMBERS = 10
#: At most this many distinct words without a digit are markers of a missing value the recipe reads as such.
MAX_MISSING_WORDS = 5
#: Bad cells quoted in a message.
SHOWN_CELLS = 3


def text_cells(values: pd.Series) -> tuple[np.ndarray, int]:
    """The positions of the non-missing, non-blank cells of ``values`` that are not numbers, and how many cells
    are numbers. A column of numbers (not text) has none."""
    if not _is_text(values):
        return np.array([], dtype=np.int64), int(values.notna().sum())
    kept = np.flatnonzero(values.notna().to_numpy())
    text = values.iloc[kept].astype(str).str.strip()
    blank = (text == "").to_numpy()
    parsed = pd.to_numeric(text, errors="coerce").notna().to_numpy()
    present = np.zeros(len(values), dtype=bool)
    numbers = np.zeros(len(values), dtype=bool)
    present[kept] = ~blank
    numbers[kept] = parsed & ~blank
    return np.flatnonzero(present & ~numbers), int(numbers.sum())


def refuse_text_in_number_columns(df: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    """Refuse an input column of ``columns`` that is numbers but for a few cells of text that are not markers of
    a missing value: a number in a form not read (``12,5 GBP``, ``(3.5)``, ``1 234``), or more than
    :data:`MAX_MISSING_WORDS` different words. Read as categories, every number in it would have been a category
    of its own."""
    for name in columns:
        values = df[name]
        refuse_bytes(values, str(name), source)
        refuse_infinite(values, str(name))
        if not _maybe_numbers(values):
            _warn_decimal_comma_categories(values, str(name))
            continue
        bad, numbers = text_cells(values)
        if not len(bad) or numbers < MIN_NUMBERS:
            continue
        if numbers < NUMBER_SHARE * (numbers + len(bad)):
            _warn_categories_of_numbers(values, bad, numbers, str(name))
            continue
        words = {str(values.iloc[i]).strip() for i in bad}
        if len(words) <= MAX_MISSING_WORDS and not any(c.isdigit() for word in words for c in word):
            continue  # 'unknown', '-': the recipe reads them as missing and says so
        raise DataError(
            f"column '{name}' of {source} holds numbers but {_cells(values, bad, numbers)}; read with "
            f"{'it' if len(bad) == 1 else 'them'}, each number would be a category of its own: clean those cells, leave "
            f"them empty to mark them missing, or pass --cat-names {name} (Python: cat_names=[{str(name)!r}]) to read "
            "the column as categories"
        )


def refuse_bytes(values: pd.Series, name: str, source: str) -> None:
    """Refuse a DataFrame column of ``bytes`` cells (a blob, or text not yet decoded): read as text, a byte that
    is no UTF-8 stopped pandas with a bare ``UnicodeDecodeError`` naming no column, and one that is would have
    been read as its ``b'...'`` form. Only a DataFrame holds bytes: a file's cells are read as text."""
    if values.dtype != object or pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return  # the common column of text, told apart in C, not cell by cell
    held = values.map(lambda value: isinstance(value, bytes | bytearray)).to_numpy(dtype=bool)
    if not held.any():
        return
    position = int(np.flatnonzero(held)[0])
    example = bytes(values.iloc[position])
    shown = repr(example) if len(example) <= 20 else repr(example[:20])[:-1] + "...'"
    raise DataError(
        f"column {name!r} of {source} holds bytes, e.g. {shown} ({data_row(values, position)}): a table model reads "
        f"text or numbers; decode it first (df[{name!r}] = df[{name!r}].str.decode('utf-8')), or leave it out with "
        f"--ignore {name} (Python: ignore=[{name!r}])"
    )


def refuse_infinite(values: pd.Series, name: str) -> None:
    """Refuse an input column of numbers holding an infinite value, as the recipe refuses one among a continuous
    column's numbers, here for every inferred column: a column whose every cell is infinite was dropped as "the
    same value in every training row" (advising --cat-names to keep it) while a single infinite cell was refused."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_complex_dtype(values.dtype):
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
    elif _maybe_numbers(values):  # numbers written as text: 'inf' among them is read as infinity
        numbers = pd.to_numeric(values.astype(str).str.strip(), errors="coerce").to_numpy(dtype=np.float64)
    else:
        return
    infinite = np.flatnonzero(np.isinf(numbers))
    if len(infinite):
        row = data_row(values, int(infinite[0]))
        raise DataError(f"column '{name}' holds an infinite value ({row}); replace it or leave it empty")


def held_out_missing_words(
    df: pd.DataFrame, columns: Sequence[str], missing_words: dict[str, list[str]]
) -> dict[str, list[str]]:
    """The words without digits (``unknown``, ``-``) that columns of numbers among ``columns`` hold outside the
    rows their recipe was fitted on, beside the ``missing_words`` it reads as missing (up to
    :data:`MAX_MISSING_WORDS` in all), by column. A word only in the validation rows was refused as text while
    the same word in a training row was read as missing; read as missing either way."""
    found: dict[str, list[str]] = {}
    for name in columns:
        values = df[name]
        if not _is_text(values):
            continue
        bad, _ = text_cells(values)
        known = set(missing_words.get(name, []))
        words = [str(word) for word in values.iloc[bad].astype(str).str.strip().unique() if word not in known]
        if not words or len(known) + len(words) > MAX_MISSING_WORDS:
            continue
        if not any(c.isdigit() for word in words for c in word):
            found[name] = words
    return found


#: A text column with at least this share of numbers (below :data:`NUMBER_SHARE`) read as categories is said.
WARNED_SHARE = 0.5


def _warn_decimal_comma_categories(values: pd.Series, name: str) -> None:
    """Warn as :func:`_warn_categories_of_numbers` does when a text column is numbers written with a decimal comma
    (``3,5``) but for a few words in too many rows to read as missing. Reading a file, a column of such numbers and
    only a few other cells (:data:`NUMBER_SHARE`) is read as numbers (:mod:`trainwell.data.io`); with more, every
    value stayed text, none read as a number, and the column was categories without the warning a column of the
    same numbers written with a dot gets."""
    read = _decimal_commas_read(values)
    if read is None:
        return
    bad, numbers = text_cells(read)
    if len(bad) and numbers >= MIN_NUMBERS and numbers < NUMBER_SHARE * (numbers + len(bad)):
        text = values.dropna().astype(str).str.strip()
        example = min(text[text.str.fullmatch(_DECIMAL_COMMA) & text.str.contains(",", regex=False)], key=len)
        _warn_categories_of_numbers(
            read, bad, numbers, name, written=f" (written with a decimal comma, {example!r})"
        )


def _decimal_commas_read(values: pd.Series) -> pd.Series | None:
    """``values`` with its cells that are numbers written with a decimal comma (``3,5``, ``1.234,5``) written as
    Python reads a number (``3.5``), the others as they are; ``None`` when ``values`` is not text or a sample of its
    cells, so read, is not mostly numbers (:func:`_maybe_numbers`: a column of names with commas is passed over
    without reading all of it)."""
    if not _is_text(values):
        return None
    present = values.dropna()
    if len(present) > SAMPLED_CELLS:
        present = present.iloc[np.linspace(0, len(present) - 1, SAMPLED_CELLS).astype(int)]
    if not present.astype(str).str.contains(",", regex=False).any():
        return None
    return _with_dots(values) if _maybe_numbers(_with_dots(present)) else None


def _with_dots(values: pd.Series) -> pd.Series:
    """``values`` (text) with those of its cells that are numbers written with a decimal comma written with a dot,
    as :mod:`trainwell.data.io` reads them in a ``;``-delimited file; the other cells stripped."""
    text = values.astype(object).where(values.isna(), values.astype(str).str.strip())
    written = (text.notna() & text.astype(str).str.fullmatch(_DECIMAL_COMMA)).to_numpy()
    read = text.copy()
    read[written] = text[written].map(lambda value: value.replace(".", "").replace(",", "."))
    return read


def _warn_categories_of_numbers(
    values: pd.Series, bad: np.ndarray, numbers: int, name: str, written: str = ""
) -> None:
    """Warn when a column mostly of numbers (at least :data:`WARNED_SHARE`), but for a few words in too many
    rows to read as missing (``unknown``, ``twenty`` in a fifth of the rows), is read as categories: each number becomes a category of its own (an age of
    24.0 and one of 24.5 as unrelated as 'unknown' and 'twenty'). A few whole numbers (a rating of 1 to 5 and
    'unknown') are categories anyway, and codes that are partly numbers (tickets) are categories."""
    if numbers < WARNED_SHARE * (numbers + len(bad)):
        return
    text = values.astype(object).map(lambda value: str(value).strip())
    parsed = pd.to_numeric(text[values.notna()], errors="coerce").dropna().to_numpy(dtype=float)
    if np.all(parsed % 1 == 0) and len(np.unique(parsed)) <= MAX_INTEGER_CLASSES:
        return
    counts = text.iloc[bad].value_counts()
    if len(counts) > MAX_MISSING_WORDS or any(c.isdigit() for word in counts.index for c in str(word)):
        return  # codes that are partly numbers ('CA. 2343' beside '349909': Titanic's tickets) are categories
    said = ", ".join(
        f"{word!r} ({count} row{'s' if count > 1 else ''})" for word, count in counts.head(3).items()
    )
    more = f" and {len(counts) - 3} other texts" if len(counts) > 3 else ""
    warn(
        f"column '{name}' is read as categories, each number in it{written} a category of its own: {len(bad):,} of its "
        f"{numbers + len(bad):,} values are text ({said}{more}; the first in {data_row(values, int(bad[0]))}). If it is "
        "a column of numbers, leave those cells empty to mark them missing; pass it in --cat-names (Python: "
        f"cat_names=[{name!r}]) to silence this",
        UserWarning,
    )


def refuse_text_in_number_target(
    values: pd.Series, labelled: np.ndarray, name: str, kind: str | None, *, rows: bool = True
) -> None:
    """Refuse a target that is numbers but for some cells of text (``unknown``, ``N.A.``) when it is to be a
    regression: one asked for (``kind="regression"``), or one inferred (``kind=None``), when the numbers are a
    quantity (not a few whole numbers) and make up :data:`NUMBER_SHARE` of the cells. Read as classes, each
    price was a class of its own; ``labelled`` marks the rows that hold a target (the others are left out).
    ``rows=False`` names the cells without their data rows, for values whose rows were renumbered."""
    if kind not in (None, "regression"):
        return
    kept = values[labelled]
    bad, numbers = text_cells(kept)
    if not len(bad):
        return
    if kind is None:
        if numbers < MIN_NUMBERS or numbers < NUMBER_SHARE * (numbers + len(bad)):
            return
        parsed = pd.to_numeric(kept.astype(object).map(lambda v: str(v).strip()), errors="coerce").dropna()
        whole = bool(np.all(parsed.to_numpy(dtype=float) % 1 == 0))
        if whole and parsed.nunique() <= MAX_INTEGER_CLASSES:
            return  # a few whole numbers and some words: classes (the mixed-classes warning says so)
    positions = np.flatnonzero(labelled)[bad]
    raise DataError(
        f"target '{name}' holds numbers but {_cells(values, positions, numbers, rows)}; a regression target must be a "
        "number in every row: fix those cells, or leave them empty (rows without a target are left out, "
        "with a warning)"
    )


def _cells(values: pd.Series, bad: np.ndarray, numbers: int, rows: bool = True) -> str:
    """``"2 of its 891 values are text: '12,5 GBP' (data row 5), 'abc' (data row 9)"``."""
    shown = ", ".join(
        f"{str(values.iloc[i]).strip()!r}" + (f" ({data_row(values, int(i))})" if rows else "")
        for i in bad[:SHOWN_CELLS]
    )
    more = ", ..." if len(bad) > SHOWN_CELLS else ""
    verb = "is" if len(bad) == 1 else "are"
    return f"{len(bad):,} of its {numbers + len(bad):,} values {verb} text: {shown}{more}"


#: Cells looked at first, spread over the column, to pass over a column of text at once: parsing every cell of
#: a million-row column of words takes seconds.
SAMPLED_CELLS = 1000


def _maybe_numbers(values: pd.Series) -> bool:
    """Whether ``values`` is text of which a sample of :data:`SAMPLED_CELLS` cells, spread over the column, is at
    least :data:`WARNED_SHARE` numbers (a column of categories is not)."""
    if not _is_text(values):
        return False
    present = values.dropna()
    if len(present) > SAMPLED_CELLS:
        present = present.iloc[np.linspace(0, len(present) - 1, SAMPLED_CELLS).astype(int)]
    text = present.astype(str).str.strip()
    text = text[text != ""]
    return bool(len(text)) and pd.to_numeric(text, errors="coerce").notna().mean() >= WARNED_SHARE / 2


def _is_text(values: pd.Series) -> bool:
    return isinstance(values.dtype, pd.StringDtype) or values.dtype == object
