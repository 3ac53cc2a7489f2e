"""``fit --arch gbdt --time``: boosted trees fit in one step that no budgeted fit times, and the command's closing
line on its whole time still says where it went when it runs clearly past the budget, as a network's fit does."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from cli_support import binary_table, table_with_test

from scaled_clock import closing_line, fit_on_a_scaled_clock


def _fit_trees_with_clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, speed: float) -> str:
    """``fit --arch gbdt --time 2s`` on a small table with a test table, the command's clock (and those that time
    the test set's scoring and the writing) running ``speed`` times as fast as the wall's."""
    args = [*table_with_test(tmp_path), "--arch", "gbdt", "--time", "2s"]
    said = fit_on_a_scaled_clock(monkeypatch, speed, [*args, "--out", str(tmp_path / "m")])
    assert "gbdt: " in said  # the trees were fitted
    return said


def test_trees_past_their_budget_say_where_the_command_time_went(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    said = _fit_trees_with_clock(tmp_path, monkeypatch, speed=100.0)
    assert closing_line(said, scored_rows=200), said


def test_trees_within_their_budget_say_nothing_more(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    said = _fit_trees_with_clock(tmp_path, monkeypatch, speed=0.01)
    assert "the command took" not in said, said
    assert "--time:" not in said  # no epochs nor batches for a budget to have cut


def test_fit_table_counts_the_trees_time_on_the_budget() -> None:
    """The Python call keeps on its budget what the trees took and what the scoring and writing took after."""
    from trainwell import fit_table
    from trainwell.callbacks import TimeBudget

    budget = TimeBudget("10m")
    run = fit_table(
        binary_table(n_rows=300), "y", arch="gbdt", time_budget=budget, test=binary_table(seed=5, n_rows=50),
        out="model", progress=False,
    )  # fmt: skip
    assert run.budget is budget and run.learn.time_budget is None  # the model directory claims no budget use
    assert budget.used > 0 and not budget.fits
    assert set(budget.after) == {"test", "write"} and budget.after_ended is not None


def test_trees_kept_over_a_trained_mlp_count_their_scoring_and_writing() -> None:
    """``arch="auto"``: the MLP's fit kept the budget, and the trees that beat it are scored and written after it;
    their time is counted on that budget, not left to 'starting up and the rest'."""
    import numpy as np
    import pandas as pd

    from trainwell import fit_table
    from trainwell.callbacks import TimeBudget

    def thresholds(n_rows: int, seed: int) -> pd.DataFrame:
        """A target set by sharp thresholds on two numbers: what trees find at once and an MLP only approaches."""
        rng = np.random.default_rng(seed)
        a, b = rng.uniform(0, 10, n_rows), rng.uniform(0, 10, n_rows)
        label = ((a > 6.5) ^ (b < 2.5)) ^ (rng.random(n_rows) < 0.03)
        return pd.DataFrame({"a": a, "b": b, "c": rng.normal(size=n_rows), "y": np.where(label, "yes", "no")})

    budget = TimeBudget("10m")
    run = fit_table(
        thresholds(800, 0), "y", time_budget=budget, test=thresholds(200, 1), out="model", progress=False
    )
    assert run.arch == "gbdt" and len(budget.fits) == 1  # the MLP's fit, then the trees kept
    assert set(budget.after) == {"test", "write"}


def test_the_command_counts_from_the_process_start_only_as_the_console_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The interpreter's start and the CLI's imports come before any clock of the command's: the console command
    # (main) notes the process's start, read from /proc; inside another Python process the command counts from
    # its own start, since the process's is not the command's.
    from trainwell.cli import _early
    from trainwell.cli._training import CommandTime

    assert _early.process_age() >= 0.0
    monkeypatch.setattr(_early, "process_started", None)
    assert CommandTime().started <= time.monotonic()
    monkeypatch.setattr(_early, "process_started", 12.5)
    assert CommandTime().started == 12.5
    _early.mark_process_start()
    assert _early.process_started is not None and _early.process_started <= time.monotonic()
