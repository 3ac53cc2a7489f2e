"""Pretrained word vectors (GloVe, word2vec or fastText text format) to start a tagger's word embedding from.

A file holds one word per line followed by its vector, separated by spaces (``.gz`` too); fastText's first
line ``<count> <dim>`` is skipped. Words are keyed like the tagging vocabulary (lower-cased, digits read as
``0``; :func:`~trainwell.text.tagging.recipe.word_key`), the first vector of a key wins. Files list their words
from the most frequent, so ``max_words`` keeps the useful head of a multi-gigabyte file.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from trainwell.core.errors import DataError

__all__ = ["read_word_vectors"]


def read_word_vectors(
    path: str | Path, *, max_words: int | None = 100_000, lowercase: bool = True
) -> tuple[list[str], np.ndarray]:
    """The first ``max_words`` distinct word keys of a vectors file and their vectors ``(n, dim)``, float32.

    Raises:
        DataError: the file is missing, empty, or a line does not hold a word and ``dim`` numbers.
    """
    from trainwell.text.tagging.recipe import word_key

    source = Path(path)
    if not source.is_file():
        raise DataError(
            f"word vectors file '{source}' not found; pass a GloVe / word2vec / fastText .txt or .vec file"
        )
    opener = gzip.open if source.name.endswith(".gz") else open
    words: list[str] = []
    rows: list[np.ndarray] = []
    seen: set[str] = set()
    dim: int | None = None
    with opener(source, "rt", encoding="utf-8", errors="replace") as stream:  # type: ignore[operator]
        for number, line in enumerate(stream, start=1):
            parts = line.rstrip("\n").rstrip().split(" ")
            if number == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                continue  # fastText's header: <count> <dim>
            if len(parts) < 2:
                continue
            try:
                vector = np.asarray(parts[1:], dtype=np.float32)
            except ValueError:
                raise DataError(
                    f"{source}, line {number}: expected a word then numbers, got {line[:60]!r}; is this a word "
                    "vectors file in text format?"
                ) from None
            if dim is None:
                dim = len(vector)
            elif len(vector) != dim:
                raise DataError(
                    f"{source}, line {number}: {len(vector)} numbers where the first vector had {dim}; the file is "
                    "damaged or mixes two sets of vectors"
                )
            key = word_key(parts[0], lowercase)
            if key in seen:
                continue
            seen.add(key)
            words.append(key)
            rows.append(vector)
            if max_words is not None and len(words) >= max_words:
                break
    if not words:
        raise DataError(f"word vectors file '{source}' holds no vectors")
    return words, np.stack(rows)
