"""The tagging recipe's fast paths compute what the plain per-token loops did: each distinct word encoded once and
gathered by position, casing classes read with ``map`` over the characters, the vocabularies counted once per
distinct word. Each is checked against the plain code it replaced (kept here as the reference), on tricky words
(unicode digits and letters, all caps, mixed, titlecase, empty, words longer than ``max_word_chars``) and, where
the shared dataset is present, on CoNLL-2003's whole training file."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from trainwell.text.tagging.recipe import CASING_CLASSES, TaggingRecipe, casing_class, word_key
from trainwell.text.vocab import Vocab

_CASING = {name: index for index, name in enumerate(CASING_CLASSES)}

TRICKY = [
    *("the", "Paris", "EU", "iPhone", "1996", "3.50", "B2B", ",", "", " ", "-", "--", "...", "O'Neill"),
    *("McDonald", "eBay", "A", "a", "I", "1", "1st", "12a", "a12", "1-2", "3/4", "10,000", "U.S.", "e.g."),
    *("ÉCOLE", "École", "über", "Straße", "STRASSE", "İstanbul", "ǅemal", "ǅ", "ǈ", "Ǉ", "ß", "ﬁ", "Ⅻ", "ⅻ"),
    *("²", "x²", "٣٤", "١٩٩٦", "४२", "①", "½", "Ｔｏｋｙｏ", "ＡＢ", "東京", "東京2020", "Москва", "МОСКВА"),
    *(
        "αβγ",
        "ΑΒΓ",
        "Σίσυφος",
        "😀",
        "A😀",
        "a😀b",
        "_",
        "__init__",
        "A_B",
        "x-ray",
        "X-Ray",
        "X-RAY",
        "AT&T",
    ),
    *("\u00a0", "a\u0301", "A\u0301B", "\t", "#", "#1", "$5", "5%", "-DOCSTART-", "nAmE", "NaMe", "ABCd"),
    "Supercalifragilisticexpialidocious",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "ünïcödéwördthätïsfärlöngérthäntwéntychäräctérs",
]


# ------------------------------------------------------------------------------------------------ references
def reference_casing_class(word: str) -> int:
    """The casing class as it was computed before, one generator per character test."""
    digits = sum(ch.isdigit() for ch in word)
    if word.isdigit():
        return _CASING["numeric"]
    if digits and digits / len(word) > 0.5:
        return _CASING["mostly_numeric"]
    if digits:
        return _CASING["has_digit"]
    if word.islower():
        return _CASING["lower"]
    if word.isupper():
        return _CASING["upper"]
    if word[:1].isupper() and (
        len(word) == 1 or word[1:].islower() or not any(c.isalpha() for c in word[1:])
    ):
        return _CASING["capitalised"]
    if any(ch.isalpha() for ch in word):
        return _CASING["mixed"]
    if all(not ch.isalnum() for ch in word):
        return _CASING["punctuation"]
    return _CASING["other"]


def reference_encode(recipe: TaggingRecipe, sentences: Sequence[Sequence[str]]):
    """Word ids, casing classes, character ids and offsets, every token encoded on its own as before."""
    lengths = np.array([len(s) for s in sentences], dtype=np.int64)
    offsets = np.zeros(len(sentences) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = [word for sentence in sentences for word in sentence]
    stoi, unk = recipe.word_vocab.stoi, recipe.unk_id
    words = np.array([stoi.get(word_key(w, recipe.lowercase), unk) for w in flat], dtype=np.int64)
    casing = np.array([reference_casing_class(w) for w in flat], dtype=np.int64)
    chars = np.full((len(flat), recipe.max_word_chars), Vocab.pad_id, dtype=np.int32)
    char_stoi = recipe.char_vocab.stoi
    half = recipe.max_word_chars // 2
    for row, word in enumerate(flat):
        if len(word) > recipe.max_word_chars:
            word = word[:half] + word[len(word) - (recipe.max_word_chars - half) :]
        chars[row, : len(word)] = [char_stoi.get(ch, unk) for ch in word]
    return words, casing, chars, offsets


def reference_fit(sentences, *, min_freq=1, max_vocab=100_000, lowercase=True, max_word_chars=20):
    """The vocabularies as fitted before: every token keyed and its characters counted on its own."""
    word_counts: Counter[str] = Counter()
    char_counts: Counter[str] = Counter()
    for sentence in sentences:
        word_counts.update(word_key(word, lowercase) for word in sentence)
        for word in sentence:
            char_counts.update(word)
    words = Vocab.from_counts(dict(word_counts), min_freq=min_freq, max_size=max_vocab)
    chars = Vocab.from_counts(char_counts, min_freq=1, max_size=None)
    return tuple(words.itos), tuple(chars.itos)


def assert_same_encoding(recipe: TaggingRecipe, sentences) -> None:
    fast = recipe.encode(sentences)
    want_all = reference_encode(recipe, sentences)
    for name, got, want in zip(("words", "casing", "chars", "offsets"), fast, want_all, strict=True):
        assert got.dtype == want.dtype, name
        assert got.shape == want.shape, name
        np.testing.assert_array_equal(got, want, err_msg=name)


# ------------------------------------------------------------------------------------------------ tests
@pytest.mark.parametrize("word", TRICKY)
def test_casing_class_as_the_plain_reference(word: str) -> None:
    assert casing_class(word) == reference_casing_class(word)


def test_casing_classes_cover_every_class_on_tricky_words() -> None:
    """The tricky words reach every class but padding, so the comparison above tests each branch."""
    assert {CASING_CLASSES[casing_class(w)] for w in TRICKY} == set(CASING_CLASSES) - {"padding"}


@pytest.mark.parametrize("lowercase", [True, False])
@pytest.mark.parametrize("max_word_chars", [20, 5, 1])
def test_encode_and_fit_as_the_plain_reference(lowercase: bool, max_word_chars: int) -> None:
    training = [TRICKY[:30], TRICKY[20:], ["the", "The", "THE", "1996", "2003"] * 3, TRICKY[::-1]]
    recipe = TaggingRecipe.fit(training, lowercase=lowercase, max_word_chars=max_word_chars, min_freq=1)
    assert (recipe.words, recipe.chars) == reference_fit(training, lowercase=lowercase)
    unseen = [["Zürich", "ZÜRICH", "zürich", "42", "४२", "\u2028", "new"], [], ["Zürich"], TRICKY, ["", ""]]
    assert_same_encoding(recipe, training + unseen)
    assert_same_encoding(recipe, [])
    assert_same_encoding(recipe, [[]])


def test_fit_keeps_min_freq_and_max_vocab_as_the_reference() -> None:
    training = [["a", "A", "b", "B", "b", "c", "1", "2", "3", "x9"], ["b", "c", "C", "d", *"efghijklmn"]]
    for min_freq, max_vocab in [(1, None), (2, None), (3, 100), (1, 16)]:
        recipe = TaggingRecipe.fit(training, min_freq=min_freq, max_vocab=max_vocab)
        assert (recipe.words, recipe.chars) == reference_fit(training, min_freq=min_freq, max_vocab=max_vocab)


def test_conll2003_train_encoded_as_the_plain_reference(shared_data: Path) -> None:
    from trainwell.text.tagging.conll import read_conll

    sentences = read_conll(shared_data / "conll2003" / "train.txt.gz").tokens()
    recipe = TaggingRecipe.fit(sentences)
    assert (recipe.words, recipe.chars) == reference_fit(sentences)
    assert_same_encoding(recipe, sentences)
