"""The leaderboard and evaluate's cross-validation table, printed on the command line's console under COLUMNS=80
and 120: no line wider than the terminal, every figure and interval whole on its line (at 80 columns they broke
after the comma, ``[1.795e9,`` over ``2.118e9]``, and the predict column lost its unit)."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from console_support import printed
from trainwell.data.task import infer_task
from trainwell.evaluate.cv import cross_validate
from trainwell.evaluate.evaluation import Evaluation, render

#: An interval as the tables write it: ``[48,594, 52,305]``, ``[1.795e9, 2.118e9]``, ``[-0.0010, 0.0008]``.
INTERVAL = re.compile(r"\[-?[\d.,e]+, -?[\d.,e]+\]")

#: California housing's leaderboard (trainwell.json of ``trainwell fit housing.csv.gz``).
BOARD = {
    "metric": "rmse",
    "rows_validated": 4128,
    "level": 0.95,
    "candidates": [
        {"name": "gbdt", "valid_loss": 1.9545878e9, "valid_loss_interval": [1.7954530e9, 2.1183931e9],
         "metric": 44210.72, "metric_interval": [42372.79, 46026.00], "fit_seconds": 3.204,
         "predict_ms_per_1000_rows": 44.309, "kept": True},
        {"name": "tabular_mlp", "valid_loss": 2.3739430e9, "valid_loss_interval": [2.1751700e9, 2.5706833e9],
         "metric": 48723.13, "metric_interval": [46638.72, 50701.91], "fit_seconds": 9.797,
         "predict_ms_per_1000_rows": 7.987, "kept": False},
        {"name": "constant", "valid_loss": 1.3698403e10, "valid_loss_interval": [1.3080357e10, 1.4340371e10],
         "metric": 117040.18, "metric_interval": [114369.39, 119751.29], "fit_seconds": None,
         "predict_ms_per_1000_rows": None, "kept": False},
    ],
}  # fmt: skip


_printed = printed


def _readable(text: str, columns: int, intervals: int) -> None:
    lines = text.splitlines()
    assert all(len(line) <= columns for line in lines), text
    # every interval whole on one line: none broken after its comma
    assert sum(len(INTERVAL.findall(line)) for line in lines) == intervals, text
    assert not [line for line in lines if re.search(r"\[[^\]]*$", line)], text


@pytest.mark.parametrize("columns", [80, 120])
def test_the_leaderboard_fits_the_terminal(
    columns: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from trainwell.cli._show import show_table_choice

    board = SimpleNamespace(to_dict=lambda: BOARD, note="")
    run = SimpleNamespace(leaderboard=board, compared=None, learn=SimpleNamespace(model=None))
    shown = _printed(columns, monkeypatch, capsys, lambda console: show_table_choice(run, console))
    _readable(shown, columns, intervals=6)
    assert "44.3 ms" in shown and "boosted trees (kept)" in shown, shown
    kept = next(line for line in shown.splitlines() if line.startswith("boosted trees (kept)"))
    if columns >= 100:  # room for the intervals beside their figures
        assert "1.955e9" in kept and "[1.795e9, 2.118e9]" in kept, shown
    else:  # each interval on its own line under its figure
        assert "1.955e9" in kept and "[" not in kept, shown


def _cv(rmse: list[float], mae: list[float], r2: list[float]) -> Any:
    scores = {"rmse": rmse, "mae": mae, "r2": r2}
    return cross_validate(
        30,
        None,
        lambda train, valid, i: {name: values[i] for name, values in scores.items()},
        k=3,
        stratified=False,
    )


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    """California housing's 3-fold evaluation against its three baselines (figures as ``trainwell evaluate``
    printed them)."""
    model = _cv([58_000.0, 59_500.0, 60_000.0], [41_200.0, 41_700.0, 41_900.0], [0.73, 0.74, 0.75])
    baselines = {
        "mean": _cv([115_000.0, 115_400.0, 116_000.0], [91_000.0, 91_200.0, 91_300.0], [0.0, -0.0004, 0.0]),
        "ridge": _cv([67_000.0, 69_000.0, 70_500.0], [48_900.0, 50_000.0, 50_800.0], [0.64, 0.644, 0.647]),
        "HistGradientBoosting": _cv(
            [47_000.0, 48_100.0, 49_200.0], [31_900.0, 32_200.0, 32_400.0], [0.82, 0.826, 0.832]
        ),
    }
    return Evaluation(infer_task(np.array([0.5, 1.5, 2.5, 3.5])), 30, model, baselines, [1e-3] * 3)


@pytest.mark.parametrize("columns", [80, 120, 200])
def test_the_cross_validation_table_fits_the_terminal(
    columns: int, evaluation: Evaluation, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = _printed(columns, monkeypatch, capsys, lambda console: render(evaluation, console))
    table = shown[: shown.index("(Nadeau-Bengio)")]  # the notes below it are sentences that wrap as prose
    _readable(table, columns, intervals=12)  # 3 metrics x 4 models
    assert "HistGradientBoosting" in table and "59,167 ± 1,041" in table, shown
    if columns >= 150:  # room for a column per model: the table as it always was
        assert "trainwell mean ± std" in table and "115,467 [113,490, 117,444]" in table, shown
    else:  # a row per model and metric
        row = next(line for line in table.splitlines() if "HistGradientBoosting" in line)
        assert "48,100" in row and "[43,779, 52,421]" in row, shown
