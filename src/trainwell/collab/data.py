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
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from trainwell.collab.bundle import RatingsDataBundle, first_rows
from trainwell.collab.recipe import CollabRecipe
from trainwell.core.errors import ConfigError, DataError
from trainwell.core.positional import refuse_extra_positional
from trainwell.core.warn import warn
from trainwell.data.bundle import DataBundle, choose_split
from trainwell.data.dates import data_row
from trainwell.data.fair_order import in_fair_order
from trainwell.data.fingerprint import RowSketch
from trainwell.data.io import check_columns, check_test_targets, is_number, list_columns, read_table
from trainwell.data.loader import TensorLoader
from trainwell.data.task import Task, infer_task

__all__ = [
    "chosen_items",
    "default_collab_batch_size",
    "find_rating_columns",
    "ratings_data",
    "read_model_ratings",
    "read_ratings",
]

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
#: Columns that say when: never taken as a user or an item; they order a user's interactions.
TIME_NAMES = ("timestamp", "time", "date", "datetime", "ts", "createdat", "eventtime", "when")

#: The rating scale is widened by this share of its span on each side before the sigmoid bounds it, so the
#: ends of the scale are reachable (a sigmoid never reaches its asymptotes).
RANGE_MARGIN = 0.1


def _normal(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name.lower())


#: The rating names that say a ratings table on their own (``label`` and ``target`` say any table's target).
PLAIN_RATING_NAMES = ("rating", "ratings", "stars", "star", "rate", "grade")


def ratings_columns(columns: Iterable[Any]) -> tuple[str, str, str | None] | None:
    """The user, item and rating columns ``columns`` are named like (the rating ``None`` when none is), or ``None``
    when no user or no item column is: what a table given to a table model's commands would train as a
    recommender with ``--user``/``--item``."""
    names = [str(column) for column in columns]
    user = next((name for name in names if _normal(name) in USER_NAMES), None)
    item = next((name for name in names if _normal(name) in ITEM_NAMES and name != user), None)
    if user is None or item is None:
        return None
    rating = next((name for name in names if _normal(name) in PLAIN_RATING_NAMES), None)
    return user, item, rating


def read_ratings(
    source: str | Path,
    *,
    encoding: str = "utf-8",
    names: Sequence[str] = HEADERLESS_NAMES,
    encoding_errors: str = "strict",
) -> pd.DataFrame:
    """Read a ratings file, naming the columns of one that has no header row (MovieLens' ``u.data``): ``names``
    first (user, item, rating, timestamp; a model's own user and item columns when predicting), then
    ``column_5``...

    ``encoding`` is the text encoding of a CSV/TSV/JSON file, e.g. ``"cp1252"`` (Excel on Windows);
    ``encoding_errors="replace"`` reads a byte it cannot decode as U+FFFD instead of stopping.
    """
    try:
        frame = read_table(source, encoding=encoding, encoding_errors=encoding_errors)
    except DataError as error:
        if not str(error).endswith("has no data rows"):
            raise
        # A single line that is all numbers is one header-less row (one pair piped to predict), not a header.
        single = _one_headerless_row(source, names, encoding, encoding_errors)
        if single is None:
            raise
        return single
    if headerless(frame.columns):
        given = [*names, *(f"column_{i + 1}" for i in range(len(names), len(frame.columns)))]
        frame = read_table(
            source, names=given[: len(frame.columns)], encoding=encoding, encoding_errors=encoding_errors
        )
    return frame


def ratings_source(source: str | Path) -> str | Path:
    """The file to read for ``source``: a folder (or an archive of one) holding no table but a ratings file
    without a header row beside other files (MovieLens' ``ml-100k/``: ``u.data`` beside ``u.item``, ``u.user``...)
    gives that file, said in a warning, as ``trainwell fit ml-100k/`` reads it; anything else is itself."""
    from trainwell.collab.names import ratings_file_in
    from trainwell.core.archives import unpacked

    folder = Path(unpacked(source))
    found = ratings_file_in(folder) if folder.is_dir() else None
    if found is None:
        return source
    warn(
        f"'{source}': {found.name} holds ratings without a header row (user, item, rating[, timestamp]): read as "
        f"that file, its columns named so",
        UserWarning,
    )
    return found


def read_ratings_named(
    source: str | Path, names: Sequence[str] | None, encoding: str = "utf-8", encoding_errors: str = "strict"
) -> pd.DataFrame:
    """A ratings file read with the column ``names`` given for a file without a header row, else as
    :func:`read_ratings` reads one (a header row, or MovieLens' user, item, rating, timestamp)."""
    if names is None:
        return read_ratings(source, encoding=encoding, encoding_errors=encoding_errors)
    return read_table(source, names=names, encoding=encoding, encoding_errors=encoding_errors)


def _one_headerless_row(
    source: str | Path, names: Sequence[str], encoding: str, encoding_errors: str
) -> pd.DataFrame | None:
    """The file's one line as a header-less row named like :func:`read_ratings` names one, or ``None`` when it is
    not all numbers (a header with no rows under it)."""
    from trainwell.data.io import first_row

    first = first_row(source, encoding)
    if first is None:
        return None
    width = len(first.fields)
    given = [*names, *(f"column_{i + 1}" for i in range(len(names), width))][:width]
    try:
        frame = read_table(source, names=given, encoding=encoding, encoding_errors=encoding_errors)
    except DataError:
        return None
    return frame if len(frame) == 1 and headerless(frame.iloc[0].tolist()) else None


