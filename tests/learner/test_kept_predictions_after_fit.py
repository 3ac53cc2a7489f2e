"""A keeper that activates the last validation pass's outputs once, as the fit ends (a tagger's tag paths): the
same predictions as the eager keeper and as a new pass, from one activation of each validation batch in all."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from trainwell.data import tensor_data
from trainwell.learner import Learner
from trainwell.learner.events import Callback, CancelValidate
from trainwell.learner.kept_predictions import KeepValidationPredictions, kept_validation_predictions


class CountsActivations(Learner):
    """A Learner that counts its activations (the override the Learner's docs name for outputs to pick from)."""

    activations = 0

    def activate(self, output: torch.Tensor, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        self.activations += 1
        return super().activate(output, inputs)


def _learner() -> CountsActivations:
    torch.manual_seed(0)
    x = torch.randn(100, 4)
    y = (x[:, 0] + x[:, 1] > 0).float()
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    data = tensor_data(
        x, y, batch_size=8, seed=0
    )  # 20 validation rows: 3 batches of 8 (twice the batch size)
    return CountsActivations(model, data, metrics=[], progress=False, device="cpu")


def test_activating_after_the_fit_keeps_the_pass_a_new_one_makes_from_one_activation_a_batch() -> None:
    eager, deferred = _learner(), _learner()
    eager.fit(3, 1e-2, callbacks=[KeepValidationPredictions()])
    deferred.fit(3, 1e-2, callbacks=[KeepValidationPredictions(activate_after_fit=True)])
    validation_batches = len(deferred.data.valid)  # type: ignore[arg-type]
    assert eager.activations == 3 * validation_batches  # every epoch's pass
    assert deferred.activations == validation_batches  # the last pass's, once
    kept, kept_eagerly = kept_validation_predictions(deferred), kept_validation_predictions(eager)
    assert kept is not None and kept_eagerly is not None
    fresh, targets = deferred.get_preds()
    assert targets is not None and torch.equal(kept[1], targets) and torch.equal(kept[0], fresh)
    assert torch.equal(kept[0], kept_eagerly[0])  # same seed, same weights


def test_a_last_pass_cut_short_activates_nothing() -> None:
    class CutsTheLastPass(Callback):
        order = 40

        def after_batch(self, learn: Learner) -> None:
            if not learn.training and learn.epoch == 1:
                raise CancelValidate

    learn = _learner()
    learn.fit(2, 1e-2, callbacks=[KeepValidationPredictions(activate_after_fit=True), CutsTheLastPass()])
    assert learn.activations == 0
    assert kept_validation_predictions(learn) is None
