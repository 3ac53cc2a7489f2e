"""``learn.predict(raw inputs)``: what the exported model answers, without writing it; the predictor behind it
holds a copy of the weights."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import torch
from torch import nn

import trainwell
from text_samples import reviews
from trainwell import ConfigError, Learner
from trainwell.tabular import tabular_data, tabular_learner
from trainwell.text import text_classifier_learner, text_data


def _table_learner() -> tuple[Learner, pd.DataFrame]:
    trainwell.seed_everything(0)
    frame = trainwell.datasets.adult_sample().head(400)
    learn = tabular_learner(tabular_data(frame, target="income"), progress=False)
    learn.fit_one_cycle(1)
    return learn, frame.drop(columns="income").head(9)


def test_predict_answers_what_the_exported_model_answers(tmp_path: Path) -> None:
    learn, rows = _table_learner()
    answer = learn.predict(rows)
    assert list(answer.columns) == ["prediction", "probability_>50K"] and len(answer) == 9
    pd.testing.assert_frame_equal(answer, trainwell.load(learn.export(tmp_path / "model")).predict(rows))


def test_the_predictor_keeps_its_copy_of_the_weights_while_training_goes_on() -> None:
    learn, rows = _table_learner()
    predictor = learn.predictor()
    before = predictor.predict(rows)
    for (
        parameter
    ) in learn.model.parameters():  # training on (here: weights moved by hand) changes the Learner
        parameter.data.add_(0.5)
    pd.testing.assert_frame_equal(predictor.predict(rows), before)
    assert not learn.predict(rows)["probability_>50K"].equals(before["probability_>50K"])


def test_a_text_classifier_predicts_from_texts() -> None:
    trainwell.seed_everything(0)
    learn = text_classifier_learner(
        text_data(reviews(120), "sentiment", text_col="review", min_freq=1), progress=False
    )
    learn.fit_one_cycle(2)
    answer = learn.predict(["filler words and a good word " + reviews(2)["review"][0]])
    assert list(answer.columns) == ["prediction", "probability_pos"] and len(answer) == 1


def test_a_model_of_your_own_without_a_spec_predicts_in_memory_and_export_says_how_to_register_it(
    tmp_path: Path,
) -> None:
    # learn.predict refused it with export's error: only export and trainwell.load rebuild the model by name.
    x = torch.randn(40, 3)
    learn = Learner(nn.Linear(3, 1), trainwell.tensor_data(x, (x[:, 0] > 0).long()), progress=False)
    answer = learn.predict(x[:5])
    assert list(answer.columns) == ["prediction", "probability_1"] and len(answer) == 5
    with pytest.raises(ConfigError, match=r"export needs to know how to rebuild the model \(Linear\)"):
        learn.export(tmp_path / "model")


def test_new_data_of_the_same_task_may_be_set_and_another_task_is_refused() -> None:
    x = torch.randn(60, 3)
    learn = Learner(nn.Linear(3, 1), trainwell.tensor_data(x, (x[:, 0] > 0).long()), progress=False)
    more = trainwell.tensor_data(torch.randn(30, 3), torch.tensor([0, 1] * 15))
    learn.data = more  # the next task of continual learning: the same classes
    assert learn.data is more
    learn.fit(1)
    other = trainwell.tensor_data(x, torch.arange(60) % 3)
    with pytest.raises(
        ConfigError,
        match=r"learn\.data: the new data's task \(multiclass of 0, 1, 2\) is not the Learner's \(binary of 0, 1\)",
    ):
        learn.data = other
    with pytest.raises(ConfigError, match=r"learn\.data must be a DataBundle"):
        learn.data = (x, x)  # type: ignore[assignment]
    assert learn.data is more


def test_a_loss_function_of_your_own_is_recorded_by_its_name() -> None:
    from trainwell.learner._export import _loss_name  # what trainwell.json's training.loss holds

    def focal(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return nn.functional.binary_cross_entropy_with_logits(output.squeeze(1), target.float())

    x = torch.randn(40, 3)
    data = trainwell.tensor_data(x, (x[:, 0] > 0).long())
    assert _loss_name(Learner(nn.Linear(3, 1), data, loss=focal).loss_func) == "focal"  # it said "function"
    assert _loss_name(lambda output, target: focal(output, target)) == "lambda"
    default = Learner(nn.Linear(3, 1), data).loss_func
    assert _loss_name(default) == type(default).__name__  # a module: its class, as before
