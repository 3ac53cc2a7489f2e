"""The decision-boundary PNG and GIF can be read on their own: tick values, a skewed axis clipped to its
percentiles (and said so), the shading's colour bar, held-out points told apart, the majority-class baseline,
and whole epochs written whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from trainwell.interpret.boundary import (
    Points2D,
    _epoch_text,
    fit_boundaries,
    plot_boundaries,
    robust_view,
)


def _fares(n: int = 300) -> Points2D:
    """Ages and fares in the Titanic's shape: most fares small, one of 512 far past the rest."""
    rng = np.random.default_rng(0)
    age = rng.uniform(1, 80, n)
    fare = rng.exponential(30, n).clip(0, 250)
    fare[7] = 512.0
    survived = (fare + rng.normal(0, 30, n) > 30).astype(int)
    survived[:20] = 0
    return Points2D.from_arrays(np.stack([age, fare], axis=1), survived, ("Age", "Fare"))


def _drawn(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    import trainwell.learner.plots as plots

    figures: list[Any] = []
    save = plots._save
    monkeypatch.setattr(plots, "_save", lambda figure, path: (figures.append(figure), save(figure, path))[1])
    return figures


def test_a_skewed_axis_is_clipped_to_its_percentiles_and_a_plain_one_is_not() -> None:
    points = _fares()
    low, high = robust_view(points.x)
    assert low[0] == points.x[:, 0].min() and high[0] == points.x[:, 0].max()  # ages: all in view
    assert high[1] == pytest.approx(np.percentile(points.x[:, 1], 99)) and high[1] < 300  # not up to 512
    assert low[1] == points.x[:, 1].min()


def test_the_png_has_tick_values_a_colour_bar_a_baseline_and_tells_held_out_points_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    figures = _drawn(monkeypatch)
    points = _fares()
    result = fit_boundaries(points, ["logistic", "tree"], grid_size=20)
    plot_boundaries(result, tmp_path / "boundary.png")
    (figure,) = figures
    train = points.codes[result.train_index]
    majority = int(np.bincount(train).argmax())
    assert result.majority_class == majority
    assert result.majority_accuracy == pytest.approx(
        float((points.codes[result.valid_index] == majority).mean())
    )
    title = figure._suptitle.get_text()
    assert (
        f"always answering the most common class (label = {majority}) scores {result.majority_accuracy:.3f}"
        in title
    )
    assert "Fare is skewed: shown to its 1st-99th percentile, 3 above (up to 512) out of view" in title
    panels = [axis for axis in figure.axes if axis.get_title().startswith(("logistic", "tree"))]
    figure.canvas.draw()
    for axis in panels:
        assert [label.get_text() for label in axis.get_xticklabels() if label.get_text()]  # values, not bare
        assert [label.get_text() for label in axis.get_yticklabels() if label.get_text()]
        dots, triangles = axis.collections[-2:]
        assert len(dots.get_offsets()) == len(result.train_index)
        assert len(triangles.get_offsets()) == len(result.valid_index)
        assert not np.array_equal(dots.get_paths()[0].vertices, triangles.get_paths()[0].vertices)
    (bar,) = [axis for axis in figure.axes if "shading" in axis.get_ylabel()]
    assert bar.get_ylabel() == "shading: predicted P(label = 1)"
    (legend,) = figure.legends
    assert [text.get_text() for text in legend.get_texts()][-2:] == ["training point", "held-out point"]


def test_whole_epochs_are_written_whole() -> None:
    assert [_epoch_text(value) for value in (40.0, 2.5, 0.0, 3.9999999)] == ["40", "2.5", "0", "4"]
