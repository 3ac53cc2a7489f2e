"""trainwell.metrics.functional against scikit-learn on seeded random data, plus the edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn import metrics as skm

from trainwell.core.errors import ConfigError, DataError
from trainwell.metrics import functional as F

TOLERANCE = 1e-6
N_ROWS, N_CLASSES, N_LABELS = 300, 4, 5


def make_data(task: str, seed: int = 0, ties: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Activated predictions and targets for ``task``; ``ties`` rounds scores so many are equal."""
    generator = torch.Generator().manual_seed(seed)
    if task == "binary":
        preds = torch.rand(N_ROWS, generator=generator, dtype=torch.float64)
        targets = (torch.rand(N_ROWS, generator=generator) < 0.3 + 0.4 * preds).float()
    elif task == "multiclass":
        logits = torch.randn(N_ROWS, N_CLASSES, generator=generator, dtype=torch.float64)
        targets = torch.randint(0, N_CLASSES, (N_ROWS,), generator=generator)
        logits[torch.arange(N_ROWS), targets] += 0.8
        preds = logits.softmax(dim=1)
    elif task == "multilabel":
        preds = torch.rand(N_ROWS, N_LABELS, generator=generator, dtype=torch.float64)
        targets = (torch.rand(N_ROWS, N_LABELS, generator=generator) < 0.2 + 0.5 * preds).float()
    else:
        targets = torch.randn(N_ROWS, 3, generator=generator, dtype=torch.float64) * 4 + 10
        preds = targets + torch.randn(N_ROWS, 3, generator=generator, dtype=torch.float64) * 2
    if ties and task == "multiclass":
        # Rows drawn from a few probability vectors: many ties per column, rows still summing to 1.
        preds = preds[torch.randint(0, 6, (N_ROWS,), generator=generator)]
    elif ties:
        preds = (preds * 10).round() / 10
    return preds, targets


def decisions(preds: torch.Tensor, task: str) -> np.ndarray:
    return preds.argmax(dim=1).numpy() if task == "multiclass" else (preds >= 0.5).long().numpy()


CLASSIFICATION = ["binary", "multiclass", "multilabel"]


@pytest.mark.parametrize("task", CLASSIFICATION)
def test_accuracy_and_error_rate_match_sklearn(task: str) -> None:
    preds, targets = make_data(task)
    truth, decided = targets.long().numpy(), decisions(preds, task)
    # Multilabel accuracy is per label decision: sklearn's score on the flattened decisions.
    expected = skm.accuracy_score(truth.ravel(), decided.ravel())
    assert F.accuracy(preds, targets, task) == pytest.approx(expected, abs=TOLERANCE)
    assert F.error_rate(preds, targets, task) == pytest.approx(1 - expected, abs=TOLERANCE)


@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_balanced_accuracy_matches_sklearn(task: str) -> None:
    preds, targets = make_data(task, seed=1)
    expected = skm.balanced_accuracy_score(targets.long().numpy(), decisions(preds, task))
    assert F.balanced_accuracy(preds, targets, task) == pytest.approx(expected, abs=TOLERANCE)


def test_balanced_accuracy_skips_classes_absent_from_targets() -> None:
    preds, targets = make_data("multiclass", seed=2)
    targets = targets.clamp(max=N_CLASSES - 2)  # the last class never occurs, but may be predicted
    with pytest.warns(UserWarning):  # sklearn warns about the class it drops
        expected = skm.balanced_accuracy_score(targets.numpy(), decisions(preds, "multiclass"))
    assert F.balanced_accuracy(preds, targets, "multiclass") == pytest.approx(expected, abs=TOLERANCE)


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("task", CLASSIFICATION)
def test_roc_auc_matches_sklearn(task: str, ties: bool) -> None:
    preds, targets = make_data(task, seed=3, ties=ties)
    if task == "multiclass":
        expected = skm.roc_auc_score(
            targets.numpy(), preds.numpy(), multi_class="ovr", average="macro", labels=list(range(N_CLASSES))
        )
    else:
        expected = skm.roc_auc_score(targets.numpy(), preds.numpy(), average="macro")
    assert F.roc_auc(preds, targets, task) == pytest.approx(expected, abs=TOLERANCE)


def test_roc_auc_hand_computed_with_ties() -> None:
    # Pairs (positive, negative): (0.5 vs 0.5) half, (0.5 vs 0.2) win, (0.9 vs 0.5) win, (0.9 vs 0.2) win.
    preds = torch.tensor([0.5, 0.9, 0.5, 0.2])
    targets = torch.tensor([1, 1, 0, 0])
    assert F.roc_auc(preds, targets, "binary") == pytest.approx(3.5 / 4)


