"""A tagger that ends not above tagging each word with its most frequent tag is warned of with
:class:`BaselineNotBeaten`, from Python as from the command line (tour F7: a Python-trained tagger said nothing;
the command line printed a line of its own), and the command line says it once."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from typer.testing import CliRunner

from tagging_samples import entity_sentences, write_conll_file
from trainwell.cli.app import app
from trainwell.text import tagging_data, tagging_learner
from trainwell.text.lm_callbacks import BaselineNotBeaten as LanguageModelWarning
from trainwell.text.tagging.learner import BaselineNotBeaten, tagging_baseline_warning

SMALL = {"word_dim": 16, "char_dim": 8, "char_filters": 8, "casing_dim": 4, "hidden": 16, "dropout": 0.1}
ROW = {"entity_f1": 0.41, "entity_f1_baseline": 0.62, "tag_accuracy": 0.95, "tag_accuracy_baseline": 0.9}


def _fit(epochs: int, lr: float) -> tuple[dict[str, float], list[warnings.WarningMessage]]:
    data = tagging_data(entity_sentences(300, seed=1), valid=entity_sentences(60, seed=2), batch_size=16)
    torch.manual_seed(0)
    learn = tagging_learner(data, arch_config=SMALL, progress=False, lr=lr)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        learn.fit_one_cycle(epochs)
    return learn.history[-1], [w for w in caught if issubclass(w.category, BaselineNotBeaten)]


def test_the_warning_is_one_class_for_every_task_and_worded_for_both() -> None:
    assert BaselineNotBeaten is LanguageModelWarning
    said = tagging_baseline_warning(ROW, budgeted=False)
    assert str(said) == (
        "entity_f1 0.4100 is not above the most-frequent-tag baseline's 0.6200: the model has not learned to read "
        "context yet; train longer (more epochs) or check the tags"
    )
    assert (
        said is not None and said.command_line is not None and "train longer (--epochs)" in said.command_line
    )
    timed = tagging_baseline_warning(ROW, budgeted=True)
    assert timed is not None and "(a longer time_budget)" in str(timed)
    assert timed.command_line is not None and "(a longer --time)" in timed.command_line
    # entity F1 above its bar, tag accuracy not: the tag accuracy is named
    words = tagging_baseline_warning({**ROW, "entity_f1": 0.7, "tag_accuracy": 0.85}, budgeted=False)
    assert str(words).startswith("tag_accuracy 0.8500 is not above the most-frequent-tag baseline's 0.9000")
    assert tagging_baseline_warning({**ROW, "entity_f1": 0.7}, budgeted=False) is None
    assert tagging_baseline_warning({"entity_f1": 0.1}, budgeted=False) is None  # no baseline in the row


def test_a_python_fit_below_the_baseline_warns_and_one_above_it_does_not() -> None:
    row, said = _fit(1, 1e-3)
    assert row["entity_f1"] <= row["entity_f1_baseline"] and len(said) == 1
    assert str(said[0].message).startswith(
        f"entity_f1 {row['entity_f1']:.4f} is not above the most-frequent-tag"
    )
    assert Path(said[0].filename).name == Path(__file__).name  # pointed at the user's fit_one_cycle line
    row, said = _fit(6, 2e-2)
    assert row["entity_f1"] > row["entity_f1_baseline"] and said == []


def test_the_command_line_says_it_once(tmp_path: Path) -> None:
    train = write_conll_file(tmp_path / "train.conll", entity_sentences(200, seed=1))
    fitted = CliRunner().invoke(
        app, ["fit", str(train), "--epochs", "1", "--out", str(tmp_path / "m"), "--valid-pct", "0.2"]
    )
    assert fitted.exit_code == 0, fitted.output
    assert fitted.output.count("is not above the most-frequent-tag baseline's") == 1
    assert (
        "warning: entity_f1" in fitted.output and "train longer (--epochs) or check the tags" in fitted.output
    )


def test_cross_validation_folds_are_judged_in_its_table_not_warned_of(tmp_path: Path) -> None:
    from trainwell.text.tagging.evaluation import evaluate_tagger

    train = write_conll_file(tmp_path / "train.conll", entity_sentences(80, seed=1))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluation = evaluate_tagger(train, cv=2, epochs=1)
    assert "most frequent tag" in evaluation.baselines  # the folds' bar, in the table
    assert [w for w in caught if issubclass(w.category, BaselineNotBeaten)] == []
