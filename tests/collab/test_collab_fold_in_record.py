"""A fold-in is recorded in the model directory (``training.folded_in`` of ``trainwell.json``: when, how many users,
items and ratings, from which data) and shown by ``trainwell info``; several fold-ins accumulate in order."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ratings_support import low_rank_ratings
from trainwell.cli.app import app
from trainwell.collab import fold_in_record
from trainwell.collab.fold_in import fold_in
from trainwell.collab.fold_in_record import folded_in_words, ratings_digest
from trainwell.collab.pipeline import RatingsRun, fit_ratings
from trainwell.core.errors import DataError

#: Items only the newer ratings have; item 30 only validation rows have.
NEWER_ITEMS, VALIDATION_ITEM = (37, 38, 39, 40), 30
FIRST, SECOND = (
    datetime(2026, 12, 6, 19, 52, 3, tzinfo=timezone.utc),
    datetime(2026, 12, 6, 21, 0, 0, tzinfo=timezone(timedelta(hours=1))),
)


def clock(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr(fold_in_record, "now", lambda: moment)


def info(model_dir: Path) -> list[str]:
    result = CliRunner().invoke(app, ["info", str(model_dir)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return [" ".join(line.replace("│", " ").split()) for line in result.stdout.splitlines()]


@pytest.fixture()
def files() -> tuple[pd.DataFrame, pd.DataFrame]:
    """ratings.csv (items 1..36) and newer.csv (every rating of items 37..40), in the test's own folder."""
    frame = low_rank_ratings(seed=0).frame
    older = frame[~frame["item"].isin(NEWER_ITEMS)].reset_index(drop=True)
    newer = frame[frame["item"].isin(NEWER_ITEMS)].reset_index(drop=True)
    older.to_csv("ratings.csv", index=False)
    newer.to_csv("newer.csv", index=False)
    return older, newer


