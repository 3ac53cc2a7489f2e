"""The Task's default metric names (data layer) and the metrics package's defaults must agree."""

from __future__ import annotations

import pytest

from trainwell.data.task import _METRICS, TARGET_KINDS
from trainwell.metrics import default_metrics, get_metric


@pytest.mark.parametrize("kind", TARGET_KINDS)
def test_task_defaults_match_the_metrics_package(kind: str) -> None:
    assert list(_METRICS[kind]) == default_metrics(kind)
    for name in _METRICS[kind]:
        assert get_metric(name, kind).name == name


@pytest.mark.parametrize("metric", [3, None, b"accuracy"])
def test_a_metric_that_is_neither_a_name_a_function_nor_a_metric_object_is_a_clear_error(
    metric: object,
) -> None:
    from trainwell.core.errors import ConfigError

    with pytest.raises(
        ConfigError,
        match=r"a metric is a name such as 'accuracy'.*, a function fn\(preds, targets\) -> float, or a ",
    ):
        get_metric(metric, "binary")  # type: ignore[arg-type]


def test_a_plain_function_is_a_metric_named_after_it_and_a_lambda_must_be_named() -> None:
    import torch

    from trainwell.core.errors import ConfigError
    from trainwell.metrics import FunctionMetric, metric_function

    def share_positive(preds: torch.Tensor, targets: torch.Tensor) -> float:
        return float((preds > 0.5).float().mean())

    metric = get_metric(share_positive, "binary")
    assert isinstance(metric, FunctionMetric) and metric.name == "share_positive"
    metric.update(torch.tensor([0.9, 0.2, 0.7]), torch.tensor([1.0, 0.0, 0.0]))
    assert metric.compute() == pytest.approx(2 / 3)
    with pytest.raises(ConfigError) as caught:
        get_metric(lambda preds, targets: 0.0, "binary")
    assert str(caught.value).startswith("a metric function needs a name for the history, and <function ")
    assert str(caught.value).endswith(
        "has none; use a def (its name is used) or trainwell.metrics.metric_function(fn, name='my_metric')"
    )
    assert get_metric(metric_function(lambda preds, targets: 0.0, name="zero"), "binary").name == "zero"


def test_the_names_the_command_line_checks_early_are_the_registered_metrics() -> None:
    from trainwell.core.metric_names import ALIASES, BUILTIN_METRICS
    from trainwell.metrics import ALIASES as REGISTRY_ALIASES
    from trainwell.metrics import list_metrics

    assert sorted(BUILTIN_METRICS) == list_metrics() and ALIASES is REGISTRY_ALIASES
