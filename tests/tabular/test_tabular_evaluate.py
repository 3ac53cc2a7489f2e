"""``trainwell.evaluate_table`` from Python: the same evaluation as ``trainwell evaluate`` prints, from a DataFrame
or a file, and bad input refused in one line before any fold trains."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner, Result

import trainwell
from trainwell.cli.evaluate_cmd import evaluate
from trainwell.core.errors import ConfigError, DataError, UserError
from trainwell.evaluate.cv import RowBootstrapCVResult, fold_indices
from trainwell.tabular.evaluation import TabularFold


def _table(n: int = 150) -> pd.DataFrame:
    """A binary target from a number and a category, with noise."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=n)
    city = rng.choice(["north", "south", "east"], n)
    score = x + (city == "north") + rng.normal(scale=0.8, size=n)
    return pd.DataFrame({"x": x, "city": city, "y": np.where(score > 0.3, "yes", "no")})


def _invoke(*args: str) -> Result:
    app = typer.Typer()
    app.command("evaluate")(evaluate)
    app.command("noop")(lambda: None)  # two commands, so that "evaluate" is a sub-command as in the real app
    return CliRunner().invoke(app, ["evaluate", *args], env={"COLUMNS": "200"})


def _command(*args: str) -> str:
    result = _invoke(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.slow
def test_a_frame_and_its_file_give_the_numbers_the_command_prints(tmp_path: Path) -> None:
    frame = _table()
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    settings = {"cv": 3, "seed": 1, "epochs": 1, "arch": "mlp"}
    from_frame = trainwell.evaluate_table(frame, target="y", **settings)
    from_file = trainwell.evaluate_table(path, target="y", **settings)
    printed = _command(
        str(path), "--target", "y", "--cv", "3", "--seed", "1", "--epochs", "1", "--arch", "mlp"
    )
    assert from_frame.to_dict() == from_file.to_dict()
    assert str(from_frame) == str(from_file) == printed  # the very table, figure for figure
    assert "3-fold cross-validation (binary, 150 rows)" in printed
    # the figures in the table are the accessors' figures
    accuracy = from_frame.summary()["accuracy"]
    assert f"{accuracy.mean:.4f} ± {accuracy.std:.4f}" in printed
    low, high = from_frame.interval("accuracy")
    assert f"[{low:.4f}, {high:.4f}]" in printed
    assert from_frame.names == ["trainwell", "majority class", "logistic", "HistGradientBoosting"]
    logistic = from_frame.result("logistic").values("accuracy")
    assert from_frame.mean("accuracy", "logistic") == pytest.approx(logistic.mean())
    assert from_frame.archs == ["tabular_mlp"] * 3 and len(from_frame.lrs) == 3
    # the majority class's interval is over its rows, as the table says (the fold loop used to lose it)
    assert isinstance(from_frame.result("majority class"), RowBootstrapCVResult)
    assert "majority class: [low, high] is a 95% bootstrap interval over the 150 validation rows" in printed


@pytest.mark.parametrize(
    ("change", "option", "error", "python", "command_line"),
    [
        (
            {"target": "price"},
            ["--target", "price"],
            DataError,
            "target column 'price' not found in the table; columns are: x, city, y. Pass --target NAME "
            "(Python: target=).",
            "Pass --target NAME (Python: target=).",
        ),
        (
            {"cv": 1},
            ["--cv", "1"],
            ConfigError,
            "cv must be a whole number of folds of at least 2, got 1; pass e.g. cv=5",
            "--cv must be a whole number of folds of at least 2, got 1; pass e.g. --cv 5",
        ),
        (
            {"cv": 12},
            ["--cv", "12"],
            DataError,
            "cv=12 is more than the smallest class count: class 'no' has only 10 rows, so some folds would hold "
            "none of it; pass cv=10 or less",
            "--cv 12 is more than the smallest class count: class 'no' has only 10 rows, so some folds would hold "
            "none of it; pass --cv 10 or less",
        ),
        (
            {"epochs": 0},
            ["--epochs", "0"],
            ConfigError,
            "epochs must be at least 1, got 0; pass e.g. epochs=5 or leave it out",
            "--epochs must be at least 1, got 0; pass e.g. --epochs 5 or leave it out",
        ),
        (
            {"arch": "resnet18"},
            ["--arch", "resnet18"],
            ConfigError,
            "arch='resnet18' is not an architecture for tables: use auto (the default), mlp or gbdt",
            "--arch resnet18 is not an architecture for tables: use auto (the default), mlp or gbdt",
        ),
        (
            {"task": "ranking"},
            ["--task", "ranking"],
            ConfigError,
            "task='ranking' is not known; use one of: binary, multiclass, multilabel, regression",
            "--task ranking is not known; use one of: binary, multiclass, multilabel, regression",
        ),
        (
            {"time_budget": "soon"},
            ["--time", "soon"],
            ConfigError,
            "time_budget 'soon' is not a duration longer than zero; write e.g. 90s, 10m",
            "--time 'soon' is not a duration longer than zero; write e.g. 90s, 10m",
        ),
    ],
    ids=["missing-target", "one-fold", "folds-over-rarest-class", "epochs", "arch", "task", "time-budget"],
)
def test_bad_input_names_the_argument_in_python_and_the_option_on_the_command_line(
    tmp_path: Path, change: dict, option: list[str], error: type, python: str, command_line: str
) -> None:
    frame = _table(60)
    frame.loc[frame.index[:50], "y"] = "yes"  # 50 yes, 10 no
    frame.loc[frame.index[50:], "y"] = "no"
    # From Python: refused before any fold trains, in one line naming the keyword (cv=5, not --cv 5).
    with pytest.raises(error) as caught:
        trainwell.evaluate_table(frame, **{"target": "y", "cv": 3, **change})
    text = str(caught.value)
    assert isinstance(caught.value, UserError) and "\n" not in text
    assert python in text
    if "target" not in change:  # a missing column names both, as every builder's column check does
        assert "--" not in text
    # From the command line: the same mistake, one line naming the option, exit code 2.
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    arguments = ["--target", "y", "--cv", "3", *option] if "target" not in change else ["--cv", "3", *option]
    result = _invoke(str(path), *arguments)
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert command_line in result.output, result.output
    if "target" not in change:
        keyword = next(iter(change))  # named only as an option: --cv, never cv or cv=
        assert not re.search(rf"(?<![\w-]){keyword}\b", result.output), result.output


def test_a_missing_file_is_named() -> None:
    with pytest.raises(DataError, match=r"data file 'no/such.csv' not found; check the path"):
        trainwell.evaluate_table("no/such.csv", target="y")


def test_the_metrics_asked_for_score_the_model_and_the_baselines(tmp_path: Path) -> None:
    # evaluate had no --metric: a model trained for log loss could not be judged by it ("No such option").
    path = tmp_path / "table.csv"
    _table().to_csv(path, index=False)
    evaluation = trainwell.evaluate_table(path, "y", cv=3, arch="gbdt", metrics=["log_loss", "auc"])
    assert list(evaluation.summary()) == ["log_loss", "roc_auc"]
    assert evaluation.mean("log_loss", "logistic") > 0 and "accuracy" not in evaluation.summary()
    printed = _command(str(path), "--target", "y", "--cv", "3", "--arch", "gbdt", "--metric", "log_loss")
    assert "│ log_loss" in printed and "│ accuracy" not in printed
    with pytest.raises(
        ConfigError, match=r"^--metric 'rmse' does not score a binary evaluation; use one of: accur"
    ):
        trainwell.evaluate_table(path, "y", cv=3, metrics=["rmse"])
    # A text column's classifier is judged by the metric named too (it was refused, "not used by").
    texts = _invoke(
        str(path), "--text", "city", "--target", "y", "--cv", "2", "--epochs", "1", "--metric", "log_loss"
    )
    assert texts.exit_code == 0, texts.output
    assert "│ log_loss" in texts.output and "│ accuracy" not in texts.output


def test_what_the_recipe_meets_is_said_once_not_again_by_the_baselines_layout() -> None:
    # evaluate_table said "column 'id' left out of the inputs" twice: once laying out the baselines' columns,
    # once in the folds.
    import warnings

    import numpy as np

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"id": np.arange(1000, 1120), "x": rng.normal(size=120)})
    frame["y"] = np.where(frame["x"] + rng.normal(scale=0.5, size=120) > 0, "a", "b")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        trainwell.evaluate_table(frame, "y", cv=2, arch="gbdt")
    said = [str(w.message) for w in caught if "column 'id' left out of the inputs" in str(w.message)]
    assert len(said) == 1, said


