"""``trainwell fit --track``: the fit logged to TensorBoard and MLflow as a user runs it, read back with each
tool's own reader; misspelt destinations refused in one line before anything is read."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_support import EPOCHS, run_cli

pytest.importorskip("tensorboard", reason="--track needs the tensorboard and mlflow extras")
pytest.importorskip("mlflow", reason="--track needs the tensorboard and mlflow extras")

from mlflow.tracking import MlflowClient
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MLflow sqlite store with its tables made: making them runs all of MLflow's migrations (seconds), paid
    once here instead of by every command below that logs to a new ``mlflow.db``. The one test that times MLflow's
    set-up (``test_a_time_budget_trains_the_mlp_with_mlflow_set_up_before_it``) still starts from no store."""
    path = tmp_path_factory.mktemp("mlflow") / "mlflow.db"
    assert MlflowClient(f"sqlite:///{path}").get_experiment_by_name("trainwell") is None
    return path


@pytest.fixture
def store_here(empty_store: Path, tmp_path: Path) -> Path:
    """A copy of :func:`empty_store` as ``mlflow.db`` in the test's folder, where ``--track mlflow`` logs."""
    return Path(shutil.copy(empty_store, tmp_path / "mlflow.db"))


def test_fit_logs_to_tensorboard_and_mlflow_with_the_model_as_artifacts(
    binary_csv: Path, tmp_path: Path, store_here: Path
) -> None:
    result = run_cli(
        "fit", binary_csv, "--target", "y", "--arch", "mlp", "--out", "model", *EPOCHS,
        "--lr", "0.01", "--track", "tensorboard,mlflow",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.explain()
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert run_dir.name.startswith("model-")
    assert (
        f"logging to TensorBoard in 'runs/{run_dir.name}' (watch: tensorboard --logdir runs)" in result.stderr
    )
    assert f"logged to TensorBoard: runs/{run_dir.name}" in result.stderr
    events = EventAccumulator(str(run_dir))
    events.Reload()
    assert [event.value for event in events.Scalars("epoch")] == [1, 2]
    assert len(events.Scalars("valid/accuracy")) == 2
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    (run,) = client.search_runs([client.get_experiment_by_name("trainwell").experiment_id])
    assert f"logged to MLflow: run {run.info.run_id} ('model') in experiment 'trainwell'" in result.stderr
    assert run.info.status == "FINISHED" and run.data.params["task"] == "binary"
    assert run.data.tags["trainwell.model_dir"] == str(tmp_path / "model")
    assert len(client.get_metric_history(run.info.run_id, "valid/loss")) == 2
    stored = {item.path for item in client.list_artifacts(run.info.run_id, "model")}
    assert {"model/trainwell.json", "model/model.safetensors", "model/curves.png"} <= stored
    # MLflow's notes are not the user's business (those on making a new store's tables: checked where the store is
    # new, in test_a_time_budget_trains_the_mlp_with_mlflow_set_up_before_it)
    assert "INFO" not in result.stderr


def test_a_model_fitted_in_closed_form_is_said_to_log_nothing(binary_csv: Path, tmp_path: Path) -> None:
    result = run_cli(
        "fit", binary_csv, "--target", "y", "--arch", "gbdt", "--out", "trees", "--track", "tensorboard=tb/trees",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.explain()
    assert (
        "--track: boosted trees (--arch gbdt) is fitted in closed form, without epochs: nothing to log"
        in (result.stderr)
    )
    assert "logging to" not in result.stderr and not (tmp_path / "tb").exists()
    assert (tmp_path / "trees" / "trainwell.json").is_file()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("wandb", "--track 'wandb': not a destination; pass tensorboard, mlflow or both"),
        ("mlflow=", "--track 'mlflow=': nothing after '='; pass e.g. --track mlflow=sqlite:///mlflow.db"),
        ("tensorboard,tensorboard", "--track tensorboard is given twice"),
    ],
)
def test_bad_destinations_are_one_line_before_any_data_is_read(
    tmp_path: Path, value: str, message: str
) -> None:
    result = run_cli("fit", tmp_path / "missing.csv", "--target", "y", "--track", value, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_tune_logs_every_trial_as_a_run_of_its_own(
    binary_csv: Path, tmp_path: Path, store_here: Path
) -> None:
    result = run_cli(
        "tune", binary_csv, "--target", "y", "--arch", "mlp", "--trials", "2", "--out", "best",
        "--search", "epochs=1:2", "--track", "tensorboard,mlflow", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.explain()
    (root,) = (tmp_path / "runs").iterdir()
    assert root.name.startswith("best-tune-") and sorted(p.name for p in root.iterdir()) == [
        "trial-000",
        "trial-001",
    ]
    events = EventAccumulator(str(root / "trial-001"))
    events.Reload()
    settings = events.Tensors("run/settings/text_summary")[0].tensor_proto.string_val[0].decode()
    assert "| trial.lr |" in settings and "| trial.epochs |" in settings
    assert f"logged 2 trials to TensorBoard: runs/{root.name}" in result.stderr
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name("trainwell").experiment_id])
    parent = next(run for run in runs if run.info.run_name == "tune best")
    children = [run for run in runs if run.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert sorted(run.info.run_name for run in children) == ["trial 0", "trial 1"]
    assert all(run.info.status == "FINISHED" and "trial.lr" in run.data.params for run in children)
    assert parent.info.status == "FINISHED"
    parent = client.get_run(parent.info.run_id)  # read again: its outcome was logged after the search
    assert {"best/roc_auc", "best_trial", "kept_trial"} <= set(parent.data.metrics)
    assert parent.data.tags["trainwell.kept"] in ("best", "defaults")
    stored = {item.path for item in client.list_artifacts(parent.info.run_id, "model")}
    assert {"model/trainwell.json", "model/tuning.json"} <= stored
    assert (
        f"logged to MLflow: the search as run {parent.info.run_id}, its 2 trials as child runs"
        in result.stderr
    )


def test_destinations_with_their_places_in_one_value_and_a_folder_that_cannot_be_made(
    binary_csv: Path, tmp_path: Path
) -> None:
    from trainwell.cli._loggers import LogTarget, parse_log

    assert parse_log(["tensorboard=tb/a,mlflow=sqlite:///x.db"]) == [
        LogTarget("tensorboard", "tb/a"),
        LogTarget("mlflow", "sqlite:///x.db"),
    ]
    assert parse_log(["tensorboard,mlflow=sqlite:///x.db"]) == [
        LogTarget("tensorboard", None),
        LogTarget("mlflow", "sqlite:///x.db"),
    ]
    (tmp_path / "taken").write_text("a file where the folder would go")
    result = run_cli("fit", binary_csv, "--target", "y", "--track", "tensorboard=taken/run", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--track tensorboard: cannot make the folder 'taken/run'" in result.stderr


def test_a_time_budget_trains_the_mlp_with_mlflow_set_up_before_it(binary_csv: Path, tmp_path: Path) -> None:
    # MLflow's import and a new store took 3 s of a 3 s budget: the MLP trained no batch and was kept untrained.
    result = run_cli(
        "fit", binary_csv, "--target", "y", "--arch", "mlp", "--time", "4s", "--out", "m", "--track", "mlflow",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.explain()
    history = (tmp_path / "m" / "history.csv").read_text().splitlines()
    assert len(history) >= 2  # a header and at least one epoch
    # The store was new here (the other tests copy one made once): MLflow's notes on making its tables are not
    # the user's business.
    assert (tmp_path / "mlflow.db").is_file() and "INFO" not in result.stderr, result.explain()


def test_a_fit_that_fails_before_training_leaves_no_empty_mlflow_run(
    tmp_path: Path, store_here: Path
) -> None:
    (tmp_path / "bad.csv").write_text("x,y\n1,a\n2,a\n3,a\n", encoding="utf-8")  # one class: nothing to learn
    result = run_cli("fit", "bad.csv", "--target", "y", "--track", "mlflow", cwd=tmp_path)
    assert result.returncode == 2, result.explain()
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("trainwell")
    assert experiment is None or client.search_runs([experiment.experiment_id]) == []


def test_torchrun_passes_the_option_through_to_trainwell() -> None:
    # Named --log, torchrun's own parser took it for an abbreviation of its --log-dir / --logs-specs and stopped.
    from torch.distributed.run import get_args_parser

    args = get_args_parser().parse_args(
        [
            "--nproc_per_node",
            "2",
            "-m",
            "trainwell",
            "fit",
            "t.csv",
            "--target",
            "y",
            "--track",
            "tensorboard",
        ]
    )
    assert args.training_script_args[-2:] == ["--track", "tensorboard"]