def read_model_ratings(
    source: str | Path, recipe: CollabRecipe, *, encoding: str = "utf-8", encoding_errors: str = "strict"
) -> pd.DataFrame:
    """Read a ratings file for a fitted model (``recommend --seen``, ``report --data``): a file without a header
    row has the model's own columns, user and item (then its rating, then ``timestamp``), as ``trainwell
    predict`` reads it, so MovieLens' ``u.data`` serves a model fitted on columns named ``uid``, ``movie``..."""
    names: list[str] = []
    for name in (recipe.user_col, recipe.item_col, recipe.rating_col or "rating", "timestamp"):
        if name not in names:
            names.append(name)
    return read_ratings(source, encoding=encoding, names=names, encoding_errors=encoding_errors)


def rating_or_target(rating: str | None, target: str | None) -> str | None:
    """The rating column, given as ``rating`` or as ``target`` (the other pipelines' name for the column to
    predict, and the command line's ``--target``): refused when both are given and differ."""
    if target is not None and rating is not None and target != rating:
        raise ConfigError(f"rating={rating!r} and target={target!r} name the same thing: pass one of them")
    return rating if rating is not None else target


def headerless(columns: Iterable[Any]) -> bool:
    """Whether a table with these column names was read from a file without a header row: every name is a
    number."""
    return all(is_number(name) for name in columns)


def find_rating_columns(
    df: pd.DataFrame,
    user: str | None,
    item: str | None,
    rating: str | None,
    source: str,
    *,
    implicit: bool = False,
) -> tuple[str, str, str | None]:
    """The (user, item, rating) columns: as given, else found by name; users and items else the first columns
    in order. The rating is ``None`` for implicit feedback: asked for, or a table with nothing but users,
    items and times. A table with other columns, none named like a rating, is ambiguous: an error says how
    to choose."""
    if implicit and rating is not None:
        raise ConfigError(f"--implicit reads rows as interactions without ratings; drop --target {rating}")
    given = {"--user": user, "--item": item, "--target": rating}
    for flag, name in given.items():
        if name is not None:
            check_columns(df, [name], source, flag)
    roles: dict[str, str | None] = {"user": user, "item": item, "rating": rating}
    taken = {name for name in roles.values() if name is not None}
    wanted = (("user", USER_NAMES), ("item", ITEM_NAMES)) + (() if implicit else (("rating", RATING_NAMES),))
    for role, known in wanted:
        if roles[role] is None:
            match = next(
                (str(c) for c in df.columns if _normal(str(c)) in known and str(c) not in taken), None
            )
            if match is not None:
                roles[role] = match
                taken.add(match)
    remaining = [str(c) for c in df.columns if str(c) not in taken and _normal(str(c)) not in TIME_NAMES]
    for role in ("user", "item"):
        if roles[role] is None:
            if not remaining:
                raise DataError(
                    f"{source} has no {role} column; its columns are {list_columns(list(map(str, df.columns)))}. "
                    f"Name it with --{role}"
                )
            roles[role] = remaining.pop(0)
    user_col, item_col = str(roles["user"]), str(roles["item"])
    rating_col = roles["rating"]
    if rating_col is None and remaining and not implicit:
        raise DataError(
            f"{source} has no column named like a rating (rating, score, stars...); other columns: "
            f"{list_columns(remaining)}. Pass --target {remaining[0]} if it holds the ratings, or --implicit to "
            "read each row as an interaction (implicit feedback)"
        )
    if len({user_col, item_col, rating_col}) < 3:
        raise ConfigError(
            f"the user, item and rating columns must differ; got user={user_col!r}, item={item_col!r}, "
            f"rating={rating_col!r}"
        )
    return user_col, item_col, rating_col


def find_time_column(df: pd.DataFrame, taken: Sequence[str | None]) -> str | None:
    """A column named like a time (``timestamp``, ``date``...) that is not one of ``taken``, or ``None``."""
    return next((str(c) for c in df.columns if _normal(str(c)) in TIME_NAMES and str(c) not in taken), None)


def default_collab_batch_size(n_rows: int) -> int:
    """About 200 batches an epoch, as a power of two between 64 and 4096: embedding lookups are cheap, so
    larger batches than a table's pay off, while small sets still get enough steps."""
    return int(min(4096, max(64, 2 ** round(math.log2(max(n_rows, 1) / 200)))))


