"""Validation metrics explained for the data at hand, with bootstrap intervals."""

from __future__ import annotations

import torch

from trainwell.data.task import Task
from trainwell.evaluate.explain import explain_validation, share, top_precision
from trainwell.metrics import functional


def _binary(n: int = 400, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    targets = (torch.rand(n, generator=generator) < 0.25).float()
    scores = torch.sigmoid(2.5 * (targets - 0.5) + torch.randn(n, generator=generator))
    return scores, targets


def test_top_precision_by_hand() -> None:
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])
    targets = torch.tensor([1.0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    assert top_precision(scores, targets, share=0.2) == 0.5  # the two best: one positive
    assert top_precision(scores, targets, share=0.1) == 1.0


def test_binary_lines_have_intervals_and_data_specific_words() -> None:
    scores, targets = _binary()
    task = Task("binary", ("no", "yes"))
    lines = {
        line.name: line for line in explain_validation(task, scores, targets, ["accuracy", "roc_auc", "f1"])
    }
    assert list(lines) == ["accuracy", "roc_auc", "f1", "top10_precision"]
    for line in lines.values():
        assert line.low <= line.value <= line.high
    auc = lines["roc_auc"]
    assert auc.value == functional.roc_auc(scores, targets, "binary")
    # AUC is the chance of outranking a row of the other class; "a random other row" (a 'yes' one too) is not it.
    assert (
        f"a random 'yes' row outranks a random 'no' row {100 * auc.value:.0f}% of the time; it is not accuracy"
        in auc.sentence
    )
    base = 100 * float(targets.mean())
    assert f"base rate of {base:.0f}%" in lines["top10_precision"].sentence
    majority = 100 * max(float(targets.mean()), 1 - float(targets.mean()))
    assert f"would score {majority:.0f}%" in lines["accuracy"].sentence


def test_more_rows_give_narrower_intervals() -> None:
    task = Task("binary", (0, 1))
    small = explain_validation(task, *_binary(200), ["accuracy"])[0]
    large = explain_validation(task, *_binary(5000), ["accuracy"])[0]
    assert (large.high - large.low) < (small.high - small.low)


def test_regression_sentences_compare_with_the_spread() -> None:
    targets = torch.linspace(0, 100, 300)
    predictions = targets + torch.randn(300, generator=torch.Generator().manual_seed(0)) * 5
    lines = explain_validation(
        Task("regression", (), ("price",)), predictions, targets, ["rmse", "mae", "r2"]
    )
    by_name = {line.name: line for line in lines}
    assert f"standard deviation is {float(targets.std()):.4g}" in by_name["rmse"].sentence
    assert by_name["r2"].sentence.startswith(f"the model explains {100 * by_name['r2'].value:.0f}%")


def test_multilabel_lines_decide_with_the_tasks_label_thresholds() -> None:
    generator = torch.Generator().manual_seed(0)
    targets = (torch.rand(200, 3, generator=generator) < 0.2).float()
    scores = 0.1 + 0.3 * targets + 0.2 * torch.rand(200, 3, generator=generator)  # positives under 0.5 too
    task = Task("multilabel", ("a", "b", "c"), ("tags",), label_thresholds=(0.35, 0.35, 0.35))
    lines = {line.name: line for line in explain_validation(task, scores, targets, ["f1"], n_boot=20)}
    assert abs(lines["f1"].value - functional.f1(scores, targets, "multilabel", (0.35,) * 3)) < 1e-9
    assert lines["f1"].value > functional.f1(scores, targets, "multilabel", 0.5) + 0.2
    assert "its own threshold" in lines["f1"].sentence
    # Accuracy over label decisions is high when labels are rare: the sentence gives the all-"no" figure.
    accuracy = {
        line.name: line for line in explain_validation(task, scores, targets, ["accuracy"], n_boot=20)
    }
    assert f"answering no to every label would score {share(1 - float(targets.mean()))}" in (
        accuracy["accuracy"].sentence
    )


def test_a_metric_undefined_on_rows_of_one_class_says_so() -> None:
    # Fitted on 5 rows, the validation row was one: ROC AUC "outranks ... nan% of the time".
    task = Task("binary", ("no", "yes"))
    lines = {
        line.name: line
        for line in explain_validation(
            task, torch.tensor([[0.7], [0.6]]), torch.tensor([[1.0], [1.0]]), ["roc_auc"]
        )
    }
    assert (
        lines["roc_auc"].sentence
        == "undefined here: the 2 rows it is measured on hold one class only; judge on more rows"
    )
    assert "nan" not in lines["top10_precision"].sentence
