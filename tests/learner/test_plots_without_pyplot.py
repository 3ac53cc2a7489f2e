"""The training plots are drawn without importing matplotlib's pyplot: its import (backend machinery, figure
manager) cost seconds at the end of every fit, and the figures it made had to be closed."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from trainwell.learner import plots

DRAW_ALL = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    import torch

    from trainwell.learner import plots
    from trainwell.learner.lr_find import LRFindResult

    out = Path(sys.argv[1])
    history = [{"fit": 1, "epoch": i + 1, "train_loss": 1.0 / (i + 1), "valid_loss": 1.2 / (i + 1),
                "accuracy": 0.6 + 0.1 * i} for i in range(3)]
    written = [
        plots.plot_history(history, [0.01] * 30, [1.0 / (b + 1) for b in range(30)], out / "curves.png",
                           kept_epoch=2),
        plots.plot_lr_find(LRFindResult(lrs=[1e-5, 1e-4, 1e-3, 1e-2], losses=[1.0, 0.9, 0.5, 2.0],
                                        suggestion=1e-4), out / "lr_find.png", trained_at=3e-4),
        plots.image_grid(torch.rand(3, 3, 8, 8), ["a", "b", "c"], ["green"] * 3, out / "grid.png", "batch"),
    ]
    print(json.dumps({"pyplot": "matplotlib.pyplot" in sys.modules, "written": [str(p) for p in written]}))
    """
)


def test_a_fits_plots_do_not_import_pyplot(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", DRAW_ALL, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["pyplot"] is False
    for name in ("curves.png", "lr_find.png", "grid.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_curves_figure_still_marks_the_kept_epoch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[Any] = []

    def keep(figure: Any, path: Path) -> Path:
        drawn.append(figure)
        return path

    monkeypatch.setattr(plots, "_save", keep)
    history = [
        {"fit": 1, "epoch": i + 1, "train_loss": 1.0, "valid_loss": 1.0, "accuracy": 0.5} for i in range(3)
    ]
    plots.plot_history(history, [0.1] * 6, [1.0] * 6, tmp_path / "curves.png", kept_epoch=2)
    labels = [line.get_label() for axis in drawn[0].axes for line in axis.lines]
    assert labels.count(plots.KEPT_LABEL.format(epoch=2)) == 2  # the loss panel and the metric panel
    assert drawn[0].canvas.manager is None  # a figure pyplot never saw: nothing to close
