"""``evaluate`` on a file whose first rows have no target: the warnings raised inside the folds name the data rows of
the file, as ``fit`` names them, not those of the table left once the rows without a target were dropped
(trainwell.tabular.evaluation)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trainwell.tabular.data import tabular_data
from trainwell.tabular.evaluation import evaluate_table

#: Data rows (from 1) at the top of the file without a target.
UNLABELLED = 10


def _table(path: Path, rows: int = 120) -> pd.DataFrame:
    """A file of ``rows`` rows, the first :data:`UNLABELLED` without a target; one ``unknown`` among the numbers
    of ``z`` in data row 41; the last half of the labelled rows copies of the first half."""
    rng = np.random.default_rng(0)
    half = (rows - UNLABELLED) // 2
    x = rng.normal(size=half).round(3)
    z = rng.uniform(0, 100, half).round(2)
    y = np.where(x + rng.normal(size=half) > 0, "yes", "no")
    labelled = pd.DataFrame({"x": np.tile(x, 2), "z": np.tile(z, 2).astype(object), "y": np.tile(y, 2)})
    top = pd.DataFrame({"x": rng.normal(size=UNLABELLED).round(3), "z": 1.0, "y": None})
    frame = pd.concat([top, labelled], ignore_index=True)
    frame.loc[40, "z"] = "unknown"  # data row 41: in a fold's validation rows, "outside the training rows"
    frame.to_csv(path, index=False)
    return frame


def _evaluation_warnings(source: Path | pd.DataFrame) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluate_table(source, "y", cv=2, arch="gbdt", baselines=False)
    return [str(warning.message) for warning in caught]


@pytest.mark.parametrize("given", ["file", "DataFrame"])
def test_a_word_outside_a_folds_training_rows_is_named_by_its_data_row_in_the_file(given: str) -> None:
    # It said "(the first: data row 31)": row 41 of the file counted after the ten rows without a target.
    frame = _table(Path("rows.csv"))
    source = Path("rows.csv") if given == "file" else frame
    said = [m for m in _evaluation_warnings(source) if "outside the training rows" in m]
    assert said, "the fold holding data row 41 among its validation rows says so"
    assert all("(the first: data row 41)" in message for message in said), said


def test_copies_across_a_fold_are_named_by_the_data_rows_that_are_copies_in_the_file() -> None:
    frame = _table(Path("rows.csv"))
    said = [m for m in _evaluation_warnings(Path("rows.csv")) if "exact copies of training rows" in m]
    assert said
    for message in said:
        found = re.search(r"data row (\d+), a copy of data row (\d+)", message)
        assert found is not None, message
        copy, original = (int(number) - 1 for number in found.groups())
        assert copy >= UNLABELLED and original >= UNLABELLED, message  # rows that hold a target
        assert frame.iloc[copy].equals(frame.iloc[original]), message  # rows shifted by ten were no copies


def test_the_folds_and_fit_name_the_same_row_for_the_same_cell() -> None:
    # fit reads the rows without a target beside the others (and leaves them out of training): a fold reads them
    # alike, so a warning on the same cell names the same row in both.
    _table(Path("rows.csv"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tabular_data("rows.csv", "y", splits=(list(range(41, 120)), list(range(10, 41))))
    fitted = [str(m.message) for m in caught if "outside the training rows" in str(m.message)]
    assert len(fitted) == 1 and "(the first: data row 41)" in fitted[0], fitted


def test_the_rows_without_a_target_are_said_once_not_again_in_each_fold() -> None:
    _table(Path("rows.csv"))
    said = [m for m in _evaluation_warnings(Path("rows.csv")) if " is missing in " in m]
    assert said == [
        f"target 'y' is missing in {UNLABELLED} of 120 rows of rows.csv (the first: data row 1): those rows are "
        "left out of the folds; trainwell predict answers them"
    ]
