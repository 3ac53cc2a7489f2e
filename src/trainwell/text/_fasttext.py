"""fastText's supervised format: a text a line after its labels, each written ``__label__<name>`` (Amazon and Yelp
polarity, AG News, DBpedia as fastText ships them; several labels on a line make the task multi-label)::

    __label__2 Great CD: My lovely Pat has one of the GREAT voices of her generation...
    __label__baking __label__bread How do I make my bread rise more?

Read into the table of ``text`` and ``label`` the text commands take, so fit, evaluate, predict and report read
such a file as they read a CSV of texts and labels.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from trainwell.core.errors import DataError
from trainwell.core.paths import is_table_file
from trainwell.core.text_encoding import file_lines

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LABEL_PREFIX", "fasttext_lines", "is_fasttext_file", "read_fasttext"]

LABEL_PREFIX = "__label__"
#: The first lines looked at to tell the format.
_SNIFFED = 5


def is_fasttext_file(path: str | Path) -> bool:
    """Whether ``path`` is a file (not named as a table) whose first non-blank lines start with ``__label__``."""
    path = Path(path)
    if str(path) == "-" or not path.is_file() or is_table_file(path):
        return False
    from trainwell.data.io import head_lines

    lines = [line for line in head_lines(path, "utf-8") if line.strip()][:_SNIFFED]
    return bool(lines) and all(line.lstrip().startswith(LABEL_PREFIX) for line in lines)


def read_fasttext(
    path: str | Path,
    *,
    encoding: str = "utf-8",
    encoding_errors: Literal["strict", "replace"] = "strict",
) -> pd.DataFrame:
    """The texts of a fastText file and their labels (``__label__`` cut off), as the columns ``text`` and
    ``label``: a label a row, or, when a line holds several, a list of labels a row (multi-label). Blank lines
    are skipped.

    Raises:
        DataError: A line without a label or without a text (its number said), or a file not in ``encoding``.
    """
    import pandas as pd

    from trainwell.data.io import read_text_file

    path = Path(path)
    rows: list[tuple[str, list[str]]] = []
    text_of = read_text_file(path, encoding=encoding, encoding_errors=encoding_errors)
    for number, line in enumerate(file_lines(text_of), start=1):
        words = line.split()
        if not words:
            continue
        labels = []
        while words and words[0].startswith(LABEL_PREFIX):
            labels.append(words.pop(0)[len(LABEL_PREFIX) :])
        if not labels or not all(labels):
            raise DataError(
                f"'{path}' line {number} has no {LABEL_PREFIX}<name> label before its text ({line[:60]!r}); in "
                f"fastText's format each line starts with its labels: {LABEL_PREFIX}pos a great film"
            )
        if not words:
            raise DataError(
                f"'{path}' line {number} has labels but no text ({line[:60]!r}): add its text or drop it"
            )
        rows.append((" ".join(words), labels))
    if not rows:
        raise DataError(f"'{path}' holds no labelled text")
    several = any(len(labels) > 1 for _, labels in rows)
    return pd.DataFrame(
        {
            "text": [text for text, _ in rows],
            "label": [labels if several else labels[0] for _, labels in rows],
        }
    )


def fasttext_lines(
    data: pd.DataFrame | str | Path, *, encoding: str = "utf-8", encoding_errors: str = "strict"
) -> list[int] | None:
    """The line, counted from 1, of each text of a fastText file ``data`` in the order
    :func:`~trainwell.text._fasttext.read_fasttext` reads them (it skips blank lines, so the ``n``-th text can sit
    on a later line); ``None`` for any other data, whose rows go by their number or label.

    ``trainwell predict`` numbers its answers to such a file by these lines, as the report names its texts and
    ``evaluate --oof`` its out-of-fold predictions."""
    if not isinstance(data, str | Path) or Path(data).is_dir():
        return None
    from trainwell.data.io import read_text_file

    if not is_fasttext_file(data):
        return None
    text = read_text_file(Path(data), encoding=encoding, encoding_errors=encoding_errors)
    # read_fasttext's own rule: a line of no words is skipped; every other line is a text or an error.
    return [number for number, line in enumerate(file_lines(text), start=1) if line.split()]
