"""A dataset's own description saying a column leaks (bank marketing's call ``duration``, known only once the
call is over) is passed on as a warning when the table is read from beside it."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trainwell.data.documented import documented_leaks
from trainwell.tabular import tabular_data


def _calls(folder: Path) -> Path:
    """A table of calls whose length says the outcome, as bank marketing's does, in ``folder``."""
    rng = np.random.default_rng(0)
    seconds = rng.integers(0, 900, 200)
    frame = pd.DataFrame(
        {"age": rng.integers(18, 90, 200), "duration": seconds, "y": np.where(seconds > 400, "yes", "no")}
    )
    folder.mkdir(parents=True, exist_ok=True)
    frame.assign(y=np.where(rng.random(200) < 0.1, "yes", frame["y"])).to_csv(
        folder / "calls.csv", index=False
    )
    return folder / "calls.csv"


def test_a_column_the_description_says_leaks_is_warned_of(tmp_path: Path) -> None:
    # `trainwell fit bank-additional-full.csv.gz --target y` used duration without a word, while the names file
    # beside it says to discard it: no statistical check singles it out (alone, ROC AUC 0.818).
    data = _calls(tmp_path / "bank")
    (tmp_path / "bank" / "calls-names.txt").write_text(
        "Attributes:\n  1 - age (numeric)\n  2 - duration: the call's length in seconds. The duration is not known "
        "before a call is made, so keep it for benchmarks only.\n",
        encoding="utf-8",
    )
    with pytest.warns(UserWarning) as caught:
        tabular_data(data, "y")
    said = [str(w.message) for w in caught if "beside the data" in str(w.message)]
    assert said == [
        f"'{tmp_path / 'bank' / 'calls-names.txt'}' beside the data says of column 'duration': \"The duration is "
        'not known before a call is made, so keep it for benchmarks only."; if it is not known when predicting, '
        "drop it with --ignore duration (Python: ignore=['duration'])"
    ]
    with warnings.catch_warnings(record=True) as quiet:
        warnings.simplefilter("always")
        tabular_data(data, "y", ignore=["duration"])
    assert not [w for w in quiet if "beside the data" in str(w.message)]


def test_only_descriptions_that_warn_of_a_leak_and_name_an_input_count(tmp_path: Path) -> None:
    data = _calls(tmp_path / "plain")
    folder = data.parent
    (folder / "README.md").write_text(
        "The duration column is in seconds. Ages are in years.\n", encoding="utf-8"
    )
    assert documented_leaks(data, ["age", "duration"]) == []
    (folder / "notes.csv").write_text(
        "column,note\nduration,leaks the outcome\n", encoding="utf-8"
    )  # data, not docs
    assert documented_leaks(data, ["age", "duration"]) == []
    (folder / "README.md").write_text(
        "Watch for leakage: duration-like fields were removed.\n", encoding="utf-8"
    )
    assert documented_leaks(data, ["duration"]) == []  # 'duration-like' is another word
    (folder / "README.md").write_text("Note: `duration` leaks the target.\n", encoding="utf-8")
    assert [(column, path.name) for column, path, _ in documented_leaks(data, ["age", "duration"])] == [
        ("duration", "README.md")
    ]


def test_a_leak_named_in_one_clause_does_not_taint_the_columns_of_the_others(tmp_path: Path) -> None:
    # A report beside the data: one long sentence of findings joined by semicolons, one of them about a leak.
    (tmp_path / "report.md").write_text(
        "**What worked**: reading the file; the `duration` leak warning taken from SOURCE.md; missing values "
        "(housing `total_bedrooms`, Titanic Age) handled.\n",
        encoding="utf-8",
    )
    found = documented_leaks(tmp_path / "bank.csv", ["age", "housing", "duration"])
    assert [column for column, _, _ in found] == ["duration"]
