"""``trainwell fit --arch gbdt --time 60`` loads no training code: boosted trees build no optimizer, whose first
one imports ``torch._dynamo`` (a second of CPU a process), which the command loaded all the same for its ``--time``
budget (``CommandTime.budget_of`` and the set-up of the training stack)."""

from __future__ import annotations

import pytest

from _trim_T4 import CLI_GBDT, CLI_MLP, dynamo_step


@pytest.mark.slow
@pytest.mark.parametrize("arch, loaded", [("gbdt", False), ("mlp", True)])
def test_a_trees_fit_under_time_in_a_fresh_process_does_not_import_dynamo(
    tmp_path_factory: pytest.TempPathFactory, arch: str, loaded: bool
) -> None:
    # ``fit yes_no.csv --target y --arch ARCH --time 60 --out m_ARCH`` (mlp: ``--epochs 1``), run in one fresh
    # interpreter with the other paths of trees, each checked before any has loaded dynamo; the mlp's last
    said = dynamo_step(tmp_path_factory, CLI_GBDT if arch == "gbdt" else CLI_MLP, dynamo=loaded)
    assert said["exit"] == 0
    assert (said["folder"] / f"m_{arch}" / "trainwell.json").is_file()
