"""The fitted preprocessing of a table: category vocabularies, fill values and normalisation statistics.

A :class:`TabularRecipe` is fitted on the training rows only and is plain data, so it can be saved as JSON in
an artifact and applied identically in training, evaluation, export and serving.

Encoding rules, fixed here so every stage agrees:

- **Categorical inputs** map each value to an index. Index 0 is reserved for missing values; the training
  vocabulary ``categories[col]`` takes indices 1, 2, ... in its stored order. A value seen in fewer than
  ``min_category_count`` training rows (3 by default) is left out of the vocabulary: when a column has such rare
  values (``rare[col]`` counts them), they share the index after the vocabulary's, ``len(categories[col]) + 1``,
  with every value not seen in training. That index is trained on the rare values, so a new ticket number or
  postcode at prediction time reads as "a rare value", not as an embedding row no training row ever reached
  (measured on Titanic: the MLP's held-out log loss 1.25 with every ticket its own category, 0.55 grouped;
  ``benchmarks/small_tables.py``). A column without rare values reads unseen values as missing (index 0).
  :attr:`TabularRecipe.cardinalities` gives the embedding rows each input needs.
- **Category keys are text.** A value is compared by its text form so that ``1`` and ``"1"`` (a CSV round trip,
  a JSON request) are the same category. Whole floats are written without the fraction (``3.0`` is ``"3"``,
  matching an integer column that picked up a missing value); other floats use Python's shortest ``repr``
  (``0.5`` is ``"0.5"``), so the text ``"3.0"`` is *not* the float ``3.0``. Booleans are ``"True"``/``"False"``.
- **Continuous inputs** are converted to numbers, missing values are filled with the training median, and the
  result is standardised with the training mean and (population) standard deviation of the filled column; a
  constant column gets a standard deviation of 1.
- **Missing-value indicators.** Each continuous column that had a missing value in training gets an extra
  categorical input ``"<col>_na"`` (1 = present, 2 = missing; 0 is never produced), computed before filling.
- **Date columns** (a datetime column, or text whose every value is a date in one of :data:`~trainwell.data.dates.DATE_FORMATS`) are
  parsed with the format found in training and split into parts named ``"<col>_<part>"``: ``month``, ``day``,
  ``day_of_week`` (and ``hour`` when the training dates have a time of day) are categorical inputs after the
  categorical columns; ``year``, ``day_of_year`` and ``elapsed_days`` (days since 1970-01-01, the trend) are
  continuous inputs after the continuous columns, with the continuous rules above (a missing date is missing
  in every part). Zoned times are read in UTC.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trainwell.core.artifact import check_stored_keys
from trainwell.core.errors import ConfigError, DataError
from trainwell.core.warn import warn
from trainwell.data.categories import category_counts, encode_categories, vocabulary_of
from trainwell.data.dates import (
    DATE_CAT_PARTS,
    DATE_CONT_PARTS,
    check_date_format,
    data_row,
    date_format_option,
    date_part_values,
    date_parts,
    day_month_twin,
    describe_date_format,
    find_date_format,
    parse_dates,
)
from trainwell.data.io import check_column_roles, list_columns
from trainwell.data.task import plain_value
from trainwell.tabular.words import WORDS_OF_FREE_TEXT, WORDS_PER_COLUMN, telling_words, word_flags

if TYPE_CHECKING:
    import torch

__all__ = ["TabularRecipe"]

NA_SUFFIX = "_na"
#: The reason recorded in ``TabularRecipe.dropped`` for a column passed in ``ignore``.
IGNORED_REASON = "left out as asked (--ignore or --valid-col)"
_STD_FLOOR = 1e-7
#: The largest standardised value the model's float32 inputs hold (beyond it: infinity, then NaN outputs).
_FLOAT32_MAX = float(np.finfo(np.float32).max)
# A text column with a different value in at least this share of rows (and more than _ID_MIN_ROWS rows) is
# an identifier or free text: as a category it would only teach the model to memorise rows.
_ID_FRACTION = 0.95
_ID_MIN_ROWS = 50
_PRESENT, _MISSING = 1, 2
# An integer column named like an identifier (PassengerId, user_id, "Unnamed: 0" from a saved index) with a
# different value in every row is a row label: as a number it only lets the model memorise rows. A later column
# with no name in its header ("Unnamed: 2") is no saved index: Adult's fnlwgt left unnamed was dropped as one.
# "__index_level_0__": the index pandas kept in a Parquet file (datasets on the Hub made from a DataFrame).
_ID_NAME = re.compile(
    r"(?:^|[_\W])(?:id|idx|index)$|^(?:id|idx)(?:[_\W]|$)|^unnamed: ?0$|^__index_level_\d+__$",
    re.IGNORECASE,
)
_CAMEL_ID = re.compile(r"[a-z0-9](?:Id|ID)$")
# Names that may be an ID (customerid, RowNumber) or a word (paid, valid): an ID only if it counts up.
_LOOSE_ID_NAME = re.compile(r"(?:[a-z]{4,}id|number|num|_no)$", re.IGNORECASE)
_ID_UNIQUE_SHARE = 0.99
#: Fewest training rows a category value needs for a code of its own (rarer values share the unseen values'
#: code). Measured with the MLP on held-out rows (3 seeds): on Titanic, 1 gave a log loss of 1.25, and 2, 3 and 5
#: gave 0.54-0.59; on a 2,000-row sample of Adult, 3 gave the lowest (0.358 against 0.374 for 1); on all of
#: Adult (32,561 rows) it changes nothing (0.2919 against 0.2917). See ``benchmarks/small_tables.py``.
MIN_CATEGORY_COUNT = 3


def check_min_category_count(value: object) -> None:
    """Refuse a ``min_category_count`` that is not a whole number of at least 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(
            f"min_category_count must be a whole number of rows, at least 1 (1 keeps every value), got "
            f"{value!r}; pass e.g. min_category_count=3"
        )


