"""A column of numbers written with decimal commas holding words in too many rows to read as missing (under 90% of
its cells numbers) is read as categories with the warning a column of the same numbers written with a dot gets;
before, every value stayed text and the column was categories in silence (trainwell.data.text_cells)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from trainwell.tabular.data import tabular_data


def _sizes(decimal: str, n_rows: int = 100) -> pd.DataFrame:
    """``n_rows`` rows whose ``size`` is a number with one decimal written with ``decimal`` in 70 rows in 100 and
    'unknown' or 'twenty' in the others (rows 1, 4, 7... from 0)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=n_rows).round(3)
    sizes = rng.uniform(1, 10, n_rows).round(1)
    cells = [f"{size:.1f}".replace(".", decimal) for size in sizes]
    for row in range(1, n_rows, 3):
        cells[row] = "unknown" if row % 2 else "twenty"
    return pd.DataFrame({"x": x, "size": cells, "y": (x + sizes / 5 > 1).astype(int)})


def _warnings(source: Path | pd.DataFrame) -> tuple[list[str], list[str]]:
    """What reading ``source`` for a model of ``y`` warns, and the columns read as categories."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = tabular_data(source, "y")
    return [str(w.message) for w in caught], list(data.recipe.cat_names)  # type: ignore[union-attr]


def _categories_warning(said: list[str]) -> list[str]:
    return [message for message in said if message.startswith("column 'size' is read as categories")]


def test_a_semicolon_file_of_decimal_commas_and_words_warns_as_the_same_numbers_with_dots_do() -> None:
    _sizes(",").to_csv("comma.csv", sep=";", index=False)
    _sizes(".").to_csv("dot.csv", sep=";", index=False)
    comma, comma_categories = _warnings(Path("comma.csv"))
    dot, dot_categories = _warnings(Path("dot.csv"))
    assert comma_categories == dot_categories == ["size"]
    assert len(_categories_warning(dot)) == 1
    (said,) = _categories_warning(comma)  # it said nothing
    # The same words, counts and first row as the dot column's, the numbers' form said beside them.
    expected = _categories_warning(dot)[0].replace(
        "each number in it a category", "each number in it (written with a decimal comma, '8,2') a category"
    )
    assert said == expected, said
    assert (
        "33 of its 100 values are text ('unknown' (17 rows), 'twenty' (16 rows); the first in data row 2)"
        in said
    )


def test_a_dataframe_of_decimal_comma_text_and_words_is_warned_of_too() -> None:
    said, categories = _warnings(_sizes(","))
    assert categories == ["size"]
    assert len(_categories_warning(said)) == 1, said


def test_text_with_commas_that_is_no_number_is_not_warned_of() -> None:
    # Names with commas, and codes 'A,1' of which a few are numbers: categories as they were, without a word.
    frame = _sizes(",")
    frame["size"] = [f"Smith, Mr. {i}" if i % 4 else f"{i},5" for i in range(len(frame))]
    said, _ = _warnings(frame)
    assert not [message for message in said if "is read as categories" in message], said


def test_a_few_words_among_decimal_commas_are_not_this_warning() -> None:
    # 90% numbers or more: the file is read as numbers but for the words (trainwell.data.io), not as categories.
    frame = _sizes(",")
    frame["size"] = [
        cell if row % 20 else "unknown"
        for row, cell in enumerate(frame["size"].str.replace("twenty", "1,5").str.replace("unknown", "2,5"))
    ]
    frame.to_csv("few.csv", sep=";", index=False)
    said, categories = _warnings(Path("few.csv"))
    assert "size" not in categories
    assert not _categories_warning(said), said
