"""A text bag model trains, is evaluated and predicts on one CPU thread, as a table's network does: its batches
are an embedding bag and a small head, whose parallel regions made an SST-2 epoch of 15,000 sentences many times
slower on two busy cores than one thread (``benchmarks/thread_speed.py``). The process's own setting is back
after every fit, pass and prediction, and a seed trains the same weights whatever that setting was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from classify_tables import sentiment_frame

import trainwell
from trainwell.callbacks.threads import OneThread
from trainwell.learner.events import Callback
from trainwell.text import text_classifier_learner, text_data


class ThreadsSeen(Callback):
    """torch's intra-op threads at each training and validation batch."""

    def __init__(self) -> None:
        self.training: list[int] = []
        self.validation: list[int] = []

    def after_batch(self, learn: Any) -> None:
        (self.training if learn.training else self.validation).append(torch.get_num_threads())


def threads_in_forward(model: torch.nn.Module) -> list[int]:
    """torch's intra-op threads at each call of ``model``, appended as it runs."""
    seen: list[int] = []
    model.register_forward_hook(lambda *_: seen.append(torch.get_num_threads()))
    return seen


def bag_data(rows: int = 200, seed: int = 0) -> Any:
    return text_data(sentiment_frame(rows), "sentiment", text_col="review", seed=seed, batch_size=32)


def test_a_bag_models_fits_sweeps_and_passes_run_on_one_thread(two_threads: None) -> None:
    seen = ThreadsSeen()
    during_metric: list[int] = []

    def threads_metric(predictions: torch.Tensor, targets: torch.Tensor) -> float:
        during_metric.append(torch.get_num_threads())
        return 0.0

    learn = text_classifier_learner(bag_data(), callbacks=[seen], metrics=[threads_metric], progress=False)
    assert sum(isinstance(callback, OneThread) for callback in learn.callbacks) == 1
    learn.lr_find(num_it=5)
    assert seen.training and set(seen.training) == {1}
    assert torch.get_num_threads() == 2
    learn.fit_one_cycle(1)
    assert set(seen.training) == {1} and seen.validation and set(seen.validation) == {1}
    assert torch.get_num_threads() == 2
    during_metric.clear()
    learn.validate()
    predictions, _ = learn.get_preds()
    assert during_metric == [1] and len(predictions) == 40
    assert torch.get_num_threads() == 2


def test_without_the_callback_a_bag_model_keeps_the_processs_threads(two_threads: None) -> None:
    seen = ThreadsSeen()
    learn = text_classifier_learner(bag_data(), callbacks=[seen], progress=False)
    learn.remove_callback(OneThread)
    learn.fit(1, 1e-3)
    assert set(seen.training) == {2} and set(seen.validation) == {2}


def test_a_given_one_thread_callback_is_not_doubled() -> None:
    given = OneThread()
    learn = text_classifier_learner(bag_data(), callbacks=[given], progress=False)
    assert [callback for callback in learn.callbacks if isinstance(callback, OneThread)] == [given]


def test_a_seed_trains_the_same_bag_weights_whatever_the_callers_thread_setting() -> None:
    """The thread count groups float sums: a setting that followed the machine would change the weights."""
    data = bag_data(400)
    weights = []
    for threads in (2, 1):
        torch.set_num_threads(threads)
        try:
            torch.manual_seed(0)
            learn = text_classifier_learner(data, progress=False)
            learn.fit_one_cycle(2, 1e-2)
            weights.append({key: value.clone() for key, value in learn.model.state_dict().items()})
        finally:
            torch.set_num_threads(1)
    assert all(torch.equal(weights[0][key], weights[1][key]) for key in weights[0])


def test_a_loaded_bag_model_predicts_on_one_thread_and_gives_the_setting_back(
    two_threads: None, tmp_path: Path
) -> None:
    learn = text_classifier_learner(bag_data(), progress=False)
    learn.fit(1, 1e-2)
    predictor = trainwell.load(learn.export(tmp_path / "model"))
    assert predictor.threads == 1
    seen = threads_in_forward(predictor.model)
    texts = sentiment_frame(20, seed=5)["review"].tolist()
    one = predictor.predict_proba(texts)
    table = predictor.predict(texts)
    assert seen == [1, 1] and len(table) == 20
    assert torch.get_num_threads() == 2
    predictor.threads = None  # the process's own setting, for a large batch on an idle machine
    seen.clear()
    torch.testing.assert_close(predictor.predict_proba(texts), one)
    assert seen == [2]
