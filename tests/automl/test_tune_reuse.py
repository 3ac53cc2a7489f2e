"""A table search's best settings are reusable in Python: ``fit_table(source, target, **result.fit_kwargs())``
trains them again, ``tabular_learner`` reads ``layers`` as the search writes it (``"256-128"``), and a trees
search's settings passed as a Learner's keywords are refused naming ``gbdt_settings=``. A tour got torch's
``TypeError empty(): argument 'size' ... found element of type str`` for ``learner_kwargs={"layers":
"256-128"}``, and ``Learner.__init__() got an unexpected keyword argument 'learning_rate'`` for a trees search's
``best_params``.

The command line's table and ``--time`` line after a resumed study: a cut trial's epochs with those it trained,
and only this run's trials counted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import trainwell
from trainwell.automl import TuneResult, tune_table, tune_texts
from trainwell.automl.search import TUNING_FILE
from trainwell.cli._common import fold_cells
from trainwell.cli.tune_cmd import time_line, trials_table
from trainwell.core.errors import ConfigError
from trainwell.tabular import tabular_data, tabular_learner


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return trainwell.datasets.adult_sample().head(600)


def test_layers_as_the_search_writes_them_build_the_same_network(table: pd.DataFrame) -> None:
    data = tabular_data(table, "income", seed=0)
    as_text = tabular_learner(data, layers="256-128", progress=False)
    as_list = tabular_learner(data, layers=[256, 128], progress=False)
    assert as_text.model_spec == as_list.model_spec
    assert as_text.model_spec["config"]["layers"] == [256, 128]
    for bad in ("256-x", "256--128", "", [0, 128], [1.5]):
        with pytest.raises(
            ConfigError, match=r"^layers .*: the hidden layers' widths are whole numbers above 0"
        ):
            tabular_learner(data, layers=bad, progress=False)  # type: ignore[arg-type]


def test_a_trees_searchs_settings_as_learner_keywords_name_gbdt_settings(table: pd.DataFrame) -> None:
    settings = {"learning_rate": 0.1, "max_leaf_nodes": 31, "min_samples_leaf": 20, "l2_regularization": 0.0}
    for arch in ("gbdt", "mlp"):
        with pytest.raises(ConfigError, match=r"boosted trees' settings, .* pass them as gbdt_settings="):
            trainwell.fit_table(table, "income", arch=arch, learner_kwargs=settings, progress=False)


def test_fit_kwargs_train_the_best_trees_again(table: pd.DataFrame, tmp_path: Path) -> None:
    result = tune_table(table, "income", arch="gbdt", n_trials=3, keep="best", out=tmp_path / "m")
    keywords = result.fit_kwargs()
    assert keywords["arch"] == "gbdt" and set(keywords["gbdt_settings"]) >= {
        "learning_rate",
        "max_leaf_nodes",
    }
    run = trainwell.fit_table(table, "income", progress=False, **keywords)
    assert run.learn.final_row["roc_auc"] == pytest.approx(result.best_value, abs=1e-9)
    assert json.loads((tmp_path / "m" / TUNING_FILE).read_text())["fit_kwargs"] == keywords


def test_fit_kwargs_train_the_best_mlp_again(table: pd.DataFrame) -> None:
    result = tune_table(table, "income", arch="mlp", n_trials=1, search={"epochs": 2, "layers": "128-64"})
    keywords = result.fit_kwargs()
    assert keywords["arch"] == "mlp" and keywords["epochs"] == 2
    assert keywords["learner_kwargs"]["layers"] == [128, 64] and result.best_params["layers"] == "128-64"
    run = trainwell.fit_table(table, "income", progress=False, **keywords)
    assert run.learn.final_row["roc_auc"] == pytest.approx(result.best_value, abs=1e-6)
    # The search's own names reach fit_table too: layers as text is read.
    again = trainwell.fit_table(
        table, "income", arch="mlp", lr=keywords["lr"], epochs=2, progress=False,
        learner_kwargs={**keywords["learner_kwargs"], "layers": "128-64"},
    )  # fmt: skip
    assert again.learn.final_row["roc_auc"] == pytest.approx(result.best_value, abs=1e-6)


def test_fit_kwargs_of_a_search_that_is_not_a_tables_is_refused() -> None:
    from text_samples import reviews

    result = tune_texts(reviews(80), text_col="review", target="sentiment", n_trials=1)
    with pytest.raises(
        ConfigError, match=r"fit_kwargs\(\) gives a table search's best settings .* best_params"
    ):
        result.fit_kwargs()


def _resumed() -> TuneResult:
    """A resumed study's result as the command line reads it: trial 1, an earlier run's, cut at 6.3 of 14
    epochs; this run trained trials 2 (trees, 5 s) and 3 (the MLP, within its time)."""
    mlp = {
        "lr": 0.01,
        "wd": 0.01,
        "epochs": 14,
        "layers": "256-128",
        "dropout": 0.1,
        "numeric_embedding": "periodic",
    }
    trees = {"learning_rate": 0.1, "max_leaf_nodes": 31, "min_samples_leaf": 20, "l2_regularization": 1e-6}

    def trial(number: int, value: float, arch: str, params: dict, seconds: float, **more: object) -> dict:
        return {"number": number, "state": "complete", "value": value, "arch": arch, "params": params,
                "seconds": seconds, "defaults": number < 2, "cut_by_time": False, "earlier_run": number < 2,
                **more}  # fmt: skip

    trials = [
        trial(0, 0.8785, "gbdt", trees, 4.6),
        trial(1, 0.8893, "tabular_mlp", mlp, 60.4, cut_by_time=True, epochs_trained=6.3),
        trial(2, 0.8778, "gbdt", trees, 5.0),
        trial(3, 0.8808, "tabular_mlp", {**mlp, "epochs": 20, "layers": "128"}, 79.7),
    ]
    return TuneResult("roc_auc", "maximize", mlp, 0.8893, 0.8893, trials, None, timeout=90.0,
                      arch="tabular_mlp", default_values={"gbdt": 0.8785, "tabular_mlp": 0.8893}, best_trial=1,
                      kept_trial=1, storage="tune.db", study_name="t1", trials_before=2)  # fmt: skip


def test_the_time_line_counts_this_runs_trials_only() -> None:
    said = time_line(_resumed())
    # Before: "1 of the 2 trials trained by epochs cut short ...; 2 trials of boosted trees ... 9.6s in all".
    assert said == (
        "--time 1m 30s: 1 trial trained by epochs within it, none cut short; 1 trial of boosted trees, fitted in "
        "one step that --time does not cut: 5.0s"
    )


def test_a_cut_trials_row_shows_the_epochs_it_trained() -> None:
    from rich.console import Console

    console = Console(width=300, record=True)
    console.print(fold_cells(trials_table(_resumed())))
    text = console.export_text()
    row = next(line for line in text.splitlines() if "1 (defaults) (cut)" in line)
    assert "epochs 14 (cut at 6.3)" in row
    assert "epochs 20," in next(line for line in text.splitlines() if line.strip("│ ").startswith("3 "))


def test_the_time_line_counts_pruned_trials_as_stopped_early() -> None:
    result = _resumed()
    result.trials[3]["state"] = "pruned"
    # Before: "0 trials trained by epochs within it, none cut short" of a run whose MLP trials were pruned.
    assert time_line(result).startswith(  # type: ignore[union-attr]
        "--time 1m 30s: 1 trial trained by epochs within it (1 stopped early), none cut short; "
    )
