"""Regression plots of large values (house prices of 15,000 to 500,001, as California housing's) read in plain
numbers: no offset ("1e5" beside an axis) and no scientific notation on a tick, a title, a bin or a table cell
(a figure from 10 million up in a title reads 4.975e7, never 4.975e+07); small values keep their decimals."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from trainwell.core.ticks import compact_labels
from trainwell.data.task import Task
from trainwell.interpret import RegressionInterpretation
from trainwell.interpret._regression_plots import (
    error_by_range_figure,
    predicted_vs_actual_figure,
    residual_histogram_figure,
    residuals_figure,
    top_loss_table_figure,
)
from trainwell.learner.plots import _pyplot

#: ``3.5e+05``, ``1e5``, ``2E-05``: a number in scientific notation.
SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")
#: ``4.975e7``: a figure from 10 million up as :func:`trainwell.core.numbers.compact` writes it.
COMPACT = re.compile(r"-?\d(\.\d+)?e\d+")


def _plain_or_compact(text: str) -> bool:
    """Whether the numbers of ``text`` are plain, or compact from 10 million up (an RMSE of 49,750,000
    thousandths of a cent, ``4.975e7``: 4 digits, not 8), never Python's ``4.975e+07``."""
    return not SCIENTIFIC.search(
        COMPACT.sub(lambda found: "" if abs(float(found[0])) >= 1e7 else "?e0", text)
    )


def _interpretation(scale: float, seed: int = 0) -> RegressionInterpretation:
    """Prices of about ``scale`` (skewed, clipped as California's at 15,000 and 500,001 for scale 1) with the
    errors of a fair model, in two targets: the house value and a small one (rooms per person, about 2)."""
    rng = np.random.default_rng(seed)
    value = np.clip(rng.lognormal(12.1, 0.55, 3000), 14_999, 500_001) * scale
    rooms = rng.gamma(4.0, 0.5, 3000)
    actual = np.stack([value, rooms], axis=1)
    predicted = actual + np.stack([rng.normal(0, 50_000 * scale, 3000), rng.normal(0, 0.3, 3000)], axis=1)
    task = Task("regression", target_names=("median_house_value", "rooms_per_person"))
    return RegressionInterpretation(task, actual, predicted)


def _drawn(figure: Any) -> list[tuple[str, list[str], list[str], list[str]]]:
    """Per drawn panel: its title, its x and y tick labels, and its offset texts (the '1e5' beside an axis)."""
    figure.canvas.draw()
    panels = []
    for axis in figure.axes:
        if not axis.axison:
            continue
        x = [label.get_text() for label in axis.get_xticklabels()]
        y = [label.get_text() for label in axis.get_yticklabels()]
        offsets = [axis.xaxis.get_offset_text().get_text(), axis.yaxis.get_offset_text().get_text()]
        panels.append((axis.get_title(), x, y, offsets))
    _pyplot().close(figure)
    return panels


@pytest.mark.parametrize("scale", [1.0, 1000.0])  # California's prices, and the same in thousandths of a cent
def test_every_regression_figure_writes_large_values_plainly(scale: float) -> None:
    interp = _interpretation(scale)
    columns = [0, 1]
    figures = {
        "predicted_vs_actual": predicted_vs_actual_figure(interp, columns),
        "residuals": residuals_figure(interp, columns),
        "residual_histogram": residual_histogram_figure(interp, columns, 30),
        "error_by_range": error_by_range_figure(interp, columns, interp.error_by_range()),
    }
    for name, figure in figures.items():
        panels = _drawn(figure)
        assert len(panels) == 2, name
        for title, x, y, offsets in panels:
            labels = [*x, *y]
            assert all(labels) and len(set(x)) == len(x) and len(set(y)) == len(y), (name, labels)
            assert all(_plain_or_compact(label) for label in labels), (name, labels)
            assert offsets == ["", ""], (name, offsets)
            assert _plain_or_compact(title), (name, title)
        # The house value's panel: short labels (150k, 1.5G), not 150000 running into its neighbour.
        house = panels[0]
        if name != "error_by_range":
            assert all(len(label) <= 6 for label in house[1]), (name, house[1])
        else:  # bins named by their bounds in full: "105,040 to 158,000" (from 10 million up "2.106e7 to 1.114e8")
            bound = r"([\d,]+|\d\.\d{3}e\d+)"
            assert all(re.fullmatch(f"{bound} to {bound}", label) for label in house[1]), house[1]
        # The small target keeps its decimals: ticks such as 0.5, 1, 1.5 (or 2, 4, 6), nothing scaled away.
        rooms = panels[1]
        if name in ("predicted_vs_actual", "residuals"):
            assert all(re.fullmatch(r"-?\d+(\.\d+)?", label) for label in rooms[1] + rooms[2]), rooms


