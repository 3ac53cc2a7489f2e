"""``trainwell fit book.csv`` on an Excel workbook renamed ``.csv``: one line naming it and the name to give it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from cli_support import run_cli


def test_fit_on_an_excel_workbook_named_csv(tmp_path: Path) -> None:
    named = tmp_path / "excel.csv"
    frame = pd.DataFrame({"age": range(40), "survived": [0, 1] * 20})
    frame.to_excel(named, index=False, engine="openpyxl")  # the engine given: the name says CSV
    done = run_cli("fit", named.name, "--target", "survived", "--epochs", "1", "--out", "m", cwd=tmp_path)
    assert done.returncode == 2, done.explain()
    assert done.stderr_lines == [
        "error: 'excel.csv' is an Excel workbook (xlsx), not CSV text: rename it excel.xlsx (trainwell reads its "
        "first sheet) or save the sheet as CSV"
    ], done.explain()
    assert not (tmp_path / "m").exists()
