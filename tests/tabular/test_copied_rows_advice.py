"""The warning on validation rows that copy training rows advises what keeps copies apart where it is raised:
a fit's validation column (``valid_col=``, ``--valid-col``), a cross-validation's grouped folds (``groups=``,
``--groups``), which an evaluation takes instead of a validation column."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

import trainwell
from trainwell.tabular import tabular_data


def visits(n_patients: int = 40, per_patient: int = 3) -> pd.DataFrame:
    """A patient's visits recorded as identical rows (a join that repeated them): random splits put copies on
    both sides."""
    rng = np.random.default_rng(0)
    once = pd.DataFrame(
        {
            "age": rng.integers(20, 80, n_patients),
            "dose": rng.normal(size=n_patients).round(3),
            "ward": rng.choice(["a", "b", "c"], n_patients),
        }
    )
    once["y"] = np.where(once["dose"] + (once["ward"] == "a") > 0.3, "yes", "no")
    once["patient"] = [f"p{number}" for number in range(n_patients)]
    return once.loc[once.index.repeat(per_patient)].reset_index(drop=True)


def copies_said(run: object) -> list[str]:
    """The warnings on copied rows that ``run()`` raised."""
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        run()  # type: ignore[operator]
    return [str(w.message) for w in said if "exact copies of training rows" in str(w.message)]


def test_a_fit_advises_a_validation_column() -> None:
    said = copies_said(lambda: tabular_data(visits(), "y", ignore=["patient"], seed=0))
    assert said and said[0].endswith(
        "keep each group of copies on one side with --valid-col COLUMN (Python: valid_col=)"
    )
    assert "--groups" not in said[0]


def test_an_evaluation_advises_grouped_folds_and_a_fit_after_it_a_validation_column() -> None:
    frame = visits()
    said = copies_said(
        lambda: trainwell.evaluate_table(frame, "y", cv=3, arch="gbdt", ignore=["patient"], baselines=False)
    )
    assert said, "random folds put a patient's copies on both sides"
    assert all("--groups COLUMN, a column the copies share (Python: groups=)" in message for message in said)
    assert not any("valid-col" in message or "valid_col" in message for message in said)
    # The wording is the evaluation's only while its folds are read.
    after = copies_said(lambda: tabular_data(frame, "y", ignore=["patient"], seed=0))
    assert after and "--valid-col COLUMN" in after[0]
    # Grouped by the patient, no fold validates on a copy of its training rows.
    grouped = copies_said(
        lambda: trainwell.evaluate_table(frame, "y", cv=3, arch="gbdt", groups="patient", baselines=False)
    )
    assert grouped == []
