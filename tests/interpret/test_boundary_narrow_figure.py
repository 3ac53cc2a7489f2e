"""A decision-boundary picture of one or two panels is as narrow as they are: its title, its legend and its
caption are fitted to that width (broken between words, the legend's entries on more rows), where they ran past
both edges and were cut ('ries (tenure across...', 'el = churn')."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from trainwell.interpret.boundary import Points2D, fit_boundaries, plot_boundaries


def _drawn(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    import trainwell.learner.plots as plots

    figures: list[Any] = []
    save = plots._save
    monkeypatch.setattr(plots, "_save", lambda figure, path: (figures.append(figure), save(figure, path))[1])
    return figures


@pytest.mark.parametrize("models", [["logistic"], ["logistic", "tree"]])
def test_the_words_of_a_narrow_picture_stay_inside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, models: list[str]
) -> None:
    rng = np.random.default_rng(0)
    labels = np.array(["churn", "no churn"] * 100)
    x = np.stack([rng.normal(size=200) + 2 * (labels == "churn"), rng.normal(size=200)], axis=1)
    points = Points2D.from_arrays(x, labels, ("tenure in months", "monthly spend in dollars"))
    figures = _drawn(monkeypatch)
    plot_boundaries(fit_boundaries(points, models, grid_size=10), tmp_path / "boundary.png")
    (figure,) = figures
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)  # as the PNG was drawn
    canvas.draw()
    renderer = canvas.get_renderer()
    width = figure.bbox.width
    (legend,) = figure.legends
    words = [figure._suptitle, legend, *figure.texts]
    for artist in words:
        extent = artist.get_window_extent(renderer)
        assert extent.x0 >= 0 and extent.x1 <= width, artist
    assert "always answering the most common class" in figure._suptitle.get_text().replace("\n", " ")
    assert [text.get_text() for text in legend.get_texts()] == [
        "label = no churn", "label = churn", "training point", "held-out point",
    ]  # fmt: skip
