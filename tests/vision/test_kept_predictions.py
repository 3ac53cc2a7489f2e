"""The validation images' predictions of a fit's last pass, kept for the results' table after the fit.

``trainwell fit mnist --time 30s`` scored the 12,000 validation images a second time after the fit, for the
table's confidence intervals (15 s of a 30 s budget's command on a CPU): the last epoch's pass had made the
same predictions with the same weights.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import torch
from rich.console import Console

from forward_counts import CountsForwardsAfterTheFit, counting_forwards
from image_files import make_image_folder
from trainwell.cli._show import show_metrics
from trainwell.learner.kept_predictions import kept_validation_predictions, validation_predictions
from trainwell.vision.pipeline import fit_images


@pytest.fixture
def run(tmp_path: Path) -> Any:
    """An image classifier fitted on a small folder of real image files (train/ and valid/)."""
    root = tmp_path / "shapes"
    make_image_folder(root / "train", per_class=16, size=12, seed=1)
    make_image_folder(root / "valid", per_class=7, size=12, seed=2)  # 14 rows, one batch of 16
    return fit_images(root, arch="simple_cnn", epochs=2, batch_size=8, progress=False)


def test_the_results_table_reads_the_last_validation_pass_and_scores_no_image_again(run: Any) -> None:
    learn = run.learn
    calls = counting_forwards(learn.model)
    console = Console(file=io.StringIO(), width=200)
    show_metrics(learn, console)
    assert calls == []  # before, learn.get_preds(): a forward per validation batch
    assert "95% CI" in console.file.getvalue() and "accuracy" in console.file.getvalue()


def test_the_kept_predictions_are_those_a_new_pass_makes(run: Any) -> None:
    learn = run.learn
    kept = kept_validation_predictions(learn)
    assert kept is not None
    probabilities, targets = kept
    fresh, fresh_targets = learn.get_preds()
    assert fresh_targets is not None and torch.equal(targets, fresh_targets)
    assert probabilities.shape == fresh.shape == (14,)  # two classes: binary, one probability an image
    torch.testing.assert_close(probabilities, fresh)


def test_weights_changed_after_the_pass_are_scored_again(run: Any) -> None:
    # --patience's best epoch loaded back, an average swapped in: the kept predictions are of other weights.
    learn = run.learn
    state = {name: tensor.clone() for name, tensor in learn.model.state_dict().items()}
    with torch.no_grad():
        next(learn.model.parameters()).add_(1.0)
    learn.model.load_state_dict(state)  # the same numbers again, but written after the pass
    assert kept_validation_predictions(learn) is None
    calls = counting_forwards(learn.model)
    probabilities, _ = validation_predictions(learn)
    assert sum(calls) == 14  # the 14 validation images, scored again
    assert probabilities.shape == (14,)


def test_a_pass_cut_short_keeps_nothing(tmp_path: Path) -> None:
    from trainwell.learner.events import Callback, CancelValidate

    class StopAfterOneBatch(Callback):
        order = 40

        def after_batch(self, learn: Any) -> None:
            if not learn.training:
                raise CancelValidate

    root = tmp_path / "shapes"
    make_image_folder(root / "train", per_class=8, size=12, seed=1)
    make_image_folder(root / "valid", per_class=20, size=12, seed=2)  # 40 rows: three batches of 16
    run = fit_images(
        root, arch="simple_cnn", epochs=1, batch_size=8, progress=False, callbacks=[StopAfterOneBatch()]
    )
    assert kept_validation_predictions(run.learn) is None


def test_a_multilabel_fit_chooses_its_thresholds_and_shows_its_table_without_scoring_again(
    tmp_path: Path,
) -> None:
    root = make_image_folder(tmp_path / "imgs", per_class=12, size=12)
    rows = ["path,tags"]
    for index, path in enumerate(sorted(root.rglob("*.png"))):
        rows.append(f"{path.relative_to(tmp_path)},{path.parent.name}{';noisy' if index % 3 == 0 else ''}")
    csv = tmp_path / "labels.csv"
    csv.write_text("\n".join(rows) + "\n")
    run = fit_images(
        csv,
        path_col="path",
        label_col="tags",
        label_delim=";",
        arch="simple_cnn",
        epochs=1,
        progress=False,
        callbacks=[counter := CountsForwardsAfterTheFit()],
    )
    assert run.thresholds is not None and len(run.thresholds.thresholds) == 3
    show_metrics(run.learn, console := Console(file=io.StringIO(), width=200), run.thresholds)
    assert counter.calls == []  # before, two passes: the thresholds' and the table's
    assert "f1_tuned" in console.file.getvalue()


def test_weights_swapped_as_the_pass_ends_by_an_earlier_callback_are_seen(tmp_path: Path) -> None:
    # A callback ordered before the keeper that changes the weights in after_validate (an average swapped back,
    # the best epoch loaded): the predictions kept are of the weights the pass ran with, not of those after it.
    from trainwell.learner.events import Callback

    class NudgesTheWeightsAfterValidation(Callback):
        order = 20

        def after_validate(self, learn: Any) -> None:
            with torch.no_grad():
                next(learn.model.parameters()).add_(0.5)

    root = tmp_path / "shapes"
    make_image_folder(root / "train", per_class=8, size=12, seed=1)
    make_image_folder(root / "valid", per_class=7, size=12, seed=2)
    run = fit_images(
        root,
        arch="simple_cnn",
        epochs=1,
        batch_size=8,
        progress=False,
        callbacks=[NudgesTheWeightsAfterValidation()],
    )
    assert kept_validation_predictions(run.learn) is None
