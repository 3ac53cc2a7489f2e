"""MultiLabelInterpretation against scikit-learn's multilabel_confusion_matrix on a small trained linear model,
and ClassificationInterpretation's refusal of a multi-label learner."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from sklearn.metrics import multilabel_confusion_matrix
from torch import nn

from trainwell.core.errors import ConfigError
from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.interpret import ClassificationInterpretation, MultiLabelInterpretation
from trainwell.learner import Learner


@pytest.fixture(scope="module")
def learn() -> Learner:
    seed_everything(0)
    x = torch.randn(200, 3, generator=torch.Generator().manual_seed(0))
    labels = [[name for name, on in zip("abc", row, strict=True) if on] for row in (x > 0.2).tolist()]
    data = tensor_data(x, labels, valid_pct=0.4, batch_size=32, seed=0)
    # Untrained: the counts are checked against scikit-learn on whatever the model decides
    return Learner(nn.Linear(3, 3), data, progress=False)


def _reference(learn: Learner, thresholds: float | tuple[float, ...]) -> np.ndarray:
    probabilities, target = learn.get_preds()
    assert target is not None
    decided = (probabilities >= torch.as_tensor(thresholds)).numpy()
    return multilabel_confusion_matrix(target.numpy().astype(int), decided.astype(int))


def test_classification_interpretation_refuses_a_multi_label_learner_naming_what_to_use(
    learn: Learner,
) -> None:
    with pytest.raises(ConfigError) as caught:
        ClassificationInterpretation.from_learner(learn)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        "ClassificationInterpretation reads one class per row; this learner is multi-label"
    )
    assert "MultiLabelInterpretation.from_learner(learn)" in message


def test_per_label_confusion_matches_sklearn_and_honours_label_thresholds(learn: Learner) -> None:
    interp = MultiLabelInterpretation.from_learner(learn, batch_size=7)
    np.testing.assert_array_equal(interp.confusion_matrices(), _reference(learn, 0.5))
    assert interp.n_rows == learn.data.valid.n_rows == 80
    table = interp.per_label()
    assert table["label"].tolist() == ["a", "b", "c"]
    (tn, fp), (fn, tp) = interp.confusion_matrices()[1]
    row = table.iloc[1]
    assert (row["rows_with_it"], row["predicted"], row["true_positive"]) == (tp + fn, tp + fp, tp)
    assert (row["false_positive"], row["false_negative"], row["true_negative"]) == (fp, fn, tn)
    assert row["precision"] == pytest.approx(tp / (tp + fp))
    assert row["recall"] == pytest.approx(tp / (tp + fn))
    assert 0 < interp.exact_match() <= 1
    # Thresholds chosen per label at the end of a fit decide here too, as in predict.
    original = learn.task
    learn.task = dataclasses.replace(original, label_thresholds=(0.3, 0.6, 0.9))
    try:
        tuned_interp = MultiLabelInterpretation.from_learner(learn)
    finally:
        learn.task = original
    np.testing.assert_array_equal(tuned_interp.confusion_matrices(), _reference(learn, (0.3, 0.6, 0.9)))
    assert not np.array_equal(tuned_interp.confusion_matrices(), interp.confusion_matrices())


def test_multi_label_interpretation_refuses_other_tasks_in_one_line() -> None:
    data = tensor_data(torch.randn(20, 2), ["a", "b"] * 10, valid_pct=0.5)
    with pytest.raises(
        ConfigError, match=r"needs a multi-label learner, got 'binary'; use ClassificationInterp"
    ):
        MultiLabelInterpretation.from_learner(Learner(nn.Linear(2, 1), data, progress=False))