def ratings_data(
    source: pd.DataFrame | str | Path,
    rating: str | None = None,
    *extra: Any,
    user: str | None = None,
    item: str | None = None,
    target: str | None = None,
    valid_pct: float = 0.2,
    valid_col: str | None = None,
    splits: tuple[Sequence[int], Sequence[int]] | None = None,
    test: pd.DataFrame | str | Path | None = None,
    task: str | None = None,
    batch_size: int | None = None,
    time: str | None = None,
    implicit: bool = False,
    n_negatives: int = 4,
    seed: int = 0,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    names: Sequence[str] | None = None,
) -> RatingsDataBundle:
    """Everything a collaborative-filtering Learner needs from a ratings (or interactions) table.

    The task is ``regression`` (predict the rating) unless the ratings take exactly two values, which makes it
    ``binary`` (liked or not); ``task`` overrides. Users and items are learned from training rows only: a
    validation row whose user (or item) is not among them is scored as a new user would be (as the average
    known user), which is what the validation score should measure. Those rows are kept as ``new_id_rows``, for
    :func:`~trainwell.collab.fit_ratings` to fit their ids on after training (:mod:`trainwell.collab.fold_in`);
    ``show_batch(n, split)`` shows a split's first rows as read.

    With ``implicit=True``, or a table holding only users, items (and times), each row is an interaction: implicit feedback
    (:mod:`trainwell.collab.implicit`). The task is then ``binary`` (observed vs drawn non-interactions), each
    user's latest interaction is held out (``valid_pct`` is not used), and validation ranks it among every item
    the user has not interacted with (hit rate and NDCG at 10).

    Args:
        source: A DataFrame or a ratings file (CSV, TSV, Parquet...; a header-less file is read as
            user, item, rating[, timestamp]).
        rating: The column to predict; second by position, as ``tabular_data``'s and ``text_data``'s target is
            (``ratings_data(df, "stars", user="user", item="movie")``; everything after it is given by keyword).
        user, item: The columns; found by name (also by position) when not given (the rating by name).
        target: Another name for ``rating`` (the column to predict), as ``tabular_data`` and the command line's
            ``--target`` call it.
        valid_pct: Share of rows held out at random (seeded) when neither ``valid_col`` nor ``splits`` is given;
            with ``time``, each user's latest share of their ratings.
        valid_col: A column marking validation rows (true/1/"valid"), e.g. each user's latest ratings.
        splits: Explicit ``(train_positions, valid_positions)``.
        test: An optional labelled held-out table with the same columns.
        task: ``regression`` or ``binary`` to override inference.
        batch_size: Rows per training batch (default: about 200 batches an epoch, 64 to 4096).
        time: The column saying when each row was made (numbers or dates). Ratings: validation holds out each
            user's latest ``valid_pct`` of their ratings by it (rounded; at least one of each user's ratings
            trains) instead of a random ``valid_pct`` of all; not used by default, whatever the table holds
            (``data.held_out`` says how the validation rows were chosen). Implicit feedback: the column ordering
            each user's interactions (found by name: timestamp, time, date...); the latest is held out. Without
            one, a random interaction per user is.
        implicit: Read each row as an interaction, whatever other columns the table has.
        n_negatives: Implicit feedback: non-interactions drawn per interaction each epoch.
        seed: Controls the split, the shuffling and the drawn negatives.
        encoding: Text encoding of CSV/TSV/JSON files, e.g. ``"cp1252"`` (Excel on Windows) or ``"latin-1"``.
        encoding_errors: ``"replace"`` reads a byte ``encoding`` cannot decode as U+FFFD instead of stopping
            (``"strict"``).
        names: The names of every column, in order, of a CSV/TSV ``source`` (and ``test``) without a header row
            (instead of user, item, rating, timestamp).

    Example:
        >>> frame = pd.DataFrame({"user": [1, 1, 2, 2, 3] * 4, "movie": list("abcab") * 4,
        ...                       "rating": [5, 3, 4, 2, 1] * 4})
        >>> data = ratings_data(frame)
        >>> data.task.kind, data.model_hints["n_users"], data.model_hints["n_items"]
        ('regression', 4, 4)
    """
    refuse_extra_positional("ratings_data", extra, ("source", "rating"), ("user", "item"))
    _check_settings(valid_pct, batch_size, task)
    rating = rating_or_target(rating, target)
    name = str(source) if not isinstance(source, pd.DataFrame) else "the ratings table"
    if not isinstance(source, pd.DataFrame):
        source = ratings_source(source)  # MovieLens' ml-100k/ (or its .tgz): its u.data
    df = (
        source
        if isinstance(source, pd.DataFrame)
        else read_ratings_named(source, names, encoding, encoding_errors)
    )
    if len(df) == 0:
        raise DataError(f"{name} has no rows")
    user_col, item_col, rating_col = find_rating_columns(df, user, item, rating, name, implicit=implicit)
    if rating_col is None:
        if task not in (None, "binary"):
            raise ConfigError(
                f"{name} has no rating column, so each row is read as an interaction (implicit feedback), which "
                "takes no --task; name the rating column with --target if there is one"
            )
        bundle = _interactions_data(
            df, user_col, item_col, time, valid_col, splits, batch_size, n_negatives, seed, name
        )
        if (
            test is not None
        ):  # held-out interactions: the lists are judged on them after training (test_lists)
            test_df, test_name = _test_table(test, names, encoding, encoding_errors, user_col, item_col)
            bundle.rows = {"test": checked_ratings(test_df, user_col, item_col, None, test_name)}
        return bundle
    df = checked_ratings(df, user_col, item_col, rating_col, name)
    resolved = _infer_task(df[rating_col], rating_col, task)
    warn_repeated_pairs(df, user_col, item_col, rating_col, name)
    if resolved.kind == "regression":
        warn_off_scale(df[rating_col], rating_col, name)
    time_col = time if time is not None else find_time_column(df, [user_col, item_col, rating_col])
    if time is not None:
        train_index, valid_index = _split_by_time(
            df, user_col, item_col, time, valid_pct, valid_col, splits, seed, name
        )
        held_out = f"each user's latest {valid_pct:.0%} of their ratings by '{time}'"
    else:
        train_index, valid_index = _split(df, valid_pct, valid_col, splits, seed, name)
        held_out = _split_words(valid_pct, valid_col, splits)
    if (
        splits is None
    ):  # in a fair order, as a table's (a capped pass reads the first batches): data.fair_order
        liked = df[rating_col].tolist() if resolved.kind == "binary" else None
        valid_index = in_fair_order(valid_index, liked, seed)
    train_df, valid_df = df.iloc[train_index], df.iloc[valid_index]
    targets = resolved.encode(train_df[rating_col]).numpy()
    recipe = CollabRecipe.fit(
        train_df, user_col=user_col, item_col=item_col, rating_col=rating_col, ratings=targets
    )
    bs = default_collab_batch_size(len(train_df)) if batch_size is None else int(batch_size)
    train = TensorLoader(_encode(recipe, resolved, train_df, name), bs, shuffle=True, seed=seed)
    # Which rows trained the model, sketched, so a report on training rows can say so (data.fingerprint).
    train.rows_sketch = RowSketch.of(train_df, [user_col, item_col, rating_col])  # type: ignore[attr-defined]
    if names is not None and not isinstance(source, pd.DataFrame):  # kept: predict reads files like it alike
        train.header_names = list(names)  # type: ignore[attr-defined]
    valid = (
        TensorLoader(_encode(recipe, resolved, valid_df, name), max(4 * bs, 4096)) if len(valid_df) else None
    )
    test_loader, test_df = None, None
    if test is not None:
        test_df, test_name = _test_table(test, names, encoding, encoding_errors, user_col, item_col)
        check_test_targets(test_df, rating_col, None if isinstance(test, pd.DataFrame) else test)
        test_df = checked_ratings(test_df, user_col, item_col, rating_col, test_name)
        if resolved.kind == "regression":  # a 'five' failed in numpy, a 1e30 scored an rmse of 4e28
            refuse_unusable_ratings(test_df[rating_col], rating_col, test_name)
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
        hints["clip"] = [recipe.rating_min, recipe.rating_max]
    columns: list[str | None] = [user_col, item_col, rating_col]
    shown = {"train": first_rows(train_df, columns)}
    if valid is not None:
        shown["valid"] = first_rows(valid_df, columns)
    if test is not None:
        shown["test"] = first_rows(test_df, columns)
    new_id_rows = None
    if valid is not None:  # validation rows of an id no training row has: fitted after training (fold_in)
        unseen = np.flatnonzero((valid.tensors[0] == 0).any(dim=1).numpy())
        new_id_rows = valid_df.iloc[unseen][[user_col, item_col, rating_col]].copy() if len(unseen) else None
    return RatingsDataBundle(
        resolved,
        train,
        valid,
        test_loader,
        recipe,
        "collab",
        hints,
        shown=shown,
        new_id_rows=new_id_rows,
        source=None if isinstance(source, pd.DataFrame) else name,
        # The test rows as read (not copied): their baselines and top-N lists are judged on them after training.
        rows={} if test_df is None else {"test": test_df},
        held_out=held_out,
        time_col=time_col,
    )


