"""What a user of the Python text API hit (tour70): GoEmotions' '2,5' label cells read as 115 classes without a
word of label_delim; SST-2's 'sentence' column refused where the command line finds it; ``predict("new.csv")``
predicting the file's name; a length note pointing into torch and said at every call; an empty-text error naming
one row of several; predictors printed as ``<... object at 0x...>``."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trainwell
from text_samples import reviews
from trainwell.core.errors import DataError
from trainwell.core.warn import Note
from trainwell.data.task import infer_task, joined_labels


def _goemotions_labels() -> list[str]:
    # GoEmotions' labels: one emotion id a text mostly, a few lists of two or three ids joined by commas
    return ["27", "2", "5", "0", "13", "18"] * 6 + ["2,5", "0,1", "13,18", "0,1,17", "4,8", "8,18"]


def test_comma_joined_label_ids_are_said_to_be_lists_and_label_delim_is_named() -> None:
    labels = _goemotions_labels()
    assert joined_labels(labels) is not None
    with pytest.warns(UserWarning) as caught:
        task = infer_task(pd.Series(labels, name="labels"))
    said = [str(w.message) for w in caught]
    assert len(said) == 1, said  # not again as "some classes as numbers and others as words"
    assert said[0].startswith("6 of the 42 labels of target 'labels' are lists of label ids joined by ','")
    assert "pass --label-delim ',' (Python: label_delim=',')" in said[0]
    assert task.kind == "multiclass"
    # Numbers written with a decimal comma stay classes, said of nothing
    assert joined_labels(["3,5", "2,5", "3,0", "2,0", "1,234", "2,345"] * 4) is None


def test_two_id_lists_without_a_third_are_named_in_the_mixed_classes_warning() -> None:
    labels = ["27", "2", "5", "0"] * 6 + ["2,5", "0,1"] * 2
    with pytest.warns(UserWarning, match="others as numbers joined by ','.*pass --label-delim ','"):
        infer_task(pd.Series(labels, name="labels"))


def test_text_data_says_joined_ids_once_before_the_split(tmp_path: Path) -> None:
    frame = reviews(42).assign(labels=_goemotions_labels())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainwell.text_data(frame, "labels", text_col="review", progress=False)
    joined = [str(w.message) for w in caught if "lists of label ids" in str(w.message)]
    assert len(joined) == 1 and joined[0].startswith("6 of the 42 labels"), joined
    assert str(caught[0].message) == joined[0]  # before the split's notes, which name the lists as classes
    assert not [w for w in caught if "writes some classes as numbers" in str(w.message)]


def test_text_column_left_out_is_found_as_the_command_line_finds_it() -> None:
    frame = reviews(60).rename(columns={"review": "sentence"})
    with pytest.warns(
        Note, match=r"^the DataFrame: column 'sentence' is free text, read as the texts"
    ) as caught:
        data = trainwell.text_data(frame, "sentiment", progress=False)
    assert caught[0].filename == __file__
    assert data.recipe.text_col == "sentence"  # type: ignore[union-attr]
    # A column named 'text' is read as before, without a word
    with warnings.catch_warnings():
        warnings.simplefilter("error", Note)
        trainwell.text_data(frame.rename(columns={"sentence": "text"}), "sentiment", progress=False)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("d4") / "model"
    trainwell.fit_texts(reviews(200), "sentiment", text_col="review", out=out, epochs=2, progress=False)
    return out


def test_predict_reads_a_table_file_named_by_a_string(model: Path, tmp_path: Path) -> None:
    new = tmp_path / "new.csv"
    reviews(12, seed=3).to_csv(new, index=False)
    predictor = trainwell.load(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = predictor.predict(str(new))
    assert len(table) == 12
    assert table["prediction"].tolist() == predictor.predict(reviews(12, seed=3))["prediction"].tolist()
    # Named otherwise: found as text_data finds it, said
    reviews(5, seed=4).rename(columns={"review": "body"}).to_csv(new, index=False)
    with pytest.warns(Note, match="column 'body' is free text"):
        assert len(predictor.predict(new)) == 5
    # A string that names no table file is a text
    assert len(predictor.predict("new.csv is a fine name for a film")) == 1


def test_a_length_note_points_at_the_callers_line_once_per_model(model: Path) -> None:
    predictor = trainwell.load(model)
    long = " ".join(["a wonderful film"] * 40)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            predictor.predict([long, "short"])
    notes = [w for w in caught if issubclass(w.category, Note)]
    assert len(notes) == 1, [str(w.message) for w in notes]
    assert notes[0].filename == __file__
    assert str(notes[0].message).endswith("(said once for this model)")


def test_empty_texts_are_named_by_row_and_the_input_counted(model: Path) -> None:
    predictor = trainwell.load(model)
    with pytest.raises(DataError, match=r"^the texts are empty in data rows 2 and 3 of the input's 4 rows; "):
        predictor.predict(pd.Series(["good", None, np.nan, "fine"]))


def test_predictors_print_short(model: Path) -> None:
    shown = repr(trainwell.load(model))
    assert shown.startswith("TextPredictor(task=binary, classes=['neg', 'pos'], text_col='review', arch=")
    assert "object at" not in shown


def test_multilabel_folds_short_of_a_trivial_answer_are_said_once_without_advice_it_refuses() -> None:
    from classify_tables import topic_frame

    from trainwell.metrics.label_baselines import BaselineNotBeaten

    frame = topic_frame(60, multilabel=True)
    names = {name: name.upper() for name in {part for cell in frame["topic"] for part in cell.split("|")}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = trainwell.evaluate_texts(
            frame,
            "topic",
            label_delim="|",
            cv=2,
            epochs=1,
            baselines=False,
            progress=False,
            label_names=names,  # as fit_texts takes them
        )
    assert set(result.task.classes) == set(names.values())
    said = [str(w.message) for w in caught if issubclass(w.category, BaselineNotBeaten)]
    assert len(said) == 1, said
    assert said[0].startswith("2 of 2 folds' models' decisions do not beat a trivial answer (fold 1: ")
    assert "(tune_thresholds=True)" not in said[0]  # evaluate_texts takes no tune_thresholds=
