"""Validation rows that repeat training rows, checked wherever a table is split (a fit's validation rows, each fold
of an evaluation): the validation scores then flatter the model.

Three checks, each said in one line:

- exact copies (:func:`warn_copied_rows`): validation rows equal to a training row in every column the model reads
  and the target (a table concatenated with itself, a join that repeated rows);
- a column naming entities (:func:`entity_columns`): an ID-like column (most of its values held by 2 to 10 rows,
  not a measurement) whose values recur across the split for most validation rows, and whose rows sharing a value
  share the target far beyond chance: the same patient, customer or device on both sides, the commonest leak in
  practice, which one jittered number hides from the exact check;
- near copies (:func:`near_copies`): validation rows equal to a training row in every category and the target,
  and in every number within a twentieth of its column's standard deviation (repeats with noise added), said
  when most validation rows are one, five times more than independent columns would match by chance; not said
  beside the other two, which explain it.

An evaluation with grouped folds (``--groups``; Python: ``groups=``) is not checked for the last two: the user
said what an entity is.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np
import pandas as pd

from trainwell.core.warn import warn
from trainwell.data.fingerprint import row_hashes

__all__ = [
    "COPIED_MIN_ROWS",
    "COPIED_MIN_SHARE",
    "COPIES_ADVICE",
    "EntityColumn",
    "entity_columns",
    "near_copies",
    "reading_folds",
    "row_id_columns",
    "warn_copied_rows",
]

#: Validation rows that copy training rows are warned of from this many, and this share of the validation rows
#: (real tables repeat a row now and then: adult 0.07%, bank marketing 0.03%).
COPIED_MIN_ROWS = 3
COPIED_MIN_SHARE = 0.01
#: Near copies are warned of when most validation rows are one (adult 1.0%, bank marketing 0.6%, California
#: housing and Titanic 0%; small made-up tables of a few numbers and classes up to a third, their neighbours
#: falling in the same bins: an entity seen twice or more makes most of them one)...
NEAR_MIN_SHARE = 0.5
#: ... and this many times the share that would match by chance were the columns independent (a table of one
#: number and a class has neighbours in every bin).
NEAR_CHANCE_TIMES = 5
#: Numbers match when they fall in one bin this many standard deviations of their column wide (or in one of a
#: second set of bins shifted by half a bin, so that two values closer than half a bin always share one).
NEAR_STEP = 0.05
#: A column names entities when at least this share of its distinct values is held by ``ENTITY_ROWS`` rows each,
#: it has at least ``ENTITY_MIN_VALUES`` of them, ...
ENTITY_ROWS = (2, 10)
ENTITY_MIN_SHARE = 0.5
ENTITY_MIN_VALUES = 20
#: ... at least this share of the validation rows holds a value some training row holds, ...
ENTITY_MIN_RECURRING = 0.5
#: ... and rows sharing a value share the target this far beyond chance (a kappa: 0 is chance, 1 every row of a
#: value alike; informative columns of real tables reach 0.5: bank marketing's call duration, Titanic's ticket,
#: which the first two conditions leave out).
ENTITY_MIN_AGREEMENT = 0.3
#: Targets with more distinct numbers than this are compared as numbers (by rank), fewer as classes.
CLASSES_AT_MOST = 20
#: How :func:`warn_copied_rows` says to keep each group of copies on one side of the split: a fit's validation
#: column, or grouped folds inside a cross-validation (:func:`reading_folds`).
_COPIES_KEPT_BY: ContextVar[str] = ContextVar("trainwell_copies_kept_by", default="valid_col")
#: Whether the folds read are grouped (``--groups``): the user named the entities, so none is looked for.
_GROUPED: ContextVar[bool] = ContextVar("trainwell_grouped_folds", default=False)
#: The end of the warning, by what keeps copies together where it is raised.
COPIES_ADVICE = {
    "valid_col": "keep each group of copies on one side with --valid-col COLUMN (Python: valid_col=)",
    "groups": "keep each group of copies in one fold with --groups COLUMN, a column the copies share (Python: "
    "groups=)",
}


@contextmanager
def reading_folds(grouped: bool = False) -> Iterator[None]:
    """Inside, the tables read are the folds of a cross-validation (``evaluate_table``, ``trainwell evaluate``):
    copies on both sides of a fold are kept apart by grouped folds (``--groups``; Python: ``groups=``), which the
    warning on copied rows then advises, not ``--valid-col``, which an evaluation does not take. With ``grouped``
    the folds are grouped already, and neither entities nor near copies are looked for."""
    token = _COPIES_KEPT_BY.set("groups")
    grouped_token = _GROUPED.set(grouped)
    try:
        yield
    finally:
        _GROUPED.reset(grouped_token)
        _COPIES_KEPT_BY.reset(token)


def warn_copied_rows(
    df: pd.DataFrame,
    train_index: np.ndarray,
    valid_index: np.ndarray,
    columns: Sequence[str],
    source: str,
    *,
    targets: Sequence[str] = (),
    skip: Sequence[str | None] = (),
) -> None:
    """Warn when validation rows are exact copies of training rows, in every column the model reads and the
    target: the model is then judged on rows it trained on, and its validation scores flatter it (a table
    concatenated with itself, rows repeated by a join or an oversampling done before the split). Images and texts
    are checked alike (their repeated images and texts). Its advice fits where it is raised: a fit's validation
    column, or a cross-validation's grouped folds (:func:`reading_folds`).

    Given the ``targets`` (among ``columns``), it also warns of a column whose values recur across the split for
    most validation rows, the same entity on both sides (:func:`entity_columns`; every column of ``df`` but the
    targets and ``skip`` is looked at, ignored ones included), or else of near copies (:func:`near_copies`):
    unless the folds are grouped already."""
    if len(valid_index) == 0 or len(train_index) == 0:
        return
    present = [column for column in columns if column in df.columns]
    train_hashes = row_hashes(df.iloc[train_index], present)
    valid_hashes = row_hashes(df.iloc[valid_index], present)
    copied = np.isin(valid_hashes, train_hashes)
    count = int(copied.sum())
    said = count >= COPIED_MIN_ROWS and count >= COPIED_MIN_SHARE * len(valid_index)
    if said:
        first = int(np.flatnonzero(copied)[0])
        original = int(train_index[int(np.flatnonzero(train_hashes == valid_hashes[first])[0])])
        warn(
            f"{count:,} of {len(valid_index):,} validation rows of {source} ({count / len(valid_index):.0%}) are "
            f"exact copies of training rows, in every column the model reads and the target (the first: data row "
            f"{int(valid_index[first]) + 1}, a copy of data row {original + 1}): the model is judged on rows it "
            "trained on, so the validation scores flatter it; drop the repeated rows first (pandas: "
            f"df.drop_duplicates()), or {COPIES_ADVICE[_COPIES_KEPT_BY.get()]}",
            UserWarning,
        )
    if not targets or _GROUPED.get():
        return
    left_out = {*targets, *(name for name in skip if name is not None)}
    found = entity_columns(
        df, train_index, valid_index, [c for c in df.columns if c not in left_out], targets
    )
    if found:
        warn(_entity_words(found[0], source), UserWarning)
    elif not said:
        _warn_near_copies(df, train_index, valid_index, present, source)


@dataclass(frozen=True)
class EntityColumn:
    """A column whose values recur across a split (:func:`entity_columns`)."""

    name: str
    #: Validation rows holding a value some training row holds, of ``valid_rows``.
    recurring: int
    valid_rows: int
    #: How far beyond chance rows sharing a value share the target (0: chance; 1: always).
    agreement: float


def entity_columns(
    df: pd.DataFrame,
    train_index: np.ndarray,
    valid_index: np.ndarray,
    columns: Sequence[str],
    targets: Sequence[str],
) -> list[EntityColumn]:
    """The ``columns`` of ``df`` that look like they name entities seen on both sides of the split, most recurring
    first: ID-like (text or whole numbers, at least ``ENTITY_MIN_SHARE`` of the distinct values held by 2 to 10
    rows each: a patient's visits, not a measurement nor a category of thousands), a value of the training rows
    held by at least ``ENTITY_MIN_RECURRING`` of the validation rows, and rows sharing a value alike in the target
    well beyond chance (``ENTITY_MIN_AGREEMENT``)."""
    rows = np.concatenate([train_index, valid_index])
    n_valid = len(valid_index)
    if n_valid < ENTITY_MIN_VALUES // 2 or not targets:
        return []
    frame = df.iloc[rows]
    y: pd.Series | None = None
    found = []
    for name in columns:
        values = frame[name]
        if not _id_like(values):
            continue
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        if len(uniques) < ENTITY_MIN_VALUES:
            continue
        held = np.bincount(codes[codes >= 0], minlength=len(uniques))
        low, high = ENTITY_ROWS
        if ((held >= low) & (held <= high)).mean() < ENTITY_MIN_SHARE:
            continue
        train_codes, valid_codes = codes[: len(train_index)], codes[len(train_index) :]
        seen = np.zeros(len(uniques), dtype=bool)
        seen[train_codes[train_codes >= 0]] = True
        recurring = int(((valid_codes >= 0) & seen[np.maximum(valid_codes, 0)]).sum())
        if recurring < ENTITY_MIN_RECURRING * n_valid:
            continue
        if y is None:
            y = _target_codes(frame, targets)
        agreement = _agreement(codes, held, y)
        if agreement >= ENTITY_MIN_AGREEMENT:
            found.append(EntityColumn(str(name), recurring, n_valid, agreement))
    return sorted(found, key=lambda column: -column.recurring)


def _id_like(values: pd.Series) -> bool:
    """Text, categories or whole numbers: what can name an entity; fractional numbers are measurements."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return False
    if pd.api.types.is_integer_dtype(values.dtype):
        return True
    if pd.api.types.is_float_dtype(values.dtype):
        numbers = values.to_numpy(np.float64)
        numbers = numbers[np.isfinite(numbers)]
        return bool(len(numbers)) and bool(np.all(numbers == np.round(numbers)))
    return not pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_datetime64_any_dtype(
        values.dtype
    )


#: Fewest training rows on which a column holding a different value in every row is taken for an ID, not chance.
ID_MIN_ROWS = 10


def row_id_columns(df: pd.DataFrame, columns: Sequence[str]) -> dict[str, str]:
    """The ``columns`` of ``df`` (training rows) that name each row, with what makes each one an ID: ID-like
    (:func:`_id_like`: text or whole numbers) with a different value in every row and none missing; text codes of one
    word holding a digit (``p17``, ``A-0042``, not a name of several words, which may carry its words), whole
    numbers only in a column named like an ID (``PassengerId``, ``user_id``: a count or a measurement may differ in
    every row too). As an input such a column teaches the model the rows it trained on and nothing of new ones."""
    from trainwell.tabular.recipe import _CAMEL_ID, _ID_NAME

    found: dict[str, str] = {}
    if len(df) < ID_MIN_ROWS:
        return found
    for name in columns:
        values = df[name]
        if values.isna().any() or not _id_like(values) or values.nunique() < len(values):
            continue
        if pd.api.types.is_numeric_dtype(values.dtype):
            if _ID_NAME.search(str(name)) or _CAMEL_ID.search(str(name)):
                found[str(name)] = "named like an ID, with a different whole number in every training row"
            continue
        text = values.astype(str)
        if text.str.contains(r"\s").any() or not text.str.contains(r"\d").all():
            continue
        shown = ", ".join(repr(value) for value in text.head(2))
        found[str(name)] = f"a different code in every training row ({shown}, ...)"
    return found


def _target_codes(frame: pd.DataFrame, targets: Sequence[str]) -> np.ndarray:
    """The target of each row of ``frame``: its rank (0 to 1) for a number of many values, else its class as an
    integer code (several targets: their values together); NaN or -1 where missing."""
    if len(targets) == 1:
        y = frame[targets[0]]
        if (
            pd.api.types.is_numeric_dtype(y.dtype)
            and not pd.api.types.is_bool_dtype(y.dtype)
            and y.nunique() > CLASSES_AT_MOST
        ):
            return y.rank(pct=True).to_numpy(np.float64)
        return pd.factorize(y, use_na_sentinel=True)[0]
    return pd.factorize(row_hashes(frame, list(targets)))[0]


def _agreement(codes: np.ndarray, held: np.ndarray, y: np.ndarray) -> float:
    """How far beyond chance rows sharing a value (``codes``, ``held`` rows each) share the target ``y``, over
    pairs of such rows: for classes, Cohen's kappa of the pairs' agreement; for ranks, one less the pairs' mean
    squared difference over its value for rows paired at random."""
    number = y.dtype.kind == "f"
    keep = (codes >= 0) & (held[np.maximum(codes, 0)] >= 2) & (np.isfinite(y) if number else y >= 0)
    codes, y = codes[keep], y[keep]
    if len(codes) < 2:
        return 0.0
    sizes = np.bincount(codes)
    pairs = float((sizes * (sizes - 1)).sum()) / 2
    if pairs == 0:
        return 0.0
    if number:
        sums = np.bincount(codes, weights=y)
        means = sums[codes] / sizes[codes]
        within = np.bincount(codes, weights=(y - means) ** 2)  # each value's sum of squares about its mean
        # The sum over a value's pairs of squared differences is its rows times its sum of squares.
        mean_pair = float((sizes * within).sum()) / pairs
        spread = 2 * float(y.var())
        return 0.0 if spread == 0 else 1 - mean_pair / spread
    cells = np.unique(codes.astype(np.int64) * (int(y.max()) + 1) + y, return_counts=True)[1]
    alike = float((cells * (cells - 1)).sum()) / 2 / pairs
    shares = np.bincount(y) / len(y)
    chance = float((shares**2).sum())
    return 0.0 if chance >= 1 else (alike - chance) / (1 - chance)


def _entity_words(column: EntityColumn, source: str) -> str:
    """The warning on ``column``: where an evaluation reads it, ``--groups`` names it; where a fit does, a
    validation column of whole entities (or an evaluation grouped by it)."""
    name = column.name
    advice = (
        f"pass --groups {name} (Python: groups='{name}')"
        if _COPIES_KEPT_BY.get() == "groups"
        else f"hold whole entities out with --valid-col COLUMN (Python: valid_col=), and evaluate with --groups "
        f"{name} (Python: groups='{name}')"
    )
    return (
        f"column '{name}' repeats across the training and validation rows of {source}: {column.recurring:,} of "
        f"{column.valid_rows:,} validation rows ({column.recurring / column.valid_rows:.0%}) share a value with "
        "training rows, and rows sharing a value mostly share the target; if rows with one value are one entity (a "
        f"patient's visits), the model is judged on entities it trained on and the scores flatter it: {advice}"
    )


def near_copies(
    df: pd.DataFrame, train_index: np.ndarray, valid_index: np.ndarray, columns: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, float]:
    """For each validation row, whether it nearly copies a training row in ``columns``: the same in every category
    (and missing where it is), every number in the same bin ``NEAR_STEP`` standard deviations wide, in one of two
    sets of bins half a bin apart; for each, the position in ``train_index`` of a training row it copies (-1 where
    none); and the share of validation rows that would match by chance were the columns independent (a table of
    one number and a class matches its neighbours, which copy nothing)."""
    rows = np.concatenate([train_index, valid_index])
    frame = df.iloc[rows][list(columns)]
    plain, binned = {}, {}
    for name in columns:
        values = frame[name]
        if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
            numbers = values.to_numpy(np.float64)
            spread = float(np.nanstd(numbers)) if np.isfinite(numbers).any() else 0.0
            if spread > 0 and np.isfinite(spread):
                binned[name] = numbers / (NEAR_STEP * spread)
                continue
        plain[name] = values
    # Each category by its code (missing: a code of its own), numbered over both sides at once.
    fixed = {
        name: pd.factorize(values, use_na_sentinel=False)[0].astype(np.uint64)
        for name, values in plain.items()
    }
    matched = np.zeros(len(valid_index), dtype=bool)
    which = np.full(len(valid_index), -1, dtype=np.int64)
    n_train = len(train_index)
    pair_alike = 1.0  # the chance two rows fall in one bin of every column, were the columns independent
    for shift in (0.0, 0.5):
        hashes = dict(fixed)
        for name, scaled in binned.items():
            hashes[name] = pd.util.hash_array(np.floor(scaled + shift))  # NaN: a bin of its own
        if shift == 0.0:
            for column in hashes.values():
                held = np.unique(column, return_counts=True)[1]
                pair_alike *= float(((held / len(column)) ** 2).sum())
        keys = _combined(list(hashes.values()), len(rows))
        train_keys, valid_keys = keys[:n_train], keys[n_train:]
        order = np.argsort(train_keys, kind="stable")
        sorted_keys = train_keys[order]
        at = np.searchsorted(sorted_keys, valid_keys)
        hit = (at < n_train) & (sorted_keys[np.minimum(at, n_train - 1)] == valid_keys)
        new = hit & ~matched
        which[new] = order[at[new]]
        matched |= hit
    # Two sets of bins: about twice the matches one set gives.
    chance = 1 - float(np.exp(-2 * n_train * pair_alike))
    return matched, which, chance


def _combined(hashes: list[np.ndarray], n_rows: int) -> np.ndarray:
    """One uint64 per row from each column's (``hashes``), in order."""
    key = np.zeros(n_rows, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in hashes:
            key = (key * np.uint64(0x9E3779B97F4A7C15)) ^ column
    return key


def _warn_near_copies(
    df: pd.DataFrame, train_index: np.ndarray, valid_index: np.ndarray, columns: Sequence[str], source: str
) -> None:
    """Warn when at least ``NEAR_MIN_SHARE`` of the validation rows nearly copy training rows
    (:func:`near_copies`)."""
    if not columns:
        return
    matched, which, chance = near_copies(df, train_index, valid_index, columns)
    count = int(matched.sum())
    share = count / len(valid_index)
    if count < COPIED_MIN_ROWS or share < NEAR_MIN_SHARE or share < NEAR_CHANCE_TIMES * chance:
        return
    first = int(np.flatnonzero(matched)[0])
    original = int(train_index[which[first]])
    warn(
        f"{count:,} of {len(valid_index):,} validation rows of {source} ({count / len(valid_index):.0%}) nearly "
        f"copy training rows: alike in every category and the target, and in every number to a twentieth of its "
        f"column's standard deviation (the first: data row {int(valid_index[first]) + 1}, like data row "
        f"{original + 1}): if they are repeats of one entity (visits, readings with noise), the model is judged on "
        f"entities it trained on and the validation scores flatter it; {COPIES_ADVICE[_COPIES_KEPT_BY.get()]}",
        UserWarning,
    )
