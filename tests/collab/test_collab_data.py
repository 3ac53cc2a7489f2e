"""Tests for trainwell.collab.data (ratings_data, read_ratings, column finding) and trainwell.collab.recipe."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from ratings_support import low_rank_ratings
from trainwell.collab.data import default_collab_batch_size, ratings_data, read_ratings
from trainwell.collab.recipe import CollabRecipe
from trainwell.core.errors import ArtifactError, ConfigError, DataError

U_DATA = "196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n196\t51\t2\t880606923\n22\t242\t5\t886397596\n"


def small_ratings() -> pd.DataFrame:
    """Three users, three movies, ratings 1..5, twenty rows (the ratings_data docstring's table)."""
    return pd.DataFrame(
        {"user": [1, 1, 2, 2, 3] * 4, "movie": list("abcab") * 4, "rating": [5, 3, 4, 2, 1] * 4}
    )


# --------------------------------------------------------------------------------------------- reading
def test_headerless_tab_file_is_read_as_user_item_rating_timestamp(tmp_path: Path) -> None:
    path = tmp_path / "u.data"
    path.write_text(U_DATA)
    frame = read_ratings(path)
    assert frame.columns.tolist() == ["user", "item", "rating", "timestamp"]
    # The first line is data, not a header: all five rows are there, with their values.
    assert len(frame) == 5
    assert frame.iloc[0].tolist() == [196, 242, 3, 881250949]
    assert frame["user"].tolist() == [196, 186, 22, 196, 22]
    assert frame["rating"].tolist() == [3, 3, 1, 2, 5]

    data = ratings_data(path, valid_pct=0)
    recipe = data.recipe
    assert (recipe.user_col, recipe.item_col, recipe.rating_col) == ("user", "item", "rating")
    assert recipe.users == ["22", "186", "196"]  # numeric order, as text keys
    assert recipe.items == ["51", "242", "302", "377"]
    assert (recipe.rating_min, recipe.rating_max, recipe.rating_mean) == (1.0, 5.0, 2.8)


def test_a_headerless_file_of_one_row_is_that_row_and_a_header_alone_has_none(tmp_path: Path) -> None:
    # One pair piped to predict, or a --seen file of one rating: its single line is data, not a header.
    one = tmp_path / "one.data"
    one.write_text("196\t242\t3\n")
    frame = read_ratings(one, names=("uid", "movie"))
    assert frame.columns.tolist() == ["uid", "movie", "column_3"]
    assert frame.iloc[0].tolist() == [196, 242, 3]
    header = tmp_path / "header.csv"
    header.write_text("user,movie,rating\n")
    with pytest.raises(DataError, match="has no data rows"):
        read_ratings(header)


def test_headerless_csv_with_three_columns_and_a_header_are_told_apart(tmp_path: Path) -> None:
    headerless = tmp_path / "plain.csv"
    headerless.write_text("1,10,4.5\n2,10,3\n1,11,2\n")
    assert read_ratings(headerless).to_dict("list") == {
        "user": [1, 2, 1],
        "item": [10, 10, 11],
        "rating": [4.5, 3.0, 2.0],
    }
    with_header = tmp_path / "named.csv"
    with_header.write_text("who,what,stars\n1,10,4.5\n2,10,3\n")
    assert read_ratings(with_header).columns.tolist() == ["who", "what", "stars"]
    assert len(read_ratings(with_header)) == 2


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (("userId", "movieId", "rating"), ("userId", "movieId", "rating")),
        (("Customer ID", "product_id", "Stars"), ("Customer ID", "product_id", "Stars")),
        (("reviewer-id", "ASIN", "score"), ("reviewer-id", "ASIN", "score")),
        (("member", "track", "grade"), ("member", "track", "grade")),
    ],
)
def test_columns_are_found_by_name_in_any_order_and_spelling(
    names: tuple[str, str, str], expected: tuple[str, str, str]
) -> None:
    frame = small_ratings()
    frame.columns = list(names)
    # A leading timestamp and a reversed order: the names decide, not the positions.
    shuffled = frame.iloc[:, ::-1].assign(timestamp=range(len(frame)))[["timestamp", *names[::-1]]]
    recipe = ratings_data(shuffled, valid_pct=0).recipe
    assert (recipe.user_col, recipe.item_col, recipe.rating_col) == expected
    assert recipe.users == ["1", "2", "3"] and recipe.items == ["a", "b", "c"]


