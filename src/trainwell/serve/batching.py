"""Micro-batching: concurrent requests share one model call.

A model call has a fixed cost (building a table, encoding it, one forward pass) that barely grows with the
number of rows, so serving 64 one-row requests as one 64-row call is many times cheaper than 64 calls.

How it works: each request hands its rows to :meth:`MicroBatcher.submit` and awaits a future. One worker task
takes the oldest waiting request, then every other waiting request while the batch stays within
``max_batch`` rows, and runs the batch function once, in a dedicated thread so the event loop keeps
receiving requests meanwhile. The results are split back to the requests in order.

When the queue is empty but other requests are still being received (the server announces each one with
:meth:`MicroBatcher.announce` as it arrives), the worker waits for them up to ``max_wait_s``. It never waits
when nothing else is in flight, so a lone client pays no batching delay.

If a merged batch fails, each of its requests is run alone, so one bad request cannot fail the others.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from trainwell.core.errors import ConfigError

__all__ = ["BatchStats", "MicroBatcher", "Ticket"]

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")

#: Batches remembered in :attr:`BatchStats.recent`.
RECENT_BATCHES = 1000


@dataclass
class BatchStats:
    """Counts of the batch function's calls, for tests and monitoring.

    Attributes:
        calls: Batch function calls (merged batches, plus the solo re-runs after a failed batch).
        requests: Requests answered (with a result or an error).
        items: Items (rows) passed to the batch function in merged batches.
        largest_batch: The most requests merged into one call.
        recent: ``(requests, items)`` of the latest merged batches, oldest first.
        sizes: How many merged batches held each number of items (``GET /metrics``' histogram).
    """

    calls: int = 0
    requests: int = 0
    items: int = 0
    largest_batch: int = 0
    recent: deque[tuple[int, int]] = field(default_factory=lambda: deque(maxlen=RECENT_BATCHES))
    sizes: dict[int, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "requests": self.requests,
            "items": self.items,
            "largest_batch": self.largest_batch,
            "recent": [list(batch) for batch in self.recent],
        }


@dataclass
class _Request(Generic[ItemT, ResultT]):
    items: Sequence[ItemT]
    future: asyncio.Future[list[ResultT]]


class Ticket:
    """A request the server has started to receive; it counts as "on its way" until closed or submitted."""

    __slots__ = ("_batcher", "_open")

    def __init__(self, batcher: MicroBatcher[Any, Any]) -> None:
        self._batcher = batcher
        self._open = True

    def close(self) -> None:
        """The request will not submit (or just did): stop waiting for it. Closing twice does nothing."""
        if self._open:
            self._open = False
            self._batcher._on_ticket_closed()


class MicroBatcher(Generic[ItemT, ResultT]):
    """Merge concurrent :meth:`submit` calls into calls of ``run_batch``.

    Args:
        run_batch: Takes a list of items, returns one result per item, in order. Runs in a worker thread.
        max_batch: Most items merged into one call; a single larger submission still runs, alone.
        max_wait_s: Longest wait for announced requests to join a batch.
        thread_initializer: Called once in the worker thread before the first batch (e.g. to set torch
            threads).

    Example:
        >>> async def main():
        ...     batcher = MicroBatcher(lambda items: [2 * item for item in items], max_batch=8)
        ...     answers = await asyncio.gather(batcher.submit([1, 2]), batcher.submit([3]))
        ...     await batcher.aclose()
        ...     return answers, batcher.stats.calls
        >>> asyncio.run(main())
        ([[2, 4], [6]], 1)
    """

    def __init__(
        self,
        run_batch: Callable[[list[ItemT]], Sequence[ResultT]],
        *,
        max_batch: int = 64,
        max_wait_s: float = 0.002,
        thread_initializer: Callable[[], None] | None = None,
    ) -> None:
        if isinstance(max_batch, bool) or not isinstance(max_batch, int) or max_batch < 1:
            raise ConfigError(f"max_batch must be a positive integer, got {max_batch!r}")
        if not max_wait_s >= 0:
            raise ConfigError(f"max_wait_s must be a non-negative number of seconds, got {max_wait_s!r}")
        self.run_batch = run_batch
        self.max_batch = max_batch
        self.max_wait_s = float(max_wait_s)
        self.stats = BatchStats()
        self._thread_initializer = thread_initializer
        self._executor: ThreadPoolExecutor | None = None
        self._pending: deque[_Request[ItemT, ResultT]] = deque()
        self._expected = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._worker: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------------------------------ public
    def announce(self) -> Ticket:
        """Note that a request is being received; close the ticket if it will not :meth:`submit`."""
        self._expected += 1
        return Ticket(self)

    async def submit(self, items: Sequence[ItemT], ticket: Ticket | None = None) -> list[ResultT]:
        """Queue ``items`` for the next batch and return their results, in order.

        Raises:
            Exception: Whatever ``run_batch`` raised when running these items alone.
        """
        if ticket is not None:
            ticket.close()
        wake = self._ensure_worker()
        future: asyncio.Future[list[ResultT]] = asyncio.get_running_loop().create_future()
        self._pending.append(_Request(items, future))
        wake.set()
        return await future

    def lifespan(self, app: Any) -> contextlib.AbstractAsyncContextManager[None]:
        """A FastAPI ``lifespan=``: the worker starts with the application and stops with it."""
        return self._serving()

    @contextlib.asynccontextmanager
    async def _serving(self) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.aclose()

    async def start(self) -> None:
        """Start the worker in the running event loop (:meth:`submit` also starts it when needed)."""
        self._ensure_worker()

    async def aclose(self) -> None:
        """Stop the worker and the thread; requests still queued are cancelled."""
        worker, self._worker = self._worker, None
        if worker is not None and not worker.done():
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        while self._pending:
            self._pending.popleft().future.cancel()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    # ----------------------------------------------------------------------------------------- worker
    def _ensure_worker(self) -> asyncio.Event:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._worker is None or self._worker.done() or self._wake is None:
            # A new event loop (a test client may run one per request) gets a fresh worker and queue: asyncio
            # objects belong to the loop that created them.
            stale = self._pending if self._loop is not loop else deque()
            while stale:
                stale.popleft().future.cancel()
            self._loop, self._wake = loop, asyncio.Event()
            self._worker = loop.create_task(self._work(), name="trainwell-batcher")
        return self._wake

    def _on_ticket_closed(self) -> None:
        self._expected -= 1
        if self._expected <= 0 and self._wake is not None:
            self._wake.set()  # a worker waiting for this request should stop waiting

    def _thread_pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="trainwell-predict", initializer=self._thread_initializer
            )
        return self._executor

    async def _work(self) -> None:
        while True:
            batch = await self._next_batch()
            batch = [request for request in batch if not request.future.done()]  # clients that went away
            if batch:
                await self._run(batch)

    async def _next_batch(self) -> list[_Request[ItemT, ResultT]]:
        wake = self._wake
        assert wake is not None
        while not self._pending:
            wake.clear()
            await wake.wait()
        first = self._pending.popleft()
        batch, size = [first], len(first.items)
        loop = asyncio.get_running_loop()
        deadline: float | None = None
        while size < self.max_batch:
            if not self._pending:
                if self._expected <= 0 or self.max_wait_s <= 0:
                    break
                deadline = loop.time() + self.max_wait_s if deadline is None else deadline
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                wake.clear()
                try:
                    await asyncio.wait_for(wake.wait(), remaining)
                except asyncio.TimeoutError:  # not yet the builtin TimeoutError on Python 3.10
                    break
                continue
            if size + len(self._pending[0].items) > self.max_batch:
                break
            request = self._pending.popleft()
            batch.append(request)
            size += len(request.items)
        return batch

    async def _run(self, batch: list[_Request[ItemT, ResultT]]) -> None:
        items = [item for request in batch for item in request.items]
        self._record(len(batch), len(items))
        try:
            results = await self._call(items)
        except Exception as error:
            if len(batch) == 1:
                self._answer(batch[0], error=error)
                return
            for request in batch:  # find the culprit: each request alone
                try:
                    self._answer(request, results=await self._call(list(request.items)))
                except Exception as solo_error:
                    self._answer(request, error=solo_error)
            return
        start = 0
        for request in batch:
            stop = start + len(request.items)
            self._answer(request, results=results[start:stop])
            start = stop

    async def _call(self, items: list[ItemT]) -> list[ResultT]:
        self.stats.calls += 1
        loop = asyncio.get_running_loop()
        results = list(await loop.run_in_executor(self._thread_pool(), self.run_batch, items))
        if len(results) != len(items):
            raise RuntimeError(f"run_batch returned {len(results)} results for {len(items)} items")
        return results

    def _record(self, requests: int, items: int) -> None:
        self.stats.items += items
        self.stats.largest_batch = max(self.stats.largest_batch, requests)
        self.stats.recent.append((requests, items))
        self.stats.sizes[items] = self.stats.sizes.get(items, 0) + 1

    def _answer(
        self,
        request: _Request[ItemT, ResultT],
        *,
        results: list[ResultT] | None = None,
        error: BaseException | None = None,
    ) -> None:
        self.stats.requests += 1
        if request.future.done():
            return
        if error is not None:
            request.future.set_exception(error)
        else:
            request.future.set_result(results if results is not None else [])
