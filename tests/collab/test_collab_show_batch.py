"""ratings_data(...).show_batch() answers with the split's first (user, item, rating) rows as read, as a table's
does; it refused before, in words about tables and tensor_data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ratings_support import low_rank_ratings
from trainwell.collab.bundle import SHOWN_ROWS
from trainwell.collab.data import ratings_data
from trainwell.core.errors import ConfigError


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    table = low_rank_ratings(seed=1).frame.rename(columns={"item": "movie", "rating": "stars"})
    table["timestamp"] = np.arange(len(table))
    table.index = table.index + 1000  # the table's own labels are kept
    return table


def test_each_split_shows_its_first_rows_as_read(frame: pd.DataFrame) -> None:
    train_rows, valid_rows = np.arange(0, 1500), np.arange(1500, 2000)
    data = ratings_data(frame, "stars", splits=(train_rows, valid_rows), test=frame.tail(30))
    shown = data.show_batch()
    pd.testing.assert_frame_equal(shown, frame[["user", "movie", "stars"]].iloc[:8])
    pd.testing.assert_frame_equal(
        data.show_batch(3, "valid"), frame[["user", "movie", "stars"]].iloc[1500:1503]
    )
    pd.testing.assert_frame_equal(
        data.show_batch(2, "test"), frame[["user", "movie", "stars"]].tail(30).head(2)
    )
    assert len(data.show_batch(10_000)) == SHOWN_ROWS  # what is kept: as many as a table keeps


def test_a_file_shows_its_ids_as_written(tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv"
    path.write_text("user,movie,rating\n" + "ann,Alien,5\nbob,Brazil,3\ncid,Brazil,4\ndee,Alien,2\n" * 5)
    shown = ratings_data(path, user="user", item="movie", valid_pct=0.25).show_batch(2)
    assert shown.columns.tolist() == ["user", "movie", "rating"]
    assert set(shown["user"]) <= {"ann", "bob", "cid", "dee"} and set(shown["movie"]) <= {"Alien", "Brazil"}


def test_interactions_show_user_item_and_time(frame: pd.DataFrame) -> None:
    data = ratings_data(frame[["user", "movie", "timestamp"]])  # no rating column: implicit feedback
    assert data.show_batch(4).columns.tolist() == ["user", "movie", "timestamp"]
    held_out = data.show_batch(SHOWN_ROWS, "valid")
    assert held_out["user"].is_unique  # each user's latest interaction


def test_a_path_or_a_missing_split_is_refused_in_words(frame: pd.DataFrame) -> None:
    data = ratings_data(frame)
    with pytest.raises(
        ConfigError,
        match=r"^show_batch\('batch.png'\): this data shows its \(user, item, rating\) rows as a DataFrame, not a "
        r"PNG \(only images draw a grid\); call show_batch\(\) or show_batch\(n\)",
    ):
        data.show_batch("batch.png")  # type: ignore[arg-type]
    with pytest.raises(
        ConfigError, match=r"^show_batch: this ratings data has no 'test' split; it has train, valid$"
    ):
        data.show_batch(split="test")
