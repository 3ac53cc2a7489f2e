"""Build a DataBundle from a table: split, fit the recipe on training rows, encode, load."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import torch

from trainwell.core.errors import ConfigError, DataError
from trainwell.core.label_names import LabelNames
from trainwell.core.warn import warn
from trainwell.data.bundle import DataBundle, check_split_settings, choose_split
from trainwell.data.class_shares import class_shares
from trainwell.data.dates import data_row
from trainwell.data.fair_order import in_fair_order
from trainwell.data.fingerprint import RowSketch
from trainwell.data.io import check_columns, check_test_targets, labelled_rows, read_table
from trainwell.data.loader import TensorLoader
from trainwell.data.targets import (
    column_names,
    note_whole_number_regression,
    refuse_unusable_target_numbers,
    target_names,
)
from trainwell.data.task import Task, infer_task, warn_single_row_classes
from trainwell.data.text_cells import (
    held_out_missing_words,
    refuse_text_in_number_columns,
    refuse_text_in_number_target,
)
from trainwell.tabular._leakage import row_id_columns, warn_copied_rows
from trainwell.tabular.recipe import (
    _ID_MIN_ROWS,
    MIN_CATEGORY_COUNT,
    TabularRecipe,
    _is_integer_id,
    _is_text,
    check_min_category_count,
)


def default_batch_size(n_rows: int) -> int:
    """About a hundred batches per epoch, as a power of two between 32 and 512."""
    return int(min(512, max(32, 2 ** round(math.log2(max(n_rows, 1) / 100)))))


def tabular_data(
    source: pd.DataFrame | str | Path,
    target: str | Sequence[str],
    *,
    valid_pct: float = 0.2,
    valid_col: str | None = None,
    splits: tuple[Sequence[int], Sequence[int]] | None = None,
    test: pd.DataFrame | str | Path | None = None,
    cat_names: Sequence[str] | None = None,
    cont_names: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    task: str | None = None,
    label_delim: str | None = None,
    label_names: LabelNames | None = None,
    positive: Any = None,
    batch_size: int | None = None,
    seed: int = 0,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    date_formats: Mapping[str, str] | None = None,
    min_category_count: int = MIN_CATEGORY_COUNT,
    names: Sequence[str] | None = None,
    like: DataBundle | None = None,
) -> TableBundle:
    """Everything a tabular Learner needs from a table, with the preprocessing fitted on training rows only.

    Args:
        source: a DataFrame, a path to a CSV/TSV/Parquet file, or a folder of splits as ``trainwell fit`` reads
            it (:func:`~trainwell.data.splits.table_source`: ``titanic/``'s ``train.csv.gz``, with its
            ``test.csv.gz`` as ``test`` when none is given; shards joined; a validation split as the validation rows).
        target: the column(s) to predict. The task is inferred from them unless ``task`` is given.
        valid_pct: share of rows held out for validation (random, seeded) when neither ``valid_col`` nor
            ``splits`` is given.
        valid_col: a column marking validation rows (true/1/"valid"); it is not used as an input.
        splits: explicit ``(train_indices, valid_indices)`` (positions, not labels).
        test: an optional labelled held-out table (used only when asked for).
        cat_names, cont_names: declare column types instead of inferring them (a list of names; one name as a
            string is that column).
        ignore: columns never used as inputs (IDs, leaks); a list, or one name as a string.
        task: ``binary``, ``multiclass``, ``multilabel`` or ``regression`` to override inference.
        label_delim: for multi-label targets held as text, the separator between labels.
        label_names: names for the target's labels, shown and predicted in their place: a list naming the
            labels 0, 1, 2 ..., ``{label: name}``, or a file or a text as ``--label-names`` reads them
            (:func:`~trainwell.data.task.name_labels`).
        positive: a binary target's class that its probability, F1, precision and recall are of (default: the
            later in sorted order, unless one label negates the other: ``churn`` of ``churn``/``no churn``).
        batch_size: rows per training batch (default: about 100 batches per epoch).
        seed: controls the split, the shuffling and nothing else.
        encoding: text encoding of CSV/TSV/JSON files (``source`` and ``test``), e.g. ``"cp1252"`` for a table
            Excel saved on Windows, or ``"latin-1"``; never guessed.
        encoding_errors: ``"replace"`` reads a byte ``encoding`` cannot decode as U+FFFD instead of stopping
            (``"strict"``).
        date_formats: date columns read in a given format, ``{"sold": "DD/MM/YYYY"}``; ``{"*": ...}`` prefers
            a format for every date column it reads (see :meth:`TabularRecipe.fit`).
        min_category_count: fewest training rows a category value needs for a code of its own (3); rarer
            values share one code with the values prediction meets that training never saw, so that code is
            trained (see :mod:`trainwell.tabular.recipe`). 1 keeps every value.
        names: the names of every column, in order, of a CSV/TSV ``source`` (and ``test``) without a header row
            (UCI's ``adult.data``); its first line is then a row of data.
        like: a bundle of :func:`tabular_data` whose preprocessing and task are taken as they are instead of
            fitted on these rows: the next task of continual learning, more rows for a Learner trained on the
            first (``learn.data = tabular_data(rows, target, like=learn.data)``), read by the model as it read
            those; a label it does not know is refused.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"x": range(100), "colour": ["red", "blue"] * 50, "y": [0, 1] * 50})
        >>> tabular_data(df, target="y").task.kind
        'binary'
    """
    # One name as a string is that column, as target= takes it (not its letters: 'S', 'e', 'x').
    cat_names = column_names(cat_names, "cat_names")
    cont_names = column_names(cont_names, "cont_names")
    ignore = column_names(ignore, "ignore")
    _check_settings(valid_pct, valid_col, splits, batch_size)
    _check_like(like, cat_names=cat_names, cont_names=cont_names, task=task, label_names=label_names,
                positive=positive, date_formats=date_formats)  # fmt: skip
    check_min_category_count(min_category_count)
    _check_source(source, target)
    if not isinstance(source, pd.DataFrame):  # a folder of splits (titanic/), read as trainwell fit reads it
        from trainwell.data.splits import table_source

        found = table_source(
            source,
            target_names(target),
            test_given=test is not None,
            valid_col=valid_col,
            valid_given=splits is not None,
            names=names,
            encoding=encoding,
            encoding_errors=encoding_errors,
        )
        if found is not None:
            source, test, valid_col, names = found.data, found.test or test, found.valid_col, found.names
    name = str(source) if not isinstance(source, pd.DataFrame) else "the table"

    def table(given: str | Path | pd.DataFrame) -> pd.DataFrame:
        """The training or test data as a frame: a DataFrame as given, a file read as the training file is."""
        if isinstance(given, pd.DataFrame):
            return given
        return read_table(
            given,
            names=names,
            encoding=encoding,
            encoding_errors=encoding_errors,
            as_written=_labels_as_written(target, label_delim),
        )

    df = table(source)
    repeated = df.columns[df.columns.duplicated()]
    if len(repeated):  # a file's repeated header is refused as it is read; a DataFrame's only here
        raise DataError(
            f"{name} names the column {str(repeated[0])!r} twice; give each column a name of its own "
            "(df.columns = [...])"
        )
    if names is None and not isinstance(source, pd.DataFrame):  # those a C4.5 .names file beside it declares
        names = df.attrs.get("header_names")
    targets = target_names(target)
    if len(df) == 0:
        raise DataError(f"{name} has no rows")
    check_columns(df, targets, name, "--target")
    both = next((name for name in ignore or [] if name in targets), None)
    if both is not None:  # it was dropped from the inputs as asked, and trained on as the target in silence
        raise ConfigError(f"column '{both}' is in both --target and --ignore; give it one role")
    excluded = [*targets, *(ignore or [])]
    if valid_col is not None:
        check_columns(df, [valid_col], name, "--valid-col")
        excluded.append(valid_col)
    n_inputs = len([c for c in df.columns if c not in excluded])
    if n_inputs == 0:
        raise DataError(f"{name} has no input columns besides the target {targets}; add feature columns")
    if n_inputs >= len(df):
        raise DataError(
            f"{name} has {n_inputs} input columns but only {len(df)} rows; a model cannot learn from fewer rows "
            "than columns. Collect more rows or drop columns (--ignore)"
        )
    labelled = labelled_rows(df, targets, name, label_delim=label_delim).to_numpy()
    if like is None and len(targets) == 1 and label_delim is None:
        refuse_text_in_number_target(df[targets[0]], labelled, targets[0], task)
    target_values: Any = df[targets[0]] if len(targets) == 1 else df[targets]
    if like is not None and list(like.task.target_names) != targets:
        raise ConfigError(
            f"like= holds data predicting {', '.join(like.task.target_names)}, not {', '.join(targets)}; pass the "
            "same target, or leave like= out"
        )
    resolved = (
        like.task
        if like is not None
        else infer_task(
            target_values[labelled],
            name=targets[0],
            kind=task,
            label_delim=label_delim,
            label_names=label_names,
            positive=positive,
        )
    )
    refuse_unusable_target_numbers(df, targets, labelled, resolved)
    if like is None and task is None and resolved.kind == "regression" and len(targets) == 1:
        note_whole_number_regression(df[targets[0]][labelled], targets[0])
    if like is None:
        _check_target_and_inputs(df, resolved, labelled, excluded, cat_names, cont_names, date_formats, name)
    train_index, valid_index = choose_split(
        df, valid_pct=valid_pct, valid_col=valid_col, splits=splits, seed=seed
    )
    train_index, valid_index = train_index[labelled[train_index]], valid_index[labelled[valid_index]]
    if len(train_index) < 2:
        raise DataError(
            f"{name} leaves {len(train_index)} training row(s) after the validation split; at least 2 are needed. "
            "Use more rows or a smaller validation share"
        )
    if splits is None:
        # The validation rows in a fair order (every prefix holds each class in proportion; numbers and label
        # sets shuffled): a budget's capped pass reads the first batches, which in the file's order could be one
        # class. valid_index and the rows kept follow it, so each prediction still names its row; rows placed by
        # splits= (cross-validation's folds) keep the order given.
        classes = len(targets) == 1 and resolved.kind in ("binary", "multiclass")
        valid_index = in_fair_order(valid_index, df[targets[0]].tolist() if classes else None, seed)
    train_df, valid_df = df.iloc[train_index], df.iloc[valid_index]
    if like is None and len(valid_df):
        say_unknown_labels(resolved, valid_df, "the validation rows", "the validation scores")
    row_ids = _row_ids(train_df, excluded, cat_names, cont_names, date_formats) if like is None else {}
    recipe = (
        cast(TabularRecipe, like.recipe)
        if like is not None
        else TabularRecipe.fit(
            train_df,
            target=targets,
            cat_names=cat_names,
            cont_names=cont_names,
            ignore=[*(c for c in excluded if c not in targets), *row_ids],
            source=name,
            date_formats=date_formats,
            min_category_count=min_category_count,
            read_rows=train_index,
        )
    )
    recipe.dropped.update(row_ids)  # what `trainwell info` says of them: not "left out as asked"
    if like is not None:
        check_columns(df, recipe.columns, name, "like= (the columns its data was read from)")
    else:
        _read_held_out_words(recipe, df, cont_names)
    if recipe.n_cat + recipe.n_cont == 0:
        raise DataError(
            f"{name}: every input column was dropped ({recipe.dropped}); nothing is left to learn from"
        )
    leaks: list[str] = []
    if len(targets) == 1:
        leaks += warn_leaks(train_df, [*recipe.cat_names, *recipe.cont_names], targets[0], resolved)
        for column, word, label, held in leaking_words(train_df, recipe.words, targets[0], resolved):
            leaks.append(column)
            where = (
                f"on exactly the rows whose {targets[0]} is '{label}'"
                if held
                else f"on every row but those whose {targets[0]} is '{label}'"
            )
            warn(
                f"column '{column}' holds the word '{word}' {where} (training rows): if the column is not known when "
                f"predicting (a file path naming the label), it leaks the answer and the scores will flatter the "
                f"model; drop it with --ignore {column} (Python: ignore=['{column}'])",
                UserWarning,
            )
    warn_copied_rows(
        df, train_index, valid_index, [*recipe.columns, *targets], name, targets=targets, skip=[valid_col]
    )
    if not isinstance(source, pd.DataFrame):  # what the data's own description says leaks (bank's duration)
        from trainwell.data.documented import warn_documented_leaks

        leaks += warn_documented_leaks(Path(source), [*recipe.cat_names, *recipe.cont_names])
    bs = default_batch_size(len(train_df)) if batch_size is None else int(batch_size)
    # Batch norm cannot train on a batch of one row: drop a last partial batch when there is more than one.
    train = TensorLoader(
        _encode(recipe, resolved, train_df, name, train_index),
        bs,
        shuffle=True,
        drop_last=len(train_df) > bs,
        seed=seed,
    )
    # Which rows trained the model, sketched, so a report on training rows can say so (data.fingerprint).
    train.rows_sketch = RowSketch.of(train_df, [*recipe.columns, *targets])  # type: ignore[attr-defined]
    train.input_ranges = _input_ranges(recipe, train_df)  # type: ignore[attr-defined]
    shares = class_shares(resolved, train.tensors[-1])  # the constant answer a model could know in advance
    if shares is not None:
        train.class_shares = shares  # type: ignore[attr-defined]
    if names is not None and not isinstance(source, pd.DataFrame):  # kept: predict reads files like it alike
        train.header_names = list(names)  # type: ignore[attr-defined]
    valid = (
        TensorLoader(_encode(recipe, resolved, valid_df, name, valid_index), max(bs * 4, 1024))
        if len(valid_df)
        else None
    )
    test_loader = None
    if test is not None:
        test_df = table(test)
        check_test_targets(test_df, targets, None if isinstance(test, pd.DataFrame) else test)
        where = "the test table" if isinstance(test, pd.DataFrame) else f"the test data {test}"
        kept = labelled_rows(test_df, targets, where, label_delim=label_delim, left_out_of="the test scores")
        test_df = test_df[kept.to_numpy()]
        say_unknown_labels(resolved, test_df, where, "the test scores")
        try:
            encoded = _encode(recipe, resolved, test_df, "the test table", np.flatnonzero(kept.to_numpy()))
        except DataError as error:  # which table holds the unknown labels: the training data is fine
            where = "the test table" if isinstance(test, pd.DataFrame) else f"the test data '{test}'"
            raise DataError(f"{where}: {error}") from None
        test_loader = TensorLoader(encoded, max(bs * 4, 1024))
    hints = {"cardinalities": recipe.cardinalities, "n_cont": recipe.n_cont, "n_out": resolved.n_outputs}
    if resolved.kind == "regression":
        y = train.tensors[-1].reshape(len(train_df), -1)
        hints["target_mean"] = y.mean(0).tolist()
        hints["target_std"] = y.std(0).clamp_min(1e-6).nan_to_num(1.0).tolist()
        if like is not None:  # the model's scaling of the target is the first data's
            hints["target_mean"], hints["target_std"] = (
                like.model_hints["target_mean"],
                like.model_hints["target_std"],
            )
    # show_batch's, and beside top losses: held-out rows as read, up to a size whose copy costs little beside the
    # tensors. Each keeps its index in the source (a DataFrame's own labels; a file's rows from 0), so a top loss
    # (its position in the split) leads back to its row: data.rows["valid"].index[top.index].
    shown = {"train": train_df.head(SHOWN_TRAINING_ROWS)}
    if valid is not None and len(valid_df) <= SHOWN_HELD_OUT_ROWS:
        shown["valid"] = valid_df
    if test_loader is not None and len(test_df) <= SHOWN_HELD_OUT_ROWS:
        shown["test"] = test_df
    return TableBundle(
        resolved,
        train,
        valid,
        test_loader,
        recipe,
        "tabular",
        hints,
        leaks=tuple(dict.fromkeys(leaks)),
        rows=shown,
        train_index=train_index,
        valid_index=valid_index,
    )


@dataclass(repr=False)
class TableBundle(DataBundle):
    """The DataBundle :func:`tabular_data` builds, with the rows of the table behind each split (as
    :func:`~trainwell.data.tensor_data`'s bundle has them): to score another model on exactly the same split
    (``df.iloc[data.valid_index]``), which before had to be rebuilt by hand with ``valid_col=``.

    Attributes:
        train_index: the positions (0 for the first row) in the table as read of the training rows, in the
            training tensors' order.
        valid_index: those of the validation rows, in the validation loader's order (empty without
            validation rows): the validation loader's row ``i`` is ``df.iloc[data.valid_index[i]]``. Rows
            without a target are in neither. A drawn or marked validation set is in a fair order (each class
            in proportion in every prefix, :func:`~trainwell.data.fair_order.fair_order`), not the table's;
            one placed by ``splits=`` in the order given.
    """

    train_index: np.ndarray | None = None
    valid_index: np.ndarray | None = None


def _labels_as_written(target: Any, label_delim: str | None) -> list[str]:
    """The target column a file's reader keeps as written: labels separated by ``label_delim`` (``0,1`` is the
    labels '0' and '1', where a TSV's decimal commas read it as the number 0.1)."""
    return target_names(target) if label_delim is not None else []