def test_the_top_losses_table_and_the_description_write_prices_in_full() -> None:
    interp = _interpretation(1.0)
    figure = top_loss_table_figure(interp.top_losses(5, target="median_house_value"))
    cells = [cell.get_text().get_text() for cell in figure.axes[0].tables[0].get_celld().values()]
    _pyplot().close(figure)
    assert not [cell for cell in cells if SCIENTIFIC.search(cell)], cells
    assert any(re.fullmatch(r"\d{3},\d{3}", cell) for cell in cells), cells  # a price such as 500,001
    described = interp.describe("median_house_value")
    assert not SCIENTIFIC.search(described), described
    mae = interp.summary("median_house_value").loc["median_house_value", "mae"]
    assert f"Typical error: {mae:,.0f} on average (MAE)" in described


def test_tick_labels_are_plain_at_every_scale() -> None:
    assert compact_labels([0, 2500, 5000, 7500]) == ["0", "2,500", "5,000", "7,500"]
    assert compact_labels([-300_000, 0, 300_000]) == ["-300k", "0", "300k"]
    assert compact_labels([0, 1e-5, 2e-5, 3e-5]) == ["0.00000", "0.00001", "0.00002", "0.00003"]
    assert compact_labels([0.74, 0.76, 0.78, 0.8]) == [
        "0.74",
        "0.76",
        "0.78",
        "0.80",
    ]  # as many decimals each
    assert compact_labels([-0.0, 0.5, 1.0]) == ["0.0", "0.5", "1.0"]


def test_the_training_curves_of_a_price_model_have_no_offset(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # California housing's curves: a loss of 2e10 (squared dollars) drawn with "1e10" in the corner.
    from trainwell.learner import plots

    drawn: list[Any] = []
    monkeypatch.setattr(plots, "_save", lambda figure, path: drawn.append(figure) or path)
    history = [
        {"fit": 1, "epoch": epoch, "train_loss": loss, "valid_loss": loss * 0.8, "rmse": rmse, "r2": r2}
        for epoch, (loss, rmse, r2) in enumerate([(5.4e9, 59_400.0, 0.74), (3.3e9, 51_600.0, 0.81)])
    ]
    plots.plot_history(
        history, [0.001] * 8, [1.9e10, 9e9, 6e9, 5e9, 4e9, 3.5e9, 3e9, 2.6e9], tmp_path / "c.png"
    )
    for title, _, y, offsets in _drawn(drawn[0])[:3]:  # the loss, the RMSE and the R²
        # the loss as the text writes it (5.0e9 by a loss of 5.400e9), never Python's 5e+09 nor an offset
        assert offsets == ["", ""] and all(_plain_or_compact(label) for label in y), (title, y)
        assert all(len(label) <= 6 for label in y), (title, y)


def test_the_reports_importance_of_a_price_model_reads_plainly(monkeypatch: pytest.MonkeyPatch) -> None:
    # The rise in RMSE when a column of California housing is shuffled: 0 to 40000 in full, one tick per 5000.
    from trainwell.report import _plots
    from trainwell.report.importance import FeatureImportance

    kept: list[Any] = []
    written = _plots.figure_png
    monkeypatch.setattr(_plots, "figure_png", lambda figure: kept.append(figure) or written(figure))
    items = [
        FeatureImportance(column, value, value / 100)
        for column, value in (
            ("median_income", 39_588.0),
            ("ocean_proximity", 15_843.0),
            ("latitude", 2_950.0),
        )
    ]
    _plots.importance_png(items, "rise in rmse")
    (_, x, _, offsets) = _drawn(kept[0])[0]
    assert offsets == ["", ""] and not [label for label in x if SCIENTIFIC.search(label)], x
    assert "20k" in x and all(len(label) <= 5 for label in x), x


def test_the_learning_rate_finder_of_a_price_model_has_no_offset(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainwell.learner import plots
    from trainwell.learner.lr_find import LRFindResult

    drawn: list[Any] = []
    monkeypatch.setattr(plots, "_save", lambda figure, path: drawn.append(figure) or path)
    lrs = [10 ** (-6 + 0.25 * step) for step in range(20)]
    losses = [2.0e10 - 9e8 * step for step in range(20)]  # squared dollars
    plots.plot_lr_find(LRFindResult(lrs=lrs, losses=losses, suggestion=1e-3), tmp_path / "lr.png")
    (_, _, y, offsets) = _drawn(drawn[0])[0]
    assert offsets[1] == "" and all(_plain_or_compact(label) for label in y), y
