"""The fitted text preprocessing of a language model, as plain data: the tokenizer (ULMFiT's word rules, BPE
subwords, whitespace for corpora tokenized already, or characters) and the vocabulary, and the cache pointer's settings
chosen at the end of training. A predictor or a server reads text through this and the model alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from trainwell.core.errors import ArtifactError
from trainwell.text.subword import SubwordTokenizer
from trainwell.text.tokenize import EOS, UNK, WordTokenizer, validate_texts
from trainwell.text.vocab import Vocab

if TYPE_CHECKING:
    import torch

__all__ = [
    "CacheSettings",
    "CharTokenizer",
    "LMRecipe",
    "TokenizerName",
    "WhitespaceTokenizer",
    "closed_vocabulary",
    "fit_lm_recipe",
    "predicted_unit",
]

TokenizerName = Literal["word", "subword", "whitespace", "char"]
TOKENIZERS = ("word", "subword", "whitespace", "char")
#: What stands in generated text for a character the model does not know (it is never sampled; a prompt's own
#: unknown characters are echoed as written).
UNKNOWN_CHAR = "\ufffd"

#: The word and whitespace vocabularies' ``min_freq`` on other corpora: a word seen once is left to ``xxunk``, so
#: that the unknown token is trained on the rare words and means something for the words of new text.
DEFAULT_MIN_FREQ = 2
#: The share of a corpus's whitespace tokens that its own ``<unk>`` must make up for it to be read as tokenized
#: already over a closed vocabulary (PTB's training text 5.1%, WikiText-103's about 0.4%): a text that mentions
#: the marker in passing is not such a corpus.
CLOSED_VOCABULARY_SHARE = 0.001


def predicted_unit(tokenizer_name: str | None) -> str:
    """What a language model with this tokenizer predicts one of, as its messages name it: ``"character"``
    (``char``), ``"subword"`` (BPE pieces) or ``"word"`` (the word rules, and a corpus's own whitespace tokens).

    Example:
        >>> predicted_unit("char"), predicted_unit("subword"), predicted_unit("whitespace")
        ('character', 'subword', 'word')
    """
    return {"char": "character", "subword": "subword"}.get(tokenizer_name or "", "word")


class _OneTextAtATime:
    """What the whitespace and character tokenizers share: called, they tokenize one text; ``tokenize_many``
    checks a list of texts (as every tokenizer does) and tokenizes each in turn."""

    def tokenize(self, text: str) -> list[str]:
        raise NotImplementedError

    def __call__(self, text: str) -> list[str]:
        return self.tokenize(text)

    def tokenize_many(
        self, texts: Sequence[object], *, n_workers: int | None = 1, drop_empty: bool = False
    ) -> list[list[str]]:
        kept, _ = validate_texts(texts, drop_empty=drop_empty)
        return [self.tokenize(text) for text in kept]


@dataclass(frozen=True)
class WhitespaceTokenizer(_OneTextAtATime):
    """Split on whitespace only: for corpora that are tokenized already, such as the Penn Treebank.

    Attributes:
        lower: Lower-case the text first.
        unk_token: The corpus's own marker for rare words (PTB: ``<unk>``), mapped to ``xxunk``.
        add_eos: End every text (every line of a line-per-sentence file) with ``xxeos``.
    """

    lower: bool = False
    unk_token: str | None = "<unk>"
    add_eos: bool = True

    def tokenize(self, text: str) -> list[str]:
        tokens = (text.lower() if self.lower else text).split()
        if self.unk_token is not None:
            tokens = [UNK if token == self.unk_token else token for token in tokens]
        if self.add_eos:
            tokens.append(EOS)
        return tokens

    def detokenize(self, tokens: Sequence[str]) -> str:
        # The corpus's own marker comes back as the corpus wrote it (PTB's <unk>, never our xxunk).
        unk = self.unk_token if self.unk_token is not None else UNK
        words = ["\n" if token == EOS else unk if token == UNK else token for token in tokens]
        return " ".join(words).replace(" \n ", "\n").strip()

    def to_dict(self) -> dict[str, Any]:
        return {"lower": self.lower, "unk_token": self.unk_token, "add_eos": self.add_eos}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WhitespaceTokenizer:
        unknown = sorted(set(data) - {"lower", "unk_token", "add_eos"})
        if unknown:
            raise ArtifactError(f"unknown whitespace tokenizer settings {unknown}; the artifact is corrupted")
        return cls(**data)


@dataclass(frozen=True)
class CharTokenizer(_OneTextAtATime):
    """Every character a token, spaces and line breaks included: a character-level language model (Tiny
    Shakespeare's classic), whose perplexity is per character and whose generated text keeps its lines.

    Attributes:
        add_eos: End every text with ``xxeos`` (every line of a line-per-text file), written back as a line
            break.

    Example:
        >>> CharTokenizer()("to be,\\nor")
        ['t', 'o', ' ', 'b', 'e', ',', '\\n', 'o', 'r', 'xxeos']
        >>> CharTokenizer().detokenize(["h", "i", "xxeos", "y", "o"])
        'hi\\nyo'
    """

    add_eos: bool = True

    def tokenize(self, text: str) -> list[str]:
        tokens = list(text)
        if self.add_eos:
            tokens.append(EOS)
        return tokens

    def detokenize(self, tokens: Sequence[str]) -> str:
        """The characters joined with nothing between; ``xxeos`` is a line break, an unknown character
        :data:`UNKNOWN_CHAR`, and the other special tokens (never a character: each is longer) are dropped."""
        return "".join(
            "\n" if token == EOS else UNKNOWN_CHAR if token == UNK else token
            for token in tokens
            if len(token) == 1 or token in (EOS, UNK)
        )

    def to_dict(self) -> dict[str, Any]:
        return {"add_eos": self.add_eos}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CharTokenizer:
        unknown = sorted(set(data) - {"add_eos"})
        if unknown:
            raise ArtifactError(f"unknown char tokenizer settings {unknown}; the artifact is corrupted")
        return cls(**data)


Tokenizer = WordTokenizer | SubwordTokenizer | WhitespaceTokenizer | CharTokenizer


class LMRecipe:
    """The fitted text preprocessing of a language model: tokenizer settings and vocabulary (plain JSON).

    Attributes:
        tokenizer_name: ``"word"``, ``"subword"``, ``"whitespace"`` or ``"char"`` (each character a token).
        tokenizer: The tokenizer object (rebuilt from its ``to_dict`` on load).
        vocab: Token ids; for subwords, the pieces by id.
        cache: The continuous cache pointer's settings chosen on the validation text at the end of training
            (``window``, ``theta``, ``lambda``), used when held-out text is scored; ``None`` when not tuned (no
            validation text, or a recipe written before they were kept) or when the cache did not help.
        documents: The training texts held line breaks (a folder of ``.txt`` files, each one text): a ``.txt``
            file of held-out text is then read whole, as one such text, not one text per line (which would start
            a text at every line, something the model never saw). ``False`` in recipes written before it.
        text_col: The table column the training texts came from (``--text``), read again by ``predict`` and
            ``report`` from a table of held-out text; ``None`` for other sources (they read ``text``).
    """

    def __init__(
        self,
        tokenizer_name: TokenizerName,
        tokenizer: Tokenizer,
        vocab: Vocab,
        cache: CacheSettings | None = None,
        documents: bool = False,
        text_col: str | None = None,
    ) -> None:
        self.tokenizer_name = tokenizer_name
        self.tokenizer = tokenizer
        self.vocab = vocab
        self.cache = cache
        self.documents = documents
        self.text_col = text_col

    @property
    def unit(self) -> str:
        """What the model predicts one of: ``"word"``, ``"subword"`` or ``"character"`` (:func:`predicted_unit`)."""
        return predicted_unit(self.tokenizer_name)

    @property
    def unknown_token(self) -> str:
        """The unknown-word token as the model's users read it: the corpus's own marker that a whitespace
        tokenizer reads as ``xxunk`` (PTB's ``<unk>``), else ``xxunk``."""
        if isinstance(self.tokenizer, WhitespaceTokenizer) and self.tokenizer.unk_token is not None:
            return self.tokenizer.unk_token
        return UNK

    @property
    def unknown_marker(self) -> str | None:
        """The corpus's own marker for the words it replaced, which this tokenizer reads as the unknown-word
        token when a text writes it (PTB's ``<unk>``: the whitespace tokenizer's ``unk_token``, and the word
        tokenizer's when it fixes markup), else ``None`` (subwords)."""
        if isinstance(self.tokenizer, WhitespaceTokenizer):
            return self.tokenizer.unk_token
        if isinstance(self.tokenizer, WordTokenizer) and self.tokenizer.fix_html:
            return "<unk>"
        return None

    def encode(self, text: str) -> list[int]:
        """Ids of one text, exactly as the training corpus was encoded."""
        if isinstance(self.tokenizer, SubwordTokenizer):
            return self.tokenizer.encode(text)
        return self.vocab.encode(self.tokenizer.tokenize(text))

    def encode_many(self, texts: Sequence[str]) -> torch.Tensor:
        """All texts as one stream of ids (tokenize once, look up once)."""
        return self.encode_texts(texts)[0]

    def encode_texts(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """All texts as one stream of ids and the ``offsets`` where each starts (text ``i`` is
        ``ids[offsets[i]:offsets[i + 1]]``)."""
        if isinstance(self.tokenizer, SubwordTokenizer):
            return self.tokenizer.encode_many(texts)
        return self.vocab.encode_many(self.tokenizer.tokenize_many(texts))

    def decode(self, ids: Sequence[int] | torch.Tensor) -> str:
        """Readable text of ids (special tokens undone as far as possible)."""
        if isinstance(self.tokenizer, SubwordTokenizer):
            return self.tokenizer.decode(ids)
        return self.tokenizer.detokenize(self.vocab.decode(ids))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": "language_model",
            "tokenizer_name": self.tokenizer_name,
            "tokenizer": self.tokenizer.to_dict(),
            "vocab": self.vocab.to_dict(),
        }
        if self.cache is not None:  # written only when tuned, so recipes without it read as before
            data["cache"] = self.cache.to_dict()
        if self.documents:  # written only when true, so older trainwells read the recipe as before
            data["documents"] = True
        if self.text_col is not None:  # likewise: only for a model trained on a table
            data["text_col"] = self.text_col
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LMRecipe:
        try:
            name = data["tokenizer_name"]
            config = data["tokenizer"]
            vocab = Vocab.from_dict(data["vocab"])
        except (KeyError, TypeError) as error:
            raise ArtifactError(
                f"language-model recipe is missing {error}; the artifact is corrupted"
            ) from None
        tokenizer: Tokenizer
        if name == "word":
            tokenizer = WordTokenizer.from_dict(config)
        elif name == "subword":
            tokenizer = SubwordTokenizer.from_dict(config)
        elif name == "whitespace":
            tokenizer = WhitespaceTokenizer.from_dict(config)
        elif name == "char":
            tokenizer = CharTokenizer.from_dict(config)
        else:
            raise ArtifactError(f"unknown tokenizer {name!r} in the language-model recipe")
        cache = CacheSettings.from_dict(data["cache"]) if data.get("cache") is not None else None
        text_col = data.get("text_col")
        return cls(
            name,
            tokenizer,
            vocab,
            cache,
            documents=bool(data.get("documents", False)),
            text_col=text_col if isinstance(text_col, str) else None,
        )


@dataclass(frozen=True)
class CacheSettings:
    """The continuous cache pointer's settings (see :mod:`trainwell.text.cache`): the ``window`` of recent
    states it keeps, how peaked its match is (``theta``) and its weight in the mixture (``lambda_``)."""

    window: int
    theta: float
    lambda_: float

    def to_dict(self) -> dict[str, Any]:
        return {"window": self.window, "theta": self.theta, "lambda": self.lambda_}

    @classmethod
    def from_dict(cls, data: Any) -> CacheSettings:
        try:
            settings = cls(int(data["window"]), float(data["theta"]), float(data["lambda"]))
        except (KeyError, TypeError, ValueError) as error:
            raise ArtifactError(
                f"the language-model recipe's cache settings are malformed ({error!r}); the artifact is corrupted"
            ) from None
        if settings.window < 1 or settings.theta <= 0 or not 0 <= settings.lambda_ < 1:
            raise ArtifactError(
                f"the language-model recipe's cache settings are out of range ({data}); the artifact is corrupted"
            )
        return settings


def closed_vocabulary(texts: Sequence[str], marker: str = "<unk>") -> bool:
    """Whether ``texts`` are tokenized already over a closed vocabulary: their own ``marker`` for the words left
    out stands as a token of its own (at least :data:`CLOSED_VOCABULARY_SHARE` of their whitespace tokens), as in
    the Penn Treebank (``ptb.train.txt``: 9,999 types, ``<unk>`` among them, each line a sentence) and WikiText.

    Such a corpus has made its vocabulary already: every type it keeps is a word of the benchmark's vocabulary,
    and its rare words are ``<unk>`` already, which trains the unknown token. Cutting it again (``min_freq``)
    would move words of the standard vocabulary to the unknown token, and the perplexity would no longer be the
    one published for the corpus.

    Example:
        >>> closed_vocabulary(["the <unk> sat on the mat", "a <unk> ran"]), closed_vocabulary(["a cat sat"])
        (True, False)
    """
    tokens = marked = 0
    for text in texts:
        words = text.split()
        tokens += len(words)
        marked += words.count(marker)
    return marked > 0 and marked >= CLOSED_VOCABULARY_SHARE * tokens


def fit_lm_recipe(
    texts: list[str],
    name: TokenizerName | None,
    min_freq: int | None,
    max_vocab: int | None,
    subword_vocab_size: int,
) -> LMRecipe:
    """The recipe of tokenizer ``name`` fitted on training ``texts``: BPE pieces learnt from them (subword), or
    a vocabulary of their tokens seen ``min_freq`` times, at most ``max_vocab`` (word, whitespace), or of their
    characters (char: every character seen, ``min_freq`` 1 unless given).

    ``None`` chooses by the corpus (:func:`closed_vocabulary`): a corpus tokenized already over a closed
    vocabulary with its own ``<unk>`` (PTB, WikiText) is read with the whitespace tokenizer, every training type
    kept (``min_freq`` 1): PTB's 10,000 words (``<unk>`` as ``xxunk``, the end of each line as ``xxeos``) are
    then its vocabulary, as in the published results. Other text is read with the word tokenizer, words seen
    :data:`DEFAULT_MIN_FREQ` times kept."""
    if name == "char":
        chars = CharTokenizer()
        tokens = chars.tokenize_many(texts)
        return LMRecipe(
            name, chars, Vocab.build(tokens, min_freq=1 if min_freq is None else min_freq, max_size=max_vocab)
        )
    closed = (name is None or min_freq is None) and name != "subword" and closed_vocabulary(texts)
    if name is None:
        name = "whitespace" if closed else "word"
    if min_freq is None:
        min_freq = 1 if closed else DEFAULT_MIN_FREQ
    if name == "subword":
        sub = SubwordTokenizer.train(texts, kind="bpe", vocab_size=subword_vocab_size, drop_empty=True)
        return LMRecipe(name, sub, Vocab(sub.itos()))
    tok: WordTokenizer | WhitespaceTokenizer = (
        WhitespaceTokenizer() if name == "whitespace" else WordTokenizer(add_eos=True)
    )
    vocab = Vocab.build(tok.tokenize_many(texts), min_freq=min_freq, max_size=max_vocab)
    return LMRecipe(name, tok, vocab)
