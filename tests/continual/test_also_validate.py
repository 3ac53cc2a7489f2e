"""AlsoValidate: an earlier task's validation set scored when the next task's fit starts and after each of its
epochs, in the history's rows, with the forgetting it adds up to (tour62 #6: nothing measured it).

Two tiny binary tasks whose answers oppose each other (task B's label is the opposite of A's, and one feature
says which task a row is from): trained on B alone, the network flips its answer and forgets A.
"""

from __future__ import annotations

import numpy as np
import pytest
from torch import nn

from trainwell.continual import AlsoValidate, Consolidation
from trainwell.core.errors import ConfigError
from trainwell.core.seeding import seed_everything
from trainwell.data import DataBundle, tensor_data
from trainwell.learner import Learner


def opposite_task(seed: int, second: bool) -> DataBundle:
    rng = np.random.default_rng(seed)
    x = np.zeros((800, 7), dtype=np.float32)
    x[:, :6] = rng.normal(size=(800, 6))
    x[:, 6] = 3.0 if second else 0.0
    w = np.random.default_rng(99).normal(size=6)
    return tensor_data(x, ((x[:, :6] @ w > 0) != second).astype(int), batch_size=32, seed=0)


def after_task_a() -> tuple[Learner, DataBundle, DataBundle]:
    seed_everything(0)
    task_a, task_b = opposite_task(0, False), opposite_task(1, True)
    learn = Learner(
        nn.Sequential(nn.Linear(7, 32), nn.ReLU(), nn.Linear(32, 1)), task_a, progress=False, wd=0.0
    )
    learn.fit_one_cycle(5, 1e-2)
    return learn, task_a, task_b


def test_each_epoch_row_holds_the_old_tasks_scores_and_forgetting_is_their_fall() -> None:
    learn, task_a, task_b = after_task_a()
    after_a = learn.validate(task_a.valid)
    old = AlsoValidate({"A": task_a.valid})
    learn.data = task_b
    learn.fit_one_cycle(8, 2e-2, callbacks=[old])
    rows = learn.history[-8:]
    assert all({"accuracy[A]", "valid_loss[A]"} <= set(row) for row in rows)
    now = learn.validate(task_a.valid)
    assert rows[-1]["accuracy[A]"] == pytest.approx(now["accuracy"], abs=1e-9)
    assert rows[-1]["valid_loss[A]"] == pytest.approx(now["loss"], rel=1e-6)
    assert old.start["A"]["accuracy"] == pytest.approx(after_a["accuracy"], abs=1e-9)
    assert after_a["accuracy"] > 0.9 and now["accuracy"] < 0.3  # fine-tuning on B flipped the answer
    assert old.forgetting["A"]["accuracy"] == pytest.approx(after_a["accuracy"] - now["accuracy"], abs=1e-9)
    assert old.forgetting["A"]["loss"] == pytest.approx(
        now["loss"] - after_a["loss"], rel=1e-6
    )  # a loss rises
    worst, epoch = old.worst["A"]["accuracy"]
    assert worst == min(row["accuracy[A]"] for row in rows)
    assert rows[epoch - 1]["accuracy[A]"] == worst
    assert old.summary() == (
        f"A: accuracy {after_a['accuracy']:.3f} when the fit started, {now['accuracy']:.3f} now "
        f"(forgot {after_a['accuracy'] - now['accuracy']:.3f}; lowest {worst:.3f} at epoch {epoch} of 8)"
    )


def test_the_fits_own_scores_are_those_of_a_fit_without_it() -> None:
    histories = []
    for extra in (False, True):
        learn, task_a, task_b = after_task_a()
        learn.data = task_b
        learn.fit_one_cycle(3, 1e-2, callbacks=[AlsoValidate({"A": task_a.valid})] if extra else [])
        histories.append(
            [
                {key: value for key, value in row.items() if "[" not in key and key != "time"}
                for row in learn.history
            ]
        )
    assert histories[0] == histories[1]


def test_a_consolidated_fit_forgets_less_and_it_shows() -> None:
    forgotten = []
    for method in (None, "ewc"):
        learn, task_a, task_b = after_task_a()
        callbacks: list = [AlsoValidate({"A": task_a.valid})]
        if method is not None:
            callbacks.append(Consolidation(method, strength=3.0).consolidate(learn))
        learn.data = task_b
        learn.fit_one_cycle(8, 2e-2, callbacks=callbacks)
        forgotten.append(callbacks[0].forgetting["A"]["accuracy"])
    assert forgotten[0] > 0.7 and forgotten[1] < 0.1  # measured 0.89 and 0.04


def test_the_sets_are_checked_when_built() -> None:
    with pytest.raises(ConfigError, match=r"AlsoValidate\(\{'A': task_a.valid\}\)"):
        AlsoValidate([])  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="the set 'A' is None"):
        AlsoValidate({"A": None})
    with pytest.raises(ConfigError, match="without brackets"):
        AlsoValidate({"A[0]": object()})
