"""Hyper-parameter search with the real Optuna: defaults first, the best model kept exactly, pruning that
stops fits early, the record on disk, and the errors."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
import pytest
from typer.testing import CliRunner

import trainwell
from trainwell.automl import TuningDependencyError, tune_table
from trainwell.automl._gain import SelectionCheck
from trainwell.automl.search import TUNING_FILE
from trainwell.automl.table import DEFAULT_DROPOUT, DEFAULT_LAYERS, DEFAULT_WD
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
    result = tune_table(
        table, "income", n_trials=3, arch="mlp", out=tmp_path / "m", pruner=optuna.pruners.NopPruner(),
        keep="best",  # whatever its gain's noise (keep="clear" may keep the defaults: test_tune_keep.py)
        search={"epochs": (2, 4)},  # for time: the defaults' 20 epochs moved to 4, the other defaults as they are
    )  # fmt: skip
    first = result.trials[0]
    assert first["defaults"] and first["state"] == "complete"
    assert first["params"]["layers"] == DEFAULT_LAYERS and first["params"]["wd"] == DEFAULT_WD
    assert first["params"]["dropout"] == DEFAULT_DROPOUT and 1e-4 <= first["params"]["lr"] <= 1e-2
    assert result.metric == "roc_auc" and result.direction == "maximize"
    values = [t["value"] for t in result.trials]
    assert result.best_value == max(values) and result.default_value == values[0]
    assert result.improvement == pytest.approx(result.best_value - values[0])
    # Trained again with the best settings and the same seed: the best trial's model, number for number.
    # (its row: the epoch of lowest validation loss the trial kept, as fit_table keeps it)
    assert result.run.learn.final_row["roc_auc"] == result.best_value
    assert (result.kept, result.kept_trial) == ("best", result.best_trial)
    record = json.loads((tmp_path / "m" / TUNING_FILE).read_text())
    assert record["best_params"] == result.best_params and len(record["trials"]) == 3
    assert len(trainwell.load(tmp_path / "m").predict(table.head(5))) == 5


def test_the_gain_over_the_defaults_comes_with_its_noise_on_the_validation_rows(
    table: pd.DataFrame, tmp_path: Path
) -> None:
    # On a small table the best of many trials on the same validation rows looked better than the defaults by
    # what those rows' noise alone gives (Titanic: +0.006 on validation, worse on held-out rows), and nothing
    # said so.
    from types import SimpleNamespace

    from trainwell.cli.tune_cmd import verdict

    result = tune_table(
        table, "income", n_trials=5, arch="mlp", out=tmp_path / "m", pruner=optuna.pruners.NopPruner(), seed=3,
        search={"epochs": (2, 4)},  # for time (a later trial still beats the defaults: the else branch runs)
    )  # fmt: skip
    record = json.loads((tmp_path / "m" / TUNING_FILE).read_text())
    if result.best_trial == 0:  # the defaults won: no gain to resample
        assert result.improvement_interval is None and record["improvement_interval"] is None
        assert result.selection is None and record["selection"] is None
    else:
        low, high = result.improvement_interval or (None, None)
        assert low is not None and high is not None and low < high
        assert (
            low - 0.02 <= (result.improvement or 0.0) <= high + 0.02
        )  # the gain, measured by the metric itself
        assert record["improvement_interval"] == [low, high]
        # The reality check compares every finished trial after the defaults' with them.
        finished = [t for t in result.trials if t["state"] == "complete" and not t["defaults"]]
        assert result.selection is not None and record["selection"]["trials"] == len(finished)
        assert record["selection"]["p_value"] == result.selection.p_value
    noisy = SimpleNamespace(metric="roc_auc", best_value=0.90, default_values={}, arch=None, improvement=0.006,
                            default_value=0.894, direction="maximize", improvement_interval=(-0.0234, 0.041),
                            best_trial=4, kept="best", kept_trial=4, kept_arch=None,
                            selection=None, no_search_line=lambda: None)  # fmt: skip
    assert (
        "the gain at [-0.0234, +0.0410], 90%: within their noise: the defaults may do as well on new rows): kept "
        "the best (--keep best)" in verdict(noisy)
    )
    noisy.kept, noisy.kept_trial = "defaults", 0  # keep clear, the default
    assert (
        "resampling them puts the gain at [-0.0234, +0.0410], 90%, within their noise: kept the defaults' model "
        "(trial 0), which may do as well on new rows (--keep best keeps trial 4); to decide on more rows: "
        "trainwell evaluate --cv 5" in verdict(noisy)
    )
    noisy.improvement_interval, noisy.kept, noisy.kept_trial = (0.01, 0.03), "best", 4
    assert "clear of their noise): kept the best; confirm it on held-out data" in verdict(noisy)
    noisy.improvement_interval = None  # a metric not of rows
    assert "the gain could not be checked against their noise (roc_auc is not resampled" in verdict(noisy)
    # The best trial's own interval clears 0, but the best of 7 trials gains as much by chance.
    noisy.improvement_interval, noisy.kept, noisy.kept_trial = (0.002, 0.03), "defaults", 0
    noisy.selection = SelectionCheck(p_value=0.12, low=-0.003, trials=7, resamples=200)
    assert (
        "resampling them puts the gain at [+0.0020, +0.0300], 90%, but p = 0.120 that the best of 7 trials gains "
        "as much by chance, within their noise: kept the defaults' model (trial 0), which may do as well on new "
        "rows (--keep best keeps trial 4); to decide on more rows" in verdict(noisy)
    )
    assert verdict(noisy).count(" but ") == 1  # "but resampling ... but p = ..." read as two objections
    noisy.improvement_interval = (0.00002, 0.0017)
    assert "puts the gain at [+2e-05, +0.0017], 90%" in verdict(noisy)  # not "+0.0000", as if no gain
    noisy.improvement_interval = (0.002, 0.03)
    noisy.selection = SelectionCheck(p_value=0.01, low=0.001, trials=7, resamples=200)
    noisy.kept, noisy.kept_trial = "best", 4
    assert (
        "[+0.0020, +0.0300], 90%; p = 0.010 that the best of 7 trials gains as much by chance: clear of their "
        "noise): kept the best; confirm" in verdict(noisy)
    )


def test_a_pruned_trial_stops_at_the_first_report(table: pd.DataFrame) -> None:
    result = tune_table(
        table, "income", n_trials=3, arch="mlp", pruner=PruneAllButTheFirst(), timeout="10m",  # a duration
        search={"epochs": (2, 3)},  # for time: trial 0's epochs moved to 3
    )  # fmt: skip
    states = [t["state"] for t in result.trials]
    assert states == ["complete", "pruned", "pruned"]
    for trial in result.study.trials[1:]:
        assert len(trial.intermediate_values) == 1  # reported once, then the fit was cancelled
        assert min(trial.intermediate_values) >= 10  # steps are tenths of the schedule
    assert result.best_value == result.default_value


class CtrlC(trainwell.Callback):
    """What Ctrl-C does to a trial's fit: a KeyboardInterrupt at its third batch."""

    def before_batch(self, learn: Any) -> None:
        if learn.training and learn.iteration == 2:
            raise KeyboardInterrupt


