"""``curves.png`` marks the epoch whose weights the model kept: a table's MLP said "kept epoch 9's weights" while
its curves ran to epoch 12 with nothing on them saying which epoch the model was; now a dash-dotted line labelled
``kept: epoch 9`` stands on the loss panel (at the batch that epoch ended) and on each metric panel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

import trainwell
from trainwell.callbacks import SaveBest
from trainwell.data import tensor_data
from trainwell.learner import Callback, Learner, plots

#: An MLP at this rate for this many epochs overfits the noisy table below: its validation loss rises after its low.
OVERFIT = {"epochs": 8, "lr": 3e-2, "arch": "mlp", "seed": 0}


def noisy_table(n_rows: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n_rows, 10)), columns=[f"x{i}" for i in range(10)])
    frame["y"] = (frame["x0"] + rng.normal(scale=1.5, size=n_rows) > 0).astype(int)
    return frame


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The figures of the curves, kept instead of written (still written as an empty file, for the callers)."""
    figures: list[Any] = []

    def keep(figure: Any, path: Path) -> Path:
        figures.append(figure)
        path.write_bytes(b"")
        return path

    monkeypatch.setattr(plots, "_save", keep)
    yield figures
    for figure in figures:
        plots._pyplot().close(figure)


def kept_marks(figure: Any) -> list[tuple[str, str, float]]:
    """(panel title, label, x) of each line labelled ``kept: ...``, with the legend entries it has."""
    marks = []
    for axis in figure.axes:
        legend = axis.get_legend()
        shown = {text.get_text() for text in legend.get_texts()} if legend is not None else set()
        for line in axis.lines:
            label = str(line.get_label())
            if label.startswith("kept"):
                assert label in shown, f"{label!r} is not in the legend of {axis.get_title()!r}"
                marks.append((axis.get_title(), label, float(line.get_xdata()[0])))
    return marks


def test_the_tables_kept_epoch_is_marked_where_the_fit_said_it(
    tmp_path: Path, drawn: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    run = trainwell.fit_table(noisy_table(), "y", out=tmp_path / "m", progress=True, **OVERFIT)  # type: ignore[arg-type]
    seen = [row["valid_loss"] for row in run.learn.history]
    kept = int(np.argmin(seen)) + 1
    assert kept < len(seen)  # the fit overfitted and kept an earlier epoch: the test can tell
    said = capsys.readouterr()
    assert f"kept epoch {kept}'s weights" in said.out + said.err
    ends = run.learn.recorder.epoch_ends
    marks = kept_marks(drawn[-1])  # the model directory's curves.png, drawn last
    assert marks == [
        ("Loss", f"kept: epoch {kept}", float(ends[kept - 1])),
        ("Validation metrics", f"kept: epoch {kept}", float(kept)),
    ]
    # The valid_loss point the loss panel's line goes through is the kept epoch's, the figure the results give.
    loss_axis = drawn[-1].axes[0]
    valid = next(line for line in loss_axis.lines if line.get_label() == "valid_loss")
    assert float(valid.get_ydata()[list(valid.get_xdata()).index(ends[kept - 1])]) == pytest.approx(
        run.metrics["valid_loss"]
    )


def test_the_last_epochs_weights_mark_nothing(tmp_path: Path, drawn: list[Any]) -> None:
    run = trainwell.fit_table(
        noisy_table(), "y", out=tmp_path / "m", progress=False, keep_best=False, **OVERFIT
    )  # type: ignore[arg-type]
    assert run.learn.weights_row is None and drawn
    assert kept_marks(drawn[-1]) == []


class Scripted(Callback):
    """The validation loss of each epoch, as scripted (after the Recorder wrote the row, before SaveBest)."""

    order = 0

    def __init__(self, values: list[float]) -> None:
        self.values = values

    def after_epoch(self, learn: Learner) -> None:
        learn.history[-1]["valid_loss"] = self.values[len(learn.history) - 1]


def test_recorder_plot_marks_the_best_epoch_save_best_loaded_back_over_two_fits(
    tmp_path: Path, drawn: list[Any]
) -> None:
    torch.manual_seed(0)
    x = torch.randn(80, 3)
    data = tensor_data(x, (x @ torch.tensor([1.0, -2.0, 0.5])).numpy(), valid_pct=0.25, batch_size=16, seed=0)
    learn = Learner(nn.Linear(3, 1), data, progress=False, device="cpu", lr=0.05)
    scripted = Scripted([9.0, 5.0, 3.0, 1.0, 4.0])
    learn.fit(
        2, callbacks=[scripted]
    )  # a first fit (fine-tuning's frozen epochs): the second goes on counting
    learn.fit(3, callbacks=[scripted, SaveBest()])  # its best: its second epoch, the 4th of the history
    assert learn.final_row["epoch"] == 4 and learn.weights_row == 3
    learn.recorder.plot(tmp_path / "curves.png")
    marks = kept_marks(drawn[-1])
    assert marks[0] == ("Loss", "kept: epoch 4", float(learn.recorder.epoch_ends[3]))
    assert len(marks) >= 2 and all(mark[1:] == ("kept: epoch 4", 4.0) for mark in marks[1:])  # rmse, mae, r2
    learn.fit(1, callbacks=[scripted.__class__([9.0] * 6)])  # a later fit holds its own last epoch's weights
    learn.recorder.plot(tmp_path / "curves.png")
    assert kept_marks(drawn[-1]) == []
