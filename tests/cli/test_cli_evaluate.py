"""`trainwell evaluate` through the real command line: k-fold table with intervals and baselines."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import run_cli

pytestmark = pytest.mark.slow


def test_evaluate_prints_intervals_and_baselines(binary_csv: Path) -> None:
    result = run_cli("evaluate", binary_csv, "--target", "y", "--cv", "3", "--epochs", "2")
    assert result.returncode == 0, result.explain()
    for name in ("accuracy", "roc_auc", "HistGradientBoosting", "majority"):
        assert name in result.stdout, result.explain()
    assert "95%" in result.stdout or "CI" in result.stdout, result.explain()


def test_evaluate_refuses_a_single_fold(binary_csv: Path) -> None:
    result = run_cli("evaluate", binary_csv, "--target", "y", "--cv", "1")
    assert result.returncode == 2, result.explain()
    assert len(result.stderr_lines) == 1 and result.stderr_lines[0].startswith("error: --cv"), (
        result.explain()
    )
