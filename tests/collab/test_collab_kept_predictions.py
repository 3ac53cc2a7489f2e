"""A ratings fit keeps its last validation pass's predictions: the results' table and a cross-validation fold's
score read them instead of scoring the validation ratings a second time with the same weights."""

from __future__ import annotations

import numpy as np
import torch

from forward_counts import CountsForwardsAfterTheFit, rows_read_in_eval_mode
from ratings_support import low_rank_ratings
from trainwell.collab.data import ratings_data
from trainwell.collab.evaluation import RatingsFold
from trainwell.collab.pipeline import fit_ratings
from trainwell.learner.kept_predictions import kept_validation_predictions, validation_predictions
from trainwell.metrics import functional

EPOCHS = 2


def test_a_ratings_fit_keeps_the_predictions_a_new_pass_makes_and_scores_nothing_again() -> None:
    counter = CountsForwardsAfterTheFit()
    run = fit_ratings(low_rank_ratings(0).frame, epochs=2, progress=False, callbacks=[counter])
    kept = kept_validation_predictions(run.learn)
    assert kept is not None
    preds, targets = validation_predictions(run.learn)
    assert counter.calls == []  # before: a forward per validation batch
    fresh, fresh_targets = run.learn.get_preds()
    assert fresh_targets is not None and torch.equal(targets, fresh_targets)
    torch.testing.assert_close(preds, fresh)


def test_a_ratings_fold_scores_its_validation_ratings_once_an_epoch_and_not_again() -> None:
    frame = low_rank_ratings(0).frame
    task = ratings_data(frame, user="user", item="item", rating="rating").task
    # top_n=False: the fold's top-N lists rank every unseen item in a pass of their own (counted apart)
    fold = RatingsFold(frame, ("user", "item", "rating"), task, ["rmse"], epochs=EPOCHS, top_n=False)
    order = np.random.default_rng(0).permutation(len(frame))
    train, valid = np.sort(order[100:]), np.sort(order[:100])
    with rows_read_in_eval_mode() as rows:  # the learner is built inside the fold
        scores = fold(train, valid, 0)
    assert max(rows.values()) == EPOCHS * len(valid)  # one pass an epoch; before: one more after the fit
    ((_, preds, targets),) = fold.predictions
    assert scores["rmse"] == functional.rmse(preds, targets)
