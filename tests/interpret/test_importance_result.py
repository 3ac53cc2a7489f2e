"""What permutation_importance returns can be read in Python: a list as before, with to_frame() and plot(); and
the top-loss table shows the columns that matter for those rows, saying which rule chose them."""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
import torch

from trainwell.data.task import Task
from trainwell.interpret import ClassificationInterpretation, PermutationImportances
from trainwell.report import FeatureImportance, permutation_importance


class SignalModel:
    """A fixed 'model': the probability is a logistic function of column 'signal' alone."""

    task = Task("binary", (0, 1), ("y",))
    input_names: ClassVar[list[str]] = ["signal", "noise", "colour"]

    def predict_proba(self, rows: pd.DataFrame) -> torch.Tensor:
        return torch.sigmoid(torch.tensor(rows["signal"].to_numpy(), dtype=torch.float32) * 3)


def _labelled(n: int = 300) -> tuple[pd.DataFrame, torch.Tensor]:
    generator = np.random.default_rng(0)
    signal = generator.normal(size=n)
    rows = pd.DataFrame(
        {
            "signal": signal,
            "noise": generator.normal(size=n),
            "colour": generator.choice(["red", "blue"], size=n),
        }
    )
    targets = torch.tensor((signal + 0.8 * generator.normal(size=n) > 0).astype(np.float32))
    return rows, targets


@pytest.fixture(scope="module")
def result() -> PermutationImportances:
    rows, targets = _labelled()
    items = permutation_importance(SignalModel(), rows, targets, n_repeats=4, seed=0)
    return PermutationImportances(
        items, metric="roc_auc", higher_is_better=True, base_score=0.9, n_rows=len(rows), n_repeats=4
    )


def test_it_is_still_the_list_callers_iterate(result: PermutationImportances) -> None:
    # Callers wrote `for item in permutation_importance(...)` and `[:3]`: a list it stays.
    assert isinstance(result, list) and len(result) == 3
    assert all(isinstance(item, FeatureImportance) for item in result)
    assert result[0].column == "signal" and result[0] is list(result)[0]  # noqa: RUF015
    assert [item.column for item in result[:2]] == [item.column for item in list(result)[:2]]


def test_to_frame_has_a_row_per_column_with_its_interval(result: PermutationImportances) -> None:
    frame = result.to_frame()
    assert list(frame.columns) == ["column", "importance", "std", "low", "high", "p_value", "reading"]
    assert frame["column"].tolist() == [item.column for item in result]
    for (_, row), item in zip(frame.iterrows(), result, strict=True):
        assert row["importance"] == pytest.approx(item.importance)
        assert (row["std"], row["low"], row["high"]) == pytest.approx((item.std, item.low, item.high))
    assert frame.loc[0, "reading"] == "helps" and frame.loc[0, "low"] > 0
    assert frame.attrs["metric"] == "roc_auc" and frame.attrs["n_repeats"] == 4


