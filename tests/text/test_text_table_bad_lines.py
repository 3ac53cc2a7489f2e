"""A CSV of texts that pandas cannot parse is named by the line an editor shows and what is wrong on it, as a
table's file is (it passed pandas' words: 'ParserError: Error tokenizing data. C error: ...')."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainwell.core.errors import DataError
from trainwell.text.table import read_text_table


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (
            '"a good film",pos\n"bad, bad film",neg\nfine,pos,extra\n',
            "line 4: 3 fields where the header has 2; fix that line",
        ),
        (
            '"a good film",pos\n"bad, bad film",neg\n"great,pos\nok,neg\n',
            'line 4: a quote (") opens and is never closed',
        ),
    ],
)
def test_a_broken_line_is_named_as_an_editor_shows_it(tmp_path: Path, body: str, said: str) -> None:
    path = tmp_path / "reviews.csv"
    path.write_text("review,sentiment\n" + body, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_text_table(path, str(path))
    message = str(caught.value)
    assert message.startswith(f"{path}, {said}") and "C error" not in message and "\n" not in message
