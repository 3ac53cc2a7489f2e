"""A plain function as a metric: called once on the whole set, named by the function, combined by gathering."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch
from sklearn import metrics as skm

from trainwell.core.errors import ConfigError
from trainwell.metrics import FunctionMetric, get_metric, metric_function


def median_score(preds: torch.Tensor, targets: torch.Tensor) -> float:
    """Not a mean over rows: batch by batch it would come out wrong, so it shows the whole set is passed."""
    return float(preds.median())


def sklearn_auc(preds: torch.Tensor, targets: torch.Tensor) -> float:
    return float(skm.roc_auc_score(targets.cpu().numpy(), preds.cpu().numpy()))


def binary_data(rows: int = 101, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    targets = (torch.rand(rows, generator=generator) > 0.5).float()
    return torch.sigmoid(targets * 2 - 1 + torch.randn(rows, generator=generator)), targets


def feed_in_batches(
    metric: FunctionMetric, preds: torch.Tensor, targets: torch.Tensor, size: int = 17
) -> None:
    for start in range(0, len(preds), size):
        metric.update(preds[start : start + size], targets[start : start + size])


def test_the_function_sees_every_batch_joined_once() -> None:
    preds, targets = binary_data()
    calls: list[tuple[int, ...]] = []

    def recorded_median(p: torch.Tensor, t: torch.Tensor) -> float:
        calls.append(tuple(p.shape))
        return median_score(p, t)

    metric = FunctionMetric(recorded_median, "binary")
    feed_in_batches(metric, preds, targets)
    assert metric.compute() == float(preds.median())
    assert calls == [(101,)]
    scored = FunctionMetric(sklearn_auc, "binary")
    feed_in_batches(scored, preds.unsqueeze(1), targets.unsqueeze(1))  # (N, 1) is read as binary (N,)
    assert scored.compute() == pytest.approx(skm.roc_auc_score(targets.numpy(), preds.numpy()))


def test_states_gathered_from_two_processes_give_the_one_process_value() -> None:
    # A distributed fit all-gathers "cat" states and loads them back (distributed/training.py): the same here.
    preds, targets = binary_data()
    one, first, second = (FunctionMetric(median_score, "binary") for _ in range(3))
    feed_in_batches(one, preds, targets)
    feed_in_batches(first, preds[:40], targets[:40])
    feed_in_batches(second, preds[40:], targets[40:])
    assert dict(first.reductions) == {"preds": "cat", "targets": "cat"}
    gathered = {
        key: torch.cat([first.state_dict()[key], second.state_dict()[key]]) for key in first.reductions
    }
    first.load_state(gathered)
    assert first.compute() == one.compute()
    merged = FunctionMetric(median_score, "binary")
    feed_in_batches(merged, preds[:40], targets[:40])
    other = FunctionMetric(median_score, "binary")
    feed_in_batches(other, preds[40:], targets[40:])
    assert merged.merge(other).compute() == one.compute()
    with pytest.raises(ConfigError, match=r"cannot merge metric 'sklearn_auc' into 'median_score'"):
        merged.merge(FunctionMetric(sklearn_auc, "binary"))


@pytest.mark.parametrize(
    "value", [0.25, 1, np.float32(0.25), np.array(0.25), torch.tensor(0.25), torch.tensor([0.25])]
)
def test_any_single_number_is_accepted(value: object) -> None:
    metric = FunctionMetric(metric_function(lambda p, t: value, name="fixed"), "regression")
    metric.update(torch.randn(4), torch.randn(4))
    result = metric.compute()
    assert type(result) is float and result == float(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (torch.ones(3), "a Tensor of shape (3,)"),
        (np.ones((2, 2)), "a ndarray of shape (2, 2)"),
        ([0.5], "list [0.5]"),
        (None, "NoneType None"),
        (True, "bool True"),
    ],
)
def test_anything_but_one_number_is_a_one_line_error_naming_the_metric(value: object, shown: str) -> None:
    metric = FunctionMetric(metric_function(lambda p, t: value, name="my_score"), "regression")
    metric.update(torch.randn(4), torch.randn(4))
    with pytest.raises(ConfigError) as caught:
        metric.compute()
    assert str(caught.value) == (
        f"metric 'my_score' returned {shown}; a metric function must return one number (a float, or a "
        "one-element tensor or NumPy value)"
    )


def test_an_error_inside_the_function_keeps_its_type_and_gains_a_note() -> None:
    def broken(preds: torch.Tensor, targets: torch.Tensor) -> float:
        raise ZeroDivisionError("oops")

    metric = FunctionMetric(broken, "multiclass")
    metric.update(torch.tensor([[0.3, 0.7]]), torch.tensor([1]))
    with pytest.raises(ZeroDivisionError, match="oops") as caught:
        metric.compute()
    assert caught.value.__notes__ == [
        "raised by metric function 'broken', called with preds (1, 2) torch.float32 and targets (1,) torch.int64 "
        "(the whole validation set)"
    ]


def test_before_any_batch_the_value_is_nan_and_the_function_is_not_called() -> None:
    metric = FunctionMetric(metric_function(lambda p, t: 1 / 0, name="never"), "binary")
    assert np.isnan(metric.compute())


def test_names_direction_and_wrong_arguments() -> None:
    def mse(preds: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return ((preds - targets) ** 2).mean()

    # Named "mse", an error: smaller is better without being told (tests/metrics/test_metrics_function_direction.py).
    assert (FunctionMetric(mse, "regression").name, FunctionMetric(mse, "regression").higher_is_better) == (
        "mse",
        False,
    )
    lower = FunctionMetric(metric_function(mse, higher_is_better=False), "regression")
    assert (lower.name, lower.higher_is_better, repr(lower)) == (
        "mse",
        False,
        "FunctionMetric('mse', task='regression')",
    )
    assert metric_function(mse)(torch.ones(2), torch.zeros(2)) == 1.0  # still callable as the function
    renamed = metric_function(metric_function(mse, name="squared"), higher_is_better=False)
    assert (renamed.name, renamed.higher_is_better, renamed.function) == ("squared", False, mse)
    assert metric_function(functools.partial(mse), name="mse2").name == "mse2"
    with pytest.raises(ConfigError, match=r"a metric function needs a name .* functools.partial"):
        metric_function(functools.partial(mse))
    with pytest.raises(
        ConfigError, match=r"metric name 'valid_loss' is a column every history row already has"
    ):
        metric_function(mse, name="valid_loss")
    with pytest.raises(ConfigError, match=r"metric name 'mse\[a\]' may not hold brackets"):
        metric_function(mse, name="mse[a]")
    with pytest.raises(
        ConfigError, match=r"metric_function needs a function fn\(preds, targets\) -> float, got int"
    ):
        metric_function(3)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"FunctionMetric is a Metric class; pass an object of it"):
        get_metric(FunctionMetric, "binary")


def test_shapes_are_checked_as_for_every_metric() -> None:
    metric = FunctionMetric(median_score, "multiclass")
    with pytest.raises(
        Exception, match=r"metric 'median_score' for a multiclass task expects float preds \(N, C\)"
    ):
        metric.update(torch.rand(4), torch.tensor([0, 1, 0, 1]))


def test_a_tagger_passes_the_labelled_words_of_sentences_of_any_length() -> None:
    metric = FunctionMetric(lambda_free_tag_accuracy, "tagging")
    # Two batches padded to different lengths (-100: padding); scores (B, T, C) are decoded to tag ids.
    metric.update(torch.tensor([[1, 2, 0]]), torch.tensor([[1, 2, -100]]))
    scores = torch.tensor([[[0.9, 0.1, 0.0], [0.1, 0.1, 0.8]], [[0.2, 0.7, 0.1], [1.0, 0.0, 0.0]]])
    metric.update(scores, torch.tensor([[0, 1], [1, -100]]))
    assert metric.compute() == pytest.approx(4 / 5)  # words: (1,1) (2,2) (0,0) (2,1) (1,1)


def lambda_free_tag_accuracy(preds: torch.Tensor, targets: torch.Tensor) -> float:
    assert preds.dim() == 1 and targets.dim() == 1
    return float((preds == targets).float().mean())
