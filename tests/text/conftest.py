"""Fixtures of the text tests: a small trained language model, shared by the ULMFiT and LM fine-tuning tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from classify_tables import sentiment_frame

from trainwell.text import language_model_learner, lm_data

#: Encoder sizes of the small language model (its classifiers must use the same).
LM_SIZES = {"emb_size": 16, "hidden_size": 24, "n_layers": 2}


@pytest.fixture(scope="session")
def lm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A language model trained one epoch on 300 sentiment reviews, exported to a model directory."""
    torch.manual_seed(0)
    texts = sentiment_frame(300, seed=3)["review"].tolist()
    learn = language_model_learner(
        lm_data(texts, batch_size=8, bptt=12, min_freq=1), progress=False, **LM_SIZES
    )
    learn.fit_one_cycle(1, 1e-2)
    out = tmp_path_factory.mktemp("lm") / "lm"
    learn.export(out)
    return out