def test_users_and_items_without_known_names_are_taken_in_order() -> None:
    frame = small_ratings().set_axis(["who", "what", "rating"], axis=1)
    recipe = ratings_data(frame, valid_pct=0).recipe
    assert (recipe.user_col, recipe.item_col, recipe.rating_col) == ("who", "what", "rating")
    # Named roles first, the rest in order: here only the rating has a known name.
    frame = small_ratings().set_axis(["rating_x", "who", "rating"], axis=1).assign(rating_x=[5, 6] * 10)
    recipe = ratings_data(frame, valid_pct=0).recipe
    assert (recipe.user_col, recipe.item_col, recipe.rating_col) == ("rating_x", "who", "rating")
    # A rating is never guessed by position: an unnamed third column is an error naming both readings.
    with pytest.raises(DataError, match=r"--target how if it holds the ratings, or --implicit"):
        ratings_data(small_ratings().set_axis(["who", "what", "how"], axis=1))
    assert (
        ratings_data(small_ratings().set_axis(["who", "what", "how"], axis=1), rating="how").task.kind
        == "regression"
    )


def test_given_columns_win_over_names() -> None:
    frame = small_ratings().assign(buyer=[7, 8, 9, 7, 8] * 4)
    recipe = ratings_data(frame, user="buyer", valid_pct=0).recipe
    assert (recipe.user_col, recipe.item_col, recipe.rating_col) == ("buyer", "movie", "rating")
    assert recipe.users == ["7", "8", "9"]


# --------------------------------------------------------------------------------------------- the bundle
def test_bundle_holds_the_task_hints_and_encoded_splits() -> None:
    frame = small_ratings()
    data = ratings_data(frame, splits=(range(15), range(15, 20)))
    assert data.application == "collab"
    assert data.task.kind == "regression" and data.task.target_names == ("rating",)
    # 3 users + the unseen code, 3 items + the unseen code; the 1..5 scale widened by 10% of 4 on each side,
    # and clipped back to it outside training.
    assert data.model_hints == {
        "n_users": 4,
        "n_items": 4,
        "n_out": 1,
        "y_range": [0.6, 5.4],
        "clip": [1.0, 5.0],
    }
    x_cat, x_cont, y = data.valid.tensors
    assert x_cat.dtype == torch.int64 and x_cat.shape == (5, 2)
    assert x_cont.shape == (5, 0)
    # Rows 15..19 are users 1,1,2,2,3 and movies a,b,c,a,b: codes are vocabulary positions + 1.
    assert x_cat.tolist() == [[1, 1], [1, 2], [2, 3], [2, 1], [3, 2]]
    assert y.tolist() == [5.0, 3.0, 4.0, 2.0, 1.0]
    assert len(data.train.tensors[0]) == 15


def test_vocabularies_and_scale_come_from_training_rows_only() -> None:
    frame = pd.DataFrame(
        {"user": [1, 1, 2, 2, 9], "item": ["a", "b", "a", "b", "z"], "rating": [2.0, 3.0, 4.0, 3.0, 10.0]}
    )
    data = ratings_data(frame, splits=([0, 1, 2, 3], [4]))
    recipe = data.recipe
    assert recipe.users == ["1", "2"] and recipe.items == ["a", "b"]
    assert (recipe.rating_min, recipe.rating_max, recipe.rating_mean) == (2.0, 4.0, 3.0)
    assert data.model_hints["y_range"] == pytest.approx([1.8, 4.2])
    # The validation row's user and item are both new: code 0, scored as the average user and item.
    assert data.valid.tensors[0].tolist() == [[0, 0]]


def test_valid_col_and_valid_pct_choose_the_validation_rows() -> None:
    frame = low_rank_ratings(n_ratings=500).frame
    frame["holdout"] = np.where(np.arange(500) % 5 == 0, "valid", "train")
    data = ratings_data(frame, valid_col="holdout")
    assert len(data.valid.tensors[2]) == 100
    # The marked rows, in a seeded fair order (data.fair_order), not the table's: a capped pass reads the first.
    marked = frame["rating"].to_numpy()[::5]
    assert np.allclose(np.sort(data.valid.tensors[2].numpy()), np.sort(marked))
    assert not np.allclose(data.valid.tensors[2].numpy(), marked)

    seeded = ratings_data(frame.drop(columns="holdout"), valid_pct=0.3, seed=4)
    again = ratings_data(frame.drop(columns="holdout"), valid_pct=0.3, seed=4)
    other = ratings_data(frame.drop(columns="holdout"), valid_pct=0.3, seed=5)
    assert len(seeded.valid.tensors[2]) == 150
    assert torch.equal(seeded.valid.tensors[0], again.valid.tensors[0])
    assert not torch.equal(seeded.valid.tensors[0], other.valid.tensors[0])
    assert ratings_data(frame, valid_pct=0).valid is None