#: How the reason a column was left out as free text begins.
FREE_TEXT_REASON = "free text"


class NoInputColumns(DataError):
    """No column of the table is left to learn from; :attr:`free_text` names the columns left out as free text
    (what a text model reads: a table of reviews and their labels)."""

    def __init__(self, message: str, free_text: Sequence[str]) -> None:
        super().__init__(message)
        self.free_text = list(free_text)


@dataclass(repr=False)
class TabularRecipe:
    """Preprocessing of a table, fitted on training rows by :meth:`fit` and applied by :meth:`transform`.

    Attributes:
        cat_names: Categorical input columns, in the order of the categorical tensor's first columns.
        cont_names: Continuous input columns, in the order of the continuous tensor's columns.
        categories: Training vocabulary of each categorical column, as text keys; position ``i`` encodes as
            ``i + 1`` (0 is missing, and unseen where the column has no rare values).
        fill_values: Training median of each continuous column, used for its missing values.
        na_indicator_names: Continuous columns that had missing values in training; each adds the categorical
            input ``"<col>_na"`` after the ``cat_names`` columns.
        means: Mean of each continuous column after filling.
        stds: Population standard deviation of each continuous column after filling (1.0 when constant).
        target_names: The target columns, never used as inputs.
        dropped: Columns left out, with the reason: by inference (an ID, missing everywhere...) or because
            they were passed in ``ignore`` (:data:`IGNORED_REASON`).
        dates: Date columns and the format their text is parsed with (one of :data:`~trainwell.data.dates.DATE_FORMATS`, or ``""``
            for a column that was already of datetime type: text sent later is then read as ISO 8601).
        date_parts: The parts each date column is split into (see the module docstring); the parts' statistics
            live in ``categories``, ``fill_values``, ``means`` and ``stds`` under ``"<col>_<part>"``.
        rare: For each categorical input with values seen in fewer than ``min_category_count`` training rows,
            how many distinct such values were grouped: they and unseen values encode as
            ``len(categories[col]) + 1``.
        min_category_count: The fewest training rows a value needed for a code of its own when the recipe was
            fitted (1: every value kept; recipes written before rare values were grouped read as 1).
        words: Text columns with a different value in (almost) every row (a name, a description), read as the
            words of each that say most about the target (:mod:`trainwell.tabular.words`): one continuous
            input ``"<col>[<word>]"`` a word, 1 where the row holds it, standardised like any number.
        missing_words: Continuous columns written as text because a few cells hold a word among the numbers
            (``unknown``, ``-``, ``n.a.``), and those words, read as missing in training and prediction alike.
        most_frequent: The value each categorical input holds in the most training rows (of a tie, the first in
            ``categories``), as text: a typical row's value, as ``fill_values`` holds a typical number (the server's example
            request). Empty in a recipe written before it was recorded.

    Example:
        >>> frame = pd.DataFrame({"city": ["a", "b", "a", None, "a"], "area": [1.0, 2.0, None, 3.0, 2.0],
        ...                       "y": [0, 1, 0, 1, 1]})
        >>> recipe = TabularRecipe.fit(frame, target="y")
        >>> recipe.input_names, recipe.cardinalities, recipe.rare
        (['city', 'area_na', 'area'], [3, 3], {'city': 1})
        >>> categorical, continuous = recipe.transform(frame.assign(city=["a", "b", "z", None, "a"]))
        >>> categorical.tolist()  # "a": 1; the rare "b" and the unseen "z": 2; missing: 0
        [[1, 1], [2, 1], [2, 2], [0, 1], [1, 1]]
    """

    cat_names: list[str]
    cont_names: list[str]
    categories: dict[str, list[str]]
    fill_values: dict[str, float]
    na_indicator_names: list[str]
    means: dict[str, float]
    stds: dict[str, float]
    target_names: list[str] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)
    dates: dict[str, str] = field(default_factory=dict)
    date_parts: dict[str, list[str]] = field(default_factory=dict)
    rare: dict[str, int] = field(default_factory=dict)
    min_category_count: int = 1
    words: dict[str, list[str]] = field(default_factory=dict)
    missing_words: dict[str, list[str]] = field(default_factory=dict)
    most_frequent: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        from trainwell.core.reprs import dataclass_repr

        return dataclass_repr(
            self
        )  # a user id, an item, a word of the vocabulary each: cut to a few and a count

    @property
    def columns(self) -> list[str]:
        """The table columns the recipe reads: categorical, continuous, date, then text columns."""
        return [*self.cat_names, *self.cont_names, *self.dates, *self.words]

    @property
    def word_input_names(self) -> list[str]:
        """The inputs read from the text columns' words: ``"<col>[<word>]"``."""
        return [word_input(name, word) for name, words in self.words.items() for word in words]

    @property
    def date_cat_names(self) -> list[str]:
        """The categorical parts of the date columns, as model inputs (``"<col>_month"``...)."""
        return self._date_inputs(DATE_CAT_PARTS)

    @property
    def date_cont_names(self) -> list[str]:
        """The continuous parts of the date columns, as model inputs (``"<col>_year"``...)."""
        return self._date_inputs(DATE_CONT_PARTS)

    def _date_inputs(self, kinds: tuple[str, ...]) -> list[str]:
        return [
            f"{name}_{part}" for name, parts in self.date_parts.items() for part in parts if part in kinds
        ]

    @property
    def n_cat(self) -> int:
        """Number of categorical inputs: columns, date parts and missing-value indicators."""
        return len(self.cat_names) + len(self.date_cat_names) + len(self.na_indicator_names)

    @property
    def n_cont(self) -> int:
        """Number of continuous inputs: columns, date parts and words."""
        return len(self.cont_input_names)

    @property
    def cat_input_names(self) -> list[str]:
        """Names of the categorical tensor's columns: ``cat_names``, the categorical date parts, then the
        ``"<col>_na"`` indicators."""
        return [
            *self.cat_names,
            *self.date_cat_names,
            *(name + NA_SUFFIX for name in self.na_indicator_names),
        ]

    @property
    def cont_input_names(self) -> list[str]:
        """Names of the continuous tensor's columns: ``cont_names``, the continuous date parts, then the words of
        the text columns."""
        return [*self.cont_names, *self.date_cont_names, *self.word_input_names]

    @property
    def input_names(self) -> list[str]:
        """Names of all model inputs: the categorical tensor's columns, then the continuous tensor's."""
        return [*self.cat_input_names, *self.cont_input_names]

    @property
    def cardinalities(self) -> list[int]:
        """Embedding size needed by each categorical input: the reserved index 0, the vocabulary, and the shared
        index of rare and unseen values where the column has one."""
        named = [*self.cat_names, *self.date_cat_names]
        return [len(self.categories[name]) + 1 + (name in self.rare) for name in named] + [3] * len(
            self.na_indicator_names
        )

    def unknown_categories(self, df: pd.DataFrame) -> dict[str, dict[str, int]]:
        """For each categorical column of ``df``, the values the model has no code of its own for (new, or too
        rare in training to get one), with their row counts: read as missing, or as the column's rare values
        where it had some. Columns with none are left out."""
        from trainwell.data.categories import category_counts

        found: dict[str, dict[str, int]] = {}
        for name in self.cat_names:
            if name not in df.columns:
                continue
            known = set(self.categories[name])
            unknown = {key: count for key, count in category_counts(df[name]).items() if key not in known}
            if unknown:
                found[name] = dict(sorted(unknown.items(), key=lambda item: -item[1]))
        return found

    def unseen_code(self, name: str) -> int:
        """The index a value of categorical input ``name`` not in its vocabulary takes: the rare values' shared
        index, or 0 (as missing) when the column had no rare values."""
        return len(self.categories[name]) + 1 if name in self.rare else 0

    @classmethod
    def fit(
        cls,
        df: pd.DataFrame,
        *,
        target: str | Sequence[str],
        cat_names: Sequence[str] | None = None,
        cont_names: Sequence[str] | None = None,
        ignore: Sequence[str] | None = None,
        max_card: int = 20,
        source: str = "the training data",
        date_formats: Mapping[str, str] | None = None,
        min_category_count: int = MIN_CATEGORY_COUNT,
        read_rows: Sequence[int] | np.ndarray | None = None,
    ) -> TabularRecipe:
        """Fit the recipe on training rows.

        Columns not named in ``cat_names`` or ``cont_names`` are inferred: booleans, text and ``category``
        columns are categorical, except text whose values are all numbers, which is continuous; floats are
        continuous; integer columns are categorical with at most ``max_card`` distinct values, else continuous.
        When only one of the two lists is given, leftover integer columns go to the other kind instead (you
        said which columns are categorical, or which are continuous). Datetime columns, and text columns whose
        every value is a date in one format of :data:`~trainwell.data.dates.DATE_FORMATS`, are split into date parts. When both lists
        are given, only those columns are used. Inferred text columns with a different value in almost every row
        (an ID or free text), integer columns named like an ID with a different value in every row, and columns
        missing in every row are left out with a warning and recorded in :attr:`dropped`.

        Args:
            df: Training rows only; validation and test rows must not influence the statistics.
            target: The target column or columns, never used as inputs.
            cat_names: Columns to treat as categorical.
            cont_names: Columns to treat as continuous.
            ignore: Columns to leave out.
            max_card: Most distinct values for an integer column to be inferred as categorical.
            source: How to call ``df`` in error messages, usually its file name.
            date_formats: Date columns and their format (``{"sold": "DD/MM/YYYY"}``; strptime codes work too),
                read in that format instead of a found one; the key ``"*"`` gives a preferred format for every
                date column it reads (day-first dates whose days are all 12 or less, say).
            min_category_count: Fewest training rows a category value needs to keep a code of its own; rarer
                values share one code with the values prediction meets that training never saw (see the module
                docstring). 1 keeps every value.
            read_rows: When ``df`` is some rows of a larger table (the training rows of a split), the position
                of each in that table (from 0): a warning or error naming a row then names its data row in the
                user's file or DataFrame (:func:`~trainwell.data.dates.data_row`), not its place among ``df``'s.

        Returns:
            The fitted recipe.

        Raises:
            DataError: A named column does not exist, a declared continuous column holds text, or no inputs
                are left.
            ConfigError: ``max_card`` is negative, ``min_category_count`` below 1, or a column is named in two roles.
        """
        if isinstance(max_card, bool) or not isinstance(max_card, int) or max_card < 0:
            raise ConfigError(
                f"max_card must be a non-negative integer, got {max_card!r}; pass e.g. max_card=20"
            )
        check_min_category_count(min_category_count)
        if len(df) == 0:
            raise DataError(f"{source} has no rows; the recipe needs training rows to fit")
        targets = _unique([target] if isinstance(target, str) else list(target))
        ignored = _unique(ignore or [])
        declared = {"--cat-names": _unique(cat_names or []), "--cont-names": _unique(cont_names or [])}
        formats = {str(name): date_format_option(fmt) for name, fmt in (date_formats or {}).items()}
        preferred = formats.pop("*", None)
        roles = {"--target": targets, **declared, "--date-format": list(formats), "--ignore": ignored}
        check_column_roles(df, roles, source)
        for name, fmt in formats.items():
            check_date_format(df[name], fmt, name)
        _refuse_nested(df, {*targets, *ignored}, source)
        strays: dict[str, list[str]] = {}
        cats, conts, dates, dropped, texts = _choose_columns(
            df, targets, cat_names, cont_names, ignored, max_card, formats, preferred, strays
        )
        for name, found in strays.items():
            _warn_stray_words(df[name], name, found)
        for name, fmt in dates.items():
            twin = None if name in formats or fmt == preferred else day_month_twin(df[name], fmt)
            if twin is not None:
                warn(
                    f"every value of date column '{name}' reads as both {describe_date_format(fmt)} and "
                    f"{describe_date_format(twin)} (no day above 12); read as {describe_date_format(fmt)}. If the "
                    f"day comes first, pass --date-format {name}={describe_date_format(twin)}",
                    UserWarning,
                )
        if preferred is not None and preferred not in dates.values():
            warn(
                f"--date-format {describe_date_format(preferred)} read no column of {source}: no date column is in "
                "that form (trainwell info lists the date columns found and their forms)",
                UserWarning,
            )
        numbers = {
            name: _to_numbers(_masked(df[name], strays.get(name)), name, _DECLARED_TEXT, read_rows)
            for name in conts
        }
        for name in cats:
            if df[name].isna().all():
                dropped[name] = "missing in every training row"
        for name in conts:
            if np.isnan(numbers[name]).all():
                dropped[name] = "missing in every training row"
        parsed = {name: parse_dates(df[name], fmt, name) for name, fmt in dates.items()}
        for name, values in parsed.items():
            if values.isna().all():
                dropped[name] = "missing in every training row"
            else:
                _warn_unread_dates(df[name], values, dates[name], name, read_rows)
        cats = [name for name in cats if name not in dropped]
        conts = [name for name in conts if name not in dropped]
        dates = {name: fmt for name, fmt in dates.items() if name not in dropped}
        # The words of text columns are inputs beside others; a table of texts and labels alone is for a text
        # model (NoInputColumns below names it).
        words = _telling_words(df, texts, targets, dropped) if cats or conts or dates else {}
        for name, reason in dropped.items():
            if name in words:
                free = reason.startswith(FREE_TEXT_REASON)
                alone = f"; for a model of the text alone: --text {name}" if free else ""
                most = WORDS_OF_FREE_TEXT if free else WORDS_PER_COLUMN
                why = (
                    reason.split(":")[0].replace(" (", ", ", 1).removesuffix(")")
                )  # "free text, a median of..."
                warn(
                    f"column '{name}' is read as words, not categories ({why}): whether each row "
                    f"holds each of the words that tell most of the target (up to {most}; trainwell info "
                    f"lists them){alone}; --ignore {name} (Python: ignore=[{str(name)!r}]) leaves it out",
                    UserWarning,
                )
            elif cats or conts or dates or not reason.startswith(FREE_TEXT_REASON):
                # Free text and nothing else: the error below names it, and `trainwell fit` trains a text model
                # on it; "left out" would say the opposite of what happens.
                warn(f"column '{name}' left out of the inputs: {reason}", UserWarning)
        dropped = {name: reason for name, reason in dropped.items() if name not in words}
        if not cats and not conts and not dates:
            free_text = [name for name, reason in dropped.items() if reason.startswith(FREE_TEXT_REASON)]
            if len(free_text) == 1:
                fix = (
                    f" Column '{free_text[0]}' is free text, for a text model: pass --text {free_text[0]} (Python: "
                    f"text_data(source, target, text_col='{free_text[0]}'))."
                )
            elif free_text:
                fix = (
                    f" Columns {', '.join(free_text)} are free text, for a text model of each row's texts as one "
                    f"example: pass --text {','.join(free_text)} (Python: text_data(source, target, text_col={free_text!r}))."
                )
            else:
                fix = " Add feature columns."
            raise NoInputColumns(
                f"no input columns left in {source} besides the target {', '.join(targets)}; "
                f"columns are: {list_columns([str(c) for c in df.columns])}.{fix}",
                free_text,
            )
        # Columns the user left out are recorded too (no warning: they asked), so a served model accepts rows
        # that still hold them, as predict does.
        for name in ignored:
            dropped.setdefault(name, IGNORED_REASON)
        recipe = cls([], [], {}, {}, [], {}, {}, targets, dropped, min_category_count=min_category_count)
        recipe.missing_words = {name: found for name, found in strays.items() if name in conts}
        for name in cats:
            recipe.cat_names.append(name)
            recipe._add_categories(name, df[name], min_category_count)
        for name in conts:
            recipe.cont_names.append(name)
            recipe._add_continuous(name, numbers[name])
        for name, fmt in dates.items():
            recipe._add_date(df, name, fmt, parsed[name], source, min_category_count)
        for name, chosen in words.items():
            recipe._add_words(df, name, chosen, source)
        return recipe

    def _add_categories(self, name: str, values: pd.Series, min_count: int) -> None:
        """Record the vocabulary of a categorical input: the values seen in at least ``min_count`` rows, and how
        many rarer ones share the unseen values' code."""
        counts = category_counts(values)  # once: the vocabulary and the rare values both come from it
        self.categories[name] = vocabulary_of(counts, min_count)
        rare = len(counts) - len(self.categories[name])
        if rare:
            self.rare[name] = rare
        if self.categories[name]:  # max keeps the first of a tie, in the vocabulary's order
            self.most_frequent[name] = max(self.categories[name], key=counts.__getitem__)

    def _add_date(
        self, df: pd.DataFrame, name: str, fmt: str, parsed: pd.Series, source: str, min_count: int
    ) -> None:
        """Record a date column and fit its parts; the parts go after the plain columns of their kind."""
        parts = date_parts(parsed)
        clashes = [f"{name}_{part}" for part in parts if f"{name}_{part}" in df.columns]
        if clashes:
            raise DataError(
                f"date column '{name}' of {source} is split into parts named {name}_<part>, but "
                f"{', '.join(clashes)} is already a column; rename it, or pass '{name}' in --ignore"
            )
        self.dates[name] = fmt
        self.date_parts[name] = parts
        values = date_part_values(parsed, parts)
        for part in parts:
            derived = f"{name}_{part}"
            if part in DATE_CAT_PARTS:
                self._add_categories(derived, pd.Series(values[part]), min_count)
            else:
                # A missing date already shows as the missing code of its categorical parts.
                self._add_continuous(derived, values[part], indicator=False)

    def _add_words(self, df: pd.DataFrame, name: str, words: list[str], source: str) -> None:
        """Record a text column's words and fit each word's input (a missing cell holds no word)."""
        clashes = [word_input(name, word) for word in words if word_input(name, word) in df.columns]
        if clashes:
            raise DataError(
                f"text column '{name}' of {source} is read as words named {name}[<word>], but {', '.join(clashes)} "
                f"is already a column; rename it, or pass '{name}' in --ignore"
            )
        self.words[name] = list(words)
        flags = word_flags(df[name], words)
        for position, word in enumerate(words):
            self._add_continuous(
                word_input(name, word), flags[:, position].astype(np.float64), indicator=False
            )

    def _add_continuous(self, name: str, numbers: np.ndarray, *, indicator: bool = True) -> None:
        """Fit the fill value and the standardisation of a continuous input (a column or a date part), and
        its missing-value indicator when ``indicator`` and the training values have a gap."""
        missing = np.isnan(numbers)
        fill = float(np.median(numbers[~missing]))
        filled = np.where(missing, fill, numbers)
        std = float(filled.std())
        self.fill_values[name] = fill
        self.means[name] = float(filled.mean())
        self.stds[name] = std if std >= _STD_FLOOR else 1.0
        if indicator and missing.any():
            self.na_indicator_names.append(name)

    def transform(
        self,
        df: pd.DataFrame,
        *,
        allow_missing_columns: bool = False,
        source: str = "the data",
        lenient: bool = False,
        read_rows: Sequence[int] | np.ndarray | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Encode rows as model inputs: :meth:`transform_arrays`' arrays as tensors (no copy), which it takes
        and raises as."""
        import torch  # here: the ONNX predictor encodes with transform_arrays and never imports torch

        categorical, continuous = self.transform_arrays(
            df,
            allow_missing_columns=allow_missing_columns,
            source=source,
            lenient=lenient,
            read_rows=read_rows,
        )
        return torch.from_numpy(categorical), torch.from_numpy(continuous)

    def transform_arrays(
        self,
        df: pd.DataFrame,
        *,
        allow_missing_columns: bool = False,
        source: str = "the data",
        lenient: bool = False,
        read_rows: Sequence[int] | np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Encode rows as model inputs, in numpy (what :meth:`transform` and the ONNX predictor both read).

        Args:
            df: Rows holding the input columns; other columns are ignored.
            allow_missing_columns: Treat absent input columns as missing in every row instead of failing.
            lenient: Read a date that does not parse as missing instead of failing: for the training table's
                own rows, where :meth:`fit` accepted a few such values with a warning.
            source: How to call ``df`` in error messages.
            read_rows: When ``df`` is some rows of a larger table (a split's), the position of each in it (from
                0), so an error names the row's data row in that table (as :meth:`fit` takes it).

        Returns:
            ``(categorical, continuous)``: an ``int64`` array of shape ``(N, n_cat)`` and a ``float32``
            array of shape ``(N, n_cont)``.

        Raises:
            DataError: An input column is absent (unless allowed), or a continuous column holds text.
        """
        absent = [name for name in self.columns if name not in df.columns]
        if absent and not allow_missing_columns:
            from trainwell.data.io import did_you_mean, one_column_error

            read_as_one = one_column_error([str(column) for column in df.columns], absent, source)
            if read_as_one is not None:  # space-delimited: 'x1 x2 color' read as one column
                raise DataError(read_as_one)

            hint = did_you_mean(absent, [str(column) for column in df.columns], needed=self.columns)
            raise DataError(
                f"input column{'s' if len(absent) > 1 else ''} missing from {source}: {', '.join(absent)}"
                f"{hint}; the recipe needs "
                f"{list_columns(self.columns)}. Add them, or pass "
                "allow_missing_columns=True to treat them as missing"
            )
        rows = len(df)
        parts: dict[str, np.ndarray] = {}
        for name, fmt in self.dates.items():
            values = (
                df[name] if name in df.columns else pd.Series([None] * rows, index=df.index, dtype=object)
            )
            found = date_part_values(
                parse_dates(values, fmt, name, check=not lenient, read_rows=read_rows), self.date_parts[name]
            )
            parts.update({f"{name}_{part}": numbers for part, numbers in found.items()})
        for name, words in self.words.items():
            cells = df[name] if name in df.columns else [None] * rows
            flags = word_flags(cells, words)  # float32: a column at a time becomes float64 below
            parts.update({word_input(name, word): flags[:, i] for i, word in enumerate(words)})
        cat_columns = [
            encode_categories(df[name], self.categories[name], self.unseen_code(name))
            if name in df.columns
            else np.zeros(rows, np.int64)
            for name in self.cat_names
        ]
        cat_columns += [
            encode_categories(pd.Series(parts[name]), self.categories[name], self.unseen_code(name))
            for name in self.date_cat_names
        ]
        indicators, cont_columns = {}, []
        for name in self.cont_input_names:
            if name in parts:
                numbers = parts[name]
            elif name in df.columns:
                numbers = _to_numbers(
                    _masked(df[name], self.missing_words.get(name)), name, _TEXT_IN_NUMBERS, read_rows
                )
            else:
                numbers = np.full(rows, np.nan)
            missing = np.isnan(numbers)
            indicators[name] = np.where(missing, _MISSING, _PRESENT).astype(np.int64)
            filled = np.where(missing, self.fill_values[name], numbers)
            standardised = (filled - self.means[name]) / self.stds[name]  # float64: never overflows here
            self._check_fits_float32(standardised, filled, name, df, read_rows)
            cont_columns.append(standardised.astype(np.float32))
        cat_columns += [indicators[name] for name in self.na_indicator_names]
        categorical = np.stack(cat_columns, axis=1) if cat_columns else np.zeros((rows, 0), np.int64)
        continuous = np.stack(cont_columns, axis=1) if cont_columns else np.zeros((rows, 0), np.float32)
        return categorical, continuous

    def _check_fits_float32(
        self,
        standardised: np.ndarray,
        numbers: np.ndarray,
        name: str,
        df: pd.DataFrame,
        read_rows: Sequence[int] | np.ndarray | None = None,
    ) -> None:
        """Refuse a value whose standardised form overflows the model's float32 inputs (``1e300``, or the
        largest float used as a "missing" marker): it became infinity, and the model answered NaN, which
        decoded as the first class."""
        beyond = np.abs(standardised) > _FLOAT32_MAX
        if not beyond.any():
            return
        position = int(np.flatnonzero(beyond)[0])
        values = df[name] if name in df.columns else pd.Series(numbers, index=df.index)
        raise DataError(
            f"continuous column '{name}' holds {numbers[position]:.6g} ({data_row(values, position, read_rows)}), which is "
            f"{abs(standardised[position]):.2g} training standard deviations from the training mean "
            f"({self.means[name]:.6g}); the model's 32-bit numbers cannot hold it: check the value, or leave "
            "it empty to mark it missing"
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the recipe as JSON-ready plain data; :meth:`from_dict` reverses it exactly."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TabularRecipe:
        """Rebuild a recipe from :meth:`to_dict` output, e.g. read from an artifact's JSON.

        Raises:
            ArtifactError: Keys are missing or unknown.
        """
        # Recipes written before date columns were split have no date keys: they had no date columns.
        # Recipes written before rare values were grouped have no "rare": every value had a code of its own.
        # Recipes written before text columns were read as words have no "words": they left such columns out.
        # Recipes written before a few words among numbers were read as missing have no "missing_words".
        # Recipes written before the most frequent values were recorded have no "most_frequent".
        data = {"dates": {}, "date_parts": {}, "rare": {}, "min_category_count": 1, "words": {}, "missing_words": {},
                "most_frequent": {}, **data}  # fmt: skip
        check_stored_keys(data, (item.name for item in dataclasses.fields(cls)), "tabular recipe")
        return cls(
            cat_names=[str(name) for name in data["cat_names"]],
            cont_names=[str(name) for name in data["cont_names"]],
            categories={str(k): [str(v) for v in values] for k, values in data["categories"].items()},
            fill_values={str(k): float(v) for k, v in data["fill_values"].items()},
            na_indicator_names=[str(name) for name in data["na_indicator_names"]],
            means={str(k): float(v) for k, v in data["means"].items()},
            stds={str(k): float(v) for k, v in data["stds"].items()},
            target_names=[str(name) for name in data["target_names"]],
            dropped={str(k): str(v) for k, v in data["dropped"].items()},
            dates={str(k): str(v) for k, v in data["dates"].items()},
            date_parts={str(k): [str(part) for part in parts] for k, parts in data["date_parts"].items()},
            rare={str(k): int(v) for k, v in data["rare"].items()},
            min_category_count=int(data["min_category_count"]),
            words={str(k): [str(word) for word in words] for k, words in data["words"].items()},
            missing_words={
                str(k): [str(word) for word in words] for k, words in data["missing_words"].items()
            },
            most_frequent={str(k): str(v) for k, v in data["most_frequent"].items()},
        )

    def _described_values(self, name: str) -> str:
        rare = self.rare.get(name, 0)
        kept = f"{len(self.categories[name])} values"
        return f"{kept}, {rare} rare ones read as unseen" if rare else kept

    def describe(self) -> str:
        """A short multi-line summary of the inputs: each categorical input's values (and rare ones), each
        continuous input's median, the dates, indicators and dropped columns (``trainwell info`` shows the
        columns and the rare values' counts in its table)."""
        lines = [
            f"tabular recipe: {self.n_cat} categorical inputs ({len(self.na_indicator_names)} missing-value "
            f"indicators), {self.n_cont} continuous inputs; target: {', '.join(self.target_names) or '-'}"
        ]
        if self.cat_names:
            cats = [f"{name} ({self._described_values(name)})" for name in self.cat_names]
            lines.append(f"  categorical: {list_columns(cats)}")
        if self.cont_names:
            conts = [f"{name} (median {self.fill_values[name]:.4g})" for name in self.cont_names]
            lines.append(f"  continuous: {list_columns(conts)}")
        for name, fmt in self.dates.items():
            shown = describe_date_format(fmt) if fmt else "datetime"
            lines.append(f"  date {name} ({shown}): split into {', '.join(self.date_parts[name])}")
        for name, words in self.words.items():
            lines.append(f"  text {name}: read as the words {list_columns(words)}")
        if self.na_indicator_names:
            indicators = [name + NA_SUFFIX for name in self.na_indicator_names]
            lines.append(f"  missing-value indicators: {list_columns(indicators)}")
        for name, reason in self.dropped.items():
            lines.append(f"  dropped {name}: {reason}")
        return "\n".join(lines)


def _warn_unread_dates(
    values: pd.Series,
    parsed: pd.Series,
    fmt: str,
    name: str,
    read_rows: Sequence[int] | np.ndarray | None = None,
) -> None:
    """Warn when a few present values of a date column are not dates (they are read as missing), naming the
    first by its data row in the user's table (``read_rows``: where the training rows sit in it)."""
    text = values.astype(str).str.strip()
    unread = (values.notna() & (text != "") & parsed.isna()).to_numpy()
    if not unread.any():
        return
    position = int(np.flatnonzero(unread)[0])
    warn(
        f"date column '{name}' reads as dates in the form {describe_date_format(fmt)} except {int(unread.sum())} "
        f"value(s) such as {str(values.iloc[position])!r} ({data_row(values, position, read_rows)}): they are read as "
        "missing. Fix them, or leave them empty",
        UserWarning,
    )


def _unique(names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _refuse_nested(df: pd.DataFrame, skipped: set[str], source: str) -> None:
    """Refuse an input column holding lists or objects in its cells (JSON's ``"tags": ["a", "b"]``): a table
    model reads one value a cell (the pandas ``unique`` of the column failed with "unhashable type")."""
    for name in df.columns:
        if name in skipped or df[name].dtype != object:
            continue
        nested = df[name].map(lambda value: isinstance(value, list | tuple | dict | set))
        if nested.any():
            example = df[name][nested].iloc[0]
            raise DataError(
                f"column {name!r} of {source} holds lists or objects, e.g. {str(example)[:60]}: a table model reads "
                f"one value a cell; leave it out with --ignore {name} (Python: ignore=[{name!r}]), or write it as "
                "one value (its items joined) or as a column each"
            )


def _choose_columns(
    df: pd.DataFrame,
    targets: list[str],
    cat_names: Sequence[str] | None,
    cont_names: Sequence[str] | None,
    ignored: list[str],
    max_card: int,
    formats: Mapping[str, str] | None = None,
    preferred: str | None = None,
    strays: dict[str, list[str]] | None = None,
) -> tuple[list[str], list[str], dict[str, str], dict[str, str], list[str]]:
    """Split input columns into categorical, continuous and dates (with their format); return them, the
    inferred columns left out, with the reason, and which of those are text with a different value in (almost)
    every row (whose words may be read). ``formats`` are the dates the user named, ``preferred`` the format
    they prefer for found ones. Text columns of numbers but for a few words (:func:`_stray_words`) are
    continuous, their words put in ``strays``."""
    cats, conts = _unique(cat_names or []), _unique(cont_names or [])
    dates: dict[str, str] = dict(formats or {})
    dropped: dict[str, str] = {}
    texts: list[str] = []
    if cat_names is not None and cont_names is not None:
        return cats, conts, dates, dropped, texts
    integers_to = (
        "max_card" if cat_names is None and cont_names is None else ("cont" if cont_names is None else "cat")
    )
    from trainwell.data.bundle import is_valid_marker  # here: bundle imports torch, encoding rows does not

    taken = {*targets, *cats, *conts, *ignored, *dates}
    for name in df.columns:
        if name in taken:
            continue
        values = df[name]
        if len(values) > 1 and values.notna().all() and values.nunique() == 1:
            only = plain_value(values.iloc[0])  # 3.5, not np.float64(3.5)
            dropped[name] = (
                f"the same value in every training row ({only!r}): nothing to learn from it; pass it in "
                f"--cat-names (Python: cat_names=[{str(name)!r}]) to keep it"
            )
            continue
        if is_valid_marker(values, str(name)):
            # As an input it is noise a new row does not have: predict then demanded it (IMDB's sample).
            dropped[name] = (
                f"marks validation rows (true/false or valid/train), which a new row does not have; pass "
                f"--valid-col {name} to hold out the rows it marks, or --cat-names {name} to keep it as an input"
            )
            continue
        kind = _infer_kind(values, integers_to, max_card)
        found = _stray_words(values, integers_to, max_card) if kind == "cat" and _is_text(values) else None
        if found:
            conts.append(name)
            if strays is not None:
                strays[name] = found
            continue
        if kind == "cat" and _is_text(values):
            fmt = find_date_format(values, preferred)
            if fmt is not None:
                dates[name] = fmt
                continue
        if kind == "date":
            dates[name] = ""
            continue
        if _is_integer_id(values, str(name)):
            flag = "cont-names" if kind == "cont" else "cat-names"
            dropped[name] = (
                f"named like an ID, with a different whole number in (almost) every row; pass it in --{flag} "
                f"(Python: {flag.replace('-', '_')}=[{str(name)!r}]) to keep it"
            )
            continue
        if kind == "cat" and _is_text(values) and len(values) > _ID_MIN_ROWS:
            distinct = values.nunique(dropna=True)
            if distinct >= _ID_FRACTION * len(values):
                words = _median_words(values)
                if words >= _FREE_TEXT_WORDS:
                    kind = (
                        f"{FREE_TEXT_REASON} (a median of {words:g} words a row): a table model cannot read it; "
                        f"to learn from the text, train a text model on it: --text {name}"
                    )
                else:
                    kind = (
                        f"a different value in {distinct / len(values):.0%} of rows: an ID or free text; "
                        "pass it in --cat-names to keep it"
                    )
                texts.append(name)
        if kind == "cat":
            cats.append(name)
        elif kind == "cont":
            conts.append(name)
        else:
            dropped[name] = kind
    return cats, conts, dates, dropped, texts


def word_input(column: str, word: str) -> str:
    """The name of the input saying whether text column ``column`` holds ``word``: ``"Name[mr]"``."""
    return f"{column}[{word}]"


def _telling_words(
    df: pd.DataFrame, texts: Sequence[str], targets: list[str], reasons: Mapping[str, str]
) -> dict[str, list[str]]:
    """The words read of each text column (:func:`~trainwell.tabular.words.telling_words`), for the columns
    with any."""
    found = {
        name: telling_words(
            df[name],
            df[targets],
            WORDS_OF_FREE_TEXT if reasons[name].startswith(FREE_TEXT_REASON) else WORDS_PER_COLUMN,
        )
        for name in texts
    }
    return {name: words for name, words in found.items() if words}


#: A column of distinct values whose median value has this many words or more is free text, not an ID or a
#: name ("Braund, Mr. Owen Harris": 4).
_FREE_TEXT_WORDS = 6


def _median_words(values: pd.Series) -> float:
    """The median number of words of the non-missing values (the first 1,000)."""
    present = values.dropna().astype(str).head(1000)
    return float(present.str.split().str.len().median()) if len(present) else 0.0


def _is_integer_id(values: pd.Series, name: str) -> bool:
    """Whole numbers that differ in (almost) every row, in a column named like an ID: ``PassengerId``,
    ``user_id``, ``Unnamed: 0``; or ending in ``id``/``number`` (``customerid``, ``RowNumber``) when the
    numbers also count up like row numbers. A duplicated row or a missing value does not hide it."""
    if len(values) <= _ID_MIN_ROWS or pd.api.types.is_bool_dtype(values.dtype):
        return False
    if not (pd.api.types.is_integer_dtype(values.dtype) or pd.api.types.is_float_dtype(values.dtype)):
        return False
    present = values.dropna()
    numbers = present.to_numpy(dtype=np.float64)
    if not np.isfinite(numbers).all():  # an infinite value is no row number (its own check names it)
        return False
    if len(present) < 0.95 * len(values) or not np.all(np.mod(numbers, 1) == 0):
        return False
    distinct = present.nunique()
    if distinct < _ID_UNIQUE_SHARE * len(present):
        return False
    if _ID_NAME.search(name) or _CAMEL_ID.search(name):
        return True
    span = float(present.max() - present.min()) + 1
    return bool(_LOOSE_ID_NAME.search(name)) and span <= 1.1 * distinct


def _is_text(values: pd.Series) -> bool:
    return isinstance(values.dtype, pd.StringDtype) or values.dtype == object


def _infer_kind(values: pd.Series, integers_to: str, max_card: int) -> str:
    """Return "cat", "cont", "date" (a datetime column), or the reason a column cannot be an input."""
    dtype = values.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "date"
    if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return "cat"
    if pd.api.types.is_integer_dtype(dtype):
        if integers_to == "max_card":
            return "cat" if values.nunique(dropna=True) <= max_card else "cont"
        return integers_to
    if pd.api.types.is_float_dtype(dtype):
        return "cont"
    if _is_text(values):
        present = values.dropna()
        if pd.api.types.infer_dtype(present) == "boolean":
            return "cat"
        numbers = pd.to_numeric(present, errors="coerce") if len(present) else None
        if numbers is not None and numbers.notna().all():
            if not (numbers % 1 == 0).all():
                return "cont"
            if integers_to == "max_card":  # whole numbers kept as written ('02134', '01'): as integers are
                return "cat" if numbers.nunique() <= max_card else "cont"
            return integers_to
        return "cat"
    return f"unsupported type {dtype}; convert it to numbers or text, or pass it in --ignore"


#: At most this many distinct words, on at most this share of a column's values, make the rest of a column of
#: numbers continuous, the words read as missing (``unknown``, ``-``, ``n.a.``); more is a column of categories.
_MAX_STRAY_WORDS = 5
_MAX_STRAY_SHARE = 0.1
_MIN_STRAY_NUMBERS = 10


def _stray_words(values: pd.Series, integers_to: str, max_card: int) -> list[str] | None:
    """The few words of a text column that is numbers but for them (``unknown``, ``-``, ``n.a.``: markers of a
    missing value pandas does not know), most frequent first, when the numbers alone would be a continuous
    column; ``None`` otherwise. A word holding a digit is a number in a form not read here (``(12.5)``), and
    keeps the column as it is. Read whole, one stray word made 99% of the numbers categories or words."""
    present = values.dropna()
    text = present.astype(str).str.strip()
    text = text[text != ""]
    numbers = pd.to_numeric(text, errors="coerce")
    words = text[numbers.isna()]
    numbers = numbers.dropna()
    if words.empty or len(numbers) < _MIN_STRAY_NUMBERS or len(words) > _MAX_STRAY_SHARE * len(text):
        return None
    counts = words.value_counts()
    if len(counts) > _MAX_STRAY_WORDS or any(any(c.isdigit() for c in str(word)) for word in counts.index):
        return None
    whole = bool((numbers % 1 == 0).all())
    if whole and (integers_to == "cat" or (integers_to == "max_card" and numbers.nunique() <= max_card)):
        return None  # whole numbers of few values are categories, the words among them too: nothing is lost
    return [str(word) for word in counts.index]


def _masked(values: pd.Series, words: Sequence[str] | None) -> pd.Series:
    """``values`` with the cells holding one of ``words`` (around spaces) read as missing."""
    if not words:
        return values
    return values.mask(values.astype(str).str.strip().isin(list(words)))


def _warn_stray_words(values: pd.Series, name: str, words: Sequence[str]) -> None:
    text = values.dropna().astype(str).str.strip()
    counts = text[text.isin(list(words))].value_counts()
    said = ", ".join(f"{word!r} ({count} row{'s' if count > 1 else ''})" for word, count in counts.items())
    warn(
        f"column '{name}' holds numbers but for {int(counts.sum())} of its {len(text)} training values, read as "
        f"missing: {said}; pass it in --cat-names (Python: cat_names=[{str(name)!r}]) to read every value as a "
        "category instead",
        UserWarning,
    )


_DECLARED_TEXT = (
    "column '{name}' is declared continuous but holds text, e.g. {value!r} ({row}); "
    "pass it in --cat-names or clean it"
)
_TEXT_IN_NUMBERS = (
    "continuous column '{name}' holds text that is not a number, e.g. {value!r} ({row}); "
    "clean the value or leave it empty to mark it missing"
)


def _to_numbers(
    values: pd.Series, name: str, message: str, read_rows: Sequence[int] | np.ndarray | None = None
) -> np.ndarray:
    """Convert a column to float64 with NaN for missing; blank text counts as missing.

    ``message`` is the error template for text that is not a number, with ``{name}``, ``{value}``, ``{row}``;
    ``{row}`` names the data row in the user's table where ``read_rows`` places ``values`` in it.
    """
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        parsed = pd.to_numeric(values, errors="coerce")
        numbers = pd.Series(parsed).to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.isnan(numbers) & values.notna().to_numpy()
        if bad.any():
            suspects = values[bad]
            text = suspects.astype(str).str.strip()
            real = (text != "").to_numpy()
            if real.any():
                position = int(np.flatnonzero(real)[0])
                value = suspects.iloc[position]
                row = data_row(values, int(np.flatnonzero(bad)[position]), read_rows)
                raise DataError(message.format(name=name, value=value, row=row))
    infinite = np.isinf(numbers)
    if infinite.any():
        row = data_row(values, int(np.flatnonzero(infinite)[0]), read_rows)
        raise DataError(f"column '{name}' holds an infinite value ({row}); replace it or leave it empty")
    return numbers
