"""Fit a text classifier's recipe on its training texts: the tokenizer (subword), the vocabulary (word) and
the n-gram settings of a bag, with the defaults chosen by the task and the corpus's size."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from trainwell.core.errors import ConfigError
from trainwell.text.fields import field_parts
from trainwell.text.recipe import TextRecipe
from trainwell.text.subword import SubwordTokenizer
from trainwell.text.tokenize import WordTokenizer
from trainwell.text.vocab import Vocab

__all__ = [
    "DEFAULT_NGRAMS",
    "MULTILABEL_NGRAMS",
    "SMALL_CORPUS_NGRAMS",
    "TRIGRAM_TOKENS",
    "default_buckets",
    "default_ngrams",
    "fit_recipe",
]

#: Longest n-gram of a bag by default on a large corpus (:data:`TRIGRAM_TOKENS` training tokens or more) ...
DEFAULT_NGRAMS = 3
#: ... and on a smaller one bigrams, whose hashed trigrams are mostly seen once: noise to overfit. Measured with
#: the defaults (benchmarks/text_ngrams.py; accuracy, n-grams 2 against 3): rt-polarity 5-fold CV
#: (200,000 tokens) 0.785 / 0.774 (TF-IDF + logistic 0.779); SST-2 dev (734,000) 0.825 / 0.810; IMDB training
#: subsets on 10,000 test reviews: 5,000 reviews (1.5 million tokens) 0.886 / 0.883, 12,500 (3.8 million) 0.903 /
#: 0.900, all 25,000 (7.7 million) 0.911 / 0.912.
SMALL_CORPUS_NGRAMS = 2
#: Training tokens from which a bag's n-grams go up to :data:`DEFAULT_NGRAMS`.
TRIGRAM_TOKENS = 6_000_000
#: Tokens alone for multi-label targets, whose labels each have few positives to fit hashed n-grams
#: from (GoEmotions, 28 labels, test macro ROC AUC / F1 at per-label thresholds, benchmarks/text_classify.py:
#: 2,400 training texts, n-grams 3 -> 0.717 / 0.224, 1 -> 0.779 / 0.280; 43,410 texts, 10 epochs, 3 -> 0.863 /
#: 0.424, 1 -> 0.894 / 0.448; a TF-IDF uni+bigram logistic regression 0.776 / 0.273 and 0.882 / 0.441).
MULTILABEL_NGRAMS = 1


def fit_recipe(
    texts: Sequence[str],
    text_col: str,
    *,
    tokenizer: str | WordTokenizer | SubwordTokenizer = "word",
    min_freq: int = 2,
    max_vocab: int | None = 100_000,
    vocab: Sequence[str] | None = None,
    ngrams: int | None = None,
    kind: str = "binary",
    n_buckets: int | None = None,
    binary: bool = True,
    max_len: int | None = None,
    batch_format: str = "bag",
    n_workers: int | None = None,
    fields: Sequence[str] = (),
    progress: Callable[[int], object] | None = None,
    tokens_out: list[list[str]] | None = None,
) -> TextRecipe:
    """Fit the tokenizer (subword) and the vocabulary (word) on training ``texts``; ``ngrams=None`` chooses
    the bag's longest n-gram from the task's ``kind`` and the training token count (:func:`default_ngrams`).
    With ``fields`` (several text columns), each text is those fields joined, and each field is read alone.
    ``progress`` is called with the number of texts the word tokenizer has just read
    (:meth:`~trainwell.text.tokenize.WordTokenizer.tokenize_many`). ``tokens_out``, a list, is given the word
    tokens of every text read (one text, one field: not with ``fields``), for
    :meth:`~trainwell.text.recipe.TextRecipe.encode_counted` to encode without tokenizing the texts again."""
    if fields:  # the words of each field, not the joined string with its separators
        texts = [piece for part in field_parts(texts, len(fields)) for piece in part]
        progress = _per_text(progress, len(fields)) if progress is not None else None
    workers = n_workers if n_workers is not None else (None if len(texts) >= 20_000 else 1)
    if vocab is not None and not (tokenizer == "word" or isinstance(tokenizer, WordTokenizer)):
        raise ConfigError("vocab= fixes a word vocabulary; a subword tokenizer carries its own pieces")
    words: tuple[str, ...] = ()
    n_tokens = sum(len(text) for text in texts) // 5  # a word is about 5 characters: a first estimate
    if tokenizer == "word" or isinstance(tokenizer, WordTokenizer):
        word = tokenizer if isinstance(tokenizer, WordTokenizer) else WordTokenizer()
        token_lists = word.tokenize_many(texts, n_workers=workers, progress=progress)
        if tokens_out is not None and not fields:
            tokens_out.extend(token_lists)
        n_tokens = sum(map(len, token_lists))
        built = Vocab.build(token_lists, min_freq=min_freq, max_size=max_vocab) if vocab is None else None
        words = tuple(vocab) if vocab is not None else tuple(built.itos)  # type: ignore[union-attr]
        config = {"kind": "word", "config": word.to_dict()}
    elif tokenizer == "subword" or isinstance(tokenizer, SubwordTokenizer):
        subword = (
            tokenizer
            if isinstance(tokenizer, SubwordTokenizer)
            else SubwordTokenizer.train(texts, vocab_size=min(max_vocab or 16_000, 16_000), n_workers=workers)
        )
        config = {"kind": "subword", "config": subword.to_dict()}
    else:
        raise ConfigError(f"tokenizer must be 'word', 'subword' or a tokenizer object; got {tokenizer!r}")
    return TextRecipe(
        text_col=text_col,
        tokenizer=config,
        vocab=words,
        batch_format=batch_format,
        ngrams=ngrams if ngrams is not None else default_ngrams(kind, n_tokens),
        n_buckets=n_buckets or default_buckets(n_tokens),
        binary=binary,
        max_len=max_len,
        fields=tuple(fields),
    )


def _per_text(progress: Callable[[int], object], n_fields: int) -> Callable[[int], object]:
    """``progress`` told of whole texts when each is read as its ``n_fields`` fields, one after the other."""
    pieces = 0

    def advance(count: int) -> None:
        nonlocal pieces
        before = pieces // n_fields
        pieces += count
        progress(pieces // n_fields - before)

    return advance


def default_ngrams(kind: str, n_tokens: int = TRIGRAM_TOKENS) -> int:
    """The longest n-gram of a bag for a task of ``kind`` trained on ``n_tokens`` tokens: :data:`MULTILABEL_NGRAMS`
    for multilabel, else :data:`DEFAULT_NGRAMS` from :data:`TRIGRAM_TOKENS` tokens and
    :data:`SMALL_CORPUS_NGRAMS` below.

    >>> default_ngrams("binary", 180_000), default_ngrams("binary", 7_700_000), default_ngrams("multilabel", 10**7)
    (2, 3, 1)
    """
    if kind == "multilabel":
        return MULTILABEL_NGRAMS
    return DEFAULT_NGRAMS if n_tokens >= TRIGRAM_TOKENS else SMALL_CORPUS_NGRAMS


def default_buckets(n_tokens: int) -> int:
    """Hash buckets for a corpus of ``n_tokens``: a power of two at or above it, from 2**12 to 2**20."""
    return int(2 ** min(20, max(12, math.ceil(math.log2(max(n_tokens, 1))))))
