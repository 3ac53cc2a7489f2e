"""The checks :func:`~trainwell.text.data.text_data` makes of its settings and of a table's columns, texts
and labels before it tokenises anything: each refusal names the row or column and what to do."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from trainwell.core.errors import DataError
from trainwell.core.warn import warn
from trainwell.text.tokenize import validate_texts

if TYPE_CHECKING:
    import pandas as pd


def check_settings(valid_pct: float, batch_size: int | None) -> None:
    """Refuse a batch size that is not a whole number of at least 1, and a held-out share outside [0, 1)."""
    from trainwell.data.bundle import check_split_settings

    check_split_settings(valid_pct, batch_size)


_PYTHON_NAMES = {"--text": "text_col", "--target": "target", "--valid-col": "valid_col"}


def check_column(frame: pd.DataFrame, name: str, flag: str, what: str) -> None:
    """Refuse a table without the column ``name``, naming the columns it has and the option (``flag``) to set."""
    if name not in frame.columns:
        from trainwell.data.io import did_you_mean

        shown = ", ".join(map(str, list(frame.columns)[:30]))
        close = did_you_mean([name], [str(column) for column in frame.columns])
        raise DataError(
            f"{flag.strip('-')} column '{name}' not found in {what}{close}; columns are: {shown}. Pass {flag} NAME "
            f"(Python: {_PYTHON_NAMES.get(flag, flag)}=)"
        )


def checked_texts(
    frame: pd.DataFrame,
    text_col: str | Sequence[str],
    what: str,
    drop_empty: bool,
    *,
    from_file: bool = True,
) -> pd.DataFrame:
    """Rows with a real text in the text column (in each, given several): non-strings and (unless
    ``drop_empty``) blank texts raise, naming the column and row.

    A row is named as a file's data row (from 1, below the header), or a DataFrame's index label; a missing
    cell and one of nothing but white space count alike. Dropped rows are counted in a warning.
    """
    columns = [text_col] if isinstance(text_col, str) else list(text_col)

    def row_name(position: int) -> str:
        return f"data row {position + 1}" if from_file else f"the row at index {frame.index[position]!r}"

    dropped = np.zeros(len(frame), dtype=bool)
    for name in columns:
        column = frame[name]
        blank = column.map(lambda value: isinstance(value, str) and not value.strip()).to_numpy(dtype=bool)
        empty = column.isna().to_numpy() | blank
        if empty.any():
            rows = np.flatnonzero(empty)
            if not drop_empty:
                raise DataError(
                    f"text column '{name}' in {what} is empty in {row_name(int(rows[0]))} ({len(rows)} "
                    f"row{'' if len(rows) == 1 else 's'} in all); fill or drop those rows, or pass --drop-empty "
                    "(Python: drop_empty=True)"
                )
            if len(rows) == len(frame):
                raise DataError(
                    f"text column '{name}' in {what} is empty in every row; there is nothing to read"
                )
            warn(
                f"dropped {len(rows)} of {len(frame)} rows of {what} whose text column '{name}' is empty (the "
                f"first: {row_name(int(rows[0]))})",
                UserWarning,
            )
        strings = column.map(lambda value: isinstance(value, str)).to_numpy(dtype=bool)
        other = np.flatnonzero(~empty & ~strings)
        if len(other):
            frame = _numbers_as_text(frame, name, other, what, row_name)
        dropped |= empty
    if dropped.all():
        raise DataError(f"every row of {what} has an empty text column; there is nothing to read")
    if dropped.any():
        frame = frame.loc[~dropped].reset_index(drop=True)
    for name in columns:
        validate_texts(frame[name].tolist(), name=f"text column '{name}' row")
    return frame


def _numbers_as_text(
    frame: pd.DataFrame, name: str, rows: np.ndarray, what: str, row_name: Callable[[int], str]
) -> pd.DataFrame:
    """``frame`` whose text column ``name`` holds numbers in ``rows`` (codes, ids: a DataFrame's int column, a
    number in a JSON or Parquet file) with those read as their text (``864`` -> ``"864"``; a float of a whole
    number, as a column with gaps holds it, without ``.0``), said in one warning; any other value is refused,
    naming its row (``row_name`` of its position)."""
    import numbers

    column = frame[name]
    for position in rows.tolist():
        item = column.iloc[position]
        if not isinstance(item, numbers.Number) or isinstance(item, bool):
            raise DataError(
                f"text column '{name}' in {what} holds {str(item)[:40]} ({type(item).__name__}), not text, in "
                f"{row_name(position)}; a text column holds strings (Python: frame['{name}'].astype(str))"
            )
    value, first = column.iloc[int(rows[0])], row_name(int(rows[0]))

    def as_text(item: object) -> object:
        if isinstance(item, str) or not isinstance(item, numbers.Number) or item != item:  # NaN: missing
            return item
        if isinstance(item, numbers.Integral):
            return str(int(item))
        number = float(item)  # type: ignore[arg-type]
        return str(int(number)) if number.is_integer() else repr(number)

    warn(
        f"text column '{name}' in {what} holds numbers, not strings ({value} in {first}, {len(rows)} row"
        f"{'' if len(rows) == 1 else 's'} in all): each is read as its text, e.g. '{as_text(value)}'; a number keeps "
        "no leading zeros, so pass codes such as 00123 as strings",
        UserWarning,
    )
    frame = frame.copy()
    frame[name] = column.astype(object).map(as_text)
    return frame


def check_labels_present(labels: pd.Series, target: str, what: str) -> None:
    """Refuse a single-label column with missing or blank labels, counted over every row of ``what``."""
    empty = labels.map(lambda value: value is None or (isinstance(value, str) and not value.strip()))
    missing = int((labels.isna() | empty.astype(bool)).sum())
    if missing:
        raise DataError(
            f"target '{target}' is missing in {missing} of {len(labels)} rows of {what}; drop those rows or "
            "fill them (several labels per text, where an empty cell means none? pass --label-delim)"
        )


#: Validation texts sampled for the overlap check, and the share found inside training texts that is warned of.
OVERLAP_SAMPLE, OVERLAP_SHARE = 200, 0.5
#: Characters of training text the overlap check searches at most (a sample of the texts beyond it).
OVERLAP_CHARS = 5_000_000


#: What to do about validation texts inside training texts, as text_data says it.
HOLD_OUT_WHOLE = (
    "hold out whole texts with --valid-col (Python: valid_col=) or a validation file of their own"
)


def warn_validation_inside_training(
    train_texts: list[str], valid_texts: list[str], what: str, seed: int = 0, fix: str = HOLD_OUT_WHOLE
) -> float | None:
    """Warn when most validation texts drawn at random appear word for word inside a training text: phrases cut
    from the same sentences (SST-2's training phrases, 83% of a random fifth inside another), or documents
    split into overlapping pieces, make the validation score flatter the model and a search pick the settings
    that memorise best. Checks a seeded sample of :data:`OVERLAP_SAMPLE` validation texts of two words or more;
    returns the share found inside (``None``: nothing to check). ``fix``: what to do, as the warning says it."""
    rng = np.random.default_rng(seed)
    candidates = [text for text in valid_texts if isinstance(text, str) and len(text.split()) >= 2]
    if not candidates or not train_texts:
        return None
    picked = rng.choice(len(candidates), size=min(OVERLAP_SAMPLE, len(candidates)), replace=False)
    total = sum(len(text) for text in train_texts)
    searched = train_texts
    if total > OVERLAP_CHARS:  # a corpus of long documents: a sample of them, in their order
        keep = np.sort(
            rng.choice(len(train_texts), size=int(len(train_texts) * OVERLAP_CHARS / total), replace=False)
        )
        searched = [train_texts[i] for i in keep]
    blob = "\n".join(" ".join(str(text).lower().split()) for text in searched)
    inside = sum(" ".join(candidates[i].lower().split()) in blob for i in picked)
    share = inside / len(picked)
    if share >= OVERLAP_SHARE:
        warn(
            f"{share:.0%} of the validation texts drawn from {what} appear word for word inside a training text "
            f"({inside} of {len(picked)} checked): they are pieces of the same texts (phrases cut from one "
            f"sentence, a document split in parts), so the validation scores flatter the model; {fix}",
            UserWarning,
        )
    return share


#: A text column is short (a file path, a code, a title) when its median row has at most this many words: its
#: words are checked for one that names the label. Long texts (a review) hold such words for good reasons.
SHORT_TEXT_WORDS = 10
#: Fewest training rows for the check (a word on 3 of 5 rows agreeing with a class is chance).
LABEL_WORD_MIN_ROWS = 50
#: The training rows looked at, at most.
LABEL_WORD_ROWS = 20_000


def warn_label_words(
    frame: pd.DataFrame, columns: Sequence[str], labels: pd.Series, target: str
) -> list[str]:
    """Warn of each short text column of an example of several (``--text text,file``) holding a word on
    exactly the training rows of one class (``train/pos/123_9.txt`` beside the label ``pos``): a column that
    names the answer, which predictions will not have. A table's columns are checked so; given as a text,
    the same column trained to ROC AUC 1.0 in one epoch with no word said. Returns the columns warned of."""
    import re

    if len(frame) < LABEL_WORD_MIN_ROWS:
        return []
    from collections import Counter

    rows = slice(0, LABEL_WORD_ROWS)  # a word that names the label does so on any rows: these are enough
    kept = labels.astype(str).to_numpy()[rows]
    totals = Counter(kept.tolist())
    warned = []
    for column in columns:
        cells = frame[column].iloc[rows].fillna("").astype(str)
        if float(cells.str.split().str.len().median()) > SHORT_TEXT_WORDS:
            continue
        classes_of: dict[str, Counter[str]] = {}
        for cell, label in zip(cells, kept, strict=True):
            for word in set(re.findall(r"[^\W_]+", cell.lower())):
                classes_of.setdefault(word, Counter())[label] += 1
        floor = max(5, len(kept) // 100)
        for word, classes in sorted(classes_of.items()):
            if len(classes) != 1:
                continue
            label, count = next(iter(classes.items()))
            if floor <= count == totals[label] < len(kept):  # on the rows of that class, and on them alone
                warn(
                    f"text column '{column}' holds the word '{word}' on exactly the training rows whose {target} is "
                    f"'{label}': if the column is not known when predicting (a file path naming the label), it "
                    "leaks the answer and the scores will flatter the model; leave it out of --text (Python: "
                    "text_col=)"
                )
                warned.append(column)
                break
    return warned
