"""Build a DataBundle from a ratings table: one row per (user, item, rating).

Columns are named by the caller or found by name (``user``/``userId``/``customer_id``..., ``item``/``movie``/
``product``..., ``rating``/``score``/``stars``...), else taken in order (user, item, rating), as in MovieLens'
``u.data``. A file whose header row is all numbers has no header: it is read again with the columns named
``user``, ``item``, ``rating`` (then ``timestamp``, ``column_5``...).
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from trainwell.collab.recipe import CollabRecipe
from trainwell.core.errors import ConfigError, DataError
from trainwell.data.bundle import DataBundle, mask_split, random_split
from trainwell.data.io import check_columns, list_columns, read_table
from trainwell.data.loader import TensorLoader
from trainwell.data.task import Task, infer_task

__all__ = ["default_collab_batch_size", "find_rating_columns", "ratings_data", "read_ratings"]

#: Column names recognised for each role, compared lower-case without ``_``, ``-`` or spaces.
USER_NAMES = (
    "user",
    "userid",
    "users",
    "customer",
    "customerid",
    "reviewer",
    "reviewerid",
    "member",
    "memberid",
)
ITEM_NAMES = (
    "item", "itemid", "items", "movie", "movieid", "product", "productid", "asin", "book", "bookid", "isbn",
    "song", "songid", "track", "trackid", "artist", "artistid", "game", "gameid", "title",
)  # fmt: skip
RATING_NAMES = (
    "rating",
    "ratings",
    "score",
    "stars",
    "star",
    "rate",
    "grade",
    "liked",
    "like",
    "label",
    "target",
)
HEADERLESS_NAMES = ("user", "item", "rating", "timestamp")

#: The rating scale is widened by this share of its span on each side before the sigmoid bounds it, so the
#: ends of the scale are reachable (a sigmoid never reaches its asymptotes).
RANGE_MARGIN = 0.1


def _normal(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name.lower())


def read_ratings(source: str | Path) -> pd.DataFrame:
    """Read a ratings file, naming the columns of one that has no header row (MovieLens' ``u.data``)."""
    frame = read_table(source)
    if all(_is_number(name) for name in frame.columns):
        names = [*HEADERLESS_NAMES, *(f"column_{i + 1}" for i in range(len(HEADERLESS_NAMES), 64))]
        frame = read_table(source, names=names[: len(frame.columns)])
    return frame


def _is_number(text: object) -> bool:
    try:
        float(str(text))
    except ValueError:
        return False
    return True


def find_rating_columns(
    df: pd.DataFrame, user: str | None, item: str | None, rating: str | None, source: str
) -> tuple[str, str, str]:
    """The (user, item, rating) columns: as given, else found by name, else the first three in order."""
    given = {"--user": user, "--item": item, "--target": rating}
    for flag, name in given.items():
        if name is not None:
            check_columns(df, [name], source, flag)
    roles: dict[str, str | None] = {"user": user, "item": item, "rating": rating}
    taken = {name for name in roles.values() if name is not None}
    for role, known in (("user", USER_NAMES), ("item", ITEM_NAMES), ("rating", RATING_NAMES)):
        if roles[role] is None:
            match = next(
                (str(c) for c in df.columns if _normal(str(c)) in known and str(c) not in taken), None
            )
            if match is not None:
                roles[role] = match
                taken.add(match)
    remaining = [str(c) for c in df.columns if str(c) not in taken]
    for role in ("user", "item", "rating"):
        if roles[role] is None:
            if not remaining:
                hint = {
                    "user": "--user",
                    "item": "--item",
                    "rating": "--target",
                }[role]
                extra = (
                    " (only users and items, no ratings: implicit feedback is not supported yet; add a rating "
                    "column, e.g. 1 for every interaction plus sampled 0s)"
                    if role == "rating"
                    else ""
                )
                raise DataError(
                    f"{source} has no {role} column{extra}; its columns are {list_columns(list(map(str, df.columns)))}"
                    f". Name it with {hint}"
                )
            roles[role] = remaining.pop(0)
    user_col, item_col, rating_col = (str(roles[r]) for r in ("user", "item", "rating"))
    if len({user_col, item_col, rating_col}) < 3:
        raise ConfigError(
            f"the user, item and rating columns must differ; got user={user_col!r}, item={item_col!r}, "
            f"rating={rating_col!r}"
        )
    return user_col, item_col, rating_col


def default_collab_batch_size(n_rows: int) -> int:
    """About 200 batches an epoch, as a power of two between 64 and 4096: embedding lookups are cheap, so
    larger batches than a table's pay off, while small sets still get enough steps."""
    return int(min(4096, max(64, 2 ** round(math.log2(max(n_rows, 1) / 200)))))


def ratings_data(
    source: pd.DataFrame | str | Path,
    *,
    user: str | None = None,
    item: str | None = None,
    rating: str | None = None,
    valid_pct: float = 0.2,
    valid_col: str | None = None,
    splits: tuple[Sequence[int], Sequence[int]] | None = None,
    test: pd.DataFrame | str | Path | None = None,
    task: str | None = None,
    batch_size: int | None = None,
    seed: int = 0,
) -> DataBundle:
    """Everything a collaborative-filtering Learner needs from a ratings table.

    The task is ``regression`` (predict the rating) unless the ratings take exactly two values, which makes it
    ``binary`` (liked or not); ``task`` overrides. Users and items are learned from training rows only: a
    validation row whose user (or item) is not among them is scored as a new user would be, from the item's
    bias, which is what the validation score should measure.

    Args:
        source: A DataFrame or a ratings file (CSV, TSV, Parquet...; a header-less file is read as
            user, item, rating[, timestamp]).
        user, item, rating: The columns; found by name or position when not given.
        valid_pct: Share of rows held out at random (seeded) when neither ``valid_col`` nor ``splits`` is given.
        valid_col: A column marking validation rows (true/1/"valid"), e.g. each user's latest ratings.
        splits: Explicit ``(train_positions, valid_positions)``.
        test: An optional labelled held-out table with the same columns.
        task: ``regression`` or ``binary`` to override inference.
        batch_size: Rows per training batch (default: about 200 batches an epoch, 64 to 4096).
        seed: Controls the split and the shuffling.

    Example:
        >>> frame = pd.DataFrame({"user": [1, 1, 2, 2, 3] * 4, "movie": list("abcab") * 4,
        ...                       "rating": [5, 3, 4, 2, 1] * 4})
        >>> data = ratings_data(frame)
        >>> data.task.kind, data.model_hints["n_users"], data.model_hints["n_items"]
        ('regression', 4, 4)
    """
    _check_settings(valid_pct, batch_size, task)
    name = str(source) if not isinstance(source, pd.DataFrame) else "the ratings table"
    df = source if isinstance(source, pd.DataFrame) else read_ratings(source)
    if len(df) == 0:
        raise DataError(f"{name} has no rows")
    user_col, item_col, rating_col = find_rating_columns(df, user, item, rating, name)
    df = _checked(df, user_col, item_col, rating_col, name)
    resolved = _infer_task(df[rating_col], rating_col, task)
    train_index, valid_index = _split(df, valid_pct, valid_col, splits, seed, name)
    train_df, valid_df = df.iloc[train_index], df.iloc[valid_index]
    targets = resolved.encode(train_df[rating_col]).numpy()
    recipe = CollabRecipe.fit(
        train_df, user_col=user_col, item_col=item_col, rating_col=rating_col, ratings=targets
    )
    bs = default_collab_batch_size(len(train_df)) if batch_size is None else int(batch_size)
    train = TensorLoader(_encode(recipe, resolved, train_df, name), bs, shuffle=True, seed=seed)
    valid = (
        TensorLoader(_encode(recipe, resolved, valid_df, name), max(4 * bs, 4096)) if len(valid_df) else None
    )
    test_loader = None
    if test is not None:
        test_name = str(test) if not isinstance(test, pd.DataFrame) else "the test table"
        test_df = test if isinstance(test, pd.DataFrame) else read_ratings(test)
        for column, flag in ((user_col, "--user"), (item_col, "--item"), (rating_col, "--target")):
            check_columns(test_df, [column], test_name, flag)
        test_df = _checked(test_df, user_col, item_col, rating_col, test_name)
        test_loader = TensorLoader(_encode(recipe, resolved, test_df, test_name), max(4 * bs, 4096))
    hints: dict[str, Any] = {"n_users": recipe.n_users, "n_items": recipe.n_items, "n_out": 1}
    if resolved.kind == "regression":
        span = recipe.rating_max - recipe.rating_min
        if span <= 0:
            raise DataError(
                f"every training rating in {name} is {recipe.rating_min:g}; there is nothing to learn. "
                f"Check the column '{rating_col}'"
            )
        hints["y_range"] = [recipe.rating_min - RANGE_MARGIN * span, recipe.rating_max + RANGE_MARGIN * span]
    return DataBundle(resolved, train, valid, test_loader, recipe, "collab", hints)


def _check_settings(valid_pct: float, batch_size: int | None, task: str | None) -> None:
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1
    ):
        raise ConfigError(
            f"--batch-size must be a whole number of at least 1, got {batch_size!r}; pass e.g. 1024"
        )
    if not 0 <= valid_pct < 1:
        raise ConfigError(
            f"--valid-pct must be at least 0 and less than 1, got {valid_pct}; pass e.g. --valid-pct 0.1"
        )
    if task is not None and task not in ("regression", "binary"):
        raise ConfigError(
            f"--task {task!r} does not fit ratings; a ratings model predicts a score (regression) or liked/not "
            "(binary)"
        )


