"""Every language-model fit warns when it does not beat the Kneser-Ney trigram, from Python as from the command
line: the README's ``lm.fit_one_cycle(1, 3e-3)`` showed perplexity 457.6 against the trigram's 81.6 in its
columns only, while ``trainwell fit`` warned. One warning, from :class:`NgramBaseline`, worded for both."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trainwell.text.lm_callbacks import BaselineNotBeaten, baseline_warning
from trainwell.text.lm_learner import fit_language_model, language_model_learner
from trainwell.text.lm_stream import lm_data

#: A text a trigram predicts whole: no small network beats it in an epoch.
REPEATED = ["the cat sat on the mat ."] * 300
SIZES = {"emb_size": 8, "hidden_size": 8, "n_layers": 1}


def test_a_python_fit_warns_when_the_trigram_wins() -> None:
    learn = language_model_learner(lm_data(REPEATED, batch_size=4, bptt=8, min_freq=1, seed=0), progress=False,
                                   **SIZES)  # fmt: skip
    with pytest.warns(BaselineNotBeaten) as caught:
        learn.fit_one_cycle(1, 1e-2)
    row = learn.history[-1]
    assert row["perplexity"] >= row["perplexity_baseline"]
    assert [str(warning.message) for warning in caught] == [
        f"the model's perplexity {row['perplexity']:.1f} is not below the Kneser-Ney trigram's "
        f"{row['perplexity_baseline']:.1f}: it has not yet learned more than word counts; train longer (more "
        "epochs) or on more text"
    ]
    assert caught[0].filename == __file__  # the user's fit_one_cycle line
    # The learning-rate finder's sweep judges no model: it says nothing.
    with warnings.catch_warnings():
        warnings.simplefilter("error", BaselineNotBeaten)
        learn.lr_find(num_it=5)


def test_a_budgeted_fit_names_a_longer_budget() -> None:
    with pytest.warns(BaselineNotBeaten, match=r"train longer \(a longer time_budget\)"):
        # Two epochs, the ceiling the budget trains within: the wording follows the budget given, not its use.
        fit_language_model(REPEATED, time_budget=60, epochs=2, progress=False, batch_size=4, bptt=8, min_freq=1,
                           learner_kwargs=SIZES)  # fmt: skip


def test_the_words_for_each_side_and_no_warning_when_the_model_wins() -> None:
    warning = baseline_warning({"perplexity": 8425.7, "perplexity_baseline": 97.3}, budgeted=True)
    assert warning is not None and "(a longer time_budget)" in str(warning)
    assert warning.command_line == (
        "the model's perplexity 8425.7 is not below the Kneser-Ney trigram's 97.3: it has not yet learned more "
        "than word counts; train longer (a longer --time) or on more text"
    )
    unbudgeted = baseline_warning({"perplexity": 97.3, "perplexity_baseline": 97.3}, budgeted=False)
    assert unbudgeted is not None and "(--epochs)" in (unbudgeted.command_line or "")
    assert baseline_warning({"perplexity": 60.0, "perplexity_baseline": 97.3}, budgeted=False) is None
    assert baseline_warning({"perplexity": 60.0}, budgeted=False) is None  # no validation text: no baseline


def test_the_command_line_says_it_once_in_its_own_words(tmp_path: Path) -> None:
    from trainwell.cli.app import app

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(REPEATED), encoding="utf-8")
    result = CliRunner().invoke(
        app, ["fit", str(corpus), "--task", "language_model", "--epochs", "1", "--out", str(tmp_path / "lm")],
        env={"COLUMNS": "300"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    said = [line for line in result.stderr.splitlines() if "is not below the Kneser-Ney trigram's" in line]
    assert len(said) == 1 and said[0].startswith("warning: the model's perplexity ")
    assert said[0].endswith("train longer (--epochs) or on more text")  # options, not Python's words
    assert "is not below" not in result.stdout