def _check_target_and_inputs(
    df: pd.DataFrame,
    task: Task,
    labelled: np.ndarray,
    excluded: Sequence[str],
    cat_names: Sequence[str] | None,
    cont_names: Sequence[str] | None,
    date_formats: Mapping[str, str] | None,
    source: str,
) -> None:
    """Warn of a target that looks like an ID or has classes seen in a single row, and refuse an inferred input
    column of numbers with cells of text in it (:mod:`trainwell.data.text_cells`), before anything is fitted."""
    if len(task.target_names) == 1:
        target = task.target_names[0]
        warn_single_row_classes(task, df[target], labelled)
        if task.kind == "regression" and _is_integer_id(df[target][labelled], target):
            warn(
                f"target '{target}' looks like an ID (named like one, with a different whole number in (almost) "
                "every row): the other columns cannot tell it, so the model and its scores mean nothing; pick "
                "another --target",
                UserWarning,
            )
    if cat_names is not None and cont_names is not None:
        return  # only the declared columns are read
    declared = {*excluded, *(cat_names or []), *(cont_names or []), *(date_formats or {})}
    refuse_text_in_number_columns(df, [c for c in df.columns if c not in declared], source)


def _row_ids(
    train_df: pd.DataFrame,
    excluded: Sequence[str],
    cat_names: Sequence[str] | None,
    cont_names: Sequence[str] | None,
    date_formats: Mapping[str, str] | None,
) -> dict[str, str]:
    """The inferred input columns that name each training row (:func:`~trainwell.tabular._leakage.row_id_columns`:
    ``p17, p18, ...``), each with the reason it is left out of the inputs, said in one line: as a category a model
    memorises them (a table of 40 rows read its ``pid`` as an input). Those the recipe leaves out itself (text of a
    different value in most of over 50 rows, a whole number named like an ID there) are left to it; a column the
    user declared (``cat_names``, ``cont_names``) is kept."""
    if cat_names is not None and cont_names is not None:
        return {}
    declared = {*excluded, *(cat_names or []), *(cont_names or []), *(date_formats or {})}
    candidates = [
        column
        for column in train_df.columns
        if column not in declared
        and not (len(train_df) > _ID_MIN_ROWS and _is_text(train_df[column]))
        and not _is_integer_id(train_df[column], str(column))
    ]
    found = {}
    for column, what in row_id_columns(train_df, candidates).items():
        flag = "cont-names" if pd.api.types.is_numeric_dtype(train_df[column].dtype) else "cat-names"
        found[column] = (
            f"{what}: an ID, which as an input only lets the model memorise the training rows; pass --{flag} {column} "
            f"(Python: {flag.replace('-', '_')}=[{column!r}]) to keep it"
        )
        warn(f"column '{column}' left out of the inputs: {found[column]}", UserWarning)
    return found


