"""``trainwell fit --time``: every application trains within the time, with its schedule fitted to it, and
says what the budget allowed; a value that is not a duration is a one-line error (``tune --timeout`` too)."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from cli_support import binary_table, run_cli, run_cli_many, table_with_test

from image_files import make_image_folder
from ratings_support import low_rank_ratings
from scaled_clock import closing_line, fit_on_a_scaled_clock
from tagging_samples import pos_sentences, write_conll_file
from text_samples import reviews, stories
from trainwell.core.numbers import format_epochs

pytestmark = pytest.mark.slow

BUDGET_LINE = "--time: the 8.0s budget trained "


def test_every_application_trains_within_the_time(tmp_path: Path) -> None:
    binary_table(n_rows=2_000).to_csv(tmp_path / "table.csv", index=False)
    reviews(600).to_csv(tmp_path / "reviews.csv", index=False)
    low_rank_ratings().frame.to_csv(tmp_path / "ratings.csv", index=False)
    write_conll_file(tmp_path / "tags.txt", pos_sentences(300))
    (tmp_path / "corpus.txt").write_text("\n".join(stories(400)) + "\n", encoding="utf-8")
    make_image_folder(tmp_path / "images", per_class=40)
    # All six fits start at once and share the cores for one budget (run_cli_many's two at a time on two cores took
    # three budgets of wall time). 8 s: on a loaded machine reading and tokenising took 3.1 s of a 3 s budget, and
    # here each fit gets a third of a core, not a half.
    budget = ["--epochs", "400", "--time", "8s", "--seed", "1"]
    commands = {
        "table": ["fit", "table.csv", "--target", "y", "--lr", "0.01"],
        "texts": ["fit", "reviews.csv", "--text", "review", "--target", "sentiment"],
        "ratings": ["fit", "ratings.csv", "--user", "user", "--item", "item", "--target", "rating"],
        "tagging": ["fit", "tags.txt", "--task", "tagging"],
        "language model": ["fit", "corpus.txt", "--task", "language_model"],
        "images": ["fit", "images", "--arch", "simple_cnn"],
    }
    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        runs = list(
            pool.map(
                lambda command: run_cli(*command, cwd=tmp_path),
                [[*args, *budget, "--out", f"model_{index}"] for index, args in enumerate(commands.values())],
            )
        )
    for (name, _), done in zip(commands.items(), runs, strict=True):
        assert done.returncode == 0, f"{name}: {done.explain()}"
        assert BUDGET_LINE in done.stdout and "of the 400 epochs planned" in done.stdout, name
        # The results' title counts the epochs trained, a part one included, as the budget line does.
        trained = re.search(r"budget trained ([\d.]+) of the 400 epochs planned", done.stdout)
        title = re.search(r"results \(\w+, ([\d.]+) epochs?[ )]", done.stdout)
        if trained and title and name != "language model":
            assert abs(float(title.group(1)) - float(trained.group(1))) <= 0.51, (name, title.group(0))
        if trained and name == "language model":  # its closing line counts as the budget's does ("after 3")
            closing = re.search(r"after ([\d.]+) epochs?[ ;]", done.stdout)
            assert closing and abs(float(closing.group(1)) - float(trained.group(1))) <= 0.051, done.stdout
    info = run_cli("info", "model_0", cwd=tmp_path)  # the model directory records what the budget allowed
    assert info.returncode == 0 and "time budget" in info.stdout and "budget trained" in info.stdout, (
        info.explain()
    )
    # Its epochs row counts as the fit's title did ("1.2 epochs"), not the history's rows, a part one included.
    said = " ".join(info.stdout.split())
    written = json.loads((tmp_path / "model_0" / "trainwell.json").read_text())["training"]
    if "epochs_trained" in written:
        rows = written["epochs"]
        assert (
            f"epochs │ {format_epochs(written['epochs_trained'])} (the time budget ended epoch {rows} early)"
            in said
        ), said
    for index, name in enumerate(commands):
        history = pd.read_csv(tmp_path / f"model_{index}" / "history.csv")
        assert 1 <= len(history) < 400, name
        if len(history) >= 4:  # the schedule ended annealed, not at the peak a cut fit stops near
            assert history["lr"].iloc[-1] < 0.2 * history["lr"].max(), name


def test_a_budget_the_fit_does_not_reach_and_one_that_is_not_a_duration(tmp_path: Path) -> None:
    binary_table().to_csv(tmp_path / "table.csv", index=False)
    reached, wrong, tune = run_cli_many(
        [
            ["fit", "table.csv", "--target", "y", "--epochs", "2", "--time", "1h", "--lr", "0.01"],
            ["fit", "table.csv", "--target", "y", "--time", "soon", "--out", "unwritten"],
            ["tune", "table.csv", "--target", "y", "--timeout", "1 hour", "--out", "unwritten"],
        ],
        cwd=tmp_path,
    )
    assert reached.returncode == 0, reached.explain()
    assert "--time: the 1h budget was not reached: all " in reached.stdout
    assert wrong.returncode != 0 and not (tmp_path / "unwritten").exists()
    assert wrong.stderr_lines[-1].endswith(
        "--time 'soon' is not a duration longer than zero; write e.g. 90s, 10m, 1h30m, 1.5h or 1:30:00 "
        "(a bare number is seconds)"
    ), wrong.explain()
    assert tune.returncode != 0 and tune.stderr_lines[-1].startswith(
        "error: --time '1 hour' is not a duration longer than zero; write e.g. 90s, 10m"
    ), tune.explain()


def test_without_time_nothing_is_said_about_it(tmp_path: Path) -> None:
    binary_table().to_csv(tmp_path / "table.csv", index=False)
    done = run_cli("fit", "table.csv", "--target", "y", "--epochs", "1", "--lr", "0.01", cwd=tmp_path)
    assert done.returncode == 0, done.explain()
    assert "--time" not in done.stdout


def test_evaluate_shares_the_time_among_the_folds(tmp_path: Path) -> None:
    binary_table(n_rows=600).to_csv(tmp_path / "table.csv", index=False)
    (tmp_path / "corpus.txt").write_text("\n".join(stories(300)) + "\n", encoding="utf-8")
    folds, lm = run_cli_many(
        [
            # 5 s a fold: each fold's learning-rate finder (a second or two) comes out of it too.
            ["evaluate", "table.csv", "--target", "y", "--cv", "3", "--epochs", "300", "--time", "15s"],
            ["evaluate", "corpus.txt", "--task", "language_model", "--epochs", "300", "--time", "6s"],
        ],
        cwd=tmp_path,
    )
    assert folds.returncode == 0, folds.explain()
    # The baselines are scored first: what they took comes out of the 15 s, each fold given at most 5 s.
    said = re.search(
        r"time budget 15s: [0-9.]+m?s reading the data and [0-9.]+m?s scoring the baselines; the 3 folds shared the "
        r"[0-9.]+s left, ([0-9.]+)s( to ([0-9.]+)s)? each( \([0-9.]+s an even share\))?; the budget cut all 3 folds "
        r"short \(fold 1: the [0-9.]+s",
        " ".join(folds.stdout.split()),
    )
    assert said and 2.5 <= float(said.group(1)) <= float(said.group(3) or said.group(1)) <= 5.0, folds.stdout
    assert lm.returncode == 0, lm.explain()
    assert "time budget: the 6.0s budget trained " in lm.stdout and "of the 300 epochs planned" in lm.stdout


def _fit_with_clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, speed: float) -> str:
    """``fit --time 2s`` on a small table with a test table, the command's clock (and the one that times the test
    set's scoring and the writing) running ``speed`` times as fast as the wall's: the budget keeps its own."""
    args = [*table_with_test(tmp_path), "--arch", "mlp", "--lr", "0.01"]
    said = fit_on_a_scaled_clock(
        monkeypatch, speed, [*args, "--epochs", "400", "--time", "2s", "--out", str(tmp_path / "model")]
    )
    assert "--time: the 2.0s budget trained " in said
    return said


def test_a_command_long_past_its_budget_says_where_the_rest_went(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 100 times the wall's pace: the scoring of the test set and the writing (each some tenths of a second here)
    # look as long as mnist's 10,000 test images did beside a 60 s budget.
    said = _fit_with_clock(tmp_path, monkeypatch, speed=100.0)
    assert closing_line(said, scored_rows=200), said


def test_a_command_within_its_budget_says_nothing_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A hundredth of the wall's pace: what follows the training takes no time to speak of.
    said = _fit_with_clock(tmp_path, monkeypatch, speed=0.01)
    assert "the command took" not in said, said
