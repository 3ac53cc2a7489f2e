"""The test server stops when asked, even after another test in the same process moved ``time.monotonic``.

The session's server failed to stop at the end of full runs (pytest-xdist, two workers): its loop waited on
uvicorn's 0.1 s tick, scheduled while a later test on that worker had replaced ``time.monotonic`` with a fake
clock (the evaluate tests' budgets run on one at 100 s to 1000 s), so the tick fell due only once the real clock
reached the fake one. Here a clock an hour ahead stands in for it, with an idle keep-alive connection open.
"""

from __future__ import annotations

import asyncio
import http.client
import time
from pathlib import Path

import pytest
from serve_support import LIMITS, start_server

from trainwell.serve import create_app

#: Generous: the server stops in well under a second; without the real clock it waited an hour.
STOP_BOUND_S = 60


def test_the_test_server_stops_after_a_test_moved_time_monotonic(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = start_server(create_app(model_dir, threads=1, **LIMITS))
    host, port = live.url.removeprefix("http://").split(":")
    idle = http.client.HTTPConnection(host, int(port), timeout=60)  # keep-alive, left open while it stops
    try:
        idle.request("GET", "/health")
        assert idle.getresponse().read() == b'{"status":"ok"}'
        loop = next(iter(live.server.servers)).get_loop()
        real = time.monotonic
        with monkeypatch.context() as patched:
            patched.setattr(time, "monotonic", lambda: real() + 3600)  # as another test's fake clock does
            # The loop runs a while on the moved clock: uvicorn's tick is set again on it meanwhile.
            asyncio.run_coroutine_threadsafe(asyncio.sleep(0.3), loop).result(timeout=60)
        live.server.should_exit = True
        live.thread.join(timeout=STOP_BOUND_S)
        assert not live.thread.is_alive(), "the server did not stop: its loop waits on the moved clock"
    finally:
        idle.close()
        live.server.force_exit = live.server.should_exit = True