def test_test_table_is_encoded_with_the_training_vocabularies() -> None:
    frame = small_ratings()
    test = pd.DataFrame({"user": ["3", 4], "movie": ["c", "a"], "rating": [2, 5]})
    data = ratings_data(frame, valid_pct=0, test=test)
    x_cat, _, y = data.test.tensors
    assert x_cat.tolist() == [[3, 3], [0, 1]]
    assert y.tolist() == [2.0, 5.0]


@pytest.mark.parametrize(
    ("n_rows", "expected"),
    [(0, 64), (12_799, 64), (25_600, 128), (80_000, 512), (700_000, 4_096), (10**8, 4_096)],
)
def test_default_batch_size_aims_at_two_hundred_batches(n_rows: int, expected: int) -> None:
    # Hand values: 2 ** round(log2(n / 200)) clamped to [64, 4096]; 80,000 / 200 = 400 -> 2 ** 9 = 512.
    assert default_collab_batch_size(n_rows) == expected


def test_batch_size_reaches_the_training_loader() -> None:
    frame = low_rank_ratings(n_ratings=1_000).frame
    assert ratings_data(frame).train.batch_size == 64
    assert ratings_data(frame, batch_size=100).train.batch_size == 100


# --------------------------------------------------------------------------------------------- the task
def test_text_labels_with_two_values_make_a_binary_task() -> None:
    frame = small_ratings().assign(opinion=["liked", "disliked", "liked", "disliked", "disliked"] * 4)
    data = ratings_data(frame.drop(columns="rating"), rating="opinion", valid_pct=0)
    assert data.task.kind == "binary"
    assert data.task.classes == ("disliked", "liked")
    assert "y_range" not in data.model_hints  # a binary model outputs logits
    assert data.train.tensors[2].tolist() == [1.0, 0.0, 1.0, 0.0, 0.0] * 4
    assert data.recipe.rating_mean == pytest.approx(0.4)


@pytest.mark.parametrize(
    ("disliked", "liked"),
    [
        ("not liked", "liked"),
        ("Not_Interested", "interested"),
        ("unwatched", "watched"),
        ("-", "+"),
        ("\N{THUMBS DOWN SIGN}", "\N{THUMBS UP SIGN}"),
        ("thumbs down", "thumbs up"),
        ("no", "yes"),
        ("disliked", "liked"),
    ],
)
def test_the_liked_label_is_the_positive_class_whichever_sorts_first(disliked: str, liked: str) -> None:
    # A binary recommender ranks items by the positive class's probability: sorted order would make
    # 'not liked' (n > l) or '-' ('+' sorts first) the class recommend ranks by.
    frame = small_ratings().assign(opinion=[liked, disliked, liked, disliked, disliked] * 4)
    data = ratings_data(frame.drop(columns="rating"), rating="opinion", valid_pct=0)
    assert data.task.classes == (disliked, liked)
    assert data.train.tensors[2].tolist() == [1.0, 0.0, 1.0, 0.0, 0.0] * 4


def test_two_numeric_values_are_binary_unless_told_regression() -> None:
    frame = small_ratings().assign(rating=[0, 1, 1, 0, 0] * 4)
    assert ratings_data(frame).task.classes == (0, 1)
    forced = ratings_data(frame, task="regression")
    assert forced.task.kind == "regression"
    assert forced.model_hints["y_range"] == pytest.approx([-0.1, 1.1])


