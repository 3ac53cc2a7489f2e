"""A plot's axis writes a loss of billions as the text beside it does (``2.5e9`` near the text's ``1.955e9``),
never in an engineering prefix (``2.5G``) that the text never uses; read from the tick labels of real figures."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from trainwell.core.numbers import compact
from trainwell.core.ticks import compact_labels

#: A tick as :func:`trainwell.core.numbers.compact` writes a figure: a mantissa and a bare power of ten.
AS_TEXT = re.compile(r"-?\d+(\.\d+)?e\d+|0")


def _labels(axis: Any) -> tuple[list[str], list[str]]:
    axis.figure.canvas.draw()
    return [tick.get_text() for tick in axis.get_xticklabels()], [
        tick.get_text() for tick in axis.get_yticklabels()
    ]


def test_the_loss_curves_of_a_price_model_write_the_loss_as_the_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # California housing's curves: batch losses from 1.9e10 down to 2.6e9 squared dollars, the text's 2.534e9.
    from trainwell.learner import plots

    drawn: list[Any] = []
    monkeypatch.setattr(plots, "_save", lambda figure, path: drawn.append(figure) or path)
    history = [
        {"fit": 1, "epoch": epoch, "train_loss": loss, "valid_loss": loss * 0.8, "rmse": rmse}
        for epoch, (loss, rmse) in enumerate([(5.5e9, 63_800.0), (2.9e9, 50_300.0)])
    ]
    batches = [1.9e10, 9e9, 6e9, 5e9, 4e9, 3.5e9, 3e9, 2.6e9]
    plots.plot_history(history, [0.001] * 8, batches, tmp_path / "c.png")
    _, loss = _labels(drawn[0].axes[0])
    assert loss and all(AS_TEXT.fullmatch(label) for label in loss), loss
    assert not [label for label in loss if "G" in label or "+" in label], loss
    # One power of ten for the axis, the power the text writes the last losses in (2.534e9: e9), so a reader
    # finds the text's figure between two ticks.
    powers = {label.split("e")[1] for label in loss if "e" in label}
    assert powers == {compact(2.534e9).split("e")[1]}, loss
    _, errors = _labels(drawn[0].axes[1])  # an RMSE in dollars keeps its short form
    assert any(label.endswith("k") for label in errors), errors


def test_tick_labels_from_ten_million_share_one_power_of_ten() -> None:
    assert compact_labels([0, 5e9, 1e10, 1.5e10, 2e10]) == ["0", "5e9", "10e9", "15e9", "20e9"]
    assert compact_labels([0.5e9, 1e9, 3e9]) == ["0.5e9", "1.0e9", "3.0e9"]
    assert compact_labels([-2e8, 0, 2e8]) == ["-2e8", "0", "2e8"]
    assert compact_labels([0, 2.5e9, 5e9, 7.5e9, 1e10]) == ["0", "2.5e9", "5.0e9", "7.5e9", "10.0e9"]
    # below 10 million, where the text writes figures whole (9,999,999), the short forms stay
    assert compact_labels([0, 50_000, 100_000]) == ["0", "50k", "100k"]
    assert compact_labels([1e6, 2.5e6]) == ["1.0M", "2.5M"]
