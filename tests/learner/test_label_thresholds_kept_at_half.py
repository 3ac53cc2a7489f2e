"""Per-label thresholds are adopted only when their cross-fitted macro F1 beats deciding at 0.5 on the same
validation rows. A tour's multi-label image model said "macro F1 0.7091 at 0.5 (f1) -> 0.6995 at them
(f1_tuned)" and adopted them all the same; predict and serve then decided at them."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from trainwell.data import tensor_data
from trainwell.data.task import Task
from trainwell.learner import Learner
from trainwell.learner.label_thresholds import choose_label_thresholds


def _learner(epochs: int, lr: float) -> Learner:
    """A linear model of three labels (one rare) on 100 validation rows: trained well (8 epochs at 0.1) 0.5
    is hard to beat; barely trained (1 epoch at 0.001) its probabilities sit far from 0.5."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(200, 4, generator=generator)
    y = torch.stack([x[:, 0] > 0, x[:, 1] > 0, x[:, 2] > 1.5], dim=1).float()
    task = Task("multilabel", classes=("a", "b", "c"))
    data = tensor_data(x, y, task=task, valid_pct=0.5, batch_size=20, seed=0)
    torch.manual_seed(0)
    learn = Learner(nn.Linear(4, 3), data, metrics=["f1", "accuracy"], progress=False, device="cpu")
    learn.fit(epochs, lr=lr)
    return learn


def test_thresholds_that_do_not_beat_half_on_the_held_out_check_are_not_adopted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    learn = _learner(8, 0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = choose_label_thresholds(learn)
    assert summary is not None and summary.adopted is False
    assert summary.cross_fitted["f1"] <= summary.at_half["f1"]  # what the check measured
    assert (
        learn.task.label_thresholds == () and learn.data.task.label_thresholds == ()
    )  # predict decides at 0.5
    assert "f1_tuned" not in learn.history[-1] and "accuracy_tuned" not in learn.history[-1]
    assert learn.thresholds_chosen_on is None  # validate() on those rows is honest: no in-sample warning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        learn.validate()
    assert not [w for w in caught if "flatter the model" in str(w.message)]
    said = capsys.readouterr().err
    assert said.startswith("per-label thresholds did not beat 0.5 on the held-out check: kept 0.5 (macro F1 ")
    assert f"{summary.at_half['f1']:.4f} at 0.5, {summary.cross_fitted['f1']:.4f} at per-label" in said
    assert "decides each label at its own threshold" not in said


def test_thresholds_that_beat_half_are_adopted_as_before(capsys: pytest.CaptureFixture[str]) -> None:
    learn = _learner(1, 0.001)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = choose_label_thresholds(learn)
    assert summary is not None and summary.adopted is True
    assert summary.cross_fitted["f1"] > summary.at_half["f1"]
    assert learn.task.label_thresholds == tuple(summary.thresholds.values())
    assert learn.history[-1]["f1_tuned"] == summary.cross_fitted["f1"]
    assert "The model decides each label at its own threshold" in capsys.readouterr().err
