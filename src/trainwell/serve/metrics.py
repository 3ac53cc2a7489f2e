"""``GET /metrics``: the server's counters in Prometheus' text exposition format (version 0.0.4), written by
hand (no client library).

- ``trainwell_requests_total{route,method,status}``: requests answered, by route (the app's own paths; any
  other path counts as ``other``, so a scanner's URLs do not make new series), method and status.
- ``trainwell_request_duration_seconds{route}``: a histogram of the time from a request's arrival to the end of
  its answer, as the access log's latency.
- ``trainwell_requests_in_flight``: requests under way, this scrape included.
- ``trainwell_items_predicted_total{route}``: rows (texts, images, users) answered by a 2xx.
- ``trainwell_batch_items``: a histogram of the items of each model call of the micro-batcher
  (:mod:`trainwell.serve.batching`): how well concurrent requests merge.
- ``trainwell_model_info{model_version,backend,application,trainwell_version}``: 1, the model that answers.

Each process counts its own requests: with ``trainwell serve --workers N`` a scrape reaches one worker (the one
the kernel hands the connection to), whose figures are its share, and ``trainwell_process_info{pid}`` says which.
Scrape each worker's figures by running N single-worker servers on their own ports instead, or add the shares
with ``sum without (pid)`` over scrapes of each.
"""

from __future__ import annotations

import os
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Upper bounds (seconds) of the latency histogram's buckets.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: Upper bounds of the batch-size histogram's buckets (items per model call).
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
#: Scope key where a route notes how many items (rows, texts, images, users) a request holds.
ITEMS_KEY = "trainwell.items"
#: ``GET /metrics``' content type.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: The route label of a path that is none of the app's, and the method label of a method none of HTTP's.
OTHER = "other"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})


def note_items(scope: Scope, count: int) -> None:
    """Note that the request of ``scope`` holds ``count`` items (rows, texts, images, users): counted as
    predicted once it is answered with a 2xx, and written in the JSON access log."""
    scope[ITEMS_KEY] = count


class _Histogram:
    """Counts per bucket (not cumulative), sum and count."""

    __slots__ = ("bounds", "count", "counts", "total")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # the last: over every bound (+Inf)
        self.count = 0
        self.total = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1
        self.count += 1
        self.total += value


