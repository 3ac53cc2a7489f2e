"""Build a DataBundle of texts for classification: from a CSV/TSV/Parquet file or a DataFrame.

Texts are tokenised once, here; the vocabulary is fitted on the training rows only (validation and test words
it never saw become ``xxunk``, as they will in production). Every split is stored as one flat ``int64`` array of
ids with offsets; a batch is cut out of it with a few numpy gathers (no per-text tensors, no collation):

- ``bag`` batches (``(ids, offsets, target)``, for :class:`~trainwell.text.models.NgramBag`): each text's
  token ids plus its hashed n-gram ids, ready for ``nn.EmbeddingBag``: no padding at all;
- ``padded`` batches (``(tokens (B, T), target)``, for sequence models): texts of similar length are put in the
  same batch by :func:`bucketed_order`, so padding wastes little compute.

Batch order is a pure function of ``(seed, epoch)``, so a run resumed mid-epoch sees the same batches.
"""

from __future__ import annotations

import codecs
import math
import numbers
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch

from trainwell.core.errors import ConfigError, DataError
from trainwell.core.warn import warn
from trainwell.data.bundle import DataBundle, keep_classes_in_train, mask_split, random_split
from trainwell.data.fingerprint import RowSketch
from trainwell.data.task import Task, infer_task, warn_unknown_labels
from trainwell.text._folders import read_text_folder
from trainwell.text.recipe import BATCH_FORMATS, TextRecipe, bag_batch, lengths_of, padded_batch
from trainwell.text.subword import SubwordTokenizer
from trainwell.text.tokenize import WordTokenizer, validate_texts
from trainwell.text.vocab import Vocab

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "TextDataBundle",
    "TextLoader",
    "bucketed_order",
    "epoch_batches",
    "read_text_folder",
    "read_text_table",
    "text_data",
]

#: Batches of a bucket pool: texts are sorted by length inside pools of this many batches.
POOL_BATCHES = 50
#: Longest n-gram of a bag by default: trigrams (on IMDB about half a point of accuracy over bigrams at the
#: same speed) ...
DEFAULT_NGRAMS = 3
#: ... but tokens alone for multi-label targets, whose labels each have few positives to fit hashed n-grams
#: from (GoEmotions, 28 labels, test macro ROC AUC / F1 at per-label thresholds, benchmarks/text_classify.py:
#: 2,400 training texts, n-grams 3 -> 0.717 / 0.224, 1 -> 0.779 / 0.280; 43,410 texts, 10 epochs, 3 -> 0.863 /
#: 0.424, 1 -> 0.894 / 0.448; a TF-IDF uni+bigram logistic regression 0.776 / 0.273 and 0.882 / 0.441).
MULTILABEL_NGRAMS = 1


# ------------------------------------------------------------------------------------------ batch order
def bucketed_order(
    lengths: np.ndarray | Sequence[int],
    batch_size: int,
    seed: int,
    epoch: int = 0,
    *,
    drop_last: bool = False,
) -> list[np.ndarray]:
    """Row indices of each batch: shuffled, with texts of similar length batched together ("sort-ish").

    The rows are shuffled, cut into pools of :data:`POOL_BATCHES` batches, sorted by length inside each pool and
    cut into batches; the batches are then shuffled. Padding to a batch's longest text then costs little, and
    the order still changes every epoch. A pure function of ``(seed, epoch)``.
    """
    lengths = np.asarray(lengths)
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(lengths))
    pool = batch_size * POOL_BATCHES
    batches: list[np.ndarray] = []
    for start in range(0, len(order), pool):
        chunk = order[start : start + pool]
        chunk = chunk[np.argsort(-lengths[chunk], kind="stable")]
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    if drop_last and len(batches) > 1:
        batches = [batch for batch in batches if len(batch) == batch_size] or batches
    return [batches[i] for i in rng.permutation(len(batches))]


