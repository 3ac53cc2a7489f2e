"""A ratings model trains and is evaluated on one CPU thread, as a table's network does: its batches are a few
small embedding operators, whose parallel regions made a MovieLens 100k epoch several times slower on two busy
cores than one thread. Implicit feedback too (its ranking metrics included); EASE, fitted in closed form, keeps
the process's threads. The process's own setting is back after every fit and pass."""

from __future__ import annotations

from typing import Any

import torch
from test_collab_implicit import grouped_interactions

from ratings_support import low_rank_ratings
from trainwell.callbacks.threads import OneThread
from trainwell.collab import collab_learner, ratings_data
from trainwell.learner.events import Callback
from trainwell.tabular.threads import OneThread as TablesOneThread


class ThreadsSeen(Callback):
    """torch's intra-op threads at each training and validation batch, and after validation."""

    order = 100  # after RankingMetrics, which ranks every item in after_validate

    def __init__(self) -> None:
        self.training: list[int] = []
        self.validation: list[int] = []
        self.after_validation: list[int] = []

    def after_batch(self, learn: Any) -> None:
        (self.training if learn.training else self.validation).append(torch.get_num_threads())

    def after_validate(self, learn: Any) -> None:
        self.after_validation.append(torch.get_num_threads())


def test_the_tables_name_is_the_shared_callback() -> None:
    assert TablesOneThread is OneThread


def test_ratings_fits_sweeps_and_passes_run_on_one_thread(two_threads: None) -> None:
    seen = ThreadsSeen()
    during_metric: list[int] = []

    def threads_metric(predictions: torch.Tensor, targets: torch.Tensor) -> float:
        during_metric.append(torch.get_num_threads())
        return 0.0

    data = ratings_data(low_rank_ratings().frame, batch_size=128)
    learn = collab_learner(
        data, n_factors=8, callbacks=[seen], metrics=["rmse", threads_metric], progress=False
    )
    assert sum(isinstance(callback, OneThread) for callback in learn.callbacks) == 1
    learn.lr_find(num_it=10)
    assert seen.training and set(seen.training) == {1}
    assert torch.get_num_threads() == 2
    learn.fit_one_cycle(1, 5e-3)
    assert set(seen.training) == {1} and seen.validation and set(seen.validation) == {1}
    assert torch.get_num_threads() == 2
    during_metric.clear()
    learn.validate()
    predictions, _ = learn.get_preds()
    assert during_metric == [1] and len(predictions) == len(data.valid.tensors[0])
    assert torch.get_num_threads() == 2


def test_implicit_feedback_fits_and_ranks_on_one_thread(two_threads: None) -> None:
    seen = ThreadsSeen()
    learn = collab_learner(
        ratings_data(grouped_interactions(), batch_size=64), n_factors=8, callbacks=[seen], progress=False
    )
    learn.fit_one_cycle(1, 3e-2)
    assert set(seen.training) == {1} and set(seen.validation) == {1} and seen.after_validation == [1]
    assert "hit@10" in learn.history[-1]
    assert torch.get_num_threads() == 2


def test_ease_keeps_the_processs_threads(two_threads: None) -> None:
    learn = collab_learner(ratings_data(grouped_interactions()), arch="ease", progress=False)
    assert learn.get_callback(OneThread) is None


def test_without_the_callback_the_fit_keeps_the_processs_threads(two_threads: None) -> None:
    seen = ThreadsSeen()
    learn = collab_learner(
        ratings_data(low_rank_ratings().frame, batch_size=128), n_factors=8, callbacks=[seen], progress=False
    )
    learn.remove_callback(OneThread)
    learn.fit(1, 5e-3)
    assert set(seen.training) == {2} and set(seen.validation) == {2}


def test_a_given_one_thread_callback_is_not_doubled() -> None:
    given = OneThread()
    learn = collab_learner(ratings_data(low_rank_ratings().frame), callbacks=[given], progress=False)
    assert [callback for callback in learn.callbacks if isinstance(callback, OneThread)] == [given]


def test_a_seed_trains_the_same_weights_whatever_the_processs_thread_setting() -> None:
    data = ratings_data(low_rank_ratings().frame, batch_size=128)
    weights = []
    for threads in (1, 2):
        torch.set_num_threads(threads)
        try:
            torch.manual_seed(0)
            learn = collab_learner(data, n_factors=8, progress=False)
            learn.fit_one_cycle(2, 5e-3)
            weights.append({key: value.clone() for key, value in learn.model.state_dict().items()})
        finally:
            torch.set_num_threads(1)
    assert all(torch.equal(weights[0][key], weights[1][key]) for key in weights[0])
