"""The final ratings model knows every user and item of the data it was given: an id whose every rating fell in the
validation rows is fitted on them after training (trainwell.collab.fold_in), while validation still scores it as
a new id and the weights training fitted stay as they were."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import trainwell
from ratings_support import LowRankRatings, low_rank_ratings, rmse
from trainwell.collab.data import ratings_data
from trainwell.collab.fold_in import FOLD_IN_PRIOR, fold_in
from trainwell.collab.learner import collab_learner
from trainwell.collab.pipeline import RatingsRun, fit_ratings

ONLY_IN_VALIDATION_ITEMS, ONLY_IN_VALIDATION_USER = (39, 40), 1


def held_out(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """A fifth of the rows, and every rating of items 39 and 40 and of user 1."""
    valid = (
        frame["item"].isin(ONLY_IN_VALIDATION_ITEMS).to_numpy()
        | (frame["user"] == ONLY_IN_VALIDATION_USER).to_numpy()
        | (np.arange(len(frame)) % 5 == 0)
    )
    return np.flatnonzero(~valid), np.flatnonzero(valid)


@pytest.fixture(scope="module")
def truth() -> LowRankRatings:
    return low_rank_ratings(seed=0)


@pytest.fixture(scope="module")
def runs(truth: LowRankRatings, tmp_path_factory: pytest.TempPathFactory) -> dict[bool, RatingsRun]:
    """The same fit (same seed, same split) with and without the fold-in, each written to a model directory."""
    folder = tmp_path_factory.mktemp("fold_in")
    return {
        fold: fit_ratings(
            truth.frame,
            out=folder / f"fold_in_{fold}",
            splits=held_out(truth.frame),
            fold_in=fold,
            progress=False,
        )
        for fold in (True, False)
    }


def true_ratings(truth: LowRankRatings, item: int) -> np.ndarray:
    """Every user's noise-free rating of ``item`` (ids from 1), on the 1..5 scale."""
    raw = truth.user_factors @ truth.item_factors[item - 1] + truth.user_bias + truth.item_bias[item - 1]
    return np.clip(3.0 + raw, 1.0, 5.0)


def test_an_item_rated_only_in_validation_is_known_to_the_final_model(
    runs: dict[bool, RatingsRun], truth: LowRankRatings
) -> None:
    run = runs[True]
    assert run.folded_in is not None
    assert run.folded_in.items == ("39", "40") and run.folded_in.users == ("1",)
    n_rows = int(
        np.isin(truth.frame["item"], ONLY_IN_VALIDATION_ITEMS).sum() + (truth.frame["user"] == 1).sum()
    )
    assert run.folded_in.rows == n_rows - int(
        ((truth.frame["user"] == 1) & truth.frame["item"].isin((39, 40))).sum()
    )
    predictor = trainwell.load(run.model_dir)
    assert (predictor.recipe.item_codes([39, 40]) > 0).all() and predictor.recipe.user_codes([1])[0] > 0
    assert predictor.recipe == run.data.recipe
    assert predictor.model.item_bias.weight.shape[0] == predictor.recipe.n_items == 41  # 40 items + unseen
    users = np.arange(2, 61)
    for item in ONLY_IN_VALIDATION_ITEMS:
        # Fitted on its ~50 validation ratings, the item is scored far better than as the average item.
        rows = pd.DataFrame({"user": users, "item": item})
        folded = predictor.predict(rows)["prediction"].to_numpy()
        with pytest.warns(UserWarning, match=f"never saw, scored as the average .*: item {item}$"):
            cold = trainwell.load(runs[False].model_dir).predict(rows)["prediction"].to_numpy()
        actual = true_ratings(truth, item)[users - 1]
        assert rmse(folded, actual) < 0.6 * rmse(cold, actual)
    # recommend ranks it, and leaves it out for a user who rated it (in validation).
    rated = set(truth.frame.loc[truth.frame["item"] == 40, "user"])
    rater, stranger = min(rated - {1}), min(set(range(2, 61)) - rated)
    assert 40 not in predictor.recommend(rater, k=40)["item"].tolist()
    ranking = predictor.recommend(stranger, k=40)
    assert 40 in ranking["item"].tolist() and ranking["known_user"].all()


def test_without_fold_in_they_stay_unknown(runs: dict[bool, RatingsRun]) -> None:
    run = runs[False]
    assert run.folded_in is None
    assert run.data.recipe.item_codes([39, 40]).tolist() == [0, 0] and run.data.recipe.user_codes([1])[0] == 0