def _read_held_out_words(recipe: TabularRecipe, df: pd.DataFrame, cont_names: Sequence[str] | None) -> None:
    """Read as missing the words among an inferred column's numbers that only rows outside the training rows
    hold, as the recipe reads those of the training rows (:func:`~trainwell.data.text_cells.held_out_missing_words`),
    saying so: one 'unknown' in a validation row was refused as text with that row misnumbered."""
    inferred = [column for column in recipe.cont_names if column not in (cont_names or [])]
    for column, words in held_out_missing_words(df, inferred, recipe.missing_words).items():
        recipe.missing_words[column] = [*recipe.missing_words.get(column, []), *words]
        text = df[column].astype(str).str.strip()
        first = int(np.flatnonzero(text.isin(words).to_numpy())[0])
        counts = {word: int((text == word).sum()) for word in words}
        said = ", ".join(
            f"{word!r} ({count} row{'s' if count > 1 else ''})" for word, count in counts.items()
        )
        warn(
            f"column '{column}' holds numbers but for {said} outside the training rows (the first: "
            f"{data_row(df[column], first)}), read as missing; pass it in --cat-names (Python: cat_names=[{str(column)!r}]) to read "
            "every value as a category instead",
            UserWarning,
        )


def _check_like(like: DataBundle | None, **given: Any) -> None:
    """Refuse ``like=`` that is no table's bundle, or beside settings it fixes (the columns' roles, the task)."""
    if like is None:
        return
    if not isinstance(like, DataBundle) or like.application != "tabular":
        raise ConfigError(
            f"like= takes a bundle of tabular_data (learn.data of a table's Learner), got {type(like).__name__}"
        )
    set_too = [name for name, value in given.items() if value is not None]
    if set_too:
        raise ConfigError(
            f"like= takes the columns' roles and the task from its data; drop {', '.join(f'{n}=' for n in set_too)}"
        )