def test_ctrl_c_in_a_trial_ends_the_search_and_keeps_the_trials_finished_before(
    table: pd.DataFrame, tmp_path: Path
) -> None:
    # Optuna logged the interrupt as a failed trial with a 50-line traceback, and both finished trials were lost.
    from trainwell.automl.search import trial_callbacks

    with (
        trial_callbacks(lambda number, _: [CtrlC()] if number == 2 else []),
        pytest.warns(
            UserWarning,
            match=r"^interrupted \(Ctrl-C\) in trial 2: the search stopped there, and the "
            r"best of the 2 finished trials is kept",
        ),  # fmt: skip
    ):
        result = tune_table(table, "income", n_trials=5, arch="mlp", out=tmp_path / "m", keep="best",
                            search={"epochs": (2, 3)})  # fmt: skip
    assert [t["state"] for t in result.trials] == ["complete", "complete", "interrupted"]
    assert result.best_trial in (0, 1) and (tmp_path / "m" / TUNING_FILE).exists()
    with (
        trial_callbacks(lambda number, _: [CtrlC()]),
        pytest.raises(KeyboardInterrupt),  # nothing finished: a plain interrupt, as anywhere else
    ):
        tune_table(table, "income", n_trials=3, arch="mlp", out=tmp_path / "none")
    assert not (tmp_path / "none").exists()


