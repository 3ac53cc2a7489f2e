"""A target whose cells join several labels (``drama|comedy``) read without ``--label-delim``: each combination
was trained as one class of a single-label model, in silence, for tables and texts (images said it). Now a table
and a text say it alike, as images do; labels with a separator that are classes (a city's ``"New York, NY"``,
``"Albany, NY"`` beside ``"Boston, MA"``, numbers with a decimal comma) are not warned of."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trainwell.core.errors import DataError
from trainwell.data.task import infer_task
from trainwell.tabular import tabular_data
from trainwell.text import text_data

GENRES = [
    "drama|comedy",
    "comedy",
    "action|drama",
    "drama",
    "action|comedy",
    "comedy|romance",
    "romance|drama",
]


def _genres(n: int = 42) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "year": rng.integers(1950, 2020, size=n),
            "plot": [f"a story {i}" for i in range(n)],
            "genres": [GENRES[i % len(GENRES)] for i in range(n)],
        }
    )


def _said(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if "--label-delim" in str(w.message)]


def test_a_table_target_of_joined_labels_is_warned_of(tmp_path: Path) -> None:
    path = tmp_path / "movies.csv"
    _genres().drop(columns="plot").to_csv(path, index=False)
    with pytest.warns(UserWarning) as caught:
        data = tabular_data(path, "genres")
    (line,) = _said(caught.list)
    assert line == (
        "30 of the 42 labels of target 'genres' hold '|' (e.g. 'drama|comedy'): each combination is read as one "
        "class; for several labels a row (multi-label), pass --label-delim '|' (Python: label_delim='|')"
    )
    assert data.task.kind == "multiclass" and "drama|comedy" in data.task.classes
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # given the separator: multi-label, nothing said
        assert tabular_data(path, "genres", label_delim="|").task.kind == "multilabel"


def test_a_text_target_of_joined_labels_is_warned_of_alike() -> None:
    frame = _genres().drop(columns="year")
    every = frame[~frame["genres"].isin(["comedy", "drama"])]
    with pytest.warns(UserWarning) as caught:
        data = text_data(every, "genres", text_col="plot")
    assert _said(caught.list) == [
        "every label of target 'genres' holds '|' (e.g. 'drama|comedy'): each combination is read as one class; "
        "for several labels a text (multi-label), pass --label-delim '|' (Python: label_delim='|')"
    ]
    assert data.task.kind == "multiclass"


def test_many_combinations_seen_once_are_refused_naming_the_separator() -> None:
    # Before: "It looks like an ID or free text; pick another --target", of a column of joined genres.
    tags = ["sports", "politics", "music", "film", "science", "travel"]
    pairs = [f"{a};{b}" for a in tags for b in tags if a != b]
    frame = pd.DataFrame({"x": range(len(pairs)), "topics": pairs})
    with pytest.raises(DataError) as refused:
        tabular_data(frame, "topics")
    assert str(refused.value).endswith(
        "seen only once: a class seen once cannot be learned. Every label of target 'topics' holds ';' (e.g. "
        "'sports;politics'): each combination is read as one class; for several labels a row (multi-label), pass "
        "--label-delim ';' (Python: label_delim=';')"
    )


@pytest.mark.parametrize(
    "labels",
    [
        # a handful of rows with a comma in their label
        ["Boston"] * 10 + ["Chicago"] * 10 + ["New York, NY"] * 3 + ["Paris"] * 10,
        # every label a place: the state recurs, the city does not
        ["Albany, NY", "Buffalo, NY", "Boston, MA", "Salem, MA", "Austin, TX", "Dallas, TX"] * 4,
        # numbers written with a decimal comma or thousands separators
        ["3,5", "2,5", "3,0", "2,0", "1,234", "2,345"] * 4,
        # plain classes
        ["cat", "dog", "bird"] * 8,
    ],
)
def test_labels_with_a_separator_that_are_classes_are_not_warned_of(labels: list[str]) -> None:
    from trainwell.data.task import joined_labels

    assert joined_labels(labels) is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        infer_task(pd.Series(labels, name="place"), kind=None)


def test_numbers_are_never_joined_labels() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert infer_task([1.5, 2.25, 3.0, 4.75] * 5).kind == "regression"
    from trainwell.data.task import joined_labels

    assert joined_labels([1, 2, 3]) is None
