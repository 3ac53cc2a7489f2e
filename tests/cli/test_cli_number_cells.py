"""The command line's tables write numbers by the HTML report's rule, one function for both: whole numbers from
10,000 up with separators (``12435`` was printed where the report wrote ``12,435``), and a column reaching 10,000
writes its numbers from 1,000 up alike."""

from __future__ import annotations

import numpy as np

from trainwell.cli._show import _grouped, _number
from trainwell.core.numbers import format_value, grouped_columns


def test_whole_numbers_read_as_the_report_writes_them() -> None:
    assert [_number(12435), _number(np.int64(185582)), _number(3846), _number(2009)] == [
        "12,435",
        "185,582",
        "3846",
        "2009",
    ]
    assert _number(3846, grouped=True) == "3,846" and _number(3846.4, grouped=True) == "3,846"
    assert _number(999, grouped=True) == "999"
    # Other numbers as the tables wrote them: 4 decimals, a price whole with separators; missing as "-"
    assert [_number(0.84361), _number(37879.5881), _number(None), _number(float("nan"))] == [
        "0.8436",
        "37,880",
        "-",
        "-",
    ]
    assert _number("auto") == "auto" and _number(True) == "True"


def test_a_column_reaching_ten_thousand_groups_its_thousands() -> None:
    assert _grouped([0.5, 12435]) and not _grouped([0.5, 3846, float("nan"), None, True])
    assert grouped_columns([["f1", 0.8, 3846], ["support", 0.7, 12435]]) == {2}


def test_the_report_and_the_command_line_share_one_rule() -> None:
    from trainwell.report import _html

    assert _html.format_value is format_value
    assert format_value(12435) == "12,435" and format_value(3846.0, grouped=True) == "3,846"
    assert format_value(1234.5678) == "1235" and format_value(None) == "" and format_value(float("nan")) == ""
