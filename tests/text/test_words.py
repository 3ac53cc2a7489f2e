"""Raw text to words with offsets: a table of Penn-Treebank-style cases, the offset invariant, and agreement
with the words of UD English EWT on its raw sentences."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from trainwell.text.tagging.words import split_words

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"

CASES = [
    ("", []),
    ("  \t\n ", []),
    ("Hello world", ["Hello", "world"]),
    ("Hello, world!", ["Hello", ",", "world", "!"]),
    ("Is it (really) so?", ["Is", "it", "(", "really", ")", "so", "?"]),
    ('He said "no"; then: left.', ["He", "said", '"', "no", '"', ";", "then", ":", "left", "."]),
    ("[a] {b}", ["[", "a", "]", "{", "b", "}"]),
    # numbers keep their inner marks
    (
        "It rose 3.5 % to 1,000,000 at 12:30.",
        ["It", "rose", "3.5", "%", "to", "1,000,000", "at", "12:30", "."],
    ),
    ("$3.2 billion, 1/2 and 1996/97", ["$", "3.2", "billion", ",", "1/2", "and", "1996/97"]),
    ("on 1996-08-22.", ["on", "1996-08-22", "."]),
    ("score 2-1, 3.", ["score", "2-1", ",", "3", "."]),
    # abbreviations, initials and titles keep their period
    ("The U.S. and U.K. agreed.", ["The", "U.S.", "and", "U.K.", "agreed", "."]),
    ("e.g. this, i.e. that", ["e.g.", "this", ",", "i.e.", "that"]),
    ("J. K. Rowling wrote it.", ["J.", "K.", "Rowling", "wrote", "it", "."]),
    (
        "Mr. Smith met Dr. Jones of Acme Inc. today.",
        ["Mr.", "Smith", "met", "Dr.", "Jones", "of", "Acme", "Inc.", "today", "."],
    ),
    ("apples, pears etc.", ["apples", ",", "pears", "etc."]),
    ("Smith vs. Jones on Jan. 5", ["Smith", "vs.", "Jones", "on", "Jan.", "5"]),
    ("He is a doctor.", ["He", "is", "a", "doctor", "."]),
    ("It was a Co.", ["It", "was", "a", "Co."]),
    ("Costco. Mrs. Drs.", ["Costco", ".", "Mrs.", "Drs", "."]),
    # the final period is split off, other periods too
    ("End.Start", ["End", ".", "Start"]),
    ("Wait... what?!", ["Wait", "...", "what", "?", "!"]),
    ("yes -- no", ["yes", "--", "no"]),
    ("yes--no", ["yes", "--", "no"]),
    # URLs and e-mail addresses stay whole, without the punctuation after them
    ("See https://example.com/a?b=1&c=2.", ["See", "https://example.com/a?b=1&c=2", "."]),
    ("(www.example.org/x), ok", ["(", "www.example.org/x", ")", ",", "ok"]),
    ("Mail john.smith+tag@mail.example.co.uk.", ["Mail", "john.smith+tag@mail.example.co.uk", "."]),
    ("Visit google.com today", ["Visit", "google.com", "today"]),
    # hyphenated words and names
    ("a well-known, state-of-the-art tool", ["a", "well-known", ",", "state-of-the-art", "tool"]),
    ("pre- and post-war", ["pre", "-", "and", "post-war"]),
    ("O'Neill and AT&T", ["O'Neill", "and", "AT&T"]),
    ("rock'n'roll", ["rock'n'roll"]),
    # clitics, with straight and typographic apostrophes
    ("I don't know", ["I", "do", "n't", "know"]),
    ("can't won't isn't", ["ca", "n't", "wo", "n't", "is", "n't"]),
    ("DON'T", ["DO", "N'T"]),
    (
        "it's I'm they're we've he'll she'd",
        ["it", "'s", "I", "'m", "they", "'re", "we", "'ve", "he", "'ll", "she", "'d"],
    ),
    ("it’s don’t they’re", ["it", "’s", "do", "n’t", "they", "’re"]),
    ("IT'S", ["IT", "'S"]),
    ("O'Neill's dog", ["O'Neill", "'s", "dog"]),
    ("the boys' toys", ["the", "boys", "'", "toys"]),
    ("'Hello,' she said", ["'", "Hello", ",", "'", "she", "said"]),
    ("I cannot go", ["I", "can", "not", "go"]),
    # other scripts and marks
    ("Café Zürich: 5€", ["Café", "Zürich", ":", "5", "€"]),
    ("München liegt in Deutschland.", ["München", "liegt", "in", "Deutschland", "."]),
]


@pytest.mark.parametrize(("text", "words"), CASES)
def test_split_words_cases(text: str, words: list[str]) -> None:
    found = split_words(text)
    assert [word for word, _, _ in found] == words
    assert all(text[start:end] == word for word, start, end in found)


def test_offsets_are_increasing_and_cover_all_but_whitespace() -> None:
    text = "  Mr. O'Neill (of AT&T) didn't pay $1,000.50 on 12:30 -- https://x.org/a, U.S.  "
    found = split_words(text)
    assert found[:3] == [("Mr.", 2, 5), ("O'Neill", 6, 13), ("(", 14, 15)]
    ends = [0] + [end for _, _, end in found]
    for (word, start, end), previous_end in zip(found, ends, strict=False):
        assert previous_end <= start < end and text[start:end] == word
        assert text[previous_end:start].strip() == ""  # only whitespace is skipped
    assert text[ends[-1] :].strip() == ""


@pytest.mark.data
def test_words_agree_with_ud_english_ewt() -> None:
    path = DATA / "ud_english_ewt" / "en_ewt-ud-dev.conllu.gz"
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared data folder of the repository's parent)")
    sentences: list[tuple[str, list[str]]] = []
    text, words = "", []
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        for line in stream:
            line = line.rstrip("\n")
            if line.startswith("# text = "):
                text = line.removeprefix("# text = ")
            elif not line:
                sentences.append((text, words))
                words = []
            elif not line.startswith("#") and line.split("\t", 1)[0].isdecimal():
                words.append(line.split("\t")[1])
    assert len(sentences) == 2001
    same = sum([word for word, _, _ in split_words(text)] == words for text, words in sentences)
    # 86% of the web sentences come out word for word; the rest differ on UD conventions (hyphens split,
    # "!!!" kept whole) and on typos the annotators repaired ("its" -> "it s")
    assert same / len(sentences) > 0.85