def _checked(df: pd.DataFrame, user_col: str, item_col: str, rating_col: str, source: str) -> pd.DataFrame:
    """Refuse rows without a user, an item or a rating: each would be a silent guess."""
    for column in (user_col, item_col, rating_col):
        missing = df[column].isna()
        if missing.any():
            first = int(np.flatnonzero(missing.to_numpy())[0])
            raise DataError(
                f"column '{column}' of {source} is empty in {int(missing.sum())} of {len(df)} rows (first: row "
                f"{df.index[first]}); drop those rows first"
            )
    return df


def _infer_task(ratings: pd.Series, rating_col: str, kind: str | None) -> Task:
    distinct = ratings.nunique()
    if kind == "binary" or (kind is None and distinct == 2):
        return infer_task(ratings, name=rating_col, kind="binary")
    numbers = pd.to_numeric(ratings, errors="coerce")
    if numbers.isna().any():
        bad = ratings[numbers.isna()].iloc[0]
        raise DataError(
            f"rating column '{rating_col}' holds {bad!r}, which is not a number; ratings must be numbers (or "
            "exactly two labels, such as liked/disliked)"
        )
    if not np.isfinite(numbers.to_numpy(dtype=np.float64)).all():
        raise DataError(f"rating column '{rating_col}' holds an infinite value; fix or drop that row")
    return Task("regression", (), (rating_col,))


def _split(
    df: pd.DataFrame,
    valid_pct: float,
    valid_col: str | None,
    splits: tuple[Sequence[int], Sequence[int]] | None,
    seed: int,
    source: str,
) -> tuple[np.ndarray, np.ndarray]:
    if splits is not None:
        train_index, valid_index = (np.asarray(s, dtype=np.int64) for s in splits)
        bad = any(len(ix) and (ix.min() < 0 or ix.max() >= len(df)) for ix in (train_index, valid_index))
        if len(train_index) == 0 or bad:
            raise ConfigError(
                f"splits must hold row positions from 0 to {len(df) - 1}, and train must not be empty"
            )
        return train_index, valid_index
    if valid_col is not None:
        check_columns(df, [valid_col], source, "--valid-col")
        return mask_split(df[valid_col].tolist(), source=f"--valid-col '{valid_col}'")
    if valid_pct == 0:
        return np.arange(len(df)), np.arange(0)
    return random_split(len(df), valid_pct, seed)


def _encode(recipe: CollabRecipe, task: Task, df: pd.DataFrame, source: str) -> tuple[torch.Tensor, ...]:
    x_cat, x_cont = recipe.transform(df, source=source)
    return x_cat, x_cont, task.encode(df[recipe.rating_col])
