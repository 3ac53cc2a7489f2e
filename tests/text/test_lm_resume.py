"""Exact resume of a language model: the carried hidden state is part of the checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from classify_tables import sentiment_frame

from resume_support import CrashAt
from trainwell.callbacks import Checkpoint
from trainwell.core.seeding import seed_everything
from trainwell.learner import Learner
from trainwell.text.lm_learner import language_model_learner
from trainwell.text.lm_stream import lm_data


def _lm(folder: Path, softmax: str = "full") -> Learner:
    seed_everything(0)
    data = lm_data(sentiment_frame(200, seed=1)["review"].tolist(), batch_size=4, bptt=10, min_freq=1)
    return language_model_learner(data, emb_size=8, hidden_size=12, n_layers=2, train_softmax=softmax,  # type: ignore[arg-type]
                                  n_samples=16, progress=False, device="cpu", path=folder)  # fmt: skip


@pytest.mark.parametrize("softmax", ["full", "sampled"])
def test_a_language_model_resumed_mid_epoch_ends_like_an_uninterrupted_one(
    tmp_path: Path, softmax: str
) -> None:
    reference = _lm(tmp_path / "full", softmax)
    reference.fit_one_cycle(3, 1e-2)
    interrupted = _lm(tmp_path / "run", softmax)
    with pytest.raises(KeyboardInterrupt):
        interrupted.fit_one_cycle(3, 1e-2, callbacks=[Checkpoint(every_n_batches=1), CrashAt(1, 4)])
    state = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)
    assert len(state["callbacks"]["HiddenStateReset"]["hidden"]) == 2  # one (h, c) per layer
    resumed = _lm(tmp_path / "run", softmax)
    resumed.fit_one_cycle(3, 1e-2, resume_from=tmp_path / "run" / "checkpoint.pt")
    for key, value in reference.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[key], value), key
    assert [row["valid_loss"] for row in resumed.history] == [row["valid_loss"] for row in reference.history]


def test_without_the_carried_state_the_resume_would_differ(tmp_path: Path) -> None:
    """The check above can fail: dropping the saved state (the old behaviour) changes the weights."""
    reference = _lm(tmp_path / "full")
    reference.fit_one_cycle(3, 1e-2)
    interrupted = _lm(tmp_path / "run")
    with pytest.raises(KeyboardInterrupt):
        interrupted.fit_one_cycle(3, 1e-2, callbacks=[Checkpoint(every_n_batches=1), CrashAt(1, 4)])
    path = tmp_path / "run" / "checkpoint.pt"
    state = torch.load(path, weights_only=True)
    del state["callbacks"]["HiddenStateReset"]
    torch.save(state, path)
    resumed = _lm(tmp_path / "run")
    resumed.fit_one_cycle(3, 1e-2, resume_from=path)
    assert not torch.equal(resumed.model.decoder.bias, reference.model.decoder.bias)
