"""Tag schemes and entity spans: against a transcription of conlleval's chunk rules, the id version against the
tag version on random (often invalid) sequences, scheme detection and conversion round trips."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from trainwell.core.errors import ConfigError
from trainwell.text.tagging.scheme import (
    SCHEMES,
    detect_scheme,
    entity_spans,
    entity_spans_from_ids,
    from_iob2,
    span_table,
    to_iob2,
)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


# -------------------------------------------------------------------------------- conlleval, transcribed
def _conlleval_end_of_chunk(prev_tag: str, tag: str, prev_type: str, kind: str) -> bool:
    """``endOfChunk`` of conlleval.pl, line by line (the bracket rules left out)."""
    pairs = {("B", "B"), ("B", "O"), ("I", "B"), ("I", "O"), ("E", "E"), ("E", "I"), ("E", "O")}
    return (prev_tag, tag) in pairs or (prev_tag not in ("O", ".") and prev_type != kind)


def _conlleval_start_of_chunk(prev_tag: str, tag: str, prev_type: str, kind: str) -> bool:
    """``startOfChunk`` of conlleval.pl, line by line (the bracket rules left out)."""
    pairs = {("B", "B"), ("I", "B"), ("O", "B"), ("O", "I"), ("E", "E"), ("E", "I"), ("O", "E")}
    return (prev_tag, tag) in pairs or (tag not in ("O", ".") and prev_type != kind)


def conlleval_chunks(tags: list[str]) -> list[tuple[str, int, int]]:
    """The chunks conlleval.pl counts in one sentence (it ends every sentence with an ``O``)."""
    chunks = []
    prev_tag, prev_type, start = "O", "", -1
    for position, full_tag in enumerate([*tags, "O"]):
        tag, _, kind = full_tag.partition("-")
        if start >= 0 and _conlleval_end_of_chunk(prev_tag, tag, prev_type, kind):
            chunks.append((prev_type, start, position))
            start = -1
        if _conlleval_start_of_chunk(prev_tag, tag, prev_type, kind):
            start = position
        prev_tag, prev_type = tag, kind
    return chunks


def random_tags(rng: random.Random, prefixes: str, length: int) -> list[str]:
    choices = ["O", "O"] + [f"{prefix}-{kind}" for prefix in prefixes for kind in ("PER", "LOC", "ORG")]
    return [rng.choice(choices) for _ in range(length)]


def test_entity_spans_equal_conlleval_on_random_iob_tags() -> None:
    # conlleval predates IOBES (its S- rules are missing), so the reference covers B-, I- and O tags, which
    # random draws make invalid often (I- after O, I-PER after B-LOC)
    rng = random.Random(0)
    for _ in range(3000):
        tags = random_tags(rng, "BI", rng.randrange(0, 12))
        assert entity_spans(tags) == conlleval_chunks(tags), tags


@pytest.mark.parametrize(
    ("tags", "spans"),
    [
        ([], []),
        (["O", "O"], []),
        (["B-PER", "I-PER", "O", "B-LOC"], [("PER", 0, 2), ("LOC", 3, 4)]),
        (["B-PER", "B-PER", "I-PER"], [("PER", 0, 1), ("PER", 1, 3)]),
        (["I-PER", "I-PER", "B-PER"], [("PER", 0, 2), ("PER", 2, 3)]),  # IOB1
        (["O", "I-LOC", "I-LOC"], [("LOC", 1, 3)]),  # I- after O starts a chunk
        (["B-LOC", "I-PER", "I-PER"], [("LOC", 0, 1), ("PER", 1, 3)]),  # I- of another type starts one
        (["B-PER", "I-PER", "E-PER", "S-LOC"], [("PER", 0, 3), ("LOC", 3, 4)]),
        (["S-PER", "S-PER"], [("PER", 0, 1), ("PER", 1, 2)]),
        (["E-PER", "I-PER", "E-PER"], [("PER", 0, 1), ("PER", 1, 3)]),  # E- without B-; I- after E- starts
        (["B-PER", "E-PER", "E-PER"], [("PER", 0, 2), ("PER", 2, 3)]),
        (["S-PER", "I-PER"], [("PER", 0, 1), ("PER", 1, 2)]),
        (["B-PER", "NOUN", "I-PER", "B-", "I-X"], [("PER", 0, 1), ("PER", 2, 3), ("X", 4, 5)]),
        (["B-I-PER", "I-I-PER"], [("I-PER", 0, 2)]),  # a type may hold a hyphen
    ],
)
def test_entity_spans_table(tags: list[str], spans: list[tuple[str, int, int]]) -> None:
    assert entity_spans(tags) == spans


CLASSES = ["O", *(f"{prefix}-{kind}" for prefix in "BIES" for kind in ("PER", "LOC", "ORG")), "NOUN", "B-"]


def test_span_table() -> None:
    prefix, type_index, types = span_table(["O", "B-PER", "I-PER", "E-LOC", "S-LOC", "NOUN", "I-MISC"])
    assert prefix.tolist() == [0, 1, 2, 3, 4, 0, 2]
    assert type_index.tolist() == [-1, 2, 2, 0, 0, -1, 1]
    assert types == ["LOC", "MISC", "PER"]


def test_spans_from_ids_agree_with_spans_from_tags_on_random_sequences() -> None:
    prefix, type_index, types = span_table(CLASSES)
    rng = random.Random(1)
    for _ in range(5000):
        ids = [rng.randrange(len(CLASSES)) for _ in range(rng.randrange(0, 15))]
        expected = entity_spans([CLASSES[class_id] for class_id in ids])
        found = entity_spans_from_ids(ids, prefix, type_index)
        assert [(types[kind], start, end) for kind, start, end in found] == expected, ids
        assert entity_spans_from_ids(np.array(ids, dtype=np.int64), prefix, type_index) == found


def test_spans_from_ids_agree_with_a_vectorised_statement_of_the_rule() -> None:
    # a token continues the chunk before it exactly when it is I- or E-, the token before is B- or I- and
    # both have the same type; every other entity token starts a chunk
    prefix, type_index, _ = span_table(CLASSES)
    rng = np.random.default_rng(2)
    for _ in range(500):
        ids = rng.integers(0, len(CLASSES), size=int(rng.integers(1, 30)))
        codes, kinds = prefix[ids], type_index[ids]
        continues = np.zeros(len(ids), dtype=bool)
        continues[1:] = np.isin(codes[1:], (2, 3)) & np.isin(codes[:-1], (1, 2)) & (kinds[1:] == kinds[:-1])
        inside = codes != 0
        starts = np.flatnonzero(inside & ~continues)
        ends = np.flatnonzero(inside & ~np.append(continues[1:], False)) + 1
        expected = list(zip(kinds[starts].tolist(), starts.tolist(), ends.tolist(), strict=True))
        assert entity_spans_from_ids(ids, prefix, type_index) == expected


def test_spans_from_ids_rejects_padding() -> None:
    prefix, type_index, _ = span_table(["O", "B-PER", "I-PER"])
    assert entity_spans_from_ids([], prefix, type_index) == []
    for ids in ([1, 2, -100], [0, 3]):
        with pytest.raises(ConfigError, match=r"class ids must lie in 0\.\.2 .* Remove padding ids"):
            entity_spans_from_ids(ids, prefix, type_index)


# ---------------------------------------------------------------------------------------------- schemes
@pytest.mark.parametrize(
    ("sequences", "scheme"),
    [
        ([["B-PER", "I-PER", "O", "B-LOC"]], "iob2"),
        ([["B-PER", "B-PER"], ["O"]], "iob2"),
        ([["O", "O"], []], "iob2"),
        ([], "none"),
        ([["I-PER", "I-PER", "O", "I-LOC"]], "iob1"),
        ([["I-PER", "B-PER", "O"], ["O", "I-LOC"]], "iob1"),
        ([["B-PER", "I-LOC"], ["O", "I-ORG"]], "iob1"),  # I- starts (of another type, after O) outnumber B-
        ([["B-PER", "E-PER", "S-LOC"]], "iobes"),
        ([["B-PER", "I-PER"], ["O", "S-LOC"]], "iobes"),
        ([["NOUN", "VERB", "PUNCT"]], "none"),
        ([["B-PER", "O"], ["NN"]], "none"),
        ([["B-", "O"]], "none"),
        ([["O", "PER"]], "none"),
        # a few IOB2 slips (I- after O) among many B- starts leave the dataset IOB2
        ([["B-PER", "O", "B-LOC", "O", "I-ORG"], ["B-LOC"]], "iob2"),
    ],
)
def test_detect_scheme(sequences: list[list[str]], scheme: str) -> None:
    assert detect_scheme(sequences) == scheme
    assert detect_scheme(iter(sequences)) == scheme  # any iterable, read once


@pytest.mark.parametrize(
    ("iob2", "iob1", "iobes"),
    [
        (
            ["B-PER", "I-PER", "O", "B-LOC"],
            ["I-PER", "I-PER", "O", "I-LOC"],
            ["B-PER", "E-PER", "O", "S-LOC"],
        ),
        (["B-PER", "B-PER", "I-PER"], ["I-PER", "B-PER", "I-PER"], ["S-PER", "B-PER", "E-PER"]),
        (["B-PER", "B-LOC"], ["I-PER", "I-LOC"], ["S-PER", "S-LOC"]),
        (["B-X", "I-X", "I-X", "B-X"], ["I-X", "I-X", "I-X", "B-X"], ["B-X", "I-X", "E-X", "S-X"]),
        (["O", "NOUN"], ["O", "NOUN"], ["O", "NOUN"]),
    ],
)
def test_conversions_table(iob2: list[str], iob1: list[str], iobes: list[str]) -> None:
    assert from_iob2(iob2, "iob1") == iob1 and to_iob2(iob1, "iob1") == iob2
    assert from_iob2(iob2, "iobes") == iobes and to_iob2(iobes, "iobes") == iob2
    for scheme in ("iob2", "none"):
        assert from_iob2(iob2, scheme) == to_iob2(iob2, scheme) == iob2


def test_conversions_keep_the_spans_of_random_sequences() -> None:
    rng = random.Random(3)
    for _ in range(2000):
        tags = random_tags(rng, "BIES", rng.randrange(0, 12))  # often invalid in every scheme
        spans = entity_spans(tags)
        for scheme in ("iob1", "iobes"):
            iob2 = to_iob2(tags, scheme)
            assert entity_spans(iob2) == spans
            assert all(tag == "O" or tag[0] in "BI" for tag in iob2)
            back = from_iob2(iob2, scheme)
            assert entity_spans(back) == spans and to_iob2(back, scheme) == iob2


def test_unknown_scheme() -> None:
    for function in (to_iob2, from_iob2):
        with pytest.raises(
            ConfigError, match=r"scheme 'bio' is not a tag scheme; pass one of iob1, iob2, iobes, none"
        ):
            function(["O"], "bio")
    assert SCHEMES == ("iob1", "iob2", "iobes", "none")


@pytest.mark.data
def test_conll2003_round_trips_through_iob1_and_iobes() -> None:
    from trainwell.text.tagging.conll import read_conll

    path = DATA / "conll2003" / "train.txt.gz"
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared data folder of the repository's parent)")
    tags = read_conll(path).column("ner")
    assert detect_scheme(tags) == "iob2"
    iob1 = [from_iob2(sentence, "iob1") for sentence in tags]
    assert detect_scheme(iob1) == "iob1"
    assert [to_iob2(sentence, "iob1") for sentence in iob1] == tags
    iobes = [from_iob2(sentence, "iobes") for sentence in tags]
    assert detect_scheme(iobes) == "iobes"
    assert [to_iob2(sentence, "iobes") for sentence in iobes] == tags
