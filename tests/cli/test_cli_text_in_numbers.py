"""``trainwell fit`` on a table whose numbers hold a stray cell of text answers with one ``error:`` line naming
the column (or target), the cells and their data rows, exit code 2, and writes nothing: a price written
``12,5 GBP`` in an input, ``unknown`` in a target of prices (with and without ``--task regression``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_support import EPOCHS, run_cli_many

pytestmark = pytest.mark.slow


def _table(n_rows: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    income = rng.gamma(3.0, 1.5, n_rows).round(3)
    return pd.DataFrame(
        {
            "Fare": rng.gamma(2.0, 15.0, n_rows).round(2),
            "Sex": rng.choice(["male", "female"], n_rows),
            "median_income": income,
            "median_house_value": (income * 50000 + rng.normal(0, 20000, n_rows)).round(1),
            "Survived": rng.integers(0, 2, n_rows),
        }
    )


def test_text_in_numbers_is_one_error_line_naming_the_cells(tmp_path: Path) -> None:
    fares = _table().astype({"Fare": object})
    fares.loc[5, "Fare"] = "12,5 GBP"
    fares.drop(columns="median_house_value").to_csv(tmp_path / "fares.csv", index=False)
    houses = _table().drop(columns="Survived").astype({"median_house_value": object})
    houses.loc[10, "median_house_value"] = "N/A"
    houses.loc[11, "median_house_value"] = "unknown"
    houses.to_csv(tmp_path / "houses.csv", index=False)
    runs = {
        "input": (["fares.csv", "--target", "Survived"], "column 'Fare' of "),
        "target": (["houses.csv", "--target", "median_house_value"], "target 'median_house_value' "),
        "regression": (
            ["houses.csv", "--target", "median_house_value", "--task", "regression"],
            "target 'median_house_value' ",
        ),
    }
    results = run_cli_many(
        [
            ["fit", tmp_path / args[0], *args[1:], "--out", tmp_path / f"model_{name}", *EPOCHS]
            for name, (args, _) in runs.items()
        ]
    )
    cells = {
        "input": "holds numbers but 1 of its 120 values is text: '12,5 GBP' (data row 6); ",
        "target": "holds numbers but 1 of its 119 values is text: 'unknown' (data row 12); ",
    }
    cells["regression"] = cells["target"]
    for (name, (_, start)), result in zip(runs.items(), results, strict=True):
        assert result.returncode == 2, result.explain()
        errors = [line for line in result.stderr_lines if line.startswith("error: ")]
        assert len(errors) == 1 and "Traceback" not in result.stderr, result.explain()
        assert errors[0].startswith(f"error: {start}") and cells[name] in errors[0], result.explain()
        assert "number of unique classes" not in result.stderr  # scikit-learn's words never reach the user
        assert not (tmp_path / f"model_{name}").exists()