#: Training rows a table's DataBundle keeps as read, for ``data.show_batch()``.
SHOWN_TRAINING_ROWS = 64
#: Held-out rows a table's DataBundle keeps as read (``data.rows``) at most; a larger split keeps none, and top
#: losses then name rows by number (``plot_top_losses(rows=...)`` takes them).
SHOWN_HELD_OUT_ROWS = 200_000
#: Fewer training rows than this, and a column deciding the target could be chance: no leak warning.
LEAK_MIN_ROWS = 50


def leaking_columns(df: pd.DataFrame, columns: Sequence[str], target: str, task: Task) -> list[str]:
    """The input columns that alone decide ``target`` on the rows of ``df``: for classes, a column whose every
    value goes with one class and whose values, in order, change class no more often than there are classes
    (one threshold per class boundary: a score with a cut-off, a rating turned into a label); for a number, a
    column that is almost exactly a straight-line function of it (correlation 0.999 or more)."""
    if len(df) < LEAK_MIN_ROWS or task.kind not in ("binary", "multiclass", "regression"):
        return []
    y = df[target]
    found = []
    for column in columns:
        values = df[column]
        present = values.notna() & y.notna()
        x, labels = values[present], y[present]
        if len(x) < LEAK_MIN_ROWS or x.nunique() < 2:
            continue
        if task.kind == "regression":
            numbers = pd.to_numeric(x, errors="coerce")
            target_numbers = pd.to_numeric(labels, errors="coerce")
            spread = numbers.notna().all() and numbers.std() > 0 and target_numbers.std() > 0
            if spread and abs(float(numbers.corr(target_numbers))) >= 0.999:
                found.append(column)
            continue
        numeric = pd.api.types.is_numeric_dtype(x)
        if labels.nunique() < 2 or (not numeric and x.nunique() > len(x) / 5):
            continue  # categories of a few rows each can all agree with the class by chance
        per_value = labels.groupby(x, sort=True, observed=True).agg(["nunique", "first"])
        if (per_value["nunique"] > 1).any():
            continue
        if numeric:
            runs = int((per_value["first"] != per_value["first"].shift()).sum())
            if runs > labels.nunique():  # classes interleave along the values: no threshold rule
                continue
        found.append(column)
    return found


