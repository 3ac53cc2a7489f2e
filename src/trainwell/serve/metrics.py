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
- ``trainwell_worker_requests_total{worker}`` and ``trainwell_worker_up{worker}``: each worker process' own
  requests answered, and whether it still runs (``worker``: its pid).

With ``trainwell serve --workers N`` a scrape reaches one worker (the one the kernel hands the connection to),
which answers with the figures of the whole server: each worker keeps its counts in a memory-mapped file of its
own in a folder the supervisor made (:meth:`Metrics.share`, :class:`SharedCounts`; updated as a request starts
and before the last part of its answer is sent), and the worker that answers adds them up, as
``prometheus_client``'s multiprocess mode does. A worker that ended (killed, replaced) keeps its counts in the
totals, once; its requests in flight are no longer counted. ``trainwell_process_info{pid}`` says which worker
answered the scrape.
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable
from pathlib import Path
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
#: The name ending of each process' file in a shared folder (:meth:`Metrics.share`).
COUNTS_SUFFIX = ".counts"


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

    def observe(self, value: float) -> int:
        """Count ``value``; returns its bucket's index."""
        index = bisect_left(self.bounds, value)
        self.counts[index] += 1
        self.count += 1
        self.total += value
        return index


#: A count's key: its kind, then its labels. Kinds: ``requests`` (route, method, status), ``latency`` (route,
#: bucket index; counts per bucket, not cumulative), ``latency_sum`` (route), ``items`` (route), ``batch``
#: (items of a model call), ``batch_calls`` and ``in_flight`` (none).
Key = tuple[str | int, ...]


class SharedCounts:
    """One process' counts in a file other processes read at any time: a memory-mapped list of entries (a key
    as JSON, then its value as an 8-byte float), each key added once and its value rewritten in place, so a
    request's update is a few stores into memory, no system call (as ``prometheus_client``'s multiprocess mode
    keeps its counts). The first 8 bytes: how many bytes the entries take, updated after an entry is whole.
    """

    #: The file's first size; doubled when it is full.
    INITIAL_BYTES = 64 * 1024
    _USED = struct.Struct("<Q")
    _LENGTH = struct.Struct("<I")
    _VALUE = struct.Struct("<d")

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = open(path, "w+b")  # noqa: SIM115  # open for the process' life
        self._file.truncate(self.INITIAL_BYTES)
        self._map = mmap.mmap(self._file.fileno(), self.INITIAL_BYTES)
        self._used = self._USED.size
        self._USED.pack_into(self._map, 0, self._used)
        self._positions: dict[Key, int] = {}

    def set(self, key: Key, value: float) -> None:
        position = self._positions.get(key)
        if position is None:
            position = self._add(key)
        self._VALUE.pack_into(self._map, position, value)

    def _add(self, key: Key) -> int:
        encoded = json.dumps(key, separators=(",", ":")).encode()
        head = self._LENGTH.size + len(encoded)
        head += -head % 8  # the value 8-byte aligned: written whole
        end = self._used + head + self._VALUE.size
        if end > len(self._map):
            size = len(self._map)
            while size < end:
                size *= 2
            self._file.truncate(size)
            self._map.resize(size)
        self._LENGTH.pack_into(self._map, self._used, len(encoded))
        self._map[self._used + self._LENGTH.size : self._used + self._LENGTH.size + len(encoded)] = encoded
        position = self._used + head
        self._VALUE.pack_into(self._map, position, 0.0)
        self._used = end
        self._USED.pack_into(self._map, 0, end)  # last: a reader sees the entry once it is whole
        self._positions[key] = position
        return position

    @classmethod
    def read(cls, path: Path) -> dict[Key, float]:
        """The counts in the file at ``path`` (written by another process, running or ended)."""
        data = path.read_bytes()
        (used,) = cls._USED.unpack_from(data, 0)
        used = min(used, len(data))
        position = cls._USED.size
        counts: dict[Key, float] = {}
        while position + cls._LENGTH.size <= used:
            (length,) = cls._LENGTH.unpack_from(data, position)
            start = position + cls._LENGTH.size
            head = cls._LENGTH.size + length
            head += -head % 8
            if position + head + cls._VALUE.size > used:
                break
            key = json.loads(data[start : start + length])
            (counts[tuple(key)],) = cls._VALUE.unpack_from(data, position + head)
            position += head + cls._VALUE.size
        return counts


