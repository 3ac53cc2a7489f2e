"""Exact resume of a tagger: a run stopped mid-epoch and resumed from its checkpoint ends with the same
weights and history as one never stopped (the batch order and the hidden rare words are functions of the
seed and the epoch, not of how many batches the process has seen)."""

from __future__ import annotations

from pathlib import Path

import torch

from resume_support import resumed_beside_uninterrupted
from tagging_samples import entity_sentences
from trainwell.core.seeding import seed_everything
from trainwell.learner import Learner
from trainwell.text import tagging_data, tagging_learner

SMALL = {"word_dim": 8, "char_dim": 4, "char_filters": 4, "casing_dim": 2, "hidden": 8, "dropout": 0.0}


def _tagger(folder: Path) -> Learner:
    seed_everything(0)
    once = [
        ([f"Solo{chr(97 + i)}", "is", "here"], ["B-PER", "O", "O"]) for i in range(20)
    ]  # rare words to hide
    data = tagging_data(
        entity_sentences(120, seed=1) + once, valid_pct=0.2, batch_size=16, rare_word_dropout=0.5
    )
    return tagging_learner(data, arch_config=SMALL, progress=False, device="cpu", path=folder)


def test_a_tagger_resumed_mid_epoch_ends_like_an_uninterrupted_one(tmp_path: Path) -> None:
    reference, resumed = resumed_beside_uninterrupted(_tagger, tmp_path)
    for key, value in reference.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[key], value), key
    assert [row["entity_f1"] for row in resumed.history] == [row["entity_f1"] for row in reference.history]