def test_the_learning_rate_finder_keeps_to_its_share_of_the_timeout(
    table: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The finder gets what fit --time gives it (a tenth of the time left); with a share of nothing it stops after
    # timing its first batches and the defaults' trial trains at the default rate, as fit does.
    from trainwell.callbacks import budget as budget_module
    from trainwell.tabular.pipeline import DEFAULT_LR

    monkeypatch.setattr(budget_module, "SWEEP_SHARE", 0.0)
    with pytest.warns(UserWarning, match="so it stopped; training at the default .*--search lr=LOW:HIGH"):
        result = tune_table(table, "income", n_trials=1, arch="mlp", timeout="10m")
    assert result.trials[0]["params"]["lr"] == DEFAULT_LR and result.trials[0]["state"] == "complete"


def test_nothing_finished_is_an_error(table: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="no trial finished"):
        tune_table(table, "income", n_trials=1, arch="mlp", pruner=optuna.pruners.ThresholdPruner(lower=2.0))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"n_trials": 0}, "--trials must be a whole number"),
        ({"timeout": -5}, "timeout -5 is not a duration longer than zero"),
        ({"timeout": "8 seconds"}, "timeout '8 seconds' is not a duration longer than zero"),
        ({"metric": "rmse"}, "does not score a binary task here; use one of: accuracy, roc_auc, f1, "),
        ({"valid_pct": 0}, "needs validation rows"),
    ],
)
def test_bad_settings_are_refused(table: pd.DataFrame, settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        tune_table(table, "income", **settings)


def test_a_metric_the_task_scores_when_asked_judges_the_search(table: pd.DataFrame) -> None:
    # tune --metric log_loss was refused ("does not score a binary task here"), which fit and evaluate take.
    result = tune_table(table, "income", n_trials=2, metric="log_loss", arch="gbdt")
    scores = [trial["value"] for trial in result.trials]
    assert result.metric == "log_loss" and all(0 < score < 1 for score in scores)
    assert result.direction == "minimize" and result.best_value == min(scores)  # a loss: lower is better


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
        "--time",
        "10m",
        "--search",
        "epochs=2:3",  # for time: the MLP's defaults trial trains 3 epochs, not 20
        "--out",
        str(tmp_path / "m"),
    ]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "0 (defaults)" in result.stdout and "best roc_auc" in result.stdout
    # auto: the MLP's defaults trained by epochs within --time; the trees' fitted in one step it does not cut
    said = " ".join(result.stdout.split())
    assert re.search(
        r"--time 10m: 1 trial trained by epochs within it, none cut short; 1 trial of boosted trees, fitted in one "
        r"step that --time does not cut: [0-9.]+s",
        said,
    ), said
    record = json.loads((tmp_path / "m" / TUNING_FILE).read_text())
    assert record["timeout"] == 600 and [t["cut_by_time"] for t in record["trials"]] == [False, False]


def test_a_search_of_ones_own_ranges_starts_inside_them(table: pd.DataFrame, tmp_path: Path) -> None:
    search = {"epochs": (2, 4), "layers": ["128", "512-256"], "dropout": 0.3, "lr": (1e-3, 5e-3)}
    with _no_optuna_warnings():
        result = tune_table(
            table, "income", n_trials=3, arch="mlp", search=search, pruner=optuna.pruners.NopPruner()
        )
    for trial in result.trials:
        params = trial["params"]
        assert 2 <= params["epochs"] <= 4 and params["layers"] in ("128", "512-256")
        assert 1e-3 <= params["lr"] <= 5e-3 and "dropout" not in params  # held, not searched
        assert params["wd"] == DEFAULT_WD or not trial["defaults"]  # not named: the library's range
    first = result.trials[0]["params"]
    # Trial 0 is the defaults moved into the ranges: 14 epochs -> 4, layers 256-128 -> the first choice
    assert first["epochs"] == 4 and first["layers"] == "128"
    assert result.best_params["dropout"] == 0.3 and result.run.learn.model.body[0][-1].p == 0.3


class _no_optuna_warnings:
    """Fails on Optuna's warning that an enqueued value lies outside its range."""

    def __enter__(self) -> None:
        import warnings

        self._catch = warnings.catch_warnings()
        self._catch.__enter__()
        warnings.filterwarnings("error", message=".*out of the range.*")

    def __exit__(self, *exc: object) -> None:
        self._catch.__exit__(*exc)


