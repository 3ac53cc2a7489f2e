"""scikit-learn's thread pools take the cores left free: all of them on an idle machine, one beside busy ones."""

from __future__ import annotations

import os

import pytest
from threadpoolctl import threadpool_info

from trainwell.core.threads import free_cores, sklearn_threads


def _cores() -> int:
    return len(os.sched_getaffinity(0))


@pytest.mark.parametrize(
    ("load", "expected"),
    [(0.0, "all"), (1.0, "all"), (1.4, "all"), (2.0, "all - 1"), (50.0, 1)],
)
def test_free_cores_follow_the_load_beyond_this_process(
    monkeypatch: pytest.MonkeyPatch, load: float, expected: object
) -> None:
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    cores = _cores()
    wanted = {"all": cores, "all - 1": max(1, cores - 1)}.get(str(expected), expected)
    assert free_cores() == wanted


def test_without_a_load_average_every_core_is_free(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_load() -> tuple[float, float, float]:
        raise OSError("no load average here")

    monkeypatch.setattr(os, "getloadavg", no_load)
    assert free_cores() == _cores()


def test_the_pools_are_limited_within_the_block_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier  # loads scikit-learn's OpenMP pool

    assert HistGradientBoostingClassifier is not None
    monkeypatch.setattr(os, "getloadavg", lambda: (50.0, 50.0, 50.0))
    before = {pool["filepath"]: pool["num_threads"] for pool in threadpool_info()}
    with sklearn_threads() as threads:
        assert threads == 1
        assert all(pool["num_threads"] == 1 for pool in threadpool_info())
    assert {pool["filepath"]: pool["num_threads"] for pool in threadpool_info()} == before
