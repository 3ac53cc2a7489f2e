"""Words of a table's text columns as model inputs.

A text column with a different value in (almost) every row (Titanic's ``Name``, ``"Braund, Mr. Owen Harris"``;
a product's description) is no category: no value repeats for a code to learn from. Its words repeat, though:
``mr``, ``mrs``, ``master`` and ``miss`` say a passenger's sex, age and standing. :func:`telling_words` picks, on
the training rows only, the words of such a column that say most about the target, and :func:`word_flags` reads
whether each row holds each of them (1.0) or not (0.0): inputs every table model takes, plain enough to be kept
in the recipe's JSON and shown by name.

Words are runs of letters and digits, lower-cased (``"Mr."`` and ``"mr"`` are one word). A word is a candidate
when at least :data:`MIN_WORD_ROWS` training rows (and 0.5% of them) hold it and as many do not; of the
:data:`CANDIDATES` most frequent candidates, the :data:`WORDS_PER_COLUMN` whose presence is most correlated with
the target (with any of its classes, the commonest 50) are kept, if the correlation is beyond chance: at least
:data:`MIN_EVIDENCE` standard errors (``|r| * sqrt(rows)``) from none, so a few hundred rows do not make
inputs of the first names that happen to lean one way.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "CANDIDATES",
    "MIN_EVIDENCE",
    "MIN_WORD_ROWS",
    "WORDS_OF_FREE_TEXT",
    "WORDS_PER_COLUMN",
    "telling_words",
    "word_flags",
    "words_of",
]

#: Most words of one column read as inputs: of a name, a title, an address...
WORDS_PER_COLUMN = 20
#: ...and of free text (a review, a description), where many words each say a little.
WORDS_OF_FREE_TEXT = 100
#: Fewest training rows that must hold a word (and not hold it) for it to be read.
MIN_WORD_ROWS = 5
#: How many of the most frequent words are scored against the target.
CANDIDATES = 2000
#: Fewest standard errors a word's correlation with the target must lie from zero to be read: with 500 words
#: scored, chance passes 3.5 about once in four columns.
MIN_EVIDENCE = 3.5
#: Training rows used to choose the words: enough to rank words, and bounded in time and memory.
_MOST_ROWS = 50_000
#: Classes of a target scored against, the commonest first.
_MOST_CLASSES = 50
_WORD = re.compile(r"[^\W_]+")


def words_of(value: object) -> set[str]:
    """The distinct words of one cell, lower-cased; none for a missing cell.

    Example:
        >>> sorted(words_of("Braund, Mr. Owen Harris"))
        ['braund', 'harris', 'mr', 'owen']
    """
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return set()
    return set(_WORD.findall(str(value).lower()))


def telling_words(values: pd.Series, targets: pd.DataFrame, most: int = WORDS_PER_COLUMN) -> list[str]:
    """The words of a text column (training rows) that say most about ``targets``, best first; empty when no word
    is common enough to learn from (an ID's parts).

    Args:
        values: The column's training values.
        targets: The target column(s) of the same rows: numbers with many values are scored as numbers, others
            as classes.
        most: Most words kept.

    Example:
        >>> names = pd.Series([f"{t} Person{i}" for i, t in enumerate(["Mr.", "Mrs.", "Miss."] * 20)])
        >>> survived = pd.DataFrame({"y": [0, 1, 1] * 20})
        >>> sorted(telling_words(names, survived))  # 'person' is in every row: it tells nothing
        ['miss', 'mr', 'mrs']
    """
    if len(values) > _MOST_ROWS:  # the same rows each time: a refit on the same data picks the same words
        picked = np.random.default_rng(0).choice(len(values), _MOST_ROWS, replace=False)
        values, targets = values.iloc[np.sort(picked)], targets.iloc[np.sort(picked)]
    rows = [words_of(value) for value in values]
    counts = Counter(word for words in rows for word in words)
    floor = max(MIN_WORD_ROWS, int(np.ceil(0.005 * len(rows))))
    candidates = [word for word, count in counts.most_common() if floor <= count <= len(rows) - floor][
        :CANDIDATES
    ]
    if not candidates:
        return []
    answers = _target_matrix(targets)
    if answers.shape[1] == 0:
        return []
    scores = np.abs(_correlations(_sparse_flags(rows, candidates), answers)).max(axis=1)
    scores = np.nan_to_num(scores, nan=0.0) * np.sqrt(len(rows))
    order = np.argsort(-scores, kind="stable")  # ties: the commoner word first
    return [candidates[i] for i in order[:most] if scores[i] >= MIN_EVIDENCE]


def word_flags(values: pd.Series | Sequence[object], words: Sequence[str]) -> np.ndarray:
    """``(rows, len(words))`` float32: 1.0 where a row's cell holds the word, else 0.0 (a missing cell: none).

    Example:
        >>> word_flags(pd.Series(["Mr. Smith", None, "Mrs. Mr"]), ["mr", "mrs"]).tolist()
        [[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]]
    """
    return _flags_of([words_of(value) for value in values], words)


def _flags_of(rows: Sequence[set[str]], words: Sequence[str]) -> np.ndarray:
    """:func:`word_flags` of rows already split into words."""
    position = {word: i for i, word in enumerate(words)}
    flags = np.zeros((len(rows), len(words)), np.float32)
    for row, held in enumerate(rows):
        for word in held:
            column = position.get(word)
            if column is not None:
                flags[row, column] = 1.0
    return flags


def _target_matrix(targets: pd.DataFrame) -> np.ndarray:
    """The targets as numbers to correlate with: a many-valued number as it is, any other target as one 0/1
    column a class (its commonest :data:`_MOST_CLASSES`); rows missing a target are 0 in each of its columns."""
    columns: list[np.ndarray] = []
    for name in targets.columns:
        values = targets[name]
        numeric = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)
        if numeric and values.nunique(dropna=True) > _MOST_CLASSES:
            numbers = values.to_numpy(dtype=np.float64)
            columns.append(np.where(np.isnan(numbers), np.nanmean(numbers), numbers))
            continue
        text = values.astype(str).where(values.notna())
        for value in text.value_counts().index[:_MOST_CLASSES]:
            columns.append((text == value).to_numpy(dtype=np.float64))
    return np.stack(columns, axis=1) if columns else np.zeros((len(targets), 0))


def _sparse_flags(rows: Sequence[set[str]], words: Sequence[str]) -> Any:
    """:func:`word_flags` of rows already split into words, as a sparse ``(rows, words)`` matrix: one pass over the
    rows, whatever the number of words."""
    from scipy import sparse

    position = {word: i for i, word in enumerate(words)}
    columns = [[position[word] for word in held if word in position] for held in rows]
    pointers = np.cumsum([0, *map(len, columns)])
    indices = np.fromiter((i for row in columns for i in row), dtype=np.int64, count=int(pointers[-1]))
    values = np.ones(len(indices), dtype=np.float64)
    return sparse.csr_matrix((values, indices, pointers), shape=(len(rows), len(words)))


def _correlations(flags: Any, answers: np.ndarray) -> np.ndarray:
    """Pearson correlation of each 0/1 flag column (a sparse matrix) with each answer column:
    ``(words, answers)``, from the flags' counts, with no dense copy of the flags."""
    n = flags.shape[0]
    share = np.asarray(flags.mean(axis=0)).ravel()  # a 0/1 column's mean; its variance is share * (1 - share)
    centred = answers - answers.mean(axis=0)
    covariance = np.asarray(flags.T @ centred) / n  # the flags' own centring adds nothing: centred sums to 0
    spread = np.outer(np.sqrt(share * (1 - share)), np.sqrt((centred**2).mean(axis=0)))
    with np.errstate(invalid="ignore", divide="ignore"):
        return covariance / spread
