"""Shared test settings.

Tests train tiny models, where torch's intra-op threads cost more than they save (and fight each other when
the CI machine's two cores are busy), so the suite runs torch single-threaded: every test and every fixture,
whatever a test before it set (the fixtures below guard it once for all files). Subprocess tests set
``OMP_NUM_THREADS`` through :data:`SUBPROCESS_ENV` for the same reason. Every test starts from the same random
state.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

# ../shared/data beside the repository, or where TRAINWELL_SHARED_DATA says (a checkout elsewhere, as the
# benchmarks read it)
SHARED_DATA = Path(
    os.environ.get("TRAINWELL_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data"
)
# A relative PYTHONPATH (``PYTHONPATH=src pytest``) means another folder to the commands the tests run in a
# temporary folder: they would silently test whichever trainwell is installed. Made absolute for all of them.
if os.environ.get("PYTHONPATH"):
    os.environ["PYTHONPATH"] = os.pathsep.join(
        os.path.abspath(part) for part in os.environ["PYTHONPATH"].split(os.pathsep) if part
    )
# Archives unpacked and images decoded by the tests go to a folder of this run, not the user's ~/.cache.
if not os.environ.get("TRAINWELL_CACHE"):
    os.environ["TRAINWELL_CACHE"] = tempfile.mkdtemp(prefix="trainwell-test-cache-")
    atexit.register(shutil.rmtree, os.environ["TRAINWELL_CACHE"], ignore_errors=True)
SUBPROCESS_ENV = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200"}


#: Test files that take minutes (torchrun's processes, commands stopped and resumed), run first: with the files
#: shared over workers (pytest-xdist, ``--dist loadfile``), one started last would run on alone at the end.
LONGEST_FIRST = (
    "distributed/test_distributed_evaluate_gathered.py",
    "cli/test_cli_resume.py",
    "distributed/test_tune_spread.py",
    "distributed/test_distributed_evaluate.py",
    "distributed/test_distributed.py",
    "distributed/test_distributed_cli.py",
    "cli/test_cli_time_budget.py",
    "learner/test_learner_resume.py",
    "cli/test_cli_errors.py",
    "distributed/test_distributed_errors.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files of :data:`LONGEST_FIRST` first, in that order; every other test keeps its place (a stable sort,
    the same in every worker)."""
    tests = Path(__file__).parent

    def rank(item: pytest.Item) -> int:
        try:
            name = item.path.relative_to(tests).as_posix()
        except ValueError:
            return len(LONGEST_FIRST)
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)


@pytest.fixture(autouse=True, scope="session")
def _single_thread() -> None:
    """One intra-op thread from the start, before any module or session fixture trains its model."""
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _single_thread_again_after_each_test() -> Iterator[None]:
    """One thread for each test and again after it: a test that sets torch's threads (test_gbdt_threads) cannot
    leave its setting to the tests and the module fixtures that come after it, so no file or fixture needs a
    guard of its own (in-process fits compared with a command's run single-threaded like the command)."""
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(1)


@pytest.fixture
def two_threads() -> Iterator[None]:
    """torch at two intra-op threads (the suite holds it at one), as it was afterwards: for the tests of what
    keeps a fit on one thread (tables' and ratings' networks)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def _a_working_folder_of_its_own(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test runs in an empty folder of its own: a command given no --out writes model/ there, not into the
    repository (a test's fit wrote the repository's model/), and two tests running side by side never write one
    folder (nor hold its lock: fit holds its --out while it trains)."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture(autouse=True)
def _same_random_state_for_every_test() -> None:
    """Each test starts from seed 0, so a result never depends on which tests ran before it (or in which order)."""
    from trainwell.core.seeding import seed_everything

    seed_everything(0)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; tests that need it skip with the reason when it is absent (one for the session, so
    that a module's fixture can train on it once)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the shared datasets at {SHARED_DATA} (not shipped with the repository)")
    return SHARED_DATA