def chosen_items(data: DataBundle, extra: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """What each user chose in the data a model is fitted on, training and validation rows alike, as
    ``(offsets, items)``: user code ``u``'s item codes (sorted, each once) are ``items[offsets[u]:offsets[u + 1]]``.

    These are what ``recommend`` leaves out: an item a user rated, or interacted with, is not news to them,
    whichever split it fell in (a leave-one-out validation holds each user's latest). Ids the recipe does not
    know (code 0: a validation row of a new user or item) are left aside; the test rows are not read. ``extra``
    adds ``(N, 2)`` (user code, item code) pairs: the validation rows of ids met after training, once fitted
    (:func:`~trainwell.collab.fold_in.fold_in`)."""
    n_users, n_items = int(data.model_hints["n_users"]), int(data.model_hints["n_items"])
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    train: Any = data.train
    if hasattr(train, "users"):  # implicit feedback: an InteractionLoader, and a ranking of the held-out ones
        parts.append((train.users, train.items))
        ranking = getattr(data.valid, "ranking", None)
        if ranking is not None:
            parts.append((ranking.users, ranking.items))
    else:  # ratings: TensorLoaders whose first tensor holds (user code, item code) per row
        loaders: list[Any] = [train, data.valid]
        for loader in loaders:
            if loader is not None:
                codes = loader.tensors[0].numpy()
                parts.append((codes[:, 0], codes[:, 1]))
    if extra is not None:
        parts.append((extra[:, 0], extra[:, 1]))
    users = (
        np.concatenate([np.asarray(u, dtype=np.int64) for u, _ in parts]) if parts else np.zeros(0, np.int64)
    )
    items = (
        np.concatenate([np.asarray(i, dtype=np.int64) for _, i in parts]) if parts else np.zeros(0, np.int64)
    )
    return pairs_by_user(users, items, n_users, n_items)


def pairs_by_user(
    users: np.ndarray, items: np.ndarray, n_users: int, n_items: int
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (user, item) code pairs of ``users`` and ``items`` laid out by user, as the models'
    ``seen_offsets``/``seen_items`` buffers hold them: user ``u``'s items are ``items[offsets[u]:offsets[u + 1]]``,
    sorted; codes the model does not know (0: a new id; past the tables) are left aside."""
    known = (users > 0) & (users < n_users) & (items > 0) & (items < n_items)
    keys = np.unique(users[known] * n_items + items[known])  # sorted by user, then item; each pair once
    pair_users, pair_items = np.divmod(keys, n_items)
    offsets = np.zeros(n_users + 1, dtype=np.int64)
    np.cumsum(np.bincount(pair_users, minlength=n_users), out=offsets[1:])
    return offsets, pair_items


def _check_settings(valid_pct: float, batch_size: int | None, task: str | None) -> None:
    from trainwell.data.bundle import check_split_settings

    check_split_settings(valid_pct, batch_size, valid_pct_example=0.1)
    if task is not None and task not in ("regression", "binary"):
        raise ConfigError(
            f"--task {task!r} does not fit ratings; a ratings model predicts a score (regression) or liked/not "
            "(binary)"
        )


def warn_repeated_pairs(df: pd.DataFrame, user_col: str, item_col: str, rating_col: str, source: str) -> None:
    """Warn of (user, item) pairs rated more than once with different ratings: each rating trains as a row of
    its own, the model answers their mean, and one pair can be in training and validation at once."""
    pairs = df[[user_col, item_col, rating_col]]
    repeated = pairs[pairs.duplicated([user_col, item_col], keep=False)]
    if repeated.empty:
        return
    spread = repeated.groupby([user_col, item_col], sort=False)[rating_col].nunique()
    conflicting = spread[spread > 1]
    if conflicting.empty:
        return
    user, item = conflicting.index[0]
    ratings = repeated.loc[(repeated[user_col] == user) & (repeated[item_col] == item), rating_col].tolist()
    shown = ", ".join(
        f"{value:g}" if isinstance(value, int | float) else repr(value) for value in ratings[:4]
    )
    warn(
        f"{len(conflicting):,} (user, item) pair{'s' if len(conflicting) > 1 else ''} of {source} "
        f"{'are' if len(conflicting) > 1 else 'is'} rated more than once with different ratings (the "
        f"first: user {_shown_id(user)}, item {_shown_id(item)}: {shown}): each rating trains as a row of its own and one pair can "
        "be in training and validation at once; keep one rating a pair (the latest) if the others are outdated",
        UserWarning,
    )


def _shown_id(value: Any) -> str:
    """A user or item id as a message shows it: a string quoted, a number plain (``196``, not ``np.int64(196)``)."""
    return repr(value) if isinstance(value, str) else str(value)


#: A rating scale: at most SCALE_VALUES distinct values, each held by at least OFF_SCALE_SHARE of the ratings
#: (and 2), which hold all but RARE_SHARE of them plus RARE_ROWS: the rest are rare values, among them any off
#: the scale.
SCALE_VALUES, OFF_SCALE_SHARE, RARE_SHARE, RARE_ROWS = 21, 0.001, 0.01, 2


#: The share of the ratings whose values make the bulk of a scale (:func:`scale_bounds`).
BULK_SHARE = 0.99
#: How many of the bulk's steps beyond its ends a common value may lie and still be on the scale.
BULK_STEPS = 2


def scale_bounds(common: pd.Series) -> tuple[float, float]:
    """The ends of the scale the ``common`` values (value -> count, at least two) are on: the values holding
    :data:`BULK_SHARE` of the ratings, most frequent first, widened to any other common value within
    :data:`BULK_STEPS` of the bulk's smallest step (a rare 0.5 on a scale of 1 to 5 in halves).

    The common values' own ends were the scale once: 50 ratings of 50 among 20,000 of 1 to 5 (one in 400, above
    one in a thousand) made the scale 1 to 50 and went unsaid, while 10 ratings of -3 were flagged."""
    ordered = common.sort_values(ascending=False, kind="stable")
    reach = int(np.searchsorted(ordered.cumsum().to_numpy(), BULK_SHARE * float(ordered.sum()))) + 1
    bulk = np.sort(ordered.index.to_numpy(dtype=np.float64)[: max(reach, 2)])
    low, high = float(bulk[0]), float(bulk[-1])
    step = float(np.diff(bulk).min()) if len(bulk) > 1 else 0.0
    others = sorted(float(value) for value in ordered.index[max(reach, 2) :])
    widened = True
    while widened and step > 0:
        widened = False
        for value in others:
            if (
                low - BULK_STEPS * step - 1e-9 <= value < low
                or high < value <= high + BULK_STEPS * step + 1e-9
            ):
                low, high, widened = min(low, value), max(high, value), True
    return low, high


def warn_off_scale(ratings: pd.Series, rating_col: str, source: str) -> None:
    """Warn of a few ratings outside the scale the others use (a 50 or a -3 among ratings of 1 to 5, a typo):
    the model's range stretches to hold them and every answer drifts toward them.

    Whether the ratings have a scale is told by the rare values (those too few to be on it): a handful is typos
    on a scale; many are amounts or counts, which have none. The off-scale ratings themselves were the count
    once, at most one in a thousand plus one: a second typo in 600 ratings (a -4 and a -2 among 1 to 5) hid
    both, while a 1e30 alone was said."""
    numbers = pd.to_numeric(ratings, errors="coerce")
    counts = numbers.value_counts()
    common = counts[counts >= max(2, OFF_SCALE_SHARE * len(numbers))]
    if len(common) < 2 or len(common) > SCALE_VALUES:
        return  # no scale (amounts, counts): nothing is off it
    if len(numbers) - int(common.sum()) > RARE_SHARE * len(numbers) + RARE_ROWS:
        return  # many values too rare to be on a scale: amounts, not a scale with typos
    low, high = scale_bounds(common)
    off = (numbers < low) | (numbers > high)
    if not off.any():
        return
    positions = np.flatnonzero(off.to_numpy())
    shown = ", ".join(f"{numbers.iloc[i]:g} ({data_row(ratings, int(i))})" for i in positions[:3])
    warn(
        f"{len(positions):,} rating{'s' if len(positions) > 1 else ''} of {source} "
        f"{'lie' if len(positions) > 1 else 'lies'} outside the scale {low:g} to "
        f"{high:g} that the other {len(numbers) - len(positions):,} use: {shown}{', ...' if len(positions) > 3 else ''}; "
        f"the model's range stretches to hold them and every answer drifts: fix or drop those rows of "
        f"'{rating_col}'",
        UserWarning,
    )


def checked_ratings(
    df: pd.DataFrame, user_col: str, item_col: str, rating_col: str | None, source: str
) -> pd.DataFrame:
    """Refuse rows without a user, an item or a rating: each would be a silent guess.

    The first such row is named as every other ratings message names one, "data row 4" being the fourth row
    under the header (:func:`~trainwell.data.dates.data_row`); it was the 0-based index label, "row 3", so the
    two messages of one file named one row two ways."""
    for column in (user_col, item_col) if rating_col is None else (user_col, item_col, rating_col):
        missing = df[column].isna()
        if missing.any():
            first = int(np.flatnonzero(missing.to_numpy())[0])
            raise DataError(
                f"column '{column}' of {source} is empty in {int(missing.sum()):,} of {len(df):,} rows (first: "
                f"{data_row(df[column], first)}); drop those rows first"
            )
    return df


def check_time_column(df: pd.DataFrame, time: str, name: str) -> None:
    """Refuse a ``time`` (``--time-col``) that is no column of ``df``, in one line naming it and the columns.

    Not :func:`~trainwell.data.io.check_columns`' message: the command line's ``--time`` is the training budget."""
    from trainwell.data.io import did_you_mean

    columns = [str(column) for column in df.columns]
    if time in columns:
        return
    raise DataError(
        f"time column {time!r} not found in {name}{did_you_mean([time], columns)}; columns are: "
        f"{list_columns(columns)}. Pass the column that says when each rating or interaction was made: "
        "--time-col NAME (Python: time=)"
    )


def interaction_times(
    df: pd.DataFrame, user_col: str, item_col: str, time: str | None, name: str
) -> np.ndarray | None:
    """Each interaction's time as a float (numbers as given, dates as nanoseconds), from ``time`` or the
    column named like a time; ``None`` when there is none.

    Raises:
        DataError: ``time`` is not a column, or holds values that are neither numbers nor dates.
    """
    if time is not None:
        check_time_column(df, time, name)
    time_col = time or find_time_column(df, [user_col, item_col])
    if time_col is None:
        return None
    numbers = pd.to_numeric(df[time_col], errors="coerce")
    parsed = numbers
    if parsed.isna().any():  # not all numbers: dates, as nanoseconds (an unreadable one stays missing)
        dates = pd.to_datetime(df[time_col], errors="coerce", format="mixed")
        parsed = pd.Series(dates.to_numpy(dtype="datetime64[ns]").astype(np.int64), index=df.index)
        parsed = parsed.where(dates.notna())
    if parsed.isna().any():
        # Name a value that is neither (a number among dates is not the one to fix), else say they are mixed.
        neither = df[time_col][numbers.isna() & parsed.isna()]
        problem = (
            f"holds values that are neither numbers nor dates, e.g. {neither.iloc[0]!r}"
            if len(neither)
            else f"mixes numbers and dates (e.g. {df[time_col][parsed.isna()].iloc[0]!r} among dates)"
        )
        raise DataError(
            f"time column '{time_col}' of {name} {problem}; fix them, or order the rows by another column "
            "(--time-col NAME; Python: time=)"
        )
    return parsed.to_numpy(dtype=np.float64)


def latest_per_pair(df: pd.DataFrame, user_col: str, item_col: str, times: np.ndarray | None) -> np.ndarray:
    """Sorted positions of the rows kept when each (user, item) pair keeps one row, its latest."""
    from trainwell.data.categories import category_key

    keys = pd.DataFrame({"u": df[user_col].map(category_key), "i": df[item_col].map(category_key)})
    order = np.argsort(times, kind="stable") if times is not None else np.arange(len(df))
    return np.sort(order[~keys.iloc[order].duplicated(keep="last").to_numpy()])


def split_latest(
    df: pd.DataFrame,
    user_col: str,
    item_col: str,
    *,
    time: str | None = None,
    seed: int = 0,
    name: str = "the data",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(history, held_out)``: each (user, item) pair once (its latest row), then each user's latest
    interaction held out (:func:`~trainwell.collab.implicit.leave_one_out`): the split an implicit fit
    validates on, for a table read the same way."""
    from trainwell.collab.implicit import leave_one_out
    from trainwell.data.categories import category_key

    df = checked_ratings(df, user_col, item_col, None, name)
    times = interaction_times(df, user_col, item_col, time, name)
    keep = latest_per_pair(df, user_col, item_col, times)
    df = df.iloc[keep].reset_index(drop=True)
    user_numbers = pd.factorize(df[user_col].map(category_key).to_numpy())[0]
    history, held = leave_one_out(user_numbers, None if times is None else times[keep], seed)
    return df.iloc[history], df.iloc[held]


def _interactions_data(
    df: pd.DataFrame,
    user_col: str,
    item_col: str,
    time: str | None,
    valid_col: str | None,
    splits: tuple[Sequence[int], Sequence[int]] | None,
    batch_size: int | None,
    n_negatives: int,
    seed: int,
    name: str,
) -> RatingsDataBundle:
    """Implicit feedback: interactions in, the loaders of :mod:`trainwell.collab.implicit` out."""
    from trainwell.collab.implicit import (
        HeldOutRanking,
        InteractionLoader,
        RankedValidation,
        leave_one_out,
        sample_negatives,
    )
    from trainwell.data.categories import category_key

    if isinstance(n_negatives, bool) or not isinstance(n_negatives, numbers.Integral) or n_negatives < 1:
        raise ConfigError(f"n_negatives must be a whole number of at least 1, got {n_negatives!r}")
    df = checked_ratings(df, user_col, item_col, None, name)
    times = interaction_times(df, user_col, item_col, time, name)
    given = None
    if splits is not None or valid_col is not None:  # positions of the table as given, before de-duplication
        train_rows, valid_rows = _split(df, 0.0, valid_col, splits, seed, name)
        given = np.zeros(len(df), dtype=np.int8)
        given[train_rows], given[valid_rows] = 1, 2
    # One row per (user, item): the latest, so the held-out interaction is never also a training one.
    keep = latest_per_pair(df, user_col, item_col, times)
    df = df.iloc[keep].reset_index(drop=True)
    times = None if times is None else times[keep]
    if given is not None:
        train_index, valid_index = np.flatnonzero(given[keep] == 1), np.flatnonzero(given[keep] == 2)
    else:
        user_numbers = pd.factorize(df[user_col].map(category_key).to_numpy())[0]
        train_index, valid_index = leave_one_out(user_numbers, times, seed)
    train_df, valid_df = df.iloc[train_index], df.iloc[valid_index]
    recipe = CollabRecipe.fit(train_df, user_col=user_col, item_col=item_col, rating_col=None)
    train_codes, _ = recipe.transform(train_df, source=name)
    users, items = train_codes[:, 0].numpy(), train_codes[:, 1].numpy()
    n_rows = len(train_df) * (1 + int(n_negatives))
    bs = default_collab_batch_size(n_rows) if batch_size is None else int(batch_size)
    train = InteractionLoader(
        users, items, recipe.n_items, n_negatives=int(n_negatives), batch_size=bs, seed=seed
    )
    valid = None
    if len(valid_df):
        codes, _ = recipe.transform(valid_df, source=name)
        known = (codes[:, 0] > 0) & (codes[:, 1] > 0)  # a new user or item cannot be ranked
        held_users, held_items = codes[known, 0].numpy(), codes[known, 1].numpy()
        if len(held_users):
            seen = train.known
            rng = np.random.default_rng(seed + 10_007)
            neg_users, neg_items = sample_negatives(held_users, seen, recipe.n_items, int(n_negatives), rng)
            x_cat = torch.from_numpy(
                np.stack([np.r_[held_users, neg_users], np.r_[held_items, neg_items]], axis=1)
            )
            target = torch.cat([torch.ones(len(held_users)), torch.zeros(len(neg_users))])
            valid = RankedValidation((x_cat, torch.zeros((len(x_cat), 0)), target), max(4 * bs, 4096))
            popularity = np.bincount(items, minlength=recipe.n_items)
            valid.ranking = HeldOutRanking(held_users, held_items, seen, recipe.n_items, popularity)
    task = Task("binary", (0, 1), (recipe.target_names[0],))
    hints: dict[str, Any] = {"n_users": recipe.n_users, "n_items": recipe.n_items, "n_out": 1}
    time_col = time or find_time_column(df, [user_col, item_col])
    columns = [user_col, item_col, time_col]
    shown = {"train": first_rows(train_df, columns)}
    if valid is not None:
        shown["valid"] = first_rows(valid_df, columns)
    if given is not None:
        held_out = _split_words(0.0, valid_col, splits)
    elif times is not None:
        held_out = f"each user's latest interaction by '{time_col}'"
    else:
        held_out = "a random one of each user's interactions held out (no time column: --time-col to hold out the latest)"
    return RatingsDataBundle(
        task, train, valid, None, recipe, "collab", hints, shown=shown, held_out=held_out, time_col=time_col
    )


def _infer_task(ratings: pd.Series, rating_col: str, kind: str | None) -> Task:
    distinct = ratings.nunique()
    if kind == "binary" and distinct != 2:
        raise DataError(
            f"--task binary needs exactly 2 rating values (liked/disliked) but '{rating_col}' has {distinct}; "
            "drop --task to predict the rating (regression)"
        )
    if kind == "binary" or (kind is None and distinct == 2):
        binary = infer_task(ratings, name=rating_col, kind="binary")
        return binary  # (disliked, liked): infer_task puts a negated label first (positive_last)
    refuse_unusable_ratings(ratings, rating_col)
    return Task("regression", (), (rating_col,))


#: The largest rating (either sign) a model trains on. The loss squares each error in 32 bits and sums a batch
#: of up to 16,384 rows: past sqrt(3.4e38 / 16384), about 1.4e17, it overflows, and a 1e30 in ratings of 1 to 5
#: stopped training on "loss became infinite ... lower the learning rate", blaming the learning rate for a typo.
#: 1e15 leaves room for the margin around the rating range; no scale of ratings comes near it.
MAX_RATING = 1e15


def refuse_unusable_ratings(ratings: pd.Series, rating_col: str, source: str | None = None) -> None:
    """Refuse ratings of a model of numbers that are no number (``'five'``), infinite, or beyond
    :data:`MAX_RATING`, naming the cell as written (``'inf'``, ``1e+30``) and its data row: the model cannot train
    on any of them, whatever the learning rate. ``source`` names a table other than the training one (a test
    table), whose data rows are counted apart."""
    of = f" of {source}" if source is not None else ""
    numbers = pd.to_numeric(ratings, errors="coerce")
    if numbers.isna().any():
        position = int(np.flatnonzero(numbers.isna().to_numpy())[0])
        count = int(numbers.isna().sum())
        raise DataError(
            f"rating column '{rating_col}'{of} holds {ratings.iloc[position]!r} in {data_row(ratings, position)}"
            f"{f' ({count:,} rows in all)' if count > 1 else ''}, which is not a number; ratings must be numbers "
            "(or exactly two labels, such as liked/disliked)"
        )
    values = numbers.to_numpy(dtype=np.float64)
    for bad, problem in (
        (np.isinf(values), "an infinite value"),
        (
            np.isfinite(values) & (np.abs(values) > MAX_RATING),
            f"beyond the ±{MAX_RATING:g} a model trains on (its squared error overflows the model's 32-bit "
            "numbers)",
        ),
    ):
        if bad.any():
            position = int(np.flatnonzero(bad)[0])
            cell = ratings.iloc[position]
            shown = repr(cell) if isinstance(cell, str) else f"{float(cell):g}"
            count = int(bad.sum())
            raise DataError(
                f"rating column '{rating_col}'{of} holds {shown} in {data_row(ratings, position)}"
                f"{f' ({count:,} rows in all)' if count > 1 else ''}, {problem}; fix or drop that row"
            )


def _split(
    df: pd.DataFrame,
    valid_pct: float,
    valid_col: str | None,
    splits: tuple[Sequence[int], Sequence[int]] | None,
    seed: int,
    source: str,
) -> tuple[np.ndarray, np.ndarray]:
    if valid_col is not None and splits is None:
        check_columns(df, [valid_col], source, "--valid-col")
    return choose_split(df, valid_pct=valid_pct, valid_col=valid_col, splits=splits, seed=seed)


def _split_words(
    valid_pct: float, valid_col: str | None, splits: tuple[Sequence[int], Sequence[int]] | None
) -> str:
    """How :func:`_split` chose the validation rows, in words (``a random 20% of the ratings``)."""
    if splits is not None:
        return "the rows splits= gives"
    if valid_col is not None:
        return f"the rows '{valid_col}' marks"
    if valid_pct == 0:
        return "none (valid_pct 0)"
    return f"a random {valid_pct:.0%} of the ratings"


def _split_by_time(
    df: pd.DataFrame,
    user_col: str,
    item_col: str,
    time: str,
    valid_pct: float,
    valid_col: str | None,
    splits: tuple[Sequence[int], Sequence[int]] | None,
    seed: int,
    name: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Ratings' train and valid positions with ``time=``: each user's latest ``valid_pct`` of their ratings
    held out (:func:`latest_share_per_user`).

    Raises:
        ConfigError: ``valid_col`` or ``splits`` chooses the validation rows too, or ``valid_pct`` is 0.
        DataError: ``time`` is not a column, or holds values that are neither numbers nor dates.
    """
    if valid_col is not None or splits is not None:
        other = "--valid-col (valid_col=)" if splits is None else "splits="
        raise ConfigError(
            f"--time-col {time} (time=) holds out each user's latest ratings, and {other} chooses the validation "
            "rows too: pass one of them"
        )
    if valid_pct == 0:
        raise ConfigError(
            f"--time-col {time} (time=) holds out each user's latest --valid-pct (valid_pct=) of their ratings, "
            "and it is 0: drop --time-col, or pass --valid-pct 0.2"
        )
    times = interaction_times(df, user_col, item_col, time, name)
    assert times is not None  # a time column was named: checked and read
    return latest_share_per_user(df[user_col], times, valid_pct, seed)


def latest_share_per_user(
    users: pd.Series, times: np.ndarray, share: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted train and valid positions: each user's latest ``share`` of their rows by ``times`` held out,
    rounded to whole rows (ties in a seeded random order); at least one row of each user trains, so no user of
    validation is new to the model (a user with one rating holds out none)."""
    from trainwell.data.categories import category_key

    codes = pd.factorize(users.map(category_key).to_numpy())[0]
    n = len(codes)
    tiebreak = np.random.default_rng(seed).random(n)
    order = np.lexsort((tiebreak, np.asarray(times, dtype=np.float64), codes))
    ordered = codes[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    lengths = np.diff(np.r_[starts, n])
    held_counts = np.minimum(np.floor(lengths * share + 0.5), lengths - 1).astype(np.int64)
    run = np.repeat(np.arange(len(starts)), lengths)
    place = np.arange(n) - starts[run]  # 0: the user's earliest rating
    held = place >= (lengths - held_counts)[run]
    return np.sort(order[~held]), np.sort(order[held])


def _encode(recipe: CollabRecipe, task: Task, df: pd.DataFrame, source: str) -> tuple[torch.Tensor, ...]:
    x_cat, x_cont = recipe.transform(df, source=source)
    return x_cat, x_cont, task.encode(df[recipe.rating_col])


def _test_table(
    test: str | Path | pd.DataFrame,
    names: Sequence[str] | None,
    encoding: str,
    encoding_errors: str,
    user_col: str,
    item_col: str,
) -> tuple[pd.DataFrame, str]:
    """The ``test=`` table read as the training one is (``names``, ``encoding``), with its user and item columns
    checked, and its name for messages."""
    test_name = str(test) if not isinstance(test, pd.DataFrame) else "the test table"
    test_df = (
        test if isinstance(test, pd.DataFrame) else read_ratings_named(test, names, encoding, encoding_errors)
    )
    for column, flag in ((user_col, "--user"), (item_col, "--item")):
        check_columns(test_df, [column], test_name, flag)
    return test_df, test_name
