"""Language-model data: a corpus as one stream of ids, cut into rows, read in BPTT windows.

A language model predicts each next token, so a batch is ``x`` = a window of the stream and ``y`` = the same
window shifted by one token. The corpus (every text, one after the other) is laid out as ``batch_size`` long
rows (row ``r`` holds tokens ``r * n`` to ``(r + 1) * n``); the batches walk along the rows window by window, so
row ``r`` of batch ``i + 1`` continues row ``r`` of batch ``i`` exactly and a recurrent model can carry its hidden
state from one batch to the next ("truncated back-propagation through time", BPTT).

Training windows have variable length, as in AWD-LSTM (Merity et al. 2017): a length is drawn from
``N(bptt, 5)`` with probability 0.95 and from ``N(bptt / 2, 5)`` otherwise, so the cut points move from epoch to
epoch and every token is, over time, predicted from a long context. The lengths are a pure function of
``(seed, epoch)``: a run resumed mid-epoch sees exactly the same windows. The number of windows per epoch is
fixed (the drawn lengths are rescaled to cover the rows exactly), so schedules know the length of a fit in
advance. Validation and test use fixed windows of ``bptt`` tokens.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from trainwell.core.errors import ArtifactError, ConfigError, DataError
from trainwell.core.warn import warn
from trainwell.data.bundle import DataBundle
from trainwell.data.io import read_text_file
from trainwell.data.task import Task
from trainwell.text.subword import SubwordTokenizer
from trainwell.text.tokenize import EOS, UNK, WordTokenizer, read_text_files, validate_texts
from trainwell.text.vocab import Vocab

__all__ = [
    "CacheSettings",
    "LMRecipe",
    "LMStreamLoader",
    "WhitespaceTokenizer",
    "lm_data",
    "read_corpus",
]

TokenizerName = Literal["word", "subword", "whitespace"]
_TOKENIZERS = ("word", "subword", "whitespace")
_SHORT_WINDOW_P = 0.05  # AWD-LSTM: 5% of windows are drawn around bptt / 2
_WINDOW_STD = 5.0


# ------------------------------------------------------------------------------------------ tokenizer
@dataclass(frozen=True)
class WhitespaceTokenizer:
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

    __call__ = tokenize

    def tokenize_many(
        self, texts: Sequence[object], *, n_workers: int | None = 1, drop_empty: bool = False
    ) -> list[list[str]]:
        kept, _ = validate_texts(texts, drop_empty=drop_empty)
        return [self.tokenize(text) for text in kept]

    def detokenize(self, tokens: Sequence[str]) -> str:
        words = ["\n" if token == EOS else token for token in tokens]
        return " ".join(words).replace(" \n ", "\n").strip()

    def to_dict(self) -> dict[str, Any]:
        return {"lower": self.lower, "unk_token": self.unk_token, "add_eos": self.add_eos}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WhitespaceTokenizer:
        unknown = sorted(set(data) - {"lower", "unk_token", "add_eos"})
        if unknown:
            raise ArtifactError(f"unknown whitespace tokenizer settings {unknown}; the artifact is corrupted")
        return cls(**data)


# ------------------------------------------------------------------------------------------ recipe
class LMRecipe:
    """The fitted text preprocessing of a language model: tokenizer settings and vocabulary (plain JSON).

    Attributes:
        tokenizer_name: ``"word"``, ``"subword"`` or ``"whitespace"``.
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
        tokenizer: WordTokenizer | SubwordTokenizer | WhitespaceTokenizer,
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
        tokenizer: WordTokenizer | SubwordTokenizer | WhitespaceTokenizer
        if name == "word":
            tokenizer = WordTokenizer.from_dict(config)
        elif name == "subword":
            tokenizer = SubwordTokenizer.from_dict(config)
        elif name == "whitespace":
            tokenizer = WhitespaceTokenizer.from_dict(config)
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


