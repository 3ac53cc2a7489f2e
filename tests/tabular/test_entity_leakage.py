"""The same entity on both sides of a split (a patient's visits, repeated with a little noise) is warned of, naming
the column to group by; exact copies are still said as before; real tables stay quiet.

A statistician's audit: 150 patients with 3 rows each and a pure-noise target, one feature jittered by 0.01 per
visit, were cross-validated to "beats majority class" (logistic 0.947 accuracy) with no warning at all: the check
for exact copies missed every jittered row."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trainwell
from trainwell.tabular import tabular_data

#: Words each warning holds, to pick it out of the others.
ENTITY = "repeats across the training and validation rows"
NEAR = "nearly copy training rows"
EXACT = "are exact copies of training rows"


def visits(n_patients: int = 150, per_patient: int = 3, jitter: float = 0.01, seed: int = 0) -> pd.DataFrame:
    """The audit's dup.csv: each patient's row repeated ``per_patient`` times with ``a`` jittered by ``jitter``,
    and a target drawn at random per patient (nothing to learn but who the patient is)."""
    rng = np.random.default_rng(seed)
    once = pd.DataFrame(
        {
            "patient_id": [f"p{number}" for number in range(n_patients)],
            "a": rng.normal(size=n_patients),
            "b": rng.normal(size=n_patients),
            "c": rng.choice(["x", "y", "z"], n_patients),
            "y": rng.integers(0, 2, n_patients),
        }
    )
    rows = once.loc[once.index.repeat(per_patient)].reset_index(drop=True)
    rows["a"] += rng.uniform(-jitter, jitter, len(rows))
    return rows.sample(frac=1, random_state=seed).reset_index(drop=True)


def said(run: Callable[[], object], words: str) -> list[str]:
    """The warnings holding ``words`` that ``run()`` raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run()
    return [str(w.message) for w in caught if words in str(w.message)]


def test_a_fit_names_the_column_repeating_a_patient_across_the_split(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    visits().to_csv(path, index=False)
    entity = said(lambda: tabular_data(path, "y", seed=0), ENTITY)
    assert len(entity) == 1, entity
    assert entity[0].startswith(f"column 'patient_id' {ENTITY} of {path}: ")
    share = entity[0].split(": ")[1]
    count, total = (int(n) for n in share.split(" validation rows")[0].split(" of "))
    assert total == 90 and count > total / 2  # 3 visits each: most validation rows have one in training
    assert entity[0].endswith(
        "hold whole entities out with --valid-col COLUMN (Python: valid_col=), and evaluate with --groups "
        "patient_id (Python: groups='patient_id')"
    )
    # One line: the near copies it explains are not said again, and no row is an exact copy.
    assert said(lambda: tabular_data(path, "y", seed=0), NEAR) == []
    assert said(lambda: tabular_data(path, "y", seed=0), EXACT) == []


def test_the_column_is_named_even_when_ignored_as_an_input() -> None:
    # Left out of the inputs, the ID still says which rows are one patient: the leak is the patient's rows.
    entity = said(lambda: tabular_data(visits(), "y", ignore=["patient_id"], seed=0), ENTITY)
    assert len(entity) == 1 and entity[0].startswith("column 'patient_id' ")


def test_an_evaluation_advises_grouping_by_it_and_is_quiet_once_grouped() -> None:
    frame = visits()
    loose = said(lambda: trainwell.evaluate_table(frame, "y", cv=3, arch="gbdt", baselines=False), ENTITY)
    assert loose, "random folds put a patient's visits on both sides"
    assert all(
        message.startswith(f"column 'patient_id' {ENTITY}")
        and message.endswith("pass --groups patient_id (Python: groups='patient_id')")
        for message in loose
    )
    grouped = lambda: trainwell.evaluate_table(  # noqa: E731
        frame, "y", cv=3, arch="gbdt", groups="patient_id", baselines=False
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        grouped()
    messages = [str(w.message) for w in caught]
    assert not [m for m in messages if ENTITY in m or NEAR in m or EXACT in m], messages


def test_near_copies_without_an_id_column_are_warned_of() -> None:
    # No column names the patient: the jittered visits are caught as near copies, which exact copies are not.
    frame = visits().drop(columns="patient_id")
    near = said(lambda: tabular_data(frame, "y", seed=0), NEAR)
    assert len(near) == 1, near
    count, total = (int(n) for n in near[0].split(" validation rows")[0].split(" of "))
    assert total == 90 and count > total / 2
    assert "(the first: data row " in near[0] and ", like data row " in near[0]
    assert near[0].endswith(
        "keep each group of copies on one side with --valid-col COLUMN (Python: valid_col=)"
    )
    assert said(lambda: tabular_data(frame, "y", seed=0), EXACT) == []
    # Jitter as wide as the column's spread is not a near copy.
    far = visits(jitter=3.0).drop(columns="patient_id")
    assert said(lambda: tabular_data(far, "y", seed=0), NEAR) == []


def test_an_id_column_whose_rows_have_nothing_in_common_is_not_an_entity() -> None:
    # The same ID column over rows drawn apart, each with its own target: a value shared across the split, but its
    # rows share nothing, so nothing leaks through it.
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "patient_id": [f"p{number}" for number in rng.integers(0, 150, 450)],
            "a": rng.normal(size=450),
            "b": rng.normal(size=450),
            "y": rng.integers(0, 2, 450),
        }
    )
    assert said(lambda: tabular_data(frame, "y", seed=0), ENTITY) == []
    assert said(lambda: tabular_data(frame, "y", seed=0), NEAR) == []


def test_exact_copies_are_still_said_and_the_column_beside_them() -> None:
    frame = visits(jitter=0.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainwell.evaluate_table(frame, "y", cv=3, arch="gbdt", baselines=False)
    messages = [str(w.message) for w in caught]
    exact = [m for m in messages if EXACT in m]
    assert exact and all(
        m.endswith("keep each group of copies in one fold with --groups COLUMN, a column the copies share (Python: "
                   "groups=)")
        for m in exact
    )  # fmt: skip
    assert any(m.startswith(f"column 'patient_id' {ENTITY}") for m in messages)
    assert not [m for m in messages if NEAR in m]  # the exact copies say it


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("adult/adult.data.gz", "class"),
        ("bank_marketing/bank-additional-full.csv.gz", "y"),
        ("california_housing/housing.csv.gz", "median_house_value"),
        ("titanic/train.csv.gz", "Survived"),
    ],
)
def test_real_tables_are_quiet(shared_data: Path, path: str, target: str) -> None:
    # Titanic's PassengerId, Name and Ticket are (mostly) one per row; Adult repeats its categories in many rows;
    # California's counts of rooms recur, unrelated to the price: none is an entity seen twice.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tabular_data(shared_data / path, target, seed=0)
    messages = [str(w.message) for w in caught]
    assert not [m for m in messages if ENTITY in m or NEAR in m or EXACT in m], messages