def epoch_batches(loader: Any, lengths: np.ndarray) -> list[np.ndarray]:
    """The row indices of every batch of ``loader``'s current epoch: bucketed by ``lengths`` or in a plain
    (shuffled) order, and in a distributed job this process's share (every ``world_size``-th batch).

    ``loader`` supplies ``batch_size``, ``shuffle``, ``bucket``, ``drop_last``, ``seed``, ``epoch``, ``rank``,
    ``world_size`` and ``even`` (pad the list by wrapping so every process takes as many steps)."""
    n, size = len(lengths), loader.batch_size
    if loader.shuffle and loader.bucket:
        every = bucketed_order(lengths, size, loader.seed, loader.epoch, drop_last=loader.drop_last)
    else:
        order = (
            np.random.default_rng([loader.seed, loader.epoch]).permutation(n)
            if loader.shuffle
            else np.arange(n)
        )
        stop = n - n % size if loader.drop_last and n > size else n
        every = [order[start : start + size] for start in range(0, stop, size)]
    if loader.world_size == 1:
        return every
    if loader.even and len(every) % loader.world_size:
        missing = loader.world_size - len(every) % loader.world_size
        every = every + [every[i % len(every)] for i in range(missing)]
    return every[loader.rank :: loader.world_size]


class EpochBatches:
    """What the text loaders share: an epoch's batches are :meth:`batches` (row indices, a pure function of the
    seed and the epoch), each built by :meth:`batch`; :meth:`new` copies the loader with some settings changed.
    """

    epoch: int
    device: torch.device

    def batches(self) -> list[np.ndarray]:
        raise NotImplementedError

    def batch(self, rows: np.ndarray) -> tuple[torch.Tensor, ...]:
        raise NotImplementedError

    def new(
        self,
        *,
        batch_size: int | None = None,
        shuffle: bool | None = None,
        drop_last: bool | None = None,
        whole: bool = False,
    ) -> Any:
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self.batches())

    def set_epoch(self, epoch: int) -> None:
        """Choose the order of the next pass (the Learner calls this before each epoch)."""
        self.epoch = int(epoch)

    def iter_from(self, start_batch: int = 0) -> Iterator[tuple[torch.Tensor, ...]]:
        """Batches of the current epoch, skipping the first ``start_batch`` (to resume mid-epoch)."""
        for rows in self.batches()[start_batch:]:
            yield self.batch(rows)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        return self.iter_from(0)

    def _same_share(self, clone: Any, whole: bool) -> Any:
        """``clone`` reading this loader's share of a distributed job, or (``whole``) every batch."""
        if not whole:
            clone.rank, clone.world_size, clone.even = self.rank, self.world_size, self.even  # type: ignore[attr-defined]
        return clone

    def to(self, device: torch.device | str) -> Any:
        """The same loader handing out batches on ``device``."""
        clone = self.new()
        clone.device = torch.device(device)
        clone.epoch = self.epoch
        return clone


