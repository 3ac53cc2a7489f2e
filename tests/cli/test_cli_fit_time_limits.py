"""``trainwell fit --time`` keeps its results within what the budget read, and says what it could not train.

- A validation pass the budget cut to its first batches: the results after the fit are scored on those rows, and
  a line says how many, instead of a pass over the whole validation set after the budget (CoNLL-2003: 2m 18s past
  a --time of 1m).
- A budget that trains less than one epoch is warned of, with the batches trained and the budget one epoch needs
  (a language model on 200 KB of Tiny Shakespeare under --time 10s trained 2 of 12 batches, reported as trained).
- The budget counts from the command's start: a budget the command's own look at the data spends is refused in
  one line naming --time and a budget worth giving.

The budget's clock moves one second each time it is read (``SteppingClock``): no time is asserted.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
from cli_support import binary_table
from typer.testing import CliRunner

from clock_support import SteppingClock
from forward_counts import rows_read_in_eval_mode
from text_samples import stories
from trainwell.callbacks.budget import TimeBudget
from trainwell.cli.app import app
from trainwell.core.duration import parse_duration


def _fit(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> tuple[int, str]:
    monkeypatch.setattr(TimeBudget.__init__, "__kwdefaults__", {"clock": SteppingClock()})
    done = CliRunner().invoke(app, ["fit", *args], env={"COLUMNS": "300"})
    return done.exit_code, " ".join(done.output.split())


def test_results_after_a_capped_validation_are_scored_on_the_rows_it_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    binary_table(n_rows=12_000).to_csv(tmp_path / "table.csv", index=False)
    args = [str(tmp_path / "table.csv"), "--target", "y", "--arch", "mlp", "--lr", "0.01", "--epochs", "2"]
    args += ["--valid-pct", "0.9", "--batch-size", "128", "--time", "40s", "--out", str(tmp_path / "m")]
    with rows_read_in_eval_mode() as rows:
        code, said = _fit(monkeypatch, args)
    assert code == 0, said
    # A fifth of the budget held the first batches of the 10,800 validation rows (1,024 a batch): each pass read
    # those alone.
    read = re.search(
        r"validation results: scored on the first ([\d,]+) of the 10,800 validation rows, those each", said
    )
    assert read is not None, said
    first = int(read.group(1).replace(",", ""))
    assert 0 < first < 10_800 and first % 1024 == 0
    assert "each validation pass read the first " in said  # the budget's line says it too
    # On a loaded machine the budget may end inside an epoch (0.6 epochs): that epoch's pass reads the rows too.
    trained = re.search(r"Validation results \(binary, ([\d.]+) epochs?", said)
    assert trained is not None, said
    epochs = math.ceil(float(trained.group(1)))
    # Every pass read the same first rows, and nothing scored the 10,800 again after the fit.
    assert max(rows.values()) == epochs * first, (dict(rows), epochs, first)


def test_a_budget_that_trains_less_than_an_epoch_says_what_one_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(stories(1600)) + "\n", encoding="utf-8")
    args = [str(corpus), "--task", "language_model", "--time", "15s", "--batch-size", "2", "--out", "lm"]
    code, said = _fit(monkeypatch, args)
    assert code == 0, said
    batches = re.search(r"after \S+ epochs \((\d+) of ([\d,]+) batches\)", said)
    assert batches is not None, said
    trained, per_epoch = batches.group(1), batches.group(2)
    warned = re.search(
        rf"warning: --time 15s trained less than one epoch \({trained} of the {per_epoch} batches of one epoch, "
        r"[\d.]+ epochs\): the scores are a barely trained model's, not what it does given time; one epoch and "
        r"its validation would take about .+ here \(a batch took [^)]+\): pass --time (\S+) or more",
        said,
    )
    assert warned is not None, said
    # Each batch read the budget's clock at least once (a second): one epoch needs at least a second a batch.
    assert parse_duration(warned.group(1)) >= int(per_epoch.replace(",", ""))


def test_a_budget_that_trains_an_epoch_is_not_warned_of(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    binary_table(n_rows=200).to_csv(tmp_path / "table.csv", index=False)
    args = [str(tmp_path / "table.csv"), "--target", "y", "--arch", "mlp", "--lr", "0.01", "--epochs", "1"]
    code, said = _fit(monkeypatch, [*args, "--time", "10m", "--out", str(tmp_path / "m")])
    assert code == 0, said
    assert "--time: the 10m budget was not reached" in said
    assert "trained less than one epoch" not in said and "validation results: scored on" not in said


def test_the_clock_counts_from_the_command_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The command's look at the data (here: a folder of splits joined) comes out of the budget: a budget it spends
    # is refused before any training, naming --time and a budget worth giving. Before, the budget began with the
    # pipeline, after that look.
    import time

    import trainwell.cli._splits as splits

    folder = tmp_path / "splits"
    folder.mkdir()
    binary_table(n_rows=200).to_csv(folder / "train.csv", index=False)
    binary_table(seed=1, n_rows=100).to_csv(folder / "valid.csv", index=False)
    joined = splits.command_splits

    def slow_splits(*args: Any, **kwargs: Any) -> Any:
        time.sleep(1.5)  # a large folder of splits, joined before the training stack is imported
        return joined(*args, **kwargs)

    monkeypatch.setattr(splits, "command_splits", slow_splits)
    args = [
        str(folder),
        "--target",
        "y",
        "--arch",
        "mlp",
        "--lr",
        "0.01",
        "--time",
        "1s",
        "--out",
        str(tmp_path / "m"),
    ]
    done = CliRunner().invoke(app, ["fit", *args], env={"COLUMNS": "300"})
    said = " ".join(done.output.split())
    assert done.exit_code == 2, said
    refused = re.search(
        r"error: the --time of 1.0s was spent before training began \((\S+) went to preparing it: reading the data, "
        r"choosing the learning rate\); pass --time (\S+) or more, or pass --lr to skip the learning-rate finder",
        said,
    )
    assert refused is not None, said
    assert parse_duration(refused.group(2)) >= 2 * parse_duration(refused.group(1))
    assert not (tmp_path / "m").exists()
