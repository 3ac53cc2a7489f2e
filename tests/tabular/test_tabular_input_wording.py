"""Messages about a table's inputs name what was given, in the caller's own words, with plain values (tour T47's
wording findings): only the options given, as options on the command line; one column is "column"; an empty
table is "the table", not the parameter's name; numbers as numbers, not numpy's reprs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trainwell.core.errors import ConfigError, DataError
from trainwell.data.tables import rows_frame
from trainwell.data.task import infer_task
from trainwell.tabular.data import tabular_data
from trainwell.tabular.pipeline import fit_table
from trainwell.tabular.recipe import TabularRecipe


def table(n_rows: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "age": rng.integers(20, 70, n_rows),
            "city": rng.choice(["Zürich", "München"], n_rows),
            "income": rng.normal(50, 10, n_rows).round(2),
            "y": ["yes", "no"] * (n_rows // 2),
        }
    )


def test_trees_refuse_only_the_mlp_options_given_in_the_callers_words() -> None:
    with pytest.raises(ConfigError) as refused:
        fit_table(table(), "y", arch="gbdt", epochs=1)
    assert str(refused.value) == (
        "epochs is for the MLP; boosted trees (arch='gbdt') stop on their own (early stopping on the validation "
        "rows, or an inner tenth of the training rows without them): leave it out, or set the trees' own settings with gbdt_settings (e.g. "
        "{'max_iter': 200})"
    )
    assert refused.value.command_line == (
        "--epochs is for the MLP; boosted trees (--arch gbdt) stop on their own (early stopping on the validation "
        "rows, or an inner tenth of the training rows without them): leave it out, or pass --arch mlp to train the MLP"
    )
    with pytest.raises(ConfigError, match=r"^epochs and lr are for the MLP; .*: leave them out, or set"):
        fit_table(table(), "y", arch="gbdt", epochs=1, lr=1e-3)
    with pytest.raises(ConfigError) as refused:
        fit_table(table(), "y", arch="gbdt", lr=1e-3)
    assert refused.value.command_line is not None and refused.value.command_line.startswith(
        "--lr is for the MLP"
    )


def test_an_empty_table_to_predict_on_is_named_as_what_was_passed() -> None:
    with pytest.raises(
        DataError,
        match=r"^the table \(a DataFrame of the columns age, city, income\) has no rows; pass at least one row$",
    ):
        rows_frame(pd.DataFrame(columns=["age", "city", "income"]))
    with pytest.raises(DataError, match=r"^the list of rows is empty; pass at least one row$"):
        rows_frame([])
    with pytest.raises(DataError, match=r"^the table \(a DataFrame without columns\) has no rows"):
        rows_frame(pd.DataFrame())
    with pytest.raises(DataError, match=r"^inputs \(a DataFrame of the columns x\) has no rows"):
        rows_frame(pd.DataFrame(columns=["x"]), "inputs")


def test_one_missing_input_column_is_a_column() -> None:
    frame = table()
    recipe = TabularRecipe.fit(frame, target="y")
    with pytest.raises(DataError, match=r"^input column missing from new.csv: income; the recipe needs"):
        recipe.transform(frame.drop(columns=["income", "y"]), source="new.csv")
    with pytest.raises(DataError, match=r"^input columns missing from new.csv: city, income;"):
        recipe.transform(frame.drop(columns=["city", "income"]), source="new.csv")


def test_an_infinite_input_column_is_refused_like_one_infinite_cell() -> None:
    # A whole column of inf was dropped as "the same value in every training row (np.float64(inf))", advising
    # --cat-names, while a single inf was refused.
    with pytest.raises(
        DataError,
        match=r"^column 'income' holds an infinite value \(data row 1\); replace it or leave it empty$",
    ):
        tabular_data(table().assign(income=np.inf), "y")
    written = table().assign(income=lambda f: f["income"].astype(str))
    written.loc[3, "income"] = " -inf"
    with pytest.raises(DataError, match=r"^column 'income' holds an infinite value \(data row 4\)"):
        tabular_data(written, "y")


def test_values_in_messages_are_plain_numbers_not_numpy_reprs() -> None:
    with pytest.warns(
        UserWarning, match=r"the same value in every training row \(3.5\): nothing to learn"
    ) as caught:
        data = tabular_data(table().assign(k=np.float64(3.5)), "y")
    assert "np." not in " ".join(str(w.message) for w in caught)
    assert data.recipe.dropped["k"].startswith("the same value in every training row (3.5)")  # type: ignore[attr-defined]
    with pytest.raises(DataError, match=r"e\.g\. True; a regression target must be numbers"):
        infer_task(pd.Series([True, False] * 10), name="y", kind="regression")


def test_the_report_names_one_missing_input_column_as_a_column(tmp_path) -> None:
    from trainwell.export import load
    from trainwell.report.importance import labelled_targets

    frame = table(200)
    fit_table(frame, "y", arch="gbdt", out=tmp_path / "m", progress=False)
    with pytest.raises(
        DataError, match=r"^input column 'income' missing from new.csv; the model was trained on"
    ):
        labelled_targets(load(tmp_path / "m"), frame.drop(columns=["income"]), "new.csv", "the report")
