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
