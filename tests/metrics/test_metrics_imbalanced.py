"""Average precision, Matthews correlation and the Brier score against scikit-learn: random data of every
classification task, the edge cases (one class only, perfect, inverted, all scores tied), the registry and the
command line's early name check, and a Learner that reports them."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn import metrics as skm
from torch import nn

from process_support import run_trainwell
from trainwell.core.errors import ConfigError
from trainwell.core.metric_names import check_metric_names
from trainwell.data import tensor_data
from trainwell.learner import Learner
from trainwell.metrics import (
    AveragePrecision,
    BrierScore,
    MatthewsCorrelation,
    describe_metric,
    functional,
    get_metric,
    list_metrics,
    metrics,
)
from trainwell.metrics.registry import metric_bounds

NEW = ("average_precision", "mcc", "brier")


def _binary(seed: int, rows: int = 300, rate: float = 0.11) -> tuple[torch.Tensor, torch.Tensor]:
    """Rare positives and scores rounded to tenths, so that many are tied."""
    generator = torch.Generator().manual_seed(seed)
    targets = (torch.rand(rows, generator=generator) < rate).float()
    scores = torch.sigmoid(1.5 * targets + torch.randn(rows, generator=generator) - 1.5)
    return (scores * 10).round() / 10, targets


def _multiclass(seed: int, rows: int = 300, width: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    targets = torch.multinomial(
        torch.tensor([0.6, 0.25, 0.1, 0.05]), rows, replacement=True, generator=generator
    )
    logits = torch.randn(rows, width, generator=generator) + 1.5 * nn.functional.one_hot(targets, width)
    return logits.double().softmax(dim=1), targets


def _multilabel(seed: int, rows: int = 300) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    targets = (torch.rand(rows, 3, generator=generator) < torch.tensor([0.5, 0.15, 0.05])).float()
    scores = torch.sigmoid(2 * targets + torch.randn(rows, 3, generator=generator) - 1)
    return (scores * 10).round() / 10, targets


def _sklearn(
    name: str, task: str, preds: torch.Tensor, targets: torch.Tensor, threshold: float = 0.5
) -> float:
    p, t = preds.double().numpy(), targets.numpy()
    decided = (
        preds.numpy() >= threshold
    )  # in the predictions' own precision, as the metric decides (0.7 in float32)
    if task == "binary":
        return {
            "average_precision": lambda: skm.average_precision_score(t, p),
            "mcc": lambda: skm.matthews_corrcoef(t, decided),
            "brier": lambda: skm.brier_score_loss(t, p),
        }[name]()
    if task == "multiclass":
        width = p.shape[1]
        return {
            "average_precision": lambda: skm.average_precision_score(np.eye(width)[t], p, average="macro"),
            "mcc": lambda: skm.matthews_corrcoef(t, p.argmax(axis=1)),
            "brier": lambda: skm.brier_score_loss(t, p, labels=list(range(width))),
        }[name]()
    columns = range(t.shape[1])
    return float(
        np.mean(
            {
                "average_precision": lambda: [skm.average_precision_score(t[:, k], p[:, k]) for k in columns],
                "mcc": lambda: [skm.matthews_corrcoef(t[:, k], decided[:, k]) for k in columns],
                "brier": lambda: [skm.brier_score_loss(t[:, k], p[:, k]) for k in columns],
            }[name]()
        )
    )


DATA = {"binary": _binary, "multiclass": _multiclass, "multilabel": _multilabel}


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("name", NEW)
def test_each_new_metric_equals_scikit_learn_on_random_data(name: str, task: str, seed: int) -> None:
    preds, targets = DATA[task](seed)
    found = getattr(functional, name)(preds, targets, task)
    assert found == pytest.approx(_sklearn(name, task, preds, targets), abs=1e-12)
    # Through the registry, batch by uneven batch, the same number.
    metric = get_metric(name, task)
    for start, stop in ((0, 1), (1, 120), (120, 300)):
        metric.update(preds[start:stop], targets[start:stop])
    assert metric.compute() == pytest.approx(found, abs=1e-12)


def test_mcc_decides_at_the_threshold_given() -> None:
    preds, targets = _binary(3)
    for threshold in (0.2, 0.3, 0.7):
        expected = _sklearn("mcc", "binary", preds, targets, threshold)
        assert functional.mcc(preds, targets, "binary", threshold) == pytest.approx(expected, abs=1e-12)
        assert get_metric("mcc", "binary", threshold=threshold).threshold == threshold
    assert functional.mcc(preds, targets, "binary", 0.2) != functional.mcc(preds, targets, "binary", 0.7)


def test_average_precision_by_hand_with_ties() -> None:
    # Scores 0.9 | 0.5 0.5 0.5 | 0.1: the tied three form one step, precision 3/4 where recall reaches 1.
    scores = torch.tensor([0.9, 0.5, 0.5, 0.5, 0.1])
    targets = torch.tensor([1.0, 1.0, 0.0, 0.0, 0.0])
    assert functional.average_precision(scores, targets, "binary") == pytest.approx(0.5 * 1 + 0.5 * 2 / 4)
    assert functional.average_precision(scores, targets, "binary") == pytest.approx(
        skm.average_precision_score(targets, scores)
    )


def test_perfect_and_inverted_predictions() -> None:
    targets = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.0, 0.0])
    perfect = targets * 0.8 + 0.1
    assert functional.average_precision(perfect, targets, "binary") == 1.0
    assert functional.mcc(perfect, targets, "binary") == 1.0
    assert functional.brier(targets, targets, "binary") == 0.0
    inverted = 1 - perfect
    assert functional.mcc(inverted, targets, "binary") == pytest.approx(-1.0)
    assert functional.mcc(inverted, targets, "binary") == pytest.approx(
        skm.matthews_corrcoef(targets, inverted >= 0.5)
    )
    assert functional.brier(1 - targets, targets, "binary") == 1.0
    # A multiclass model sure of the wrong class scores Brier's worst, 2.
    wrong = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    assert functional.brier(wrong, torch.tensor([0, 1]), "multiclass") == 2.0


def test_all_scores_tied_give_the_base_rate() -> None:
    preds, targets = _binary(4)
    tied = torch.full_like(preds, 0.3)
    found = functional.average_precision(tied, targets, "binary")
    assert found == pytest.approx(float(targets.mean())) and found == pytest.approx(
        skm.average_precision_score(targets, tied)
    )
    # Every row the same answer: MCC has no correlation to measure; 0, as scikit-learn says.
    assert functional.mcc(tied, targets, "binary") == 0.0 == skm.matthews_corrcoef(targets, tied >= 0.5)


def test_one_class_only() -> None:
    preds = torch.tensor([0.2, 0.7, 0.4, 0.9])
    negatives, positives = torch.zeros(4), torch.ones(4)
    # No positive: average precision is undefined (scikit-learn warns and says 0); we say nan, as AUC does.
    assert math.isnan(functional.average_precision(preds, negatives, "binary"))
    assert math.isnan(get_metric("average_precision", "binary").compute())
    # Only positives: every precision is 1.
    assert (
        functional.average_precision(preds, positives, "binary")
        == 1.0
        == skm.average_precision_score(positives, preds)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn warns of the zero division it scores 0
        for targets in (negatives, positives):
            assert (
                functional.mcc(preds, targets, "binary")
                == 0.0
                == skm.matthews_corrcoef(targets, preds >= 0.5)
            )
            assert functional.brier(preds, targets, "binary") == pytest.approx(
                skm.brier_score_loss(targets, preds)
            )
    # Multiclass: a class no row holds is left out of the macro mean (its curve has no positive).
    probabilities = torch.tensor(
        [[0.7, 0.2, 0.1], [0.3, 0.6, 0.1], [0.5, 0.1, 0.4], [0.2, 0.7, 0.1]], dtype=torch.float64
    )
    classes = torch.tensor([0, 1, 0, 1])
    both = skm.average_precision_score(
        np.eye(3)[classes][:, :2], probabilities[:, :2].numpy(), average="macro"
    )
    assert functional.average_precision(probabilities, classes, "multiclass") == pytest.approx(both)
    assert functional.brier(probabilities, classes, "multiclass") == pytest.approx(
        skm.brier_score_loss(classes, probabilities, labels=[0, 1, 2])
    )
    # No rows at all: nan for each.
    for name in NEW:
        assert math.isnan(getattr(functional, name)(torch.empty(0), torch.empty(0), "binary"))


def test_registry_names_aliases_direction_and_bounds() -> None:
    assert set(NEW) <= set(list_metrics(task="binary"))
    assert set(NEW) <= set(list_metrics(task="multiclass")) and set(NEW) <= set(
        list_metrics(task="multilabel")
    )
    assert not set(NEW) & set(list_metrics(task="regression"))
    assert isinstance(get_metric("pr_auc", "binary"), AveragePrecision)
    assert get_metric("pr_auc", "multiclass").name == "average_precision"
    assert isinstance(get_metric("mcc", "multiclass"), MatthewsCorrelation)
    assert isinstance(get_metric("brier", "multilabel"), BrierScore)
    direction = {name: metrics.entry(name).metadata["higher_is_better"] for name in NEW}
    assert direction == {"average_precision": True, "mcc": True, "brier": False}
    assert [metric_bounds(name) for name in NEW] == [(0.0, 1.0), (-1.0, 1.0), (0.0, 2.0)]
    assert describe_metric("pr_auc") == describe_metric("average_precision")
    assert "base rate" in describe_metric("average_precision", "binary")
    with pytest.raises(ConfigError, match=r"metric 'brier' does not fit a regression task"):
        get_metric("brier", "regression")


def test_the_command_lines_early_check_knows_the_new_names() -> None:
    check_metric_names(["mcc", "average_precision", "pr_auc", "brier"])
    with pytest.raises(ConfigError, match=r"unknown metric 'mmc'; did you mean 'mcc'\?"):
        check_metric_names(["mmc"])
    with pytest.raises(
        ConfigError, match=r"unknown metric 'average_precison'; did you mean 'average_precision'\?"
    ):
        check_metric_names(["average_precison"])
    with pytest.raises(ConfigError, match=r"unknown metric 'brierr'; did you mean 'brier'\?"):
        get_metric("brierr", "binary")


def test_a_learner_reports_them_as_scikit_learn_scores_its_predictions() -> None:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(400, 4, generator=generator)
    y = (x[:, 0] + 0.5 * torch.randn(400, generator=generator) > 1.2).float()  # about 12% positives
    data = tensor_data(x, y, task="binary", valid_pct=0.25, batch_size=32, seed=0)
    torch.manual_seed(0)
    learn = Learner(nn.Linear(4, 1), data, metrics=["mcc", "pr_auc", "brier"], progress=False, device="cpu")
    learn.fit(3, lr=0.05)
    row = learn.history[-1]
    assert {"mcc", "average_precision", "brier"} <= set(row)
    assert [metric.higher_is_better for metric in learn.metrics] == [True, True, False]
    probabilities, targets = learn.get_preds()
    probabilities, targets = probabilities.reshape(-1), targets.reshape(-1)
    assert 0 < targets.mean() < 0.3
    for name in NEW:
        assert row[name] == pytest.approx(_sklearn(name, "binary", probabilities, targets), abs=1e-6)
    assert row["average_precision"] > float(targets.mean())  # a trained model ranks better than chance


def test_tune_optimises_them_in_their_direction() -> None:
    from trainwell.automl.search import search_metric
    from trainwell.evaluate.compare import higher_is_better

    x = torch.randn(80, 3, generator=torch.Generator().manual_seed(0))
    data = tensor_data(x, (x[:, 0] > 1).float(), task="binary", valid_pct=0.25, batch_size=16, seed=0)
    assert search_metric(data, "pr_auc", "roc_auc") == "average_precision"
    assert [search_metric(data, name, "roc_auc") for name in ("mcc", "brier")] == ["mcc", "brier"]
    assert [higher_is_better(name) for name in NEW] == [
        True,
        True,
        False,
    ]  # tune maximises or minimises by it


@pytest.mark.slow
def test_fit_on_the_command_line_reports_them_with_their_sentences(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    x, z = rng.normal(size=300), rng.normal(size=300)
    frame = pd.DataFrame({"x": x, "z": z})
    frame["y"] = np.where(x + 0.5 * z + 0.7 * rng.normal(size=300) > 1.3, "yes", "no")
    frame.to_csv(tmp_path / "data.csv", index=False)
    metric_options = ["--metric", "mcc", "--metric", "pr_auc", "--metric", "brier"]
    done = run_trainwell(
        "fit",
        "data.csv",
        "--target",
        "y",
        *metric_options,
        "--epochs",
        "2",
        "--lr",
        "0.01",
        "--out",
        "model",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    history = pd.read_csv(tmp_path / "model" / "history.csv")
    assert {"mcc", "average_precision", "brier"} <= set(history.columns)
    shown = " ".join(done.stdout.split())
    assert "(the base rate) for a random ranking" in shown
    assert "always answering the base rate would score" in shown
    assert (
        f"correlation of the decisions at threshold 0.5 with the truth: {history['mcc'].iloc[-1]:.3f}"
        in shown
    )
