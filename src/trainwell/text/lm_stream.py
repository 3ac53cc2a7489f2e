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

Here: the loader (:class:`LMStreamLoader`) and the builder (:func:`lm_data`). The recipe lives in
:mod:`~trainwell.text.lm_recipe` and the reading of a corpus in :mod:`~trainwell.text.corpus`; their public names
are importable from here as well.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from trainwell.core.errors import ConfigError, DataError
from trainwell.core.paths import is_table_file
from trainwell.data.bundle import DataBundle
from trainwell.data.task import Task

# Imported "as" themselves: names that lived here before the split, kept importable from this module.
from trainwell.text.corpus import Source as Source
from trainwell.text.corpus import corpus_splits, read_corpus
from trainwell.text.lm_recipe import DEFAULT_MIN_FREQ, TOKENIZERS, LMRecipe, TokenizerName, fit_lm_recipe
from trainwell.text.lm_recipe import CacheSettings as CacheSettings
from trainwell.text.lm_recipe import WhitespaceTokenizer as WhitespaceTokenizer
from trainwell.text.vocab import Vocab

__all__ = [
    "CacheSettings",
    "LMRecipe",
    "LMStreamLoader",
    "WhitespaceTokenizer",
    "lm_data",
    "read_corpus",
]

_SHORT_WINDOW_P = 0.05  # AWD-LSTM: 5% of windows are drawn around bptt / 2
_WINDOW_STD = 5.0


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


#: The column name under which the training texts' sketch is kept (``metadata["training"]["rows_sketch"]``).
SKETCH_COLUMN = "text"