def test_learner_settings_reach_each_folds_model() -> None:
    # evaluate_table took no learner_kwargs: the MLP fit_table(learner_kwargs={"layers": [8]}) trains could not be
    # cross-validated. Each fold's model is built with them.
    frame = _table(90)
    result = trainwell.evaluate_table(
        frame, "y", cv=2, epochs=1, lr=1e-2, arch="mlp", learner_kwargs={"layers": [8], "dropout": 0.0}
    )
    assert result.archs == ["tabular_mlp", "tabular_mlp"]
    fold = TabularFold(
        frame,
        "y",
        trainwell.infer_task(frame["y"]),
        ["accuracy"],
        epochs=1,
        lr=1e-2,
        learner_kwargs={"layers": [8]},
    )
    fold(np.arange(0, 45), np.arange(45, 90), 0)
    assert fold.specs[0]["name"] == "tabular_mlp" and fold.specs[0]["config"]["layers"] == [8]
    with pytest.raises(
        TypeError, match="layer"
    ):  # passed on to the learner, which names what it does not take
        trainwell.evaluate_table(
            frame, "y", cv=2, epochs=1, lr=1e-2, arch="mlp", learner_kwargs={"layer": [8]}
        )


def _grouped(n_groups: int = 24, per_group: int = 5) -> pd.DataFrame:
    """Rows in groups (a patient's visits): each group's rows share a level that a feature and the label follow."""
    rng = np.random.default_rng(0)
    patient = np.repeat([f"p{g}" for g in range(n_groups)], per_group)
    level = np.repeat(rng.normal(size=n_groups), per_group)
    return pd.DataFrame(
        {
            "patient": patient,
            "x": np.round(level + rng.normal(scale=0.5, size=len(patient)), 1),
            "y": np.where(level + rng.normal(scale=0.7, size=len(patient)) > 0, "sick", "well"),
        }
    )


