"""The search for text classifiers, with the real Optuna: the fast bag of n-grams from fit's defaults, its best
model kept exactly, from Python and from the command line (a table with --text, or IMDB's folder layout)."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest
from typer.testing import CliRunner

import trainwell
from text_samples import imdb_layout, reviews
from trainwell.automl.search import TUNING_FILE
from trainwell.automl.texts import DEFAULT_DIM, DEFAULT_DROPOUT, DEFAULT_TOKEN_DROPOUT, tune_texts
from trainwell.cli.app import app
from trainwell.core.errors import ConfigError
from trainwell.text.learner import BAG_LR, BAG_WD
from trainwell.text.pipeline import default_epochs, fit_texts


def test_the_search_starts_from_what_fit_does_and_keeps_the_best_model_exactly(tmp_path: Path) -> None:
    frame = reviews(160)
    result = tune_texts(
        frame,
        text_col="review",
        target="sentiment",
        n_trials=3,
        out=tmp_path / "m",
        pruner=optuna.pruners.NopPruner(),
        keep="best",
    )
    assert result.metric == "roc_auc" and result.direction == "maximize"
    first = result.trials[0]
    assert first["defaults"] and (first["params"]["lr"], first["params"]["wd"]) == (BAG_LR, BAG_WD)
    assert (first["params"]["dim"], first["params"]["dropout"], first["params"]["token_dropout"]) == (
        DEFAULT_DIM,
        DEFAULT_DROPOUT,
        DEFAULT_TOKEN_DROPOUT,
    )
    # Trial 0 is fit_texts with its defaults: the same validation score.
    fitted = fit_texts(frame, text_col="review", target="sentiment", progress=False)
    assert first["params"]["epochs"] == default_epochs(len(fitted.data.train))
    assert first["value"] == pytest.approx(fitted.learn.history[-1]["roc_auc"], abs=1e-9)
    values = [t["value"] for t in result.trials]
    assert result.best_value == max(values) and result.run.learn.history[-1]["roc_auc"] == result.best_value
    assert json.loads((tmp_path / "m" / TUNING_FILE).read_text())["best_params"] == result.best_params
    assert list(trainwell.load(tmp_path / "m").predict(["a wonderful film"])["prediction"]) in (
        ["pos"],
        ["neg"],
    )


def test_only_the_fast_model_is_searched_and_metrics_must_score_the_task() -> None:
    with pytest.raises(ConfigError, match=r"^arch='ulmfit': trainwell tune searches the fast bag of n-grams"):
        tune_texts(reviews(40), text_col="review", target="sentiment", arch="ulmfit")
    # model=, the name before arch=, is still read, with a warning that names arch=.
    with (
        pytest.warns(
            DeprecationWarning, match=r"^tune_texts\(model='ulmfit'\) is now tune_texts\(arch='ulmfit'\)"
        ),
        pytest.raises(ConfigError, match=r"^arch='ulmfit': trainwell tune searches"),
    ):
        tune_texts(reviews(40), text_col="review", target="sentiment", model="ulmfit")
    with pytest.raises(ConfigError, match="--metric 'rmse' does not score a binary task"):
        tune_texts(reviews(40), text_col="review", target="sentiment", n_trials=1, metric="rmse")


def test_the_command_line_searches_a_folder_of_class_folders_of_texts(tmp_path: Path) -> None:
    root = imdb_layout(tmp_path / "reviews")
    out = tmp_path / "tuned"
    env = {"COLUMNS": "250"}
    result = CliRunner().invoke(app, ["tune", str(root), "--trials", "2", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert f"{root}: the class folders neg, pos; unlabelled texts left out" in result.output
    assert (
        "2 trials" in result.output and "best roc_auc" in result.output and "token_dropout" in result.output
    )
    assert (out / TUNING_FILE).exists()
    assert (
        "test set (20 texts): accuracy " in result.output
    )  # the kept model scored once on test/, as fit does
    assert trainwell.load(out).metadata["training"]["test"]["accuracy"] >= 0.0
    assert set(trainwell.load(out).task.classes) == {"neg", "pos"}  # unsup/ is not a class
    refused = CliRunner().invoke(app, ["tune", str(root), "--arch", "gbdt"], env=env)
    assert refused.exit_code == 2 and "--arch gbdt does not apply to texts" in refused.output
    images = tmp_path / "photos" / "cat"
    images.mkdir(parents=True)
    folder = CliRunner().invoke(app, ["tune", str(tmp_path / "photos")], env=env)
    assert folder.exit_code == 2 and "is a folder without images" in folder.output  # images: test_tune_images
