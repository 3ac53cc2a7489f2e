"""``GET /metrics`` in Prometheus' text exposition format: requests by route and status, a latency histogram per
route, requests in flight, items predicted, the micro-batcher's batch sizes and the model's version. A real
server on loopback, scraped after real requests; the lines are parsed as Prometheus reads them."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from serve_support import LIMITS, LiveServer, start_server

from trainwell.serve import create_app
from trainwell.serve.metrics import Metrics, RequestMetrics

#: A sample line: a metric name, its labels (optional), a value.
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_]\w*="(?:[^"\\]|\\.)*",?)*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"')

Series = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> tuple[Series, dict[str, str]]:
    """The samples of an exposition (name and labels: value) and the declared type of each metric; a line of
    neither kind fails the test."""
    series: Series = {}
    types: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
            continue
        if line.startswith("# HELP ") or not line:
            continue
        found = SAMPLE.match(line)
        assert found, f"not an exposition line: {line!r}"
        name, labels, value = found.groups()
        key = (name, frozenset(LABEL.findall(labels or "")))
        assert key not in series, f"series repeated: {line!r}"
        series[key] = float(value)
    return series, types


def value(series: Series, name: str, **labels: str) -> float:
    return series.get((name, frozenset(labels.items())), 0.0)


def buckets(series: Series, name: str, **labels: str) -> list[tuple[float, float]]:
    """A histogram's ``(le, cumulative count)``, in the order of the bounds."""
    found = [
        (float(dict(key)["le"]), count)
        for (metric, key), count in series.items()
        if metric == f"{name}_bucket" and {k: v for k, v in key if k != "le"} == labels
    ]
    return sorted(found)


@pytest.fixture
def fresh(model_dir: Path) -> Iterator[LiveServer]:
    """A server of its own, so the counts are this test's alone."""
    server = start_server(create_app(model_dir, threads=1, **LIMITS))
    yield server
    server.stop()


def test_metrics_after_real_requests(fresh: LiveServer, new_rows: list[dict[str, Any]]) -> None:
    async def concurrent() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=fresh.url, timeout=60) as client:
            sent = [client.post("/predict", json={"rows": new_rows[i : i + 2]}) for i in range(0, 6, 2)]
            return list(await asyncio.gather(*sent))

    answered = asyncio.run(concurrent())
    with httpx.Client(base_url=fresh.url, timeout=60) as client:
        refused = client.post("/predict", json={"rows": [{"age": "old"}]})
        client.get("/health")
        client.get("/wp-login.php")
        scrape = client.get("/metrics")
    assert [answer.status_code for answer in answered] == [200] * 3 and refused.status_code == 422
    assert scrape.status_code == 200
    assert scrape.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    series, types = parse(scrape.text)

    def requests(route: str, method: str, status: str) -> float:
        return value(series, "trainwell_requests_total", route=route, method=method, status=status)

    assert requests("/predict", "POST", "200") == 3
    assert requests("/predict", "POST", "422") == 1
    assert requests("/health", "GET", "200") == 1
    assert requests("other", "GET", "404") == 1  # a scanner's path is no series of its own
    assert not any("wp-login" in name or "wp-login" in str(labels) for name, labels in series)
    assert value(series, "trainwell_items_predicted_total", route="/predict") == 6  # the 422's row is not
    assert value(series, "trainwell_requests_in_flight") == 1  # the scrape itself

    latency = buckets(series, "trainwell_request_duration_seconds", route="/predict")
    counts = [count for _, count in latency]
    assert counts == sorted(counts) and latency[-1] == (float("inf"), 4)
    assert value(series, "trainwell_request_duration_seconds_count", route="/predict") == 4
    assert value(series, "trainwell_request_duration_seconds_sum", route="/predict") > 0

    calls = value(series, "trainwell_batch_items_count")
    assert 1 <= calls <= 3 and value(series, "trainwell_batch_items_sum") == 6  # merged or not, 6 rows
    assert buckets(series, "trainwell_batch_items")[-1] == (float("inf"), calls)
    assert value(series, "trainwell_batch_calls_total") == calls

    version = answered[0].headers["x-model-version"]
    info = [dict(labels) for name, labels in series if name == "trainwell_model_info"]
    assert info == [
        {
            "model_version": version,
            "backend": "torch",
            "application": "tabular",
            "trainwell_version": info[0]["trainwell_version"],
        }
    ]
    declared = {name: kind for name, kind in types.items()}
    assert declared["trainwell_requests_total"] == "counter"
    assert declared["trainwell_request_duration_seconds"] == "histogram"
    for name, _ in series:  # every sample belongs to a declared metric
        assert re.sub(r"_(bucket|sum|count)$", "", name) in declared or name in declared, name


def test_a_request_that_fails_is_counted_as_a_500_and_leaves_the_in_flight_gauge() -> None:
    # The middleware on its own: an app that raises before answering.
    metrics = Metrics({"model_version": "abc"}, lambda: ["/boom"])

    async def failing(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("a bug")

    async def call() -> None:
        scope = {"type": "http", "method": "BREW", "path": "/boom", "headers": []}
        await RequestMetrics(failing, metrics)(scope, None, None)  # type: ignore[arg-type]

    with pytest.raises(RuntimeError):
        asyncio.run(call())
    series, _ = parse(metrics.render())
    assert value(series, "trainwell_requests_total", route="/boom", method="other", status="500") == 1
    assert value(series, "trainwell_requests_in_flight") == 0
    assert "trainwell_batch_items" not in metrics.render()  # no batcher, no batch figures
