"""The held-out check that keeps per-label thresholds or 0.5 after a multi-label fit gives the same verdict
whatever the seed, and the right one: on 100 validation rows one random split into halves decided it, and the
same model kept 0.5 for 3 seeds of 10 where its thresholds gain 0.07 macro F1 on new rows, or adopted them for
2 seeds of 10 where they lose 0.02. Now five folds drawn three times, each row decided by its draws' majority."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from trainwell.data import tensor_data
from trainwell.data.task import Task
from trainwell.learner import Learner
from trainwell.learner.label_thresholds import tune_label_thresholds
from trainwell.metrics.functional import f1
from trainwell.metrics.thresholds import choose_thresholds

PREVALENCE = torch.tensor((0.3, 0.1, 0.06))


def _rows(n_rows: int, shift: float, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits of three labels (two rare) and their truth; ``shift`` lowers every logit (an under-confident model)."""
    truth = torch.rand(n_rows, 3, generator=generator) < PREVALENCE
    logits = torch.randn(n_rows, 3, generator=generator) + torch.where(truth, 1.2, -1.2) - shift
    return logits, truth.float()


def _world(shift: float, seed: int) -> tuple[Learner, float]:
    """A Learner whose model hands its inputs' logits on (100 validation rows), and how much the thresholds
    chosen on those rows gain over 0.5 in macro F1 on 20,000 new rows of the same kind."""
    generator = torch.Generator().manual_seed(seed)
    logits, truth = _rows(100, shift, generator)
    new_logits, new_truth = _rows(20_000, shift, generator)
    chosen = choose_thresholds(torch.sigmoid(logits), truth).thresholds
    gain = float(f1(torch.sigmoid(new_logits), new_truth, "multilabel", chosen)) - float(
        f1(torch.sigmoid(new_logits), new_truth, "multilabel", 0.5)
    )
    model = nn.Linear(3, 3)
    with torch.no_grad():
        model.weight.copy_(torch.eye(3))
        model.bias.zero_()
    x, y = torch.cat([torch.zeros(4, 3), logits]), torch.cat([torch.eye(3)[[0, 1, 2, 0]], truth])
    task = Task("multilabel", classes=("a", "b", "c"))
    data = tensor_data(x, y, task=task, splits=(range(4), range(4, 104)), batch_size=50)
    return Learner(model, data, metrics=["f1"], progress=False, device="cpu"), gain


@pytest.mark.parametrize(
    ("shift", "world", "seeds", "helps"),
    [(0.0, 2, (2, 4), True), (0.6, 0, (0, 6), False)],
    ids=["thresholds-help", "thresholds-hurt"],
)
def test_the_check_keeps_what_wins_on_new_rows_whatever_the_seed(
    shift: float, world: int, seeds: tuple[int, ...], helps: bool
) -> None:
    verdicts, summary = [], None
    for seed in seeds:  # the seeds whose one split into halves got it wrong
        learn, gain = _world(shift, world)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            summary = tune_label_thresholds(learn, seed=seed)
        assert summary is not None
        verdicts.append(summary.adopted)
        assert (learn.task.label_thresholds != ()) is summary.adopted
    assert (gain > 0.05) if helps else (gain < -0.01)  # what new rows say of these thresholds
    assert verdicts == [helps] * len(seeds)
    assert summary is not None
    assert (summary.folds, summary.repeats) == (5, 3)  # 100 rows of 3 labels: five folds, drawn three times
    assert "of the 100 validation rows and scored on the rest, in 5 folds drawn 3 times" in summary.note()
