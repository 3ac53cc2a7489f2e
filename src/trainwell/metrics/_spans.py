"""Entity spans from tag ids, with the chunk rules of CoNLL's official ``conlleval`` script.

Tags are ``O`` or ``<prefix>-<TYPE>`` with prefix ``B`` (begin), ``I`` (inside), ``E`` (end) or ``S`` (single).
A chunk starts at ``B-X`` or ``S-X``, and at ``I-X`` or ``E-X`` when the token before is not inside a chunk of
type X; it ends before ``O``, ``B-``, ``S-`` or a tag of another type, and right after ``E-`` or ``S-``. Tags
outside the scheme count as ``O``. Metrics run this on every validation batch, so it works on class ids
through two lookup arrays (:func:`span_table`) rather than on strings; :mod:`trainwell.text.tagging.scheme` has
the same rules on tag strings.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from trainwell.core.errors import ConfigError

__all__ = [
    "PREFIX_B",
    "PREFIX_E",
    "PREFIX_I",
    "PREFIX_O",
    "PREFIX_S",
    "batch_entity_spans",
    "entity_spans_from_ids",
    "span_table",
    "split_tag",
]

#: Prefix codes of :func:`span_table`: outside (``O`` or a tag outside the scheme), begin, inside, end, single.
PREFIX_O, PREFIX_B, PREFIX_I, PREFIX_E, PREFIX_S = 0, 1, 2, 3, 4
_PREFIX_CODES = {"B": PREFIX_B, "I": PREFIX_I, "E": PREFIX_E, "S": PREFIX_S}


def split_tag(tag: str) -> tuple[str, str]:
    """``"B-PER"`` -> ``("B", "PER")``; ``"O"`` and tags outside the scheme -> ``("O", "")``."""
    if len(tag) > 2 and tag[1] == "-" and tag[0] in _PREFIX_CODES:
        return tag[0], tag[2:]
    return "O", ""


def span_table(classes: Sequence[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Tables for :func:`entity_spans_from_ids`: each class's prefix code and entity type index.

    Args:
        classes: the tag of each class id, e.g. ``["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]``.

    Returns:
        ``(prefix, type_index, types)``: ``prefix[c]`` is :data:`PREFIX_O` (0), ``PREFIX_B`` (1), ``PREFIX_I``
        (2), ``PREFIX_E`` (3) or ``PREFIX_S`` (4); ``type_index[c]`` indexes the sorted list ``types``, -1 for
        ``O`` and tags outside the scheme.

    Example:
        >>> prefix, type_index, types = span_table(["O", "B-PER", "I-PER", "B-LOC"])
        >>> prefix.tolist(), type_index.tolist(), types
        ([0, 1, 2, 1], [-1, 1, 1, 0], ['LOC', 'PER'])
    """
    parts = [split_tag(tag) for tag in classes]
    types = sorted({kind for prefix, kind in parts if prefix != "O"})
    type_number = {kind: index for index, kind in enumerate(types)}
    prefix = np.array([_PREFIX_CODES.get(code, PREFIX_O) for code, _ in parts], dtype=np.int64)
    type_index = np.array([type_number.get(kind, -1) for _, kind in parts], dtype=np.int64)
    return prefix, type_index, types


def entity_spans_from_ids(
    ids: Sequence[int] | np.ndarray, prefix: np.ndarray, type_index: np.ndarray
) -> list[tuple[int, int, int]]:
    """:func:`entity_spans` on the class ids of one sentence (no padding), as ``(type_index, start, end)``.

    Runs on every validation batch, so it is one plain loop over Python ints (a few microseconds for a
    sentence; numpy's per-call overhead is larger than the work at sentence lengths).

    Args:
        ids: the class id of every token (a list, or a 1-d array or tensor converted with ``.tolist()``).
        prefix: ``span_table(classes)[0]``.
        type_index: ``span_table(classes)[1]``.

    Raises:
        ConfigError: an id is negative or not below the number of classes (padding left in).

    Example:
        >>> prefix, type_index, types = span_table(["O", "B-PER", "I-PER", "B-LOC"])
        >>> entity_spans_from_ids([1, 2, 0, 2, 3], prefix, type_index)
        [(1, 0, 2), (1, 3, 4), (0, 4, 5)]
    """
    values = ids.tolist() if hasattr(ids, "tolist") else list(ids)
    if not values:
        return []
    prefixes, types = prefix.tolist(), type_index.tolist()
    if min(values) < 0 or max(values) >= len(prefixes):
        raise ConfigError(
            f"class ids must lie in 0..{len(prefixes) - 1} (one per class given to span_table); got ids from "
            f"{min(values)} to {max(values)}. Remove padding ids before computing spans."
        )
    spans: list[tuple[int, int, int]] = []
    open_type = -1  # type of the chunk still open after the previous token, -1 when none is
    start = 0
    for position, class_id in enumerate(values):
        code, kind = prefixes[class_id], types[class_id]
        if open_type >= 0:
            if code in (PREFIX_I, PREFIX_E) and kind == open_type:
                if code == PREFIX_E:
                    spans.append((kind, start, position + 1))
                    open_type = -1
                continue
            spans.append((open_type, start, position))
            open_type = -1
        if code in (PREFIX_B, PREFIX_I):
            open_type, start = kind, position
        elif code != PREFIX_O:  # E- or S- outside an open chunk: a one-token chunk
            spans.append((kind, position, position + 1))
    if open_type >= 0:
        spans.append((open_type, start, len(values)))
    return spans


