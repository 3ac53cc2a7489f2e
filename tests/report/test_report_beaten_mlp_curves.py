"""A report on boosted trees that fit --arch auto kept shows the curves of the MLP they were compared with."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import trainwell
from trainwell.report.build import build_report


def test_the_trees_report_shows_the_curves_of_the_mlp_they_beat(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0, 10, 500), rng.uniform(0, 10, 500)
    frame = pd.DataFrame({"a": a, "b": b, "y": np.where((a > 6.5) ^ (b < 2.5), "yes", "no")})
    run = trainwell.fit_table(frame, "y", out=tmp_path / "m", progress=False)
    assert run.arch == "gbdt" and (tmp_path / "m" / "mlp_curves.png").is_file()
    page = build_report(tmp_path / "m", None).read_text(encoding="utf-8")
    # The trees have no curves of their own (said), and the MLP's were kept beside them but left off the page.
    assert "so there are no training curves" in page
    assert "The MLP the trees were compared with trained as follows (mlp_curves.png):" in page
    assert 'alt="training curves of the MLP compared"' in page
