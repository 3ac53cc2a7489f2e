"""A target of many whole numbers that could be class codes (``row % 150``) is read as a regression, as before,
but now says so in one note with the override (``--task multiclass``); it became a regression with no word said."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trainwell
from process_support import run_trainwell
from trainwell.core.warn import Note


def _table(target: np.ndarray) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {"x": rng.normal(size=len(target)), "c": rng.choice(["a", "b"], len(target)), "y": target}
    )


def _notes(frame: pd.DataFrame, **options: object) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainwell.tabular_data(frame, "y", **options)  # type: ignore[arg-type]
    return [
        str(w.message)
        for w in caught
        if issubclass(w.category, Note) and "read as a regression" in str(w.message)
    ]


def test_class_codes_read_as_a_regression_are_said() -> None:
    frame = _table(np.arange(300) % 150)
    notes = _notes(frame)
    assert notes == [
        "target 'y' read as a regression: it holds 150 different whole numbers (0 to 149), more than the 20 read as "
        "classes; if they are class codes, pass --task multiclass (Python: task='multiclass')"
    ]


@pytest.mark.parametrize(
    "target",
    [
        np.arange(300) % 15,  # 15 codes: classes, as before
        np.linspace(15_000, 500_001, 300).round(),  # prices: whole numbers, but no codes
        np.random.default_rng(1).normal(size=300),  # fractions
        -(np.arange(300) % 150),  # negative
    ],
)
def test_other_targets_get_no_note(target: np.ndarray) -> None:
    assert _notes(_table(target)) == []


def test_no_note_when_the_task_is_given() -> None:
    assert _notes(_table(np.arange(300) % 150), task="regression") == []


def test_the_command_line_prints_it_as_a_note(tmp_path: Path) -> None:
    _table(np.arange(300) % 150).to_csv(tmp_path / "codes.csv", index=False)
    done = run_trainwell(
        "fit", "codes.csv", "--target", "y", "--epochs", "1", "--out", "m", cwd=tmp_path, timeout=300
    )
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if "read as a regression" in line]
    assert (
        len(said) == 1
        and said[0].startswith("note: target 'y' read as a regression")
        and "--task multiclass" in said[0]
    )
