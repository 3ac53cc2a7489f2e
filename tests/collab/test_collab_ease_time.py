"""``fit --arch ease --time``: EASE is solved in one step that no budgeted fit times, and the command's closing
line on its whole time still says where it went when it runs clearly past the budget, as a network's fit does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_collab_implicit import grouped_interactions

from scaled_clock import closing_line, fit_on_a_scaled_clock


def _fit_ease_with_clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, speed: float) -> str:
    """``fit --implicit --arch ease --time 2s`` on small interactions, the command's clock (and those that time
    the writing) running ``speed`` times as fast as the wall's."""
    table = tmp_path / "interactions.csv"
    grouped_interactions().to_csv(table, index=False)
    said = fit_on_a_scaled_clock(
        monkeypatch,
        speed,
        [str(table), "--user", "user", "--item", "item", "--implicit", "--arch", "ease", "--time", "2s",
         "--out", str(tmp_path / "m")],
    )  # fmt: skip
    assert "ease: fitted in closed form on" in said
    return said


def test_ease_past_its_budget_says_where_the_command_time_went(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    said = _fit_ease_with_clock(tmp_path, monkeypatch, speed=100.0)
    assert closing_line(said, training=r"\S+( \S+)?"), said  # EASE's time, said as any duration


def test_ease_within_its_budget_says_nothing_more(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    said = _fit_ease_with_clock(tmp_path, monkeypatch, speed=0.01)
    assert "the command took" not in said, said


def test_fit_ratings_counts_ease_on_the_budget_and_hands_it_over() -> None:
    """The Python call keeps on its budget what EASE took and what the writing took after, without the model
    directory claiming a budget use; a BudgetKeeper among its callbacks is handed that budget."""
    from trainwell import fit_ratings
    from trainwell.callbacks import TimeBudget
    from trainwell.learner.one_step import BudgetKeeper

    budget, keeper = TimeBudget("10m"), BudgetKeeper()
    run = fit_ratings(
        grouped_interactions(),
        arch="ease",
        time_budget=budget,
        out="model",
        progress=False,
        callbacks=[keeper],
    )
    assert run.budget is budget and run.learn.time_budget is None
    assert budget.used > 0 and not budget.fits
    assert set(budget.after) == {"write"} and budget.after_ended is not None
    assert keeper.budget is budget and keeper.learn is run.learn and keeper.one_step


def test_evaluate_keeps_the_ease_folds_time_under_a_budget() -> None:
    """``evaluate --arch ease --time``: what each fold's EASE took beside its share is said (it said nothing)."""
    from trainwell.collab.evaluation import evaluate_ratings

    evaluation = evaluate_ratings(
        grouped_interactions(), implicit=True, cv=2, arch="ease", baselines=False, time_budget="10m"
    )
    assert evaluation.budgets == []
    assert [(fold.fold, fold.arch) for fold in evaluation.one_step] == [(0, "ease"), (1, "ease")]
    assert re.search(
        r"time budget 10m: \S+ reading the data; EASE fitted both folds in one step, which --time does not "
        r"cut: \S+ in all \(",
        " ".join(str(evaluation).split()),
    )
