"""The search for image classifiers, with the real Optuna: fit's network and defaults first, the best model
kept exactly, from Python and from the command line (a folder of class folders of images)."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest
from typer.testing import CliRunner

import trainwell
from image_files import make_image_folder
from trainwell.automl.images import DEFAULT_LABEL_SMOOTHING, DEFAULT_LR, DEFAULT_WD, tune_images
from trainwell.automl.search import TUNING_FILE, trial_reports
from trainwell.cli.app import app
from trainwell.core.errors import ConfigError
from trainwell.vision.pipeline import default_epochs, fit_images

pytestmark = pytest.mark.slow


def test_the_search_starts_from_what_fit_does_and_keeps_the_best_model_exactly(tmp_path: Path) -> None:
    images = make_image_folder(tmp_path / "shapes", per_class=12, size=16)
    lines: list[str] = []
    with trial_reports(lines.append):  # each trial said as it ends (trainwell tune prints them)
        result = tune_images(
            images,
            n_trials=3,
            out=tmp_path / "m",
            pruner=optuna.pruners.NopPruner(),
            keep="best",
            search={"epochs": (2, 4)},
        )
    # The start-up first, in a line of its own (not in trial 0's seconds), then each trial.
    assert len(lines) == 4 and lines[0].startswith("start-up ")
    assert lines[1].startswith("trial 0 (1 of 3): roc_auc ")
    assert "(lr 2.0e-03, wd 0.05, epochs 4, label_smoothing 0.1)" in lines[1]
    assert result.metric == "roc_auc" and result.direction == "maximize"
    first = result.trials[0]
    assert first["defaults"] and (first["params"]["lr"], first["params"]["wd"]) == (DEFAULT_LR, DEFAULT_WD)
    assert first["params"]["label_smoothing"] == DEFAULT_LABEL_SMOOTHING
    # Trial 0 is fit_images with its defaults (its epochs moved into the narrowed range): the same score.
    fitted = fit_images(images, epochs=first["params"]["epochs"], progress=False)
    assert default_epochs(len(fitted.data.train)) >= first["params"]["epochs"] == 4
    assert first["value"] == pytest.approx(fitted.learn.history[-1]["roc_auc"], abs=1e-9)
    values = [t["value"] for t in result.trials]
    assert result.best_value == max(values) and result.run.learn.history[-1]["roc_auc"] == result.best_value
    assert json.loads((tmp_path / "m" / TUNING_FILE).read_text())["best_params"] == result.best_params
    predicted = trainwell.load(tmp_path / "m").predict([next((images / "vertical").iterdir())])
    assert set(predicted["prediction"]) <= {"horizontal", "vertical"}


def test_bad_settings_are_refused_before_a_trial() -> None:
    with pytest.raises(
        ConfigError, match="not searched here; the settings are: lr, wd, epochs, label_smoothing"
    ):
        tune_images(Path("."), n_trials=1, search={"dim": (16, 64)})


def test_the_command_line_searches_a_folder_of_class_folders_of_images(tmp_path: Path) -> None:
    # tune said "an image model trains with fit's defaults" of a folder of images.
    images = make_image_folder(tmp_path / "shapes", per_class=10, size=16)
    held_out = make_image_folder(tmp_path / "held", per_class=3, size=16, seed=4)  # --test: no trial sees it
    runner = CliRunner()
    out = tmp_path / "m"
    result = runner.invoke(
        app,
        [
            *("tune", str(images), "--trials", "2", "--search", "epochs=2"),
            *("--out", str(out), "--size", "12", "--test", str(held_out)),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / TUNING_FILE).is_file() and (out / "trainwell.json").is_file()
    assert "trial 0 (1 of 2): roc_auc " in result.output and "trial 1 (2 of 2): " in result.output
    assert trainwell.load(out).metadata["recipe"]["size"] == [12, 12]  # fit's --size, for every trial
    assert "test set (6 images): accuracy " in " ".join(result.output.split())
    assert "accuracy" in trainwell.load(out).metadata["training"]["test"]
    table = tmp_path / "rows.csv"
    table.write_text("x,y\n1,0\n2,1\n3,0\n4,1\n", encoding="utf-8")
    sized = runner.invoke(app, ["tune", str(table), "--target", "y", "--size", "12"])
    assert sized.exit_code == 2 and "--size is not used by a table" in sized.stderr
    refused = runner.invoke(app, ["tune", str(images), "--target", "label"])
    assert (
        refused.exit_code == 2
        and "--target is not used by a folder of class folders of images" in refused.stderr
    )
    wrong = runner.invoke(app, ["tune", str(images), "--arch", "mlp"])
    assert wrong.exit_code == 2 and "--arch mlp is not an image architecture" in wrong.stderr


def test_the_verdict_counts_images_and_texts_not_rows() -> None:
    from types import SimpleNamespace

    from trainwell.cli.tune_cmd import _examples

    def of(application: str) -> str:
        return _examples(SimpleNamespace(run=SimpleNamespace(data=SimpleNamespace(application=application))))

    assert (of("vision"), of("text"), of("tabular")) == ("images", "texts", "rows")
    assert _examples(SimpleNamespace()) == "rows"


def test_a_pruned_trial_is_said_with_the_share_of_its_epochs() -> None:
    # The pruner's steps are tenths of the schedule (OptunaPruning), not epochs: "pruned after epoch 41" of 11.
    from datetime import timedelta
    from types import SimpleNamespace

    from trainwell.automl.search import _trial_reporter

    lines: list[str] = []
    trial = SimpleNamespace(
        number=5,
        state=SimpleNamespace(name="PRUNED"),
        duration=timedelta(seconds=7.2),
        params={"lr": 3.3e-4, "epochs": 11},
        last_step=40,
        value=None,
        user_attrs={},
    )
    reporter = _trial_reporter(lines.append, "accuracy", 8)
    for _ in range(5):  # five trials of this run reported before it: it is the sixth
        reporter(None, trial)
    reporter(None, trial)
    assert lines[-1] == "trial 5 (6 of 8): pruned at 40% of its epochs (lr 3.3e-04, epochs 11), 7 s"
