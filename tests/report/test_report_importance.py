"""Permutation importance on a synthetic table where only one column carries the signal."""

from __future__ import annotations

from pathlib import Path
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


def test_a_regression_report_says_the_error_rises(tmp_path: Path) -> None:
    # Importance is the loss of quality: for RMSE a rise. The page said "drop in rmse" over positive figures,
    # which reads as the error falling when the column is shuffled.
    import trainwell
    from trainwell.report import build_report

    generator = np.random.default_rng(0)
    frame = pd.DataFrame({"size": generator.uniform(20, 200, 400), "noise": generator.normal(size=400)})
    frame["price"] = 3 * frame["size"] + generator.normal(scale=60, size=400)
    trainwell.fit_table(frame.head(300), "price", out=tmp_path / "model", arch="gbdt", progress=False)
    frame.tail(100).to_csv(tmp_path / "new.csv", index=False)
    page = build_report(tmp_path / "model", tmp_path / "new.csv", tmp_path / "report.html").read_text()
    assert "rise in rmse" in page and "drop in rmse" not in page
    assert main_metric(Task("binary", (0, 1))).loss_of_quality == "drop in roc_auc"


def test_top_level_importance_reads_a_model_directory_and_a_labelled_file(tmp_path: Path) -> None:
    # The user's call: a model directory and a test file, no encoded targets to build by hand.
    import pytest

    import trainwell
    from trainwell.core.errors import ConfigError, DataError

    generator = np.random.default_rng(1)
    frame = pd.DataFrame({"size": generator.uniform(20, 200, 400), "noise": generator.normal(size=400)})
    frame["big"] = np.where(frame["size"] + generator.normal(scale=20, size=400) > 110, "yes", "no")
    trainwell.fit_table(frame.head(300), "big", out=tmp_path / "model", arch="gbdt", progress=False)
    frame.tail(100).to_csv(tmp_path / "test.csv", index=False)

    result = trainwell.permutation_importance(tmp_path / "model", str(tmp_path / "test.csv"), seed=3)
    assert [item.column for item in result] == ["size", "noise"]
    assert result[0].importance > 0.2 > abs(result[1].importance)
    # The same figures from a loaded predictor and a DataFrame: the path forms are only conveniences.
    assert (
        trainwell.permutation_importance(trainwell.load(tmp_path / "model"), frame.tail(100), seed=3)
        == result
    )

    with pytest.raises(DataError, match=r"target column 'big' not found in the rows; permutation_importance"):
        trainwell.permutation_importance(tmp_path / "model", frame.tail(100).drop(columns="big"))
    with pytest.raises(ConfigError, match=r"columns 'sise' not found in the rows"):
        trainwell.permutation_importance(tmp_path / "model", frame.tail(100), columns=["sise"])
