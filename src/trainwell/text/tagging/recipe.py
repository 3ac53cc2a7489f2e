"""The sequence-labelling recipe: how the words of a sentence become a tagger's inputs, as plain data.

A word reaches the model three ways, so that rare and unseen words are still read well:

- its **word id**, looked up lower-cased with every digit read as ``0`` (``1996`` and ``2003`` share a row), from
  a vocabulary fitted on the training sentences; unseen words read as ``xxunk``;
- its **casing class** (:data:`CASING_CLASSES`: all lower, capitalised, all caps, numeric...), which the word id
  no longer carries;
- its **characters**, by id, for a character CNN: a new name, a suffix such as ``-ness`` or a capitalised
  stranger still carries signal.

Training, the predictor and the server all build inputs with :meth:`TaggingRecipe.encode` and
:func:`tagging_batch`; no torch module lives here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain
from typing import Any, NamedTuple

import numpy as np
import torch

from trainwell.core.artifact import check_stored_keys
from trainwell.core.errors import ArtifactError, DataError
from trainwell.text.vocab import Vocab

__all__ = [
    "CASING_CLASSES",
    "EncodedSentences",
    "TaggingRecipe",
    "casing_class",
    "tagging_batch",
    "word_key",
]

#: Casing classes of a word, by id (0 is padding).
CASING_CLASSES = (
    "padding",
    "lower",
    "capitalised",
    "upper",
    "mixed",
    "numeric",
    "mostly_numeric",
    "has_digit",
    "punctuation",
    "other",
)
_CASING = {name: index for index, name in enumerate(CASING_CLASSES)}
_DIGITS = str.maketrans("0123456789", "0000000000")


def word_key(word: str, lowercase: bool = True) -> str:
    """The vocabulary key of a word: lower-cased (when asked) with every digit read as ``0``."""
    return (word.lower() if lowercase else word).translate(_DIGITS)


def casing_class(word: str) -> int:
    """The id of ``word``'s casing class in :data:`CASING_CLASSES`.

    >>> [CASING_CLASSES[casing_class(w)] for w in ["the", "Paris", "EU", "iPhone", "1996", "3.50", "B2B", ","]]
    ['lower', 'capitalised', 'upper', 'mixed', 'numeric', 'mostly_numeric', 'has_digit', 'punctuation']
    """
    digits = sum(map(str.isdigit, word))
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
    if word[:1].isupper() and (len(word) == 1 or word[1:].islower() or not any(map(str.isalpha, word[1:]))):
        return _CASING["capitalised"]
    if any(map(str.isalpha, word)):
        return _CASING["mixed"]
    if not any(map(str.isalnum, word)):
        return _CASING["punctuation"]
    return _CASING["other"]


class EncodedSentences(NamedTuple):
    """Encoded sentences, flat: sentence ``i``'s words are positions ``offsets[i]:offsets[i + 1]``.

    ``chars`` is ``(n_words, max_word_chars)``, padded with the pad id after each word's last character.
    """

    words: np.ndarray
    casing: np.ndarray
    chars: np.ndarray
    offsets: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)


@dataclass(frozen=True)
class TaggingRecipe:
    """How sentences become tagger inputs; JSON-serialisable (:meth:`to_dict` / :meth:`from_dict`).

    Attributes:
        words: the word vocabulary's keys by id (see :func:`word_key`).
        chars: the character vocabulary by id.
        lowercase: whether word keys are lower-cased.
        max_word_chars: characters of a word read by the character CNN (a longer word keeps its first half and
            last half of them, so prefixes and suffixes both survive).
        tag_col: the column the tags came from (e.g. ``ner``, ``upos``), for messages and written predictions.
    """

    words: tuple[str, ...]
    chars: tuple[str, ...]
    lowercase: bool = True
    max_word_chars: int = 20
    tag_col: str = "tag"
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @cached_property
    def word_vocab(self) -> Vocab:
        return Vocab(list(self.words))

    @cached_property
    def char_vocab(self) -> Vocab:
        return Vocab(list(self.chars))

    @property
    def pad_id(self) -> int:
        return Vocab.pad_id

    @property
    def unk_id(self) -> int:
        return Vocab.unk_id

    @classmethod
    def fit(
        cls,
        sentences: Sequence[Sequence[str]],
        *,
        min_freq: int = 1,
        max_vocab: int | None = 100_000,
        lowercase: bool = True,
        max_word_chars: int = 20,
        tag_col: str = "tag",
        extra_words: Sequence[str] = (),
    ) -> TaggingRecipe:
        """Fit the word and character vocabularies on the training sentences; ``extra_words`` (keys of
        pretrained vectors) join the vocabulary after them, whatever ``min_freq`` and ``max_vocab`` say."""
        from collections import Counter

        # Each distinct word is keyed and its characters counted once (a corpus repeats its words ~10 times), in
        # the order the words first appear, so keys and characters keep the order in which they first appear.
        form_counts = Counter(chain.from_iterable(sentences))
        word_counts: Counter[str] = Counter()
        char_counts: Counter[str] = Counter()
        for form, count in form_counts.items():
            word_counts[word_key(form, lowercase)] += count
            for char in form:
                char_counts[char] += count
        if not word_counts:
            raise DataError("the training sentences hold no words; check the file and its tag column")
        counts = dict(word_counts)
        extra = [key for key in dict.fromkeys(extra_words) if key not in counts]
        for key in extra:
            counts[key] = min_freq  # kept, and ranked after every training word
        limit = None if max_vocab is None else max_vocab + len(extra)
        words = Vocab.from_counts(counts, min_freq=min_freq, max_size=limit)
        chars = Vocab.from_counts(char_counts, min_freq=1, max_size=None)
        return cls(tuple(words.itos), tuple(chars.itos), lowercase, max_word_chars, tag_col)

    def encode(self, sentences: Sequence[Sequence[str]]) -> EncodedSentences:
        """Word ids, casing classes and character ids of every word of every sentence."""
        lengths = np.fromiter((len(s) for s in sentences), dtype=np.int64, count=len(sentences))
        offsets = np.zeros(len(sentences) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = list(chain.from_iterable(sentences))
        # Each distinct word is encoded once (a corpus repeats its words ~10 times), then gathered by position.
        distinct = {word: row for row, word in enumerate(dict.fromkeys(flat))}
        where = np.fromiter(map(distinct.__getitem__, flat), dtype=np.int64, count=len(flat))
        stoi, unk = self.word_vocab.stoi, self.unk_id
        lowercase = self.lowercase
        words = np.fromiter(
            (stoi.get(word_key(w, lowercase), unk) for w in distinct), dtype=np.int64, count=len(distinct)
        )
        casing = np.fromiter(map(casing_class, distinct), dtype=np.int64, count=len(distinct))
        return EncodedSentences(words[where], casing[where], self._char_rows(distinct)[where], offsets)

    def _char_rows(self, words: Iterable[str]) -> np.ndarray:
        """Character ids of each word, one row each ``(len(words), max_word_chars)``: a longer word keeps its
        first half and last half of ``max_word_chars``, the rest of a row is padding."""
        width, half = self.max_word_chars, self.max_word_chars // 2
        char_get, unk = self.char_vocab.stoi.get, self.unk_id
        ids: list[int] = []
        lengths: list[int] = []
        for word in words:
            if len(word) > width:
                word = word[:half] + word[len(word) - (width - half) :]
            ids.extend([char_get(ch, unk) for ch in word])
            lengths.append(len(word))
        counts = np.asarray(lengths, dtype=np.int64)
        rows = np.full((len(counts), width), Vocab.pad_id, dtype=np.int32)
        starts = np.cumsum(counts) - counts
        column = np.arange(len(ids), dtype=np.int64) - np.repeat(starts, counts)
        rows[np.repeat(np.arange(len(counts)), counts), column] = ids
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "words": list(self.words),
            "chars": list(self.chars),
            "lowercase": self.lowercase,
            "max_word_chars": self.max_word_chars,
            "tag_col": self.tag_col,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaggingRecipe:
        check_stored_keys(data, _KEYS, "tagging recipe")
        try:
            return cls(
                words=tuple(str(w) for w in data["words"]),
                chars=tuple(str(c) for c in data["chars"]),
                lowercase=bool(data["lowercase"]),
                max_word_chars=int(data["max_word_chars"]),
                tag_col=str(data["tag_col"]),
                extra=dict(data["extra"]),
            )
        except (TypeError, ValueError) as error:
            raise ArtifactError(f"the tagging recipe in trainwell.json is malformed: {error}") from error


_KEYS = {"words", "chars", "lowercase", "max_word_chars", "tag_col", "extra"}


def tagging_batch(
    encoded: EncodedSentences, rows: np.ndarray, word_ids: np.ndarray | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(words (B, T), casing (B, T), chars (B, T, L))`` of sentences ``rows``, right-padded to the longest of
    them (words and characters with the pad id, casing with class 0); ``L`` is the longest word's characters. ``word_ids`` replaces
    ``encoded.words`` (a training loader hides rare words behind ``xxunk`` that way)."""
    starts, ends = encoded.offsets[rows], encoded.offsets[rows + 1]
    lengths = ends - starts
    width = max(int(lengths.max(initial=0)), 1)
    total = int(lengths.sum())
    row_index = np.repeat(np.arange(len(rows)), lengths)
    column = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    source = np.repeat(starts, lengths) + column
    flat_words = encoded.words if word_ids is None else word_ids
    words = np.full((len(rows), width), Vocab.pad_id, dtype=np.int64)
    casing = np.zeros((len(rows), width), dtype=np.int64)
    words[row_index, column] = flat_words[source]
    casing[row_index, column] = encoded.casing[source]
    picked = encoded.chars[source]
    n_chars = max(int((picked != Vocab.pad_id).sum(axis=1).max(initial=0)), 1)
    chars = np.full((len(rows), width, n_chars), Vocab.pad_id, dtype=np.int64)
    chars[row_index, column] = picked[:, :n_chars]
    return torch.from_numpy(words), torch.from_numpy(casing), torch.from_numpy(chars)