class Metrics:
    """The counters of one server process; ``render()`` writes them as ``GET /metrics`` answers them.

    Updated on the event loop only (by :class:`RequestMetrics`), so without locks."""

    def __init__(
        self, info: dict[str, str], paths: Callable[[], Iterable[str]], batch_stats: Any = None
    ) -> None:
        self.info = info
        self._paths = paths
        self._known: frozenset[str] | None = None
        self.batch_stats = batch_stats
        self.requests: dict[tuple[str, str, int], int] = {}
        self.latency: dict[str, _Histogram] = {}
        self.items: dict[str, int] = {}
        self.in_flight = 0

    def route(self, path: str) -> str:
        """The route label of ``path``: itself when it is one of the app's paths, else :data:`OTHER`."""
        if self._known is None:  # the routes are all added by the first request
            self._known = frozenset(self._paths())
        return path if path in self._known else OTHER

    def record(self, route: str, method: str, status: int, seconds: float, items: int | None) -> None:
        key = (route, method, status)
        self.requests[key] = self.requests.get(key, 0) + 1
        histogram = self.latency.get(route)
        if histogram is None:
            histogram = self.latency[route] = _Histogram(LATENCY_BUCKETS)
        histogram.observe(seconds)
        if items is not None and 200 <= status < 300:
            self.items[route] = self.items.get(route, 0) + items

    def render(self) -> str:
        """The exposition text: ``# HELP`` and ``# TYPE`` lines, then one line per series."""
        lines: list[str] = []
        add = lines.append
        info = ",".join(f'{name}="{_escape(value)}"' for name, value in self.info.items())
        add("# HELP trainwell_model_info The model this process answers with (1).")
        add("# TYPE trainwell_model_info gauge")
        add(f"trainwell_model_info{{{info}}} 1")
        add(
            "# HELP trainwell_process_info The process these figures are of (1): with --workers N each worker "
            "counts its own requests, and a scrape reaches one of them."
        )
        add("# TYPE trainwell_process_info gauge")
        add(f'trainwell_process_info{{pid="{os.getpid()}"}} 1')
        add("# HELP trainwell_requests_total Requests answered, by route, method and status.")
        add("# TYPE trainwell_requests_total counter")
        for (route, method, status), count in sorted(self.requests.items()):
            add(
                f'trainwell_requests_total{{route="{_escape(route)}",method="{method}",status="{status}"}} {count}'
            )
        add(
            "# HELP trainwell_request_duration_seconds Time from a request's arrival to the end of its answer."
        )
        add("# TYPE trainwell_request_duration_seconds histogram")
        for route, histogram in sorted(self.latency.items()):
            _histogram_lines(
                add, "trainwell_request_duration_seconds", f'route="{_escape(route)}"', histogram
            )
        add("# HELP trainwell_requests_in_flight Requests under way (this scrape included).")
        add("# TYPE trainwell_requests_in_flight gauge")
        add(f"trainwell_requests_in_flight {self.in_flight}")
        add(
            "# HELP trainwell_items_predicted_total Rows (texts, images, users) of requests answered with a 2xx."
        )
        add("# TYPE trainwell_items_predicted_total counter")
        for route, count in sorted(self.items.items()):
            add(f'trainwell_items_predicted_total{{route="{_escape(route)}"}} {count}')
        stats = self.batch_stats
        if stats is not None:
            add(
                "# HELP trainwell_batch_items Items per model call of the micro-batcher (concurrent requests merged)."
            )
            add("# TYPE trainwell_batch_items histogram")
            histogram = _Histogram(BATCH_BUCKETS)
            for size, count in sorted(stats.sizes.items()):
                index = bisect_left(BATCH_BUCKETS, size)
                histogram.counts[index] += count
                histogram.count += count
                histogram.total += size * count
            _histogram_lines(add, "trainwell_batch_items", "", histogram)
            add(
                "# HELP trainwell_batch_calls_total Model calls of the micro-batcher (solo re-runs included)."
            )
            add("# TYPE trainwell_batch_calls_total counter")
            add(f"trainwell_batch_calls_total {stats.calls}")
        return "\n".join(lines) + "\n"


def _histogram_lines(add: Callable[[str], None], name: str, labels: str, histogram: _Histogram) -> None:
    cumulative = 0
    joined = f"{labels}," if labels else ""
    bounds: tuple[float | str, ...] = (*histogram.bounds, "+Inf")
    for bound, count in zip(bounds, histogram.counts, strict=True):
        cumulative += count
        add(f'{name}_bucket{{{joined}le="{_number(bound)}"}} {cumulative}')
    braces = f"{{{labels}}}" if labels else ""
    add(f"{name}_sum{braces} {_number(histogram.total)}")
    add(f"{name}_count{braces} {histogram.count}")


def _number(value: float | str) -> str:
    return value if isinstance(value, str) else repr(value)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class RequestMetrics:
    """Counts each request in :class:`Metrics` once its answer is sent (or it failed: a 500): its route, method,
    status, latency and items; and the requests under way. A plain ASGI callable, as the other middleware."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        metrics = self.metrics
        started = time.perf_counter()
        status = 500  # unless an answer starts: the request failed before it

        async def watching_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        metrics.in_flight += 1
        try:
            await self.app(scope, receive, watching_send)
        finally:
            metrics.in_flight -= 1
            metrics.record(
                metrics.route(scope.get("path", "")),
                method if (method := scope.get("method", "")) in METHODS else OTHER,
                status,
                time.perf_counter() - started,
                scope.get(ITEMS_KEY),
            )