# --------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("change", "kwargs", "error", "message"),
    [
        ({"user": [1, None, 2, 2, 3] * 4}, {}, DataError, "column 'user' .* empty in 4 of 20 rows"),
        ({"movie": ["a", "b", None, "a", "b"] * 4}, {}, DataError, "column 'movie' .* empty in 4 of 20"),
        ({"rating": [5, 3, 4, np.nan, 1] * 4}, {}, DataError, "column 'rating' .* empty in 4 of 20"),
        (
            {"rating": ["good", "bad", "ok", "bad", "ok"] * 4},
            {},
            DataError,
            r"rating column 'rating' holds 'good' in data row 1 \(20 rows in all\), which is not a number",
        ),
        (
            {"rating": [4] * 20},
            {},
            DataError,
            "every training rating .* is 4; there is nothing to learn.*'rating'",
        ),
        (
            {"rating": [5, 3, np.inf, 2, 1] * 4},
            {},
            DataError,
            r"'rating' holds inf in data row 3 \(4 rows in all\), an infinite",
        ),
        ({}, {"task": "multiclass"}, ConfigError, "--task 'multiclass' does not fit ratings"),
        ({}, {"batch_size": 0}, ConfigError, "batch_size must be a whole number of at least 1, got 0"),
        ({}, {"batch_size": 2.5}, ConfigError, "batch_size .* got 2.5"),
        ({}, {"batch_size": True}, ConfigError, "batch_size .* got True"),
        ({}, {"valid_pct": 1.0}, ConfigError, "valid_pct must be at least 0 and less than 1, got 1.0"),
        ({}, {"valid_pct": -0.1}, ConfigError, "valid_pct .* got -0.1"),
        ({}, {"user": "uid"}, DataError, "user column 'uid' not found .* Pass --user NAME"),
        ({}, {"item": "iid"}, DataError, "item column 'iid' not found .* Pass --item NAME"),
        ({}, {"rating": "stars"}, DataError, "target column 'stars' not found .* Pass --target NAME"),
        ({}, {"valid_col": "holdout"}, DataError, "column 'holdout' not found .* Pass --valid-col NAME"),
        ({}, {"user": "movie", "item": "movie"}, ConfigError, "user, item and rating columns must differ"),
        ({}, {"splits": ([0, 1], [20])}, ConfigError, "splits must hold row positions from 0 to 19"),
        ({}, {"splits": ([], [1])}, ConfigError, "train must not be empty"),
    ],
)
def test_bad_input_names_the_column_or_flag(
    change: dict, kwargs: dict, error: type[Exception], message: str
) -> None:
    frame = small_ratings().assign(**change)
    with pytest.raises(error, match=message) as raised:
        ratings_data(frame, **kwargs)
    assert "\n" not in str(raised.value)


def test_users_and_items_alone_are_read_as_implicit_feedback(tmp_path: Path) -> None:
    path = tmp_path / "clicks.csv"
    small_ratings().drop(columns="rating").to_csv(path, index=False)
    data = ratings_data(path)
    assert data.task.kind == "binary" and data.task.target_names == ("interaction",)
    assert data.recipe.implicit and data.recipe.rating_col is None
    with pytest.raises(ConfigError, match="drop --target rating"):
        ratings_data(small_ratings(), rating="rating", implicit=True)


def test_no_rows_and_a_bad_test_table_are_refused() -> None:
    with pytest.raises(DataError, match="has no rows"):
        ratings_data(small_ratings().iloc[:0])
    no_rating = small_ratings().drop(columns="rating")
    with pytest.raises(DataError, match="the test DataFrame has no target column 'rating'"):
        ratings_data(small_ratings(), test=no_rating)
    with pytest.raises(DataError, match="item column 'movie' not found in the test table"):
        ratings_data(small_ratings(), test=small_ratings().drop(columns="movie"))


# --------------------------------------------------------------------------------------------- the recipe
def fitted_recipe() -> CollabRecipe:
    frame = pd.DataFrame({"user": [1, 1, 2, 30], "movie": ["b", "a", "a", "c"], "stars": [4, 2, 5, 3]})
    return CollabRecipe.fit(frame, user_col="user", item_col="movie", rating_col="stars")


def test_recipe_fit_learns_vocabularies_and_scale() -> None:
    recipe = fitted_recipe()
    assert recipe.users == ["1", "2", "30"]  # numeric order, not text order ("30" < "2" as text)
    assert recipe.items == ["a", "b", "c"]
    assert (recipe.n_users, recipe.n_items) == (4, 4)
    assert (recipe.rating_min, recipe.rating_max, recipe.rating_mean) == (2.0, 5.0, 3.5)
    assert recipe.cat_names == ["user", "movie"] and recipe.cont_names == []
    assert recipe.target_names == ["stars"]
    assert recipe.categories == {"user": ["1", "2", "30"], "movie": ["a", "b", "c"]}


def test_transform_matches_ids_by_text_and_reserves_zero_for_unseen() -> None:
    recipe = fitted_recipe()
    rows = pd.DataFrame({"user": [1, "1", 1.0, "30", 7, None], "movie": ["a", "c", "b", "zzz", "a", "b"]})
    x_cat, x_cont = recipe.transform(rows)
    assert x_cat.dtype == torch.int64 and x_cont.dtype == torch.float32
    assert x_cont.shape == (6, 0)
    assert x_cat.tolist() == [[1, 1], [1, 3], [1, 2], [3, 0], [0, 1], [0, 2]]
    assert recipe.user_codes([30, "2", "x"]).tolist() == [3, 2, 0]
    assert recipe.item_codes(["c"]).tolist() == [3]