def warn_leaks(df: pd.DataFrame, columns: Sequence[str], target: str, task: Task) -> list[str]:
    """Warn, once per column, about inputs that alone decide the target (:func:`leaking_columns`): a perfect
    validation score from a column the model will not have when it predicts is the commonest way to fool
    oneself. Returns those columns."""
    found = leaking_columns(df, columns, target, task)
    for column in found:
        rule = (
            "each of its values goes with one class"
            if task.kind != "regression"
            else "it is the target, scaled"
        )
        warn(
            f"column '{column}' alone decides '{target}' on the training rows ({rule}): if it is not known when "
            f"predicting, it leaks the answer and the scores will flatter the model; drop it with --ignore {column}"
            f" (Python: ignore=['{column}'])",
            UserWarning,
        )
    return found


def leaking_words(
    df: pd.DataFrame, words: Mapping[str, Sequence[str]], target: str, task: Task
) -> list[tuple[str, str, str, bool]]:
    """``(column, word, class, held)`` for each text column read as words (:mod:`trainwell.tabular.words`) with a
    word that alone decides a class of ``target`` on the rows of ``df``: the rows holding it (``held``), or the
    rows without it, are exactly the rows of that class (a file path ``train/pos/123_9.txt`` beside the label
    ``pos``)."""
    from trainwell.tabular.words import word_flags

    if len(df) < LEAK_MIN_ROWS or task.kind not in ("binary", "multiclass"):
        return []
    labels = df[target].astype(str).where(df[target].notna())
    present = labels.notna().to_numpy()
    kept = labels[present].to_numpy()
    found = []
    for column, chosen in words.items():
        flags = word_flags(df[column], chosen)[present] > 0
        for position, word in enumerate(chosen):
            held = flags[:, position]
            if held.all() or not held.any():
                continue
            inside, outside = set(kept[held]), set(kept[~held])
            if len(inside) == 1 and inside.isdisjoint(outside):
                found.append((column, word, next(iter(inside)), True))
                break
            if len(outside) == 1 and outside.isdisjoint(inside):
                found.append((column, word, next(iter(outside)), False))
                break
    return found


