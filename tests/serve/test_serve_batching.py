"""The micro-batcher on its own, with plain functions as the batch function (deterministic: one event loop)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from trainwell.core.errors import ConfigError
from trainwell.serve.batching import MicroBatcher


def double(items: list[int]) -> list[int]:
    if any(item < 0 for item in items):
        raise ValueError(f"negative item in {items}")
    return [2 * item for item in items]


def run(coroutine_function: Any, batcher: MicroBatcher) -> Any:
    async def main() -> Any:
        try:
            return await coroutine_function()
        finally:
            await batcher.aclose()

    return asyncio.run(main())


async def until_taken_by_the_worker(batcher: MicroBatcher) -> None:
    """Yield to the event loop until a submitted request was queued, then taken from the queue."""
    while not batcher._pending:
        await asyncio.sleep(0)
    while batcher._pending:
        await asyncio.sleep(0)


def test_concurrent_submissions_share_one_call() -> None:
    batcher = MicroBatcher(double, max_batch=64)

    async def main() -> list[list[int]]:
        return await asyncio.gather(*(batcher.submit([index, 10 + index]) for index in range(10)))

    results = run(main, batcher)
    assert results == [[2 * index, 20 + 2 * index] for index in range(10)]
    assert batcher.stats.calls == 1
    assert list(batcher.stats.recent) == [(10, 20)]
    assert (batcher.stats.requests, batcher.stats.items, batcher.stats.largest_batch) == (10, 20, 10)


def test_batches_stay_within_max_batch_and_keep_the_order() -> None:
    batcher = MicroBatcher(double, max_batch=7)

    async def main() -> list[list[int]]:
        return await asyncio.gather(
            *(batcher.submit([3 * index, 3 * index + 1, 3 * index + 2]) for index in range(5))
        )

    results = run(main, batcher)
    assert results == [[2 * item for item in range(3 * index, 3 * index + 3)] for index in range(5)]
    # 3 + 3 rows fit in 7, a third request would not: requests are never split across calls.
    assert list(batcher.stats.recent) == [(2, 6), (2, 6), (1, 3)]


def test_a_request_larger_than_max_batch_runs_alone() -> None:
    batcher = MicroBatcher(double, max_batch=4)

    async def main() -> list[list[int]]:
        return list(await asyncio.gather(batcher.submit(list(range(10))), batcher.submit([100])))

    assert run(main, batcher) == [[2 * item for item in range(10)], [200]]
    assert list(batcher.stats.recent) == [(1, 10), (1, 1)]


def test_a_failing_request_does_not_fail_the_others() -> None:
    batcher = MicroBatcher(double, max_batch=64)

    async def main() -> list[Any]:
        return list(
            await asyncio.gather(
                batcher.submit([1]), batcher.submit([-1]), batcher.submit([2]), return_exceptions=True
            )
        )

    first, second, third = run(main, batcher)
    assert (first, third) == ([2], [4])
    assert isinstance(second, ValueError)
    assert str(second) == "negative item in [-1]"
    assert batcher.stats.calls == 4  # the merged call, then each request alone


def test_waits_for_an_announced_request_then_merges_it() -> None:
    batcher = MicroBatcher(double, max_batch=64, max_wait_s=60)

    async def main() -> tuple[list[int], list[int]]:
        ticket = batcher.announce()  # a second request is being received
        first = asyncio.ensure_future(batcher.submit([1]))
        await until_taken_by_the_worker(batcher)
        second = await batcher.submit([2], ticket)
        return await first, second

    assert run(main, batcher) == ([2], [4])
    # Without the wait the first request would have run alone: [(1, 1), (1, 1)].
    assert list(batcher.stats.recent) == [(2, 2)]


def test_a_withdrawn_announcement_ends_the_wait() -> None:
    batcher = MicroBatcher(double, max_batch=64, max_wait_s=60)

    async def main() -> list[int]:
        ticket = batcher.announce()
        first = asyncio.ensure_future(batcher.submit([1]))
        await until_taken_by_the_worker(batcher)
        ticket.close()  # that request failed validation: it will never arrive
        ticket.close()  # closing twice changes nothing
        return await asyncio.wait_for(first, timeout=30)  # not the 60 s wait

    assert run(main, batcher) == [2]
    assert list(batcher.stats.recent) == [(1, 1)]
    assert batcher._expected == 0


def test_no_wait_without_announced_requests() -> None:
    batcher = MicroBatcher(double, max_batch=64, max_wait_s=60)

    async def main() -> list[int]:
        return await asyncio.wait_for(batcher.submit([5]), timeout=30)

    assert run(main, batcher) == [10]


def test_works_across_event_loops() -> None:
    batcher = MicroBatcher(double, max_batch=8)
    for value in (1, 2):
        assert asyncio.run(batcher.submit([value])) == [2 * value]
    asyncio.run(batcher.aclose())
    assert batcher.stats.calls == 2


def test_thread_initializer_runs_in_the_worker_thread() -> None:
    import threading

    seen: list[str] = []
    batcher: MicroBatcher[int, str] = MicroBatcher(
        lambda items: [threading.current_thread().name for _ in items],
        thread_initializer=lambda: seen.append(threading.current_thread().name),
    )
    (name,) = run(lambda: batcher.submit([0]), batcher)
    assert seen == [name]
    assert name.startswith("trainwell-predict")


@pytest.mark.parametrize("max_batch", [0, -3, 2.5, True])
def test_bad_max_batch_is_refused(max_batch: Any) -> None:
    with pytest.raises(ConfigError, match=f"max_batch must be a positive integer, got {max_batch!r}"):
        MicroBatcher(double, max_batch=max_batch)
