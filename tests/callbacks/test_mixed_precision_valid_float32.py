"""Under MixedPrecision, validation's loss and metrics are computed on float32 outputs (tour 61 #14: the history
was scored on bfloat16 outputs; a loss of your own summed in bfloat16)."""

from __future__ import annotations

import torch
from callbacks_helpers import linear_learner, regression_data

from trainwell.callbacks import MixedPrecision
from trainwell.learner import Callback


class Dtypes(Callback):
    order = 50  # after MixedPrecision (20)

    def __init__(self) -> None:
        self.seen: dict[bool, set[tuple[torch.dtype, torch.dtype]]] = {True: set(), False: set()}

    def after_loss(self, learn) -> None:
        self.seen[learn.training].add((learn.pred.dtype, learn.loss.dtype))


def test_validation_scores_float32_outputs_under_bfloat16() -> None:
    def own_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return ((pred.squeeze(-1) - target) ** 2).mean()

    spy = Dtypes()
    learn = linear_learner(regression_data(64), loss=own_loss)
    learn.fit(1, callbacks=[MixedPrecision("bfloat16"), spy])
    assert spy.seen[False] == {(torch.float32, torch.float32)}
    assert {pred for pred, _ in spy.seen[True]} == {
        torch.bfloat16
    }  # training's outputs are left as they were
