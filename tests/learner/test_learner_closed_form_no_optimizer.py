"""A fit of a model fitted in closed form (boosted trees, EASE) takes no gradient step, and builds no optimizer:
it built an AdamW that never stepped, whose first ``add_param_group`` imports ``torch._dynamo`` (a second of CPU a
process), paid by every process of a search of boosted trees. ``learn.opt`` stays ``None``; checkpoints of such a
fit are written and resumed without one, and a step asked for all the same still gets one."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from _trim_T4 import FIT_TABLE_GBDT, dynamo_step
from table_samples import yes_no_rows
from trainwell.callbacks import Checkpoint
from trainwell.tabular import tabular_data, tabular_learner


@pytest.mark.slow
def test_a_trees_fit_in_a_fresh_process_does_not_import_dynamo(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # run in one fresh interpreter with the other paths of trees, each checked before any has loaded dynamo
    said = dynamo_step(tmp_path_factory, FIT_TABLE_GBDT)
    assert said["opt_is_none"] and said["accuracy_over_half"]
    assert (said["folder"] / "trees" / "trainwell.json").is_file()


def test_a_trees_fit_keeps_no_optimizer_and_resumes_from_its_checkpoint(tmp_path: Path) -> None:
    data = tabular_data(yes_no_rows(300, 1), "y", seed=0)
    learn = tabular_learner(data, arch="gbdt", path=tmp_path, progress=False)
    learn.fit(1, callbacks=[Checkpoint("trees.pt")])
    assert learn.opt is None and (tmp_path / "trees.pt").is_file()
    assert "lr" not in learn.final_row and learn.final_row["valid_loss"] > 0
    resumed = tabular_learner(data, arch="gbdt", path=tmp_path, progress=False)
    resumed.fit(1, resume_from="trees.pt")  # a fit that ran its epoch: nothing runs again
    assert resumed.opt is None
    assert resumed.history[-1]["valid_loss"] == pytest.approx(learn.history[-1]["valid_loss"])


def test_a_closed_form_model_whose_batches_train_all_the_same_gets_an_optimizer() -> None:
    # A model saying closed_form but without the ClosedForm callback that skips its training batches: the fit's
    # steps build the optimizer they need, as before.
    from trainwell.learner.learner import Learner

    class Flagged(torch.nn.Module):
        closed_form = True

        def __init__(self) -> None:
            super().__init__()
            self.linear = torch.nn.Linear(2, 1)

        def forward(self, x_cat: torch.Tensor, x_cont: torch.Tensor) -> torch.Tensor:
            return self.linear(x_cont[:, :2])

    data = tabular_data(yes_no_rows(120, 2), "y", seed=0)
    learn = Learner(Flagged(), data, progress=False)
    before = learn.model.linear.weight.detach().clone()
    learn.fit(1)
    assert learn.opt is not None and not torch.equal(before, learn.model.linear.weight)
