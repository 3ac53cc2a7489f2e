"""``tune`` keeps the defaults' model when the best trial's gain over them is within the validation rows' noise,
its choice as the best of the trials counted (``keep="clear"``, ``--keep clear``, the default), the best trial's
when the gain is clear of it, and the best trial's always under ``--keep best``.

The table is built so that the outcome does not hang on chance: one column ``a``, 1 on a few rows that are all
positive and 0 on rows whose target is a coin toss. With the trees' default leaf size (20) the 12 training rows
where ``a`` is 1 are too few for a leaf, so the defaults predict one probability for every row (an AUC of 0.5);
a leaf size of 5 splits them off. Whether that gain is clear then depends only on how many validation rows have
``a`` = 1: one such row gives a gain that a resample without it (about a third of them) reduces to nothing;
fifteen give a gain no resample loses.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

import trainwell
from trainwell.automl import tune_table
from trainwell.automl._gain import SelectionCheck, choose_kept
from trainwell.automl.search import TUNING_FILE
from trainwell.cli.app import app
from trainwell.core.errors import ConfigError

#: Leaf sizes searched: the trees' default (which cannot split the rare rows off) and one that can.
LEAVES = ["--search", "min_samples_leaf=20,5", "--arch", "gbdt", "--valid-col", "is_valid", "--trials", "4"]


def rare_table(in_valid: int, rows: int = 300, valid: int = 100, rare: int = 12) -> pd.DataFrame:
    """``rows`` training rows (``rare`` of them with ``a`` = 1) and ``valid`` validation rows (``in_valid`` of
    them with ``a`` = 1); ``y`` is ``"yes"`` where ``a`` is 1, a coin toss elsewhere."""
    generator = np.random.default_rng(0)
    a = np.r_[np.ones(rare), np.zeros(rows - rare), np.ones(in_valid), np.zeros(valid - in_valid)].astype(int)
    y = np.where(a == 1, 1, generator.integers(0, 2, size=len(a)))
    return pd.DataFrame(
        {"a": a, "y": np.where(y == 1, "yes", "no"), "is_valid": [False] * rows + [True] * valid}
    )


def tune_on(folder: Path, table: pd.DataFrame, *options: str) -> tuple[dict, str]:
    """``trainwell tune`` on ``table`` with :data:`LEAVES`: the record in ``tuning.json`` and what it printed."""
    table.to_csv(folder / "t.csv", index=False)
    args = ["tune", str(folder / "t.csv"), "--target", "y", "--out", str(folder / "m"), *LEAVES, *options]
    done = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert done.exit_code == 0, done.output
    return json.loads((folder / "m" / TUNING_FILE).read_text()), " ".join(done.stdout.split())


def written_probabilities(folder: Path, table: pd.DataFrame) -> torch.Tensor:
    return trainwell.load(folder / "m").predict_proba(table.drop(columns=["y", "is_valid"]))


def the_defaults_probabilities(table: pd.DataFrame) -> torch.Tensor:
    """What ``trainwell fit --arch gbdt`` predicts on the same rows: the defaults' trial is that fit."""
    run = trainwell.fit_table(table, "y", arch="gbdt", valid_col="is_valid", progress=False)
    predictor = trainwell.tabular.TabularPredictor(run.learn.model, run.learn.task, run.data.recipe, {})
    return predictor.predict_proba(table.drop(columns=["y", "is_valid"]))


def test_a_gain_within_the_noise_keeps_the_defaults_model(tmp_path: Path) -> None:
    table = rare_table(in_valid=1)
    record, said = tune_on(tmp_path, table)
    best = record["trials"][record["best_trial"]]
    assert best["params"]["min_samples_leaf"] == 5 and not best["defaults"]  # the search found the split...
    low, high = record["improvement_interval"]
    assert record["improvement"] > 0 and low <= 0 < high  # ...whose gain one validation row carries
    # The reality check compares the three trials after the defaults' with them: the best's gain is chance.
    check = record["selection"]
    assert check["trials"] == 3 and check["p_value"] >= 0.05 and check["low"] <= 0
    assert (record["keep"], record["kept"], record["kept_trial"]) == ("clear", "defaults", 0)
    reason = record["kept_reason"]
    assert "within those rows' noise" in reason and f"({record['best_trial']})" in reason
    # The model written is the defaults' trial's, which is what fit fits: one probability for every row.
    written = written_probabilities(tmp_path, table)
    assert torch.allclose(written, the_defaults_probabilities(table))
    assert written.std() < 1e-6
    metadata = json.loads((tmp_path / "m" / "trainwell.json").read_text())["training"]
    assert metadata["tuning"]["kept"] == "defaults" and metadata["tuning"]["kept_trial"] == 0
    assert (
        metadata["tuning"]["gain_p_value"] == check["p_value"] and metadata["tuning"]["trials_compared"] == 3
    )
    assert metadata["final"]["roc_auc"] == pytest.approx(record["trials"][0]["value"])
    assert (
        f"within their noise: kept the defaults' model (trial 0), which may do as well on new rows (--keep best "
        f"keeps trial {record['best_trial']})" in said
    )


