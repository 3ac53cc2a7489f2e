"""The pieces of a search spread over ``torchrun``'s processes that need no launcher: the study's journal is
removed however the search stops, SIGTERM included (torchrun stops a job's processes with it), and waiting for a
slower process leaves Python's signal handlers their turn. Real signals, sent by this process to itself."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
import torch.distributed as dist

from trainwell.automl._spread import _study_journal
from trainwell.distributed.spread import termination_unwinds, wait_for_keys


@pytest.fixture(autouse=True)
def _sigterm_untouched() -> None:
    # A SIGTERM that nothing of ours catches would end the test run itself: run only where it has Python's
    # default handling, which termination_unwinds takes over.
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        pytest.skip("SIGTERM is handled by someone else in this test run")


@pytest.mark.parametrize(
    ("sent", "raised", "status"),
    [(signal.SIGINT, KeyboardInterrupt, None), (signal.SIGTERM, SystemExit, 128 + signal.SIGTERM)],
)
def test_the_journal_is_removed_on_sigterm_as_on_ctrl_c(
    tmp_path: Path, sent: signal.Signals, raised: type[BaseException], status: int | None
) -> None:
    with pytest.raises(raised) as stopped, _study_journal(tmp_path / "model") as journal:
        journal.with_name(journal.name + ".lock").touch()  # Optuna's lock beside it
        assert journal.name.startswith(".model.tune-") and journal.exists()
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL  # else the next line ends the test run
        signal.raise_signal(sent)
        pytest.fail("the signal did not stop the search")
    assert getattr(stopped.value, "code", None) == status  # SIGTERM: 143, the status a shell gives its victim
    assert list(tmp_path.iterdir()) == []  # neither the journal nor its lock is left behind
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # SIGTERM's handling given back


def test_a_sigterm_handler_of_someone_elses_is_left_alone() -> None:
    def theirs(signum: int, frame: object) -> None:
        raise AssertionError("not sent")

    previous = signal.signal(signal.SIGTERM, theirs)
    try:
        with termination_unwinds():
            assert signal.getsignal(signal.SIGTERM) is theirs
        assert signal.getsignal(signal.SIGTERM) is theirs
    finally:
        signal.signal(signal.SIGTERM, previous)


class CountingStore:
    """A store whose keys all come at the ``ready``-th look."""

    def __init__(self, ready: int) -> None:
        self.ready, self.looks = ready, 0

    def check(self, keys: list[str]) -> bool:
        self.looks += 1
        return self.looks >= self.ready


def test_waiting_for_a_slower_process_looks_until_its_keys_come() -> None:
    store = CountingStore(ready=3)
    wait_for_keys(store, ["result/0", "result/1"])
    assert store.looks == 3
    with pytest.raises(dist.DistStoreError, match=r"waited 0 s for the store's keys \['result/1'\]; not all"):
        wait_for_keys(CountingStore(ready=10), ["result/1"], timeout_s=0.0)