def lm_data(
    source: Source,
    *,
    text_col: str | None = None,
    valid: Source | None = None,
    test: Source | None = None,
    valid_pct: float = 0.1,
    tokenizer: TokenizerName | None = None,
    min_freq: int | None = None,
    max_vocab: int | None = 60_000,
    subword_vocab_size: int = 8000,
    batch_size: int = 64,
    bptt: int = 70,
    seed: int = 0,
    pretrained: str | Path | None = None,
    encoding: str = "utf-8",
    encoding_errors: Literal["strict", "replace"] = "strict",
    names: Sequence[str] | None = None,
) -> DataBundle:
    """A language-model :class:`DataBundle` from raw text.

    Args:
        source: Training text (see :func:`read_corpus` for the accepted forms). A folder laid out as PTB is,
            a train file beside valid and/or test files (``ptb.train.txt``, ``ptb.valid.txt``...; see
            :func:`~trainwell.text.corpus.corpus_splits`), trains on its train file alone, and its valid and test
            files are ``valid`` and ``test`` unless those are given.
        text_col: The text column of a table source (CSV, TSV, Parquet, JSON lines; ``.gz`` too).
        names: The column names of a table without a header row (GoEmotions' TSVs), in order; ``valid`` and
            ``test`` tables are read with them too.
        valid: Explicit validation text (same forms); otherwise ``valid_pct`` of the texts is held out.
        test: Optional test text, encoded with the training vocabulary.
        valid_pct: Share of texts held out when ``valid`` is not given (the stream's tail for one text).
        tokenizer: ``"word"`` (rules with ULMFiT's special tokens), ``"subword"`` (BPE learnt on the training
            text), ``"whitespace"`` (already tokenized corpora such as PTB: split on spaces, ``<unk>`` ->
            ``xxunk``, ``xxeos`` after each line) or ``"char"`` (a character-level model: every character a
            token, spaces and line breaks included, the vocabulary the characters seen; its perplexity is per
            character and generated text is joined with nothing between). ``None`` (the default): whitespace for a corpus tokenized
            already over a closed vocabulary with its own ``<unk>`` (PTB, WikiText:
            :func:`~trainwell.text.lm_recipe.closed_vocabulary`), else word.
        min_freq, max_vocab: Vocabulary limits (word, whitespace and char tokenizers). ``min_freq=None`` (the
            default): 1 for a closed-vocabulary corpus (every type it kept: PTB's 10,000 words) and for
            characters (every one seen), else 2.
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
    if tokenizer is not None and tokenizer not in TOKENIZERS:
        raise ConfigError(f"tokenizer must be one of {', '.join(TOKENIZERS)}; got {tokenizer!r}")
    from trainwell.core.archives import unpacked

    source, valid, test = unpacked(source), unpacked(valid), unpacked(test)  # corpus.tgz: what it holds
    splits = corpus_splits(source)
    if splits is not None:  # PTB's layout: its own training, validation and test files
        source = splits["train"]
        valid = splits.get("valid") if valid is None else valid
        test = splits.get("test") if test is None else test
    texts = read_corpus(
        source, text_col=text_col, encoding=encoding, encoding_errors=encoding_errors, names=names
    )
    # Texts of several lines (the files of a folder): other text files are read whole, as these were.
    documents = any("\n" in text for text in texts)
    reading: dict[str, Any] = {
        "text_col": text_col,
        "encoding": encoding,
        "encoding_errors": encoding_errors,
        "whole_files": documents,
        "names": names,
    }
    train_texts, valid_texts = _held_out(texts, valid, valid_pct, seed, reading)
    recipe, train_ids = _train_recipe(
        train_texts, pretrained, tokenizer, min_freq, max_vocab, subword_vocab_size
    )
    recipe.documents = documents
    table = isinstance(source, str | os.PathLike) and is_table_file(Path(source))
    recipe.text_col = text_col if table else None
    valid_ids = recipe.encode_many(valid_texts) if valid_texts else None
    if valid_ids is None and valid_pct and valid is None:  # one text: hold out the tail of the stream
        train_ids, valid_ids = _split_tail(train_ids, valid_pct, batch_size)
    train = LMStreamLoader(train_ids, batch_size, bptt, variable=True, seed=seed)
    if names is not None and table:  # kept in the model: predict and report read files like it with them
        train.header_names = list(names)  # type: ignore[attr-defined]
    if len(train_texts) >= 2:  # a sketch of the training texts: a report on them can say so
        import pandas as pd

        from trainwell.data.fingerprint import RowSketch

        train.rows_sketch = RowSketch.of(pd.DataFrame({SKETCH_COLUMN: train_texts}), [SKETCH_COLUMN])  # type: ignore[attr-defined]
    valid_loader = _eval_loader(valid_ids, batch_size, bptt, "validation")
    test_ids = recipe.encode_many(read_corpus(test, **reading)) if test is not None else None
    vocab_size = len(recipe.vocab)
    return DataBundle(
        task=Task("language_model", extra={"vocab_size": vocab_size}),
        train=train,
        valid=valid_loader,
        test=_eval_loader(test_ids, batch_size, bptt, "test"),
        recipe=recipe,
        application="text",
        model_hints={"vocab_size": vocab_size, "pad_id": Vocab.pad_id},
    )


def _held_out(
    texts: list[str], valid: Source | None, valid_pct: float, seed: int, reading: dict[str, Any]
) -> tuple[list[str], list[str]]:
    """The training and validation texts: ``valid``'s texts when given (read as ``reading`` says), else
    ``valid_pct`` of the texts drawn at random; none from a single text (its stream's tail is held out)."""
    if valid is not None:
        return texts, read_corpus(valid, **reading)
    if not valid_pct or len(texts) < 2:
        return texts, []
    if not 0.0 < valid_pct < 1.0:
        raise ConfigError(f"valid_pct must be between 0 and 1 (exclusive), got {valid_pct}")
    order = np.random.default_rng(seed).permutation(len(texts))
    n_valid = min(len(texts) - 1, max(1, round(len(texts) * valid_pct)))
    held = set(order[:n_valid].tolist())
    return [text for i, text in enumerate(texts) if i not in held], [
        text for i, text in enumerate(texts) if i in held
    ]


def _train_recipe(
    texts: list[str],
    pretrained: str | Path | None,
    tokenizer: TokenizerName | None,
    min_freq: int | None,
    max_vocab: int | None,
    subword_vocab_size: int,
) -> tuple[LMRecipe, torch.Tensor]:
    """The recipe fitted on the training ``texts`` (or a starting model's, its vocabulary extended with their
    words), and the texts as one stream of its ids."""
    if pretrained is None:
        recipe = fit_lm_recipe(texts, tokenizer, min_freq, max_vocab, subword_vocab_size)
        return recipe, recipe.encode_many(texts)
    from trainwell.text.lm_transfer import extended_recipe, lm_recipe

    base = lm_recipe(pretrained)
    tokens = [] if base.tokenizer_name == "subword" else base.tokenizer.tokenize_many(texts)
    recipe = extended_recipe(base, tokens, DEFAULT_MIN_FREQ if min_freq is None else min_freq, max_vocab)
    return recipe, recipe.vocab.encode_many(tokens)[0] if tokens else recipe.encode_many(texts)


def _split_tail(ids: torch.Tensor, valid_pct: float, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A single text's stream cut in two: the training ids, and the last ``valid_pct`` of them to validate on."""
    cut = len(ids) - max(2 * batch_size + 1, round(len(ids) * valid_pct))
    if cut < 2 * batch_size + 1:
        raise DataError(
            f"the corpus has only {len(ids)} tokens: too few to split off validation with "
            f"batch size {batch_size}; pass more text, a smaller batch size (--batch-size; Python: batch_size=) or "
            "valid_pct=0"
        )
    return ids[:cut], ids[cut:]


def _eval_loader(ids: torch.Tensor | None, batch_size: int, bptt: int, name: str) -> LMStreamLoader | None:
    if ids is None:
        return None
    # Evaluation text can be short: shrink the rows rather than refuse (the perplexity is the same).
    rows = max(1, min(batch_size, (len(ids) - 1) // 2))
    if len(ids) < 3:
        raise DataError(f"the {name} text has {len(ids)} tokens; it needs at least 3")
    return LMStreamLoader(ids, rows, bptt)
