"""Judging a language model on held-out text: each predicted token's loss, perplexity with an honest interval,
next-word accuracy, where the loss comes from, and paired comparisons with n-gram baselines on the same tokens.

- **Perplexity** is ``exp`` of the mean loss per predicted token (natural log), over the held-out texts read as
  one stream, as in training. Its interval resamples whole texts (or, for fewer than 30 texts, equal passages
  of the stream): the words of one text are not independent, so resampling tokens one by one would make the
  interval far too narrow (:func:`trainwell.evaluate.intervals.grouped_mean_ci`).
- **Bits per character** (total loss in bits over the characters of the texts) compares models whose tokens
  differ (words against subwords), which perplexity does not.
- **Paired comparisons**: two models scored on the same tokens differ by the ratio of their perplexities,
  ``exp`` of the mean difference of their per-token losses; its interval resamples the same groups, so the
  text-to-text variation both models share cancels out.
- **The cache pointer** (:mod:`trainwell.text.cache`) is applied with the settings chosen on the validation
  text at the end of training (``recipe.cache``), never tuned on the text being judged.

:func:`trainwell.evaluate_language_model` (:mod:`trainwell.text.lm_evaluation`) trains a model and judges it with
these pieces.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from trainwell.core.errors import DataError
from trainwell.evaluate.intervals import grouped_mean_ci
from trainwell.text.cache import cache_mixture, stream_probabilities
from trainwell.text.lm_recipe import CacheSettings, LMRecipe, SubwordTokenizer
from trainwell.text.specials import FAKE_PREFIX
from trainwell.text.tokenize import UNK
from trainwell.text.vocab import SPECIAL_TOKENS, Vocab

if TYPE_CHECKING:
    from trainwell.text.ngram import KneserNey

__all__ = [
    "Band",
    "HeldOutText",
    "PerplexityRatio",
    "TokenScores",
    "UnknownWords",
    "compare",
    "encode_held_out",
    "loss_by_band",
    "score_model",
    "score_ngram",
    "unknown_words",
]

#: Below this many texts, the interval resamples passages of the stream instead of texts.
MIN_TEXTS = 30
#: Passages of a short held-out stream: at most this many, each at least ``PASSAGE_TOKENS`` long.
MAX_PASSAGES = 100
PASSAGE_TOKENS = 50
#: Vocabulary ranks where the frequency bands end (the ids of a word vocabulary are sorted by training count).
BAND_EDGES = (100, 1_000, 10_000)


@dataclass
class HeldOutText:
    """Held-out texts encoded as one stream, as a language model reads them.

    Attributes:
        ids: ``(N + 1,)`` the token ids of every text, one after the other.
        groups: ``(N,)`` the resampling group of each predicted token ``ids[1:]``: its text, or its passage when
            there are fewer than :data:`MIN_TEXTS` texts.
        text_of_token: ``(N,)`` the text each predicted token belongs to.
        n_texts: Texts read.
        n_chars: Characters of the texts, one separator each included.
        tokens: ``(N + 1,)`` the tokens as the tokenizer wrote them, the words the vocabulary lacks (read as its
            unknown token) included, so that a report shows the text's own words; ``None`` for subword pieces,
            which hold every word.
    """

    ids: np.ndarray
    groups: np.ndarray
    text_of_token: np.ndarray
    n_texts: int
    n_chars: int
    tokens: list[str] | None = None

    @property
    def n_tokens(self) -> int:
        """Predicted tokens (every token but the first)."""
        return len(self.ids) - 1

    @property
    def grouped_by(self) -> str:
        """What the interval resamples: ``"texts"`` or ``"passages"``."""
        return "texts" if self.n_texts >= MIN_TEXTS else "passages"


def encode_held_out(recipe: LMRecipe, texts: Sequence[str]) -> HeldOutText:
    """``texts`` encoded with the model's own tokenizer and vocabulary (unknown words become its unknown token).

    Raises:
        DataError: Fewer than 2 tokens in all, or no text.
    """
    if not texts:
        raise DataError("no held-out text to judge the language model on; pass a non-empty file or folder")
    tokens: list[str] | None = None
    if isinstance(recipe.tokenizer, SubwordTokenizer):
        ids_t, offsets_t = recipe.encode_texts(list(texts))
    else:  # as encode_texts does, the tokens kept: a report shows the words the vocabulary reads as unknown
        token_lists = recipe.tokenizer.tokenize_many(list(texts))
        ids_t, offsets_t = recipe.vocab.encode_many(token_lists)
        tokens = [token for one in token_lists for token in one]
    ids, offsets = ids_t.numpy().astype(np.int64), offsets_t.numpy().astype(np.int64)
    if len(ids) < 2:
        raise DataError(
            f"the held-out text has {len(ids)} token{'' if len(ids) == 1 else 's'}; a language model is judged "
            "on at least 2 (pass more text)"
        )
    positions = np.arange(1, len(ids))
    text_of_token = np.searchsorted(offsets[1:], positions, side="right")
    n = len(positions)
    if len(texts) >= MIN_TEXTS:
        groups = text_of_token
    else:
        passages = max(1, min(MAX_PASSAGES, n // PASSAGE_TOKENS))
        groups = np.arange(n) * passages // n
    n_chars = sum(len(text) + 1 for text in texts)
    return HeldOutText(ids, groups, text_of_token, len(texts), n_chars, tokens)


@dataclass(frozen=True)
class UnknownWords:
    """The held-out tokens the model reads as its unknown-word token, by where they come from.

    Attributes:
        token: The token as the model's users read it (:attr:`LMRecipe.unknown_token`: PTB's ``<unk>``, else
            ``xxunk``).
        marked: Predicted tokens the text itself wrote as the corpus's own marker (PTB's ``<unk>``: words the
            corpus replaced, part of its closed vocabulary).
        unseen: Predicted tokens that are words outside the model's vocabulary.
        total: Predicted tokens in all.
        unit: What the model predicts one of (:attr:`LMRecipe.unit`): a character model's unknown tokens are
            characters outside its vocabulary, and its report says so.
    """

    token: str
    marked: int
    unseen: int
    total: int
    unit: str = "word"

    @property
    def marker(self) -> str:
        """The corpus's marker as written in the text (what :attr:`marked` counts)."""
        return self.token if self.token != UNK else "<unk>"

    def band_name(self) -> str:
        """The name of their row among the loss bands (:func:`loss_by_band`)."""
        if self.marked and not self.unseen:
            return f"the corpus's own {self.marker} (words it replaced)"
        if self.marked:
            return (
                f"unknown {self.unit}s ({self.token}: the corpus's own {self.marker} and {self.unit}s outside the "
                "vocabulary)"
            )
        return f"unknown {self.unit}s ({self.token})"

    def sentence(self) -> str:
        """What share of the tokens they are and what that means, for a report's note ('' when none)."""
        own = f"the corpus's own {self.marker} token (words the corpus itself replaced)" + (
            f", read as {self.token}" if self.token != self.marker else ""
        )
        outside = f"{self.unit}s outside the vocabulary, predicted as one token ({self.token})"
        shares = [
            f"{count / max(self.total, 1):.1%} of the tokens are {what}"
            for count, what in ((self.marked, own), (self.unseen, outside))
            if count
        ]
        if not shares:
            return ""
        return " and ".join(shares) + "; perplexities compare only between models of the same vocabulary."