def splits(older: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """A fifth of the rows, and every rating of item 30, held out."""
    valid = (older["item"] == VALIDATION_ITEM).to_numpy() | (np.arange(len(older)) % 5 == 0)
    return np.flatnonzero(~valid), np.flatnonzero(valid)


@pytest.fixture()
def run(files: tuple[pd.DataFrame, pd.DataFrame], monkeypatch: pytest.MonkeyPatch) -> RatingsRun:
    clock(monkeypatch, FIRST)
    return fit_ratings("ratings.csv", out="model", splits=splits(files[0]), epochs=1, progress=False)


def test_the_fit_records_its_own_fold_in(run: RatingsRun, files: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    older = files[0]
    held = older.iloc[splits(older)[1]]
    rows = held[held["item"] == VALIDATION_ITEM]
    record = {
        "at": "2026-12-06T19:52:03+00:00",
        "users": 0,
        "items": 1,
        "ratings": len(rows),
        "data": "ratings.csv",
        "part": "validation rows",
        "ratings_sha256": ratings_digest(rows, ["user", "item", "rating"]),
    }
    assert run.folded_in is not None and run.folded_in.record == record
    written = json.loads(Path("model/trainwell.json").read_text())["training"]["folded_in"]
    assert written == [record]
    assert (
        f"folded in 2026-12-06 19:52:03 UTC: 1 item, fitted on {len(rows)} ratings (the validation rows of "
        "ratings.csv)" in info(Path("model"))
    )


def test_fold_ins_accumulate_in_order_and_info_shows_each(
    run: RatingsRun, files: tuple[pd.DataFrame, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    newer = files[1]
    clock(monkeypatch, SECOND)
    folded = fold_in(run.learn, "newer.csv")
    assert folded is not None and folded.items == tuple(str(item) for item in NEWER_ITEMS)
    known = newer["user"].nunique()  # newer.csv's users are all known: their rows update them
    assert folded.sentence() == (
        f"fitted 4 items new to the model and updated {known} known users from their newer ratings (the items "
        f"rated are left out of their recommendations), on {len(newer)} rows of newer.csv"
    )
    run.learn.export("model")
    records = json.loads(Path("model/trainwell.json").read_text())["training"]["folded_in"]
    assert [record["data"] for record in records] == ["ratings.csv", "newer.csv"]
    assert records[1] == {
        "at": "2026-12-06T20:00:00+00:00",  # 21:00 at UTC+1, recorded in UTC
        "users": 0,
        "items": 4,
        "ratings": len(newer),
        "data": "newer.csv",
        "part": None,
        "ratings_sha256": ratings_digest(newer, ["user", "item", "rating"]),
        "updated_users": known,
    }
    lines = info(Path("model"))
    start = next(index for index, line in enumerate(lines) if line.startswith("folded in "))
    assert lines[start].startswith("folded in 2026-12-06 19:52:03 UTC: 1 item, fitted on ")
    assert lines[start + 1] == (
        f"2026-12-06 20:00:00 UTC: 4 items, {known} known users updated, fitted on {len(newer)} ratings (newer.csv)"
    )
    assert "inputs 60 users ('user'), 40 items ('item'); rating 'rating', 1 to 5" in lines
    # The same rows again add nothing, and record nothing.
    assert fold_in(run.learn, newer) is None
    assert len(run.data.folded_in) == 2  # type: ignore[attr-defined]


def test_only_rows_naming_a_new_id_are_fitted_and_counted(
    files: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    older, newer = files
    run = fit_ratings(older, epochs=1, progress=False, valid_pct=0.1)
    assert run.folded_in is None  # every validation row's ids were trained on
    mixed = pd.concat([older.head(50), newer, pd.DataFrame({"user": [61], "item": [3], "rating": [4.0]})])
    folded = fold_in(run.learn, mixed, source="the week's ratings")
    assert folded is not None and folded.users == ("61",) and folded.rows == len(newer) + 1
    assert folded.record["data"] == "the week's ratings" and folded.record["part"] is None
    assert (
        folded.record["users"] == 1
        and folded.record["items"] == 4
        and folded.record["ratings"] == len(newer) + 1
    )
    known = newer["user"].nunique()  # the rows of older.head(50) are in the model's record: not news
    assert folded.updated_users and len(folded.updated_users) == known
    assert folded_in_words(folded.record).endswith(
        f": 4 items and 1 user, {known} known users updated, fitted on {len(newer) + 1} ratings (the week's ratings)"
    )
    assert run.learn.predict(pd.DataFrame({"user": [61], "item": [37]}))["prediction"].notna().all()


def test_rows_without_the_models_columns_or_with_an_empty_rating_are_refused(
    files: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    older, newer = files
    run = fit_ratings(older, epochs=1, progress=False)
    with pytest.raises(
        DataError,
        match=r"^fold_in: newer.csv has no column 'rating' \(the model's rating column\); its columns are: user, "
        r"item, stars\. Rename it to 'rating', or give a file without a header row \(read as user, item, "
        r"rating\[, timestamp\]\)$",
    ):
        newer.rename(columns={"rating": "stars"}).to_csv("newer.csv", index=False)
        fold_in(run.learn, "newer.csv")
    empty = newer.astype({"rating": float})
    empty.loc[3, "rating"] = np.nan
    with pytest.raises(
        DataError, match=r"^column 'rating' of the rows given is empty in 1 of \d+ rows \(first: data row 4\)"
    ):
        fold_in(run.learn, empty)
    assert run.data.recipe.n_items == 37 and not run.data.folded_in  # type: ignore[attr-defined, union-attr]


def test_a_headerless_file_is_read_as_the_models_columns(files: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    older, newer = files
    run = fit_ratings(older.rename(columns={"user": "uid", "item": "movie"}), epochs=1, progress=False)
    newer.to_csv("u.data", sep="\t", header=False, index=False)
    folded = fold_in(run.learn, "u.data")
    assert folded is not None and len(folded.items) == 4
    assert folded.record["ratings_sha256"] == ratings_digest(newer, ["user", "item", "rating"])


def test_the_words_of_a_record() -> None:
    record = fold_in_record.fold_in_record(
        users=1, items=0, ratings=1, data=None, part="validation rows", ratings_sha256="0" * 64, at=FIRST
    )
    assert folded_in_words(record) == (
        "2026-12-06 19:52:03 UTC: 1 user, fitted on 1 rating (the validation rows of a table given in Python)"
    )
    # A record written by hand, or by a later version, is said as far as it can be.
    assert folded_in_words({"items": 1_200, "ratings": 5_000, "data": "x.csv", "at": "yesterday"}) == (
        "yesterday: 1,200 items, fitted on 5,000 ratings (x.csv)"
    )
