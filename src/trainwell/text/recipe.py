"""The text classification recipe: tokenizer, vocabulary and n-gram settings, plus the batch-building functions.

Everything a raw text goes through before a classifier sees it lives here, as plain data and pure functions,
so training (:mod:`trainwell.text.data`), the predictor and a server build exactly the same inputs:

- the tokenizer (word rules or a trained subword model) and the vocabulary, fitted on the training rows only;
- for bag models, the hashed n-gram ids added to each text's token ids (fastText's trick, Joulin et al. 2016):
  the n-gram ``(a, b)`` of token ids maps to ``n_tokens + hash(a, b) % n_buckets``, so bigrams and trigrams
  need no vocabulary of their own and the embedding table has a fixed size;
- optional de-duplication of each text's ids (binary features, as NBSVM uses: for sentiment, *whether* a
  phrase occurs matters more than how often);
- for sequence models, right-padding with ``xxpad`` to the longest text of a batch.

No torch module, no training code: a serving process imports this and the model, nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from trainwell.core.errors import ArtifactError, ConfigError
from trainwell.text.fields import FLD_ID, check_fields, field_parts, pair_features
from trainwell.text.subword import SubwordTokenizer
from trainwell.text.tokenize import WordTokenizer
from trainwell.text.vocab import Vocab

if TYPE_CHECKING:  # torch only for the batches a PyTorch model takes: encoding texts needs numpy alone
    import torch

__all__ = [
    "BATCH_FORMATS",
    "LONGEST_TRAINED",
    "SEQUENCE_MAX_LEN",
    "TextRecipe",
    "add_ngrams",
    "bag_batch",
    "padded_batch",
    "padded_ids",
]

#: How a model wants its batches: ``bag`` = flat ids + offsets (EmbeddingBag), ``padded`` = (B, T) ids.
BATCH_FORMATS = ("bag", "padded")

#: The tokens of a text a sequence model (``batch_format="padded"``: AWD-LSTM, ULMFiT) reads unless told otherwise:
#: fastai's pooled classifier's ``max_len`` (72 * 20). Its time grows with the text, a bag's hardly.
SEQUENCE_MAX_LEN = 72 * 20

#: The key of ``TextRecipe.extra`` that keeps the longest training text, in the tokens the model read of it (up to
#: ``max_len``): a prediction says when a text it reads is far longer (models fitted before it keep none).
LONGEST_TRAINED = "longest_trained_tokens"

# Odd multipliers of a polynomial hash over token ids; sums stay far below 2**63 for any realistic vocabulary
# (ids < 2**24, intermediate hashes < 2**31), so numpy's int64 arithmetic never overflows.
_HASH_MODULUS = 2**31 - 1
_HASH_MULTIPLIER = 1_000_003
_HASH_SALT = 7_919


@dataclass(repr=False, frozen=True)
class TextRecipe:
    """How raw texts become model inputs; JSON-serialisable (:meth:`to_dict` / :meth:`from_dict`).

    Attributes:
        text_col: The column that holds the text (for tables given to the predictor).
        tokenizer: ``{"kind": "word", "config": WordTokenizer.to_dict()}`` or
            ``{"kind": "subword", "config": SubwordTokenizer.to_dict()}``.
        vocab: The word vocabulary's tokens by id (empty for subword tokenizers, whose ids are their own).
        batch_format: ``"bag"`` or ``"padded"`` (see :data:`BATCH_FORMATS`).
        ngrams: Longest n-gram added to a bag (1 = tokens only).
        n_buckets: Hash buckets shared by all n-grams of length 2 and more.
        binary: Keep each id once per text (bag format).
        max_len: Keep only the first ``max_len`` tokens of a text (``None``: all); of each field's.
        fields: The text columns of a model that reads several texts an example (a pair of sentences), in order;
            empty for one text column (``text_col``, the first of them otherwise). See
            :mod:`trainwell.text.fields`.
    """

    text_col: str
    tokenizer: dict[str, Any]
    vocab: tuple[str, ...] = ()
    batch_format: str = "bag"
    ngrams: int = 2
    n_buckets: int = 2**20
    binary: bool = True
    max_len: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    fields: tuple[str, ...] = ()

    def __repr__(self) -> str:
        from trainwell.core.reprs import dataclass_repr

        return dataclass_repr(
            self
        )  # a user id, an item, a word of the vocabulary each: cut to a few and a count

    def __post_init__(self) -> None:
        if self.batch_format not in BATCH_FORMATS:
            raise ConfigError(
                f"batch_format must be one of {', '.join(BATCH_FORMATS)}; got {self.batch_format!r}"
            )
        if isinstance(self.ngrams, bool) or not isinstance(self.ngrams, int) or not 1 <= self.ngrams <= 5:
            raise ConfigError(f"ngrams must be a whole number from 1 to 5; got {self.ngrams!r}")
        if isinstance(self.n_buckets, bool) or not isinstance(self.n_buckets, int) or self.n_buckets < 1:
            raise ConfigError(f"n_buckets must be a whole number >= 1; got {self.n_buckets!r}")
        if self.max_len is not None and (
            isinstance(self.max_len, bool) or not isinstance(self.max_len, int) or self.max_len < 1
        ):
            raise ConfigError(f"max_len must be a whole number >= 1 or None; got {self.max_len!r}")
        object.__setattr__(self, "fields", check_fields(self.fields))
        if self.tokenizer.get("kind") not in ("word", "subword"):
            raise ConfigError(
                f"tokenizer kind must be 'word' or 'subword'; got {self.tokenizer.get('kind')!r}"
            )

    # -------------------------------------------------------------------------------- the pieces
    @cached_property
    def text_tokenizer(self) -> WordTokenizer | SubwordTokenizer:
        """The tokenizer object, rebuilt from its stored configuration once."""
        config = self.tokenizer.get("config", {})
        if self.tokenizer["kind"] == "word":
            return WordTokenizer.from_dict(config)
        return SubwordTokenizer.from_dict(config)

    @cached_property
    def word_vocab(self) -> Vocab | None:
        return Vocab(list(self.vocab)) if self.vocab else None

    @property
    def longest_trained(self) -> int | None:
        """The tokens the model read of its longest training text (:data:`LONGEST_TRAINED`); ``None`` when not kept."""
        value = self.extra.get(LONGEST_TRAINED)
        return int(value) if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None

    @property
    def n_tokens(self) -> int:
        """Size of the token id space (vocabulary or subword model, rounded up)."""
        if self.word_vocab is not None:
            return len(self.word_vocab)
        return len(self.text_tokenizer)  # type: ignore[arg-type]

    @property
    def n_embeddings(self) -> int:
        """Rows of the embedding table a model needs: tokens, then the buckets of the n-grams and of a pair's
        shared and lone words (bag format)."""
        uses_buckets = self.batch_format == "bag" and (self.ngrams > 1 or self.pairs)
        return self.n_tokens + (self.n_buckets if uses_buckets else 0)

    @property
    def input_columns(self) -> list[str]:
        """The columns a table given to the predictor must hold: the fields, or the one text column."""
        return list(self.fields) or [self.text_col]

    @property
    def pairs(self) -> bool:
        """Whether a bag of this recipe reads a pair's shared and lone words and each side's own bag, in regions
        of ids above :attr:`n_embeddings` (two fields, bag format: :class:`~trainwell.text.models.NgramBag`'s
        ``pairs``)."""
        return self.batch_format == "bag" and len(self.fields) == 2

    @property
    def pad_id(self) -> int:
        return Vocab.pad_id

    # -------------------------------------------------------------------------------- encoding
    def encode(self, texts: Sequence[str], *, n_workers: int | None = 1) -> tuple[np.ndarray, np.ndarray]:
        """Token ids of validated texts as flat ``int64`` ids and offsets (text ``i`` is
        ``ids[offsets[i]:offsets[i + 1]]``), truncated to ``max_len``; bag format adds n-grams."""
        ids, offsets, _ = self.encode_counted(texts, n_workers=n_workers)
        return ids, offsets

    def encode_counted(
        self,
        texts: Sequence[str],
        *,
        n_workers: int | None = 1,
        tokens: Sequence[list[str]] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`encode`'s ids and offsets, and each text's number of tokens before the cut at ``max_len`` (of
        its longest field, for several): a text longer than ``max_len`` was cut, which a predictor says.

        ``tokens``: the word tokens of ``texts`` as this recipe's tokenizer reads them, already read
        (:func:`~trainwell.text.fitting.fit_recipe`'s ``tokens_out``), encoded instead of tokenizing again;
        a word tokenizer's recipe of one text field only."""
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        if tokens is not None and (self.fields or not isinstance(self.text_tokenizer, WordTokenizer)):
            raise ConfigError("tokens= is for a word tokenizer's recipe of one text field")
        if tokens is not None and len(tokens) != len(texts):
            raise ConfigError(f"tokens= holds {len(tokens)} token lists for {len(texts)} texts")
        if self.fields:
            counted = [self._token_ids(part, n_workers) for part in field_parts(texts, len(self.fields))]
            parts = [(ids, offsets) for ids, offsets, _ in counted]
            lengths = np.max(np.stack([written for _, _, written in counted]), axis=0)
            ids, offsets = rows_joined(parts, FLD_ID)
        else:
            ids, offsets, lengths = self._token_ids(texts, n_workers, tokens)
        if self.batch_format == "bag":
            ids, offsets = add_ngrams(
                ids, offsets, self.ngrams, self.n_tokens, self.n_buckets, binary=self.binary
            )
            if self.pairs:  # what the sides share, then each side's own bag in a region of its own
                crossed = pair_features(parts[0], parts[1], self.n_tokens, self.n_buckets)
                size = self.n_embeddings
                sides = [
                    add_ngrams(*part, self.ngrams, self.n_tokens, self.n_buckets, binary=self.binary)
                    for part in parts
                ]
                shifted = [
                    (side_ids + (index + 1) * size, side_offsets)
                    for index, (side_ids, side_offsets) in enumerate(sides)
                ]
                ids, offsets = rows_joined([(ids, offsets), crossed, *shifted])
        return ids, offsets, lengths

    def _token_ids(
        self, texts: Sequence[str], n_workers: int | None, tokens: Sequence[list[str]] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Token ids of ``texts`` (read already: ``tokens``) as flat ids and offsets, truncated to ``max_len``, and
        each text's number of tokens before that."""
        tokenizer = self.text_tokenizer
        if isinstance(tokenizer, WordTokenizer):
            assert self.word_vocab is not None
            if tokens is None:
                tokens = tokenizer.tokenize_many(texts, n_workers=n_workers)
            ids, offsets = self.word_vocab.encode_arrays(tokens)
        else:
            ids, offsets = tokenizer.encode_arrays(texts, n_workers=n_workers)
        lengths = lengths_of(offsets)
        if self.max_len is not None:
            ids, offsets = truncate(ids, offsets, self.max_len)
        return ids, offsets, lengths

    # -------------------------------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        return {
            "text_col": self.text_col,
            "tokenizer": self.tokenizer,
            "vocab": list(self.vocab),
            "batch_format": self.batch_format,
            "ngrams": self.ngrams,
            "n_buckets": self.n_buckets,
            "binary": self.binary,
            "max_len": self.max_len,
            "extra": dict(self.extra),
            **({"fields": list(self.fields)} if self.fields else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TextRecipe:
        known = {
            "text_col",
            "tokenizer",
            "vocab",
            "batch_format",
            "ngrams",
            "n_buckets",
            "binary",
            "max_len",
            "extra",
            "fields",
        }
        unknown = sorted(set(data) - known)
        if unknown or "text_col" not in data or "tokenizer" not in data:
            raise ArtifactError(
                f"the text recipe in trainwell.json is malformed (unknown keys {unknown}, keys {sorted(data)}); "
                "the artifact is corrupted or from another trainwell version"
            )
        try:
            return cls(
                text_col=str(data["text_col"]),
                tokenizer=dict(data["tokenizer"]),
                vocab=tuple(data.get("vocab", ())),
                batch_format=str(data.get("batch_format", "bag")),
                ngrams=int(data.get("ngrams", 2)),
                n_buckets=int(data.get("n_buckets", 2**20)),
                binary=bool(data.get("binary", True)),
                max_len=None if data.get("max_len") is None else int(data["max_len"]),
                extra=dict(data.get("extra", {})),
                fields=tuple(map(str, data.get("fields", ()))),
            )
        except (TypeError, ValueError) as error:
            raise ArtifactError(f"the text recipe in trainwell.json is malformed: {error}") from error


# ------------------------------------------------------------------------------------------ pure functions
def lengths_of(offsets: np.ndarray) -> np.ndarray:
    return np.diff(offsets)


def _offsets_from_lengths(lengths: np.ndarray) -> np.ndarray:
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets


def truncate(ids: np.ndarray, offsets: np.ndarray, max_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Keep the first ``max_len`` ids of every text."""
    lengths = lengths_of(offsets)
    if lengths.max(initial=0) <= max_len:
        return ids, offsets
    kept = np.minimum(lengths, max_len)
    new_offsets = _offsets_from_lengths(kept)
    # position of each kept id inside its text, then its index in the old flat array
    rows = np.repeat(np.arange(len(kept)), kept)
    within = np.arange(int(new_offsets[-1])) - new_offsets[:-1][rows]
    return ids[offsets[:-1][rows] + within], new_offsets


def add_ngrams(
    ids: np.ndarray,
    offsets: np.ndarray,
    ngrams: int,
    n_tokens: int,
    n_buckets: int,
    *,
    binary: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Each text's token ids followed by its hashed n-gram ids (2..``ngrams``), as flat ids + offsets.

    Vectorised over the whole corpus: an n-gram starts at every position whose ``n - 1`` successors lie in the
    same text. The hash is a polynomial over token ids (independent of the text around it), so one n-gram gets
    the same bucket in training and at prediction time. With ``binary`` each text keeps every id once.
    """
    ids = np.asarray(ids, dtype=np.int64)
    lengths = lengths_of(offsets)
    rows = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    parts, part_rows = [ids], [rows]
    running = ids.copy()
    for n in range(2, ngrams + 1):
        running = (running[:-1] * _HASH_MULTIPLIER + ids[n - 1 :] * _HASH_SALT + n) % _HASH_MODULUS
        same_text = rows[: len(running)] == rows[n - 1 :]
        parts.append(n_tokens + running[same_text] % n_buckets)
        part_rows.append(rows[: len(running)][same_text])
    if len(parts) == 1 and not binary:
        return ids, np.asarray(offsets, dtype=np.int64)
    size = n_tokens + (n_buckets if ngrams > 1 else 0)
    # One sort of (text, id) keys groups every text's ids together (and makes duplicates neighbours).
    keys = np.concatenate(part_rows) * size + np.concatenate(parts)
    keys.sort()
    if binary and len(keys):
        keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]
    text_of_key = keys // size
    counts = np.bincount(text_of_key, minlength=len(lengths)).astype(np.int64)
    return keys - text_of_key * size, _offsets_from_lengths(counts)


def rows_joined(
    parts: Sequence[tuple[np.ndarray, np.ndarray]], sep_id: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Row ``i`` of every part (flat ids + offsets, as many rows each) one after the other, ``sep_id`` between
    two parts when given: a pair's sides as one row, ``a1 a2 xxfld b1 b2``."""
    n_rows = len(parts[0][1]) - 1
    seps = 0 if sep_id is None else len(parts) - 1
    pool = np.concatenate([ids for ids, _ in parts] + [np.array([sep_id or 0], dtype=np.int64)])
    bases = np.cumsum([0] + [len(ids) for ids, _ in parts])
    # Every piece of every row, row by row: part 0 of row i, (a separator,) part 1 of row i...
    starts, lengths = [], []
    for index, (_, offsets) in enumerate(parts):
        if index and seps:
            starts.append(np.full(n_rows, bases[-1], dtype=np.int64))
            lengths.append(np.ones(n_rows, dtype=np.int64))
        starts.append(bases[index] + offsets[:-1])
        lengths.append(np.diff(offsets))
    start = np.stack(starts, axis=1).reshape(-1)
    length = np.stack(lengths, axis=1).reshape(-1)
    total = int(length.sum())
    within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(length) - length, length)
    ids = pool[np.repeat(start, length) + within]
    row_lengths = length.reshape(n_rows, -1).sum(axis=1)
    return ids, _offsets_from_lengths(row_lengths)


def rows_of(ids: np.ndarray, offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The texts ``rows`` (in that order) cut out of flat ids + offsets, as new flat ids + offsets."""
    starts, ends = offsets[rows], offsets[rows + 1]
    lengths = ends - starts
    new_offsets = _offsets_from_lengths(lengths)
    total = int(new_offsets[-1])
    # index of every kept id in the old array: its text's start plus its position inside the text
    gather = np.arange(total, dtype=np.int64) + np.repeat(starts - new_offsets[:-1], lengths)
    return ids[gather], new_offsets


def bag_batch(ids: np.ndarray, offsets: np.ndarray, rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """``(flat ids, start offsets)`` of texts ``rows`` for :class:`torch.nn.EmbeddingBag`."""
    import torch

    flat, new_offsets = rows_of(ids, offsets, rows)
    return torch.from_numpy(flat), torch.from_numpy(new_offsets[:-1].copy())


def padded_batch(ids: np.ndarray, offsets: np.ndarray, rows: np.ndarray, pad_id: int) -> torch.Tensor:
    """``(B, T)`` ids of texts ``rows`` right-padded with ``pad_id`` to the longest of them."""
    import torch

    return torch.from_numpy(padded_ids(ids, offsets, rows, pad_id))


def padded_ids(ids: np.ndarray, offsets: np.ndarray, rows: np.ndarray, pad_id: int) -> np.ndarray:
    """:func:`padded_batch` as a numpy ``int64`` array (what an ONNX sequence graph takes as ``tokens``)."""
    flat, new_offsets = rows_of(ids, offsets, rows)
    lengths = lengths_of(new_offsets)
    width = max(int(lengths.max(initial=0)), 1)
    out = np.full((len(rows), width), pad_id, dtype=np.int64)
    row_index = np.repeat(np.arange(len(rows)), lengths)
    column = np.arange(len(flat)) - new_offsets[:-1][row_index]
    out[row_index, column] = flat
    return out
