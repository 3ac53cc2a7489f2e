"""A table search scores each MLP trial at the epoch ``fit_table`` keeps (its lowest validation loss), not its
last: ``fit_table(**result.fit_kwargs())`` keeps the best epoch, and the trials were ranked by models it would
never keep."""

from __future__ import annotations

import numpy as np
import pytest
from test_tables_best_epoch import noisy_table

import trainwell


def test_a_table_trial_is_scored_at_the_epoch_fit_table_keeps() -> None:
    frame = noisy_table()
    overfit = {"epochs": 8, "lr": 3e-2}  # the validation loss turns up after a few epochs
    result = trainwell.tune_table(
        frame, "y", n_trials=1, arch="mlp", search=overfit, keep="best", seed=0, metric="log_loss"
    )
    learn = result.run.learn
    seen = [row["valid_loss"] for row in learn.history]
    kept = int(np.argmin(seen))
    assert kept < len(seen) - 1  # the kept epoch is not the last: the two scores differ
    assert learn.final_row["epoch"] == learn.history[kept]["epoch"]
    assert result.best_value == learn.final_row["log_loss"] == learn.history[kept]["log_loss"]
    assert result.best_value < learn.history[-1]["log_loss"]
    # What fit_table(**result.fit_kwargs()) keeps scores what the trial scored
    run = trainwell.fit_table(frame, "y", seed=0, progress=False, metrics=["log_loss"], **result.fit_kwargs())
    assert run.metrics["log_loss"] == pytest.approx(result.best_value, rel=1e-5)
