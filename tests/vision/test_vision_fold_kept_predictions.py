"""A cross-validation fold of images is scored on its fit's last validation pass, kept as the pass ran: before,
each fold scored its validation images a second time after the fit (``learn.get_preds()``), with the weights
that pass had used."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from forward_counts import rows_read_in_eval_mode
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
    with rows_read_in_eval_mode() as rows:  # the learner is built inside the fold
        scores = fold(train, valid, 0)
    assert max(rows.values()) == EPOCHS * len(valid)  # one pass an epoch; before: one more after the fit
    ((kept_valid, preds, targets),) = fold.predictions
    assert np.array_equal(kept_valid, valid) and len(preds) == len(targets) == len(valid)
    assert scores["accuracy"] == functional.accuracy(preds, targets, task.kind)