class TextLoader(EpochBatches):
    """Batches of tokenised texts with their targets (see the module docstring for the two formats).

    Args:
        ids, offsets: every text's ids, flat (text ``i`` is ``ids[offsets[i]:offsets[i + 1]]``).
        targets: the encoded targets, one row per text.
        batch_size: texts per batch.
        batch_format: ``"bag"`` or ``"padded"``.
        shuffle: a new order each epoch (training); natural order otherwise (predictions line up with rows).
        drop_last: drop a smaller last batch.
        seed: the order of epoch ``e`` is a pure function of ``(seed, e)``.
        pad_id: the padding id (padded format).
        bucket: batch texts of similar length (default: on for the padded format when shuffling).

    In a distributed job (``rank``/``world_size`` set by :func:`trainwell.distributed.distribute`), every
    process draws the same batches of an epoch and reads every ``world_size``-th one from its ``rank``; with
    ``even`` (training) the list is first padded by wrapping so all processes take as many steps.
    """

    def __init__(
        self,
        ids: np.ndarray,
        offsets: np.ndarray,
        targets: torch.Tensor,
        batch_size: int = 64,
        *,
        batch_format: str = "bag",
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int = 0,
        pad_id: int = Vocab.pad_id,
        bucket: bool | None = None,
        device: torch.device | str = "cpu",
    ) -> None:
        if batch_format not in BATCH_FORMATS:
            raise ConfigError(f"batch_format must be one of {', '.join(BATCH_FORMATS)}; got {batch_format!r}")
        if batch_size < 1:
            raise ConfigError(f"batch_size must be a positive whole number, got {batch_size}")
        if len(offsets) - 1 != len(targets):
            raise DataError(f"{len(offsets) - 1} texts but {len(targets)} targets; give one target per text")
        if len(targets) == 0:
            raise DataError("cannot build a loader over 0 texts")
        self.ids = np.ascontiguousarray(ids, dtype=np.int64)
        self.offsets = np.ascontiguousarray(offsets, dtype=np.int64)
        self.targets = targets
        self.batch_size = int(batch_size)
        self.batch_format = batch_format
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = int(seed)
        self.pad_id = pad_id
        self.bucket = (batch_format == "padded") if bucket is None else bucket
        self.device = torch.device(device)
        self.epoch = 0
        self.rank, self.world_size, self.even = 0, 1, True

    @property
    def n_rows(self) -> int:
        return len(self.targets)

    @property
    def lengths(self) -> np.ndarray:
        return lengths_of(self.offsets)

    def batches(self) -> list[np.ndarray]:
        """The row indices of every batch of the current epoch (this process's share in a distributed job)."""
        return epoch_batches(self, self.lengths)

    def batch(self, rows: np.ndarray) -> tuple[torch.Tensor, ...]:
        """The model inputs and targets of texts ``rows``."""
        target = self.targets[torch.from_numpy(rows)]
        if self.batch_format == "bag":
            inputs: tuple[torch.Tensor, ...] = bag_batch(self.ids, self.offsets, rows)
        else:
            inputs = (padded_batch(self.ids, self.offsets, rows, self.pad_id),)
        return tuple(t.to(self.device) for t in (*inputs, target))

    def new(
        self,
        *,
        batch_size: int | None = None,
        shuffle: bool | None = None,
        drop_last: bool | None = None,
        whole: bool = False,
    ) -> TextLoader:
        """A loader over the same texts with some settings changed (e.g. an ordered pass for predictions);
        ``whole=True`` reads every text in this process, whatever share this loader reads."""
        clone = TextLoader(
            self.ids,
            self.offsets,
            self.targets,
            batch_size or self.batch_size,
            batch_format=self.batch_format,
            shuffle=self.shuffle if shuffle is None else shuffle,
            drop_last=self.drop_last if drop_last is None else drop_last,
            seed=self.seed,
            pad_id=self.pad_id,
            bucket=self.bucket,
            device=self.device,
        )
        return self._same_share(clone, whole)


@dataclass(repr=False)
class TextDataBundle(DataBundle):
    """A DataBundle of texts; ``texts`` keeps each split's raw texts (for inspecting errors)."""

    texts: dict[str, list[str]] | None = None

    def show_batch(self, n: int = 8, split: str = "train") -> pd.DataFrame:
        """The first ``n`` texts of ``split`` (``"train"``, ``"valid"`` or ``"test"``) as the model reads them,
        beside their labels: the tokens joined by spaces, with the case and repetition marks (``xxmaj``...),
        the words the vocabulary lacks as ``xxunk`` (or the subword pieces), cut at ``max_len`` (a bag's
        hashed n-grams are left out).
        """
        import pandas as pd

        loader = {"train": self.train, "valid": self.valid, "test": self.test}.get(split)
        texts = (self.texts or {}).get(split)
        if loader is None or texts is None:
            raise ConfigError(
                f"show_batch: this data has no {split!r} split; it has {', '.join(self.texts or {})}"
            )
        recipe: Any = self.recipe
        tokenizer = recipe.text_tokenizer
        chosen = texts[:n]
        if isinstance(tokenizer, WordTokenizer):
            ids, itos = [recipe.word_vocab.encode(tokenizer.tokenize(text)) for text in chosen], recipe.vocab
        else:
            ids, itos = [tokenizer.encode(text) for text in chosen], tokenizer.itos()
        cut = recipe.max_len or None
        tokens = [" ".join(itos[i] for i in text_ids[:cut]) for text_ids in ids]
        labels = [_label_text(self.task, target) for target in loader.targets[: len(chosen)]]  # type: ignore[attr-defined]
        names = self.task.target_names
        return pd.DataFrame({"tokens": tokens, names[0] if len(names) == 1 else "labels": labels})


