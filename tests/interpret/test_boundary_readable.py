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


def test_the_outer_panels_name_their_axes_and_a_clipped_axis_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The columns' names were only in the title ("Age across, Fare up"): the lowest panel of each column names
    # the x axis, the leftmost of each row the y axis, as sklearn's DecisionBoundaryDisplay does.
    figures = _drawn(monkeypatch)
    result = fit_boundaries(_fares(), ["logistic", "qda", "knn", "tree", "forest"], grid_size=20)
    written = plot_boundaries(result, tmp_path / "boundary.png")
    (figure,) = figures
    panels = {
        axis.get_title().split(":")[0]: axis for axis in figure.axes if "held-out acc" in axis.get_title()
    }
    assert list(panels) == ["logistic", "qda", "knn", "tree", "forest"]
    # Four a row: forest alone on the second row; qda, knn and tree are the lowest of their columns.
    named_x = [name for name, axis in panels.items() if axis.get_xlabel()]
    named_y = [name for name, axis in panels.items() if axis.get_ylabel()]
    assert named_x == ["qda", "knn", "tree", "forest"] and named_y == ["logistic", "forest"]
    assert panels["forest"].get_xlabel() == "Age"  # every age in view
    assert panels["forest"].get_ylabel() == "Fare (1st-99th percentile shown)"  # the fare of 512 is not
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)  # the figure is closed once written: drawn again to measure it
    canvas.draw()
    renderer = canvas.get_renderer()
    for axis in panels.values():  # readable at 100%: 9-point ticks, not 7
        assert min(label.get_fontsize() for label in axis.get_xticklabels()) >= 9
    # The labels, the legend and the caption do not run into each other.
    boxes = [
        *(axis.xaxis.label.get_window_extent(renderer) for axis in panels.values() if axis.get_xlabel()),
        figure.legends[0].get_window_extent(renderer),
        figure.texts[-1].get_window_extent(renderer),
    ]
    for i, box in enumerate(boxes):
        assert box.y0 >= 0
        assert not any(box.overlaps(other) for other in boxes[i + 1 :])
    from PIL import Image

    with Image.open(written) as image:
        assert image.width >= 1600  # 4 panels of 4 inches at 110 dpi (it was 3.2 inches)


def test_three_classes_have_a_shading_key_a_class_and_a_caption_line_on_blends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three classes' shading blended into brown and olive, explained by one rotated sentence: a key a class
    # (its shade from the even mix to probability 1) and one caption line now say what a blend means.
    figures = _drawn(monkeypatch)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(150, 2))
    sizes = np.array(["small", "mid", "large"])[np.digitize(x[:, 0], [-0.4, 0.4])]
    result = fit_boundaries(Points2D.from_arrays(x, sizes, ("width", "height")), ["logistic"], grid_size=20)
    plot_boundaries(result, tmp_path / "boundary.png")
    (figure,) = figures
    (key,) = [axis for axis in figure.axes if axis.get_xlabel().startswith("shading")]
    assert [label.get_text() for label in key.get_yticklabels()] == list(result.points.classes)
    assert [label.get_text() for label in key.get_xticklabels()] == ["0.33", "1"]
    # Each class's bar runs from the even mix of the three colours to that class's own washed colour.
    from trainwell.interpret.boundary import CLASS_COLORS

    for row, image in enumerate(key.images):
        pixels = image.get_array()
        assert np.allclose(pixels[0, -1], 0.55 * CLASS_COLORS[row] + 0.45)
        assert np.allclose(pixels[0, 0], 0.55 * CLASS_COLORS[:3].mean(axis=0) + 0.45)
    caption = figure.texts[-1].get_text().replace("\n", " ")  # one sentence, broken to the picture's width
    assert "a blend of two colours" in caption and "unsure between those classes" in caption
    (legend,) = figure.legends
    assert [text.get_text() for text in legend.get_texts()][:3] == [
        f"label = {name}" for name in result.points.classes
    ]
