"""The vocabulary: tokens to ids and back, built from token counts, stored as plain JSON in the recipe.

Fixed rules, so every stage (training, export, serving) agrees:

- The special tokens come first, always in the order of :data:`~trainwell.text.specials.SPECIAL_TOKENS`:
  ``xxunk`` = 0, ``xxpad`` = 1, ``xxbos`` = 2, ``xxeos`` = 3, ``xxfld`` = 4, ``xxmaj`` = 5, ``xxup`` = 6,
  ``xxrep`` = 7, ``xxwrep`` = 8. Any token outside the vocabulary encodes as ``xxunk``.
- Then the corpus tokens seen at least ``min_freq`` times, most frequent first, ties in alphabetical order (so
  the same counts give the same ids whatever order the texts came in).
- ``max_size`` caps the whole vocabulary, special tokens and fillers included.
- With ``pad_to_multiple_of=8`` (the default) filler tokens ``xxfake0``, ``xxfake1``, ... round the size up to
  a multiple of 8: embedding and softmax matrices of such sizes run faster on tensor cores and vectorised
  CPU kernels. Fillers are never produced by encoding.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain, repeat
from typing import TYPE_CHECKING, Any

import numpy as np

from trainwell.core.errors import ArtifactError, ConfigError, DataError
from trainwell.text.specials import (
    BOS,
    EOS,
    FAKE_PREFIX,
    PAD,
    SPECIAL_TOKENS,
    UNK,
    _check_multiple,
    _round_up,
)

if (
    TYPE_CHECKING
):  # encoding needs numpy alone (a server on ONNX never imports torch); encode_many makes tensors
    import torch

__all__ = ["Vocab", "vocab_difference"]

_N_SPECIAL = len(SPECIAL_TOKENS)


class Vocab:
    """Token <-> id mapping with the special tokens first (see the module docstring for the rules).

    Args:
        itos: Every token by id; must start with the special tokens in their fixed order and hold no
            duplicates. Usually made by :meth:`build` or :meth:`from_counts`.

    Example:
        >>> vocab = Vocab.build([["xxbos", "the", "cat"], ["xxbos", "the", "dog"]], min_freq=2)
        >>> len(vocab), vocab.encode(["the", "zebra"]), vocab.decode([9, 0])
        (16, [9, 0], ['the', 'xxunk'])
    """

    unk_id = SPECIAL_TOKENS.index(UNK)
    pad_id = SPECIAL_TOKENS.index(PAD)
    bos_id = SPECIAL_TOKENS.index(BOS)
    eos_id = SPECIAL_TOKENS.index(EOS)

    def __init__(self, itos: Sequence[str]) -> None:
        itos = list(itos)
        if tuple(itos[:_N_SPECIAL]) != SPECIAL_TOKENS:
            raise ArtifactError(
                f"a vocabulary must start with the special tokens {list(SPECIAL_TOKENS)}; it starts with "
                f"{itos[:_N_SPECIAL]}; build it with Vocab.build or Vocab.from_counts"
            )
        if not all(isinstance(token, str) for token in itos):
            bad = next(token for token in itos if not isinstance(token, str))
            raise ArtifactError(f"vocabulary tokens must be strings; found {type(bad).__name__} {bad!r}")
        stoi = {token: index for index, token in enumerate(itos)}
        if len(stoi) != len(itos):
            duplicates = sorted(token for token, count in Counter(itos).items() if count > 1)
            raise ArtifactError(
                f"vocabulary has duplicate tokens {duplicates[:5]}; each token must appear once"
            )
        for token in itos:  # fillers only round the size up: text never encodes to them
            if token.startswith(FAKE_PREFIX):
                del stoi[token]
        self.itos: list[str] = itos
        self.stoi: dict[str, int] = stoi

    # -------------------------------------------------------------------------------- building
    @classmethod
    def build(
        cls,
        token_lists: Iterable[Sequence[str]],
        *,
        min_freq: int = 3,
        max_size: int | None = 60_000,
        pad_to_multiple_of: int | None = 8,
    ) -> Vocab:
        """Count the tokens of tokenized texts and keep the frequent ones (see :meth:`from_counts`)."""
        counts: Counter[str] = Counter()
        for position, tokens in enumerate(token_lists):
            if isinstance(tokens, str):
                raise DataError(
                    f"token_lists[{position}] is a string, not a list of tokens; tokenize the texts first "
                    "(WordTokenizer().tokenize_many(texts))"
                )
            counts.update(tokens)
        if not counts:
            raise DataError("token_lists holds no tokens; pass the tokenized training texts")
        return cls.from_counts(
            counts, min_freq=min_freq, max_size=max_size, pad_to_multiple_of=pad_to_multiple_of
        )

    @classmethod
    def from_counts(
        cls,
        counts: Mapping[str, int],
        *,
        min_freq: int = 3,
        max_size: int | None = 60_000,
        pad_to_multiple_of: int | None = 8,
    ) -> Vocab:
        """The vocabulary of ``counts``: special tokens, then tokens seen ``min_freq`` times or more.

        Args:
            counts: Token -> number of occurrences in the training texts.
            min_freq: Rarer tokens become ``xxunk``; 2 or 3 keeps typos and names out of the softmax.
            max_size: Most entries in all (special tokens and fillers included); the most frequent tokens win.
                ``None`` for no cap.
            pad_to_multiple_of: Round the size up with filler tokens; ``None`` turns it off.

        Raises:
            ConfigError: ``min_freq`` < 1, or ``max_size`` leaves no room for the special tokens.
        """
        if isinstance(min_freq, bool) or not isinstance(min_freq, int) or min_freq < 1:
            raise ConfigError(f"min_freq must be a whole number >= 1; got {min_freq!r}")
        _check_multiple(pad_to_multiple_of)
        limit = None if max_size is None else _size_limit(max_size, pad_to_multiple_of)
        specials = set(SPECIAL_TOKENS)
        frequent = [
            (-count, token)
            for token, count in counts.items()
            if count >= min_freq and token not in specials and not token.startswith(FAKE_PREFIX)
        ]
        frequent.sort()
        kept = [token for _, token in frequent]
        if limit is not None:
            kept = kept[: limit - _N_SPECIAL]
        itos = [*SPECIAL_TOKENS, *kept]
        n_fillers = _round_up(len(itos), pad_to_multiple_of) - len(itos)
        return cls(itos + [f"{FAKE_PREFIX}{i}" for i in range(n_fillers)])

    def extend(
        self,
        counts: Mapping[str, int],
        *,
        min_freq: int = 3,
        max_size: int | None = 60_000,
        pad_to_multiple_of: int | None = 8,
    ) -> Vocab:
        """This vocabulary (every id kept) followed by the tokens of ``counts`` it lacks, most frequent first.

        What fine-tuning a language model on a new corpus needs: the words the model knows keep their rows, the
        new corpus's frequent words get new ones. ``max_size`` caps the total (a vocabulary already larger is
        kept whole); the old fillers are dropped and the size is rounded up again.
        """
        if isinstance(min_freq, bool) or not isinstance(min_freq, int) or min_freq < 1:
            raise ConfigError(f"min_freq must be a whole number >= 1; got {min_freq!r}")
        _check_multiple(pad_to_multiple_of)
        kept = [token for token in self.itos if not token.startswith(FAKE_PREFIX)]
        known = set(kept)
        new = sorted(
            (-count, token)
            for token, count in counts.items()
            if count >= min_freq and token not in known and not token.startswith(FAKE_PREFIX)
        )
        room = len(new) if max_size is None else max(0, _size_limit(max_size, pad_to_multiple_of) - len(kept))
        itos = kept + [token for _, token in new[:room]]
        n_fillers = _round_up(len(itos), pad_to_multiple_of) - len(itos)
        return Vocab(itos + [f"{FAKE_PREFIX}{i}" for i in range(n_fillers)])

    # -------------------------------------------------------------------------------- lookups
    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return token in self.stoi

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.itos == other.itos

    __hash__ = None  # type: ignore[assignment]  # mutable lists inside: not hashable

    def __repr__(self) -> str:
        return f"Vocab({len(self)} tokens: {', '.join(self.itos[_N_SPECIAL : _N_SPECIAL + 5])}, ...)"

    @property
    def n_fillers(self) -> int:
        """How many ``xxfake*`` tokens round the size up (they sit at the end)."""
        return sum(1 for token in reversed(self.itos) if token.startswith(FAKE_PREFIX))

    def index(self, token: str) -> int:
        """Id of ``token``, or of ``xxunk`` when it is not in the vocabulary."""
        return self.stoi.get(token, self.unk_id)

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Ids of one tokenized text; unknown tokens become ``xxunk`` (0)."""
        if isinstance(tokens, str):
            raise DataError(
                "encode takes a list of tokens, not a text; tokenize it first (WordTokenizer().tokenize(text))"
            )
        return list(map(self.stoi.get, tokens, repeat(self.unk_id)))

    def encode_many(self, token_lists: Sequence[Sequence[str]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Every text's ids in one flat int64 tensor, with int64 ``offsets`` of length ``len(token_lists) + 1``.

        Text ``i`` is ``ids[offsets[i]:offsets[i + 1]]``. One flat tensor, not a list of small ones: language
        models read the corpus as one stream, and classifiers slice and pad batches from it cheaply.
        """
        import torch

        ids, offsets = self.encode_arrays(token_lists)
        return torch.from_numpy(ids), torch.from_numpy(offsets)

    def encode_arrays(self, token_lists: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`encode_many` as numpy ``int64`` arrays (no torch: what the ONNX inputs of a text model need)."""
        if isinstance(token_lists, str) or (len(token_lists) > 0 and isinstance(token_lists[0], str)):
            raise DataError(
                "encode_many takes a list of token lists, not texts; tokenize first "
                "(WordTokenizer().tokenize_many(texts))"
            )
        lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
        offsets = np.zeros(len(token_lists) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        # map over C iterators: one dict lookup per token without a Python-level loop.
        ids = np.fromiter(
            map(self.stoi.get, chain.from_iterable(token_lists), repeat(self.unk_id)),
            dtype=np.int64,
            count=int(offsets[-1]),
        )
        return ids, offsets

    def decode(self, ids: Sequence[int] | torch.Tensor | np.ndarray) -> list[str]:
        """Tokens of ``ids`` (a list, a 1-d tensor or array); :func:`~trainwell.text.detokenize` makes text.

        Raises:
            DataError: An id is negative or not below ``len(self)``.
        """
        values = ids.tolist() if hasattr(ids, "tolist") else list(ids)  # a tensor or an array
        size = len(self.itos)
        for value in values:
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or not 0 <= value < size:
                raise DataError(f"id {value!r} is not a token id of this vocabulary (0 to {size - 1})")
        return [self.itos[value] for value in values]

    def unknown_share(self, token_lists: Iterable[Sequence[str]]) -> float:
        """Share of tokens that would encode as ``xxunk``: a quick check of how well the vocabulary fits a
        corpus (a few percent is normal; far more suggests ``min_freq`` or ``max_size`` is too strict)."""
        total = unknown = 0
        stoi = self.stoi
        for tokens in token_lists:
            total += len(tokens)
            unknown += sum(1 for token in tokens if token not in stoi or token == UNK)
        return unknown / total if total else 0.0

    # -------------------------------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plain data (the tokens in id order); :meth:`from_dict` reverses it exactly."""
        return {"itos": list(self.itos)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Vocab:
        """Rebuild from :meth:`to_dict` output, e.g. read from an artifact's JSON.

        Raises:
            ArtifactError: Keys are missing or unknown, or the tokens break the vocabulary's rules.
        """
        if set(data) != {"itos"} or not isinstance(data["itos"], list):
            raise ArtifactError(
                f"vocabulary data must be {{'itos': [tokens...]}}; got keys {sorted(data)}; "
                "the artifact is corrupted or from another trainwell version"
            )
        return cls(data["itos"])


def vocab_difference(
    new: Sequence[str], old: Sequence[str], whose: str = "the Learner's", *, unit: str = "tokens"
) -> str | None:
    """How the token list ``new`` differs from ``old`` in words (``None`` when they are the same, id for id):
    the sizes, and the first id that holds another token. ``unit`` names the entries (``"characters"``...).

    Example:
        >>> vocab_difference(["xxunk", "film", "good"], ["xxunk", "movie"])
        "3 tokens against the Learner's 2; id 1 is 'film' where the Learner's is 'movie'"
    """
    new, old = list(new), list(old)
    if new == old:
        return None
    first = next((i for i, (a, b) in enumerate(zip(new, old, strict=False)) if a != b), None)
    where = f"id {first} is {new[first]!r} where {whose} is {old[first]!r}" if first is not None else ""
    if len(new) == len(old):
        return f"{len(new):,} {unit} as well, but {where}"
    sizes = f"{len(new):,} {unit} against {whose} {len(old):,}"
    return f"{sizes}; {where}" if where else sizes


def _size_limit(max_size: int, pad_to_multiple_of: int | None) -> int:
    """Largest allowed size: ``max_size`` rounded down to the multiple, so rounding up never exceeds it."""
    smallest = _round_up(_N_SPECIAL, pad_to_multiple_of)
    if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < smallest:
        rounding = f" rounded up to a multiple of {pad_to_multiple_of}" if pad_to_multiple_of else ""
        raise ConfigError(
            f"max_size must be a whole number >= {smallest} (the {_N_SPECIAL} special tokens{rounding}); "
            f"got {max_size!r}; pass a larger max_size or None for no cap"
        )
    return max_size if pad_to_multiple_of is None else max_size // pad_to_multiple_of * pad_to_multiple_of
