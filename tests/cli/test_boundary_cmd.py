"""`trainwell boundary` through the real command line: generate 2-D data, then draw the boundaries and the GIF."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from cli_support import PNG_SIGNATURE, run_cli, run_cli_many
from PIL import Image

pytestmark = pytest.mark.slow  # every test starts fresh interpreters (a few seconds each on 2 shared cores)
FAST = ["--grid", "40", "--epochs", "3", "--frames", "5"]


def test_generate_then_draw_the_boundaries_and_the_mlp_gif(tmp_path: Path) -> None:
    data = tmp_path / "points.csv"
    made = run_cli("boundary", "--generate", "gaussian", "--n", "160", "--seed", "1", data)
    assert made.returncode == 0, made.explain()
    assert "points.generator.json" in made.stdout, made.explain()
    assert json.loads((tmp_path / "points.generator.json").read_text())["generator"] == "gaussian"
    assert len(pd.read_csv(data)) == 160

    out = tmp_path / "plots" / "boundary.png"
    drawn = run_cli("boundary", data, "--models", "logistic,qda,mlp", "--out", out, *FAST)
    assert drawn.returncode == 0, drawn.explain()
    for name in ("logistic", "qda", "mlp", "optimal (gaussian)", "boundary.png", "boundary_mlp.gif"):
        assert name in drawn.stdout, drawn.explain()
    assert "│ majority class (" in drawn.stdout, drawn.explain()  # the score to beat, in the table
    # The note under the table on one line, not wrapped to the table's narrow width.
    assert "40 of 160 points held out and scored; the majority class is the most common among the 120" in (
        drawn.stdout
    ), drawn.explain()
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(out.with_name("boundary_mlp.gif")) as gif:
        assert gif.format == "GIF" and gif.n_frames == 5


def test_user_mistakes_print_one_line_and_exit_2(tmp_path: Path) -> None:
    wide = tmp_path / "wide.csv"
    pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0], "c": [5.0, 6.0], "y": [0, 1]}).to_csv(wide, index=False)
    unknown, too_wide, missing = run_cli_many(
        [
            ["boundary", wide, "--models", "logistic,svn"],
            ["boundary", wide, "--models", "qda"],
            ["boundary", tmp_path / "absent.csv", "--models", "qda"],
        ],
        cwd=tmp_path,
    )
    expected = [
        (unknown, "unknown model(s) svn; known models: logistic, qda, knn, svm, tree, forest, gbm, mlp"),
        (too_wide, "3 feature columns besides target 'y' (a, b, c)"),
        (missing, "absent.csv not found"),
    ]
    for result, text in expected:
        assert result.returncode == 2, result.explain()
        assert len(result.stderr_lines) == 1 and result.stderr_lines[0].startswith("error:"), result.explain()
        assert text in result.stderr, result.explain()
    assert not (tmp_path / "boundary.png").exists()
