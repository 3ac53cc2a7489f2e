"""The DataBundle of a recommender: its loaders, with each split's first rows kept as read, to show them.

The loaders hold codes (user 196 is row 12 of an embedding; an id unknown to training is 0), which say nothing
to the person who wrote the table; ``show_batch`` answers with the rows themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trainwell.core.errors import ConfigError
from trainwell.data.bundle import DataBundle, refuse_a_path

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SHOWN_ROWS", "RatingsDataBundle"]

#: Rows of each split a ratings DataBundle keeps as read, for ``show_batch`` (as many as a table's keeps).
SHOWN_ROWS = 64


@dataclass(repr=False)
class RatingsDataBundle(DataBundle):
    """A DataBundle of ratings (or interactions); ``shown`` keeps each split's first :data:`SHOWN_ROWS` rows as
    read, in their split's order, with their user, item and rating columns (user, item and time for
    interactions) and the index they had in the table.

    It keeps them apart from :attr:`~trainwell.data.DataBundle.rows`, which holds whole held-out splits for top
    losses and for a search's fingerprint of its validation rows; for ratings, ``rows["test"]``: the test table as
    read (``test=``), for its baselines and top-N lists (:class:`~trainwell.collab.pipeline.RatingsRun`).
    """

    shown: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: The validation rows whose user or item no training row has (user, item and rating, as read): validation
    #: scores them as the average user or item would be, and :func:`~trainwell.collab.fold_in.fold_in` fits
    #: those ids on them after training, so that the final model knows every id of the data it was given.
    new_id_rows: pd.DataFrame | None = None
    #: The ratings file as given (``None`` for a DataFrame): what a fold-in's record names as its data.
    source: str | None = None
    #: One record per fold-in made, oldest first (:mod:`trainwell.collab.fold_in_record`): written in the model
    #: directory as ``training.folded_in``, for ``trainwell info``.
    folded_in: list[dict[str, Any]] = field(default_factory=list)
    #: How the validation rows were chosen, in words: ``"a random 20% of the ratings"``, ``"each user's latest
    #: 20% of their ratings by 'timestamp'"`` (``time=``), ``"the rows 'is_valid' marks"``...
    held_out: str | None = None
    #: The table's time column: the one ``time=`` named, else one named like a time (``timestamp``, ``date``...)
    #: that a random split of ratings left unused; ``None`` when it has none.
    time_col: str | None = None

    def show_batch(self, n: int = 8, split: str = "train") -> pd.DataFrame:
        """The first ``n`` (user, item, rating) rows of ``split`` (``"train"``, ``"valid"`` or ``"test"``) as read
        (at most :data:`SHOWN_ROWS`): a look at what the model trains, or is scored, on. Implicit feedback shows
        each split's interactions (user, item, and their time where the table has one): training holds each
        user's history, validation each user's held-out interaction."""
        refuse_a_path(n, "(user, item, rating) rows")
        rows = self.shown.get(split)
        if rows is None:
            raise ConfigError(
                f"show_batch: this ratings data has no {split!r} split; it has {', '.join(self.shown) or 'none'}"
            )
        return rows.head(n)


def first_rows(frame: pd.DataFrame, columns: list[str | None]) -> pd.DataFrame:
    """The first :data:`SHOWN_ROWS` rows of ``frame``, with ``columns`` (``None``s left out), a copy."""
    return frame[[column for column in columns if column is not None]].head(SHOWN_ROWS).copy()
