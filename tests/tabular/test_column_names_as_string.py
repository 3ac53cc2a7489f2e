"""``cat_names='Sex'`` (one name as a string) is that one column, as ``target='Survived'`` is; it was read letter by
letter ("categorical columns 'S', 'e', 'x' not found"). The same for ``cont_names`` and ``ignore``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import trainwell
from trainwell.core.errors import ConfigError
from trainwell.data.targets import column_names


@pytest.fixture
def people() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 120
    return pd.DataFrame(
        {
            "PassengerId": np.arange(1, n + 1),
            "Sex": rng.choice(["male", "female"], n),
            "Pclass": rng.integers(1, 4, n),
            "Age": rng.uniform(1, 80, n).round(1),
            "Survived": rng.integers(0, 2, n),
        }
    )


def test_one_name_as_a_string_is_that_column(people: pd.DataFrame) -> None:
    as_string = trainwell.tabular_data(
        people, "Survived", cat_names="Sex", cont_names="Age", ignore="PassengerId"
    ).recipe
    as_list = trainwell.tabular_data(
        people, "Survived", cat_names=["Sex"], cont_names=["Age"], ignore=["PassengerId"]
    ).recipe
    assert as_string is not None and as_list is not None
    assert (as_string.cat_names, as_string.cont_names) == (["Sex"], ["Age"])
    assert (as_string.cat_names, as_string.cont_names) == (as_list.cat_names, as_list.cont_names)


def test_ignore_as_a_string_leaves_that_column_out(people: pd.DataFrame) -> None:
    recipe = trainwell.tabular_data(people, "Survived", ignore="Pclass").recipe
    assert recipe is not None
    assert "Pclass" not in [*recipe.cat_names, *recipe.cont_names]
    assert "Sex" in recipe.cat_names


@pytest.mark.parametrize(
    ("value", "said"),
    [(5, "got 5"), (pd.Series(["Sex"]), "got Series of values"), ({"Sex": 1}, "got {'Sex': 1}")],
)
def test_values_that_name_no_columns_are_refused(people: pd.DataFrame, value: object, said: str) -> None:
    with pytest.raises(ConfigError) as error:
        trainwell.tabular_data(people, "Survived", cat_names=value)  # type: ignore[arg-type]
    assert said in str(error.value) and "cat_names=['NAME', ...]" in str(error.value)


def test_column_names() -> None:
    assert column_names("Sex", "cat_names") == ["Sex"]
    assert column_names(("a", "b"), "ignore") == ["a", "b"]
    assert column_names(pd.Index(["a"]), "ignore") == ["a"]
    assert column_names(None, "cont_names") is None
    assert column_names([], "cont_names") == []