def test_roc_auc_with_one_class_is_nan() -> None:
    assert math.isnan(F.roc_auc(torch.tensor([0.2, 0.7, 0.4]), torch.tensor([1.0, 1.0, 1.0]), "binary"))
    assert math.isnan(F.roc_auc(torch.rand(3, 2), torch.zeros(3, 2), "multilabel"))


def test_multilabel_roc_auc_averages_labels_with_both_classes() -> None:
    preds, targets = make_data("multilabel", seed=4)
    targets[:, 1] = 0.0  # label 1 has no positive: left out
    expected = skm.roc_auc_score(targets[:, [0, 2, 3, 4]].numpy(), preds[:, [0, 2, 3, 4]].numpy())
    assert F.roc_auc(preds, targets, "multilabel") == pytest.approx(expected, abs=TOLERANCE)


def test_multiclass_roc_auc_averages_classes_present() -> None:
    preds, targets = make_data("multiclass", seed=5)
    targets = targets.clamp(max=N_CLASSES - 2)
    expected = np.mean(
        [skm.roc_auc_score(targets.numpy() == c, preds[:, c].numpy()) for c in range(N_CLASSES - 1)]
    )
    assert F.roc_auc(preds, targets, "multiclass") == pytest.approx(expected, abs=TOLERANCE)


@pytest.mark.parametrize("task", CLASSIFICATION)
def test_f1_matches_sklearn(task: str) -> None:
    preds, targets = make_data(task, seed=6)
    average = "binary" if task == "binary" else "macro"
    expected = skm.f1_score(targets.long().numpy(), decisions(preds, task), average=average)
    assert F.f1(preds, targets, task) == pytest.approx(expected, abs=TOLERANCE)


@pytest.mark.parametrize("task", CLASSIFICATION)
@pytest.mark.parametrize("name", ["precision", "recall"])
def test_precision_and_recall_match_sklearn(name: str, task: str) -> None:
    preds, targets = make_data(task, seed=8)
    reference = {"precision": skm.precision_score, "recall": skm.recall_score}[name]
    function = {"precision": F.precision, "recall": F.recall}[name]
    average = "binary" if task == "binary" else "macro"
    expected = reference(targets.long().numpy(), decisions(preds, task), average=average, zero_division=0)
    assert function(preds, targets, task) == pytest.approx(expected, abs=TOLERANCE)
    # A class predicted but never true, and a label never true nor predicted, score 0 as in scikit-learn.
    if task == "multiclass":
        targets = targets.clamp(max=2)
    if task == "multilabel":
        preds[:, 2], targets[:, 2] = 0.1, 0.0
    expected = reference(targets.long().numpy(), decisions(preds, task), average=average, zero_division=0)
    assert function(preds, targets, task) == pytest.approx(expected, abs=TOLERANCE)


def test_f1_classes_never_seen_follow_sklearn() -> None:
    preds, targets = make_data("multilabel", seed=7)
    preds[:, 2], targets[:, 2] = 0.1, 0.0  # label 2: never true, never predicted -> scores 0
    expected = skm.f1_score(
        targets.long().numpy(), decisions(preds, "multilabel"), average="macro", zero_division=0
    )
    assert F.f1(preds, targets, "multilabel") == pytest.approx(expected, abs=TOLERANCE)
    preds, targets = make_data("multiclass", seed=7)
    preds[:, 3], targets = 0.0, targets.clamp(max=2)  # class 3: never true, never predicted -> left out
    expected = skm.f1_score(targets.numpy(), decisions(preds, "multiclass"), average="macro")
    assert F.f1(preds, targets, "multiclass") == pytest.approx(expected, abs=TOLERANCE)


@pytest.mark.parametrize("task", CLASSIFICATION)
def test_log_loss_matches_sklearn(task: str) -> None:
    preds, targets = make_data(task, seed=8)
    if task == "multiclass":
        expected = skm.log_loss(targets.numpy(), preds.numpy(), labels=list(range(N_CLASSES)))
    else:
        # Multilabel log loss is the mean binary cross-entropy over every label decision.
        expected = skm.log_loss(targets.numpy().ravel(), preds.numpy().ravel())
    assert F.log_loss(preds, targets, task) == pytest.approx(expected, abs=TOLERANCE)


