"""A user error under the real ``torchrun`` is said once, by rank 0, when every process meets it (a missing
column), and by the process that met it otherwise. Each rank's stderr is read from torchrun's per-rank logs."""

from __future__ import annotations

from pathlib import Path

import pytest
from torchrun_support import launch

JOB = Path(__file__).with_name("errors_job.py")
FAILURE_JOB = Path(__file__).with_name("ddp_failure_job.py")


def errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def test_an_error_every_process_meets_is_said_once_by_rank_zero(tmp_path: Path) -> None:
    code, [(_, err_0), (_, err_1)] = launch(tmp_path, JOB, "same")
    assert code != 0
    assert errors(err_0) == ["error: target column 'zz' not found in t.csv; pass --target NAME"]
    # Rank 1 failed a second earlier: it waited for rank 0's error, found it the same and stayed quiet.
    assert errors(err_1) == []


@pytest.mark.parametrize(
    ("mode", "rank_zero"), [("other", ["error: rank zero's own trouble; fix it"]), ("alone", [])]
)
def test_an_error_rank_zero_does_not_share_is_said_by_its_process(
    tmp_path: Path, mode: str, rank_zero: list[str]
) -> None:
    code, [(_, err_0), (_, err_1)] = launch(tmp_path, JOB, mode)
    assert code != 0
    assert errors(err_0) == rank_zero
    assert errors(err_1) == ["error: target column 'zz' not found in t.csv; pass --target NAME"]


@pytest.mark.parametrize(("mode", "said"), [("uncaught", "ValueError: a bug on rank 1 only"),
                                             ("guarded", "error: rank 1's own trouble; fix it")])  # fmt: skip
def test_a_process_that_fails_alone_ends_the_job_instead_of_hanging_it(
    tmp_path: Path, mode: str, said: str
) -> None:
    # Rank 0 waits in the next batch's gradients for rank 1, which failed: rank 1 waited at exit for rank 0 at
    # a barrier (whose timeout never came), so neither ended and torchrun never learnt of the failure. The job
    # ran until the launcher was killed, hours on a cluster. Now rank 1 leaves, and torchrun stops rank 0.
    code, [_, (_, err_1)] = launch(tmp_path, FAILURE_JOB, mode)  # would time out (240 s), failing the test
    assert code != 0
    assert said in err_1
