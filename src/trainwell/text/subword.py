"""Subword (BPE / unigram) tokenizers trained with HuggingFace ``tokenizers``, after the word rules.

The word rules of :class:`~trainwell.text.tokenize.WordTokenizer` run first, so a subword vocabulary shares the
special tokens (and their ids) of word vocabularies; the trained model is stored as JSON in the recipe.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import chain
from typing import TYPE_CHECKING, Any, Literal

from trainwell.core.artifact import check_stored_keys
from trainwell.core.errors import ArtifactError, ConfigError, DataError
from trainwell.text.specials import FAKE_PREFIX, SPECIAL_TOKENS, UNK, _check_multiple, _round_up
from trainwell.text.tokenize import WordTokenizer, detokenize

if TYPE_CHECKING:
    import numpy as np
    import tokenizers
    import torch

__all__ = ["SubwordTokenizer"]

SubwordKind = Literal["bpe", "unigram"]
_SUBWORD_KINDS = ("bpe", "unigram")
_WORD_START = "▁"  # marks the first piece of a word (SentencePiece's convention, kept by Metaspace)
_SUBWORD_KEYS = ("kind", "word_tokenizer", "pad_to_multiple_of", "tokenizer")


class SubwordTokenizer:
    """BPE or unigram subwords learnt from a corpus with HuggingFace ``tokenizers``, after the word rules.

    Each text first goes through a :class:`WordTokenizer` (case marks, repetitions, HTML), then every word
    that is not a special token is split into subword pieces; the special tokens keep the ids of
    :data:`SPECIAL_TOKENS` (``xxunk`` = 0, ``xxpad`` = 1, ...), so models and batching treat word and subword
    vocabularies alike. The trained model is stored as its JSON text (``Tokenizer.to_str``), never pickled.
    (Known limit: ``tokenizers`` matches special tokens inside a word too, so a literal word such as
    ``"xxmajor"`` in the input encodes as ``xxmaj`` + ``or``; real text does not contain such words.)

    Example:
        >>> texts = ["The cat sat on the mat.", "The dog sat on the log!"] * 20
        >>> tok = SubwordTokenizer.train(texts, kind="bpe", vocab_size=60)
        >>> tok.decode(tok.encode("The cat sat."))
        'The cat sat.'
    """

    def __init__(
        self,
        tokenizer: tokenizers.Tokenizer,
        *,
        kind: SubwordKind,
        word_tokenizer: WordTokenizer | None = None,
        pad_to_multiple_of: int | None = 8,
    ) -> None:
        if kind not in _SUBWORD_KINDS:
            raise ConfigError(f"kind must be 'bpe' or 'unigram'; got {kind!r}")
        _check_multiple(pad_to_multiple_of)
        for expected_id, token in enumerate(SPECIAL_TOKENS):
            if tokenizer.token_to_id(token) != expected_id:
                raise ArtifactError(
                    f"subword tokenizer gives {token!r} id {tokenizer.token_to_id(token)}, not {expected_id}; "
                    "train it with SubwordTokenizer.train so the special tokens come first"
                )
        self.tokenizer = tokenizer
        self.kind: SubwordKind = kind
        self.word_tokenizer = word_tokenizer if word_tokenizer is not None else WordTokenizer()
        self.pad_to_multiple_of = pad_to_multiple_of
        self._special_ids = frozenset(range(len(SPECIAL_TOKENS)))

    @classmethod
    def train(
        cls,
        texts: Iterable[object],
        *,
        kind: SubwordKind = "bpe",
        vocab_size: int = 8000,
        min_frequency: int = 2,
        word_tokenizer: WordTokenizer | None = None,
        pad_to_multiple_of: int | None = 8,
        drop_empty: bool = False,
        n_workers: int | None = 1,
    ) -> SubwordTokenizer:
        """Learn subword pieces from ``texts``.

        Args:
            texts: The training corpus.
            kind: ``"bpe"`` (byte-pair merges) or ``"unigram"`` (Kudo's unigram language model).
            vocab_size: Target number of pieces, special tokens included; a small corpus may give fewer.
            min_frequency: BPE only: a merge must occur at least this often.
            word_tokenizer: The word rules run first (default :class:`WordTokenizer`).
            pad_to_multiple_of: ``len(tokenizer)`` is rounded up to a multiple of this (filler ids are never
                produced) so embedding and softmax matrices have fast shapes; ``None`` turns it off.
            drop_empty: Drop blank texts instead of raising.
            n_workers: Processes for the word rules (see :meth:`WordTokenizer.tokenize_many`).
        """
        from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers, trainers

        if kind not in _SUBWORD_KINDS:
            raise ConfigError(f"kind must be 'bpe' or 'unigram'; got {kind!r}")
        if (
            isinstance(vocab_size, bool)
            or not isinstance(vocab_size, int)
            or vocab_size < 2 * len(SPECIAL_TOKENS)
        ):
            raise ConfigError(
                f"vocab_size must be a whole number >= {2 * len(SPECIAL_TOKENS)} (room for the "
                f"{len(SPECIAL_TOKENS)} special tokens and some pieces); got {vocab_size!r}"
            )
        if isinstance(min_frequency, bool) or not isinstance(min_frequency, int) or min_frequency < 1:
            raise ConfigError(f"min_frequency must be a whole number >= 1; got {min_frequency!r}")
        word_tokenizer = word_tokenizer if word_tokenizer is not None else WordTokenizer()
        word_lists = word_tokenizer.tokenize_many(texts, n_workers=n_workers, drop_empty=drop_empty)
        specials = set(SPECIAL_TOKENS)
        # Special tokens are added whole, not learnt: the corpus the trainer sees leaves them out.
        corpus = (" ".join(word for word in words if word not in specials) for words in word_lists)
        added = [
            AddedToken(token, single_word=True, normalized=False, special=True) for token in SPECIAL_TOKENS
        ]
        trainer: Any
        if kind == "bpe":
            tokenizer = Tokenizer(models.BPE(unk_token=UNK))
            trainer = trainers.BpeTrainer(
                vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=added, show_progress=False
            )
        else:
            tokenizer = Tokenizer(models.Unigram())
            trainer = trainers.UnigramTrainer(
                vocab_size=vocab_size, special_tokens=added, unk_token=UNK, show_progress=False
            )
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
        tokenizer.train_from_iterator(corpus, trainer=trainer, length=len(word_lists))
        return cls(tokenizer, kind=kind, word_tokenizer=word_tokenizer, pad_to_multiple_of=pad_to_multiple_of)

    # -------------------------------------------------------------------------------- sizes
    @property
    def n_pieces(self) -> int:
        """Pieces the model really has (special tokens included), before rounding up."""
        return int(self.tokenizer.get_vocab_size(with_added_tokens=True))

    def __len__(self) -> int:
        """Vocabulary size for an embedding: :attr:`n_pieces` rounded up to ``pad_to_multiple_of``."""
        return _round_up(self.n_pieces, self.pad_to_multiple_of)

    # -------------------------------------------------------------------------------- encode / decode
    def tokenize(self, text: str) -> list[str]:
        """Subword pieces of one text (word-start pieces begin with ``"▁"``)."""
        encoding = self.tokenizer.encode(self.word_tokenizer.tokenize(text), is_pretokenized=True)
        return list(encoding.tokens)

    def encode(self, text: str) -> list[int]:
        """Piece ids of one text."""
        encoding = self.tokenizer.encode(self.word_tokenizer.tokenize(text), is_pretokenized=True)
        return list(encoding.ids)

    def encode_many(
        self, texts: Iterable[object], *, n_workers: int | None = 1, drop_empty: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """All texts as one flat int64 tensor of ids and int64 ``offsets`` (text ``i`` is
        ``ids[offsets[i]:offsets[i + 1]]``), equal to :meth:`encode` on each text (:meth:`encode_arrays` as
        tensors)."""
        import torch

        ids, offsets = self.encode_arrays(texts, n_workers=n_workers, drop_empty=drop_empty)
        return torch.from_numpy(ids), torch.from_numpy(offsets)

    def encode_arrays(
        self, texts: Iterable[object], *, n_workers: int | None = 1, drop_empty: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`encode_many` as numpy ``int64`` arrays (no torch: what the ONNX inputs of a text model need).

        Each distinct word is split into pieces once (words are split independently of their neighbours),
        then texts are assembled by lookups: a corpus has far fewer distinct words than tokens, and this is
        several times faster than encoding every text through ``tokenizers``.
        """
        import numpy as np

        word_lists = self.word_tokenizer.tokenize_many(texts, n_workers=n_workers, drop_empty=drop_empty)
        distinct = list(dict.fromkeys(chain.from_iterable(word_lists)))
        encodings = self.tokenizer.encode_batch([[word] for word in distinct], is_pretokenized=True)
        pieces = {word: encoding.ids for word, encoding in zip(distinct, encodings, strict=True)}
        n_pieces = {word: len(ids) for word, ids in pieces.items()}
        lengths = np.fromiter(
            (sum(map(n_pieces.__getitem__, words)) for words in word_lists),
            dtype=np.int64,
            count=len(word_lists),
        )
        offsets = np.zeros(len(word_lists) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        ids = np.fromiter(
            chain.from_iterable(map(pieces.__getitem__, chain.from_iterable(word_lists))),
            dtype=np.int64,
            count=int(offsets[-1]),
        )
        return ids, offsets

    def decode(self, ids: Sequence[int] | torch.Tensor) -> str:
        """Readable text of piece ids: pieces join into words, then :func:`detokenize` undoes the word rules.

        Raises:
            DataError: An id is negative or outside the vocabulary.
        """
        words: list[str] = []
        for raw_id in ids.tolist() if hasattr(ids, "tolist") else ids:  # type: ignore[union-attr]
            piece_id = int(raw_id)
            if not 0 <= piece_id < len(self):
                raise DataError(f"id {piece_id} is outside the subword vocabulary of {len(self)} ids")
            if piece_id >= self.n_pieces:
                continue  # filler ids of the rounded-up size mean nothing
            piece = str(self.tokenizer.id_to_token(piece_id))
            if piece_id in self._special_ids:
                words.append(piece)
            elif piece.startswith(_WORD_START) or not words or words[-1] in SPECIAL_TOKENS:
                words.append(piece.removeprefix(_WORD_START))
            else:
                words[-1] += piece
        return detokenize([word for word in words if word])

    def itos(self) -> list[str]:
        """Every piece by id, with ``xxfake<i>`` fillers up to ``len(self)`` (to build a :class:`Vocab`)."""
        pieces = [str(self.tokenizer.id_to_token(i)) for i in range(self.n_pieces)]
        return pieces + [f"{FAKE_PREFIX}{i}" for i in range(len(self) - self.n_pieces)]

    # -------------------------------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plain data, the trained model as its JSON text; :meth:`from_dict` rebuilds it exactly."""
        return {
            "kind": self.kind,
            "word_tokenizer": self.word_tokenizer.to_dict(),
            "pad_to_multiple_of": self.pad_to_multiple_of,
            "tokenizer": self.tokenizer.to_str(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubwordTokenizer:
        """Rebuild from :meth:`to_dict` output (e.g. read from an artifact's JSON).

        Raises:
            ArtifactError: Keys are missing or unknown, or the stored model cannot be read.
        """
        from tokenizers import Tokenizer

        check_stored_keys(data, _SUBWORD_KEYS, "subword tokenizer")
        try:
            tokenizer = Tokenizer.from_str(data["tokenizer"])
        except Exception as error:  # the Rust side raises a bare Exception on malformed JSON
            raise ArtifactError(
                f"the stored subword tokenizer cannot be read ({error}); the artifact is corrupted"
            ) from error
        return cls(
            tokenizer,
            kind=data["kind"],
            word_tokenizer=WordTokenizer.from_dict(data["word_tokenizer"]),
            pad_to_multiple_of=data["pad_to_multiple_of"],
        )


def stored_piece_count(config: dict[str, Any]) -> int | None:
    """The pieces (special tokens included) of a subword tokenizer as :meth:`SubwordTokenizer.to_dict` stored it,
    read from its JSON without building it (``trainwell info`` said "vocabulary 0" for a subword model, whose
    recipe keeps no word vocabulary); ``None`` when the stored text is not one this reads.

    Example:
        >>> texts = ["a cat sat", "a dog sat", "the cat ran"] * 5
        >>> tokenizer = SubwordTokenizer.train(texts, kind="bpe", vocab_size=60)
        >>> stored_piece_count(tokenizer.to_dict()) == tokenizer.n_pieces
        True
    """
    import json

    try:
        stored = json.loads(config["tokenizer"])
        vocab = stored["model"]["vocab"]
        # BPE and WordPiece keep {piece: id}, Unigram [[piece, score], ...]
        pieces = set(vocab) if isinstance(vocab, dict) else {str(entry[0]) for entry in vocab}
        pieces |= {str(token["content"]) for token in stored.get("added_tokens") or []}
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return len(pieces)
