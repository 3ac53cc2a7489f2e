"""evaluate's fold MLPs keep their epoch of lowest validation loss, as ``fit`` keeps it, on an inner fifth of the
fold's training rows: before, each fold's MLP was scored at its last epoch, so the cross-validation measured a
model fit never keeps. The rows a fold is scored on never choose the epoch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from trainwell.data.task import infer_task
from trainwell.tabular import data as tabular_data_module
from trainwell.tabular import learner as tabular_learner_module
from trainwell.tabular.evaluation import TabularFold


def noisy_table(n_rows: int = 500, seed: int = 0) -> pd.DataFrame:
    """One weak signal among noise columns: an MLP at a high rate learns the noise after a few epochs."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n_rows, 10)), columns=[f"x{i}" for i in range(10)])
    frame["y"] = (frame["x0"] + rng.normal(scale=1.5, size=n_rows) > 0).astype(int)
    return frame


def one_fold(frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[Any], TabularFold]:
    """One fold's MLP (scored on the last 100 rows) fitted for real, with its learner and the splits its data read."""
    learners: list[Any] = []
    splits: list[Any] = []
    build, read = tabular_learner_module.tabular_learner, tabular_data_module.tabular_data

    def watched_learner(*args: Any, **kwargs: Any) -> Any:
        learners.append(build(*args, **kwargs))
        return learners[-1]

    def watched_data(*args: Any, **kwargs: Any) -> Any:
        splits.append((kwargs["splits"], kwargs.get("like") is not None))
        return read(*args, **kwargs)

    monkeypatch.setattr(tabular_learner_module, "tabular_learner", watched_learner)
    monkeypatch.setattr(tabular_data_module, "tabular_data", watched_data)
    task = infer_task(frame["y"], name="y")
    fold = TabularFold(frame, "y", task, ["roc_auc"], epochs=8, lr=3e-2, arch="tabular_mlp")
    fold(np.arange(len(frame) - 100), np.arange(len(frame) - 100, len(frame)), 0)
    (learn,) = learners
    return learn, splits, fold


def test_a_fold_mlp_keeps_its_best_epoch_on_inner_rows_never_on_the_scored_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frame = noisy_table()
    learn, splits, fold = one_fold(frame, monkeypatch)
    scored = set(range(len(frame) - 100, len(frame)))
    # The MLP validated on an inner fifth of the fold's 400 training rows, trained on the other 320
    (inner_train, inner_valid), like = splits[0]
    assert not like and len(inner_valid) == 80 and len(inner_train) == 320
    assert sorted(inner_train + inner_valid) == list(range(400)) and not scored & {*inner_train, *inner_valid}
    # The scored rows were read with the inner recipe (beside all the training rows, for the copies check)
    assert splits[1] == ((list(range(400)), sorted(scored)), True)
    seen = [row["valid_loss"] for row in learn.history]
    best = int(np.argmin(seen))
    assert best < len(seen) - 1 and seen[-1] > seen[best]  # the fold's MLP overfitted: the test can tell
    assert learn.validate()["loss"] == pytest.approx(
        seen[best], rel=1e-5
    )  # it holds the best epoch's weights
    assert len(fold.predictions) == 1 and sorted(fold.predictions[0][0].tolist()) == sorted(scored)


def test_the_scored_rows_targets_change_nothing_the_fold_model_keeps(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = noisy_table()
    flipped = frame.copy()
    flipped.loc[400:, "y"] = 1 - flipped.loc[400:, "y"]  # the scored rows' answers, all wrong
    first, _, _ = one_fold(frame, monkeypatch)
    monkeypatch.undo()
    second, _, _ = one_fold(flipped, monkeypatch)
    assert [row["valid_loss"] for row in first.history] == [row["valid_loss"] for row in second.history]
    for name, weights in first.model.state_dict().items():
        assert bool((weights == second.model.state_dict()[name]).all()), name
