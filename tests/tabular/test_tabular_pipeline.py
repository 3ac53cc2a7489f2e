"""Tests for trainwell.tabular.pipeline: fit_table end to end, its checks, and what it writes."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import accuracy_score, roc_auc_score

import trainwell
from trainwell.core.errors import ConfigError
from trainwell.data.bundle import random_split
from trainwell.datasets import ADULT_TARGET, adult_sample
from trainwell.learner.run_files import history_csv
from trainwell.tabular.pipeline import LR_BOUNDS, default_epochs, fit_table


def small_table(n_rows: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x": rng.normal(size=n_rows), "group": rng.choice(["a", "b", "c"], n_rows)})
    frame["y"] = np.where(frame["x"] + (frame["group"] == "a") > 0.4, "pos", "neg")
    return frame


@pytest.mark.slow
def test_adult_sample_reaches_good_accuracy_and_the_artifact_predicts_the_same(tmp_path: Path) -> None:
    frame = adult_sample()
    run = fit_table(frame, ADULT_TARGET, out=tmp_path / "adult", epochs=2, seed=0, progress=False)
    final = run.metrics
    assert final["accuracy"] >= 0.80
    assert final["roc_auc"] >= 0.85

    probabilities, targets = run.learn.get_preds()
    assert targets is not None
    # The recorded metrics agree with scikit-learn on the same predictions.
    assert final["roc_auc"] == pytest.approx(roc_auc_score(targets.numpy(), probabilities.numpy()), abs=1e-6)
    assert final["accuracy"] == pytest.approx(accuracy_score(targets.numpy(), probabilities.numpy() >= 0.5))

    # Round trip: the exported model, loaded back, gives the Learner's probabilities on the raw validation rows.
    # The drawn rows, kept in a fair order (each class in proportion in every prefix): data.valid_index names them.
    _, drawn = random_split(len(frame), 0.2, seed=0)
    valid_index = run.learn.data.valid_index
    assert sorted(valid_index.tolist()) == drawn.tolist()
    predictor = trainwell.load(tmp_path / "adult")
    positive = predictor.task.classes[1]
    table = predictor.predict(frame.iloc[valid_index].drop(columns=[ADULT_TARGET]))
    np.testing.assert_allclose(table[f"probability_{positive}"].to_numpy(), probabilities.numpy(), atol=1e-5)
    expected_targets = (frame[ADULT_TARGET].iloc[valid_index].str.strip() == positive).astype(float)
    assert targets.tolist() == expected_targets.tolist()


@pytest.mark.parametrize(
    ("n_batches", "expected"), [(0, 30), (1, 30), (10, 30), (11, 28), (20, 15), (59, 6), (60, 5), (10_000, 5)]
)
def test_default_epochs_give_at_least_300_steps_within_5_to_30_epochs(n_batches: int, expected: int) -> None:
    # ceil(300 / n_batches) clamped to [5, 30].
    assert default_epochs(n_batches) == expected


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"epochs": 0}, "epochs (--epochs) must be a whole number of at least 1, got 0"),
        ({"lr": 0.0}, "lr (--lr) must be above 0 and below 10, got 0.0"),
        ({"lr": 20.0}, "lr (--lr) must be above 0 and below 10, got 20.0"),
        ({"lr": slice(1e-4, 1e-3)}, "lr (--lr) must be one number, got slice(0.0001, 0.001, None)"),
        ({"epochs": True}, "epochs (--epochs) must be a whole number of at least 1, got True"),
        ({"batch_size": 1}, "batch_size must be a whole number of at least 2"),
        ({"valid_pct": 1.5}, "valid_pct must be at least 0 and less than 1, got 1.5"),
    ],
)
def test_bad_settings_are_refused_before_the_data_is_read(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        fit_table("does-not-exist.csv", "y", **settings)  # type: ignore[arg-type]


def test_an_unusable_out_is_refused_before_training(tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me")
    with pytest.raises(ConfigError, match="exists and is not a trainwell model directory"):
        fit_table("does-not-exist.csv", "y", out=a_file)
    with pytest.raises(ConfigError, match=r"cannot be created: '.*notes\.txt' is a file"):
        fit_table("does-not-exist.csv", "y", out=a_file / "model")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "data.csv").write_text("a,b\n")
    with pytest.raises(ConfigError, match="exists and is not a trainwell model directory"):
        fit_table("does-not-exist.csv", "y", out=tmp_path / "other")
    assert a_file.read_text() == "keep me"


def test_fit_table_finds_a_learning_rate_and_writes_the_model_directory(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()  # an empty folder is a fine place for a new model
    run = fit_table(small_table(), "y", out=tmp_path / "model", epochs=2, seed=1, progress=False)
    assert run.lr_find is not None and run.lr_find.suggestion is not None
    assert run.lr == pytest.approx(min(max(run.lr_find.suggestion, LR_BOUNDS[0]), LR_BOUNDS[1]))
    assert run.model_dir == (tmp_path / "model").resolve()
    assert sorted(entry.name for entry in run.model_dir.iterdir()) == [
        "curves.png",
        "history.csv",
        "lr_find.png",
        "model.safetensors",
        "trainwell.json",
    ]
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["model"]  # no scratch files left beside it
    assert run.metrics == run.learn.history[-1]
    recorded = pd.read_csv(run.model_dir / "history.csv")
    expected = pd.DataFrame(run.learn.history).assign(epoch=[1, 2])  # history.csv counts epochs from 1
    pd.testing.assert_frame_equal(recorded, expected, check_dtype=False)
    # The peak learning rate of the one-cycle schedule is the one chosen.
    assert max(group["max_lr"] for group in run.learn.opt.param_groups) == pytest.approx(run.lr)  # type: ignore[union-attr]


def test_fit_table_with_a_given_lr_skips_the_finder_and_writes_nothing_without_out(tmp_path: Path) -> None:
    run = fit_table(small_table(), "y", epochs=1, lr=0.02, seed=0, progress=False)
    assert run.lr_find is None and run.lr == 0.02 and run.model_dir is None
    assert len(run.learn.history) == 1


def test_history_csv_has_one_row_per_epoch() -> None:
    history = [{"epoch": 0, "train_loss": 0.5, "accuracy": float("nan")}, {"epoch": 1, "train_loss": 0.25}]
    table = pd.read_csv(io.StringIO(history_csv(history)))
    assert list(table.columns) == ["epoch", "train_loss", "accuracy"]
    assert table["train_loss"].tolist() == [0.5, 0.25]
    assert table["accuracy"].isna().all()
    # Epochs count from 1 over every fit (fine-tuning's phases go on counting), as the screen shows them.
    phases = [{"fit": 1, "epoch": 0}, {"fit": 2, "epoch": 0}, {"fit": 2, "epoch": 1}]
    table = pd.read_csv(io.StringIO(history_csv(phases)))
    assert table["epoch"].tolist() == [1, 2, 3] and table["fit"].tolist() == [1, 2, 2]


def test_a_misread_sweep_trains_at_the_default_rate_with_a_warning() -> None:
    from trainwell.learner.lr_find import LRFindResult
    from trainwell.tabular.pipeline import DEFAULT_LR, LR_BOUNDS, choose_lr

    def sweep(suggestion: float | None) -> LRFindResult:
        return LRFindResult([1e-7, 1e-3, 1.0], [1.0, 0.5, 9.0], suggestion=suggestion)

    assert choose_lr(sweep(1e-3)) == 1e-3
    assert choose_lr(sweep(5e-2)) == LR_BOUNDS[1]  # above the range: clipped
    said = {1e-8: "its sweep was misread", None: "its loss did not decrease over the sweep"}
    for misread, why in said.items():
        with pytest.warns(UserWarning, match=f"{why}\\); training at the default {DEFAULT_LR:g}"):
            assert choose_lr(sweep(misread)) == DEFAULT_LR
    flat = LRFindResult([1e-7, 1e-3, 1.0], [1.0, 1.0, 1.0], suggestion=None, flat=True)
    with pytest.warns(UserWarning, match="no suggestion \\(its loss was flat over the sweep\\); training at"):
        assert choose_lr(flat) == DEFAULT_LR


def test_a_finder_stopped_for_time_still_gives_a_written_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainwell.callbacks import budget as budget_module

    monkeypatch.setattr(budget_module, "SWEEP_SHARE", 0.0)  # the sweep gets 1 ms: it stops after timing
    monkeypatch.setattr(budget_module, "TRAINING_ROOM", 1e12)  # and the training leaves it nothing
    with pytest.warns(UserWarning, match="would not have fit in the time budget beside the training"):
        run = fit_table(adult_sample().head(600), ADULT_TARGET, out=tmp_path / "m", epochs=2, time_budget=60)
    assert run.lr_find is not None and run.lr_find.stopped_for_time
    assert run.lr == pytest.approx(3e-3)
    written = {p.name for p in (tmp_path / "m").iterdir()}
    # The sweep's plot is left out: a stub from 1e-7 to 2.5e-7 showed in the report as if it were the sweep.
    assert {"model.safetensors", "curves.png"} <= written and "lr_find.png" not in written


def multilabel_table(n_rows: int = 200, seed: int = 0) -> pd.DataFrame:
    frame = small_table(n_rows, seed)
    return frame.assign(y=(frame["y"] == "pos").astype(int), z=(frame["x"] > 1).astype(int))


@pytest.mark.parametrize("multilabel", [False, True])
def test_metrics_none_reports_the_tasks_and_an_empty_list_none_through_to_the_model_directory(
    tmp_path: Path, multilabel: bool
) -> None:
    frame, target = (multilabel_table(), ["y", "z"]) if multilabel else (small_table(200), "y")
    run = fit_table(frame, target, out=tmp_path / "none", epochs=1, lr=0.02, metrics=[], progress=False)
    assert run.learn.metrics == [] and run.data.task.kind == ("multilabel" if multilabel else "binary")
    assert set(run.metrics) == {"fit", "epoch", "train_loss", "valid_loss", "lr", "time"}
    saved = json.loads((tmp_path / "none" / "trainwell.json").read_text())["training"]
    assert saved["metrics"] == [] and "accuracy" not in saved["final"]
    assert "accuracy" not in pd.read_csv(tmp_path / "none" / "history.csv").columns
    assert trainwell.load(tmp_path / "none").predict(frame.head(3)) is not None
    defaults = fit_table(frame, target, epochs=1, lr=0.02, metrics=None, progress=False)
    names = list(defaults.data.task.metric_names)
    if multilabel:  # micro- and sample-averaged F1 follow the macro f1, as for texts
        names[names.index("f1") + 1 : names.index("f1") + 1] = ["f1_micro", "f1_samples"]
    assert [metric.name for metric in defaults.learn.metrics] == names


def test_fit_table_reports_a_metric_function_by_its_name(tmp_path: Path) -> None:
    def share_right(preds: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return ((preds > 0.5).float() == targets).float().mean()

    run = fit_table(
        small_table(200), "y", out=tmp_path / "m", epochs=1, lr=0.02, metrics=["accuracy", share_right],
        progress=False,
    )  # fmt: skip
    assert run.metrics["share_right"] == pytest.approx(run.metrics["accuracy"])
    saved = json.loads((tmp_path / "m" / "trainwell.json").read_text())["training"]
    assert saved["metrics"] == ["accuracy", "share_right"]


def test_an_mlp_that_trained_no_epoch_never_beats_the_trees() -> None:
    from trainwell.tabular.pipeline import _better_trees

    assert _better_trees({"valid_loss": 0.33}, {})  # a budget spent before the MLP's first batch: trees kept
    assert not _better_trees({}, {"valid_loss": 0.35})  # trees without a loss: the MLP
    assert _better_trees({"valid_loss": 0.30}, {"valid_loss": 0.35})
    assert not _better_trees({"valid_loss": 0.36}, {"valid_loss": 0.35})


def test_learner_kwargs_shape_the_mlp_as_in_the_other_pipelines() -> None:
    run = fit_table(small_table(), "y", arch="mlp", epochs=1, lr=1e-2, progress=False,
                    learner_kwargs={"layers": (32,), "dropout": 0.0})  # fmt: skip
    assert (
        run.learn.model_spec["config"]["layers"] == [32] and run.learn.model_spec["config"]["dropout"] == 0.0
    )


def test_the_command_line_sets_the_optimizer_and_weight_decay(tmp_path: Path) -> None:
    # fit had no --wd nor --opt: Python alone could set them (learner_kwargs).
    import json

    from typer.testing import CliRunner

    from trainwell.cli.app import app

    table = tmp_path / "t.csv"
    adult_sample().head(300).to_csv(table, index=False)
    args = [
        "fit",
        str(table),
        "--target",
        ADULT_TARGET,
        "--arch",
        "mlp",
        "--epochs",
        "1",
        "--out",
        str(tmp_path / "m"),
    ]
    done = CliRunner().invoke(app, [*args, "--wd", "0.123", "--opt", "adabelief"], env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    training = json.loads((tmp_path / "m" / "trainwell.json").read_text())["training"]
    assert training["optimizer"] == "adabelief" and training["weight_decay"] == 0.123
    wrong = CliRunner().invoke(app, [*args, "--opt", "adamm"], env={"COLUMNS": "200"})
    assert wrong.exit_code == 2 and "unknown optimizer 'adamm' (did you mean 'adam'?)" in wrong.output
    texts = tmp_path / "texts.csv"
    pd.DataFrame({"review": ["good film", "bad film"] * 20, "label": ["pos", "neg"] * 20}).to_csv(
        texts, index=False
    )
    sparse = CliRunner().invoke(
        app, ["fit", str(texts), "--text", "review", "--target", "label", "--opt", "sgd"]
    )
    assert sparse.exit_code == 2 and "--opt is for tables and images" in sparse.output
