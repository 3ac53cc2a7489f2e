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
