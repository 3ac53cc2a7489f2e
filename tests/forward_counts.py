"""Counting a model's forward calls, to show that a step reads kept predictions instead of scoring rows again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def rows_read_in_eval_mode() -> Iterator[Counter[int]]:
    """The rows each module (by ``id``) is handed in eval mode while the block runs: validation passes and any
    scoring after the fit. Every module is counted, those of a learner built inside the block too (a
    cross-validation fold builds its own), so the model's outermost module sees every row of every pass."""
    rows: Counter[int] = Counter()

    def count(module: torch.nn.Module, inputs: Any) -> None:
        if not module.training and inputs and isinstance(inputs[0], torch.Tensor):
            rows[id(module)] += len(inputs[0])

    handle = torch.nn.modules.module.register_module_forward_pre_hook(count)
    try:
        yield rows
    finally:
        handle.remove()