def test_plot_draws_a_bar_and_an_interval_per_column(
    result: PermutationImportances, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import trainwell.learner.plots as plots

    drawn: list[Any] = []
    save = plots._save
    monkeypatch.setattr(plots, "_save", lambda figure, path: (drawn.append(figure), save(figure, path))[1])
    written = result.plot(tmp_path / "importance.png")
    assert written == tmp_path / "importance.png" and written.read_bytes()[:4] == b"\x89PNG"
    (axis,) = drawn[0].axes
    bars = axis.patches
    assert len(bars) == 3
    # The most important at the top, each bar its importance.
    heights = sorted(bars, key=lambda bar: -bar.get_y())
    assert [bar.get_width() for bar in heights] == pytest.approx([item.importance for item in result])
    labels = [label.get_text() for label in axis.get_yticklabels()]
    assert labels == [item.column for item in result] and labels[0] == "signal"
    assert "drop in roc_auc when shuffled" in axis.get_xlabel() and "95% interval over 4" in axis.get_xlabel()
    assert axis.collections, "no interval whiskers"


def test_the_repr_is_a_table_of_4_decimals(result: PermutationImportances) -> None:
    text = repr(result)
    assert text.splitlines()[0].startswith("PermutationImportances(3 columns by the drop in roc_auc")
    assert re.search(r"signal\s+\d\.\d{4}\s+\[\d\.\d{4}, \d\.\d{4}\]\s+helps", text)
    assert not re.search(r"\d\.\d{6,}", text)  # no 17-digit floats


def test_it_pickles_with_its_metric(result: PermutationImportances) -> None:
    again = pickle.loads(pickle.dumps(result))
    assert isinstance(again, PermutationImportances) and again.metric == "roc_auc" and len(again) == 3


# ------------------------------------------------------------------------------ the top-loss table's columns
def _wide_interpretation() -> tuple[ClassificationInterpretation, pd.DataFrame]:
    """Six columns in file order a..e then 'far'; the three worst rows hold 'far' values 6 SDs out."""
    generator = np.random.default_rng(1)
    n = 200
    rows = pd.DataFrame({name: generator.normal(size=n) for name in "abcde"})
    rows["far"] = generator.normal(size=n)
    losses = generator.uniform(0, 0.5, size=n)
    worst = [5, 50, 120]
    losses[worst] = [3.0, 2.5, 2.0]
    rows.loc[worst, "far"] = 6.0
    task = Task("binary", ("no", "yes"), ("y",))
    actual = np.zeros(n, dtype=np.int64)
    interp = ClassificationInterpretation(task, losses, actual, actual, np.full(n, 0.7))
    interp.rows = rows
    return interp, rows


def _table_of(path: Path, monkeypatch: pytest.MonkeyPatch, draw: Any) -> tuple[list[str], str]:
    import trainwell.interpret._plots as plots

    drawn: list[Any] = []
    save = plots._save
    monkeypatch.setattr(plots, "_save", lambda figure, path: (drawn.append(figure), save(figure, path))[1])
    draw(path)
    (axis,) = drawn[0].axes
    (table,) = axis.tables
    header = [cell.get_text().get_text() for (row, _), cell in sorted(table.get_celld().items()) if row == 0]
    return header, axis.get_title()


def test_the_table_shows_the_columns_that_stand_out_in_those_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first 4 columns in file order were shown (age, job, marital, education), leaving out 'duration', the
    # column behind every one of those errors.
    interp, _ = _wide_interpretation()
    header, title = _table_of(
        tmp_path / "top.png", monkeypatch, lambda path: interp.plot_top_losses(path, k=3)
    )
    assert header[:5] == ["row", "actual", "predicted", "p(predicted)", "loss"]
    assert header[5] == "far" and len(header) == 9
    assert "columns: the 4 of 6 whose values here stand out most from all 200 rows" in title


def test_the_table_takes_columns_by_name_or_by_permutation_importance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    interp, _ = _wide_interpretation()
    header, title = _table_of(
        tmp_path / "top.png", monkeypatch, lambda path: interp.plot_top_losses(path, k=3, columns=["e", "a"])
    )
    assert header[5:] == ["e", "a"] and title.endswith("columns: 2 of 6, as asked")
    ranked = PermutationImportances(
        [FeatureImportance(name, 1.0 / (i + 1), 0.0) for i, name in enumerate(["c", "far", "b", "a", "d"])]
    )
    header, title = _table_of(
        tmp_path / "top2.png", monkeypatch, lambda path: interp.plot_top_losses(path, k=3, columns=ranked)
    )
    assert header[5:] == ["c", "far", "b", "a"] and title.endswith(
        "columns: 4 of 6, by permutation importance"
    )


def test_a_category_stands_out_by_its_rarity_not_by_how_many_values_it_has() -> None:
    from trainwell.interpret._row_columns import shown_columns

    generator = np.random.default_rng(2)
    n = 400
    rows = pd.DataFrame(
        {
            "job": generator.choice([f"job{i}" for i in range(12)], size=n),  # every value about 8%
            "plan": np.where(np.arange(n) < 8, "rare", "usual"),  # 2% of rows
            "x": generator.normal(size=n),
            "y": generator.normal(size=n),
            "z": generator.normal(size=n),
        }
    )
    top = rows.iloc[:5]  # rows holding the rare plan, usual jobs and numbers
    shown, rule = shown_columns(top, list(rows.columns), 2, reference=rows)
    assert shown[0] == "plan" and "job" not in shown[:1]
    assert rule.startswith("columns: the 2 of 5")
