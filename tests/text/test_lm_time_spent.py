"""``evaluate --task language_model --time``: the evaluation says where its time went as a cross-validation's does
(``Evaluation.spent``, saved as ``time_spent``), so ``trainwell evaluate`` can say the command's time when it runs
past its budget; it had no such account (trainwell.text.lm_evaluation)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from text_samples import stories
from trainwell.cli.app import app
from trainwell.evaluate.evaluation import command_time_line
from trainwell.text.lm_evaluation import evaluate_language_model

SIZES = {"emb_size": 16, "hidden_size": 24, "n_layers": 1}


def _corpus() -> tuple[Path, Path]:
    train, test = Path("train.txt"), Path("test.txt")
    train.write_text("\n".join(stories(120, seed=1)), encoding="utf-8")
    test.write_text("\n".join(stories(30, seed=2)), encoding="utf-8")
    return train, test


def test_a_budgeted_evaluation_says_where_its_time_went_as_a_cross_validation_does() -> None:
    train, test = _corpus()
    evaluation = evaluate_language_model(train, test=test, time_budget=30, epochs=1, progress=False, batch_size=8, bptt=12,
                                         min_freq=1, learner_kwargs=SIZES)  # fmt: skip
    spent, timing = evaluation.spent, evaluation.timing
    assert spent is not None and timing is not None
    assert spent.budget == 30.0 and spent.even == 30.0  # one fit: the whole budget is its share
    assert spent.baselines == timing.baselines  # counted and scored as training began
    assert min(spent.reading, spent.training, spent.after) >= 0
    assert spent.after >= timing.scoring  # scoring the model on the test text follows the fit
    assert spent.total == pytest.approx(timing.call, abs=1e-3)  # the parts make up the call
    saved = json.loads(evaluation.save(Path("evaluation.json")).read_text())
    assert set(saved["time_spent"]) == {"budget", "reading", "baselines", "folds", "after_folds", "total",
                                        "left_for_folds", "even_share_of_left", "even_share_of_budget",
                                        "processes"}  # fmt: skip
    assert saved["time_spent"]["processes"] == 1 and saved["time_spent"]["even_share_of_budget"] == 30.0
    assert saved["time_spent"]["budget"] == 30.0
    # The command's line on time, as evaluate --time prints it for the folds when the command ran past its budget:
    # here begun a minute before the evaluation (imports and the rest).
    line = command_time_line(spent, started=spent.ended - spent.total - 60)
    assert line is not None and line.startswith("the command took 1m"), line
    assert "evaluating (--time 30s)" in line and "starting up and the rest" in line, line


def test_an_evaluation_without_a_budget_has_no_time_account_as_a_cross_validation_has_none() -> None:
    train, test = _corpus()
    evaluation = evaluate_language_model(train, test=test, epochs=1, progress=False, batch_size=8, bptt=12,
                                         min_freq=1, learner_kwargs=SIZES, baselines=False)  # fmt: skip
    assert evaluation.spent is None and "time_spent" not in evaluation.to_dict()


def test_trainwell_evaluate_writes_the_time_spent_of_a_language_model() -> None:
    train, test = _corpus()
    done = CliRunner().invoke(
        app,
        ["evaluate", str(train), "--test", str(test), "--task", "language_model", "--time", "30s", "--epochs", "1", "--json", "ev.json"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    spent = json.loads(Path("ev.json").read_text())["time_spent"]
    assert spent["budget"] == 30.0 and spent["total"] > 0