def test_a_clear_gain_keeps_the_best_trials_model(tmp_path: Path) -> None:
    table = rare_table(in_valid=15)
    record, said = tune_on(tmp_path, table)
    low, _ = record["improvement_interval"]
    assert low > 0 and (record["kept"], record["kept_trial"]) == ("best", record["best_trial"])
    assert record["selection"]["p_value"] < 0.05 and record["selection"]["low"] > 0  # fifteen rows: no chance
    reason = record["kept_reason"]
    assert (
        "p = 0.005 that the best of 3 trials gains as much by chance), is clear of those rows' noise"
        in reason
    )
    written = written_probabilities(tmp_path, table)
    rare = torch.as_tensor(table["a"].to_numpy() == 1)
    assert written[rare].min() > written[~rare].max()  # the best trial's trees split the rare rows off
    assert "gains as much by chance: clear of their noise): kept the best" in said
    info = CliRunner().invoke(app, ["info", str(tmp_path / "m")], env={"COLUMNS": "300"})
    assert (
        "the best's gain over the defaults is clear of the noise (p = 0.005, best of 3 trials)" in info.stdout
    )


def test_keep_best_keeps_the_best_trial_within_the_noise(tmp_path: Path) -> None:
    table = rare_table(in_valid=1)
    record, said = tune_on(tmp_path, table, "--keep", "best")
    low, _ = record["improvement_interval"]
    assert low <= 0 and (record["keep"], record["kept"]) == ("best", "best")
    assert record["kept_trial"] == record["best_trial"] != 0
    assert "kept all the same (keep best)" in record["kept_reason"]
    written = written_probabilities(tmp_path, table)
    rare = torch.as_tensor(table["a"].to_numpy() == 1)
    assert written[rare].min() > written[~rare].max()
    assert "within their noise: the defaults may do as well on new rows): kept the best (--keep best)" in said


def test_the_python_api_says_which_trial_it_kept() -> None:
    result = tune_table(
        rare_table(in_valid=1), "y", arch="gbdt", n_trials=4, valid_col="is_valid",
        search={"min_samples_leaf": [20, 5]},
    )  # fmt: skip
    assert (result.kept, result.kept_trial, result.kept_arch) == ("defaults", 0, "gbdt")
    assert result.run.learn.history[-1]["roc_auc"] == result.default_value == 0.5  # the run is the defaults'
    assert result.best_value > 0.5 and result.best_params["min_samples_leaf"] == 5  # the best is still said


def test_a_keep_that_is_not_a_choice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"keep \(--keep\) 'always' is not a choice: clear \(the default"):
        tune_table(rare_table(in_valid=1), "y", keep="always")
    rare_table(in_valid=1).to_csv(tmp_path / "t.csv", index=False)
    done = CliRunner().invoke(app, ["tune", str(tmp_path / "t.csv"), "--target", "y", "--keep", "Best"])
    assert done.exit_code == 2 and "'Best' is not a choice" in done.output


#: A reality check that calls the gain chance (p at or above 0.05), and one that calls it clear.
CHANCE = SelectionCheck(p_value=0.12, low=-0.003, trials=7, resamples=200)
CLEAR = SelectionCheck(p_value=0.01, low=0.004, trials=7, resamples=200)


@pytest.mark.parametrize(
    ("keep", "interval", "selection", "defaults", "kept", "reason"),
    [
        ("clear", (-0.01, 0.03), CHANCE, {0: 0.80, 1: 0.82}, 1, "within those rows' noise: the defaults may do"),
        # The best trial's own interval is above 0, but the best of 7 trials gains as much by chance (Titanic's
        # seed 0 before the check: "clear", then worse on held-out rows): the defaults.
        ("clear", (0.001, 0.03), CHANCE, {0: 0.80}, 0, "p = 0.120 that the best of 7 trials gains as much by"),
        ("clear", (0.001, 0.03), CLEAR, {0: 0.80}, 5, "p = 0.010 that the best of 7 trials gains as much by "
         "chance), is clear of those rows' noise"),
        ("best", (0.001, 0.03), CHANCE, {0: 0.80}, 5, "kept all the same (keep best)"),
        # Without a check (a caller holding only the interval), its low bound decides.
        ("clear", (0.0, 0.03), None, {0: 0.80}, 0, "within those rows' noise"),  # a low bound of 0 is no gain
        ("clear", (0.001, 0.03), None, {0: 0.80}, 5, "clear of those rows' noise"),
        ("clear", None, None, {0: 0.80}, 5, "could not be checked against the validation rows' noise"),
        ("clear", None, None, {}, 5, "no defaults' trial finished, so the gain over them could not be checked"),
    ],
)  # fmt: skip
def test_the_trial_kept_follows_the_reality_check_of_the_gain(
    keep: str,
    interval: tuple[float, float] | None,
    selection: SelectionCheck | None,
    defaults: dict[int, float],
    kept: int,
    reason: str,
) -> None:
    choice = choose_kept(keep, 5, 0.85, defaults, "maximize", interval, "roc_auc", selection)
    assert (choice.number, choice.defaults) == (kept, kept != 5)
    assert reason in choice.reason


def test_the_better_defaults_are_kept_and_the_gain_is_measured_from_them() -> None:
    # rmse: lower is better; the better defaults' trial is 1, and the gain is signed so that positive is better.
    choice = choose_kept("clear", 7, 0.95, {0: 1.10, 1: 1.00}, "minimize", (-0.02, 0.12), "rmse")
    assert choice.number == 1 and "trial 1, +0.0500 on the validation rows" in choice.reason
    # The best is a defaults' trial: nothing to check.
    assert choose_kept("clear", 1, 1.00, {0: 1.10, 1: 1.00}, "minimize", None, "rmse").number == 1
    # Equal defaults: the earlier, as Optuna's best trial.
    assert choose_kept("clear", 4, 0.9, {0: 0.8, 1: 0.8}, "maximize", (-0.1, 0.2), "accuracy").number == 0