# ------------------------------------------------------------------------------------------ reading
def read_text_table(
    source: str | Path | pd.DataFrame,
    what: str = "the data",
    *,
    encoding: str = "utf-8",
    encoding_errors: Literal["strict", "replace"] = "strict",
) -> pd.DataFrame:
    """A CSV, TSV (``.tsv``, ``.tsv.gz``), Parquet or JSON-lines file, or a DataFrame as is.

    Text columns are read as strings exactly (no whitespace stripping, no ``"NA"`` -> missing: a review may
    well say "NA"). ``encoding`` is that of CSV, TSV and JSON-lines files (``"cp1252"`` for Excel on
    Windows); a file not in it fails with the line of its first bad byte, unless ``encoding_errors="replace"``
    reads such bytes as U+FFFD.
    """
    import pandas as pd

    from trainwell.data.io import check_encoding, check_encoding_errors, undecodable_error

    if isinstance(source, pd.DataFrame):
        if len(source) == 0:
            raise DataError(f"{what} has no rows")
        return source.reset_index(drop=True)
    check_encoding(encoding)
    check_encoding_errors(encoding_errors)
    path = Path(source)
    if not path.is_file():
        raise DataError(f"data file '{path}' not found; check the path")
    name = path.name.lower()
    try:
        if name.endswith((".parquet", ".pq")):
            frame = pd.read_parquet(path)
        elif name.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
            # utf-8-sig: pandas' JSON reader does not skip a UTF-8 byte-order mark by itself.
            json_encoding = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
            frame = pd.read_json(path, lines=True, encoding=json_encoding, encoding_errors=encoding_errors)
        else:
            sep = "\t" if name.endswith((".tsv", ".tsv.gz", ".tab")) else ","
            # QUOTE_NONE for TSV: corpora such as SST-2 hold bare quote characters inside the text.
            quoting = 3 if sep == "\t" else 0
            frame = pd.read_csv(
                path,
                sep=sep,
                quoting=quoting,
                keep_default_na=False,
                na_values=[""],
                encoding=encoding,
                encoding_errors=encoding_errors,
            )
    except UnicodeDecodeError as error:
        raise undecodable_error(path, encoding, error) from None
    except (ValueError, OSError) as error:
        raise DataError(f"cannot read '{path}' as a table ({type(error).__name__}: {error})") from error
    if len(frame) == 0:
        raise DataError(f"data file '{path}' has no data rows")
    frame.columns = [str(column).strip() for column in frame.columns]
    return frame


_PYTHON_NAMES = {"--text": "text_col", "--target": "target", "--valid-col": "valid_col"}


def _column(frame: pd.DataFrame, name: str, flag: str, what: str) -> None:
    if name not in frame.columns:
        shown = ", ".join(map(str, list(frame.columns)[:30]))
        raise DataError(
            f"{flag.strip('-')} column '{name}' not found in {what}; columns are: {shown}. Pass {flag} NAME "
            f"(Python: {_PYTHON_NAMES.get(flag, flag)}=)"
        )


