"""trainwell.permutation_importance returns interpret.PermutationImportances: the list it was, with to_frame()
and plot() (it returned a bare list of FeatureImportance)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import torch

import trainwell
from trainwell.data.task import Task
from trainwell.interpret import PermutationImportances


class SignalModel:
    task = Task("binary", (0, 1), ("y",))
    input_names: ClassVar[list[str]] = ["signal", "noise"]

    def predict_proba(self, rows: pd.DataFrame) -> torch.Tensor:
        return torch.sigmoid(torch.tensor(rows["signal"].to_numpy(), dtype=torch.float32) * 3)


def test_permutation_importance_returns_a_list_with_a_frame_and_a_plot(tmp_path: Path) -> None:
    generator = np.random.default_rng(0)
    signal = generator.normal(size=300)
    rows = pd.DataFrame({"signal": signal, "noise": generator.normal(size=300)})
    targets = torch.tensor((signal + 0.8 * generator.normal(size=300) > 0).astype(np.float32))
    result = trainwell.permutation_importance(SignalModel(), rows, targets, n_repeats=3)
    assert isinstance(result, PermutationImportances) and isinstance(result, list)
    assert (result.metric, result.n_rows, result.n_repeats) == ("roc_auc", 300, 3)
    assert result.to_frame()["column"].tolist() == ["signal", "noise"]
    assert result.plot(tmp_path / "importance.png").read_bytes()[:4] == b"\x89PNG"