def _check_source(source: Any, target: Any) -> None:
    """Refuse, before anything is read, a source that is neither a table file's path nor a DataFrame, and a
    missing target (a ``TypeError`` from deep inside said neither)."""
    if not isinstance(source, (pd.DataFrame, str, os.PathLike)):
        array = (
            " (an array: pd.DataFrame(array, columns=[...]) names its columns)"
            if hasattr(source, "shape")
            else ""
        )
        raise DataError(
            f"source must be a table file's path or a pandas DataFrame, got {type(source).__name__}{array}"
        )
    target_names(target)


def _check_settings(valid_pct: float, valid_col: str | None, splits: object, batch_size: int | None) -> None:
    """Refuse bad settings before the table is read, so a mistake costs nothing."""
    # The tabular model normalises each layer over the batch, which needs at least two rows.
    given_split = valid_col is not None or splits is not None  # valid_pct is not read then
    check_split_settings(
        0.2 if given_split else valid_pct,
        batch_size,
        fewest_rows=2,
        why="batch normalisation needs two rows per batch",
    )


def _encode(
    recipe: TabularRecipe, task: Task, df: pd.DataFrame, source: str, read_rows: np.ndarray
) -> tuple[torch.Tensor, ...]:
    """The split's rows as tensors; ``read_rows`` (their positions in the table as read) numbers a row an error
    names as the user's file numbers it."""
    # Lenient: the fit warned about unread dates.
    x_cat, x_cont = recipe.transform(df, source=source, lenient=True, read_rows=read_rows)
    names = list(task.target_names)
    values: Any = df[names[0]] if len(names) == 1 else df[names]
    return x_cat, x_cont, task.encode(values)


