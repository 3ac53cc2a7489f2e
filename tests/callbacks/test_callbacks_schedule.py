"""ParamScheduler beyond the learning rate and momentum: any setting of the optimizer's groups."""

from __future__ import annotations


def test_param_scheduler_schedules_any_setting_of_the_groups() -> None:
    import pytest
    import torch
    from torch import nn

    from trainwell.callbacks import ParamScheduler
    from trainwell.core.errors import ConfigError
    from trainwell.data import tensor_data
    from trainwell.learner import Callback, Learner

    seen: list[tuple[float, float]] = []

    class Watch(Callback):
        order = 0  # after the scheduler

        def before_batch(self, learn: Learner) -> None:
            if learn.training and learn.opt is not None:
                decays = [group["weight_decay"] for group in learn.opt.param_groups]
                seen.append((learn.pct_train, max(decays)))

    x = torch.randn(64, 3)
    data = tensor_data(x, x.sum(1).numpy(), batch_size=16, valid_pct=0.25)
    learn = Learner(nn.Linear(3, 1), data, wd=0.1, progress=False, device="cpu")
    learn.fit(2, 1e-2, callbacks=[ParamScheduler(weight_decay=lambda pct: 1 - pct), Watch()])
    assert [decay for _, decay in seen] == pytest.approx([0.1 * (1 - pct) for pct, _ in seen])
    assert seen[0][1] == pytest.approx(0.1) and seen[-1][1] < 0.1
    with pytest.raises(
        ConfigError, match=r"ParamScheduler\(warmth=...\): the optimizer's groups have no such"
    ):
        learn.fit(1, 1e-2, callbacks=[ParamScheduler(warmth=lambda pct: 1.0)])
