"""A cross-validation fold of images is scored on its fit's last validation pass, kept as the pass ran: before,
each fold scored its validation images a second time after the fit (``learn.get_preds()``), with the weights
that pass had used."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import torch

from image_files import make_image_folder
from trainwell.metrics import functional
from trainwell.vision.data import _task
from trainwell.vision.evaluation import ImageFold, read_labelled_images

EPOCHS = 2


def test_a_fold_scores_its_validation_images_once_an_epoch_and_not_again(tmp_path: Path) -> None:
    root = make_image_folder(tmp_path / "shapes", per_class=10, size=12, seed=1)
    images, labels = read_labelled_images(root, None)
    task = _task(labels, None, None, "shapes")
    fold = ImageFold(images, labels, task, ["accuracy"], arch="simple_cnn", epochs=EPOCHS, lr=1e-3)
    order = np.random.default_rng(0).permutation(len(labels))
    train, valid = np.sort(order[:12]), np.sort(order[12:])
    # The rows each module is handed in eval mode (validation passes, and any scoring after the fit): the
    # learner is built inside the fold, so every module's calls are counted; the model's outermost module
    # sees every row of every pass.
    rows: Counter[int] = Counter()

    def count(module: torch.nn.Module, inputs: Any) -> None:
        if not module.training and inputs and isinstance(inputs[0], torch.Tensor):
            rows[id(module)] += len(inputs[0])

    handle = torch.nn.modules.module.register_module_forward_pre_hook(count)
    try:
        scores = fold(train, valid, 0)
    finally:
        handle.remove()
    assert max(rows.values()) == EPOCHS * len(valid)  # one pass an epoch; before: one more after the fit
    ((kept_valid, preds, targets),) = fold.predictions
    assert np.array_equal(kept_valid, valid) and len(preds) == len(targets) == len(valid)
    assert scores["accuracy"] == functional.accuracy(preds, targets, task.kind)
