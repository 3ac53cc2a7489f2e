"""Permutation importance on a synthetic table where only one column carries the signal."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import torch

from trainwell.data.task import Task
from trainwell.report import main_metric, permutation_importance


class OneColumnModel:
    """A fixed 'model' whose probability is a logistic function of column 'signal' only."""

    task = Task("binary", (0, 1), ("y",))
    input_names: ClassVar[list[str]] = ["signal", "noise"]

    def predict_proba(self, rows: pd.DataFrame) -> torch.Tensor:
        return torch.sigmoid(torch.tensor(rows["signal"].to_numpy(), dtype=torch.float32) * 3)


def test_noise_column_ranks_below_the_signal() -> None:
    generator = np.random.default_rng(0)
    signal = generator.normal(size=400)
    rows = pd.DataFrame({"signal": signal, "noise": generator.normal(size=400)})
    targets = torch.tensor((signal + 0.3 * generator.normal(size=400) > 0).astype(np.float32))
    result = permutation_importance(OneColumnModel(), rows, targets, seed=0)
    assert [item.column for item in result] == ["signal", "noise"]
    assert result[0].importance > 0.3
    assert result[1].importance == 0.0  # the model never reads 'noise': shuffling it changes nothing
    assert permutation_importance(OneColumnModel(), rows, targets, seed=0) == result  # seeded


def test_main_metric_per_task() -> None:
    assert main_metric(Task("binary", (0, 1))).name == "roc_auc"
    assert main_metric(Task("multiclass", (0, 1, 2))).name == "accuracy"
    regression = main_metric(Task("regression"))
    assert regression.name == "rmse" and not regression.higher_is_better
