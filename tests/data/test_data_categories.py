"""Category keys: a value's code depends on its key alone, never on the other values it is encoded with."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trainwell.data.categories import category_counts, category_vocabulary, encode_categories


def test_a_boolean_and_a_number_keep_their_own_codes_whatever_comes_first() -> None:
    # Python holds True == 1 == 1.0: factorized together they shared the first one's key, so in a server's batch
    # one client's True turned another's 1 into the code of True.
    vocabulary = ["1", "True", "a"]
    alone = [
        encode_categories(pd.Series([value], dtype=object), vocabulary)[0] for value in (1, True, 1.0, "a")
    ]
    assert alone == [1, 2, 1, 3]
    for mixed in ([1, True, 1.0, "a"], [True, 1, 1.0, "a"], [1.0, "a", True, 1]):
        codes = encode_categories(pd.Series(mixed, dtype=object), vocabulary)
        expected = [
            {"1": 1, "True": 2, "a": 3}["True" if value is True else str(value).removesuffix(".0")]
            for value in mixed
        ]
        assert codes.tolist() == expected
    with_missing = encode_categories(pd.Series([True, None, 1, np.nan], dtype=object), vocabulary)
    assert with_missing.tolist() == [2, 0, 1, 0]
    assert category_counts(pd.Series([True, 1, 1.0, "a", None], dtype=object)) == {"True": 1, "1": 2, "a": 1}
    assert category_vocabulary(pd.Series([1, True, False], dtype=object)) == ["1", "False", "True"]


def test_plain_columns_keep_their_keys() -> None:
    assert encode_categories(pd.Series(["b", "a", None, "c"]), ["a", "b"]).tolist() == [2, 1, 0, 0]
    assert encode_categories(pd.Series([3.0, 1, None]), ["1", "3"]).tolist() == [2, 1, 0]
    assert category_counts(pd.Series([True, False, True])) == {"True": 2, "False": 1}