class Metrics:
    """The counters of one server process; ``render()`` writes them as ``GET /metrics`` answers them: this
    process' alone, or, once :meth:`share` is called (each worker of ``trainwell serve --workers N``), the sums
    over every process sharing the folder.

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
        self._pid = os.getpid()
        self._shared: SharedCounts | None = None
        self._batch_calls = 0  # the batcher's calls when its sizes were last written to the shared file

    def share(self, folder: Path) -> None:
        """Keep this process' counts in ``folder/<pid>.counts`` (:class:`SharedCounts`: updated as each request
        starts and before the last part of its answer is sent) and answer ``render()`` with the sums over every
        such file in ``folder``: the processes of one server, ended ones included (not their requests in
        flight). ``folder`` is the server's, empty when it starts (another server's files would be added in)."""
        self._pid = os.getpid()
        self._shared = SharedCounts(Path(folder) / f"{self._pid}{COUNTS_SUFFIX}")
        for key, value in self._counts().items():
            self._shared.set(key, value)

    def route(self, path: str) -> str:
        """The route label of ``path``: itself when it is one of the app's paths, else :data:`OTHER`."""
        if self._known is None:  # the routes are all added by the first request
            self._known = frozenset(self._paths())
        return path if path in self._known else OTHER

    def start(self) -> None:
        """A request has arrived."""
        self.in_flight += 1
        if self._shared is not None:
            self._shared.set(("in_flight",), self.in_flight)

    def finish(self, route: str, method: str, status: int, seconds: float, items: int | None) -> None:
        """A request is answered (or failed): counted, and no longer under way."""
        self.in_flight -= 1
        self.record(route, method, status, seconds, items)
        if self._shared is not None:
            self._shared.set(("in_flight",), self.in_flight)

    def record(self, route: str, method: str, status: int, seconds: float, items: int | None) -> None:
        key = (route, method, status)
        count = self.requests[key] = self.requests.get(key, 0) + 1
        histogram = self.latency.get(route)
        if histogram is None:
            histogram = self.latency[route] = _Histogram(LATENCY_BUCKETS)
        bucket = histogram.observe(seconds)
        predicted = items is not None and 200 <= status < 300
        if predicted:
            self.items[route] = self.items.get(route, 0) + items  # type: ignore[operator]
        shared = self._shared
        if shared is None:
            return
        shared.set(("requests", *key), count)
        shared.set(("latency", route, bucket), histogram.counts[bucket])
        shared.set(("latency_sum", route), histogram.total)
        if predicted:
            shared.set(("items", route), self.items[route])
        stats = self.batch_stats
        if stats is not None and stats.calls != self._batch_calls:  # the model calls this request waited on
            self._batch_calls = stats.calls
            for size, calls in list(stats.sizes.items()):
                shared.set(("batch", size), calls)
            shared.set(("batch_calls",), stats.calls)

    def _counts(self) -> dict[Key, float]:
        """This process' counts, keyed as :class:`SharedCounts` keeps them."""
        counts: dict[Key, float] = {("in_flight",): self.in_flight}
        for (route, method, status), count in self.requests.items():
            counts["requests", route, method, status] = count
        for route, histogram in self.latency.items():
            for bucket, count in enumerate(histogram.counts):
                if count:
                    counts["latency", route, bucket] = count
            counts["latency_sum", route] = histogram.total
        for route, count in self.items.items():
            counts["items", route] = count
        stats = self.batch_stats
        if stats is not None:
            for size, calls in list(stats.sizes.items()):
                counts["batch", size] = calls
            counts["batch_calls",] = stats.calls
        return counts

    def _processes(self) -> list[tuple[int, dict[Key, float], bool]]:
        """Each process' pid, counts and whether it still runs: this one's from memory, the others' (when
        shared) from their files."""
        processes = [(self._pid, self._counts(), True)]
        if self._shared is None:
            return processes
        for path in sorted(self._shared.path.parent.glob(f"*{COUNTS_SUFFIX}")):
            if path == self._shared.path or not path.stem.isdigit():
                continue
            try:
                counts = SharedCounts.read(path)
            except (OSError, ValueError, struct.error):  # gone, or not one of ours
                continue
            processes.append((int(path.stem), counts, _alive(int(path.stem))))
        return processes

    def render(self) -> str:
        """The exposition text: ``# HELP`` and ``# TYPE`` lines, then one line per series."""
        requests: dict[tuple[str, str, int], int] = {}
        latency: dict[str, _Histogram] = {}
        items: dict[str, int] = {}
        sizes: dict[int, int] = {}
        calls = in_flight = 0
        workers: list[tuple[int, int, bool]] = []  # pid, requests answered, still running
        for pid, counts, alive in self._processes():
            answered = 0
            for key, value in counts.items():
                kind, labels, count = key[0], key[1:], round(value)
                if kind == "requests" and len(labels) == 3:
                    series = (str(labels[0]), str(labels[1]), int(labels[2]))
                    requests[series] = requests.get(series, 0) + count
                    answered += count
                elif kind == "latency" and len(labels) == 2:
                    histogram = latency.setdefault(str(labels[0]), _Histogram(LATENCY_BUCKETS))
                    if 0 <= int(labels[1]) < len(histogram.counts):
                        histogram.counts[int(labels[1])] += count
                        histogram.count += count
                elif kind == "latency_sum" and len(labels) == 1:
                    latency.setdefault(str(labels[0]), _Histogram(LATENCY_BUCKETS)).total += value
                elif kind == "items" and len(labels) == 1:
                    items[str(labels[0])] = items.get(str(labels[0]), 0) + count
                elif kind == "batch" and len(labels) == 1:
                    sizes[int(labels[0])] = sizes.get(int(labels[0]), 0) + count
                elif kind == "batch_calls":
                    calls += count
                elif kind == "in_flight" and alive:
                    in_flight += count
            workers.append((pid, answered, alive))
        every = " (summed over the workers of the server, ended ones included)" if self._shared else ""
        lines: list[str] = []
        add = lines.append
        info = ",".join(f'{name}="{_escape(value)}"' for name, value in self.info.items())
        add("# HELP trainwell_model_info The model this server answers with (1).")
        add("# TYPE trainwell_model_info gauge")
        add(f"trainwell_model_info{{{info}}} 1")
        add(
            "# HELP trainwell_process_info The worker process that answered this scrape (1); the other figures "
            "are the whole server's."
        )
        add("# TYPE trainwell_process_info gauge")
        add(f'trainwell_process_info{{pid="{self._pid}"}} 1')
        add(f"# HELP trainwell_requests_total Requests answered, by route, method and status{every}.")
        add("# TYPE trainwell_requests_total counter")
        for (route, method, status), count in sorted(requests.items()):
            add(
                f'trainwell_requests_total{{route="{_escape(route)}",method="{method}",status="{status}"}} {count}'
            )
        add(
            "# HELP trainwell_request_duration_seconds Time from a request's arrival until the last part of its "
            f"answer is sent{every}."
        )
        add("# TYPE trainwell_request_duration_seconds histogram")
        for route, histogram in sorted(latency.items()):
            _histogram_lines(
                add, "trainwell_request_duration_seconds", f'route="{_escape(route)}"', histogram
            )
        add(
            "# HELP trainwell_requests_in_flight Requests under way (this scrape included)"
            + (" in the running workers of the server." if self._shared else ".")
        )
        add("# TYPE trainwell_requests_in_flight gauge")
        add(f"trainwell_requests_in_flight {in_flight}")
        add(
            "# HELP trainwell_items_predicted_total Rows (texts, images, users) of requests answered with a 2xx"
            f"{every}."
        )
        add("# TYPE trainwell_items_predicted_total counter")
        for route, count in sorted(items.items()):
            add(f'trainwell_items_predicted_total{{route="{_escape(route)}"}} {count}')
        if self.batch_stats is not None:
            add(
                "# HELP trainwell_batch_items Items per model call of the micro-batcher (concurrent requests "
                f"merged){every}."
            )
            add("# TYPE trainwell_batch_items histogram")
            histogram = _Histogram(BATCH_BUCKETS)
            for size, count in sorted(sizes.items()):
                index = bisect_left(BATCH_BUCKETS, size)
                histogram.counts[index] += count
                histogram.count += count
                histogram.total += size * count
            _histogram_lines(add, "trainwell_batch_items", "", histogram)
            add(
                "# HELP trainwell_batch_calls_total Model calls of the micro-batcher, solo re-runs included"
                f"{every}."
            )
            add("# TYPE trainwell_batch_calls_total counter")
            add(f"trainwell_batch_calls_total {calls}")
        add(
            "# HELP trainwell_worker_requests_total Requests answered by each worker process (worker: its pid), "
            "kept once it ended; their sum is trainwell_requests_total's."
        )
        add("# TYPE trainwell_worker_requests_total counter")
        for pid, answered, _ in sorted(workers):
            add(f'trainwell_worker_requests_total{{worker="{pid}"}} {answered}')
        add(
            "# HELP trainwell_worker_up 1 while the worker process runs, 0 once it ended (a worker that died is "
            "replaced by one of another pid)."
        )
        add("# TYPE trainwell_worker_up gauge")
        for pid, _, alive in sorted(workers):
            add(f'trainwell_worker_up{{worker="{pid}"}} {int(alive)}')
        return "\n".join(lines) + "\n"


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a worker that ended and has not been reaped yet does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: running as far as can be told
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


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
        counted = False

        def finish() -> None:
            nonlocal counted
            if counted:
                return
            counted = True
            metrics.finish(
                metrics.route(scope.get("path", "")),
                method if (method := scope.get("method", "")) in METHODS else OTHER,
                status,
                time.perf_counter() - started,
                scope.get(ITEMS_KEY),
            )

        async def watching_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                # Counted before the client can have its whole answer: a scrape it sends next, which another
                # worker may answer, counts this request.
                finish()
            await send(message)

        metrics.start()
        try:
            await self.app(scope, receive, watching_send)
        finally:
            finish()  # an answer that never ended (the request failed, the client left)
