"""Accumulating metrics and the registry: every registered metric, for every task it fits, runs one contract."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch
from sklearn import metrics as skm

import trainwell.metrics as metrics_package
from trainwell.core.errors import ConfigError
from trainwell.metrics import (
    RMSE,
    Accuracy,
    Metric,
    RocAuc,
    default_metrics,
    describe_metric,
    functional,
    get_metric,
    list_metrics,
    metrics,
)

TASKS = ("binary", "multiclass", "multilabel", "regression")
N_ROWS = 200
BATCH_SIZES = (1, 37, 100, 62)  # uneven, one of a single row; sums to N_ROWS
ONE_SHOT: dict[str, Callable[..., float]] = {
    "accuracy": functional.accuracy,
    "error_rate": functional.error_rate,
    "balanced_accuracy": functional.balanced_accuracy,
    "roc_auc": functional.roc_auc,
    "f1": functional.f1,
    "f1_micro": functional.f1_micro,
    "f1_samples": functional.f1_samples,
    "precision": functional.precision,
    "recall": functional.recall,
    "log_loss": functional.log_loss,
    "average_precision": functional.average_precision,
    "mcc": functional.mcc,
    "brier": functional.brier,
    "rmse": functional.rmse,
    "mae": functional.mae,
    "r2": functional.r2,
}
CASES = [
    (name, task) for name in list_metrics() for task in TASKS if task in metrics.entry(name).metadata["tasks"]
]


def make_data(task: str, seed: int = 0, noise: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """float32 activated predictions (as a model gives them) and targets; less ``noise``, better predictions."""
    generator = torch.Generator().manual_seed(seed)
    if task == "regression":
        targets = torch.randn(N_ROWS, 2, generator=generator) * 3 + 5
        return targets + noise * torch.randn(N_ROWS, 2, generator=generator), targets
    width = {"binary": 1, "multiclass": 4, "multilabel": 3}[task]
    signal = torch.randn(N_ROWS, width, generator=generator)
    logits = signal + 2 * noise * torch.randn(N_ROWS, width, generator=generator)
    if task == "multiclass":
        return logits.softmax(dim=1), signal.argmax(dim=1)
    targets = (signal > 0).float()
    return (
        (logits.sigmoid().squeeze(1), targets.squeeze(1)) if task == "binary" else (logits.sigmoid(), targets)
    )


def feed(
    metric: Metric, preds: torch.Tensor, targets: torch.Tensor, sizes: tuple[int, ...] = BATCH_SIZES
) -> Metric:
    start = 0
    for size in sizes:
        metric.update(preds[start : start + size], targets[start : start + size])
        start += size
    return metric


#: Sequence-labelling metrics, covered by tests/metrics/test_tagging_metrics.py.
TAGGING = {"tag_accuracy", "entity_f1", "entity_precision", "entity_recall"}


def test_every_metric_is_covered() -> None:
    assert set(list_metrics()) == set(ONE_SHOT) | TAGGING
    assert set(list_metrics(task="tagging")) == TAGGING
    assert len(CASES) == 37  # f1_micro and f1_samples: multilabel only


@pytest.mark.parametrize(("name", "task"), CASES)
def test_uneven_batches_equal_one_shot(name: str, task: str) -> None:
    preds, targets = make_data(task)
    accumulated = feed(get_metric(name, task), preds, targets).compute()
    assert accumulated == pytest.approx(ONE_SHOT[name](preds, targets, task), abs=1e-9)


@pytest.mark.parametrize(("name", "task"), CASES)
def test_merge_equals_one_metric_over_all_data(name: str, task: str) -> None:
    preds, targets = make_data(task, seed=1)
    first = feed(get_metric(name, task), preds[:70], targets[:70], (30, 40))
    second = feed(get_metric(name, task), preds[70:], targets[70:], (100, 30))
    whole = feed(get_metric(name, task), preds, targets)
    assert first.merge(second) is first
    assert first.compute() == pytest.approx(whole.compute(), abs=1e-9)
    # An untouched metric adds nothing, and absorbs everything.
    assert first.merge(get_metric(name, task)).compute() == pytest.approx(whole.compute(), abs=1e-9)
    assert get_metric(name, task).merge(whole).compute() == pytest.approx(whole.compute(), abs=1e-9)


@pytest.mark.parametrize(("name", "task"), CASES)
def test_states_combined_by_their_reductions_equal_one_metric(name: str, task: str) -> None:
    """What a distributed callback does: sum the "sum" states, concatenate the "cat" ones, load, compute."""
    preds, targets = make_data(task, seed=2)
    ranks = [feed(get_metric(name, task), preds[i::2], targets[i::2], (60, 40)) for i in range(2)]
    combined = {}
    for key, how in ranks[0].reductions.items():
        parts = [rank.state_dict()[key] for rank in ranks]
        combined[key] = parts[0] + parts[1] if how == "sum" else torch.cat(parts)
    fresh = get_metric(name, task)
    fresh.load_state(combined)
    assert fresh.compute() == pytest.approx(ONE_SHOT[name](preds, targets, task), abs=1e-9)


@pytest.mark.parametrize(("name", "task"), CASES)
def test_state_contract(name: str, task: str) -> None:
    preds, targets = make_data(task, seed=3)
    metric = get_metric(name, task)
    assert math.isnan(metric.compute())
    assert set(metric.reductions.values()) <= {"sum", "cat"}
    metric.update(preds[:10], targets[:10])
    shapes_after_one = {key: value.shape for key, value in metric.states.items()}
    assert set(shapes_after_one) == set(metric.reductions)
    feed(metric, preds, targets)
    for key, how in metric.reductions.items():
        if how == "sum":  # memory stays flat however many rows pass through
            assert metric.states[key].shape == shapes_after_one[key]
        else:
            assert metric.states[key].shape[0] == N_ROWS + 10
    metric.reset()
    assert math.isnan(metric.compute())
    assert feed(metric, preds, targets).compute() == pytest.approx(
        ONE_SHOT[name](preds, targets, task), abs=1e-9
    )


@pytest.mark.parametrize(("name", "task"), CASES)
def test_update_never_reads_values_back(name: str, task: str) -> None:
    # Meta tensors carry shapes but no data: any .item(), bool() or bincount on them raises.
    preds, targets = make_data(task, seed=4)
    metric = get_metric(name, task)
    for _ in range(2):
        metric.update(preds[:16].to("meta"), targets[:16].to("meta"))
    assert all(value.device.type == "meta" for value in metric.states.values())


@pytest.mark.parametrize(("name", "task"), CASES)
def test_higher_is_better_agrees_with_better_predictions(name: str, task: str) -> None:
    good = get_metric(name, task)
    noisy = get_metric(name, task)
    good.update(*make_data(task, seed=5, noise=0.2))
    noisy.update(*make_data(task, seed=5, noise=2.0))
    assert (good.compute() > noisy.compute()) == good.higher_is_better
    assert metrics.entry(name).metadata["higher_is_better"] == good.higher_is_better


def test_half_precision_predictions_are_accepted() -> None:
    preds, targets = make_data("binary", seed=6)
    metric = RocAuc("binary")
    feed(metric, preds.half(), targets)
    expected = skm.roc_auc_score(targets.numpy(), preds.half().float().numpy())
    assert metric.compute() == pytest.approx(expected, abs=1e-6)


def test_merge_and_load_state_refuse_mismatches() -> None:
    with pytest.raises(
        ConfigError, match=r"cannot merge RocAuc\(task='binary', threshold=0.5\) into Accuracy"
    ):
        Accuracy("binary").merge(RocAuc("binary"))
    with pytest.raises(ConfigError, match=r"only the same metric, task and threshold combine"):
        Accuracy("binary").merge(Accuracy("binary", threshold=0.3))
    with pytest.raises(ConfigError, match=r"state must have keys \['correct', 'total'\], got \['correct'\]"):
        Accuracy("binary").load_state({"correct": torch.tensor(3.0)})


def test_get_metric_resolves_aliases_and_passes_threshold() -> None:
    metric = get_metric("auc", "multilabel")
    assert isinstance(metric, RocAuc)
    assert (metric.name, metric.task) == ("roc_auc", "multilabel")
    assert get_metric("f1", "binary", threshold=0.3).threshold == 0.3


def test_unknown_metric_lists_known_names() -> None:
    with pytest.raises(ConfigError) as caught:
        get_metric("acuracy", "binary")
    assert str(caught.value) == (
        "unknown metric 'acuracy'; did you mean 'accuracy'? known metrics: accuracy, average_precision, "
        "balanced_accuracy, brier, entity_f1, entity_precision, entity_recall, error_rate, f1, f1_micro, f1_samples, "
        "log_loss, mae, mcc, "
        "precision, r2, recall, rmse, roc_auc, tag_accuracy (aliases: auc = roc_auc, acc = accuracy, "
        "pr_auc = average_precision)"
    )
    assert get_metric("acc", "binary").name == "accuracy"  # Keras' spelling (had been "did you mean 'auc'?")
    with pytest.raises(ConfigError, match=r"unknown metric 'psnr'; known metrics: accuracy, "):
        describe_metric("psnr")


def test_metric_for_the_wrong_task_names_metric_task_and_what_fits() -> None:
    with pytest.raises(ConfigError) as caught:
        get_metric("rmse", "multiclass")
    assert str(caught.value) == (
        "metric 'rmse' does not fit a multiclass task (it fits: regression); "
        "metrics for multiclass: accuracy, average_precision, balanced_accuracy, brier, error_rate, f1, log_loss, "
        "mcc, precision, recall, roc_auc"
    )
    with pytest.raises(
        ConfigError, match=r"metric 'accuracy' does not fit a regression task .*: mae, r2, rmse$"
    ):
        get_metric("accuracy", "regression")
    with pytest.raises(ConfigError, match=r"metric 'rmse' does not fit a binary task; it fits: regression"):
        RMSE("binary")
    with pytest.raises(ConfigError, match=r"task 'ranking' is not known to metrics"):
        get_metric("accuracy", "ranking")


def test_defaults_listing_and_descriptions() -> None:
    assert default_metrics("binary") == ["accuracy", "roc_auc", "f1"]
    assert default_metrics("multiclass") == ["accuracy", "balanced_accuracy", "roc_auc"]
    assert default_metrics("multilabel") == ["accuracy", "f1", "roc_auc"]
    assert default_metrics("regression") == ["rmse", "mae", "r2"]
    for task in TASKS:
        assert all(name in list_metrics(task=task) for name in default_metrics(task))
    assert list_metrics(task="regression") == ["mae", "r2", "rmse"]
    assert list_metrics("r*") == ["r2", "recall", "rmse", "roc_auc"]
    for name in list_metrics():
        for task in (None, *TASKS):
            description = describe_metric(name, task)
            assert description and "\n" not in description and len(description) < 160
    assert describe_metric("auc") == describe_metric("roc_auc")
    # Task-specific wording where the general one would mislead.
    assert "it is not accuracy" in describe_metric("roc_auc", "binary")
    assert "averaged over classes" in describe_metric("roc_auc", "multiclass")
    assert "positive class" in describe_metric("f1", "binary")
    assert "averaged over classes" in describe_metric("f1", "multiclass")
    assert "every label" in describe_metric("accuracy", "multilabel")
    assert "multilabel" not in describe_metric("accuracy", "binary")


def test_public_names_are_pinned() -> None:
    assert sorted(metrics_package.__all__) == sorted(
        [
            "ALIASES", "F1", "MAE", "R2", "RMSE", "Accuracy", "BalancedAccuracy", "ErrorRate", "LogLoss", "Metric",
            "Precision", "Recall", "AveragePrecision", "BrierScore", "MatthewsCorrelation",
            "EntityF1", "EntityPrecision", "EntityRecall", "TagAccuracy", "FunctionMetric", "MetricFunction",
            "Reduction", "RocAuc", "default_metrics", "describe_metric", "functional", "get_metric", "list_metrics",
            "metric_function", "metrics", "register_metric",
        ]
    )  # fmt: skip
    assert all(hasattr(metrics_package, name) for name in metrics_package.__all__)


class TopTwo(Metric):
    """A metric of one's own written as Metric's docstring shows: name, reset, update, compute; no __init__."""

    name = "top2_accuracy"

    def reset(self) -> None:
        self.hits, self.rows = 0, 0

    def update(self, preds: torch.Tensor, targets: torch.Tensor) -> None:
        top_two = preds.topk(2, dim=1).indices
        self.hits += int((top_two == targets[:, None]).any(dim=1).sum())
        self.rows += len(targets)

    def compute(self) -> float:
        return self.hits / self.rows if self.rows else float("nan")


def test_a_subclass_with_reset_update_compute_and_no_init_fits_every_task() -> None:
    # It used to be refused: "metric 'top2_accuracy' does not fit a multiclass task; it fits: ." (no tasks).
    for task in ("binary", "multiclass", "multilabel", "regression", "tagging"):
        assert TopTwo(task).task == task
    metric = TopTwo("multiclass")
    preds, targets = make_data("multiclass", seed=7)
    for start in range(0, N_ROWS, 64):
        metric.update(preds[start : start + 64], targets[start : start + 64])
    expected = skm.top_k_accuracy_score(targets.numpy(), preds.numpy(), k=2, labels=range(4))
    assert metric.compute() == pytest.approx(expected)
    metric.reset()
    assert math.isnan(metric.compute())
    assert repr(metric) == "TopTwo(task='multiclass', threshold=0.5)"
    with pytest.raises(ConfigError, match=r"task 'ranking' is not known to metrics"):
        TopTwo("ranking")


def test_the_base_class_documents_the_public_methods_the_errors_name() -> None:
    doc = Metric.__doc__ or ""
    assert "``reset``" in doc and "``update(preds," in doc and "``compute()``" in doc
    assert "class TopTwo(Metric)" in doc  # the example, run by tests/test_doctests.py
    with pytest.raises(
        ConfigError, match=r"Metric object \(subclass trainwell.metrics.Metric: reset, update"
    ):
        get_metric(3, "binary")  # type: ignore[arg-type]


def test_a_subclass_that_declares_its_tasks_is_held_to_them() -> None:
    class RegressionOnly(TopTwo):
        tasks = ("regression",)

    with pytest.raises(ConfigError) as caught:
        RegressionOnly("binary")
    assert str(caught.value) == (
        "metric 'top2_accuracy' does not fit a binary task; it fits: regression. Pick a metric made for binary."
    )


def test_a_subclass_set_up_without_the_base_init_still_has_a_repr() -> None:
    class OwnInit(TopTwo):
        def __init__(self) -> None:
            self.reset()

    assert repr(OwnInit()) == "OwnInit(task=None, threshold=None)"