# ------------------------------------------------------------------------------------------ the builder
def text_data(
    source: str | Path | pd.DataFrame,
    text_col: str = "text",
    target: str | Sequence[str] | None = None,
    *,
    valid_pct: float = 0.2,
    valid_col: str | None = None,
    splits: tuple[Sequence[int], Sequence[int]] | None = None,
    test: str | Path | pd.DataFrame | None = None,
    task: str | None = None,
    label_delim: str | None = None,
    classes: Sequence[str] | None = None,
    tokenizer: str | WordTokenizer | SubwordTokenizer = "word",
    min_freq: int = 2,
    max_vocab: int | None = 100_000,
    vocab: Sequence[str] | None = None,
    ngrams: int | None = None,
    n_buckets: int | None = None,
    binary: bool = True,
    max_len: int | None = None,
    batch_format: str = "bag",
    batch_size: int | None = None,
    drop_empty: bool = False,
    seed: int = 0,
    n_workers: int | None = None,
    encoding: str = "utf-8",
    encoding_errors: Literal["strict", "replace"] = "strict",
) -> TextDataBundle:
    """Everything a text classifier's Learner needs: tokenised splits, the task, the recipe and the loaders.

    Args:
        source: a CSV / TSV / Parquet / JSON-lines file, a DataFrame, or a folder of texts: ``<label>/*.txt``,
            or ``train/<label>/*.txt`` with ``valid/`` (or ``dev/``) and ``test/`` beside it, as IMDB's (see
            :func:`read_text_folder`; its table has the columns ``text`` and ``label``).
        text_col: the column holding the texts.
        target: the label column (or several 0/1 columns for multi-label); a folder's is its folders' names.
        valid_pct: share of rows held out at random (when neither ``valid_col`` nor ``splits`` is given).
        valid_col: a true/false column marking validation rows.
        splits: explicit ``(train_rows, valid_rows)`` positions.
        test: a held-out table with the same columns (tokenised with the training vocabulary).
        task: override the inferred task (``binary``, ``multiclass``, ``multilabel``).
        label_delim: labels separated by this string make the task multi-label (``"drama|comedy"``).
        classes: a folder of texts: keep only the class folders of these names (IMDB's ``train/`` holds
            ``pos/``, ``neg/`` and the unlabelled ``unsup/``: ``classes=["neg", "pos"]``). Without it every class
            folder is a class, with a warning for one named as unlabelled texts are (``unsup``, ``unlabeled``).
        tokenizer: ``"word"`` (rules + vocabulary), ``"subword"`` (BPE trained on the training texts), or a
            :class:`WordTokenizer` / :class:`SubwordTokenizer`.
        min_freq, max_vocab: vocabulary limits (word tokenizer).
        ngrams, n_buckets, binary: bag settings (see :class:`TextRecipe`). ``ngrams`` defaults to
            :data:`DEFAULT_NGRAMS` (trigrams), :data:`MULTILABEL_NGRAMS` (tokens alone) for multi-label
            targets. ``n_buckets`` defaults to the
            power of two at or above the training token count, between 2**12 and 2**20 (a small set gets a
            small table and a small artifact).
        vocab: a fixed vocabulary (e.g. a language model's, ``lm_vocab(lm_dir)``) instead of one built from the
            training texts; word tokenizer only.
        max_len: keep the first ``max_len`` tokens of each text.
        batch_format: ``"bag"`` (for ``ngram_bag``) or ``"padded"`` (sequence models).
        batch_size: texts per training batch (default 64, fewer for small sets).
        drop_empty: drop rows whose text is blank instead of raising.
        seed: controls the split and the batch order.
        n_workers: processes for tokenising (default: every CPU for large sets).
        encoding: text encoding of CSV / TSV / JSON-lines files and of a folder's ``.txt`` files, e.g.
            ``"cp1252"`` (Excel on Windows) or ``"latin-1"``; never guessed.
        encoding_errors: ``"strict"`` stops at a byte not in ``encoding``, naming its file and line;
            ``"replace"`` reads it as U+FFFD (``--encoding-errors``).
    """
    _check_settings(valid_pct, batch_size)
    what = f"'{source}'" if isinstance(source, str | Path) else "the DataFrame"
    if isinstance(source, str | Path) and Path(source).is_dir():
        if target not in (None, "label") or text_col != "text":
            raise ConfigError(
                "a folder of texts has one label per text, its folder's name, and the text in the file; leave "
                "text_col= and target= out"
            )
        source, folder_test = read_text_folder(
            Path(source),
            classes=classes,
            encoding=encoding,
            encoding_errors=encoding_errors,
            drop_empty=drop_empty,
        )
        target, test = "label", test if test is not None else folder_test
        if "is_valid" in source.columns and valid_col is None and splits is None:
            valid_col = "is_valid"  # the folder's valid/ is the validation set, as given
    elif classes is not None:
        raise ConfigError(
            f"classes= picks class folders of a folder of texts; {what} is a table: keep the rows of those labels "
            "instead (frame[frame[target].isin([...])])"
        )
    frame = read_text_table(source, what, encoding=encoding, encoding_errors=encoding_errors)
    if target is None:
        raise ConfigError("text_data needs target=: the label column (--target NAME)")
    targets = [target] if isinstance(target, str) else list(target)
    _column(frame, text_col, "--text", what)
    for name in targets:
        _column(frame, name, "--target", what)
    if valid_col is not None:
        _column(frame, valid_col, "--valid-col", what)
    frame = _checked_texts(frame, text_col, what, drop_empty, from_file=isinstance(source, str | Path))
    train_rows, valid_rows = _split_rows(frame, valid_pct, valid_col, splits, seed)
    label_frame = frame[targets[0]] if len(targets) == 1 else frame[targets]
    if label_delim is None and len(targets) == 1 and task != "multilabel":
        # Counted in the whole file (the task below sees only the training share).
        empty = label_frame.map(lambda value: value is None or (isinstance(value, str) and not value.strip()))
        missing = int((label_frame.isna() | empty.astype(bool)).sum())
        if missing:
            raise DataError(
                f"target '{targets[0]}' is missing in {missing} of {len(frame)} rows of {what}; drop those rows or "
                "fill them (several labels per text, where an empty cell means none? pass --label-delim)"
            )
    drawn = valid_col is None and splits is None and valid_rows is not None
    if drawn and len(targets) == 1 and label_delim is None and task != "multilabel":
        labels = label_frame.tolist()
        if not any(isinstance(value, list | tuple | set) for value in labels):
            train_rows, valid_rows = keep_classes_in_train(train_rows, valid_rows, labels, what)  # type: ignore[arg-type]
    train_labels = label_frame.iloc[train_rows]
    resolved = _task(train_labels, task, label_delim, targets[0])
    train_texts = frame[text_col].iloc[train_rows].tolist()
    recipe = fit_recipe(
        train_texts,
        text_col,
        tokenizer=tokenizer,
        min_freq=min_freq,
        max_vocab=max_vocab,
        vocab=vocab,
        ngrams=ngrams if ngrams is not None else default_ngrams(resolved.kind),
        n_buckets=n_buckets,
        binary=binary,
        max_len=max_len,
        batch_format=batch_format,
        n_workers=n_workers,
    )
    bs = batch_size or _default_batch_size(len(train_rows))
    workers = n_workers if n_workers is not None else (None if len(frame) >= 20_000 else 1)
    split_texts = {"train": train_texts}
    split_labels: dict[str, Any] = {"train": train_labels}
    if valid_rows is not None and len(valid_rows):
        split_texts["valid"] = frame[text_col].iloc[valid_rows].tolist()
        split_labels["valid"] = label_frame.iloc[valid_rows]
    if test is not None:
        test_frame = read_text_table(
            test, "the test data", encoding=encoding, encoding_errors=encoding_errors
        )
        _column(test_frame, text_col, "--text", "the test data")
        for name in targets:
            _column(test_frame, name, "--target", "the test data")
        test_frame = _checked_texts(
            test_frame, text_col, "the test data", drop_empty, from_file=isinstance(test, str | Path)
        )
        split_texts["test"] = test_frame[text_col].tolist()
        split_labels["test"] = test_frame[targets[0]] if len(targets) == 1 else test_frame[targets]
    loaders: dict[str, TextLoader] = {}
    for key, texts in split_texts.items():
        ids, offsets = recipe.encode(texts, n_workers=workers)
        encoded = _encode(resolved, split_labels[key], key)
        training = key == "train"
        loaders[key] = TextLoader(
            ids,
            offsets,
            encoded,
            bs if training else bs * 4,
            batch_format=batch_format,
            shuffle=training,
            drop_last=training and len(texts) > bs,
            seed=seed,
            pad_id=recipe.pad_id,
        )
    # Which rows trained the model, sketched, so a report on training rows can say so (data.fingerprint).
    loaders["train"].rows_sketch = RowSketch.of(frame.iloc[train_rows], [text_col, *targets])  # type: ignore[attr-defined]
    hints = {"n_out": resolved.n_outputs, "n_embeddings": recipe.n_embeddings, "batch_format": batch_format}
    return TextDataBundle(
        resolved,
        loaders["train"],
        loaders.get("valid"),
        loaders.get("test"),
        recipe,
        "text",
        hints,
        texts=split_texts,
    )


