"""A language model's judging that cannot fit the call's time budget is refused before training.

``trainwell evaluate ptb/ --task language_model --time 60s`` foresaw 3 min 36 s of scoring the test text, trained
for half of what was left anyway and ended after 5 min 36 s. The foresight is made to say so here (the probe's
time is replaced, no real time is asserted), and the call must stop before the first batch, naming the foreseen
time, the budget and the fixes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from text_samples import stories
from trainwell.callbacks.budget import TimeBudget
from trainwell.core.errors import ConfigError
from trainwell.learner.events import Callback
from trainwell.text._lm_judging import JudgingReserve, scoring_refusal
from trainwell.text.lm_evaluation import evaluate_language_model

SIZES = {"emb_size": 16, "hidden_size": 24, "n_layers": 1}


class CountBatches(Callback):
    """Counts the training batches run (the refusal must come before the first)."""

    def __init__(self) -> None:
        self.batches = 0

    def after_batch(self, learn: object) -> None:
        self.batches += 1


def _corpus(tmp_path: Path) -> tuple[Path, Path]:
    train, test = tmp_path / "train.txt", tmp_path / "test.txt"
    train.write_text("\n".join(stories(150, seed=1)), encoding="utf-8")
    test.write_text("\n".join(stories(40, seed=2)), encoding="utf-8")
    return train, test


def test_the_refusal_names_the_foreseen_time_the_budget_and_both_fixes() -> None:
    error = scoring_refusal(foreseen=216.0, call_left=41.0, budget=60.0, tokens=82_429, tune_share=0.1)
    # (19 s spent + twice 216 s) / 0.9 = 501 s, rounded up to whole minutes; 82,429 * 20.5 / 216 = 7,823 tokens.
    assert error.command_line == (
        "scoring the model on the test text (82,429 tokens) is foreseen to take 3m 36s, more than the 41s left "
        "of the 1m budget (--time) once the data was read and the baselines scored: pass --time 9m or more, or "
        "a shorter test text with --test (about 7,800 tokens score in half of those 41s, leaving the other half "
        "to training)"
    )
    assert "pass time_budget='9m' or more, or a shorter test text with test (" in str(error)
    short = scoring_refusal(foreseen=50.0, call_left=20.0, budget=30.0, tokens=900)
    assert "pass --time 2m or more" in short.command_line  # (10 + 100) s: past a minute, whole minutes
    assert "about 180 tokens score in half of those 20s" in short.command_line
    brief = scoring_refusal(foreseen=12.0, call_left=8.0, budget=10.0, tokens=90)
    assert "pass --time 30s or more" in brief.command_line and "a few sentences long" in brief.command_line


def test_a_scoring_longer_than_the_call_has_left_stops_before_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    train, test = _corpus(tmp_path)
    foreseen: list[float] = []

    def slow_scoring(self: JudgingReserve, model: object, held_out: object) -> float:
        foreseen.append(3600.0)  # an hour of scoring foreseen, whatever the machine
        return 3600.0

    monkeypatch.setattr(JudgingReserve, "time_scoring", slow_scoring)
    counter = CountBatches()
    with pytest.raises(
        ConfigError, match=r"is foreseen to take 1h, more than the .* left of the 30s budget"
    ) as raised:
        evaluate_language_model(train, test=test, time_budget=30, progress=False, batch_size=8, bptt=12,
                                min_freq=1, learner_kwargs=SIZES, callbacks=[counter])  # fmt: skip
    assert foreseen == [3600.0] and counter.batches == 0  # refused before the first batch
    # (what the call spent + twice the hour) / 0.9, the cache's tuning taking a tenth: 2h 14m, less a few seconds.
    assert re.search(
        r"pass time_budget='2h1[34]m' or more, or a shorter test text with test \(", str(raised.value)
    )
    # A foresight that fits is not refused: the call trains and scores as before.
    monkeypatch.setattr(JudgingReserve, "time_scoring", lambda self, model, held_out: 1.0)
    evaluation = evaluate_language_model(train, test=test, time_budget=30, epochs=1, progress=False, batch_size=8,
                                         bptt=12, min_freq=1, learner_kwargs=SIZES, callbacks=[counter])  # fmt: skip
    assert counter.batches > 0 and evaluation.timing is not None and evaluation.timing.foreseen == 1.0


def test_without_a_budget_nothing_is_refused(tmp_path: Path) -> None:
    # Only a budget bounds the call: with none, the foresight is not even made.
    from trainwell.text.lm_learner import fit_language_model

    learn = fit_language_model(stories(60, seed=1), epochs=1, progress=False, batch_size=8, bptt=12, min_freq=1,
                               learner_kwargs=SIZES).learn  # fmt: skip
    reserve = JudgingReserve(stories(10, seed=2), baselines=False, budget=None)
    reserve.before_fit(learn)
    assert reserve.foreseen is None and reserve.held_out is not None


def test_the_deadline_decides_not_the_budget_left(monkeypatch: pytest.MonkeyPatch) -> None:
    # A fake clock: the budget has 100 s left, the call 40 s (reading the data took the rest). 50 s of scoring
    # fits the budget but not the call: refused, naming the 40 s.
    from trainwell.text.lm_learner import fit_language_model

    learn = fit_language_model(stories(60, seed=1), epochs=1, progress=False, batch_size=8, bptt=12, min_freq=1,
                               learner_kwargs=SIZES).learn  # fmt: skip
    monkeypatch.setattr(JudgingReserve, "time_scoring", lambda self, model, held_out: 50.0)
    budget = TimeBudget(100, clock=lambda: 0.0).start()
    reserve = JudgingReserve(
        stories(10, seed=2), baselines=False, budget=budget, deadline=40.0, clock=lambda: 0.0
    )
    with pytest.raises(
        ConfigError, match=r"foreseen to take 50s, more than the 40s left of the 1m 40s budget"
    ):
        reserve.before_fit(learn)
    near = JudgingReserve(stories(10, seed=2), baselines=False, budget=TimeBudget(100, clock=lambda: 0.0).start(),
                          deadline=60.0, clock=lambda: 0.0)  # fmt: skip
    near.before_fit(learn)  # 50 s of 60: trains half of what is left, as before
    assert near.reserved == pytest.approx(50.0)


def test_the_command_line_refuses_in_one_line_with_exit_code_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainwell.cli.app import app

    train, test = _corpus(tmp_path)
    monkeypatch.setattr(JudgingReserve, "time_scoring", lambda self, model, held_out: 600.0)
    result = CliRunner().invoke(
        app, ["evaluate", str(train), "--task", "language_model", "--test", str(test), "--time", "20s"],
        env={"COLUMNS": "300"},
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in result.output
    assert "is foreseen to take 10m, more than the" in errors[0] and "of the 20s budget (--time)" in errors[0]
    assert (
        re.search(r"pass --time 2[23]m or more", errors[0]) and "a shorter test text with --test" in errors[0]
    )
    assert "language model on held-out text" not in result.output  # nothing was judged
