"""A search of boosted trees alone loads no training code: its trials build no optimizer, whose first one imports
``torch._dynamo`` (a second of CPU a process), which every search loaded before its first trial, and a ``--time``
search as it started its budget. A space whose kinds train by steps still loads it first, its seconds kept out
of the search's budget as before."""

from __future__ import annotations

import pytest

import trainwell.automl.search as search_module
from _trim_T4 import TUNE_GBDT, dynamo_step
from clock_support import FakeClock
from trainwell.automl.space import Space
from trainwell.automl.table import table_space
from trainwell.callbacks import TimeBudget
from trainwell.tabular import tabular_data


@pytest.mark.slow
@pytest.mark.parametrize("timeout", [None, 600])
def test_a_trees_search_in_a_fresh_process_does_not_import_dynamo(
    tmp_path_factory: pytest.TempPathFactory, timeout: int | None
) -> None:
    # run in one fresh interpreter with the other paths of trees, each checked before any has loaded dynamo
    said = dynamo_step(tmp_path_factory, TUNE_GBDT.format(timeout=timeout))
    assert said["trials"] == 2


def test_only_the_trees_kind_skips_the_training_code() -> None:
    from table_samples import yes_no_rows

    data = tabular_data(yes_no_rows(200, 0), "y", seed=0)
    trees, auto, mlp = (table_space(arch, data) for arch in ("gbdt", "auto", "mlp"))
    assert isinstance(trees, Space) and not trees.steps
    assert not trees.narrowed({"learning_rate": 0.1}).steps  # kept by a narrowed space
    assert [kind.steps for kind in auto.kinds] == [False, True]
    assert isinstance(mlp, Space) and mlp.steps


def test_a_budget_without_the_imports_sets_their_seconds_aside(monkeypatch: pytest.MonkeyPatch) -> None:
    clock, calls = FakeClock(), []

    def imports_taking_three_seconds() -> None:
        calls.append(1)
        clock.now += 3.0

    monkeypatch.setattr("trainwell.callbacks.budget.load_training_imports", imports_taking_three_seconds)
    budget = search_module.search_budget(10)
    assert budget is not None and not calls  # the space decides whether they are needed
    budget = TimeBudget(10, clock=clock).start(imports=False)
    clock.now += 2.0  # reading the data: the search's time
    began = clock()
    imports_taking_three_seconds()
    budget.set_aside(clock() - began)
    assert budget.remaining == pytest.approx(8.0)
    budget.set_aside(5.0)  # never more than the time since the count began
    assert budget.remaining == pytest.approx(10.0)
    TimeBudget(10, clock=clock).set_aside(1.0)  # not started: nothing to set aside


@pytest.mark.parametrize("timeout", [None, 600])
def test_a_trees_search_neither_loads_nor_names_the_training_code(
    monkeypatch: pytest.MonkeyPatch, timeout: int | None
) -> None:
    from table_samples import yes_no_rows
    from trainwell.automl.search import trial_reports
    from trainwell.automl.table import tune_table

    loaded: list[str] = []
    monkeypatch.setattr(search_module, "load_training_imports", lambda: loaded.append("search"))
    monkeypatch.setattr("trainwell.callbacks.budget.load_training_imports", lambda: loaded.append("budget"))
    said: list[str] = []
    with trial_reports(said.append):
        result = tune_table(yes_no_rows(300, 0), "y", arch="gbdt", n_trials=2, timeout=timeout)
    assert len(result.trials) == 2 and loaded == []
    assert said[0].startswith("start-up ") and "(reading the data, choosing the defaults)" in said[0]