def test_transform_refuses_a_missing_column_unless_allowed() -> None:
    recipe = fitted_recipe()
    rows = pd.DataFrame({"user": [2, 1]})
    with pytest.raises(DataError, match="no column 'movie' in the data"):
        recipe.transform(rows)
    x_cat, _ = recipe.transform(rows, allow_missing_columns=True)
    assert x_cat.tolist() == [[2, 0], [1, 0]]


def test_recipe_round_trips_exactly_through_json() -> None:
    recipe = fitted_recipe()
    data = recipe.to_dict()
    restored = CollabRecipe.from_dict(json.loads(json.dumps(data)))
    assert restored == recipe
    assert restored.to_dict() == data
    assert restored.transform(pd.DataFrame({"user": [30], "movie": ["c"]}))[0].tolist() == [[3, 3]]


def test_recipe_from_dict_names_missing_and_unknown_keys() -> None:
    data = fitted_recipe().to_dict()
    del data["users"]
    with pytest.raises(ArtifactError, match=re.escape("missing keys ['users'] and unknown keys []")):
        CollabRecipe.from_dict(data)
    with pytest.raises(ArtifactError, match=re.escape("missing keys [] and unknown keys ['extra']")):
        CollabRecipe.from_dict({**fitted_recipe().to_dict(), "extra": 1})


def test_describe_summarises_the_recipe() -> None:
    assert fitted_recipe().describe() == (
        "ratings recipe: 3 users ('user'), 3 items ('movie'); rating 'stars' from 2 to 5, mean 3.5"
    )


def test_describe_writes_its_counts_with_thousands_separators() -> None:
    # "1500 users" beside tables and reports that write 1,500.
    users = np.arange(1500)
    frame = pd.DataFrame({"user": users, "movie": users % 1200, "rating": users % 5 + 1.0})
    recipe = ratings_data(frame, user="user", item="movie", valid_pct=0).recipe
    assert recipe.describe().startswith("ratings recipe: 1,500 users ('user'), 1,200 items ('movie'); ")


def test_the_rating_column_may_be_named_target_as_in_tabular_data() -> None:
    frame = small_ratings().rename(columns={"rating": "stars"}).assign(score=np.arange(20.0))
    data = ratings_data(frame, user="user", item="movie", target="stars", valid_pct=0)
    assert data.recipe.rating_col == "stars" and data.task.target_names == ("stars",)
    assert data.train.tensors[-1].sum().item() == frame["stars"].sum()
    assert ratings_data(
        frame, user="user", item="movie", rating="stars", target="stars", valid_pct=0
    ).recipe == (data.recipe)
    with pytest.raises(ConfigError, match=r"rating='stars' and target='score' name the same thing: pass one"):
        ratings_data(frame, user="user", item="movie", rating="stars", target="score")


def test_a_few_ratings_off_the_scale_and_pairs_rated_twice_are_warned_of() -> None:
    # A 50 and a -3 among 1..5 ratings stretched every answer toward them (recommended scores of 19.7), and pairs
    # rated twice with different ratings trained in silence.
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "user": rng.integers(1, 60, 3000),
            "item": rng.integers(1, 80, 3000),
            "rating": rng.integers(1, 6, 3000),
        }
    ).drop_duplicates(["user", "item"], ignore_index=True)
    typos = frame.copy()
    typos.loc[[4, 9], "rating"] = [50, -3]
    with pytest.warns(UserWarning, match=r"^2 ratings of the ratings table lie outside the scale 1 to 5 that the "
                      r"other [\d,]+ use: 50 \(data row 5\), -3 \(data row 10\); .* fix or drop those rows of "
                      r"'rating'$"):  # fmt: skip
        ratings_data(typos)
    twice = pd.concat(
        [frame, frame.head(3).assign(rating=lambda f: np.where(f["rating"] == 1, 2, 1))], ignore_index=True
    )
    first = frame.iloc[0]
    with pytest.warns(UserWarning, match=rf"^3 \(user, item\) pairs of the ratings table are rated more than once "
                      rf"with different ratings \(the first: user {first['user']}, item {first['item']}: "):  # fmt: skip
        ratings_data(twice)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clean table, and a pair rated twice alike, say nothing
        ratings_data(pd.concat([frame, frame.head(2)], ignore_index=True))
        prices = frame.assign(rating=rng.lognormal(3, 1, len(frame)))  # amounts, no scale: nothing is off it
        ratings_data(prices)
