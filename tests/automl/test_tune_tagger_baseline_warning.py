"""A tune whose kept tagger is not above tagging each word with its most frequent tag says so once, as fit says
it of a tagger (BaselineNotBeaten), its fix a search of more epochs (tune has no --epochs); a search's trials
are candidates, not warned of one by one. Before, tune said nothing of it, from Python or the command line."""

from __future__ import annotations

import warnings
from pathlib import Path

import optuna
from typer.testing import CliRunner

from tagging_samples import entity_sentences, write_conll_file
from trainwell.automl.tagging import tune_tagger
from trainwell.cli.app import app
from trainwell.metrics.label_baselines import BaselineNotBeaten

#: One epoch at a tenth of the default learning rate: no tagger it trains clears the baseline.
UNDERTRAINED = {"epochs": 1, "lr": 1e-3, "hidden": 100}


def test_python_tune_warns_once_of_the_kept_tagger(tmp_path: Path) -> None:
    source = write_conll_file(tmp_path / "ner.conll", entity_sentences(120, seed=1))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = tune_tagger(source, n_trials=2, search=UNDERTRAINED, pruner=optuna.pruners.NopPruner())
    said = [w for w in caught if issubclass(w.category, BaselineNotBeaten)]
    row = result.run.learn.history[-1]
    assert row["entity_f1"] <= row["entity_f1_baseline"]
    assert len(said) == 1
    assert str(said[0].message) == (
        f"entity_f1 {row['entity_f1']:.4f} is not above the most-frequent-tag baseline's "
        f"{row['entity_f1_baseline']:.4f}: the model has not learned to read context yet; train longer (a search "
        "of more epochs, search={'epochs': (LOW, HIGH)}) or check the tags"
    )
    assert Path(said[0].filename).name == Path(__file__).name  # pointed at the user's tune_tagger line


def test_the_command_line_says_it_once_in_its_own_words(tmp_path: Path) -> None:
    source = write_conll_file(tmp_path / "ner.conll", entity_sentences(120, seed=1))
    searched = [item for name, value in UNDERTRAINED.items() for item in ("--search", f"{name}={value}")]
    tuned = CliRunner().invoke(
        app,
        ["tune", str(source), "--trials", "2", *searched, "--out", str(tmp_path / "m")],
        env={"COLUMNS": "200"},
    )
    assert tuned.exit_code == 0, tuned.output
    assert tuned.output.count("is not above the most-frequent-tag baseline's") == 1, tuned.output
    assert "warning: entity_f1" in tuned.output
    assert (
        "train longer (a search of more epochs, --search epochs=LOW:HIGH) or check the tags" in tuned.output
    )