def test_log_loss_clips_certain_mistakes() -> None:
    preds, targets = torch.tensor([0.0, 1.0]), torch.tensor([1.0, 1.0])
    assert F.log_loss(preds, targets, "binary") == pytest.approx(-math.log(1e-15) / 2, rel=1e-9)


@pytest.mark.parametrize("outputs", [1, 3])
def test_regression_metrics_match_sklearn(outputs: int) -> None:
    preds, targets = make_data("regression", seed=9)
    preds, targets = preds[:, :outputs].squeeze(1), targets[:, :outputs].squeeze(1)
    y_true, y_pred = targets.numpy(), preds.numpy()
    rmse = np.sqrt(skm.mean_squared_error(y_true, y_pred, multioutput="raw_values"))
    mae = skm.mean_absolute_error(y_true, y_pred, multioutput="raw_values")
    if outputs > 1:
        # Several targets: each one's error in its standard deviations (ddof 0), averaged over targets.
        rmse, mae = rmse / y_true.std(axis=0), mae / y_true.std(axis=0)
    assert F.rmse(preds, targets) == pytest.approx(float(np.mean(rmse)), abs=TOLERANCE)
    assert F.mae(preds, targets) == pytest.approx(float(np.mean(mae)), abs=TOLERANCE)
    assert F.r2(preds, targets, "regression") == pytest.approx(skm.r2_score(y_true, y_pred), abs=TOLERANCE)


def test_r2_with_a_constant_target_follows_sklearn() -> None:
    preds, targets = make_data("regression", seed=10)
    targets[:, 0] = 0.25  # exactly representable, so sklearn's two-pass variance is exactly 0 too
    preds[:, 1] = targets[:, 1]
    expected = skm.r2_score(targets.numpy(), preds.numpy())
    assert F.r2(preds, targets) == pytest.approx(expected, abs=TOLERANCE)
    assert F.r2(targets[:, 0], targets[:, 0]) == 1.0
    # 0.1 is not exact in binary; running sums leave round-off that must not turn into a huge negative R².
    assert F.r2(preds[:, 0], torch.full((N_ROWS,), 0.1, dtype=torch.float64)) == 0.0


def test_threshold_moves_binary_decisions() -> None:
    preds, targets = torch.tensor([0.3, 0.6, 0.8]), torch.tensor([1, 0, 1])
    assert F.accuracy(preds, targets, "binary") == pytest.approx(1 / 3)
    assert F.accuracy(preds, targets, "binary", threshold=0.7) == pytest.approx(2 / 3)
    assert F.accuracy(preds, targets, "binary", threshold=0.9) == pytest.approx(1 / 3)


def test_binary_accepts_a_width_one_column_and_long_targets() -> None:
    preds, targets = make_data("binary", seed=11)
    assert F.f1(preds.unsqueeze(1), targets.long(), "binary") == F.f1(preds, targets, "binary")


def test_empty_input_gives_nan() -> None:
    assert math.isnan(F.accuracy(torch.empty(0), torch.empty(0), "binary"))
    assert math.isnan(F.r2(torch.empty(0), torch.empty(0)))


def test_metric_on_the_wrong_task_names_both() -> None:
    with pytest.raises(
        ConfigError, match=r"metric 'rmse' does not fit a multiclass task; it fits: regression"
    ):
        F.rmse(torch.rand(4, 3), torch.zeros(4, dtype=torch.long), "multiclass")
    with pytest.raises(ConfigError, match=r"metric 'balanced_accuracy' does not fit a multilabel task"):
        F.balanced_accuracy(torch.rand(4, 3), torch.zeros(4, 3), "multilabel")


def test_bad_shapes_task_and_threshold_are_clear_errors() -> None:
    with pytest.raises(
        DataError, match=r"metric 'accuracy' for a multiclass task expects float preds \(N, C\)"
    ):
        F.accuracy(torch.rand(4, 3), torch.zeros(4, 3), "multiclass")
    with pytest.raises(DataError, match=r"got preds \(4,\) torch.float32 and targets \(5,\)"):
        F.roc_auc(torch.rand(4), torch.zeros(5), "binary")
    with pytest.raises(ConfigError, match=r"task 'ranking' is not known to metrics; use one of: binary"):
        F.accuracy(torch.rand(4), torch.zeros(4), "ranking")
    with pytest.raises(ConfigError, match=r"threshold must be between 0 and 1 \(exclusive\), got 1.5"):
        F.f1(torch.rand(4), torch.zeros(4), "binary", threshold=1.5)
