"""The Recorder keeps every parameter group's learning rate, and ``recorder.plot()`` draws one line per group
when discriminative rates made them differ (``slice(1e-4, 1e-2)`` over 3 groups drew one line, the last group's,
as if the whole model had trained at it); one line when they were equal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from callbacks_helpers import regression_data
from torch import nn

from trainwell.learner import Learner, plots


class ThreeGroups(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b, self.c = nn.Linear(3, 4), nn.Linear(4, 4), nn.Linear(4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c(torch.relu(self.b(torch.relu(self.a(x))))).squeeze(-1)

    def layer_groups(self) -> list[nn.Module]:
        return [self.a, self.b, self.c]


def _drawn(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    drawn: list[Any] = []
    save = plots._save
    monkeypatch.setattr(plots, "_save", lambda figure, path: (drawn.append(figure), save(figure, path))[1])
    return drawn


def _lr_panel(figure: Any) -> Any:
    return next(axis for axis in figure.axes if axis.get_title() == "Learning rate")


def test_discriminative_rates_draw_a_line_per_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(0)
    learn = Learner(ThreeGroups(), regression_data(), progress=False, device="cpu")
    learn.fit_one_cycle(2, slice(1e-4, 1e-2))
    recorder = learn.recorder
    assert len(recorder.group_lrs) == len(recorder.lrs) > 0
    peak = max(recorder.group_lrs, key=lambda rates: rates[-1])
    assert peak == pytest.approx((1e-4, 1e-3, 1e-2), rel=1e-6)
    assert [rates[-1] for rates in recorder.group_lrs] == recorder.lrs  # lrs: the last group's, as before
    drawn = _drawn(monkeypatch)
    recorder.plot(tmp_path / "curves.png")
    panel = _lr_panel(drawn[-1])
    assert [line.get_label() for line in panel.get_lines()] == ["group 0", "group 1", "group 2"]
    assert max(panel.get_lines()[0].get_ydata()) == pytest.approx(1e-4, rel=1e-6)
    assert panel.get_legend() is not None
    # A resume keeps them.
    state = recorder.state_dict()
    recorder.group_lrs = []
    recorder.load_state_dict(state, torch.device("cpu"))
    assert recorder.aligned_group_lrs() == [tuple(rates) for rates in state["group_lrs"]]


def test_equal_rates_draw_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(0)
    learn = Learner(ThreeGroups(), regression_data(), progress=False, device="cpu")
    learn.fit_one_cycle(1, 1e-2)
    drawn = _drawn(monkeypatch)
    learn.recorder.plot(tmp_path / "curves.png")
    panel = _lr_panel(drawn[-1])
    assert len(panel.get_lines()) == 1 and panel.get_legend() is None


def test_a_sweep_leaves_the_group_rates_in_step_with_the_rates(tmp_path: Path) -> None:
    torch.manual_seed(0)
    learn = Learner(ThreeGroups(), regression_data(), progress=False, device="cpu")
    learn.fit_one_cycle(1, slice(1e-4, 1e-2))
    with pytest.warns(UserWarning, match="lr_find ran on a model trained"):
        learn.lr_find(num_it=10)
    assert len(learn.recorder.aligned_group_lrs()) == len(learn.recorder.lrs)
    learn.fit_one_cycle(1, slice(1e-4, 1e-2))
    assert len(learn.recorder.group_lrs) == len(learn.recorder.lrs)
    learn.recorder.plot(tmp_path / "curves.png")


def test_the_model_directorys_curves_draw_a_line_per_group(monkeypatch: pytest.MonkeyPatch) -> None:
    """curves.png beside an exported model (run_files) drew the last group's rate alone after discriminative
    rates, while recorder.plot() drew each group's."""
    from trainwell.learner.run_files import run_files

    torch.manual_seed(0)
    learn = Learner(ThreeGroups(), regression_data(), progress=False, device="cpu")
    learn.fit_one_cycle(1, slice(1e-4, 1e-2))
    drawn = _drawn(monkeypatch)
    files = run_files(learn, None)
    assert "curves.png" in files
    panel = _lr_panel(drawn[-1])
    assert [line.get_label() for line in panel.get_lines()] == ["group 0", "group 1", "group 2"]