def fit_recipe(
    texts: Sequence[str],
    text_col: str,
    *,
    tokenizer: str | WordTokenizer | SubwordTokenizer = "word",
    min_freq: int = 2,
    max_vocab: int | None = 100_000,
    vocab: Sequence[str] | None = None,
    ngrams: int = DEFAULT_NGRAMS,
    n_buckets: int | None = None,
    binary: bool = True,
    max_len: int | None = None,
    batch_format: str = "bag",
    n_workers: int | None = None,
) -> TextRecipe:
    """Fit the tokenizer (subword) and the vocabulary (word) on training ``texts``."""
    workers = n_workers if n_workers is not None else (None if len(texts) >= 20_000 else 1)
    if vocab is not None and not (tokenizer == "word" or isinstance(tokenizer, WordTokenizer)):
        raise ConfigError("vocab= fixes a word vocabulary; a subword tokenizer carries its own pieces")
    words: tuple[str, ...] = ()
    n_tokens = sum(len(text) for text in texts) // 5  # a word is about 5 characters: a first estimate
    if tokenizer == "word" or isinstance(tokenizer, WordTokenizer):
        word = tokenizer if isinstance(tokenizer, WordTokenizer) else WordTokenizer()
        token_lists = word.tokenize_many(texts, n_workers=workers)
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
        ngrams=ngrams,
        n_buckets=n_buckets or default_buckets(n_tokens),
        binary=binary,
        max_len=max_len,
    )


