"""A search trial's predictions for the gain's check (over validation rows) are its last validation pass's, kept
as the pass ran: before, each trial scored the validation rows a second time after its fit."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import torch
from test_tune_keep import rare_table

from trainwell.automl import tune_table


def test_each_trial_scores_the_validation_rows_once_an_epoch_and_not_again() -> None:
    rows: Counter[int] = Counter()  # validation rows each model's outermost module is handed in eval mode

    def count(module: torch.nn.Module, inputs: Any) -> None:
        if type(module).__name__ == "TabularMLP" and not module.training:
            rows[id(module)] += len(inputs[0])

    handle = torch.nn.modules.module.register_module_forward_pre_hook(count)
    try:
        with pytest.warns(UserWarning, match="exact copies of training rows"):
            result = tune_table(
                rare_table(in_valid=1),
                "y",
                arch="tabular_mlp",
                n_trials=3,
                valid_col="is_valid",
                progress=False,
            )
    finally:
        handle.remove()
    epochs = sorted(trial["params"]["epochs"] for trial in result.trials)
    assert sorted(rows.values()) == [n * 100 for n in epochs]  # 100 validation rows; before: a pass more each
