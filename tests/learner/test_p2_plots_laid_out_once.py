"""A fit's curves.png and lr_find.png are laid out around their text once and drawn once (constrained layout
measured every panel four times and the save drew the figure twice: 55-65% of a two-epoch fit's CPU), and no
text of theirs is cut off or runs into a neighbouring panel's, long names and huge values included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trainwell.learner import plots
from trainwell.learner.lr_find import LRFindResult

LONG = "rmse_log_multi_target_price_and_rent_per_square_metre"


def _capture(monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[int]]:
    """The figures the plots draw, and how many times each was drawn in all."""
    figures: list[Any] = []
    draws = [0]
    original = plots.figure

    def counting(**options: Any) -> Any:
        drawn = original(**options)
        draw = drawn.draw

        def draw_counted(renderer: Any) -> Any:
            draws[0] += 1
            return draw(renderer)

        drawn.draw = draw_counted
        figures.append(drawn)
        return drawn

    monkeypatch.setattr(plots, "figure", counting)
    return figures, draws


def _text_boxes(drawn: Any) -> list[tuple[str, Any, Any]]:
    """(what, its box in pixels, its panel) of every visible panel of ``drawn`` with all it draws (matplotlib's
    tight box: the drawn tick labels, axis labels, title, legend), and of each title, axis label and legend text."""
    renderer = drawn.canvas.get_renderer()
    boxes = []
    for axis in drawn.axes:
        if not axis.get_visible():
            continue
        boxes.append((f"panel {axis.get_title()!r}", axis.get_tightbbox(renderer), axis))
        legend = axis.get_legend()
        texts = [axis.title, axis.xaxis.label, axis.yaxis.label, *(legend.get_texts() if legend else [])]
        boxes += [
            (text.get_text(), text.get_window_extent(renderer), axis) for text in texts if text.get_text()
        ]
    return boxes


def _check_text_inside_and_apart(drawn: Any, name: str) -> None:
    width, height = drawn.canvas.get_width_height()
    boxes = _text_boxes(drawn)
    assert any(name in text for text, _, _ in boxes), [text for text, _, _ in boxes]
    for text, box, _ in boxes:
        assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= width and box.y1 <= height, (
            text,
            box,
            width,
            height,
        )
    for text, box, axis in boxes:
        for other_text, other, other_axis in boxes:
            if other_axis is not axis and box.overlaps(other):
                raise AssertionError(f"{text!r} runs into {other_text!r}: {box} {other}")


def test_curves_and_lr_plot_are_drawn_once_with_all_their_text_inside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    figures, draws = _capture(monkeypatch)
    history = [
        {
            "epoch": e,
            "train_loss": 2.5e10 / e,
            "valid_loss": 2.2e10 / e,
            "rmse": 150_000.0 / e,
            "r2": 0.5,
            LONG: 0.3 / e,
            "hit@10": 0.05 + e / 200,
        }
        for e in (1, 2)
    ]
    plots.plot_history(
        history,
        [1e-3] * 40,
        [2.5e9 * (1 + 1 / (b + 1)) for b in range(40)],
        tmp_path / "curves.png",
        kept_epoch=1,
    )
    assert draws[0] == 1  # saved as laid out: not drawn again to measure or crop it
    _check_text_inside_and_apart(figures[-1], LONG)

    # Two long names in one panel of a 2 x 2 grid: the title and legend wider than a panel (constrained layout
    # ran the title past the figure's edges and the legend off the figure).
    twice = [{**row, LONG.replace("rmse", "mae"): row[LONG] / 2} for row in history]
    plots.plot_history(twice, [1e-3] * 40, [1.0] * 40, tmp_path / "curves.png")
    assert draws[0] == 2
    _check_text_inside_and_apart(figures[-1], LONG.replace("rmse", "mae"))

    # A legend as wide as the figure ("capped below the suggestion"): it stays inside, and the panel keeps its
    # width (no room could make that legend fit beside it, so it is given none).
    sweep = LRFindResult(
        lrs=[10 ** (k / 4 - 7) for k in range(28)],
        losses=[2.5e10 - k * 1e8 for k in range(28)],
        suggestion=1.4e-2,
        steepest=2.1e-4,
    )
    plots.plot_lr_find(sweep, tmp_path / "lr_find.png", trained_at=1e-2)
    assert draws[0] == 3
    drawn = figures[-1]
    _check_text_inside_and_apart(drawn, "capped below the suggestion")
    panel = drawn.axes[0].get_window_extent(drawn.canvas.get_renderer())
    assert panel.width > 0.6 * drawn.canvas.get_width_height()[0], panel
    for name in ("curves.png", "lr_find.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
