"""A text model's Python ``predict`` given a path: a :class:`~pathlib.Path` is refused in one line naming how to
read it (as a text it would be its own name), and a lone string naming an existing file or folder is predicted as
the text it is, with a warning (it predicted one row of the path silently)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import trainwell
from text_samples import reviews
from trainwell.core.errors import DataError


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("texts") / "model"
    trainwell.fit_texts(reviews(200), text_col="review", target="sentiment", out=out, progress=False)
    return out


def test_a_path_is_refused_naming_how_to_read_it(model: Path, tmp_path: Path) -> None:
    folder = tmp_path / "test"
    folder.mkdir()
    predictor = trainwell.load(model)
    with pytest.raises(DataError) as caught:
        predictor.predict(folder)
    message = str(caught.value)
    assert "\n" not in message
    assert f"predict reads texts, and got the path {str(folder)!r}" in message
    assert "trainwell.text.read_text_files(path)" in message and "trainwell predict MODEL PATH" in message


def test_a_string_naming_an_existing_folder_is_predicted_with_a_warning(
    model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "aclImdb" / "test").mkdir(parents=True)
    predictor = trainwell.load(model)
    with pytest.warns(
        UserWarning, match=r"the text 'aclImdb/test' names an existing folder: it was predicted as a text"
    ):
        table = predictor.predict("aclImdb/test")
    assert len(table) == 1
    with warnings.catch_warnings():  # a list of texts, or a path that is not there, predicts as before
        warnings.simplefilter("error")
        assert len(predictor.predict(["a wonderful film", "aclImdb/train"])) == 2


def test_a_column_passed_as_target_is_refused_naming_its_name() -> None:
    """``target=df["sentiment"]`` (the column itself) is refused naming ``target='sentiment'``: it listed every
    value as a target column, a message of several KB."""
    from trainwell.core.errors import ConfigError

    frame = reviews(40)
    for call in (trainwell.text_data, trainwell.evaluate_texts):
        with pytest.raises(ConfigError) as caught:
            call(frame, text_col="review", target=frame["sentiment"])  # type: ignore[operator]
        message = str(caught.value)
        assert len(message) < 300, message
        assert "got a pandas Series; pass target='sentiment'" in message