def test_validation_scores_the_weights_training_fitted_on_training_rows_alone(
    runs: dict[bool, RatingsRun],
) -> None:
    folded, plain = runs[True], runs[False]
    assert folded.learn.history == [
        {**row, "time": folded_row["time"]}
        for row, folded_row in zip(plain.learn.history, folded.learn.history, strict=True)
    ]
    # Every row training fitted is the same; the fold-in only added rows.
    model = folded.learn.model
    for name, rows in model.trained_rows.items():
        before, after = getattr(plain.learn.model, name).weight, getattr(model, name).weight
        assert rows == before.shape[0] < after.shape[0]
        assert torch.equal(after[:rows], before)
    # Scored again, the validation rows still read those ids as unseen: the same predictions, exactly.
    again, _ = folded.learn.get_preds()
    expected, _ = plain.learn.get_preds()
    assert torch.equal(again, expected)
    valid_codes = folded.data.valid.tensors[0]  # type: ignore[union-attr]
    assert int((valid_codes[:, 1] == 0).sum()) > 0  # items 39 and 40: coded unseen in the validation loader
    # A report on the folded rows counts them as training rows.
    sketch = folded.data.train.rows_sketch  # type: ignore[attr-defined]
    assert sketch.n_rows == plain.data.train.rows_sketch.n_rows + folded.folded_in.rows  # type: ignore[attr-defined, union-attr]


def test_one_rating_moves_a_new_item_only_part_of_the_way(truth: LowRankRatings) -> None:
    frame = pd.concat(
        [truth.frame, pd.DataFrame({"user": [7], "item": ["solo"], "rating": [5.0]})], ignore_index=True
    )
    train, valid = held_out(truth.frame)
    run = fit_ratings(frame, splits=(train, [*valid, len(frame) - 1]), fold_in=False, progress=False)
    rows = pd.DataFrame({"user": [7], "item": ["solo"]})
    with pytest.warns(UserWarning, match="never saw"):
        cold = float(run.learn.predict(rows)["prediction"].iloc[0])
    assert fold_in(run.learn) is not None
    warm = float(run.learn.predict(rows)["prediction"].iloc[0])
    # A ridge pull of FOLD_IN_PRIOR ratings of the average: one 5 moves it up, but not to 5.
    assert FOLD_IN_PRIOR == 10.0
    assert cold < warm < cold + 0.5 * (5.0 - cold)


def test_the_neural_model_folds_in_its_embeddings(truth: LowRankRatings) -> None:
    run = fit_ratings(truth.frame, arch="collab_nn", splits=held_out(truth.frame), epochs=2, progress=False)
    assert run.folded_in is not None and run.folded_in.items == ("39", "40")
    assert run.learn.model.item_factors.weight.shape[0] == run.data.recipe.n_items == 41
    assert run.learn.model_spec is not None and run.learn.model_spec["config"]["n_items"] == 41


def test_interactions_are_not_folded_in(truth: LowRankRatings) -> None:
    run = fit_ratings(truth.frame[["user", "item"]], implicit=True, epochs=1, progress=False)
    assert run.folded_in is None


def test_the_fit_says_what_it_folded_in(truth: LowRankRatings, capsys: pytest.CaptureFixture[str]) -> None:
    fit_ratings(truth.frame, splits=held_out(truth.frame), epochs=1)
    assert "fitted 2 items and 1 user that only validation rows have, on those " in " ".join(
        capsys.readouterr().err.split()
    )


def test_the_unseen_row_averages_the_trained_rows_only(runs: dict[bool, RatingsRun]) -> None:
    model = runs[True].learn.model
    model.refresh_unknown()
    for name, rows in model.trained_rows.items():
        weight = getattr(model, name).weight.detach()
        assert torch.allclose(weight[0], weight[1:rows].mean(dim=0))
        assert not torch.allclose(weight[0], weight[1:].mean(dim=0))


def test_a_learner_built_by_hand_folds_in_when_asked(truth: LowRankRatings, tmp_path: Path) -> None:
    # ratings_data + collab_learner + fit_one_cycle, as the README's Python example trains: fold_in is one call.
    data = ratings_data(truth.frame, splits=held_out(truth.frame))
    learn = collab_learner(data, progress=False)
    learn.fit_one_cycle(2, 5e-3)
    assert data.recipe.item_codes([40])[0] == 0  # type: ignore[union-attr]
    folded = fold_in(learn)
    assert folded is not None and folded.items == ("39", "40")
    learn.export(tmp_path / "recs")
    recs = trainwell.load(tmp_path / "recs")
    assert recs.recipe.item_codes([40])[0] > 0
    assert fold_in(learn) is None  # nothing left to add


def test_a_search_writes_a_model_that_knows_them_as_fit_ratings_does(
    truth: LowRankRatings, tmp_path: Path
) -> None:
    """tune_ratings wrote its kept trial's model as trained on the training rows alone: the ids only validation
    rows have stayed unknown where fit_ratings' model knows them."""
    pytest.importorskip("optuna")
    from trainwell.automl import tune_ratings

    result = tune_ratings(
        truth.frame, n_trials=1, out=tmp_path / "tuned", splits=held_out(truth.frame), seed=0
    )
    predictor = trainwell.load(tmp_path / "tuned")
    assert (predictor.recipe.item_codes(list(ONLY_IN_VALIDATION_ITEMS)) > 0).all()
    assert predictor.recipe.user_codes([ONLY_IN_VALIDATION_USER])[0] > 0
    assert result.best_value == pytest.approx(result.trials[0]["value"])  # scored before: the trial's own
