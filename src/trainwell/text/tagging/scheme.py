"""Tag schemes of sequence labelling (IOB1, IOB2, IOBES) and the entity spans the tags encode.

An entity tag is ``<P>-<TYPE>``: ``B-PER`` begins a person, ``I-PER`` is inside one, ``E-PER`` ends one and
``S-PER`` is a single-token one; ``O`` is outside any entity. The schemes differ in which prefixes they use:

- **IOB2** (BIO): every entity starts with ``B-``. Models are trained on IOB2.
- **IOB1**: entities start with ``I-``; ``B-`` only marks the start of an entity right after another entity
  of the same type (the original CoNLL-2003 files).
- **IOBES** (BIOES, BILOU with other letters): ``S-`` for single tokens and ``E-`` for last tokens.
- **none**: the tags are not entity tags at all (part-of-speech tags such as ``NOUN``), so no spans.

Spans follow the chunk rules of the official ``conlleval`` script, so scores computed from them equal its
scores: a chunk starts at ``B-X``, at ``S-X``, and at ``I-X`` or ``E-X`` when the token before is not inside
a chunk of type X; it ends before ``O``, ``B-``, ``S-`` or a tag of another type, and right after ``E-`` or
``S-``. Invalid sequences (``I-PER`` after ``B-LOC``, ``E-`` without ``B-``) thus still give spans. Tags outside
the scheme (neither ``O`` nor ``<P>-<TYPE>``) count as ``O``. (The Perl script predates IOBES and does not know
``S-``; on IOB1 and IOB2 tags, valid or not, the spans are the script's.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from trainwell.core.errors import ConfigError, DataError
from trainwell.metrics._spans import (
    PREFIX_B,
    PREFIX_E,
    PREFIX_I,
    PREFIX_O,
    PREFIX_S,
    entity_spans_from_ids,
    span_table,
    split_tag,
)

__all__ = [
    "PREFIX_B",
    "PREFIX_E",
    "PREFIX_I",
    "PREFIX_O",
    "PREFIX_S",
    "SCHEMES",
    "detect_scheme",
    "entity_spans",
    "entity_spans_from_ids",
    "from_iob2",
    "refuse_typeless_tags",
    "span_table",
    "tags_outside_scheme",
    "to_iob2",
]

#: The tag schemes: what :func:`detect_scheme` returns and what :func:`to_iob2` / :func:`from_iob2` accept.
SCHEMES = ("iob1", "iob2", "iobes", "none")

_PREFIX_CODES = {"B": PREFIX_B, "I": PREFIX_I, "E": PREFIX_E, "S": PREFIX_S}


def _check_scheme(scheme: str) -> None:
    if scheme not in SCHEMES:
        raise ConfigError(f"scheme {scheme!r} is not a tag scheme; pass one of {', '.join(SCHEMES)}.")


# ------------------------------------------------------------------------------------------------ spans
def entity_spans(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """The entities that a sentence's tags encode, as ``(type, start, end)`` with ``end`` exclusive.

    Works on IOB2, IOB1 and IOBES tags alike, valid or not, with the chunk rules of ``conlleval`` (see the
    module docstring).

    Example:
        >>> entity_spans(["B-PER", "I-PER", "O", "I-LOC", "B-LOC", "S-ORG", "E-ORG"])
        [('PER', 0, 2), ('LOC', 3, 4), ('LOC', 4, 5), ('ORG', 5, 6), ('ORG', 6, 7)]
    """
    spans: list[tuple[str, int, int]] = []
    open_type = ""  # type of the chunk still open after the previous token, "" when none is
    start = 0
    for position, tag in enumerate(tags):
        prefix, kind = split_tag(tag)
        if open_type:
            if prefix in ("I", "E") and kind == open_type:
                if prefix == "E":
                    spans.append((kind, start, position + 1))
                    open_type = ""
                continue
            spans.append((open_type, start, position))
            open_type = ""
        if prefix in ("B", "I"):
            open_type, start = kind, position
        elif prefix in ("E", "S"):
            spans.append((kind, position, position + 1))
    if open_type:
        spans.append((open_type, start, len(tags)))
    return spans


# ---------------------------------------------------------------------------------------------- schemes
def inside_starts(sequences: Iterable[Sequence[str]]) -> list[tuple[int, int, str, str]]:
    """The entities of IOB2 tag sequences that begin with ``I-`` (after ``O``, another type, or at a sentence's
    start) where IOB2 begins each with ``B-``: ``(sentence, word, tag, tag before)``, counted from 0 (``""``
    before a sentence's first word). An annotation slip that IOB2 reads as the start of an entity all the same.

    >>> inside_starts([["O", "I-PER", "I-PER"], ["B-LOC", "I-LOC", "I-ORG"]])
    [(0, 1, 'I-PER', 'O'), (1, 2, 'I-ORG', 'I-LOC')]
    """
    found = []
    for row, tags in enumerate(sequences):
        previous, previous_type = "", ""
        for column, tag in enumerate(tags):
            prefix, kind = split_tag(tag) if tag != "O" else ("O", "")
            if prefix == "I" and kind != previous_type:
                found.append((row, column, tag, previous))
            previous, previous_type = tag, kind
    return found


def tags_outside_scheme(sequences: Iterable[Sequence[str]]) -> tuple[int, list[tuple[int, int, str]]]:
    """How many tags are entity tags (``<P>-<TYPE>``, P in B, I, E, S), and the tags that are neither that nor
    ``O``, as ``(sentence, word, tag)`` counted from 0. One tag of the second kind makes :func:`detect_scheme`
    read the whole data as plain tags (``"none"``): among many entity tags it is more likely a slip (``I-`` with
    no type) than a tag set of another kind.

    >>> tags_outside_scheme([["B-PER", "O", "I-"], ["NOUN", "I-LOC"]])
    (2, [(0, 2, 'I-'), (1, 0, 'NOUN')])
    """
    n_entity = 0
    outside = []
    for row, tags in enumerate(sequences):
        for column, tag in enumerate(tags):
            if tag == "O":
                continue
            if split_tag(tag)[0] == "O":
                outside.append((row, column, tag))
            else:
                n_entity += 1
    return n_entity, outside


_TYPELESS = ("B-", "I-", "E-", "S-")


def refuse_typeless_tags(
    sequences: Sequence[Sequence[str]], place: Callable[[int, int], str]
) -> tuple[int, list[tuple[int, int, str]]]:
    """Refuse entity tags with no type (``B-``, ``I-``, ``E-``, ``S-`` alone) among entity tags, naming the first
    and up to three more by ``place(sentence, word)``: one such slip would make the scheme read as plain tags.
    Training data and the gold tags a fitted tagger is scored on or printed beside are checked alike. Returns
    what :func:`tags_outside_scheme` counts, for callers that go on to warn of other tags.

    Raises:
        DataError: a tag is ``B-``, ``I-``, ``E-`` or ``S-`` alone, among entity tags.
    """
    n_entity, outside = tags_outside_scheme(sequences)
    typeless = [found for found in outside if found[2] in _TYPELESS] if n_entity else []
    if typeless:
        sentence, word, tag = typeless[0]
        more = typeless[1:]
        others = ""
        if more:
            named = "; ".join(place(s, w) for s, w, _ in more[:3])
            others = f" ({len(more):,} more {'tag lacks' if len(more) == 1 else 'tags lack'} one: {named}"
            others += f"; and {len(more) - 3:,} more)" if len(more) > 3 else ")"
        raise DataError(f"{place(sentence, word)}: tag {tag!r} has no entity type; fix it{others}")
    return n_entity, outside


def detect_scheme(sequences: Iterable[Sequence[str]]) -> str:
    """The tag scheme of a dataset's tag sequences: ``"iob1"``, ``"iob2"``, ``"iobes"`` or ``"none"``.

    ``"none"`` when some tag is neither ``O`` nor ``<P>-<TYPE>`` with P in B, I, E, S (part-of-speech tags),
    ``"iobes"`` when any ``E-`` or ``S-`` tag appears. Otherwise the entity starts decide: an entity that
    starts with ``I-`` (at the sentence start, after ``O`` or after another type) is IOB1 style, one that starts
    with ``B-`` where the token before is not of the same type is IOB2 style; the more frequent style wins, so
    a few annotation slips do not flip the scheme, and a dataset where every entity starts with ``B-`` (or one
    whose tags are all ``O``) is IOB2. No tags at all is ``"none"``.

    Example:
        >>> detect_scheme([["B-PER", "I-PER", "O"]]), detect_scheme([["I-PER", "I-PER", "B-PER"]])
        ('iob2', 'iob1')
        >>> detect_scheme([["S-PER", "O"]]), detect_scheme([["NOUN", "VERB"]])
        ('iobes', 'none')
    """
    has_tags = has_end_or_single = False
    iob1_starts = iob2_starts = 0
    for tags in sequences:
        previous_type = ""  # "" for O and at the sentence start
        for tag in tags:
            has_tags = True
            if tag == "O":
                previous_type = ""
                continue
            prefix, kind = split_tag(tag)
            if prefix == "O":
                return "none"
            if prefix in ("E", "S"):
                has_end_or_single = True
            elif kind != previous_type:
                if prefix == "I":
                    iob1_starts += 1
                else:
                    iob2_starts += 1
            previous_type = kind
    if not has_tags:
        return "none"
    if has_end_or_single:
        return "iobes"
    return "iob1" if iob1_starts > iob2_starts else "iob2"


def to_iob2(tags: Sequence[str], scheme: str) -> list[str]:
    """Rewrite one sentence's tags from ``scheme`` to IOB2 (``iob2`` and ``none`` come back unchanged).

    The entities (as :func:`entity_spans` reads them) are kept: IOB1's ``I-X`` that begins an entity becomes
    ``B-X``; IOBES's ``S-X`` becomes ``B-X`` and ``E-X`` becomes ``I-X``.

    Raises:
        ConfigError: ``scheme`` is not one of :data:`SCHEMES`.

    Example:
        >>> to_iob2(["I-PER", "I-PER", "B-PER", "O", "I-LOC"], "iob1")
        ['B-PER', 'I-PER', 'B-PER', 'O', 'B-LOC']
        >>> to_iob2(["S-PER", "B-LOC", "E-LOC"], "iobes")
        ['B-PER', 'B-LOC', 'I-LOC']
    """
    _check_scheme(scheme)
    result = list(tags)
    if scheme in ("iob2", "none"):
        return result
    for kind, start, end in entity_spans(tags):
        result[start] = f"B-{kind}"
        for position in range(start + 1, end):
            result[position] = f"I-{kind}"
    return result


def from_iob2(tags: Sequence[str], scheme: str) -> list[str]:
    """Rewrite one sentence's IOB2 tags in ``scheme`` (the reverse of :func:`to_iob2`), so that predictions
    can be written in the scheme of the user's data.

    To IOBES: single-token entities become ``S-X``, the last token of longer ones ``E-X``. To IOB1: an entity
    starts with ``I-X``, unless the token before ends an entity of the same type, where it keeps ``B-X``.

    Raises:
        ConfigError: ``scheme`` is not one of :data:`SCHEMES`.

    Example:
        >>> from_iob2(["B-PER", "I-PER", "B-PER", "O", "B-LOC"], "iob1")
        ['I-PER', 'I-PER', 'B-PER', 'O', 'I-LOC']
        >>> from_iob2(["B-PER", "B-LOC", "I-LOC"], "iobes")
        ['S-PER', 'B-LOC', 'E-LOC']
    """
    _check_scheme(scheme)
    result = list(tags)
    if scheme in ("iob2", "none"):
        return result
    previous_end, previous_type = -1, ""
    for kind, start, end in entity_spans(tags):
        if scheme == "iobes":
            if end - start == 1:
                result[start] = f"S-{kind}"
            else:
                result[start] = f"B-{kind}"
                result[start + 1 : end - 1] = [f"I-{kind}"] * (end - start - 2)
                result[end - 1] = f"E-{kind}"
        else:
            adjacent_same_type = previous_end == start and previous_type == kind
            result[start] = f"B-{kind}" if adjacent_same_type else f"I-{kind}"
            result[start + 1 : end] = [f"I-{kind}"] * (end - start - 1)
        previous_end, previous_type = end, kind
    return result
