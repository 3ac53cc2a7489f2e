"""``trainwell fit --task language_model --time``: the closing line says how much was trained when the budget cut
the first epoch short (PTB in a minute trained 3 of 230 batches and was said to have trained "1 epoch"), and on how
much of the validation text the perplexity was read when a whole pass did not fit in its share of the budget."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clock_support import SteppingClock
from text_samples import stories
from trainwell.callbacks.budget import TimeBudget
from trainwell.cli.app import app
from trainwell.core.numbers import format_epochs


def test_a_budget_cut_in_the_first_epoch_is_said_in_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(TimeBudget.__init__, "__kwdefaults__", {"clock": SteppingClock()})
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(stories(1600)) + "\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["fit", str(corpus), "--task", "language_model", "--time", "15s", "--batch-size", "2", "--out", "lm"],
    )
    assert result.exit_code == 0, result.output
    printed = " ".join(result.output.split())
    said = re.search(r"after (\S+) epochs \((\d+) of ([\d,]+) batches\); model directory", printed)
    assert said is not None, printed
    trained, per_epoch = int(said.group(2)), int(said.group(3).replace(",", ""))
    assert 1 <= trained < per_epoch / 20  # a few batches of an epoch of many: "1 epoch" before
    assert said.group(1) == format_epochs(trained / per_epoch)
    assert f"budget trained {said.group(1)} of the" in printed  # the budget's line says the same
    # A fifth of the budget read part of the validation text: the line says how much, the trigram scored alike.
    part = re.search(
        r"on ([\d,]+) of the ([\d,]+) validation tokens, as many as the --time budget allowed", printed
    )
    assert part is not None, printed
    assert int(part.group(1).replace(",", "")) < int(part.group(2).replace(",", ""))
    assert "(a Kneser-Ney trigram on the same tokens: " in printed
