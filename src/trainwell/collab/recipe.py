"""The fitted preprocessing of a ratings table: who the users are, what the items are, the range of ratings.

A :class:`CollabRecipe` is fitted on the training rows only and is plain data (saved as JSON in the artifact).
Users and items are categories with the library's one rule (:mod:`trainwell.data.categories`): keys are text,
so user ``196`` from a CSV and ``"196"`` from a JSON request are the same user; position ``i`` of the
vocabulary encodes as ``i + 1`` and code 0 means "not seen in training". An id that is not a training key but
reads as the same number as one matches it (:func:`encode_ids`: ``"196.0"`` typed on a command line, or copied
from a CSV whose id column picked up a gap, is user 196). The models hold the mean of the known
rows in row 0 of each embedding, so a new user is scored as the average known user (and a new item as the
average item): the cold-start answer is the best guess from what is known, never a random vector.

The recipe answers to the same names as a tabular recipe's categorical part (``cat_names``, ``categories``,
``transform`` returning ``(x_cat, x_cont)``), so the HTTP server, the ONNX export and ``trainwell predict``
treat a ratings model as a table with two categorical columns without knowing about recommendations.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from trainwell.core.artifact import check_stored_keys
from trainwell.core.errors import DataError
from trainwell.data.categories import category_key, category_vocabulary, encode_categories
from trainwell.data.io import list_columns

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["INTERACTION", "CollabRecipe", "encode_ids"]

#: The target's name for implicit feedback (an observed interaction is 1, a drawn non-interaction 0).
INTERACTION = "interaction"


@dataclass(repr=False)
class CollabRecipe:
    """Users, items and the rating scale, fitted by :meth:`fit` and applied by :meth:`transform`.

    Attributes:
        user_col, item_col: The columns naming the user and the item of each row.
        rating_col: The column holding the rating (the target, never an input); ``None`` for implicit
            feedback (each row an interaction, no rating).
        users, items: Training vocabularies as text keys; position ``i`` encodes as ``i + 1`` (0 = unseen).
        rating_min, rating_max: The smallest and largest training rating.
        rating_mean: The mean training rating (the answer with no information at all).

    Example:
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"user": [1, 1, 2], "movie": ["a", "b", "a"], "stars": [4, 2, 5]})
        >>> recipe = CollabRecipe.fit(frame, user_col="user", item_col="movie", rating_col="stars")
        >>> recipe.n_users, recipe.n_items, (recipe.rating_min, recipe.rating_max)
        (3, 3, (2.0, 5.0))
        >>> recipe.transform(pd.DataFrame({"user": ["2", 7], "movie": ["b", "a"]}))[0].tolist()
        [[2, 2], [0, 1]]
    """

    user_col: str
    item_col: str
    rating_col: str | None
    users: list[str]
    items: list[str]
    rating_min: float
    rating_max: float
    rating_mean: float

    def __repr__(self) -> str:
        from trainwell.core.reprs import dataclass_repr

        return dataclass_repr(
            self
        )  # a user id, an item, a word of the vocabulary each: cut to a few and a count

    @classmethod
    def fit(
        cls,
        df: pd.DataFrame,
        *,
        user_col: str,
        item_col: str,
        rating_col: str | None,
        ratings: np.ndarray | None = None,
    ) -> CollabRecipe:
        """Learn the vocabularies and the rating scale from training rows.

        ``ratings`` are the targets as numbers when the column holds labels (a liked/disliked task encodes
        them as 0/1); by default the column itself, which must then be numeric.
        """
        if ratings is None:
            ratings = np.ones(len(df)) if rating_col is None else df[rating_col].to_numpy(dtype=np.float64)
        values = np.asarray(ratings)
        ratings = values.astype(np.float64).reshape(-1)
        return cls(
            user_col=user_col,
            item_col=item_col,
            rating_col=rating_col,
            users=category_vocabulary(df[user_col]),
            items=category_vocabulary(df[item_col]),
            rating_min=float(ratings.min()),
            rating_max=float(ratings.max()),
            rating_mean=float(ratings.mean()),
        )

    # ------------------------------------------------------------------ the names a table model answers to
    @property
    def cat_names(self) -> list[str]:
        """The two input columns: user, then item."""
        return [self.user_col, self.item_col]

    @property
    def cont_names(self) -> list[str]:
        return []

    @property
    def input_names(self) -> list[str]:
        return self.cat_names

    @property
    def categories(self) -> dict[str, list[str]]:
        return {self.user_col: self.users, self.item_col: self.items}

    @property
    def means(self) -> dict[str, float]:
        return {}

    @property
    def stds(self) -> dict[str, float]:
        return {}

    @property
    def fill_values(self) -> dict[str, float]:
        return {}

    @property
    def dropped(self) -> dict[str, str]:
        return {}

    @property
    def target_names(self) -> list[str]:
        return [self.rating_col] if self.rating_col is not None else [INTERACTION]

    @property
    def implicit(self) -> bool:
        """True for implicit feedback: rows are interactions, the model scores how likely one is."""
        return self.rating_col is None

    # ------------------------------------------------------------------ sizes and encoding
    @property
    def n_users(self) -> int:
        """Rows of the user embedding: known users plus the reserved code 0."""
        return len(self.users) + 1

    @property
    def n_items(self) -> int:
        """Rows of the item embedding: known items plus the reserved code 0."""
        return len(self.items) + 1

    def user_codes(self, values: Any) -> np.ndarray:
        """Codes of user ids (0 for one never seen in training)."""
        import pandas as pd

        return encode_ids(pd.Series(list(values), dtype=object), self.users)

    def item_codes(self, values: Any) -> np.ndarray:
        """Codes of item ids (0 for one never seen in training)."""
        import pandas as pd

        return encode_ids(pd.Series(list(values), dtype=object), self.items)

    def known(self, df: pd.DataFrame) -> np.ndarray:
        """``bool`` ``(N, 2)``: whether each row's user and item are among the training ids (an absent column:
        unknown in every row)."""
        x_cat, _ = self.transform(df, allow_missing_columns=True)
        return (x_cat > 0).numpy()

    def unknown_categories(self, df: pd.DataFrame) -> dict[str, dict[str, int]]:
        """The users and items of ``df`` the model never saw, with their row counts (scored as the average
        known user or item), by column; columns with none are left out."""
        known = self.known(df)
        found: dict[str, dict[str, int]] = {}
        for column, name in enumerate(self.cat_names):
            if name not in df.columns:
                continue
            values = df[name][~known[:, column]].dropna()
            counts = values.astype(str).value_counts()
            if len(counts):
                found[name] = {str(key): int(count) for key, count in counts.items()}
        return found

    def check_pair_columns(self, columns: list[Any], source: str, *, cli: bool = False) -> None:
        """Refuse rows without the user or the item column, naming the model's two columns and the fix.

        Reading an absent column as missing in every row (``allow_missing_columns``, ``--allow-missing-columns``)
        scores every row as one unknown user, or item: the same average answer for all. It was the fix offered
        for a table that was not (user, item) pairs at all; it is no longer suggested. ``cli``: the rows come
        from a file the command line read, whose columns ``--names`` can name when it has no header row (a first
        row holding a known user and item is said to be one).

        Raises:
            DataError: ``columns`` lacks the user or the item column.
        """
        from trainwell.data.io import did_you_mean

        named = [str(column) for column in columns]
        absent = [name for name in self.cat_names if name not in named]
        if not absent:
            return
        missing = " nor ".join(repr(name) for name in absent)
        example = f"--names {self.user_col},{self.item_col}{',...' if len(named) > 2 else ''}"
        if (
            cli
            and len(named) >= 2
            and self.user_codes([named[0]])[0] > 0
            and self.item_codes([named[1]])[0] > 0
        ):
            raise DataError(
                f"no column {missing} in {source}, whose first row ({named[0]}, {named[1]}) is a user and an item "
                f"the model knows: it has no header row; name its columns in order, e.g. {example}"
            )
        pair = f"'{self.user_col}' and '{self.item_col}'"
        raise DataError(
            f"no column {missing} in {source}{did_you_mean(absent, named)}; its columns are: "
            f"{list_columns(named) or 'none'}. A recommender scores (user, item) pairs, read from the columns it "
            f"was trained on: rename the user and item columns to {pair}"
            + (
                f", or name the columns of a file without a header row in order, e.g. {example}"
                if cli
                else ""
            )
        )

    def transform(
        self, df: pd.DataFrame, *, allow_missing_columns: bool = False, source: str = "the data"
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Encode rows as model inputs.

        Args:
            df: Rows holding the user and item columns; other columns are ignored.
            allow_missing_columns: Read an absent user or item column as unseen in every row (scored as the
                average user or item) instead of failing.
            source: How to call ``df`` in error messages.

        Returns:
            ``(x_cat, x_cont)``: ``int64`` ``(N, 2)`` user and item codes, and an empty ``float32`` ``(N, 0)``.

        Raises:
            DataError: The user or item column is absent (unless allowed).
        """
        if not allow_missing_columns:
            self.check_pair_columns(list(df.columns), source)
        rows = len(df)
        columns = [
            encode_ids(df[name], vocabulary) if name in df.columns else np.zeros(rows, np.int64)
            for name, vocabulary in ((self.user_col, self.users), (self.item_col, self.items))
        ]
        return torch.from_numpy(np.stack(columns, axis=1)), torch.zeros((rows, 0), dtype=torch.float32)

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """Return the recipe as JSON-ready plain data; :meth:`from_dict` reverses it exactly."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CollabRecipe:
        """Rebuild a recipe from :meth:`to_dict` output.

        Raises:
            ArtifactError: Keys are missing or unknown.
        """
        check_stored_keys(data, (item.name for item in dataclasses.fields(cls)), "ratings recipe")
        return cls(
            user_col=str(data["user_col"]),
            item_col=str(data["item_col"]),
            rating_col=None if data["rating_col"] is None else str(data["rating_col"]),
            users=[str(v) for v in data["users"]],
            items=[str(v) for v in data["items"]],
            rating_min=float(data["rating_min"]),
            rating_max=float(data["rating_max"]),
            rating_mean=float(data["rating_mean"]),
        )

    def describe(self) -> str:
        """A short multi-line summary, as printed by ``trainwell info``."""
        if self.implicit:
            return (
                f"interactions recipe (implicit feedback): {len(self.users):,} users ('{self.user_col}'), "
                f"{len(self.items):,} items ('{self.item_col}')"
            )
        return (
            f"ratings recipe: {len(self.users):,} users ('{self.user_col}'), {len(self.items):,} items "
            f"('{self.item_col}'); rating '{self.rating_col}' from {self.rating_min:g} to {self.rating_max:g}, "
            f"mean {self.rating_mean:.3g}"
        )


def encode_ids(values: pd.Series, vocabulary: list[str]) -> np.ndarray:
    """User or item ids to vocabulary codes (0: never seen), by their text key; an id without a key of its own
    that reads as the same number as a training id gets that id's code (``"196.0"``, ``" 196 "`` and
    ``"1.96e2"`` are 196, and 196 is a training id written ``"196.0"``). Numbers are compared exactly, so two
    large ids that one float cannot tell apart stay apart.

    >>> import pandas as pd
    >>> encode_ids(pd.Series(["196.0", 196, "196.5", "x"], dtype=object), ["196", "x"]).tolist()
    [1, 1, 0, 2]
    """
    import pandas as pd

    codes = encode_categories(values, vocabulary)
    missed = np.flatnonzero(codes == 0)
    if len(missed) == 0:
        return codes
    groups, uniques = pd.factorize(values.iloc[missed], use_na_sentinel=True)
    numbers = [_number_key(value) for value in uniques]
    if any(number is not None for number in numbers):  # cold-start ids are mostly plain unknown ones
        by_number: dict[str, int] = {}
        for position, key in enumerate(vocabulary):
            spelling = _number_key(key)
            if spelling is not None:
                by_number.setdefault(spelling, position + 1)
        # The trailing 0 is what the missing-value group -1 picks up.
        lookup = [0 if number is None else by_number.get(number, 0) for number in numbers]
        codes[missed] = np.asarray([*lookup, 0], dtype=np.int64)[groups]
    return codes


def _number_key(value: object) -> str | None:
    """The exact number ``value`` reads as, in one spelling (``"196"`` for ``196.0`` and ``"1.96e2"``); None for
    what is not a finite number (text, booleans, missing values)."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return None
    text = value.strip() if isinstance(value, str) else category_key(value)
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number.adjusted()) > 64:  # "1e999999999" would be a huge int
        return None
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")
