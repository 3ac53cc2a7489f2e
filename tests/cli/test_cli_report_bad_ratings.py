"""``trainwell report MODEL --data ratings.csv`` on a ratings file with bad cells (a tour of bad files): a rating
'five' was a numpy traceback from the report's ratings section, and an empty user id was refused in other words
than fit's. Each is now the one line fit says for the same file, exit 2."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_support import run_cli

from trainwell.collab.pipeline import fit_ratings

FIT = ["--user", "user", "--item", "item", "--target", "rating", "--epochs", "1"]


def ratings() -> pd.DataFrame:
    """Ratings of 1 to 5 by 30 users (u1...) of 40 items (i1...), each pair once."""
    rng = np.random.default_rng(0)
    users, items = np.divmod(rng.choice(30 * 40, 600, replace=False), 40)
    return pd.DataFrame(
        {
            "user": [f"u{number + 1}" for number in users],
            "item": [f"i{number + 1}" for number in items],
            "rating": rng.integers(1, 6, 600),
        }
    )


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ratings") / "model"
    fit_ratings(ratings(), user="user", item="item", rating="rating", out=out, epochs=1, progress=False)
    return out


def with_cell(folder: Path, column: str, row: int, value: str) -> Path:
    """ratings.csv with the cell of ``column`` in data row ``row`` (from 1) written as ``value``."""
    lines = ratings().to_csv(index=False).splitlines()
    cells = lines[row].split(",")
    cells[["user", "item", "rating"].index(column)] = value
    lines[row] = ",".join(cells)
    path = folder / "ratings.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("column", "value", "said"),
    [
        (
            "rating",
            "five",
            "rating column 'rating' of {file} holds 'five' in data row 5, which is not a number",
        ),
        (
            "user",
            "",
            "column 'user' of {file} is empty in 1 of 600 rows (first: data row 5); drop those rows first",
        ),
        ("rating", "inf", "rating column 'rating' of {file} holds inf in data row 5, an infinite value"),
    ],
)
def test_report_refuses_a_bad_ratings_cell_in_one_line_as_fit_does(
    model_dir: Path, tmp_path: Path, column: str, value: str, said: str
) -> None:
    data = with_cell(tmp_path, column, 5, value)
    report = run_cli("report", model_dir, "--data", data, "--out", tmp_path / "r.html")
    assert report.returncode == 2, report.explain()
    assert len(report.stderr_lines) == 1, report.explain()
    assert report.stderr_lines[0].startswith(f"error: {said.format(file=data)}"), report.explain()
    assert not (tmp_path / "r.html").exists()
    fit = run_cli("fit", data, *FIT, "--out", tmp_path / "m")
    assert fit.returncode == 2, fit.explain()
    # fit names the same cell in the same words (a rating of its own training file without "of FILE")
    assert said.format(file=data).replace(f"'rating' of {data}", "'rating'") in fit.stderr, fit.explain()
