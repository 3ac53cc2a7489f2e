"""`trainwell fit reviews.csv --text review --target sentiment`, then predict from a table and from stdin."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_support import cli_env, run_cli

pytestmark = pytest.mark.slow

GOOD, BAD = ["great", "wonderful", "loved", "superb"], ["awful", "terrible", "boring", "dreadful"]
FILLER = ["the", "movie", "was", "and", "plot", "acting", "story", "this", "film", "with"]


def reviews(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for index in range(n):
        good = index % 2 == 0
        words = [*rng.choice(FILLER, 6), rng.choice(GOOD if good else BAD)]
        rng.shuffle(words)
        rows.append((" ".join(map(str, words)), "pos" if good else "neg"))
    return pd.DataFrame(rows, columns=["review", "sentiment"])


def test_fit_and_predict_texts(tmp_path: Path) -> None:
    data = tmp_path / "reviews.csv"
    reviews(400, 0).to_csv(data, index=False)
    out = tmp_path / "model"
    fit = run_cli("fit", data, "--text", "review", "--target", "sentiment", "--out", out, "--epochs", "8")
    assert fit.returncode == 0, fit.explain()
    assert "texts" in fit.stdout  # the metric sentences speak of texts, not rows
    new = tmp_path / "new.csv"
    reviews(40, 1).to_csv(new, index=False)
    predicted = run_cli("predict", out, new)
    assert predicted.returncode == 0, predicted.explain()
    table = pd.read_csv(StringIO(predicted.stdout))
    assert (table["prediction"] == reviews(40, 1)["sentiment"]).mean() >= 0.9
    piped = subprocess.run(
        [sys.executable, "-m", "trainwell.cli.app", "predict", str(out), "-"],
        input="a wonderful film with great acting\nawful and boring plot\n",
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=60,
        check=False,
    )
    assert piped.returncode == 0, piped.stderr
    assert list(pd.read_csv(StringIO(piped.stdout))["prediction"]) == ["pos", "neg"]


def test_a_missing_text_column_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "reviews.csv"
    reviews(20, 0).to_csv(data, index=False)
    result = run_cli("fit", data, "--text", "body", "--target", "sentiment", "--out", tmp_path / "m")
    assert result.returncode == 2 and len(result.stderr_lines) == 1, result.explain()
    assert "body" in result.stderr and "review" in result.stderr