@pytest.mark.parametrize(
    ("search", "message"),
    [
        (
            {"momentum": (0.8, 0.9)},
            "search names 'momentum', which is not searched here; the settings are: gbdt: learning_rate, "
            "max_leaf_nodes, min_samples_leaf, l2_regularization; tabular_mlp: lr, wd",
        ),
        (
            {"lr": (0.0, 1e-2)},
            r"search\['lr'\] = \(0.0, 0.01\): the range needs 0 < low <= high \(a log scale\)",
        ),
        ({"layers": (1, 2)}, r"search\['layers'\] takes values, not a range \(one of '128'"),
        ({"epochs": (2, 3, 4)}, r"a range is a tuple of two numbers \(low, high\); a list gives values"),
        ({"epochs": []}, r"search\['epochs'\] is an empty list"),
    ],
)
def test_ranges_that_cannot_be_searched_are_refused(
    table: pd.DataFrame, search: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        tune_table(table.head(200), "income", n_trials=1, search=search)


def test_the_command_line_reads_search_ranges() -> None:
    from trainwell.cli.tune_cmd import parse_search

    parsed = parse_search(
        ["epochs=2:6", "lr=1e-4:1e-2", "layers=128,256-128", "dropout=0.2", "numeric_embedding=none"]
    )
    assert parsed == {
        "epochs": (2, 6), "lr": (1e-4, 1e-2), "layers": [128, "256-128"], "dropout": 0.2, "numeric_embedding": "none",
    }  # fmt: skip
    with pytest.raises(ConfigError, match="--search 'epochs': write NAME=LOW:HIGH"):
        parse_search(["epochs"])
    with pytest.raises(ConfigError, match="a range LOW:HIGH needs two numbers"):
        parse_search(["epochs=a:b"])


def test_boosted_trees_are_searched_from_their_defaults(table: pd.DataFrame, tmp_path: Path) -> None:
    from trainwell.tabular.gbdt import DEFAULT_SETTINGS, GradientBoostedTrees

    result = tune_table(
        table, "income", n_trials=3, arch="gbdt", search={"max_leaf_nodes": (8, 16)}, out=tmp_path / "m",
        keep="best",
    )  # fmt: skip
    first = result.trials[0]
    assert first["defaults"] and first["params"]["learning_rate"] == DEFAULT_SETTINGS["learning_rate"]
    assert first["params"]["max_leaf_nodes"] == 16  # the default 31, moved into the range given
    assert all(8 <= t["params"]["max_leaf_nodes"] <= 16 for t in result.trials)
    assert isinstance(result.run.learn.model, GradientBoostedTrees)
    assert result.run.learn.history[-1]["roc_auc"] == result.best_value  # the best trial's trees, kept
    assert result.run.lr == result.best_params["learning_rate"]
    with pytest.raises(ConfigError, match="'forest' is not searched for tables"):
        tune_table(table, "income", n_trials=1, arch="forest")


def test_trees_under_a_timeout_are_never_recorded_as_cut(table: pd.DataFrame) -> None:
    # A trees trial trains no batch (fitted when built): the budget has nothing to cut, and said it had.
    result = tune_table(table, "income", n_trials=3, arch="gbdt", timeout="10m")
    assert [t["cut_by_time"] for t in result.trials] == [False, False, False]
    assert all(t["state"] == "complete" for t in result.trials)


def test_tune_scores_a_test_table_no_trial_saw(table: pd.DataFrame, tmp_path: Path) -> None:
    # fit took --test; tune had none, and a tuned model's held-out score took a second command.
    data, test = tmp_path / "train.csv", tmp_path / "test.csv"
    table.head(900).to_csv(data, index=False)
    table.tail(300).to_csv(test, index=False)
    out = tmp_path / "m"
    args = ["tune", str(data), "--target", "income", "--arch", "gbdt", "--trials", "2", "--test", str(test)]
    result = CliRunner().invoke(app, [*args, "--out", str(out)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "test set (300 rows): accuracy " in result.output
    kept = trainwell.load(out).metadata["training"]["test"]
    assert 0.5 < kept["accuracy"] <= 1.0
    # a recommender's tune takes --test too (tests/collab/test_b1_lists_measures.py)