# ------------------------------------------------------------------------------------------ loader
class LMStreamLoader:
    """Batches ``(x, y)`` of shape ``(batch_size, T)`` read along ``batch_size`` rows of one token stream.

    Follows the :class:`~trainwell.data.loader.TensorLoader` contract (``__len__``, ``set_epoch``,
    ``iter_from``, ``n_rows``, ``to``) so the Learner and checkpoints treat it alike.

    In a distributed job (``rank``/``world_size``, set by :func:`~trainwell.distributed.distribute`) the stream
    is laid out in ``batch_size × world_size`` rows and each process reads its own ``batch_size`` of them, so
    two processes of batch 32 read step for step what one process of batch 64 reads. Every process has as many
    windows of the same lengths, so they take the same number of steps.

    Args:
        ids: The whole stream, 1-d int64.
        batch_size: Rows read side by side (by each process).
        bptt: Window length (the mean length when ``variable``).
        variable: Draw window lengths per epoch as in AWD-LSTM (training); fixed ``bptt`` otherwise.
        seed: Window lengths of epoch ``e`` come from a generator seeded with ``seed + e``.
        rank, world_size: Which share of the rows this process reads.
    """

    shuffle = False  # evaluation helpers read the stream as it is

    def __init__(
        self,
        ids: torch.Tensor,
        batch_size: int = 64,
        bptt: int = 70,
        *,
        variable: bool = False,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ConfigError(f"batch_size must be a whole number >= 1; got {batch_size!r}")
        if isinstance(bptt, bool) or not isinstance(bptt, int) or bptt < 2:
            raise ConfigError(f"bptt must be a whole number >= 2; got {bptt!r}")
        self.ids = torch.as_tensor(ids, dtype=torch.long).reshape(-1)
        self.batch_size = batch_size
        self.bptt = bptt
        self.variable = variable
        self.seed = int(seed)
        self.epoch = 0
        self._rank = int(rank)
        self._world_size = 1
        self.world_size = world_size  # lays the rows out (and checks the stream is long enough)

    @property
    def rank(self) -> int:
        return self._rank

    @rank.setter
    def rank(self, rank: int) -> None:
        # Checked against world_size when that is set: distribute() sets rank first, then world_size.
        self._rank = int(rank)
        if self._rank < self._world_size:
            self._lay_out()

    @property
    def world_size(self) -> int:
        return self._world_size

    @world_size.setter
    def world_size(self, world_size: int) -> None:
        world_size = int(world_size)
        if world_size < 1 or not 0 <= self._rank < world_size:
            raise ConfigError(f"rank must be in [0, world_size); got rank {self._rank} of {world_size}")
        self._world_size = world_size
        self._lay_out()

    def _lay_out(self) -> None:
        n_rows = self.batch_size * self._world_size
        row_length = (len(self.ids) - 1) // n_rows
        if row_length < 2:
            shared = (
                f" ({self.batch_size} per process × {self._world_size} processes)"
                if self._world_size > 1
                else ""
            )
            raise DataError(
                f"the token stream has {len(self.ids)} tokens, too few for {n_rows} rows{shared} of at least 2 "
                "tokens; pass more text or a smaller batch size (--batch-size; Python: batch_size=)"
            )
        self.row_length = row_length
        used = row_length * n_rows
        mine = slice(self._rank * self.batch_size, (self._rank + 1) * self.batch_size)
        self.x = self.ids[:used].view(n_rows, row_length)[mine]  # views of one tensor: no copy
        self.y = self.ids[1 : used + 1].view(n_rows, row_length)[mine]
        self._n_windows = math.ceil(row_length / self.bptt)

    @property
    def n_rows(self) -> int:
        """Tokens this process predicts per epoch (every position of each of its rows)."""
        return self.row_length * self.batch_size

    @property
    def n_tokens(self) -> int:
        return self.n_rows

    @property
    def device(self) -> torch.device:
        return self.ids.device

    def __len__(self) -> int:
        return self._n_windows

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def window_bounds(self, epoch: int | None = None) -> list[tuple[int, int]]:
        """``(start, end)`` column ranges of the windows of ``epoch`` (default: the current one)."""
        epoch = self.epoch if epoch is None else int(epoch)
        n, count = self.row_length, self._n_windows
        if not self.variable or count == 1:
            return [(start, min(start + self.bptt, n)) for start in range(0, n, self.bptt)]
        generator = np.random.default_rng([self.seed, epoch])
        means = np.where(generator.random(count) < 1 - _SHORT_WINDOW_P, self.bptt, self.bptt / 2)
        lengths = np.maximum(generator.normal(means, _WINDOW_STD), 2.0)
        # Rescale so the windows cover the row exactly: the count (and so the schedule) stays fixed.
        edges = np.round(np.concatenate([[0.0], np.cumsum(lengths)]) * (n / lengths.sum())).astype(np.int64)
        edges[-1] = n
        edges = np.maximum.accumulate(edges)
        return [(int(a), int(b)) for a, b in itertools.pairwise(edges) if b > a]

    def iter_from(self, start_batch: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Windows of the current epoch from ``start_batch`` on (used to resume mid-epoch)."""
        for start, end in self.window_bounds()[start_batch:]:
            yield self.x[:, start:end], self.y[:, start:end]

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        return self.iter_from(0)

    def to(self, device: torch.device | str) -> LMStreamLoader:
        """The same loader with the stream moved to ``device`` once."""
        device = torch.device(device)
        if self.device == device:
            return self
        return self.with_ids(self.ids.to(device))

    def with_ids(self, ids: torch.Tensor) -> LMStreamLoader:
        clone = LMStreamLoader(
            ids,
            self.batch_size,
            self.bptt,
            variable=self.variable,
            seed=self.seed,
            rank=self.rank,
            world_size=self.world_size,
        )
        clone.epoch = self.epoch
        return clone

    def new(self, *, batch_size: int | None = None, bptt: int | None = None, **_: Any) -> LMStreamLoader:
        """A fixed-window loader over the whole stream, e.g. ``new(batch_size=1)`` for the cache pointer."""
        return LMStreamLoader(self.ids, batch_size or self.batch_size, bptt or self.bptt, seed=self.seed)

    def __repr__(self) -> str:
        kind = "variable" if self.variable else "fixed"
        share = f", rank {self.rank} of {self.world_size}" if self.world_size > 1 else ""
        return f"LMStreamLoader({len(self.ids)} tokens, batch_size={self.batch_size}, bptt={self.bptt} {kind}{share})"


# ------------------------------------------------------------------------------------------ sources
Source = str | os.PathLike[str] | Sequence[str]


def read_corpus(
    source: Source,
    *,
    text_col: str | None = None,
    encoding: str = "utf-8",
    encoding_errors: Literal["strict", "replace"] = "strict",
    whole_files: bool = False,
) -> list[str]:
    """The texts of ``source``: a folder of ``.txt`` files (one text each), a ``.txt``/``.txt.gz`` file (one
    text per non-blank line, as in PTB; the whole file as one text with ``whole_files``, as a model trained on
    a folder of files reads text: :attr:`LMRecipe.documents`), a CSV/TSV with a ``text_col`` column, or a list
    of texts.

    ``encoding`` is that of the files (``"cp1252"`` for text saved by Windows tools); never guessed.
    ``encoding_errors="replace"`` reads bytes not in ``encoding`` as U+FFFD instead of stopping (``"strict"``).

    Raises:
        DataError: The source is missing, empty, not ``encoding`` text (the file and line are named), or the
            column is absent.
        ConfigError: ``encoding`` is not a text encoding Python knows.
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            return _folder_texts(path, encoding, encoding_errors)
        if not path.is_file():
            raise DataError(
                f"text source {path} does not exist; pass a folder of .txt files, a file or texts"
            )
        if path.suffix.lower() in (".csv", ".tsv"):
            return _read_table_texts(path, text_col, encoding, encoding_errors)
        content = read_text_file(path, encoding=encoding, encoding_errors=encoding_errors)
        if whole_files:
            if not content.strip():
                raise DataError(f"{path} holds no text; pass a non-empty corpus")
            return [content]
        lines = [line for line in content.splitlines() if line.strip()]
        if not lines:
            raise DataError(f"{path} holds no text; pass a non-empty corpus")
        return lines
    if isinstance(source, bytes):
        raise DataError("text source is bytes; decode it to str first or pass a file path")
    texts, _ = validate_texts(source, name="texts", drop_empty=True)
    return texts


def _folder_texts(folder: Path, encoding: str, encoding_errors: Literal["strict", "replace"]) -> list[str]:
    """The texts of a folder's ``.txt`` files, one each; empty files (nothing but white space) are left out
    with a warning that names them, as blank lines are in a text file, and a folder of only those stops."""
    files = read_text_files(folder, encoding=encoding, encoding_errors=encoding_errors)
    empty = [path for path, text in files.items() if not text.strip()]
    if len(empty) == len(files):
        raise DataError(
            f"text folder {folder}: its {len(files)} .txt file(s) are all empty; pass a folder holding some text"
        )
    if empty:
        shown = ", ".join(str(path.relative_to(folder)) for path in empty[:5])
        more = f" and {len(empty) - 5} more" if len(empty) > 5 else ""
        warn(
            f"skipped {len(empty)} empty .txt file(s) of {len(files)} in {folder}: {shown}{more}",
            UserWarning,
        )
    return [text for text in files.values() if text.strip()]


def _read_table_texts(path: Path, text_col: str | None, encoding: str, encoding_errors: str) -> list[str]:
    import pandas as pd

    from trainwell.data.io import check_encoding, undecodable_error

    check_encoding(encoding)
    try:
        frame = pd.read_csv(
            path,
            sep="\t" if path.suffix.lower() == ".tsv" else ",",
            dtype=str,
            encoding=encoding,
            encoding_errors=encoding_errors,
        )
    except UnicodeDecodeError as error:
        raise undecodable_error(path, encoding, error) from None
    if text_col is None:
        raise DataError(
            f"{path} is a table; name its text column with --text (Python: text_col=); columns are: "
            f"{', '.join(map(str, list(frame.columns)[:20]))}"
        )
    if text_col not in frame.columns:
        raise DataError(
            f"text column {text_col!r} not found in {path}; columns are: {', '.join(map(str, frame.columns))}"
        )
    texts, _ = validate_texts(frame[text_col].fillna("").tolist(), name=f"{path}:{text_col}", drop_empty=True)
    return texts


# ------------------------------------------------------------------------------------------ builder
#: The column name under which the training texts' sketch is kept (``metadata["training"]["rows_sketch"]``).
SKETCH_COLUMN = "text"


def lm_data(
    source: Source,
    *,
    text_col: str | None = None,
    valid: Source | None = None,
    test: Source | None = None,
    valid_pct: float = 0.1,
    tokenizer: TokenizerName = "word",
    min_freq: int = 2,
    max_vocab: int | None = 60_000,
    subword_vocab_size: int = 8000,
    batch_size: int = 64,
    bptt: int = 70,
    seed: int = 0,
    pretrained: str | Path | None = None,
    encoding: str = "utf-8",
    encoding_errors: Literal["strict", "replace"] = "strict",
) -> DataBundle:
    """A language-model :class:`DataBundle` from raw text.

    Args:
        source: Training text (see :func:`read_corpus` for the accepted forms).
        text_col: The text column of a CSV/TSV source.
        valid: Explicit validation text (same forms); otherwise ``valid_pct`` of the texts is held out.
        test: Optional test text, encoded with the training vocabulary.
        valid_pct: Share of texts held out when ``valid`` is not given (the stream's tail for one text).
        tokenizer: ``"word"`` (rules with ULMFiT's special tokens), ``"subword"`` (BPE learnt on the training
            text) or ``"whitespace"`` (already tokenized corpora such as PTB: split on spaces, ``<unk>`` ->
            ``xxunk``, ``xxeos`` after each line).
        min_freq, max_vocab: Vocabulary limits (word and whitespace tokenizers).
        subword_vocab_size: Pieces learnt by the subword tokenizer.
        batch_size: Rows read side by side, in training and in validation (at most that many for short
            validation and test text). Each row starts from a zeroed hidden state, so a perplexity read in rows
            is a little above one read as a single row (``loader.new(batch_size=1)``, the cache pointer's and
            ``score``'s reading).
        bptt: Mean training window and the validation window.
        seed: Split and window lengths.
        encoding: Text encoding of the source's files (a CSV/TSV, a text file, a folder's ``.txt`` files) and
            of ``valid`` / ``test``, e.g. ``"cp1252"``; never guessed.
        encoding_errors: ``"replace"`` reads bytes not in ``encoding`` as U+FFFD instead of stopping
            (``"strict"``), as ``--encoding-errors`` does.
        pretrained: A language-model directory to fine-tune (ULMFiT's target-corpus step): its tokenizer is
            used and its vocabulary kept, extended with this corpus's words seen ``min_freq`` times (up to
            ``max_vocab`` in all); ``tokenizer`` and ``subword_vocab_size`` are then ignored. Build the learner
            with ``language_model_learner(data, pretrained=...)``, the same directory.

    Example:
        >>> data = lm_data(["the cat sat on the mat"] * 50, batch_size=4, bptt=8, min_freq=1)
        >>> x, y = next(iter(data.train)); x.shape[0], bool((x[:, 1:] == y[:, :-1]).all())
        (4, True)
    """
    if tokenizer not in _TOKENIZERS:
        raise ConfigError(f"tokenizer must be one of {', '.join(_TOKENIZERS)}; got {tokenizer!r}")
    texts = read_corpus(source, text_col=text_col, encoding=encoding, encoding_errors=encoding_errors)
    # Texts of several lines (the files of a folder): other text files are read whole, as these were.
    documents = any("\n" in text for text in texts)
    if valid is not None:
        train_texts, valid_texts = (
            texts,
            read_corpus(
                valid,
                text_col=text_col,
                encoding=encoding,
                encoding_errors=encoding_errors,
                whole_files=documents,
            ),
        )
    elif valid_pct and len(texts) >= 2:
        if not 0.0 < valid_pct < 1.0:
            raise ConfigError(f"valid_pct must be between 0 and 1 (exclusive), got {valid_pct}")
        order = np.random.default_rng(seed).permutation(len(texts))
        n_valid = min(len(texts) - 1, max(1, round(len(texts) * valid_pct)))
        held = set(order[:n_valid].tolist())
        train_texts = [text for i, text in enumerate(texts) if i not in held]
        valid_texts = [text for i, text in enumerate(texts) if i in held]
    else:
        train_texts, valid_texts = texts, []
    if pretrained is not None:
        from trainwell.text.lm_transfer import extended_recipe, lm_recipe

        base = lm_recipe(pretrained)
        tokens = [] if base.tokenizer_name == "subword" else base.tokenizer.tokenize_many(train_texts)
        recipe = extended_recipe(base, tokens, min_freq, max_vocab)
        train_ids = recipe.vocab.encode_many(tokens)[0] if tokens else recipe.encode_many(train_texts)
    else:
        recipe = _fit_recipe(train_texts, tokenizer, min_freq, max_vocab, subword_vocab_size)
        train_ids = recipe.encode_many(train_texts)
    recipe.documents = documents
    table = isinstance(source, str | os.PathLike) and Path(source).suffix.lower() in (".csv", ".tsv")
    recipe.text_col = text_col if table else None
    valid_ids = recipe.encode_many(valid_texts) if valid_texts else None
    if valid_ids is None and valid_pct and valid is None:  # one text: hold out the tail of the stream
        cut = len(train_ids) - max(2 * batch_size + 1, round(len(train_ids) * valid_pct))
        if cut < 2 * batch_size + 1:
            raise DataError(
                f"the corpus has only {len(train_ids)} tokens: too few to split off validation with "
                f"batch size {batch_size}; pass more text, a smaller batch size (--batch-size; Python: batch_size=) or "
                "valid_pct=0"
            )
        train_ids, valid_ids = train_ids[:cut], train_ids[cut:]
    train = LMStreamLoader(train_ids, batch_size, bptt, variable=True, seed=seed)
    if len(train_texts) >= 2:  # a sketch of the training texts: a report on them can say so
        import pandas as pd

        from trainwell.data.fingerprint import RowSketch

        train.rows_sketch = RowSketch.of(pd.DataFrame({SKETCH_COLUMN: train_texts}), [SKETCH_COLUMN])  # type: ignore[attr-defined]
    valid_loader = _eval_loader(valid_ids, batch_size, bptt, "validation")
    test_loader = None
    if test is not None:
        test_texts = read_corpus(
            test, text_col=text_col, encoding=encoding, encoding_errors=encoding_errors, whole_files=documents
        )
        test_ids = recipe.encode_many(test_texts)
        test_loader = _eval_loader(test_ids, batch_size, bptt, "test")
    vocab_size = len(recipe.vocab)
    return DataBundle(
        task=Task("language_model", extra={"vocab_size": vocab_size}),
        train=train,
        valid=valid_loader,
        test=test_loader,
        recipe=recipe,
        application="text",
        model_hints={"vocab_size": vocab_size, "pad_id": Vocab.pad_id},
    )


def _eval_loader(ids: torch.Tensor | None, batch_size: int, bptt: int, name: str) -> LMStreamLoader | None:
    if ids is None:
        return None
    # Evaluation text can be short: shrink the rows rather than refuse (the perplexity is the same).
    rows = max(1, min(batch_size, (len(ids) - 1) // 2))
    if len(ids) < 3:
        raise DataError(f"the {name} text has {len(ids)} tokens; it needs at least 3")
    return LMStreamLoader(ids, rows, bptt)


def _fit_recipe(
    texts: list[str], name: TokenizerName, min_freq: int, max_vocab: int | None, subword_vocab_size: int
) -> LMRecipe:
    if name == "subword":
        sub = SubwordTokenizer.train(texts, kind="bpe", vocab_size=subword_vocab_size, drop_empty=True)
        return LMRecipe(name, sub, Vocab(sub.itos()))
    tok: WordTokenizer | WhitespaceTokenizer = (
        WhitespaceTokenizer() if name == "whitespace" else WordTokenizer(add_eos=True)
    )
    vocab = Vocab.build(tok.tokenize_many(texts), min_freq=min_freq, max_size=max_vocab)
    return LMRecipe(name, tok, vocab)
