"""``GET /metrics`` of ``trainwell serve --workers 2`` answers with the whole server's counts, whichever worker
the scrape reaches: each scrape reported only the share of the worker that answered it, so the request counts
jumped between scrapes. A worker that died and was replaced keeps its counts in the totals, once.

Real servers on loopback, a new connection for each request (the kernel hands each to either worker)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from serve_support import ServeProcess

from trainwell.serve.metrics import COUNTS_SUFFIX, Metrics, SharedCounts

WORKERS = 2
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$", re.MULTILINE)
LABEL = re.compile(r'([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"')


def samples(text: str, name: str) -> dict[frozenset[tuple[str, str]], float]:
    """The values of metric ``name`` in an exposition, by their labels."""
    return {
        frozenset(LABEL.findall(labels or "")): float(value)
        for metric, labels, value in SAMPLE.findall(text)
        if metric == name
    }


class Scrape:
    """One ``GET /metrics`` answer, read."""

    def __init__(self, text: str) -> None:
        self.text = text
        (self.answered_by,) = (dict(labels)["pid"] for labels in samples(text, "trainwell_process_info"))
        self.requests = samples(text, "trainwell_requests_total")
        self.workers = {
            dict(k)["worker"]: int(v) for k, v in samples(text, "trainwell_worker_requests_total").items()
        }
        self.up = {dict(k)["worker"]: int(v) for k, v in samples(text, "trainwell_worker_up").items()}

    @property
    def predicted(self) -> int:
        return int(
            self.requests.get(frozenset({("route", "/predict"), ("method", "POST"), ("status", "200")}), 0)
        )

    @property
    def items(self) -> int:
        return int(
            samples(self.text, "trainwell_items_predicted_total").get(frozenset({("route", "/predict")}), 0)
        )

    @property
    def latency_count(self) -> int:
        return int(
            samples(self.text, "trainwell_request_duration_seconds_count").get(
                frozenset({("route", "/predict")}), 0
            )
        )


def predict(url: str, rows: list[dict[str, Any]], count: int) -> None:
    """``count`` requests of ``rows``, four at a time, each on a connection of its own."""

    def one(_: int) -> int:
        return httpx.post(f"{url}/predict", json={"rows": rows}, timeout=120).status_code

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(one, range(count))) == [200] * count


def scrape(url: str, times: int) -> list[Scrape]:
    """``times`` scrapes, two at a time (so that both workers answer some), each on a connection of its own."""
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(lambda _: Scrape(httpx.get(f"{url}/metrics", timeout=120).text), range(times)))


def workers_of(supervisor: int) -> list[int]:
    """The worker processes of the server ``supervisor`` (not multiprocessing's resource tracker)."""
    found = []
    for task in Path(f"/proc/{supervisor}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return [pid for pid in found if b"resource_tracker" not in _cmdline(pid)]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # ended meanwhile
        return b"resource_tracker"


@contextlib.contextmanager
def serving(model_dir: Path) -> Iterator[ServeProcess]:
    """``trainwell serve MODEL --workers 2``; a test that fails kills the workers with the supervisor (workers
    left running keep its stderr open, and the log reader waits on them)."""
    with ServeProcess(model_dir, "--workers", str(WORKERS)) as served:
        try:
            yield served
        except BaseException:
            for worker in workers_of(served.process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker, signal.SIGKILL)
            raise


def shared_folder(worker: int) -> Path:
    """The folder the supervisor gave its workers for their counts (in a worker's environment)."""
    environ = dict(
        entry.split("=", 1)
        for entry in Path(f"/proc/{worker}/environ").read_text().split("\0")
        if "=" in entry
    )
    return Path(environ["TRAINWELL_SERVE_METRICS_DIR"])


def check_every_scrape_counts_the_requests_of_both_workers(
    served: ServeProcess, url: str, rows: list[dict[str, Any]], sent: int
) -> None:
    workers = workers_of(served.process.pid)
    folder = shared_folder(workers[0])
    predict(url, rows, sent)
    scrapes = scrape(url, 8)
    answered_by = {one.answered_by for one in scrapes}
    for _ in range(10):  # the kernel picks a worker per connection: until each has answered a scrape
        if len(answered_by) == WORKERS:
            break
        scrapes += scrape(url, 4)
        answered_by = {one.answered_by for one in scrapes}
    assert answered_by == {
        str(pid) for pid in workers
    }  # so a worker's own share could not pass for the total
    for one in scrapes:
        assert (one.predicted, one.items, one.latency_count) == (sent, len(rows) * sent, sent), one.text
        assert set(one.up.items()) == {(str(pid), 1) for pid in workers}
        assert sum(one.workers.values()) == sum(one.requests.values())
    last = scrapes[-1].workers
    assert all(last[str(pid)] > 0 for pid in workers)  # both answered: each count is a sum of two
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        f"{pid}{COUNTS_SUFFIX}" for pid in workers
    )


def check_a_worker_that_died_keeps_its_counts_once(
    served: ServeProcess, url: str, rows: list[dict[str, Any]], earlier: int
) -> None:
    """As above, after ``earlier`` predictions already counted."""
    before, after = 8, 6
    predict(url, rows, before)
    (first,) = scrape(url, 1)
    assert first.predicted == earlier + before
    # The worker that answered the most of them dies as an out-of-memory kill would end it.
    victim, its_share = max(first.workers.items(), key=lambda worker: worker[1])
    assert its_share > 0
    its_share += first.answered_by == victim  # the scrape itself, counted once answered
    os.kill(int(victim), signal.SIGKILL)
    served.wait_for("ended; starting another")
    replacement = None
    for _ in range(600):  # until the new worker answers a scrape: it loads the model first
        started = {str(pid) for pid in workers_of(served.process.pid)} - set(first.workers)
        if started and any(one.answered_by in started for one in scrape(url, 2)):
            (replacement,) = started
            break
        time.sleep(0.5)
    assert replacement is not None, served.said
    predict(url, rows, after)
    scrapes = scrape(url, 8)
    for one in scrapes:
        # the dead worker's not lost, nor counted twice
        assert one.predicted == earlier + before + after, one.text
        assert one.up[victim] == 0 and one.workers[victim] == its_share
        assert one.up[replacement] == 1
        assert sum(one.workers.values()) == sum(one.requests.values())


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds the workers in /proc")
def test_every_scrape_counts_the_requests_of_both_workers_and_a_worker_that_died_keeps_its_counts_once(
    model_dir: Path, new_rows: list[dict[str, Any]]
) -> None:
    # One server (two workers start in seconds each): first both workers' counts in every scrape, then one
    # worker killed and replaced.
    sent = 12
    with serving(model_dir) as served:
        url = served.wait_ready()
        folder = shared_folder(workers_of(served.process.pid)[0])
        check_every_scrape_counts_the_requests_of_both_workers(served, url, new_rows[:2], sent)
        check_a_worker_that_died_keeps_its_counts_once(served, url, new_rows[:2], sent)
        assert served.stop() == 0
    assert not folder.exists()  # removed with the server


def test_an_ended_process_counts_its_requests_but_not_those_it_had_under_way(tmp_path: Path) -> None:
    # Another process' file, written as it writes it, under a pid that runs no process (ended).
    ended = 2**22 + 17  # over Linux's default pid_max
    counts = SharedCounts(tmp_path / f"{ended}{COUNTS_SUFFIX}")
    for key, value in {
        ("requests", "/predict", "POST", 200): 5,
        ("latency", "/predict", 3): 5,
        ("latency_sum", "/predict"): 0.04,
        ("items", "/predict"): 7,
        ("in_flight",): 2,
    }.items():
        counts.set(key, value)
    for number in range(2000):  # past the file's first size: it grows, and still reads whole
        counts.set(("requests", f"/route-{number}", "GET", 200), 1)
    assert (tmp_path / f"{ended}{COUNTS_SUFFIX}").stat().st_size > SharedCounts.INITIAL_BYTES
    metrics = Metrics({"model_version": "abc"}, lambda: ["/predict"])
    metrics.share(tmp_path)
    metrics.start()
    metrics.finish("/predict", "POST", 200, 0.002, 3)
    metrics.start()  # the scrape
    text = metrics.render()
    read = Scrape(text)
    assert read.predicted == 6 and read.items == 10 and read.latency_count == 6
    assert samples(text, "trainwell_requests_in_flight") == {frozenset(): 1}  # not the ended process' 2
    assert read.up == {str(ended): 0, str(os.getpid()): 1}
    assert read.workers == {str(ended): 2005, str(os.getpid()): 1}
    assert "summed over the workers of the server, ended ones included" in text
