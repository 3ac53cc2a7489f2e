"""Compact tick labels of a drawn plot: the labels of a whole set of ticks come from the locations matplotlib
hands the formatter, not from the axis' locator run again for every label (0.14 s of a fit's 1.0 s curves)."""

from __future__ import annotations

from typing import Any

from trainwell.core.ticks import compact_labels, compact_ticks


def test_a_draw_labels_its_ticks_from_one_run_of_the_locator() -> None:
    from trainwell.learner.plots import figure

    drawn = figure(figsize=(4, 3))
    axis = drawn.subplots()
    axis.plot([0, 1, 2], [15_000, 250_000, 500_001])
    compact_ticks(axis)
    locator = axis.yaxis.get_major_locator()
    runs = []
    original = locator.__call__

    class Counting(type(locator)):  # type: ignore[misc]
        def __call__(self) -> Any:
            runs.append(1)
            return original()

    locator.__class__ = Counting
    drawn.canvas.draw()
    locations = list(axis.yaxis.get_ticklocs())
    labels = [label.get_text() for label in axis.yaxis.get_ticklabels()]
    formatter = axis.yaxis.get_major_formatter()
    assert formatter.format_ticks(locations) == compact_labels(locations)
    assert [formatter(value) for value in locations] == compact_labels(locations)  # one label: the same
    assert any("k" in label for label in labels), labels
    # Each of a draw's tick updates runs the locator once, not once more per label.
    assert len(runs) < 2 * len(locations), (len(runs), len(locations))


def test_a_figure_with_compact_ticks_still_pickles() -> None:
    import pickle

    from trainwell.learner.plots import figure

    drawn = figure(figsize=(3, 2))
    axis = drawn.subplots()
    axis.plot([0, 1], [15_000, 500_001])
    compact_ticks(axis)
    drawn.canvas.draw()
    again = pickle.loads(pickle.dumps(drawn))
    assert [label.get_text() for label in again.axes[0].yaxis.get_ticklabels()] == [
        label.get_text() for label in axis.yaxis.get_ticklabels()
    ]
