"""fit_texts and evaluate_texts take the target second by position, as text_data, fit_table and evaluate_table do
(the tour's ``fit_texts(df, "t", "income")`` gave Python's bare ``TypeError``); a value past it is refused in words
that name the keyword meant."""

from __future__ import annotations

import inspect

import pytest
from classify_tables import sentiment_frame

from trainwell.core.errors import ConfigError
from trainwell.text.evaluation import evaluate_texts
from trainwell.text.pipeline import fit_texts


@pytest.mark.parametrize("function", [fit_texts, evaluate_texts])
def test_the_target_is_second_by_position_and_the_rest_by_keyword(function: object) -> None:
    parameters = list(inspect.signature(function).parameters.values())  # type: ignore[arg-type]
    assert [parameter.name for parameter in parameters[:2]] == ["source", "target"]
    assert parameters[2].kind is inspect.Parameter.VAR_POSITIONAL  # read only to be refused in words
    assert all(parameter.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD for parameter in parameters[2:])


def test_fit_texts_reads_the_target_by_position_as_by_keyword() -> None:
    frame = sentiment_frame(40)
    by_position = fit_texts(frame, "sentiment", text_col="review", epochs=1, progress=False, min_freq=1)
    by_keyword = fit_texts(frame, text_col="review", target="sentiment", epochs=1, progress=False, min_freq=1)
    assert by_position.data.task == by_keyword.data.task
    assert by_position.data.task.target_names == ("sentiment",)
    # The same seed: the same model.
    assert by_position.metrics["valid_loss"] == pytest.approx(by_keyword.metrics["valid_loss"])


@pytest.mark.filterwarnings("ignore:validation accuracy .* does not beat:UserWarning")  # 60 texts, 1 epoch
def test_evaluate_texts_reads_the_target_by_position() -> None:
    result = evaluate_texts(
        sentiment_frame(60), "sentiment", text_col="review", cv=2, epochs=1, baselines=False
    )
    assert result.task.target_names == ("sentiment",) and len(result.lrs) == 2  # one per fold


def test_a_value_past_the_target_is_refused_naming_the_keyword() -> None:
    frame = sentiment_frame(20)
    with pytest.raises(
        ConfigError,
        match=r"^fit_texts takes 2 values by position \(source, target\), got 3 \('sentiment' after them\); "
        r"pass text_col= and the other settings by keyword, e.g. fit_texts\(source, target, text_col=\.\.\.\)$",
    ):
        fit_texts(frame, "review", "sentiment")
    with pytest.raises(
        ConfigError, match=r"^evaluate_texts takes 2 values by position \(source, target\), got 4"
    ):
        evaluate_texts(frame, "sentiment", "review", 5)


def test_the_tagger_calls_refuse_a_second_value_by_position_in_words() -> None:
    # Tagged sentences have no target column to name second: everything after the source is by keyword.
    from trainwell.text.tagging.evaluation import evaluate_tagger
    from trainwell.text.tagging.pipeline import fit_tagger

    with pytest.raises(
        ConfigError,
        match=r"^fit_tagger takes 1 value by position \(source\), got 2 \('valid.conll' after it\); pass tag_col=, "
        r"valid= and the other settings by keyword",
    ):
        fit_tagger("train.conll", "valid.conll")
    with pytest.raises(
        ConfigError, match=r"^evaluate_tagger takes 1 value by position \(source\), got 2 \(3 after it\)"
    ):
        evaluate_tagger("train.conll", 3)
