"""Hyper-parameter search with the real Optuna: defaults first, the best model kept exactly, pruning that
stops fits early, the record on disk, and the errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
import pytest
from typer.testing import CliRunner

import trainwell
from trainwell.automl import TuningDependencyError, tune_table
from trainwell.automl.search import DEFAULT_DROPOUT, DEFAULT_LAYERS, DEFAULT_WD, TUNING_FILE
from trainwell.cli.app import app
from trainwell.core.errors import ConfigError


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return trainwell.datasets.adult_sample().head(1200)


class PruneAllButTheFirst(optuna.pruners.BasePruner):
    """Stops every trial but trial 0 at its first report: what a trial looks like when pruned."""

    def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
        return trial.number > 0


def test_the_search_starts_from_the_defaults_and_keeps_the_best_model_exactly(
    table: pd.DataFrame, tmp_path: Path
) -> None:
    result = tune_table(table, "income", n_trials=3, out=tmp_path / "m", pruner=optuna.pruners.NopPruner())
    first = result.trials[0]
    assert first["defaults"] and first["state"] == "complete"
    assert first["params"]["layers"] == DEFAULT_LAYERS and first["params"]["wd"] == DEFAULT_WD
    assert first["params"]["dropout"] == DEFAULT_DROPOUT and 1e-4 <= first["params"]["lr"] <= 1e-2
    assert result.metric == "roc_auc" and result.direction == "maximize"
    values = [t["value"] for t in result.trials]
    assert result.best_value == max(values) and result.default_value == values[0]
    assert result.improvement == pytest.approx(result.best_value - values[0])
    # Trained again with the best settings and the same seed: the best trial's model, number for number.
    assert result.run.learn.history[-1]["roc_auc"] == result.best_value
    record = json.loads((tmp_path / "m" / TUNING_FILE).read_text())
    assert record["best_params"] == result.best_params and len(record["trials"]) == 3
    assert len(trainwell.load(tmp_path / "m").predict(table.head(5))) == 5


def test_a_pruned_trial_stops_at_the_first_report(table: pd.DataFrame) -> None:
    result = tune_table(
        table, "income", n_trials=3, pruner=PruneAllButTheFirst(), timeout="10m"
    )  # a duration
    states = [t["state"] for t in result.trials]
    assert states == ["complete", "pruned", "pruned"]
    for trial in result.study.trials[1:]:
        assert len(trial.intermediate_values) == 1  # reported once, then the fit was cancelled
        assert min(trial.intermediate_values) >= 10  # steps are tenths of the schedule
    assert result.best_value == result.default_value


def test_nothing_finished_is_an_error(table: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="no trial finished"):
        tune_table(table, "income", n_trials=1, pruner=optuna.pruners.ThresholdPruner(lower=2.0))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"n_trials": 0}, "--trials must be a whole number"),
        ({"timeout": -5}, "timeout -5 is not a duration longer than zero"),
        ({"timeout": "8 seconds"}, "timeout '8 seconds' is not a duration longer than zero"),
        ({"metric": "rmse"}, "does not score a binary task here; use one of: accuracy, roc_auc, f1"),
        ({"valid_pct": 0}, "needs validation rows"),
    ],
)
def test_bad_settings_are_refused(table: pd.DataFrame, settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        tune_table(table, "income", **settings)


def test_without_optuna_the_error_says_how_to_install_it(
    table: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "optuna", None)  # what an environment without the package sees
    with pytest.raises(TuningDependencyError, match=r"pip install 'trainwell\[tune\]'"):
        tune_table(table, "income", n_trials=1)


def test_the_command_line_prints_the_trials_and_writes_the_record(
    table: pd.DataFrame, tmp_path: Path
) -> None:
    table.to_csv(tmp_path / "t.csv", index=False)
    args = [
        "tune",
        str(tmp_path / "t.csv"),
        "--target",
        "income",
        "--trials",
        "2",
        "--timeout",
        "10m",
        "--out",
        str(tmp_path / "m"),
    ]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "0 (defaults)" in result.stdout and "best roc_auc" in result.stdout
    assert "--timeout 10m: 0 trials fitted to the time left" in result.stdout
    record = json.loads((tmp_path / "m" / TUNING_FILE).read_text())
    assert record["timeout"] == 600 and [t["cut_by_time"] for t in record["trials"]] == [False, False]
