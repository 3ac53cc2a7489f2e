"""``tune`` searches what ``fit`` chooses between (``arch="auto"``, the default): the defaults of boosted trees
and of the MLP first, then each trial picks one kind and that kind's settings; the record, the model directory
and the command line say which kind each trial used and which won, and ``search=`` narrows the kind that has
the setting."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

import trainwell
from trainwell.automl import tune_table
from trainwell.automl.search import TUNING_FILE
from trainwell.automl.table import DEFAULT_DROPOUT, DEFAULT_LAYERS, DEFAULT_WD, GBDT_RANGES, TABLE_RANGES
from trainwell.cli.app import app
from trainwell.core.errors import ConfigError
from trainwell.tabular.gbdt import DEFAULT_SETTINGS, GradientBoostedTrees


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return trainwell.datasets.adult_sample().head(1200)


class PruneAtFirstReport(optuna.pruners.BasePruner):
    """Stops every trial at its first report: only a trial that never reports can finish."""

    def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
        return True


def test_auto_tries_the_defaults_of_both_kinds_first_and_names_each_trials_kind(
    table: pd.DataFrame, tmp_path: Path
) -> None:
    search = {"epochs": (2, 4)}  # few epochs, for time (the MLP defaults trial moved to 4, not asserted)
    result = tune_table(
        table, "income", n_trials=5, search=search, out=tmp_path / "m", pruner=optuna.pruners.NopPruner(),
        keep="best",  # the best trial's model, whatever its gain (the default keeps the defaults' within noise)
    )  # fmt: skip
    trees, mlp = result.trials[0], result.trials[1]
    assert trees["defaults"] and trees["arch"] == "gbdt"
    assert trees["params"]["learning_rate"] == DEFAULT_SETTINGS["learning_rate"]
    assert trees["params"]["max_leaf_nodes"] == DEFAULT_SETTINGS["max_leaf_nodes"]
    assert mlp["defaults"] and mlp["arch"] == "tabular_mlp"
    assert mlp["params"]["layers"] == DEFAULT_LAYERS and mlp["params"]["dropout"] == DEFAULT_DROPOUT
    assert mlp["params"]["wd"] == DEFAULT_WD
    assert not any(t["defaults"] for t in result.trials[2:])
    for trial in result.trials:  # each trial carries its own kind's settings and no other's
        own = GBDT_RANGES if trial["arch"] == "gbdt" else TABLE_RANGES
        assert set(trial["params"]) == set(own), trial
    # The defaults to beat are the better of the two (what fit --arch auto keeps is one of them).
    assert result.default_values == {"gbdt": trees["value"], "tabular_mlp": mlp["value"]}
    assert result.default_value == max(trees["value"], mlp["value"])
    assert result.improvement == pytest.approx(result.best_value - result.default_value)
    assert result.improvement >= 0  # both defaults are trials: the best is never below them
    best = max(result.trials, key=lambda t: t["value"])
    assert result.arch == best["arch"] and result.run.arch == best["arch"]
    assert result.best_params == best["params"] and result.best_trial == best["number"]
    record = json.loads((tmp_path / "m" / TUNING_FILE).read_text())
    assert record["arch"] == result.arch and record["default_values"] == result.default_values
    assert [t["arch"] for t in record["trials"]] == [t["arch"] for t in result.trials]


def _predictions(learn: trainwell.Learner, rows: pd.DataFrame) -> torch.Tensor:
    from trainwell.tabular import TabularPredictor

    return TabularPredictor(learn.model, learn.task, learn.data.recipe, {}).predict_proba(rows)


@pytest.mark.parametrize("winner", ["gbdt", "tabular_mlp"])
def test_the_best_model_directory_names_its_kind_loads_and_predicts_as_the_kept_model(
    table: pd.DataFrame, tmp_path: Path, winner: str
) -> None:
    # Each kind in turn is made to win: the other one's settings are held where it scores poorly.
    # (trees whose leaves need more rows than the table has never split: a constant score; the MLP is held at 2
    # epochs, for time: it still beats a constant score by far)
    losing = {"gbdt": {"epochs": 1, "lr": 1e-4}, "tabular_mlp": {"min_samples_leaf": 5000, "epochs": 2}}
    result = tune_table(table, "income", n_trials=3, search=losing[winner], out=tmp_path / "m")
    assert result.arch == winner
    metadata = json.loads((tmp_path / "m" / "trainwell.json").read_text())
    assert metadata["architecture"]["name"] == winner
    tuning = metadata["training"]["tuning"]
    assert tuning["arch"] == winner and tuning["trials"] == 3 and tuning["record"] == TUNING_FILE
    assert set(tuning["kinds"]) == {"gbdt", "tabular_mlp"}
    assert tuning["kinds"][winner]["best"] == result.best_value
    loaded = trainwell.load(tmp_path / "m")
    assert isinstance(loaded.model, GradientBoostedTrees) == (winner == "gbdt")
    rows = table.tail(50)
    assert torch.allclose(loaded.predict_proba(rows), _predictions(result.run.learn, rows), atol=1e-6)
    assert len(loaded.predict(rows)) == 50


def test_trees_never_report_to_the_pruner_so_only_mlp_trials_are_pruned(table: pd.DataFrame) -> None:
    result = tune_table(table, "income", n_trials=6, pruner=PruneAtFirstReport())
    for trial, frozen in zip(result.trials, result.study.trials, strict=True):
        if trial["arch"] == "gbdt":
            assert trial["state"] == "complete" and not frozen.intermediate_values
        else:  # reported once, at a tenth of its schedule or later, then stopped
            assert trial["state"] == "pruned" and len(frozen.intermediate_values) == 1
            assert min(frozen.intermediate_values) >= 10
    assert result.default_values["tabular_mlp"] is None and result.arch == "gbdt"
    assert result.default_value == result.default_values["gbdt"]


def test_a_setting_narrows_the_kind_that_has_it(table: pd.DataFrame) -> None:
    search = {"epochs": (2, 3), "dropout": 0.2, "max_leaf_nodes": (8, 12)}
    result = tune_table(table, "income", n_trials=8, search=search, pruner=optuna.pruners.NopPruner())
    kinds = {t["arch"] for t in result.trials}
    assert kinds == {"gbdt", "tabular_mlp"}
    for trial in result.trials:
        params = trial["params"]
        if trial["arch"] == "gbdt":
            assert 8 <= params["max_leaf_nodes"] <= 12 and 0.01 <= params["learning_rate"] <= 0.3
        else:
            assert 2 <= params["epochs"] <= 3 and "dropout" not in params  # held, not searched
    assert result.trials[0]["params"]["max_leaf_nodes"] == 12  # the default 31, moved into the range
    assert result.trials[1]["params"]["epochs"] == 3  # the default, moved into the range


@pytest.mark.parametrize(
    ("search", "message"),
    [
        ({"momentum": 0.9}, "search names 'momentum', which is not searched here; the settings are: gbdt: "),
        ({"arch": "gbdt"}, r"search names 'arch': choose the kinds of model searched with arch= \(--arch\)"),
        ({"max_leaf_nodes": (0, 5)}, r"search\['max_leaf_nodes'\] = \(0, 5\): the range needs 0 < low"),
    ],
)
def test_settings_that_no_kind_searches_are_refused(
    table: pd.DataFrame, search: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        tune_table(table.head(200), "income", n_trials=1, search=search)


def test_where_fit_keeps_the_mlp_auto_searches_the_mlp_alone(table: pd.DataFrame) -> None:
    two, targets = table.head(300), ["age", "hours-per-week"]  # several numbers: no trees, as in fit_table
    with pytest.raises(ConfigError, match="'max_leaf_nodes', a setting of boosted trees, but arch='auto'"):
        tune_table(two, targets, n_trials=1, search={"max_leaf_nodes": 8})
    result = tune_table(two, targets, n_trials=1, search={"epochs": 2})
    assert result.arch == "tabular_mlp" and result.default_values == {"tabular_mlp": result.best_value}
    assert result.trials[0]["arch"] == "tabular_mlp" and result.trials[0]["defaults"]


def test_the_command_line_searches_both_kinds_by_default(table: pd.DataFrame, tmp_path: Path) -> None:
    table.to_csv(tmp_path / "t.csv", index=False)
    args = ["tune", str(tmp_path / "t.csv"), "--target", "income", "--trials", "3", "--search", "epochs=2:3"]
    args += ["--out", str(tmp_path / "m")]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    said = result.stdout
    assert "0 (defaults)" in said and "1 (defaults)" in said and "trees" in said and "MLP" in said
    assert "the better defaults'" in said and "fit --arch auto keeps one of them" in said
    record = json.loads((tmp_path / "m" / TUNING_FILE).read_text())
    assert record["trials"][0]["arch"] == "gbdt" and record["trials"][1]["arch"] == "tabular_mlp"
    info = CliRunner().invoke(app, ["info", str(tmp_path / "m")], env={"COLUMNS": "200"})
    assert info.exit_code == 0 and "3 trials on roc_auc" in info.stdout and "(kept)" in info.stdout


def test_auto_is_at_least_the_mlp_defaults_on_real_rows(table: pd.DataFrame) -> None:
    """On Adult's rows: what auto keeps scores no lower than the MLP's defaults, which the MLP-only search
    starts from (its trial 0, the same number: every trial trains from the same seed). The module's 1,200 rows:
    the comparison holds on any rows, and 2,000 only made four trials longer."""
    rows = table
    search = {"epochs": (2, 3)}  # a few epochs, for time: the MLP's defaults are moved to 3 in both
    mlp = tune_table(rows, "income", n_trials=1, arch="mlp", search=search)
    auto = tune_table(rows, "income", n_trials=3, search=search)
    assert auto.default_values["tabular_mlp"] == pytest.approx(mlp.default_value, abs=1e-9)
    assert auto.best_value >= mlp.default_value and auto.best_value >= auto.default_values["gbdt"]


@pytest.mark.data
def test_auto_is_at_least_the_mlp_defaults_on_titanic(shared_data: Path) -> None:
    rows = pd.read_csv(shared_data / "titanic" / "train.csv.gz")
    # A few epochs, for time: the MLP's defaults are moved to 4 in both searches (the same trial either way)
    kept = {"ignore": ["PassengerId", "Name", "Ticket"], "search": {"epochs": (2, 4)}}
    mlp = tune_table(rows, "Survived", n_trials=1, arch="mlp", **kept)
    auto = tune_table(rows, "Survived", n_trials=4, **kept)
    assert auto.default_values["tabular_mlp"] == pytest.approx(mlp.default_value, abs=1e-9)
    assert auto.best_value >= max(mlp.default_value, auto.default_values["gbdt"])


@pytest.mark.data
def test_the_defaults_trials_are_what_fit_fits(shared_data: Path) -> None:
    # On Titanic an L2 penalty of 1e-6 instead of fit's 0 stops the trees 17 rounds earlier: the floor of the
    # range stands for none, so the trees' defaults trial is fit's trees, number for number.
    rows = pd.read_csv(shared_data / "titanic" / "train.csv.gz")
    rows = rows.drop(rows.sample(frac=0.25, random_state=0).index).reset_index(drop=True)
    result = tune_table(rows, "Survived", n_trials=2)
    fitted = {
        arch: trainwell.fit_table(rows, "Survived", arch=arch, progress=False).metrics["roc_auc"]
        for arch in ("gbdt", "tabular_mlp")
    }
    assert result.default_values == fitted
