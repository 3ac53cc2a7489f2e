"""Per-label thresholds chosen at the end of a multi-label fit (trainwell.learner.label_thresholds): the
cross-fitted _tuned metrics get a bootstrap interval (trainwell.evaluate.explain), and the fit table shows it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from rich.console import Console

from trainwell.evaluate.explain import cross_fitted_intervals
from trainwell.learner.label_thresholds import ThresholdSummary, cross_fitted_votes
from trainwell.tabular.pipeline import TableRun, fit_table

N_BOOT = 300


def _noisy_tags(n_rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """Two labels that the inputs predict only in part, so decisions are often wrong and intervals are wide."""
    rng = np.random.default_rng(seed)
    x, z = rng.normal(size=n_rows), rng.normal(size=n_rows)
    hot, busy = x + rng.normal(size=n_rows) > 0, z + rng.normal(size=n_rows) > 0.8
    tags = [
        "|".join(t for t, on in (("hot", a), ("busy", b)) if on) or None
        for a, b in zip(hot, busy, strict=True)
    ]
    return pd.DataFrame({"x": x, "z": z, "tags": tags})


@pytest.fixture(scope="module")
def run() -> TableRun:
    torch.manual_seed(0)
    return fit_table(_noisy_tags(), "tags", label_delim="|", epochs=3, lr=1e-2, seed=3, progress=False)


def test_the_tuned_metrics_get_a_bootstrap_interval_over_the_cross_fitted_decisions(run: TableRun) -> None:
    summary = run.thresholds
    assert isinstance(summary, ThresholdSummary)
    intervals = cross_fitted_intervals(summary, n_boot=N_BOOT, seed=0)
    assert set(intervals) == {"accuracy", "f1"}
    probabilities, targets = run.learn.get_preds()
    # Reference: the fit's seed draws the folds (each decided by thresholds from the others); rows resampled by hand.
    assert (summary.folds, summary.repeats) == (5, 3)  # 80 rows of 2 labels: five folds, three draws
    decisions = cross_fitted_votes(probabilities.float(), targets.float(), seed=3, folds=5, repeats=3).numpy()
    truth = targets.numpy() > 0.5
    rows = torch.randint(0, len(truth), (N_BOOT, len(truth)), generator=torch.Generator().manual_seed(0))
    accuracies = [(decisions[sample] == truth[sample]).mean() for sample in rows.numpy()]
    assert intervals["accuracy"] == pytest.approx(tuple(np.quantile(accuracies, [0.025, 0.975])))
    assert summary.cross_fitted["accuracy"] == pytest.approx((decisions == truth).mean())
    for name, (low, high) in intervals.items():
        assert low < summary.cross_fitted[name] < high and high - low > 0.02  # 80 noisy rows: wide


def test_the_fit_table_shows_the_tuned_intervals(run: TableRun) -> None:
    from trainwell.cli._show import show_metrics

    assert run.thresholds is not None
    console = Console(record=True, width=300)
    show_metrics(run.learn, console, run.thresholds)
    cells = [line.split("│") for line in console.export_text().splitlines() if line.count("│") > 3]
    intervals = {cell[1].strip(): cell[3].strip() for cell in cells}
    low, high = cross_fitted_intervals(run.thresholds)["f1"]
    assert intervals["f1_tuned"] == f"[{low:.4f}, {high:.4f}]"
    assert intervals["accuracy_tuned"].startswith("[") and intervals["f1"].startswith("[")
    show_metrics(run.learn, console := Console(record=True, width=300))  # no summary (a Python fit): none
    assert "│ f1_tuned       │ " in console.export_text()
    assert not any(
        line.split("│")[3].strip() for line in console.export_text().splitlines() if "f1_tuned" in line
    )
