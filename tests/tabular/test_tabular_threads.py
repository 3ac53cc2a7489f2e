"""A table's network trains and is evaluated on one CPU thread: its small operators' parallel regions made a
Titanic batch 3 to 18 times slower on two busy cores than one thread (the busier, the slower), and the
learning-rate finder's sweep under a time budget stopped for want of time. The process's own setting is back
after every fit and pass, however it ends, and a seed trains the same weights whatever that setting was."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from trainwell.learner.events import Callback
from trainwell.tabular import tabular_data, tabular_learner
from trainwell.tabular.threads import OneThread, one_thread


def small_table(n_rows: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=n_rows), "group": rng.choice(["a", "b", "c"], n_rows)})
    frame["y"] = np.where(frame["x"] + (frame["group"] == "a") > 0.4, "pos", "neg")
    return frame


class ThreadsSeen(Callback):
    """torch's intra-op threads at each training and validation batch."""

    def __init__(self) -> None:
        self.training: list[int] = []
        self.validation: list[int] = []

    def after_batch(self, learn: Any) -> None:
        (self.training if learn.training else self.validation).append(torch.get_num_threads())


def test_one_thread_inside_and_the_setting_back_after(two_threads: None) -> None:
    with one_thread("cpu"):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2
    with pytest.raises(RuntimeError, match="kept"), one_thread(torch.device("cpu")):
        raise RuntimeError("kept")  # an error inside gives the threads back too
    assert torch.get_num_threads() == 2
    with one_thread("meta"):  # not the CPU: nothing to limit
        assert torch.get_num_threads() == 2


def test_fits_sweeps_and_evaluation_passes_run_on_one_thread(two_threads: None) -> None:
    seen = ThreadsSeen()
    during_metric: list[int] = []

    def threads_metric(predictions: torch.Tensor, targets: torch.Tensor) -> float:
        during_metric.append(torch.get_num_threads())
        return 0.0

    learn = tabular_learner(
        tabular_data(small_table(), "y", batch_size=32),
        callbacks=[seen],
        metrics=[threads_metric],
        progress=False,
    )
    assert sum(isinstance(callback, OneThread) for callback in learn.callbacks) == 1
    learn.lr_find(num_it=10)
    assert seen.training and set(seen.training) == {1}
    assert torch.get_num_threads() == 2
    learn.fit(1, 1e-3)
    assert set(seen.training) == {1} and seen.validation and set(seen.validation) == {1}
    assert torch.get_num_threads() == 2
    during_metric.clear()
    learn.validate()
    predictions, _ = learn.get_preds()
    assert during_metric == [1] and len(predictions) == 40
    assert torch.get_num_threads() == 2


def test_a_fit_that_fails_gives_the_threads_back(two_threads: None) -> None:
    class Fails(Callback):
        def after_batch(self, learn: Any) -> None:
            raise RuntimeError("stopped here")

    learn = tabular_learner(
        tabular_data(small_table(), "y", batch_size=32), callbacks=[Fails()], progress=False
    )
    with pytest.raises(RuntimeError, match="stopped here"):
        learn.fit(1, 1e-3)
    assert torch.get_num_threads() == 2


def test_without_the_callback_the_fits_and_passes_keep_the_processs_threads(two_threads: None) -> None:
    seen = ThreadsSeen()
    learn = tabular_learner(tabular_data(small_table(), "y", batch_size=32), callbacks=[seen], progress=False)
    learn.remove_callback(OneThread)
    learn.fit(1, 1e-3)
    assert set(seen.training) == {2} and set(seen.validation) == {2}


def test_a_given_one_thread_callback_is_not_doubled() -> None:
    given = OneThread()
    learn = tabular_learner(tabular_data(small_table(), "y"), callbacks=[given], progress=False)
    assert [callback for callback in learn.callbacks if isinstance(callback, OneThread)] == [given]


def test_a_seed_trains_the_same_weights_whatever_the_processs_thread_setting() -> None:
    """The thread count groups float sums: a setting that followed the machine would change the weights."""
    data = tabular_data(small_table(400), "y", batch_size=64)
    weights = []
    for threads in (1, 2):
        torch.set_num_threads(threads)
        try:
            torch.manual_seed(0)
            learn = tabular_learner(data, progress=False)
            learn.fit_one_cycle(2, 3e-3)
            weights.append({key: value.clone() for key, value in learn.model.state_dict().items()})
        finally:
            torch.set_num_threads(1)
    assert all(torch.equal(weights[0][key], weights[1][key]) for key in weights[0])
