"""Resuming a fit that EarlyStopping had stopped, and a ``resume_from`` name given without its suffix."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

import trainwell
from trainwell import Learner
from trainwell.callbacks import Callback, Checkpoint, EarlyStopping
from trainwell.core.errors import ArtifactError


class _Batches(Callback):
    """Counts the training batches a fit runs."""

    def __init__(self) -> None:
        self.seen = 0

    def after_batch(self, learn: Learner) -> None:
        if learn.training:
            self.seen += 1


def _data() -> trainwell.DataBundle:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(400, 6, generator=g)
    y = (x[:, 0] + 0.3 * torch.randn(400, generator=g) > 0).long()
    return trainwell.tensor_data(x, y, batch_size=32)


def _fit(path: Path, resume: bool) -> tuple[Learner, _Batches, EarlyStopping]:
    trainwell.seed_everything(0)
    model = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 1))
    learn = Learner(model, _data(), progress=False, path=path)
    batches, stop = _Batches(), EarlyStopping(monitor="accuracy", patience=2)
    learn.fit(
        12, 3e-2, callbacks=[Checkpoint(), stop, batches], resume_from="checkpoint.pt" if resume else None
    )
    return learn, batches, stop


def test_the_same_call_resumed_after_early_stopping_trains_no_more(tmp_path: Path) -> None:
    first, _, first_stop = _fit(tmp_path, resume=False)
    assert first_stop.stopped_epoch is not None and len(first.history) < 12  # it did stop early
    assert first.stopped_by == "EarlyStopping"
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert state["stopped"] == "EarlyStopping"

    again, again_batches, again_stop = _fit(tmp_path, resume=True)
    assert again_batches.seen == 0  # it trained one more epoch, and other weights
    assert len(again.history) == len(first.history)
    assert again.history[-1] == pytest.approx(first.history[-1])
    for mine, theirs in zip(again.model.parameters(), first.model.parameters(), strict=True):
        assert torch.equal(mine, theirs)
    assert again.stopped_by == "EarlyStopping"
    assert again_stop.stopped_epoch == first_stop.stopped_epoch


def test_a_fit_that_ran_all_its_epochs_records_no_stop(tmp_path: Path) -> None:
    trainwell.seed_everything(0)
    learn = Learner(nn.Linear(6, 1), _data(), progress=False, path=tmp_path)
    checkpoint = Checkpoint()
    learn.fit(2, 1e-2, callbacks=[checkpoint])
    assert learn.stopped_by is None and checkpoint.writes == 2  # no write more than one an epoch
    assert torch.load(tmp_path / "checkpoint.pt", weights_only=True)["stopped"] is None


def test_resume_from_without_the_suffix_names_the_file_that_exists(tmp_path: Path) -> None:
    trainwell.seed_everything(0)
    Learner(nn.Linear(6, 1), _data(), progress=False, path=tmp_path).fit(1, 1e-2, callbacks=[Checkpoint()])
    learn = Learner(nn.Linear(6, 1), _data(), progress=False, path=tmp_path)
    with pytest.raises(ArtifactError) as raised:
        learn.fit(1, 1e-2, resume_from="checkpoint")
    message = str(raised.value)
    assert "\n" not in message
    assert f"but {(tmp_path / 'checkpoint.pt').resolve()} does" in message
    assert "resume_from='checkpoint.pt'" in message
