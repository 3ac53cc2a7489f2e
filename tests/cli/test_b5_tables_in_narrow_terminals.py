"""The results table of ``trainwell fit``, ``trainwell compare``'s and ``trainwell importance``'s tables and the
language-model evaluation's, printed on the command line's console under COLUMNS=80 and 120: no line wider than
the terminal, every figure, interval and name whole on its line. At 80 columns rich narrowed every column alike:
compare's intervals broke after their comma (``[-0.0370,`` over ``+0.0000]``), a long column or target name was
cut with "…" (``rmse[median_house_val…``), ``Kneser-Ney`` went over ``trigram``; where a table fits it prints as
before."""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from console_support import printed

#: An interval as the tables write it: ``[48,594, 52,305]``, ``[-0.0370, +0.0000]``, ``[1,200.1, 1,270.3]``.
INTERVAL = re.compile(r"\[[-+]?[\d.,e]+, [-+]?[\d.,e]+\]")

#: Input columns named as real tables name them: longer than a narrow column.
LONG = ("years_at_current_address_reported", "monthly_income_before_tax_in_dollars", "noise")


_printed = printed


def _table(text: str) -> str:
    """The table of ``text``: from its top border to its bottom one (the sentences around it wrap as prose)."""
    lines = text.splitlines()
    top = next(at for at, line in enumerate(lines) if line.startswith("┏"))
    bottom = next(at for at, line in enumerate(lines) if line.startswith("└"))
    return "\n".join(lines[top : bottom + 1])


