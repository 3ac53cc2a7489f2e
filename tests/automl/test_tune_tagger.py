"""The search for sequence taggers, with the real Optuna: entity tags optimise entity F1, other tags tag accuracy;
the defaults come first and the best model is kept exactly, from Python and from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest
from typer.testing import CliRunner

import trainwell
from tagging_samples import entity_sentences, pos_sentences, write_conll_file
from trainwell.automl.search import TUNING_FILE
from trainwell.automl.tagging import DEFAULT_DROPOUT, DEFAULT_HIDDEN, tune_tagger
from trainwell.cli.app import app
from trainwell.core.errors import ConfigError
from trainwell.text.tagging.learner import TAGGER_LR, TAGGER_WD


def test_entity_search_maximises_entity_f1_from_the_defaults(tmp_path: Path) -> None:
    source = write_conll_file(tmp_path / "ner.conll", entity_sentences(30))
    result = tune_tagger(source, n_trials=2, out=tmp_path / "m", pruner=optuna.pruners.NopPruner())
    assert result.metric == "entity_f1" and result.direction == "maximize"
    first = result.trials[0]
    assert first["defaults"] and first["params"]["lr"] == TAGGER_LR and first["params"]["wd"] == TAGGER_WD
    assert (first["params"]["hidden"], first["params"]["dropout"]) == (DEFAULT_HIDDEN, DEFAULT_DROPOUT)
    values = [t["value"] for t in result.trials]
    assert result.best_value == max(values) and result.default_value == values[0]
    assert result.run.learn.history[-1]["entity_f1"] == result.best_value  # the best trial's model, exactly
    assert json.loads((tmp_path / "m" / TUNING_FILE).read_text())["best_params"] == result.best_params
    tagged = trainwell.load(tmp_path / "m").tag(["Anna Smith visited Paris ."])
    assert len(tagged) == 1


def test_other_tags_optimise_tag_accuracy_and_bad_metrics_are_refused(tmp_path: Path) -> None:
    source = write_conll_file(tmp_path / "pos.conll", pos_sentences(40))
    result = tune_tagger(source, n_trials=1)
    assert result.metric == "tag_accuracy"
    with pytest.raises(ConfigError, match="--metric 'rmse' does not score a tagging task"):
        tune_tagger(source, n_trials=1, metric="rmse")


def test_the_command_line_searches_a_tagger(tmp_path: Path) -> None:
    source = write_conll_file(tmp_path / "ner.conll", entity_sentences(30))
    out = tmp_path / "tuned"
    result = CliRunner().invoke(
        app, ["tune", str(source), "--trials", "2", "--out", str(out)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "2 trials" in result.output and "best entity_f1" in result.output and "hidden" in result.output
    assert (out / TUNING_FILE).exists()
    refused = CliRunner().invoke(app, ["tune", str(source), "--target", "tag", "--trials", "1"])
    assert refused.exit_code == 2 and "--target is not used by a tagger" in refused.output
    other = CliRunner().invoke(app, ["tune", str(source), "--arch", "mlp"], env={"COLUMNS": "300"})
    assert other.exit_code == 2 and other.output.strip() == (
        "error: --arch mlp does not apply to tagged sentences: trainwell tune searches the bilstm_crf tagger, the "
        "only one; leave --arch out"
    )
