"""Output layers started at the training priors: the first prediction is the base rate, not 0.5."""

from __future__ import annotations

import pandas as pd
import torch
from torch import nn

from trainwell.models.layers import set_prior_bias
from trainwell.text import text_classifier_learner, text_data
from trainwell.text.learner import BAG_LR, MULTILABEL_BAG_LR, MULTILABEL_BAG_WD


def test_the_bias_holds_each_labels_log_odds_or_each_class_log_frequency() -> None:
    layer = nn.Linear(4, 3)
    labels = torch.tensor([[1, 0, 0], [1, 1, 0], [0, 0, 0], [1, 0, 0]], dtype=torch.float32)
    assert set_prior_bias(layer, "multilabel", labels)
    assert torch.allclose(torch.sigmoid(layer.bias), torch.tensor([0.75, 0.25, 1e-4]), atol=1e-6)
    single = nn.Linear(4, 1)
    assert set_prior_bias(single, "binary", torch.tensor([1.0, 0.0, 0.0, 0.0]))
    assert torch.allclose(torch.sigmoid(single.bias), torch.tensor([0.25]))
    classes = nn.Linear(4, 3)
    assert set_prior_bias(classes, "multiclass", torch.tensor([0, 0, 0, 1, 1, 2]))
    expected = torch.tensor([4.0, 3.0, 2.0]) / 9  # one pseudo-count each
    assert torch.allclose(torch.softmax(classes.bias, 0), expected, atol=1e-6)
    untouched = nn.Linear(4, 2)
    before = untouched.bias.clone()
    assert not set_prior_bias(untouched, "regression", torch.randn(5, 2))
    assert not set_prior_bias(untouched, "multilabel", labels)  # 3 labels, 2 outputs: left alone
    assert torch.equal(untouched.bias, before)


def test_a_multi_label_bag_model_starts_at_the_priors_with_its_own_defaults() -> None:
    rows = (
        [("good fun film", "joy;love")] * 6
        + [("sad dull film", "sadness")] * 3
        + [("a film", "neutral")] * 31
    )
    frame = pd.DataFrame(rows, columns=["text", "emotions"])
    data = text_data(frame, "emotions", text_col="text", label_delim=";", valid_pct=0.0, seed=0)
    learn = text_classifier_learner(data, progress=False)
    assert (learn.lr, learn.wd) == (MULTILABEL_BAG_LR, MULTILABEL_BAG_WD)
    rates = data.train.targets.float().mean(0)
    bias = learn.model.head[-1].bias
    assert torch.allclose(torch.sigmoid(bias), rates.clamp(1e-4, 1 - 1e-4), atol=1e-5)
    binary = text_data(
        frame.assign(emotions=frame["emotions"].str.contains("joy")), "emotions", text_col="text", seed=0
    )
    assert text_classifier_learner(binary, progress=False).lr == BAG_LR  # IMDB's measured default
