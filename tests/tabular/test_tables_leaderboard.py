"""fit --arch auto's leaderboard: the MLP, the boosted trees and the constant baseline on the same validation rows,
each with its loss and main metric and their 95% intervals, fit seconds and prediction time, the one kept and how
sure the choice is; kept in trainwell.json, shown by fit and info. And a multi-label table's micro-F1."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

import trainwell
from trainwell.cli.app import app
from trainwell.metrics import functional
from trainwell.metrics.registry import with_multilabel_f1
from trainwell.tabular.pipeline import _mean_interval


def threshold_table(n_rows: int = 600, seed: int = 0) -> pd.DataFrame:
    """A label set by thresholds on two columns (3% flipped): trees split there at once."""
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(0, 10, n_rows), rng.uniform(0, 10, n_rows)
    label = ((a > 6.5) ^ (b < 2.5)) ^ (rng.random(n_rows) < 0.03)
    return pd.DataFrame({"a": a, "b": b, "c": rng.normal(size=n_rows), "y": np.where(label, "yes", "no")})


def test_the_leaderboard_scores_every_candidate_on_the_same_rows_and_is_recorded(tmp_path: Path) -> None:
    run = trainwell.fit_table(threshold_table(), "y", out=tmp_path / "m", progress=False)
    board = run.leaderboard
    assert board is not None and run.compared is not None
    rows = {row.name: row for row in board.rows}
    assert set(rows) == {"tabular_mlp", "gbdt", "constant"}
    assert [row.name for row in board.rows if row.kept] == [run.arch] == ["gbdt"]
    # The losses are those the choice was made on (the compared rows), recomputed row by row from the kept
    # predictions; the validation rows are 20% of 600.
    for name in ("tabular_mlp", "gbdt"):
        assert rows[name].loss == pytest.approx(run.compared[name]["valid_loss"], rel=1e-4)
        assert rows[name].fit_seconds is not None and rows[name].fit_seconds > 0
        assert rows[name].predict_ms is not None and rows[name].predict_ms > 0
    assert board.n_rows == 120 and board.metric == "accuracy"  # the first of the fit's metrics
    for row in board.rows:
        low, high = row.loss_interval
        assert low < row.loss < high
        assert row.metric_interval[0] <= row.metric <= row.metric_interval[1]
    # The constant answers the training rows' class shares: its loss is their entropy on these rows, its
    # accuracy the commoner class's share of them, and it has no fit nor prediction time.
    constant = rows["constant"]
    assert constant.fit_seconds is None and constant.predict_ms is None
    assert constant.loss > rows["gbdt"].loss and constant.metric < rows["gbdt"].metric
    # Best loss first; the paired difference is the MLP's loss minus the trees'.
    assert board.rows[0].name == "gbdt"
    point, low, high = board.difference
    assert point == pytest.approx(rows["tabular_mlp"].loss - rows["gbdt"].loss, rel=1e-5)
    assert low < point < high
    recorded = json.loads((tmp_path / "m" / "trainwell.json").read_text())["training"]["leaderboard"]
    assert recorded == json.loads(json.dumps(board.to_dict()))
    assert recorded["candidates"][0]["name"] == "gbdt" and recorded["candidates"][0]["kept"] is True
    assert board.reason == "lower validation loss" and board.note.startswith("Kept the boosted trees: lower")


def test_the_paired_difference_is_far_narrower_than_either_interval() -> None:
    """Each resample draws the same rows for every candidate: two models whose losses move together row by row
    differ by an interval far narrower than their own (unpaired draws would not cancel the rows' difficulty)."""
    rng = np.random.default_rng(1)
    hard = torch.tensor(rng.exponential(size=400))
    first, second = hard, hard + 0.01 + 0.001 * torch.tensor(rng.normal(size=400))
    _, low_a, high_a = _mean_interval(first)
    _, low_b, _ = _mean_interval(second)
    point, low, high = _mean_interval(torch.stack([first, second], dim=1))
    assert point == pytest.approx(float((second - first).mean()))
    assert 0 < low < point < high and (high - low) < (high_a - low_a) / 20
    assert (low_b - low_a) == pytest.approx(float((second - first).mean()), abs=2e-3)  # the same draws


def test_few_validation_rows_make_the_choice_uncertain_and_name_the_command() -> None:
    """tour58 #6: with --valid-pct 0.01 on Titanic the choice was made on 7 rows and nothing said so."""
    run = trainwell.fit_table(threshold_table(200), "y", valid_pct=0.1, progress=False)
    board = run.leaderboard
    assert board is not None and board.n_rows == 20 and board.uncertain
    assert "The choice is uncertain: it rests on only 20 validation rows" in board.note
    assert "trainwell evaluate DATA --target TARGET --arch mlp, then --arch gbdt" in board.note


def test_fit_prints_the_leaderboard_and_info_shows_it(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    threshold_table().to_csv(table, index=False)
    runner = CliRunner()
    done = runner.invoke(
        app, ["fit", str(table), "--target", "y", "--out", str(tmp_path / "m")], env={"COLUMNS": "250"}
    )
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    assert "--arch auto leaderboard: 120 validation rows, paired 95% intervals" in said
    kept = [
        line.split() for line in done.output.splitlines() if line.strip().startswith("boosted trees (kept)")
    ]
    assert len(kept) == 1 and kept[0][4].startswith("[")  # its loss, then the loss's interval
    assert float(kept[0][3]) == pytest.approx(json.loads((tmp_path / "m" / "trainwell.json").read_text())[
        "training"]["compared"]["gbdt"]["valid_loss"], abs=1e-4)  # fmt: skip
    assert "Kept the boosted trees: lower validation loss." in said
    info = " ".join(
        runner.invoke(app, ["info", str(tmp_path / "m")], env={"COLUMNS": "250"})
        .output.replace("│", " ")
        .split()
    )
    assert "leaderboard on 120 validation rows, 95% intervals: boosted trees valid_loss" in info
    assert "constant baseline valid_loss" in info and "(kept)" in info


def test_a_fit_without_a_comparison_has_no_leaderboard() -> None:
    assert trainwell.fit_table(threshold_table(), "y", arch="gbdt", progress=False).leaderboard is None
    assert trainwell.fit_table(threshold_table(), "y", epochs=1, progress=False).leaderboard is None


def multilabel_table(n_rows: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(0, 10, n_rows), rng.uniform(0, 10, n_rows)
    tags = [
        " ".join(tag for tag, on in (("x", a[i] > 5), ("y", b[i] > 3), ("z", a[i] + b[i] > 12)) if on)
        or "none"
        for i in range(n_rows)
    ]
    return pd.DataFrame({"a": a, "b": b, "tags": tags})


def test_a_multi_label_table_records_micro_f1_beside_the_macro_one(tmp_path: Path) -> None:
    run = trainwell.fit_table(multilabel_table(), "tags", label_delim=" ", epochs=3, progress=False)
    names = [metric.name for metric in run.learn.metrics]
    assert names[names.index("f1") + 1 : names.index("f1") + 3] == ["f1_micro", "f1_samples"]
    assert isinstance(run.metrics["f1_micro"], float) and not math.isnan(run.metrics["f1_micro"])
    # micro-F1 pools every label decision of the validation rows, at 0.5 as every epoch's row
    from trainwell.learner.kept_predictions import validation_predictions

    assert run.thresholds is not None
    history_row = run.learn.history[-1]
    probabilities, targets = validation_predictions(run.learn)
    assert history_row["f1_micro"] == pytest.approx(
        functional.f1_micro(probabilities, targets, "multilabel", 0.5), abs=1e-6
    )
    # Asked-for metrics are kept as asked; other tasks keep their defaults.
    assert with_multilabel_f1(run.learn.task, ["accuracy"]) == ["accuracy"]
    assert with_multilabel_f1(SimpleNamespace(kind="binary"), None) is None


def test_under_class_weights_the_leaderboard_losses_are_the_weighted_ones_the_choice_read() -> None:
    run = trainwell.fit_table(threshold_table(), "y", class_weight="balanced", progress=False)
    assert run.leaderboard is not None and run.compared is not None
    rows = {row.name: row for row in run.leaderboard.rows}
    for name in ("tabular_mlp", "gbdt"):
        assert rows[name].loss == pytest.approx(run.compared[name]["valid_loss"], rel=1e-4)


def test_the_leaderboard_gives_the_loss_the_fit_recorded_for_a_price() -> None:
    # A price's squared error (about 1e9) summed row by row in float32 differed from the fit's own figure in its
    # eighth digit: 1,954,587,792 in the leaderboard beside 1,954,587,831 in the results table and the report.
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.uniform(0, 10, 600), "b": rng.normal(size=600)})
    frame["price"] = 150_000 + 30_000 * frame["a"] + 20_000 * rng.normal(size=600)
    run = trainwell.fit_table(frame, "price", progress=False)
    assert run.leaderboard is not None and run.compared is not None
    for row in run.leaderboard.rows:
        if row.name in run.compared:
            assert row.loss == run.compared[row.name]["valid_loss"], row.name