def batch_entity_spans(
    ids: np.ndarray, lengths: np.ndarray, prefix: np.ndarray, type_index: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`entity_spans_from_ids` on every sentence of a padded batch at once, with numpy.

    The metrics read three spans per batch and sentence (F1, precision and recall each): a loop over sentences in
    Python cost 5% of a validation pass on CoNLL-2003, this a few numpy passes over the batch. The rules are
    local: after token ``t`` a chunk of ``t``'s type is open exactly when ``t`` is ``B-`` or ``I-``; token
    ``t + 1`` continues it when it is ``I-`` or ``E-`` of that type, and otherwise a chunk starts at ``t + 1``
    unless it is ``O``.

    Args:
        ids: ``(B, T)`` class ids; positions at or past a sentence's length are not read.
        lengths: ``(B,)`` words of each sentence.
        prefix, type_index: :func:`span_table`'s tables.

    Returns:
        ``(row, type_index, start, end)``, one entry per entity, ordered by row then start; ``end`` exclusive.

    Raises:
        ConfigError: an id within a sentence is negative or not below the number of classes.

    Example:
        >>> prefix, type_index, types = span_table(["O", "B-PER", "I-PER", "B-LOC"])
        >>> [a.tolist() for a in batch_entity_spans(np.array([[1, 2, 0, 2, 3]]), np.array([5]), prefix, type_index)]
        [[0, 0, 0], [1, 1, 0], [0, 3, 4], [2, 4, 5]]
    """
    ids = np.asarray(ids, dtype=np.int64).reshape(len(lengths), -1)
    batch, width = ids.shape
    inside = np.arange(width) < np.asarray(lengths).reshape(-1, 1)  # (B, T)
    read = ids[inside]
    if read.size and (read.min() < 0 or read.max() >= len(prefix)):
        raise ConfigError(
            f"class ids must lie in 0..{len(prefix) - 1} (one per class given to span_table); got ids from "
            f"{read.min()} to {read.max()}. Remove padding ids before computing spans."
        )
    # One column of O after every sentence closes the chunks still open at its end.
    codes = np.full((batch, width + 1), PREFIX_O, dtype=np.int64)
    kinds = np.full((batch, width + 1), -1, dtype=np.int64)
    codes[:, :width][inside] = prefix[read]
    kinds[:, :width][inside] = type_index[read]
    opens = (codes == PREFIX_B) | (codes == PREFIX_I)
    open_kind = np.where(opens, kinds, -1)  # the chunk open after each token, -1 when none
    before = np.concatenate([np.full((batch, 1), -1, dtype=np.int64), open_kind[:, :-1]], axis=1)
    continues = (before >= 0) & ((codes == PREFIX_I) | (codes == PREFIX_E)) & (kinds == before)
    starts = ~continues & (codes != PREFIX_O)
    # A chunk ends before a token that does not continue it, and right after an E- or S- token (a chunk of
    # one E-/S- token starts and ends there).
    ends_before = (before >= 0) & ~continues
    ends_after = (codes == PREFIX_E) | (codes == PREFIX_S)
    start_row, start = np.nonzero(starts)
    before_row, before_end = np.nonzero(ends_before)
    after_row, after_end = np.nonzero(ends_after)
    # Chunks never overlap, so the k-th start (row by row, left to right) pairs with the k-th end.
    end_row = np.concatenate([before_row, after_row])
    end = np.concatenate([before_end, after_end + 1])
    order = np.lexsort((end, end_row))
    return start_row, kinds[start_row, start], start, end[order]
