"""What a user reads around a fit: fine-tuning's epoch table under one header (ULMFiT's four stages printed four),
validate()'s loss under the name the table and the history give it, and the multi-label notes that called an
in-sample F1 "optimistic" and "flattering" when it read lower than the cross-fitted one."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import torch
from rich.console import Console
from torch import nn

from trainwell.callbacks.progress import ProgressBar
from trainwell.data import tensor_data
from trainwell.learner import Learner
from trainwell.learner.label_thresholds import ThresholdSummary, warn_in_sample_thresholds


class _BodyHead(nn.Sequential):
    def __init__(self) -> None:
        super().__init__(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))

    def layer_groups(self) -> list[nn.Module]:
        return [self[0], self[2]]


def _learner(console: Console | None = None) -> Learner:
    torch.manual_seed(0)
    x = torch.randn(64, 3)
    callbacks = [] if console is None else [ProgressBar(console)]
    data = tensor_data(x, x.sum(1).numpy(), batch_size=32, seed=0)
    return Learner(_BodyHead(), data, progress=False, device="cpu", lr=0.05, callbacks=callbacks)


def _headers(console: Console) -> int:
    return sum("train_loss" in line for line in console.export_text(clear=False).splitlines())


def test_a_schedule_of_fits_prints_one_table_and_a_new_schedule_a_new_one() -> None:
    console = Console(record=True, width=200, force_terminal=False)
    learn = _learner(console)
    learn.fine_tune(1, freeze_epochs=1)
    assert _headers(console) == 1  # before: one over the frozen epoch, one over the unfrozen
    for phase in ("stage 1", "stage 2", "unfrozen"):  # ULMFiT's gradual unfreezing names its fits so
        with learn.in_phase(phase):
            learn.fit(1)
    assert _headers(console) == 2
    learn.fit(1)  # a fit of its own
    assert _headers(console) == 3
    rows = [
        line.split()[0] for line in console.export_text(clear=False).splitlines() if line.split()[0].isdigit()
    ]
    assert rows == ["1", "2", "3", "4", "5", "6"]


def test_validate_shows_its_loss_as_valid_loss_and_still_reads_loss() -> None:
    scores = _learner().validate()
    assert repr(scores).startswith("{'valid_loss': ") and "'loss'" not in str(scores)
    assert next(iter(scores)) == "loss" and scores["loss"] == scores["valid_loss"]


def _summary(in_sample: float) -> ThresholdSummary:
    return ThresholdSummary(
        thresholds={"joy": 0.3, "anger": 0.2},
        global_threshold=0.25,
        n_rows=160,
        few_positives=(),
        at_half={"f1": 0.0045},
        cross_fitted={"f1": 0.1138},
        in_sample_f1=in_sample,
    )


def test_the_threshold_note_calls_the_in_sample_f1_optimistic_only_when_it_is_higher() -> None:
    lower = _summary(0.1056).note()  # GoEmotions' first 800 texts
    assert "F1 would read 0.1056, no higher than the cross-fitted 0.1138 here" in lower
    assert "optimistic" not in lower
    assert "F1 would read 0.1300, which is optimistic" in _summary(0.13).note()


def _warned(results: dict[str, float]) -> str:
    figures = {"accuracy_tuned": 0.9500, "f1_tuned": 0.1138, "accuracy at 0.5": 0.9600, "f1 at 0.5": 0.0045}
    learn = SimpleNamespace(threshold_figures=figures, task=SimpleNamespace(kind="multilabel"))
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        warn_in_sample_thresholds(learn, results)
    assert len(said) == 1
    return str(said[0].message)


def test_validate_says_flatter_of_the_figures_that_beat_the_cross_fitted_ones_alone() -> None:
    mixed = _warned({"loss": 0.1, "accuracy": 0.9536, "f1": 0.1056})
    assert "its accuracy 0.9536 flatters the model (its f1 0.1056 is no better than the cross-fitted" in mixed
    neither = _warned({"loss": 0.1, "accuracy": 0.9400, "f1": 0.1056})
    assert "flatter" not in neither
    assert "its accuracy 0.9400, f1 0.1056 are no better than the cross-fitted figures here" in neither
    both = _warned({"loss": 0.1, "accuracy": 0.9600, "f1": 0.1500})
    assert "its accuracy 0.9600, f1 0.1500 flatter the model:" in both
