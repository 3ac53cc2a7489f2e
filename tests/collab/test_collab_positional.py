"""The ratings calls take the rating column second by position, as tabular_data, text_data and the other pipelines
take their target; a value past it is refused in words naming user= and item=, not with Python's bare TypeError."""

from __future__ import annotations

import inspect

import pytest

from ratings_support import low_rank_ratings
from trainwell.collab.data import ratings_data
from trainwell.collab.evaluation import evaluate_ratings
from trainwell.collab.pipeline import fit_ratings
from trainwell.core.errors import ConfigError


@pytest.mark.parametrize("function", [ratings_data, fit_ratings, evaluate_ratings])
def test_the_rating_is_second_by_position(function: object) -> None:
    parameters = list(inspect.signature(function).parameters.values())  # type: ignore[arg-type]
    assert [parameter.name for parameter in parameters[:2]] == ["source", "rating"]
    assert parameters[2].kind is inspect.Parameter.VAR_POSITIONAL
    assert all(parameter.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD for parameter in parameters[2:])


def test_by_position_and_by_keyword_read_the_same() -> None:
    frame = low_rank_ratings(seed=2, n_ratings=600).frame.rename(columns={"rating": "score", "item": "movie"})
    frame["stars"] = frame["score"]  # two columns named like a rating: the one meant must be named
    by_position = ratings_data(frame, "stars", user="user", item="movie")
    assert by_position.recipe.rating_col == "stars"  # type: ignore[union-attr]
    assert by_position.recipe == ratings_data(frame, rating="stars").recipe
    assert by_position.recipe == ratings_data(frame, target="stars").recipe
    run = fit_ratings(frame, "stars", epochs=1, progress=False)
    assert run.data.task.target_names == ("stars",)
    result = evaluate_ratings(frame, "stars", cv=2, epochs=1, baselines=False)
    assert result.task.target_names == ("stars",)


@pytest.mark.parametrize("function", [ratings_data, fit_ratings, evaluate_ratings])
def test_a_value_past_the_rating_is_refused_naming_user_and_item(function: object) -> None:
    name = function.__name__  # type: ignore[attr-defined]
    with pytest.raises(
        ConfigError,
        match=rf"^{name} takes 2 values by position \(source, rating\), got 4 \('user', 'movie' after them\); "
        rf"pass user=, item= and the other settings by keyword, e.g. {name}\(source, rating, user=\.\.\., "
        r"item=\.\.\.\)$",
    ):
        function("ratings.csv", "stars", "user", "movie")  # type: ignore[operator]
