"""evaluate_table reads its column arguments as tabular_data does: one name given as a string is one column, and a
target of many whole numbers read as a regression is said in a note, with the override."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

import trainwell


def test_one_categorical_column_named_as_a_string_is_that_column() -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"Sex": rng.choice(["m", "f"], 120), "x": rng.normal(size=120)})
    df["y"] = (df["x"] + rng.normal(scale=0.5, size=120) > 0).astype(int)
    evaluation = trainwell.evaluate_table(df, "y", cat_names="Sex", cv=2, arch="gbdt", baselines=False)
    assert len(evaluation.predictions) == 2 and evaluation.n_rows == 120


def test_whole_number_codes_read_as_a_regression_are_said_with_the_override() -> None:
    df = pd.DataFrame({"x": np.random.default_rng(1).normal(size=300), "y": np.arange(300) % 150})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainwell.evaluate_table(df, "y", cv=2, arch="gbdt", baselines=False)
    said = [str(w.message) for w in caught if "read as a regression" in str(w.message)]
    assert len(said) == 1 and "--task multiclass" in said[0], said
