"""Every ratings entry point takes the rating column as ``rating=`` or as ``target=`` (the other pipelines' name, and
the command line's ``--target``), and refuses both when they name different columns, in the same words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from ratings_support import low_rank_ratings
from trainwell.collab.data import ratings_data
from trainwell.collab.evaluation import evaluate_ratings
from trainwell.collab.pipeline import fit_ratings
from trainwell.core.errors import ConfigError


def tune_ratings(*args: Any, **kwargs: Any) -> Any:
    pytest.importorskip("optuna")
    from trainwell.automl import tune_ratings as tune

    return tune(*args, **kwargs)


ENTRY_POINTS: list[Callable[..., Any]] = [ratings_data, fit_ratings, evaluate_ratings, tune_ratings]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """Two columns named like a rating: the one meant must be named. ``stars`` is the true rating, ``score`` noise."""
    table = low_rank_ratings(seed=2, n_ratings=600).frame.rename(columns={"rating": "stars"})
    table["score"] = 6.0 - table["stars"]
    return table


@pytest.mark.parametrize("function", ENTRY_POINTS, ids=lambda function: function.__name__)
def test_rating_and_target_naming_different_columns_are_refused(
    function: Callable[..., Any], frame: pd.DataFrame
) -> None:
    with pytest.raises(
        ConfigError, match=r"^rating='stars' and target='score' name the same thing: pass one of them$"
    ):
        function(frame, rating="stars", target="score")


def test_evaluate_ratings_reads_target_as_the_rating(frame: pd.DataFrame) -> None:
    by_target = evaluate_ratings(frame, target="stars", cv=2, epochs=1, seed=0)
    assert by_target.task.target_names == ("stars",)
    by_rating = evaluate_ratings(frame, "stars", target="stars", cv=2, epochs=1, seed=0)  # the same: accepted
    for name in ("rmse", "mae"):
        assert by_target.mean(name) == pytest.approx(by_rating.mean(name), rel=1e-6)
        assert by_target.mean(name, "user + item biases") == pytest.approx(
            by_rating.mean(name, "user + item biases"), rel=1e-6
        )
    flipped = evaluate_ratings(frame, target="score", cv=2, epochs=1, seed=0, baselines=False)
    assert flipped.task.target_names == ("score",)


def test_tune_ratings_reads_target_as_the_rating(frame: pd.DataFrame) -> None:
    result = tune_ratings(frame, target="stars", n_trials=1, seed=0)
    assert result.run is not None and result.run.data.task.target_names == ("stars",)
