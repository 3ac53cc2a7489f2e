"""The text one-call functions name their settings as the others do: ``fit_texts(arch=)`` as ``fit_table(arch=)``,
``text_data(source, target)`` as ``tabular_data(source, target)``; the spellings before still work, with a
DeprecationWarning that gives the new one."""

from __future__ import annotations

import inspect
import warnings

import pytest
from classify_tables import sentiment_frame

from trainwell.core.errors import ConfigError, DataError
from trainwell.text.data import text_data
from trainwell.text.pipeline import fit_texts


def test_text_data_takes_the_target_second_as_tabular_data_does() -> None:
    frame = sentiment_frame(60)
    assert list(inspect.signature(text_data).parameters)[:2] == ["source", "target"]
    data = text_data(frame, "sentiment", text_col="review", min_freq=1)
    assert data.task.target_names == ("sentiment",) and data.recipe.text_col == "review"  # type: ignore[union-attr]
    # The order before, (source, text_col, target), is still read as it was, with the call in the new order.
    with pytest.warns(DeprecationWarning) as caught:
        before = text_data(frame, "review", "sentiment", min_freq=1)
    assert str(caught[0].message).endswith(
        "write text_data(source, 'sentiment', text_col='review'). The old order is still read, for now"
    )
    assert caught[0].filename == __file__  # the user's line, not one inside trainwell
    assert before.recipe.vocab == data.recipe.vocab  # type: ignore[union-attr]
    assert before.task == data.task


def test_text_data_refuses_what_the_two_orders_cannot_both_mean() -> None:
    frame = sentiment_frame(40)
    # The target alone by position, on a table without a 'text' column: its one column of text is read, said
    # (tests/text/test_d4_text_detected.py); one with none is asked for by name.
    with pytest.raises(
        DataError, match=r"^the DataFrame has no column 'text' and no column of free text .*text_col="
    ):
        text_data(frame.assign(review=range(len(frame))), "sentiment")
    with pytest.raises(ConfigError, match=r"^text_col= given twice: as 'review' and by position as 'review'"):
        text_data(frame, "review", "sentiment", text_col="review")
    with pytest.raises(ConfigError, match=r"^text_data takes 2 values by position \(source, target\), got 4"):
        text_data(frame, "review", "sentiment", 0.2)


def test_fit_texts_takes_arch_and_still_reads_model_with_a_warning() -> None:
    frame = sentiment_frame(40)
    run = fit_texts(frame, text_col="review", target="sentiment", arch="fast", epochs=1, progress=False)
    assert run.learn.model_spec is not None and run.learn.model_spec["name"] == "ngram_bag"
    with pytest.warns(DeprecationWarning, match=r"^fit_texts\(model='bag'\) is now fit_texts\(arch='bag'\)"):
        old = fit_texts(frame, text_col="review", target="sentiment", model="bag", epochs=1, progress=False)
    assert old.learn.model_spec is not None and old.learn.model_spec["name"] == "ngram_bag"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(ConfigError, match=r"^arch= and model= are one setting, given twice"):
            fit_texts(frame, text_col="review", target="sentiment", arch="awd_lstm", model="fast")
