"""On a GPU, a training step of the image recipes never makes the host wait for the device.

A wait (a loss or a flag read on the host) stops the host from queueing the next batch while the device works
on this one. CUDA's sync debug mode turns each wait into an error; it is on from each training batch's
``before_batch`` (augmentation, forward, loss, NanGuard, backward, optimizer step, schedules) to its
``after_batch``. The first batch of each epoch is left out: its one-off checks (the loss's shape) may read.
Skipped without CUDA; ``benchmarks/gpu_checks.sh suite`` runs it.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trainwell.learner import Callback
from trainwell.vision.pipeline import image_learner

pytestmark = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA device (benchmarks/gpu_checks.sh suite)"
)


class NoWaitsInBatches(Callback):
    order = -100  # before every other callback's before_batch, and after_batch

    def __init__(self) -> None:
        self.watched = 0

    def before_batch(self, learn) -> None:
        if learn.training and learn.batch_index > 0:
            torch.cuda.set_sync_debug_mode("error")
            self.watched += 1

    def after_batch(self, learn) -> None:
        torch.cuda.set_sync_debug_mode("default")


@pytest.mark.parametrize("recipe", [None, "speedrun"])
def test_training_batches_on_a_gpu_never_wait_for_the_device(recipe: str | None) -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (8 * 64 + 64, 32, 32, 3), dtype=np.uint8)
    labels = np.arange(len(images)) % 10
    _data, learn, _epochs, _schedule = image_learner(
        images[:-64],
        labels[:-64],
        valid=(images[-64:], labels[-64:]),
        batch_size=64,
        recipe=recipe,
        progress=False,
        learner_kwargs={"device": "cuda"},
    )
    watch = NoWaitsInBatches()
    try:
        learn.fit(2, 1e-3, callbacks=[watch])
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert watch.watched == 2 * 7
