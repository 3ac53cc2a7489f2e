"""The refusal of ``at_least_one`` for a model that is not multi-label is one line, worded from what the model
answers instead (trainwell.data.at_least_one.refusal_for): every predictor, ``learn.predict`` and the HTTP server
take their words from it, so a recommender's or a tagger's refusal is not the generic one in some places."""

from __future__ import annotations

import pandas as pd
import pytest

from trainwell.core.errors import ConfigError
from trainwell.data.at_least_one import refusal_for, refuse_at_least_one
from trainwell.data.task import infer_task


@pytest.mark.parametrize(
    ("application", "items"), [("tabular", "row"), ("vision", "image"), ("text", "text"), (None, "row")]
)
def test_a_classifier_gives_every_item_of_its_application_one_answer(
    application: str | None, items: str
) -> None:
    task = infer_task(pd.Series(["cat", "dog"] * 10), name="animal")
    assert refusal_for(task, application) == (
        f"at_least_one= is for multi-label models; this binary model gives every {items} one answer already: drop it"
    )


def test_a_recommender_says_what_it_predicts_of_a_pair_as_its_predictor_says_it() -> None:
    # The words CollabPredictor.predict refuses it in (tests/collab/test_collab_predictor.py).
    ratings = infer_task(pd.Series([1.0, 2.5, 4.0, 3.5, 5.0] * 4), name="rating")
    liked = infer_task(pd.Series(["liked", "disliked"] * 10), name="opinion")
    assert refusal_for(ratings, "collab") == (
        "at_least_one= is for multi-label models; this recommender predicts each (user, item) pair's rating, not "
        "labels: drop it"
    )
    assert refusal_for(liked, "collab", option="at_least_one") == (
        "at_least_one is for multi-label models; this recommender answers every (user, item) pair 'liked' or "
        "'disliked' already: drop it"
    )


def test_refuse_at_least_one_with_an_application_raises_those_words_and_passes_what_asks_nothing() -> None:
    ratings = infer_task(pd.Series([1.0, 2.5, 4.0, 3.5, 5.0] * 4), name="stars")
    with pytest.raises(ConfigError) as caught:
        refuse_at_least_one(ratings, True, application="collab")
    assert str(caught.value) == refusal_for(ratings, "collab")
    assert "pair's stars, not labels" in str(caught.value)
    refuse_at_least_one(ratings, False, application="collab")  # not asked: nothing to refuse
    tags = infer_task(pd.DataFrame({"a": [0, 1, 1, 0] * 5, "b": [1, 1, 0, 0] * 5}), name="tags")
    assert tags.kind == "multilabel"
    refuse_at_least_one(tags, True, application="tabular")  # the one task it is for