def default_ngrams(kind: str) -> int:
    """The longest n-gram of a bag for a task of ``kind``: :data:`MULTILABEL_NGRAMS` for multilabel, else
    :data:`DEFAULT_NGRAMS`."""
    return MULTILABEL_NGRAMS if kind == "multilabel" else DEFAULT_NGRAMS


def default_buckets(n_tokens: int) -> int:
    """Hash buckets for a corpus of ``n_tokens``: a power of two at or above it, from 2**12 to 2**20."""
    return int(2 ** min(20, max(12, math.ceil(math.log2(max(n_tokens, 1))))))


# ------------------------------------------------------------------------------------------ checks
def _checked_texts(
    frame: pd.DataFrame, text_col: str, what: str, drop_empty: bool, *, from_file: bool = True
) -> pd.DataFrame:
    """Rows with a real text: non-strings and (unless ``drop_empty``) blank texts raise, naming the row.

    A row is named as a file's data row (from 1, below the header), or a DataFrame's index label; a missing
    cell and one of nothing but white space count alike. Dropped rows are counted in a warning.
    """
    column = frame[text_col]

    def row_name(position: int) -> str:
        return f"data row {position + 1}" if from_file else f"the row at index {frame.index[position]!r}"

    blank = column.map(lambda value: isinstance(value, str) and not value.strip()).to_numpy(dtype=bool)
    empty = column.isna().to_numpy() | blank
    if empty.any():
        rows = np.flatnonzero(empty)
        if not drop_empty:
            raise DataError(
                f"text column '{text_col}' in {what} is empty in {row_name(int(rows[0]))} ({len(rows)} "
                f"row{'' if len(rows) == 1 else 's'} in all); fill or drop those rows, or pass --drop-empty "
                "(Python: drop_empty=True)"
            )
        if len(rows) == len(frame):
            raise DataError(
                f"text column '{text_col}' in {what} is empty in every row; there is nothing to read"
            )

        warn(
            f"dropped {len(rows)} of {len(frame)} rows of {what} whose text column '{text_col}' is empty (the first: "
            f"{row_name(int(rows[0]))})",
            UserWarning,
        )
    strings = column.map(lambda value: isinstance(value, str)).to_numpy(dtype=bool)
    other = np.flatnonzero(~empty & ~strings)
    if len(other):
        value = column.iloc[int(other[0])]
        raise DataError(
            f"text column '{text_col}' in {what} holds {str(value)[:40]} ({type(value).__name__}), not text, in "
            f"{row_name(int(other[0]))}; convert the column to text first"
        )
    if empty.any():
        frame = frame.loc[~empty].reset_index(drop=True)
    validate_texts(frame[text_col].tolist(), name=f"text column '{text_col}' row")
    return frame


