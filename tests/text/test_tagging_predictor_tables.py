"""``TaggerPredictor.predict`` on tables: rows without a sentence are said (by their index labels) rather than
tagged as empty sentences in silence, and ``at_least_one`` is refused in words as every predictor refuses it."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import trainwell
from tagging_samples import export_small_tagger
from trainwell.cli.app import app
from trainwell.core.errors import ConfigError
from trainwell.text import TaggerPredictor


@pytest.fixture(scope="module")
def tagger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_small_tagger(tmp_path_factory.mktemp("tagger"))


def test_at_least_one_is_refused_in_words_not_with_a_type_error(tagger: Path) -> None:
    predictor = trainwell.load(tagger)
    assert isinstance(predictor, TaggerPredictor)
    with pytest.raises(ConfigError) as caught:
        predictor.predict(["Mary works here ."], at_least_one=True)
    assert str(caught.value) == (
        "at_least_one= is for multi-label models; this tagger predicts one tag for each word, not labels for a "
        "text: drop it"
    )
    asked_nothing = predictor.predict(["Mary works here ."], at_least_one=False)
    assert asked_nothing["words"].tolist() == ["Mary works here ."]


def test_rows_without_a_sentence_are_named_by_their_index_in_a_warning(tagger: Path) -> None:
    predictor = trainwell.load(tagger)
    cells = ["Mary works here .", None, "", "   ", np.nan, "Tom sleeps ."]
    series = pd.Series(cells, index=[10, 11, 12, 13, 14, 15], dtype=object)
    expected = (
        r"^4 of 6 rows with an empty text \(index 11, 12, 13, 14\) left without words or tags; "
        r"fill or drop those rows$"
    )
    with pytest.warns(UserWarning, match=expected):
        table = predictor.predict(series)
    assert list(table.index) == [10, 11, 12, 13, 14, 15]
    # None was tagged as the word "None"; it is a missing cell like NaN.
    assert table["words"].tolist() == ["Mary works here .", "", "", "", "", "Tom sleeps ."]
    assert table.loc[11, "tags"] == "" and table.loc[15, "tags"] != ""
    frame = pd.DataFrame({"sentence": cells[:2]}, index=["a", "b"])
    with pytest.warns(
        UserWarning, match=r"^1 of 2 rows with an empty text \(index b\) .*; fill or drop that row$"
    ):
        predictor.predict(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        predictor.predict(series.iloc[[0, 5]])  # every row has a sentence: nothing to say
        predictor.predict(["Mary works here .", ""])  # a list is not a table of rows: no index to name


def test_the_command_line_says_its_empty_rows_once(tagger: Path, tmp_path: Path) -> None:
    # The command line leaves the blank rows out before it calls the predictor and says them itself.
    table = tmp_path / "notes.csv"
    table.write_text("id,body\n1,Mary works here.\n2,\n3,Tom sleeps.\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["predict", str(tagger), str(table), "--text", "body", "--keep", "id"], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 0, result.output
    assert result.stderr.count("empty text") == 1, result.stderr
    assert f"{table}: 1 row with an empty text (data row 2) left without a prediction" in result.stderr
