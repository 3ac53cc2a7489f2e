"""The sentence over a report's metrics table names the interval each of its metrics has: a ratings model's or a
regression's table (RMSE, MAE, R²) said a Wilson interval for accuracy, precision, recall and top10_precision,
none of which it showed."""

from __future__ import annotations

import numpy as np
import torch

from trainwell.data.task import infer_task
from trainwell.report.build import _metrics_section


def test_a_regression_table_is_said_to_have_bootstrap_intervals_only() -> None:
    targets = torch.linspace(0, 10, 60)
    task = infer_task(targets.numpy())
    html = _metrics_section(
        task, targets + torch.randn(60, generator=torch.Generator().manual_seed(0)), targets, 60, "t.csv"
    )
    assert "the 95% interval is a percentile bootstrap over rows;" in html
    assert "Wilson" not in html and "accuracy" not in html


def test_a_classifiers_table_names_its_proportions() -> None:
    targets = torch.tensor([0, 1] * 30)
    task = infer_task(np.array(["no", "yes"] * 30))
    probabilities = torch.rand(60, generator=torch.Generator().manual_seed(0)) * 0.5 + targets * 0.4
    html = _metrics_section(task, probabilities, targets, 60, "t.csv")
    assert "a Wilson interval for proportions (accuracy" in html
