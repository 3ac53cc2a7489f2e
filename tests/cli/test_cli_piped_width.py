"""Output redirected to a file (no terminal, COLUMNS unset) is laid out 100 columns wide: a fit's table with its
"what it means here" column was written about 190 wide, which logs and CI wrap badly. COLUMNS still wins."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from process_support import command_env, run_python


def _fit_output(tmp_path: Path, columns: str | None) -> str:
    rng = np.random.default_rng(0)
    rows = pd.DataFrame({"a": rng.normal(size=120), "b": rng.normal(size=120)})
    rows["y"] = np.where(rows["a"] + rows["b"] > 0, "yes", "no")
    table = tmp_path / "t.csv"
    rows.to_csv(table, index=False)
    env = command_env()
    env.pop("COLUMNS")
    if columns is not None:
        env["COLUMNS"] = columns
    out = tmp_path / f"out_{columns}.txt"
    args = [
        "-m",
        "trainwell.cli.app",
        "fit",
        table,
        "--target",
        "y",
        "--arch",
        "gbdt",
        "--out",
        tmp_path / "m",
    ]
    done = run_python(args, env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    out.write_text(done.stdout)  # what a file holds: the command's stdout was not a terminal
    return out.read_text()


def test_a_fit_written_to_a_file_keeps_to_100_columns(tmp_path: Path) -> None:
    said = _fit_output(tmp_path, None)
    assert "what it means here" in said
    assert max(len(line) for line in _table_lines(said)) <= 100, said
    wide = _fit_output(tmp_path, "160")
    assert max(len(line) for line in _table_lines(wide)) > 100  # COLUMNS wins; the table would be wider


def _table_lines(text: str) -> list[str]:
    """The lines of the tables (a sentence under a table is one line, which a reader's window wraps)."""
    lines = [line for line in text.splitlines() if line[:1] in set("┏┃┡│└")]
    assert len(lines) > 5, text
    return lines
