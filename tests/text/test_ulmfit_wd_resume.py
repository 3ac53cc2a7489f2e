"""ULMFiT's fine_tune takes wd= and reads resume_from= as every Learner's fit does: it refused wd= ("takes no wd")
that Learner.fine_tune takes, and looked for a relative checkpoint name in the working directory only, where the
Checkpoint callback had written it under learn.path."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from classify_tables import sentiment_frame

import trainwell
from trainwell.callbacks import Checkpoint
from trainwell.core.errors import ArtifactError, ConfigError
from trainwell.core.seeding import seed_everything
from trainwell.text import text_classifier_learner, text_data
from trainwell.text.ulmfit import lm_vocab


def learner(lm_dir: Path, folder: Path) -> trainwell.Learner:
    seed_everything(0)
    data = text_data(
        sentiment_frame(240, seed=0),
        "sentiment",
        text_col="review",
        vocab=lm_vocab(lm_dir),
        batch_format="padded",
        batch_size=16,
    )
    return text_classifier_learner(
        data, "awd_lstm", pretrained=lm_dir, progress=False, device="cpu", path=folder
    )


class DecaySeen(trainwell.Callback):
    """The weight decay of each fit's decaying parameter groups, as the optimizer holds it."""

    def __init__(self) -> None:
        self.per_fit: list[set[float]] = []

    def before_fit(self, learn: trainwell.Learner) -> None:
        groups = learn.opt.param_groups  # type: ignore[union-attr]
        self.per_fit.append({group["weight_decay"] for group in groups if group["weight_decay"] > 0})


def test_fine_tune_of_an_awd_lstm_classifier_takes_wd_for_every_stage(lm_dir: Path, tmp_path: Path) -> None:
    learn = learner(lm_dir, tmp_path)
    seen = DecaySeen()
    learn.fine_tune(1, 2e-2, wd=0.1, callbacks=[seen])
    assert seen.per_fit == [{0.1}] * 4  # three frozen stages and the unfrozen fit
    assert learn.wd == 0.1
    with pytest.raises(ConfigError, match=r"wd \(weight decay\) must be a number >= 0, got -1"):
        learn.fine_tune(1, wd=-1)
    with pytest.raises(ConfigError, match=r"takes no lr_mult: .* callbacks, resume_from and wd"):
        learn.fine_tune(1, lr_mult=10)


class CrashInLastFit(trainwell.Callback):
    """Stands for a crash at the second training batch of gradual unfreezing's unfrozen fit (its 4th)."""

    order = 100

    def __init__(self) -> None:
        self.fits_seen = 0

    def before_fit(self, learn: trainwell.Learner) -> None:
        self.fits_seen += 1

    def after_batch(self, learn: trainwell.Learner) -> None:
        if learn.training and self.fits_seen == 4 and learn.batch_index == 1:
            raise KeyboardInterrupt


def test_a_relative_resume_from_is_read_under_learn_path_as_the_checkpoint_wrote_it(
    lm_dir: Path, tmp_path: Path
) -> None:
    # The working directory (the tests' own empty folder) is not learn.path: "ck.pt" is found under learn.path.
    reference = learner(lm_dir, tmp_path / "full")
    reference.fine_tune(1, 2e-2, wd=0.05)
    interrupted = learner(lm_dir, tmp_path / "run")
    with pytest.raises(KeyboardInterrupt):
        interrupted.fine_tune(
            1, 2e-2, wd=0.05, callbacks=[Checkpoint("ck.pt", every_n_batches=1), CrashInLastFit()]
        )
    assert (tmp_path / "run" / "ck.pt").is_file() and not Path("ck.pt").exists()
    resumed = learner(lm_dir, tmp_path / "run")
    resumed.fine_tune(1, 2e-2, wd=0.05, resume_from="ck.pt")
    for key, value in reference.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[key], value), key
    assert len(resumed.history) == len(reference.history) == 4


def test_a_missing_checkpoint_names_the_absolute_paths_looked_at(lm_dir: Path, tmp_path: Path) -> None:
    learn = learner(lm_dir, tmp_path / "run")
    with pytest.raises(ArtifactError) as caught:
        learn.fine_tune(1, resume_from="gone.pt")
    message = str(caught.value)
    assert str((tmp_path / "run" / "gone.pt").resolve()) in message
    assert str(Path("gone.pt").resolve()) in message
    assert "looked for under learn.path, where Checkpoint writes, then in the working directory" in message
