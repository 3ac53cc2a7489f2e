"""``refit_full=True`` (``--refit-full``): the chosen model trained again on the training and validation rows
with the epochs or boosting rounds it validated (tour58 #2). Before, the model written never saw its validation
rows (and the trees, stopping on an inner tenth, trained on 72% of the table; with validation rows they now stop on
those and train on the other 80%)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import trainwell
from trainwell.tabular.refit import all_rows


def table(n_rows: int = 800, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x": rng.normal(size=n_rows), "z": rng.normal(size=n_rows)})
    frame["kind"] = rng.choice(["a", "b", "c"], n_rows)
    frame["y"] = np.where(frame["x"] + (frame["kind"] == "a") + rng.normal(size=n_rows) > 0.5, "yes", "no")
    return frame


def test_all_rows_joins_the_validation_rows_to_the_training_rows_as_encoded() -> None:
    data = trainwell.tabular_data(table(), "y", seed=0)
    joined = all_rows(data)
    assert joined.valid is None and joined.recipe is data.recipe and joined.test is data.test
    for whole, train, valid in zip(joined.train.tensors, data.train.tensors, data.valid.tensors, strict=True):  # type: ignore[attr-defined,union-attr]
        torch.testing.assert_close(whole, torch.cat([train, valid]))
    assert sorted(joined.train_index.tolist()) == list(range(800))  # type: ignore[attr-defined]


def test_refit_trees_take_their_rounds_on_every_row_and_are_the_model_written(tmp_path: Path) -> None:
    frame, test = table(), table(300, seed=1)
    run = trainwell.fit_table(frame, "y", arch="gbdt", refit_full=True, test=test, out=tmp_path / "m",
                              progress=False)  # fmt: skip
    refit = run.refit
    assert refit is not None and refit.epochs is None
    rounds = run.learn.model.settings["n_iter"]
    assert refit.rounds == rounds and refit.learn.model.settings["n_iter"] == rounds
    assert refit.learn.model.settings["early_stopping"] is False
    assert (refit.rows, refit.validated_rows) == (800, 640)
    assert refit.learn.model is not run.learn.model  # the validated trees keep their figures
    assert "valid_loss" in run.metrics
    assert run.learn.test_scores == refit.learn.test_scores  # the test figures are the refit model's
    loaded = trainwell.load(tmp_path / "m")
    rows = test.drop(columns="y")
    np.testing.assert_allclose(loaded.predict(rows)["probability_yes"].to_numpy(),
                               refit.learn.predict(rows)["probability_yes"].to_numpy(), rtol=1e-6)  # fmt: skip
    assert not np.allclose(loaded.predict(rows)["probability_yes"].to_numpy(),
                           run.learn.predict(rows)["probability_yes"].to_numpy())  # fmt: skip
    written = json.loads((tmp_path / "m" / "trainwell.json").read_text())
    assert written["training"]["test"] == pytest.approx(refit.learn.test_scores)
    assert refit.line() == (
        f"refit on all 800 rows with {rounds} boosting rounds; its validation figures above are from the model "
        "trained on 640 rows; the test figures are the refit model's"
    )


def test_a_refit_mlp_trains_for_its_kept_epochs_at_its_rate() -> None:
    from test_tables_best_epoch import OVERFIT, noisy_table

    run = trainwell.fit_table(noisy_table(), "y", refit_full=True, progress=False, **OVERFIT)  # type: ignore[arg-type]
    seen = [row["valid_loss"] for row in run.learn.history]
    kept = int(np.argmin(seen)) + 1
    assert kept < len(seen)  # the kept epoch is not the last: the refit's count comes from it
    assert run.refit is not None and run.refit.epochs == kept and len(run.refit.learn.history) == kept
    assert run.refit.learn.data.valid is None and run.refit.rows == 600
    assert max(row["lr"] for row in run.refit.learn.history) <= run.lr
    epochs = f"{kept} epoch{'' if kept == 1 else 's'}"
    assert run.refit.line() == (
        f"refit on all 600 rows with {epochs}; its validation figures above are from the model trained on 480 rows"
    )


def test_auto_refits_the_architecture_it_chose(tmp_path: Path) -> None:
    run = trainwell.fit_table(table(), "y", refit_full=True, progress=False, out=tmp_path / "m")
    assert run.refit is not None and run.compared is not None
    assert run.refit.learn.model_spec["name"] == ("gbdt" if run.arch == "gbdt" else "tabular_mlp")
    written = json.loads((tmp_path / "m" / "trainwell.json").read_text())
    assert written["architecture"]["name"] == run.refit.learn.model_spec["name"]
    assert written["training"]["compared"]["gbdt"]["valid_loss"] == pytest.approx(
        run.compared["gbdt"]["valid_loss"]
    )


def test_refit_without_validation_rows_says_there_is_nothing_to_add() -> None:
    with pytest.warns(UserWarning, match="refit_full: there are no validation rows to add"):
        run = trainwell.fit_table(table(), "y", arch="gbdt", valid_pct=0, refit_full=True, progress=False)
    assert run.refit is None


def test_off_by_default() -> None:
    assert trainwell.fit_table(table(300), "y", arch="gbdt", progress=False).refit is None


def test_a_refit_keeps_the_class_weights_and_its_time_is_counted_after_the_training() -> None:
    run = trainwell.fit_table(table(), "y", arch="gbdt", class_weight="balanced", refit_full=True, time_budget=60,
                              progress=False)  # fmt: skip
    assert run.refit is not None
    assert run.refit.learn.model.settings["class_weight"] == "balanced"
    assert type(run.refit.learn.loss_func).__name__ == "BalancedCrossEntropy"
    assert (
        run.budget is not None and run.budget.after["refitting on every row"] > 0
    )  # named in fit's closing line


def test_a_python_fit_says_the_refit_line_with_its_progress(capsys: pytest.CaptureFixture[str]) -> None:
    """fit_table(refit_full=True) refitted in silence: only run.refit told a Python caller that the model written
    is not the one validated. With progress the line is said on stderr, as the pipeline's other notes; the command
    line, which says it under its own table, asks it not to be said twice."""
    from trainwell.tabular.refit import refit_said_by_caller

    run = trainwell.fit_table(table(), "y", arch="gbdt", refit_full=True, progress=True)
    said = capsys.readouterr().err
    assert run.refit is not None
    assert [line for line in said.splitlines() if line.startswith("refit on all")] == [run.refit.line()]
    with refit_said_by_caller():
        trainwell.fit_table(table(), "y", arch="gbdt", refit_full=True, progress=True)
    assert "refit on all" not in capsys.readouterr().err
    trainwell.fit_table(table(), "y", arch="gbdt", refit_full=True, progress=False)
    assert "refit on all" not in capsys.readouterr().err


def test_the_report_says_the_trees_were_refit_not_grown_without_stopping(tmp_path: Path) -> None:
    from trainwell.report import build_report

    frame, test = table(), table(300, seed=1)
    trainwell.fit_table(frame, "y", arch="gbdt", refit_full=True, out=tmp_path / "m", progress=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    page = build_report(tmp_path / "m", tmp_path / "test.csv", tmp_path / "r.html").read_text(
        encoding="utf-8"
    )
    assert "then refit on all 800 training and validation rows" in page
    assert "no early stopping" not in page
