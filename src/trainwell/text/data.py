"""Build a DataBundle of texts for classification: from a CSV/TSV/Parquet file, a DataFrame or a folder of texts.

Texts are tokenised once, here; the vocabulary is fitted on the training rows only (validation and test words
it never saw become ``xxunk``, as they will in production). The steps live beside this module, one concept
each: reading a table (:mod:`~trainwell.text.table`) or a folder, checking its columns, texts and labels
(``_checks``), fitting the recipe (:mod:`~trainwell.text.fitting`), and the loaders that cut batches out of
each split's flat ids (:mod:`~trainwell.text.loader`, whose docstring describes the ``bag`` and ``padded``
formats). Their public names are importable from here as well.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch

from trainwell.core.errors import ConfigError, DataError
from trainwell.data.bundle import keep_classes_in_train, mask_split, random_split, warn_unused_valid_marker
from trainwell.data.class_shares import class_shares
from trainwell.data.fair_order import in_fair_order
from trainwell.data.fingerprint import RowSketch
from trainwell.data.io import check_test_targets
from trainwell.data.task import (
    Task,
    infer_task,
    name_labels,
    warn_joined_labels,
    warn_unknown_labels,
    warn_whole_number_classes,
)
from trainwell.models.layers import target_statistics
from trainwell.text._checks import (
    check_column,
    check_labels_present,
    check_settings,
    checked_texts,
    warn_validation_inside_training,
)
from trainwell.text._folders import check_folder_columns, read_text_folder
from trainwell.text.bundle import TextDataBundle
from trainwell.text.fields import joined, text_columns

# Imported "as" themselves: names that lived here before the split, kept importable from this module.
from trainwell.text.fitting import DEFAULT_NGRAMS as DEFAULT_NGRAMS
from trainwell.text.fitting import MULTILABEL_NGRAMS as MULTILABEL_NGRAMS
from trainwell.text.fitting import TRIGRAM_TOKENS as TRIGRAM_TOKENS
from trainwell.text.fitting import default_buckets as default_buckets
from trainwell.text.fitting import default_ngrams as default_ngrams
from trainwell.text.fitting import fit_recipe
from trainwell.text.loader import POOL_BATCHES as POOL_BATCHES
from trainwell.text.loader import EpochBatches as EpochBatches
from trainwell.text.loader import TextLoader, bucketed_order, epoch_batches
from trainwell.text.recipe import LONGEST_TRAINED, SEQUENCE_MAX_LEN, TextRecipe
from trainwell.text.subword import SubwordTokenizer
from trainwell.text.table import read_text_table
from trainwell.text.tokenize import WordTokenizer

if TYPE_CHECKING:
    import pandas as pd

    from trainwell.core.label_names import LabelNames
    from trainwell.data.reading_progress import ReadingProgress

__all__ = [
    "TextDataBundle",
    "TextLoader",
    "bucketed_order",
    "epoch_batches",
    "read_text_folder",
    "read_text_table",
    "text_data",
]


def text_data(
    source: str | Path | pd.DataFrame,
    target: str | Sequence[str] | None = None,
    *old_order: str | Sequence[str] | None,
    text_col: str | Sequence[str] | None = None,
    valid_pct: float = 0.2,
    valid_col: str | None = None,
    splits: tuple[Sequence[int], Sequence[int]] | None = None,
    test: str | Path | pd.DataFrame | None = None,
    task: str | None = None,
    label_delim: str | None = None,
    label_names: LabelNames | None = None,
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
    names: Sequence[str] | None = None,
    progress: bool = True,
) -> TextDataBundle:
    """Everything a text classifier's Learner needs: tokenised splits, the task, the recipe and the loaders.

    Args:
        source: a CSV / TSV / Parquet / JSON-lines file, a DataFrame, or a folder of texts: ``<label>/*.txt``,
            or ``train/<label>/*.txt`` with ``valid/`` (or ``dev/``) and ``test/`` beside it, as IMDB's, or one
            file per class holding a text a line, its label the part of its name that differs (rt-polarity's
            ``rt-polarity.pos`` and ``.neg``; see :func:`read_text_folder`; its table has the columns ``text`` and
            ``label``).
        target: the label column (or several 0/1 columns for multi-label); a folder's is its folders' names.
            Second by position, as in ``tabular_data(source, target)`` and ``image_data(source, labels)``.
        old_order: the order before, ``text_data(source, text_col, target)``, is still read so, with a
            ``DeprecationWarning`` that gives the call in the new order: three values by position can mean
            nothing else. (Two by position, ``text_data(df, "review")``, name the target; that call used to
            stop for want of one, so no working call changed meaning.)
        text_col: the column holding the texts; or several columns (a list, or names joined by commas), each
            row's texts then read as one example, tokenised field by field (a pair of sentences: MRPC's
            ``["sentence1", "sentence2"]``, SNLI's premise and hypothesis; see :mod:`trainwell.text.fields`).
            Left out: ``text``, else the table's column of free text (SST-2's ``sentence``), as ``trainwell fit``
            finds it, said in a :class:`~trainwell.core.warn.Note` (:func:`~trainwell.text._text_column.found_text_col`).
        valid_pct: share of rows held out at random (when neither ``valid_col`` nor ``splits`` is given).
        valid_col: a true/false column marking validation rows.
        splits: explicit ``(train_rows, valid_rows)`` positions.
        test: a held-out table with the same columns (tokenised with the training vocabulary).
        task: override the inferred task (``binary``, ``multiclass``, ``multilabel``).
        label_delim: labels separated by this string make the task multi-label (``"drama|comedy"``).
        label_names: names for the labels as the data writes them, shown and predicted in their place: a list
            naming the labels 0, 1, 2 ..., ``{label: name}``, or a file of one name per line (GoEmotions'
            emotions.txt) or a text (``"0=neg,1=pos"``) as ``--label-names`` reads them
            (:func:`~trainwell.data.task.name_labels`).
        classes: a folder of texts: keep only the class folders of these names (IMDB's ``train/`` holds
            ``pos/``, ``neg/`` and the unlabelled ``unsup/``: ``classes=["neg", "pos"]``). Without it every class
            folder is a class, with a warning for one named as unlabelled texts are (``unsup``, ``unlabeled``).
        tokenizer: ``"word"`` (rules + vocabulary), ``"subword"`` (BPE trained on the training texts), or a
            :class:`WordTokenizer` / :class:`SubwordTokenizer`.
        min_freq, max_vocab: vocabulary limits (word tokenizer).
        ngrams, n_buckets, binary: bag settings (see :class:`TextRecipe`). ``ngrams`` defaults to
            :data:`DEFAULT_NGRAMS` (trigrams) on :data:`TRIGRAM_TOKENS` training tokens or more, bigrams on
            fewer, :data:`MULTILABEL_NGRAMS` (tokens alone) for multi-label targets (:func:`default_ngrams`). ``n_buckets`` defaults to the
            power of two at or above the training token count, between 2**12 and 2**20 (a small set gets a
            small table and a small artifact).
        vocab: a fixed vocabulary (e.g. a language model's, ``lm_vocab(lm_dir)``) instead of one built from the
            training texts; word tokenizer only.
        max_len: keep the first ``max_len`` tokens of each text, in training and in every prediction after it
            (kept in the model). ``None``: every token for a bag, the first :data:`SEQUENCE_MAX_LEN` (1,440, as
            fastai's pooled classifier reads) for a sequence model (``batch_format="padded"``), whose time grows
            with the text: a 30,000-word line took a minute to classify.
        batch_format: ``"bag"`` (for ``ngram_bag``) or ``"padded"`` (sequence models).
        batch_size: texts per training batch (default 64, fewer for small sets).
        drop_empty: drop rows whose text is blank instead of raising.
        seed: controls the split and the batch order.
        n_workers: processes for tokenising (default: every CPU for large sets).
        encoding: text encoding of CSV / TSV / JSON-lines files and of a folder's ``.txt`` files, e.g.
            ``"cp1252"`` (Excel on Windows) or ``"latin-1"``; never guessed.
        encoding_errors: ``"strict"`` stops at a byte not in ``encoding``, naming its file and line;
            ``"replace"`` reads it as U+FFFD (``--encoding-errors``).
        names: the names of every column, in order, of a CSV / TSV ``source`` (and ``test``) without a header
            row (GoEmotions' ``train.tsv``: ``["text", "labels", "id"]``); its first line is then a row of data.
        progress: tokenizing that takes over 2 s says how it goes on standard error (``reading texts: 8,000 /
            25,000 (tokenizing, 600/s, about 28s left)``, then ``read 25,000 texts in 41s``); ``False`` keeps it
            quiet.
    """
    if old_order:
        target, text_col = _read_old_order(target, old_order, text_col)
    check_settings(valid_pct, batch_size)
    from trainwell.core.archives import unpacked

    source, test = unpacked(source), unpacked(test)  # reviews.zip: what it holds
    what = f"'{source}'" if isinstance(source, str | Path) else "the DataFrame"
    from_file = isinstance(source, str | Path) and not Path(source).is_dir()
    if isinstance(source, str | Path) and not from_file:
        source, target, test, valid_col = _read_folder(
            Path(source),
            text_col,
            target,
            test,
            valid_col,
            splits,
            classes,
            drop_empty,
            encoding,
            encoding_errors,
        )
    elif classes is not None:
        raise ConfigError(
            f"classes= picks class folders of a folder of texts; {what} is a table: keep the rows of those labels "
            "instead (frame[frame[target].isin([...])])"
        )
    frame = read_text_table(
        source,
        what,
        encoding=encoding,
        encoding_errors=encoding_errors,
        names=names,
        as_written=_named("text" if text_col is None else text_col),  # 00123 is a text, not 123
    )
    if target is None and text_col in (None, "text") and list(frame.columns) == ["text", "label"]:
        from trainwell.text._fasttext import is_fasttext_file

        if isinstance(source, str | Path) and is_fasttext_file(source):  # __label__pos a great film
            target = "label"
    if target is None:
        raise ConfigError("text_data needs target=: the label column (--target NAME)")
    from trainwell.data.targets import target_names

    targets = target_names(target)
    if text_col is None:  # 'text', else the one column of free text (SST-2's 'sentence'), said in a note
        from trainwell.text._text_column import found_text_col

        text_col = found_text_col(frame, targets, valid_col, what)
    columns = text_columns(text_col, frame.columns)
    both = [name for name in targets if name in columns]
    if both:  # else the texts were read as labels: a page of reviews quoted as classes, then "1000 values"
        raise ConfigError.worded(
            lambda say: (
                f"{say('text_col')} and {say('target')} both name the column '{both[0]}': the texts are what the "
                "model reads, the target what it predicts; name the label column as the target"
            )
        )
    for name, flag in [*((name, "--text") for name in columns), *((name, "--target") for name in targets)]:
        check_column(frame, name, flag, what)
    if valid_col is not None:
        check_column(frame, valid_col, "--valid-col", what)
    # Each row's position in the table as given, kept through the rows dropped as empty: data.valid_index
    import pandas as pd

    # a DataFrame's own labels (the table read is indexed from 0); a file's rows go by their position
    given = source.index if isinstance(source, pd.DataFrame) and len(source) == len(frame) else None
    input_labels = given if given is not None else frame.index
    frame = checked_texts(
        frame.assign(**{_POSITION: np.arange(len(frame))}), columns, what, drop_empty, from_file=from_file
    )
    positions = frame.pop(_POSITION).to_numpy(dtype=np.int64)
    texts = joined(frame, columns, what)
    label_frame = frame[targets[0]] if len(targets) == 1 else frame[targets]
    single = len(targets) == 1 and label_delim is None and task != "multilabel"
    train_rows, valid_rows = _split_rows(frame, valid_pct, valid_col, splits, seed)
    # drama|comedy or GoEmotions' 2,5 without label_delim, said first, of the whole file: the split's notes
    # below name the combinations as classes
    joined_said = single and task is None and _warn_joined(label_frame, targets[0])
    if single:  # the labels are checked in the whole file: the task below sees the training rows only
        drawn = valid_col is None and splits is None and not _is_quantity(label_frame, task)
        train_rows, valid_rows = _checked_labels(label_frame, targets[0], train_rows, valid_rows, drawn, what)
    if valid_col is None and splits is None and valid_rows is not None and len(valid_rows):
        warn_validation_inside_training(
            texts.iloc[train_rows].tolist(), texts.iloc[valid_rows].tolist(), what, seed
        )
    train_labels = label_frame.iloc[train_rows]
    resolved = labels_task(train_labels, task, label_delim, targets[0], joined_said=joined_said)
    if single and len(columns) > 1 and resolved.kind in ("binary", "multiclass"):
        from trainwell.text._checks import warn_label_words

        warn_label_words(frame.iloc[train_rows], columns, train_labels, targets[0])
    if label_names is not None:
        resolved = name_labels(resolved, label_names)
    if splits is None and valid_rows is not None:
        # The validation texts in a fair order (every prefix holds each class in proportion; numbers and label
        # sets shuffled): a budget's capped pass reads the first batches, which in the file's order were one
        # class (IMDB's CSV, 12,500 'neg' then 'pos': a first batch of 128 'neg'). Rows placed by splits=
        # (cross-validation's folds) keep the order given.
        by_class = single and resolved.kind in ("binary", "multiclass")
        valid_rows = in_fair_order(valid_rows, label_frame.tolist() if by_class else None, seed)
    split_texts = {"train": texts.iloc[train_rows].tolist()}
    split_labels: dict[str, Any] = {"train": train_labels}
    # Reading the training texts for the vocabulary comes before their encoding's progress line, and took IMDB's
    # 20,000 training reviews 12 s (47 s on a busy machine) in silence: it says how it goes too, after 2 s.
    counting = _vocabulary_reading(len(train_rows), vocab is not None, progress)
    train_tokens: list[
        list[str]
    ] = []  # read once: the vocabulary's reading, then the training texts' encoding
    recipe = fit_recipe(
        split_texts["train"],
        columns[0],
        tokenizer=tokenizer,
        min_freq=min_freq,
        max_vocab=max_vocab,
        vocab=vocab,
        ngrams=ngrams,
        kind=resolved.kind,
        n_buckets=n_buckets,
        binary=binary,
        max_len=SEQUENCE_MAX_LEN if max_len is None and batch_format == "padded" else max_len,
        batch_format=batch_format,
        n_workers=n_workers,
        fields=columns if len(columns) > 1 else (),
        progress=counting.advance,
        tokens_out=train_tokens,
    )
    counting.close()
    if valid_rows is not None and len(valid_rows):
        split_texts["valid"] = texts.iloc[valid_rows].tolist()
        split_labels["valid"] = label_frame.iloc[valid_rows]
    if test is not None:
        split_texts["test"], split_labels["test"] = _read_test(
            test, columns, targets, drop_empty, encoding, encoding_errors, names
        )
    bs = batch_size or _default_batch_size(len(train_rows))
    workers = n_workers if n_workers is not None else (None if len(frame) >= 20_000 else 1)
    read = {"train": train_tokens} if train_tokens else {}
    bundle = _bundle(
        resolved, recipe, split_texts, split_labels, bs, batch_format, seed, workers, progress, read
    )
    del train_tokens, read
    # Where each split's rows are in the table given, in the loaders' order, as tables keep them: a top loss
    # named by its place in the shuffled validation split could not be found in the DataFrame.
    bundle.train_index = positions[np.asarray(train_rows, dtype=np.int64)]
    if valid_rows is not None and len(valid_rows):
        bundle.valid_index = positions[np.asarray(valid_rows, dtype=np.int64)]
        bundle.row_labels = {"valid": input_labels[bundle.valid_index]}
    # Which rows trained the model, sketched, so a report on training rows can say so (data.fingerprint).
    bundle.train.rows_sketch = RowSketch.of(frame.iloc[train_rows], [*columns, *targets])  # type: ignore[attr-defined]
    # Each class's share of the training texts: the constant answer a report on other texts compares with.
    shares = class_shares(resolved, bundle.train.targets)  # type: ignore[attr-defined]  # a TextLoader
    if shares is not None:
        bundle.train.class_shares = shares  # type: ignore[attr-defined]
    if names is not None and isinstance(source, str | Path):  # kept: predict reads files like it alike
        bundle.train.header_names = list(names)  # type: ignore[attr-defined]
    return bundle


#: The hidden column that carries each row's position in the table given through the checks of its texts.
_POSITION = "\0trainwell row position"


def _vocabulary_reading(n_texts: int, fixed_vocab: bool, progress: bool) -> ReadingProgress:
    """The progress line of the training texts' first reading, by :func:`fit_recipe` (``reading training texts:
    8,192 / 20,000 (building the vocabulary, 700/s, about 16s left)``; ``counting words`` when the vocabulary
    is given): said after 2 s, then ``read 20,000 training texts in 28s``, on standard error."""
    from trainwell.core.device import is_rank_zero
    from trainwell.data.reading_progress import ReadingProgress

    doing = "counting words" if fixed_vocab else "building the vocabulary"
    return ReadingProgress(n_texts, noun="training texts", doing=doing, enabled=progress and is_rank_zero())


def _bundle(
    task: Task,
    recipe: TextRecipe,
    texts: dict[str, list[str]],
    labels: dict[str, Any],
    batch_size: int,
    batch_format: str,
    seed: int,
    n_workers: int | None,
    progress: bool = True,
    tokens: dict[str, list[list[str]]] | None = None,
) -> TextDataBundle:
    """Every split's loader (:func:`_loader`), in a bundle with the task, the recipe and the raw texts. Tokenizing
    that takes over 2 s says how it goes on standard error (:class:`~trainwell.data.reading_progress.ReadingProgress`:
    IMDB's 25,000 reviews took over a minute in silence)."""
    from trainwell.core.device import is_rank_zero
    from trainwell.data.reading_progress import ReadingProgress

    total = sum(len(split_texts) for split_texts in texts.values())
    reading = ReadingProgress(total, noun="texts", doing="tokenizing", enabled=progress and is_rank_zero())
    loaders = {
        split: _loader(
            recipe,
            task,
            split_texts,
            labels[split],
            split,
            batch_size,
            batch_format,
            seed,
            n_workers,
            reading,
            (tokens or {}).get(split),
        )
        for split, split_texts in texts.items()
    }
    reading.close()
    hints = {"n_out": task.n_outputs, "n_embeddings": recipe.n_embeddings, "batch_format": batch_format}
    if task.kind == "regression":
        hints.update(target_statistics(loaders["train"].targets))
    return TextDataBundle(
        task, loaders["train"], loaders.get("valid"), loaders.get("test"), recipe, "text", hints, texts=texts
    )


def _read_old_order(
    second: str | Sequence[str] | None,
    rest: tuple[str | Sequence[str] | None, ...],
    text_col: str | Sequence[str] | None,
) -> tuple[str | Sequence[str] | None, str | Sequence[str]]:
    """``(target, text_col)`` of a call in the order before, ``text_data(source, text_col, target)``, with a
    ``DeprecationWarning`` that writes the call in the new order; anything else given by position is refused."""
    from trainwell.core.warn import warn

    if len(rest) > 1:
        raise ConfigError(
            f"text_data takes 2 values by position (source, target), got {2 + len(rest)}; pass text_col= and "
            "the other settings by keyword"
        )
    if second is None:  # text_data(source, None, "label"): None is no column of texts
        raise ConfigError(
            "text_data(source, None, ...): the second value by position is the target; pass "
            "text_data(source, target, text_col=...)"
        )
    if text_col is not None:
        raise ConfigError(
            f"text_col= given twice: as {text_col!r} and by position as {second!r} (the order before, "
            f"text_data(source, text_col, target)); pass text_data(source, target, text_col=...)"
        )
    target = rest[0]
    warn(
        f"text_data(source, {second!r}, {target!r}) is the order before: the target now comes second, as in "
        f"tabular_data(source, target); write text_data(source, {target!r}, text_col={second!r}). The old order "
        "is still read, for now",
        DeprecationWarning,
    )
    return target, second


def _read_folder(
    folder: Path,
    text_col: str | Sequence[str] | None,
    target: str | Sequence[str] | None,
    test: str | Path | pd.DataFrame | None,
    valid_col: str | None,
    splits: tuple[Sequence[int], Sequence[int]] | None,
    classes: Sequence[str] | None,
    drop_empty: bool,
    encoding: str,
    encoding_errors: Literal["strict", "replace"],
) -> tuple[pd.DataFrame, str, str | Path | pd.DataFrame | None, str | None]:
    """A folder of texts as a table (``text``, ``label``), with the target, test data and validation column
    it implies: its ``test/`` unless ``test`` is given, its ``valid/`` as the validation rows unless chosen."""
    check_folder_columns(text_col, target)
    frame, folder_test = read_text_folder(
        folder, classes=classes, encoding=encoding, encoding_errors=encoding_errors, drop_empty=drop_empty
    )
    if "is_valid" in frame.columns and valid_col is None and splits is None:
        valid_col = "is_valid"  # the folder's valid/ is the validation set, as given
    return frame, "label", test if test is not None else folder_test, valid_col


def _read_test(
    test: str | Path | pd.DataFrame,
    columns: list[str],
    targets: list[str],
    drop_empty: bool,
    encoding: str,
    encoding_errors: Literal["strict", "replace"],
    names: Sequence[str] | None = None,
) -> tuple[list[str], Any]:
    """The texts and labels of a held-out table, checked as the training table is; or of a folder of class
    folders of ``.txt`` files (IMDB's ``test/``), one text a file, labelled by its folder."""
    if isinstance(test, str | Path) and Path(test).is_dir():
        if len(columns) != 1:
            raise ConfigError(
                f"test folder '{test}' holds one text a file; a model of the text columns {', '.join(columns)} is "
                "tested on a table holding them"
            )
        if len(targets) != 1:
            raise ConfigError(
                f"test folder '{test}' labels each text with one class folder; a model of {len(targets)} target "
                "columns is tested on a table holding them"
            )
        if any((Path(test) / name).is_dir() for name in ("train", "Train", "TRAIN")):
            raise DataError(
                f"test folder '{test}' holds train/: pass the folder of the held-out class folders (its test/)"
            )
        folder, _ = read_text_folder(
            Path(test), encoding=encoding, encoding_errors=encoding_errors, drop_empty=drop_empty
        )
        return folder["text"].tolist(), folder["label"].rename(targets[0])
    what = "the test data"
    frame = read_text_table(
        test, what, encoding=encoding, encoding_errors=encoding_errors, names=names, as_written=columns
    )
    for name in columns:
        check_column(frame, name, "--text", what)
    check_test_targets(frame, targets, test if isinstance(test, str | Path) else None)
    frame = checked_texts(frame, columns, what, drop_empty, from_file=isinstance(test, str | Path))
    texts = joined(frame, columns, what).tolist()
    return texts, frame[targets[0]] if len(targets) == 1 else frame[targets]


def _named(text_col: Any) -> list[str]:
    """Every column name ``text_col`` may mean (``"a,b"``: that column, or ``a`` and ``b``), read as written."""
    if isinstance(text_col, str):
        return [text_col, *(part.strip() for part in text_col.split(","))]
    return [name for name in text_col if isinstance(name, str)] if isinstance(text_col, Sequence) else []


def _loader(
    recipe: TextRecipe,
    task: Task,
    texts: list[str],
    labels: Any,
    split: str,
    batch_size: int,
    batch_format: str,
    seed: int,
    n_workers: int | None,
    reading: ReadingProgress | None = None,
    tokens: list[list[str]] | None = None,
) -> TextLoader:
    """The loader of one split: shuffled training batches of ``batch_size``, four times larger ones elsewhere.
    The training split's longest text, in the tokens the model reads of it, is kept in the recipe
    (:data:`~trainwell.text.recipe.LONGEST_TRAINED`): a prediction says when a text is far longer."""
    ids, offsets, lengths = _encoded(recipe, texts, n_workers, reading, tokens)
    if split == "train" and len(lengths):
        read = lengths if recipe.max_len is None else np.minimum(lengths, recipe.max_len)
        recipe.extra[LONGEST_TRAINED] = int(read.max())
    encoded = _encode(task, labels, split)
    training = split == "train"
    return TextLoader(
        ids,
        offsets,
        encoded,
        batch_size if training else batch_size * 4,
        batch_format=batch_format,
        shuffle=training,
        drop_last=training and len(texts) > batch_size,
        seed=seed,
        pad_id=recipe.pad_id,
    )


#: Texts tokenized at once at least, between two steps of the reading's progress line.
_TOKENIZED_AT_ONCE = 4096


def _encoded(
    recipe: TextRecipe,
    texts: list[str],
    n_workers: int | None,
    reading: ReadingProgress | None,
    tokens: list[list[str]] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:meth:`~trainwell.text.recipe.TextRecipe.encode_counted` of ``texts``, in up to 8 parts of at least
    :data:`_TOKENIZED_AT_ONCE` texts, each told to ``reading`` (the same ids: each text is encoded on its own)."""
    step = max(_TOKENIZED_AT_ONCE, math.ceil(len(texts) / 8))
    if reading is None or len(texts) <= step:
        encoded = recipe.encode_counted(texts, n_workers=n_workers, tokens=tokens)
        if reading is not None:
            reading.advance(len(texts))
        return encoded
    parts = []
    for start in range(0, len(texts), step):
        part = None if tokens is None else tokens[start : start + step]
        parts.append(recipe.encode_counted(texts[start : start + step], n_workers=n_workers, tokens=part))
        reading.advance(len(parts[-1][2]))
    ids = np.concatenate([part[0] for part in parts])
    ends = np.cumsum([len(part[0]) for part in parts])
    offsets = np.concatenate(
        [parts[0][1][:1], *(part[1][1:] + (ends[i - 1] if i else 0) for i, part in enumerate(parts))]
    )
    return ids, offsets, np.concatenate([part[2] for part in parts])


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
        warn_unused_valid_marker(frame)
        return random_split(len(frame), valid_pct, seed)
    return np.arange(len(frame)), None


def _checked_labels(
    labels: pd.Series,
    target: str,
    train_rows: np.ndarray,
    valid_rows: np.ndarray | None,
    drawn: bool,
    what: str,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Leave out the rows of a single-label ``target`` without a label, with a warning (refuse a column of none);
    when the validation rows were ``drawn`` at random (not given), move rows so that every class has training
    rows (:func:`~trainwell.data.bundle.keep_classes_in_train`)."""
    from trainwell.data.io import labelled_rows

    labelled = labelled_rows(labels.to_frame(target), target, what).to_numpy()
    check_labels_present(labels[labelled], target, what)
    train_rows = train_rows[labelled[train_rows]]
    valid_rows = None if valid_rows is None else valid_rows[labelled[valid_rows]]
    if not drawn or valid_rows is None:
        return train_rows, valid_rows
    values = labels.tolist()
    if any(isinstance(value, list | tuple | set) for value in values):
        return train_rows, valid_rows
    return keep_classes_in_train(train_rows, valid_rows, values, what, unit="text")  # type: ignore[arg-type]


def _is_quantity(labels: Any, kind: str | None) -> bool:
    """Whether single-label ``labels`` are numbers to predict (``kind`` regression, or unset and some value not a
    whole number: a score of 3.7), not classes: integers are classes unless ``--task regression`` says so."""
    import pandas as pd

    if kind is not None or not isinstance(labels, pd.Series):
        return kind == "regression"
    present = labels.dropna()
    if not len(present) or not pd.api.types.is_numeric_dtype(present) or pd.api.types.is_bool_dtype(present):
        return False
    values = present.to_numpy(dtype=float)
    return bool(np.isfinite(values).all() and (values != np.round(values)).any())


def _warn_joined(labels: Any, name: str) -> bool:
    """Warn when single-label ``labels`` (a Series) join several labels in most cells (``drama|comedy``, ``2,5``)
    without ``label_delim`` (:func:`~trainwell.data.task.warn_joined_labels`); whether it warned."""
    import pandas as pd

    if not isinstance(labels, pd.Series) or any(
        isinstance(value, list | tuple | set) for value in labels.head(20)
    ):
        return False
    return warn_joined_labels(labels.dropna(), f"target '{name}'", "a text")


def labels_task(
    labels: Any, kind: str | None, label_delim: str | None, name: str, *, joined_said: bool = False
) -> Task:
    """The task of a text model's ``labels`` (a Series, or a DataFrame of several targets): whole numbers are
    classes, numbers some not whole a regression (:func:`_is_quantity`), one class refused; ``kind`` overrides.
    ``joined_said``: labels joined in a cell were warned of already, in the whole file (:func:`_warn_joined`)."""
    import pandas as pd

    if label_delim is not None and isinstance(labels, pd.Series):
        _refuse_labels_read_as_decimals(labels, label_delim, name)
    if label_delim is None and _is_quantity(labels, kind):
        return infer_task(labels, name=name, kind="regression")
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
        # drama|comedy without label_delim: each combination a class (said here: the kind is chosen below)
        if not joined_said:
            warn_joined_labels(present, f"target '{name}'", "a text")
        if len(present) == len(labels) and kind is None:
            distinct = present.map(str).nunique()
            kind = "binary" if distinct == 2 else "multiclass"  # integer labels are classes, never quantities
            warn_whole_number_classes(present, name, "texts")
    return infer_task(labels, name=name, kind=kind, label_delim=label_delim, joined_said=joined_said)


def _refuse_labels_read_as_decimals(labels: Any, label_delim: str, name: str) -> None:
    """Refuse ``labels`` of numbered classes (``27``, ``1,3,25``) some of which read as decimals (``4.27``): a
    reader took the cells ``4,27`` for numbers written with a decimal comma before ``label_delim`` split them
    (GoEmotions' folder fitted without the delimiter reaching its reader: 351 labels such as 0.1 and 11.26, and
    exit 0, tour60 #1)."""
    import re

    if label_delim not in (",", ";"):  # the decimal marks a reader may take the delimiter for
        return
    texts = [str(value) for value in labels.dropna() if isinstance(value, str | float | int)]
    numbered = re.compile(rf"[\d.]+(?:{re.escape(label_delim)}[\d.]+)*")
    if not texts or not all(numbered.fullmatch(text) for text in texts):
        return
    decimal = next((text for text in texts if re.fullmatch(r"\d+\.\d+", text)), None)
    if decimal is not None:
        raise DataError(
            f"target '{name}' numbers its labels, and some were read as numbers with a decimal comma "
            f"({decimal.replace('.', ',')!r} as {decimal}) before --label-delim {label_delim!r} split them: read "
            f"the file with the delimiter (trainwell fit FILE-OR-FOLDER --label-delim {label_delim!r}; Python: "
            "label_delim=) so that its cells stay labels"
        )


def _encode(task: Task, labels: Any, split: str) -> torch.Tensor:
    if split not in ("train", "training"):
        warn_unknown_labels(task, labels, f"{split} texts")
    try:
        return task.encode(labels)
    except DataError as error:
        raise DataError(f"{split} texts: {error}") from error


def _default_batch_size(n_texts: int) -> int:
    """64, or fewer for small sets so an epoch still has about 20 steps (at least 8)."""
    return int(min(64, max(8, 2 ** math.floor(math.log2(max(n_texts, 1) / 20)))))
