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


@pytest.mark.parametrize("metric", [lambda preds, targets: 0.0, 3, None])
def test_a_metric_that_is_neither_a_name_nor_a_metric_object_is_a_clear_error(metric: object) -> None:
    from trainwell.core.errors import ConfigError
    from trainwell.metrics import get_metric

    with pytest.raises(ConfigError, match=r"a metric is a name such as 'accuracy'.*or a Metric object"):
        get_metric(metric, "binary")  # type: ignore[arg-type]
