"""A Learner whose evaluation passes keep to one CPU thread while its fits do (see
:mod:`trainwell.callbacks.threads`): the base of the table, ratings and text classifier Learners."""

from __future__ import annotations

from typing import Any

import torch

from trainwell.callbacks.threads import pass_threads
from trainwell.learner.learner import VALIDATION_SET, Learner


class OneThreadPasses(Learner):
    """``validate`` and ``get_preds`` run on one thread while :class:`~trainwell.callbacks.threads.OneThread`
    is in the callbacks, so that their scores are summed as the fit's validation summed them; otherwise on the
    process's own setting (:func:`~trainwell.callbacks.threads.pass_threads`)."""

    def validate(self, loader: Any = VALIDATION_SET) -> dict[str, float]:
        with pass_threads(self):
            return super().validate(loader)

    def get_preds(
        self, loader: Any = VALIDATION_SET, *, activate: bool = True, with_targets: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        with pass_threads(self):
            return super().get_preds(loader, activate=activate, with_targets=with_targets)