def _readable(text: str, columns: int, intervals: int, names: tuple[str, ...] = ()) -> None:
    lines = text.splitlines()
    assert all(len(line) <= columns for line in lines), text
    # every interval whole on one line: none broken after its comma
    assert sum(len(INTERVAL.findall(line)) for line in lines) == intervals, text
    assert not [line for line in lines if re.search(r"\[[^\]]*$", line)], text
    assert "…" not in text, text
    for name in names:  # whole on a line, not folded nor cut
        assert any(name in line for line in lines), (name, text)


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    years, income, noise = rng.uniform(0, 30, n), rng.normal(4_000, 1_500, n), rng.normal(size=n)
    y = (income / 1_500 + years / 10 + rng.normal(size=n) > 4.5).astype(int)
    return pd.DataFrame({LONG[0]: years, LONG[1]: income, LONG[2]: noise, "y": y})


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two boosted-tree classifiers of a table with long column names (one with fewer, shallower trees), and
    labelled rows neither trained on."""
    from trainwell.tabular import fit_table

    folder = tmp_path_factory.mktemp("b5")
    frame = _frame(300, 0)
    found: dict[str, Any] = {"data": folder / "held_out.csv"}
    _frame(200, 1).to_csv(found["data"], index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, settings in (("a", {"max_iter": 5, "max_depth": 2}), ("b", None)):
            found[name] = folder / name
            fit_table(frame, "y", out=found[name], arch="gbdt", gbdt_settings=settings, progress=False)
    return found


@pytest.mark.parametrize("columns", [80, 120])
def test_compare_keeps_each_interval_whole(
    columns: int, models: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from trainwell.cli.compare_cmd import compare

    def draw(_: Any) -> None:
        compare(models["a"], models["b"], data=models["data"], resamples=100)

    shown = _printed(columns, monkeypatch, capsys, draw)
    table = _table(shown)
    _readable(table, columns, intervals=3, names=("roc_auc",))  # accuracy, roc_auc, f1
    row = next(line for line in table.splitlines() if "roc_auc" in line)
    if (
        columns >= 100
    ):  # the table as it was: the difference beside its interval, which way is better in words
        assert "roc_auc (higher is better)" in row and INTERVAL.search(row), shown
    else:  # the interval on its own line under the difference
        assert "(higher is better)" not in row and not INTERVAL.search(row), shown
        assert "(higher is better)" in table, shown


@pytest.mark.parametrize("columns", [80, 120])
def test_importance_keeps_each_interval_and_column_name_whole(
    columns: int, models: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from trainwell.cli.importance_cmd import importance

    def draw(_: Any) -> None:
        importance(models["b"], models["data"], repeats=3)

    shown = _printed(columns, monkeypatch, capsys, draw)
    table = _table(shown)
    _readable(table, columns, intervals=3, names=LONG)
    row = next(line for line in table.splitlines() if LONG[1] in line)
    if columns >= 100:
        assert INTERVAL.search(row), shown
    else:
        assert not INTERVAL.search(row), shown


@pytest.fixture(scope="module")
def two_targets() -> Any:
    """A regression of two targets with long names, one in the tens of thousands: its learner, one epoch."""
    from trainwell.tabular import tabular_data, tabular_learner

    rng = np.random.default_rng(0)
    n = 200
    rooms = rng.integers(1, 7, n)
    frame = pd.DataFrame(
        {
            "rooms": rooms,
            "median_house_value": 30_000 * rooms + rng.normal(0, 20_000, n),
            "housing_median_age": rng.uniform(0, 50, n) + rooms,
        }
    )
    data = tabular_data(frame, ["median_house_value", "housing_median_age"], valid_pct=0.25, seed=0)
    learn = tabular_learner(data, progress=False)
    learn.fit_one_cycle(1, 1e-2)
    return learn


@pytest.mark.parametrize("columns", [80, 120])
def test_the_results_table_wraps_only_what_the_figures_mean(
    columns: int, two_targets: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from trainwell.cli._show import show_metrics

    shown = _printed(columns, monkeypatch, capsys, lambda console: show_metrics(two_targets, console))
    table = _table(shown)
    names = ("rmse[median_house_value]", "mae[housing_median_age]", "r2[median_house_value]")
    _readable(table, columns, intervals=9, names=names)  # rmse, mae, r2: overall and per target
    row = next(line for line in table.splitlines() if "rmse[median_house_value]" in line)
    if columns >= 100:  # the table as it was: value and interval side by side
        assert INTERVAL.search(row) and "┃ what it means here" in table, shown
    else:  # the interval on its own line under the value, the sentence still beside them
        assert not INTERVAL.search(row) and "typical error" in row, shown


def _lm_evaluation() -> Any:
    """An evaluation of a language model whose perplexities run to four figures (``[1,200.1, 1,270.3]``), with
    a cache pointer and the two n-gram baselines, as ``trainwell evaluate --task language_model`` prints it."""
    from trainwell.data.task import Task
    from trainwell.text.lm_eval import HeldOutText, TokenScores
    from trainwell.text.lm_evaluation import LMEvaluation

    rng = np.random.default_rng(0)
    n_tokens, n_texts = 3_000, 30
    held = HeldOutText(
        ids=np.arange(n_tokens + 1) % 7,
        groups=np.repeat(np.arange(n_texts), n_tokens // n_texts),
        text_of_token=np.repeat(np.arange(n_texts), n_tokens // n_texts),
        n_texts=n_texts,
        n_chars=5 * n_tokens,
    )
    scores = [
        TokenScores(name, rng.normal(np.log(perplexity), 0.5, n_tokens), held, rank=rank)
        for name, perplexity, rank in (
            ("trainwell", 1_800.0, rng.integers(0, 9, n_tokens)),
            ("trainwell + cache", 1_250.0, None),
            ("unigram", 2_400.0, None),
            ("Kneser-Ney trigram", 1_500.0, None),
        )
    ]
    task = Task("language_model", classes=tuple(str(i) for i in range(7)))
    return LMEvaluation.judge(
        scores, task, n_models=2, n_train_texts=300, test_source="test.txt", seconds=12.0, lr=1e-3
    )


@pytest.mark.parametrize("columns", [80, 120])
def test_the_language_model_table_keeps_each_interval_whole(
    columns: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from trainwell.text.lm_evaluation import render_lm

    evaluation = _lm_evaluation()
    shown = _printed(columns, monkeypatch, capsys, lambda console: render_lm(evaluation, console))
    table = _table(shown)
    _readable(table, columns, intervals=4, names=("trainwell + cache", "Kneser-Ney trigram"))
    row = next(line for line in table.splitlines() if "Kneser-Ney trigram" in line)
    if columns >= 100:  # the table as it was
        assert INTERVAL.search(row) and "next-word accuracy" in table, shown
    else:  # the interval under its perplexity, the long headers on two lines
        assert not INTERVAL.search(row) and "next-word" in table and "accuracy" in table, shown
