"""The root conftest keeps torch on one thread for every test and fixture: a test that changes the setting (as
test_gbdt_threads does, on purpose) cannot leave it to what runs after it. The tests run in file order; the
second one deliberately leaves two threads behind, and the third sees one again, in its module fixture too."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="module")
def threads_of_a_module_fixture() -> int:
    """Set up when the third test first asks for it, after the second one left two threads behind."""
    return torch.get_num_threads()


def test_a_test_starts_on_one_thread() -> None:
    assert torch.get_num_threads() == 1


def test_a_test_that_leaves_two_threads_behind() -> None:
    torch.set_num_threads(2)
    assert torch.get_num_threads() == 2


def test_the_tests_and_module_fixtures_after_it_get_one_thread_back(threads_of_a_module_fixture: int) -> None:
    assert threads_of_a_module_fixture == 1
    assert torch.get_num_threads() == 1