def unknown_words(recipe: LMRecipe, texts: Sequence[str], held_out: HeldOutText) -> UnknownWords:
    """The tokens of ``held_out`` (``texts`` encoded) read as the unknown-word token, split into those the text
    wrote as the corpus's own marker (:attr:`LMRecipe.unknown_marker`, PTB's ``<unk>``) and words outside the
    vocabulary: PTB's test text holds no word outside its 10,000, and calling its ``<unk>`` so misleads.

    Example:
        >>> from trainwell.text.lm_recipe import WhitespaceTokenizer
        >>> recipe = LMRecipe("whitespace", WhitespaceTokenizer(), Vocab.build([["the", "cat"]], min_freq=1))
        >>> texts = ["the <unk> cat", "the dog <unk>"]
        >>> found = unknown_words(recipe, texts, encode_held_out(recipe, texts))
        >>> (found.token, found.marked, found.unseen, found.total)
        ('<unk>', 2, 1, 7)
    """
    total = len(held_out.ids) - 1
    unknown = int((held_out.ids[1:] == recipe.vocab.unk_id).sum())
    marker = recipe.unknown_marker
    marked = 0
    if marker is not None and unknown:
        if recipe.tokenizer_name == "whitespace":
            lower = bool(getattr(recipe.tokenizer, "lower", False))
            marked = sum((text.lower() if lower else text).split().count(marker) for text in texts)
        else:  # the word tokenizer reads the marker anywhere, in any case
            marked = sum(text.lower().count(marker) for text in texts)
        marked = min(marked, unknown)  # the first token of the stream is never predicted
    return UnknownWords(recipe.unknown_token, marked, unknown - marked, total, recipe.unit)


