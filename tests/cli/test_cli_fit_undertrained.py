"""What next after a fit: a fit that ended with its validation loss still falling said nothing, and a user
stopped there with a model that more epochs would have improved. It now says in one line that the model looks
under-trained, naming --epochs (twice the fit's) or, when its --time budget cut the fit, a longer --time. A fit
whose loss levelled off or rose says nothing of it (overfitting has its own warning)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_support import run_cli

from trainwell.cli._fit_advice import undertrained_note

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def linear_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 3))
    y = x @ [1.5, -2.0, 0.7] + 0.1 * rng.normal(size=600)
    path = tmp_path_factory.mktemp("undertrained") / "linear.csv"
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "y": y}).to_csv(path, index=False)
    return path


def test_a_fit_stopped_while_its_loss_falls_says_more_epochs_would_help(linear_csv: Path) -> None:
    out = linear_csv.parent / "slow"
    # a small rate over 4 epochs: the validation loss is still falling fast at the end
    done = run_cli("fit", linear_csv, "--target", "y", "--epochs", "4", "--lr", "3e-4", "--out", out)
    assert done.returncode == 0, done.explain()
    losses = [
        row["valid_loss"] for row in json.loads((out / "trainwell.json").read_text())["training"]["history"]
    ]
    assert losses[-4] > losses[-3] > losses[-2] > losses[-1], losses
    said = [line for line in done.stdout.splitlines() if "under-trained" in line]
    assert said == [
        f"the validation loss fell in each of the last 3 epochs ({losses[-4]:.4g} -> {losses[-1]:.4g}), its lowest "
        "at the last: the model looks under-trained; more epochs would likely help (--epochs 8, twice this fit's 4)"
    ], done.explain()


def test_a_fit_whose_loss_levelled_off_says_nothing_of_it(linear_csv: Path) -> None:
    out = linear_csv.parent / "done"
    done = run_cli("fit", linear_csv, "--target", "y", "--epochs", "12", "--lr", "1e-2", "--out", out)
    assert done.returncode == 0, done.explain()
    history = json.loads((out / "trainwell.json").read_text())["training"]["history"]
    assert undertrained_note(history, epochs=12) is None, history  # the rule's own verdict on this curve
    assert "under-trained" not in done.stdout, done.explain()


def test_the_rule_names_time_when_the_budget_cut_the_fit_and_ignores_small_or_broken_falls() -> None:
    falling = [{"valid_loss": value} for value in (1.0, 0.8, 0.7, 0.65)]
    said = undertrained_note(falling, time_seconds=150.0, epochs=40)
    assert said is not None and said.endswith(
        "more time would likely help (--time 5m, twice this fit's budget)"
    )
    assert undertrained_note(falling[:2], epochs=2) is None  # one fall: too few to read a trend
    bumpy = [{"valid_loss": value} for value in (1.0, 0.8, 0.85, 0.7)]
    assert undertrained_note(bumpy, epochs=4) is None  # not a fall in each of the last epochs
    annealed = [{"valid_loss": value} for value in (0.5, 0.3105, 0.3098, 0.3092)]
    assert undertrained_note(annealed, epochs=4) is None  # 0.4% in all: a schedule's end, not a trend
    lower_before = [{"valid_loss": value} for value in (0.2, 0.9, 0.8, 0.7, 0.6)]
    assert undertrained_note(lower_before, epochs=5) is None  # its lowest was earlier
    assert undertrained_note([{"valid_loss": float("nan")}] * 4, epochs=4) is None  # no validation