def _split_rows(
    frame: pd.DataFrame,
    valid_pct: float,
    valid_col: str | None,
    splits: tuple[Sequence[int], Sequence[int]] | None,
    seed: int,
) -> tuple[np.ndarray, np.ndarray | None]:
    if splits is not None:
        train_rows, valid_rows = (np.asarray(rows, dtype=np.int64) for rows in splits)
        if len(train_rows) == 0:
            raise DataError("splits= gives no training rows")
        if max(train_rows.max(initial=-1), valid_rows.max(initial=-1)) >= len(frame):
            raise DataError(f"splits= names a row beyond the {len(frame)} rows of the data")
        return train_rows, valid_rows
    if valid_col is not None:
        return mask_split(frame[valid_col].tolist(), f"valid column '{valid_col}'")
    if valid_pct > 0:
        return random_split(len(frame), valid_pct, seed)
    return np.arange(len(frame)), None


def _task(labels: Any, kind: str | None, label_delim: str | None, name: str) -> Task:
    import pandas as pd

    if kind == "regression":
        raise ConfigError("text regression is not supported yet; use --task binary, multiclass or multilabel")
    if (
        isinstance(labels, pd.Series)
        and kind is None
        and label_delim is None
        and not any(isinstance(value, list | tuple | set) for value in labels.head(20))
    ):
        present = labels.dropna()
        if len(present) and present.map(str).nunique() < 2:
            raise DataError(
                f"target '{name}' has a single class ({present.iloc[0]!r}) in the training rows; a classifier "
                "needs texts of at least two classes"
            )
        if len(present) == len(labels) and kind is None:
            distinct = present.map(str).nunique()
            kind = "binary" if distinct == 2 else "multiclass"  # integer labels are classes, never quantities
    return infer_task(labels, name=name, kind=kind, label_delim=label_delim)


def _encode(task: Task, labels: Any, split: str) -> torch.Tensor:
    if split not in ("train", "training"):
        warn_unknown_labels(task, labels, f"{split} texts")
    try:
        return task.encode(labels)
    except DataError as error:
        raise DataError(f"{split} texts: {error}") from error


def _label_text(task: Task, target: torch.Tensor) -> str:
    """One encoded target as its label: a class, or a multi-label row's labels joined by ``;``."""
    if task.kind == "multilabel":
        return ";".join(str(c) for c, on in zip(task.classes, target.tolist(), strict=True) if on)
    if task.kind == "binary":
        return str(task.classes[int(float(target) >= 0.5)])
    return str(task.classes[int(target)])


def _default_batch_size(n_texts: int) -> int:
    """64, or fewer for small sets so an epoch still has about 20 steps (at least 8)."""
    return int(min(64, max(8, 2 ** math.floor(math.log2(max(n_texts, 1) / 20)))))


def _check_settings(valid_pct: float, batch_size: int | None) -> None:
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1
    ):
        raise ConfigError(f"--batch-size must be a whole number of at least 1, got {batch_size!r}")
    if not 0 <= valid_pct < 1:
        raise ConfigError(f"--valid-pct must be at least 0 and less than 1, got {valid_pct}")
