"""Counting a model's forward calls, to show that a step reads kept predictions instead of scoring rows again."""

from __future__ import annotations

from typing import Any

import torch

from trainwell.learner.events import Callback


def counting_forwards(model: torch.nn.Module) -> list[int]:
    """A list whose length counts the model's forward calls from now on (each entry: the batch's rows)."""
    calls: list[int] = []
    model.register_forward_pre_hook(lambda module, inputs: calls.append(len(inputs[0])))
    return calls


class CountsForwardsAfterTheFit(Callback):
    """Counts the model's forward calls from the end of the training on (thresholds, tables, test scores)."""

    order = 50

    def __init__(self) -> None:
        self.calls: list[int] = []

    def after_fit(self, learn: Any) -> None:
        self.calls = counting_forwards(learn.model)