def test_grouped_folds_keep_each_group_in_one_fold() -> None:
    frame = _grouped()
    result = trainwell.evaluate_table(
        frame, "y", cv=3, epochs=1, lr=1e-2, arch="mlp", groups="patient", baselines=True
    )
    seen: set[str] = set()
    for train, valid in result.model.splits:
        held = set(frame["patient"].iloc[valid])
        assert held.isdisjoint(frame["patient"].iloc[train])  # no patient both trained on and scored
        assert held.isdisjoint(seen)  # and each patient scored in one fold only
        seen |= held
    assert seen == set(frame["patient"]) and result.model.stratified
    # The baselines are scored on the same grouped folds.
    assert all(
        np.array_equal(a[1], b[1])
        for a, b in zip(result.model.splits, result.baselines["majority class"].splits, strict=True)
    )
    # One group per row, given as values: the same folds as the column.
    by_values = trainwell.evaluate_table(
        frame, "y", cv=3, epochs=1, lr=1e-2, arch="mlp", groups=frame["patient"].to_numpy(), baselines=False
    )
    assert all(
        np.array_equal(a[1], b[1]) for a, b in zip(result.model.splits, by_values.model.splits, strict=True)
    )
    # The evaluation says its folds were grouped, and by what: in its title, its repr and its JSON.
    assert result.groups == ("'patient'", 24) and by_values.groups == ("the groups given", 24)
    assert "(binary, 120 rows in 24 groups of 'patient')" in str(result)
    assert "in 24 groups of 'patient'" in repr(result)
    assert result.to_dict()["groups"] == {"by": "'patient'", "count": 24}
    # Without groups, random folds split patients across folds: a visit is scored beside its copy trained on.
    with pytest.warns(UserWarning, match="are exact copies of training rows"):
        loose = trainwell.evaluate_table(frame, "y", cv=3, epochs=1, lr=1e-2, arch="mlp", baselines=False)
    assert any(
        not set(frame["patient"].iloc[valid]).isdisjoint(frame["patient"].iloc[train])
        for train, valid in loose.model.splits
    )
    assert loose.groups is None and "groups" not in loose.to_dict()


def test_grouped_folds_of_a_regression_are_whole_groups_of_about_equal_size() -> None:
    groups = np.repeat(np.arange(10), [9, 8, 7, 6, 5, 4, 3, 2, 1, 1])
    folds = fold_indices(np.zeros(len(groups)), 3, seed=1, stratified=False, groups=groups)
    assert sorted(np.concatenate([valid for _, valid in folds]).tolist()) == list(range(len(groups)))
    assert all(np.intersect1d(groups[train], groups[valid]).size == 0 for train, valid in folds)
    assert max(len(v) for _, v in folds) - min(len(v) for _, v in folds) <= 2


def test_bad_groups_are_refused_before_any_fold() -> None:
    frame = _grouped(n_groups=4)
    with pytest.raises(DataError, match=r"^groups='patients' is not a column of the table \(did you mean"):
        trainwell.evaluate_table(frame, "y", cv=2, groups="patients")
    with pytest.raises(
        DataError, match=r"^groups holds 3 values for the 20 rows of the table; pass one group"
    ):
        trainwell.evaluate_table(frame, "y", cv=2, groups=["a", "b", "c"])
    with pytest.raises(
        DataError, match=r"^the rows fall in 4 groups, fewer than the 5 folds of cv=5: .* pass cv=4 or less"
    ):
        trainwell.evaluate_table(frame, "y", cv=5, groups="patient")
    gaps = frame.assign(patient=frame["patient"].where(frame.index % 7 != 0))
    with pytest.raises(DataError, match=r"^groups is missing for 3 of the 20 rows cross-validated"):
        trainwell.evaluate_table(gaps, "y", cv=2, groups="patient")


def test_a_folds_finder_may_take_what_its_training_plainly_leaves(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under a time budget each fold's finder is limited as fit's is: told the batches its training will run,
    not cut at a tenth of the fold's share (which stopped finders whose training fitted with room to spare)."""
    import trainwell.callbacks.budget as budget_module

    asked: list[int | None] = []
    real = budget_module.sweep_time

    def recording(budget: object, training_batches: int | None = None) -> object:
        asked.append(training_batches)
        return real(budget, training_batches)  # type: ignore[arg-type]

    monkeypatch.setattr(budget_module, "sweep_time", recording)
    trainwell.evaluate_table(_table(), target="y", arch="mlp", cv=2, epochs=2, time_budget="10m")
    # 75 training rows a fold, 60 once the inner fifth its best epoch is kept on is held out: at the default
    # batch size of 64, 1 batch an epoch, 2 epochs.
    assert asked == [2, 2]
