"""``trainwell.load(dir).predict`` of a ratings model trained by gradient runs on one CPU thread, as its fit did;
EASE, fitted in closed form, keeps the process's setting. The setting is back after each prediction."""

from __future__ import annotations

from pathlib import Path

import torch
from test_collab_implicit import grouped_interactions

import trainwell
from ratings_support import low_rank_ratings
from trainwell.collab import collab_learner, ratings_data


def test_a_loaded_ratings_model_predicts_on_one_thread(two_threads: None, tmp_path: Path) -> None:
    ratings = low_rank_ratings().frame
    learn = collab_learner(ratings_data(ratings, batch_size=128), n_factors=8, progress=False)
    learn.fit(1, 5e-3)
    predictor = trainwell.load(learn.export(tmp_path / "model"))
    assert predictor.threads == 1
    seen: list[int] = []
    predictor.model.register_forward_hook(lambda *_: seen.append(torch.get_num_threads()))
    assert len(predictor.predict(ratings.head(30))) == 30
    assert seen == [1] and torch.get_num_threads() == 2


def test_loaded_ease_keeps_the_processs_threads(two_threads: None, tmp_path: Path) -> None:
    learn = collab_learner(ratings_data(grouped_interactions()), arch="ease", progress=False)
    predictor = trainwell.load(learn.export(tmp_path / "ease"))
    assert predictor.threads is None