@dataclass
class TokenScores:
    """One model's loss on every predicted token of a :class:`HeldOutText` (natural log).

    Attributes:
        name: The model's name in tables and sentences.
        nll: ``(N,)`` the loss of each predicted token, ``-log p(true next token)``.
        held_out: The text scored.
        rank: ``(N,)`` words the model found likelier than the true one (0: its first guess was right); ``None``
            where unknown (n-gram baselines, the cache mixture).
        p_top: ``(N,)`` the model's probability of its first guess, or ``None``.
    """

    name: str
    nll: np.ndarray
    held_out: HeldOutText = field(repr=False)
    rank: np.ndarray | None = field(default=None, repr=False)
    p_top: np.ndarray | None = field(default=None, repr=False)

    @property
    def loss(self) -> float:
        """Mean loss per predicted token."""
        return float(self.nll.mean())

    @property
    def perplexity(self) -> float:
        return _exp(self.loss)

    @property
    def bits_per_char(self) -> float:
        """Total loss in bits over the characters of the held-out texts."""
        return float(self.nll.sum()) / math.log(2) / max(self.held_out.n_chars, 1)

    def perplexity_interval(self, level: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
        """``(perplexity, low, high)``: a bootstrap over the held-out texts (or passages); ``low`` and ``high``
        are NaN for a single one (a file too short to cut into passages): resampling one group says nothing."""
        loss, low, high = grouped_mean_ci(self.nll, self.held_out.groups, level=level, seed=seed)
        return _exp(loss), _exp(low), _exp(high)

    def accuracy(self, k: int = 1) -> float:
        """Share of tokens whose true word was among the model's ``k`` first guesses (``nan`` if unknown)."""
        return math.nan if self.rank is None else float((self.rank < k).mean())

    def accuracy_interval(self, k: int = 1, level: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
        if self.rank is None:
            return math.nan, math.nan, math.nan
        return grouped_mean_ci(
            (self.rank < k).astype(np.float64), self.held_out.groups, level=level, seed=seed
        )

    def text_losses(self) -> np.ndarray:
        """Mean loss per token of each held-out text (``nan`` for a text with no predicted token)."""
        held = self.held_out
        sums = np.bincount(held.text_of_token, weights=self.nll, minlength=held.n_texts)
        counts = np.bincount(held.text_of_token, minlength=held.n_texts)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)

    def to_dict(self, level: float = 0.95, seed: int = 0) -> dict[str, Any]:
        perplexity, low, high = self.perplexity_interval(level, seed)
        row: dict[str, Any] = {
            "perplexity": perplexity,
            "perplexity_low": low,
            "perplexity_high": high,
            "loss": self.loss,
            "bits_per_char": self.bits_per_char,
            "tokens": self.held_out.n_tokens,
        }
        if self.rank is not None:
            row["accuracy"] = self.accuracy(1)
            row["top5_accuracy"] = self.accuracy(5)
        return row


def _exp(value: float) -> float:
    return math.nan if math.isnan(value) else math.exp(min(value, 700.0))


@torch.no_grad()
def score_model(
    model: nn.Module,
    held_out: HeldOutText,
    *,
    name: str = "trainwell",
    cache: CacheSettings | None = None,
    chunk: int = 256,
    rows: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> list[TokenScores]:
    """The model's scores on ``held_out`` (read as one history: in up to ``rows`` rows side by side, each warmed
    up on the text before it, :func:`~trainwell.text.cache.stream_probabilities`; ``rows=1``: one row, exactly),
    and with ``cache`` its scores with the cache pointer as well (named ``"<name> + cache"``). ``progress``: called
    with the share of the read done, after each step."""
    thetas = (cache.theta,) if cache is not None else ()
    window = cache.window if cache is not None else 1
    probabilities = stream_probabilities(
        model,
        torch.from_numpy(held_out.ids),
        window=window,
        thetas=thetas,
        chunk=chunk,
        rows=rows,
        progress=progress,
    )
    p_model = probabilities.p_model.double().numpy()
    scores = [
        TokenScores(
            name,
            -np.log(np.clip(p_model, 1e-300, None)),
            held_out,
            probabilities.rank.numpy(),
            probabilities.p_top.double().numpy(),
        )
    ]
    if cache is not None:
        mixed = cache_mixture(
            probabilities.p_model, probabilities.p_cache[0], cache.lambda_, probabilities.has_cache
        ).numpy()
        scores.append(TokenScores(f"{name} + cache", -np.log(np.clip(mixed, 1e-300, None)), held_out))
    return scores


def score_ngram(ngram: KneserNey, held_out: HeldOutText, name: str) -> TokenScores:
    """An n-gram model's scores on the same predicted tokens."""
    return TokenScores(name, -ngram.log_probs(held_out.ids), held_out)


@dataclass
class PerplexityRatio:
    """How ``model`` compares with ``other`` on the same tokens: ``ratio`` = its perplexity over the other's."""

    model: str
    other: str
    ratio: float
    low: float
    high: float
    level: float

    @property
    def outcome(self) -> str:
        """``"beats"`` (the whole interval is below 1), ``"loses"`` (above 1) or ``"ties"``."""
        if self.high < 1:
            return "beats"
        if self.low > 1:
            return "loses"
        return "ties"

    def sentence(self) -> str:
        level = f"{round(self.level * 100)}%"
        if self.outcome == "beats":
            change = f"{1 - self.ratio:.0%} lower ({level} interval {1 - self.high:.0%} to {1 - self.low:.0%} lower)"
            return f"{self.model}'s perplexity is {change} than {self.other}'s on the same tokens"
        if self.outcome == "loses" and self.low >= 1.5:  # "136% higher" reads worse than "2.36 times"
            return (
                f"{self.model}'s perplexity is {self.ratio:.2f} times {self.other}'s on the same tokens "
                f"({level} interval {self.low:.2f} to {self.high:.2f} times)"
            )
        if self.outcome == "loses":
            change = f"{self.ratio - 1:.0%} higher ({level} interval {self.low - 1:.0%} to {self.high - 1:.0%} higher)"
            return f"{self.model}'s perplexity is {change} than {self.other}'s on the same tokens"
        return (
            f"{self.model} and {self.other} cannot be told apart on this text: the ratio of their perplexities is "
            f"{self.ratio:.3f} ({level} interval {self.low:.3f} to {self.high:.3f}); judge on more text"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "other": self.other,
            "ratio": self.ratio,
            "low": self.low,
            "high": self.high,
            "outcome": self.outcome,
            "text": self.sentence(),
        }


def compare(model: TokenScores, other: TokenScores, level: float = 0.95, seed: int = 0) -> PerplexityRatio:
    """The paired ratio of perplexities of two models scored on the same held-out text."""
    if model.held_out is not other.held_out and len(model.nll) != len(other.nll):
        raise DataError(
            f"{model.name} and {other.name} were scored on different texts ({len(model.nll)} and "
            f"{len(other.nll)} tokens); score both on the same HeldOutText"
        )
    gap, low, high = grouped_mean_ci(model.nll - other.nll, model.held_out.groups, level=level, seed=seed)
    return PerplexityRatio(model.name, other.name, _exp(gap), _exp(low), _exp(high), level)


@dataclass
class Band:
    """Where the loss comes from: the tokens of one kind (a frequency band of the vocabulary, unknown words,
    or the tokenizer's markers) and the model's figures on them."""

    name: str
    tokens: int
    share: float
    loss_share: float
    perplexity: float
    accuracy: float


def loss_by_band(
    scores: TokenScores, vocab: Vocab, *, unknown_name: str | None = None, unit: str = "word"
) -> list[Band]:
    """The held-out tokens by kind: the tokenizer's markers (capitals, ends of text...), the most frequent words
    in training (vocabulary ranks 1-100, 101-1,000, 1,001-10,000, beyond) and unknown words, named
    ``unknown_name`` (:meth:`UnknownWords.band_name` names PTB's ``<unk>`` as the corpus's own), else
    "unknown words (xxunk)".

    Meant for word and character vocabularies, whose ids follow the training counts; a subword vocabulary's ids
    do not. ``unit`` (:attr:`LMRecipe.unit`) names the tokens: a character model's bands are characters, not words,
    and a band past the vocabulary's size is not named (a vocabulary of 65 characters has one band, "all 65
    characters of the vocabulary", never "the 100 most frequent characters").
    """
    if unknown_name is None:
        unknown_name = f"unknown {unit}s ({UNK})"
    targets = scores.held_out.ids[1:]
    n_special = len(SPECIAL_TOKENS)
    unk = vocab.unk_id
    kinds: list[tuple[str, np.ndarray]] = [
        ("markers (xxmaj, xxeos...)", (targets < n_special) & (targets != unk))
    ]
    rank = np.where(
        targets >= n_special, targets - n_special + 1, 0
    )  # 1: the most frequent token in training
    # The vocabulary's own tokens (a character model's are some 65, not 100): no band is named past them.
    ranked = sum(1 for token in vocab.itos[n_special:] if not token.startswith(FAKE_PREFIX))
    lower = 0
    for upper in BAND_EDGES:
        if lower >= ranked:
            break
        if upper >= ranked and lower == 0:
            name = f"all {ranked:,} {unit}s of the vocabulary"
        elif lower == 0:
            name = f"the {upper:,} most frequent {unit}s"
        else:
            name = f"{unit}s ranked {lower + 1:,}-{min(upper, ranked):,}"
        kinds.append((name, (rank > lower) & (rank <= upper)))
        lower = upper
    if lower < ranked:
        kinds.append((f"{unit}s ranked beyond {lower:,}", rank > lower))
    kinds.append((unknown_name, targets == unk))
    total_loss = float(scores.nll.sum())
    bands = []
    for name, chosen in kinds:
        count = int(chosen.sum())
        if not count:
            continue
        loss = scores.nll[chosen]
        bands.append(
            Band(
                name,
                count,
                count / len(targets),
                float(loss.sum()) / total_loss if total_loss > 0 else math.nan,
                _exp(float(loss.mean())),
                float((scores.rank[chosen] == 0).mean()) if scores.rank is not None else math.nan,
            )
        )
    return bands