def say_unknown_labels(task: Task, frame: pd.DataFrame, where: str, scores: str) -> str:
    """Say, in one line, which labels of a multi-label target held-out rows hold that no training row does, and on
    how many rows: the model has no output for them, so they are dropped from ``scores``, which then count no miss
    for them (a test file's label 'zebra' on 12 of 60 rows left its figures flattering, and nothing said so).
    Returns the line said (``""``: none)."""
    from trainwell.data.task import unknown_labels

    if task.kind != "multilabel" or len(task.target_names) != 1 or not len(frame):
        return ""
    values = frame[task.target_names[0]]
    unknown = unknown_labels(task, values)
    if not unknown:
        return ""
    import re

    # The rows holding one: checked one by one among those whose text names one (a few, not every row).
    named = values.astype(str).str.contains("|".join(re.escape(label) for label in unknown), regex=True)
    held = sum(bool(unknown_labels(task, values.iloc[[row]])) for row in np.flatnonzero(named.to_numpy()))
    shown = ", ".join(f"'{label}' ({n} row{'' if n == 1 else 's'})" for label, n in list(unknown.items())[:5])
    more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
    them = "it" if len(unknown) == 1 else "them"
    line = (
        f"{where}: {len(unknown)} label{'' if len(unknown) == 1 else 's'} no training row holds: {shown}{more}, on "
        f"{held:,} of its {len(values):,} rows; the model has no output for {them}, so {scores} leave {them} out, "
        f"counting no miss for {them}, and flatter the model on those rows: train on rows that hold {them} to "
        f"judge {them}"
    )
    warn(line, UserWarning)
    return line


def _input_ranges(recipe: TabularRecipe, train_df: pd.DataFrame) -> dict[str, list[float]]:
    """Each continuous input's smallest and largest training value, as the model reads the column (its words for
    missing aside): kept in ``trainwell.json`` (``training.input_ranges``) for a served model's GET /metadata,
    which otherwise had only the far wider range the server accepts (a million standard deviations)."""
    from trainwell.tabular.recipe import _TEXT_IN_NUMBERS, _masked, _to_numbers

    ranges = {}
    for name in recipe.cont_names:
        if name in train_df.columns:
            read = _to_numbers(
                _masked(train_df[name], recipe.missing_words.get(name)), name, _TEXT_IN_NUMBERS
            )
            numbers = read[np.isfinite(read)]
            if len(numbers):
                ranges[name] = [float(numbers.min()), float(numbers.max())]
    return ranges
