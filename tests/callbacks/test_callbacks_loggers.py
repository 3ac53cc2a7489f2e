"""TensorBoardLogger and MLflowLogger: what a fit writes, read back with each tool's own reader (TensorBoard's
event accumulator, MLflow's client on a real sqlite store), across fits, resumes, errors and bad settings."""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
from callbacks_helpers import linear_learner, regression_data
from torch import nn

import trainwell.callbacks._run_info as run_info
import trainwell.callbacks.tensorboard as tensorboard_module
from trainwell.callbacks import Checkpoint, MLflowLogger, TensorBoardLogger
from trainwell.callbacks._run_info import LoggerDependencyError
from trainwell.core.errors import ConfigError, UserError
from trainwell.learner import Callback, Learner

pytest.importorskip("tensorboard", reason="the loggers' tests need the tensorboard and mlflow extras")
pytest.importorskip("mlflow", reason="the loggers' tests need the tensorboard and mlflow extras")

from mlflow.tracking import MlflowClient
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

# 80 rows, a quarter held out, 16 a batch: 4 training batches an epoch.
BATCHES_PER_EPOCH = 4


def scalars(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    events = EventAccumulator(str(run_dir))
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def store(empty: Path, tmp_path: Path, name: str = "mlflow.db") -> str:
    """A store of its own for a test: a copy of the module's empty store (MLflow takes seconds to make the tables
    of a new sqlite store; test_mlflow_run_holds_the_settings_and_every_epoch has it make one)."""
    shutil.copyfile(empty, tmp_path / name)
    return f"sqlite:///{tmp_path / name}"


class Interrupt(Callback):
    """Ctrl-C in the second epoch, after its third batch (the checkpoint is the first epoch's)."""

    order = 100

    def after_batch(self, learn: Learner) -> None:
        if learn.epoch == 1 and learn.batch_index == 2:
            raise KeyboardInterrupt


class Fail(Callback):
    def after_epoch(self, learn: Learner) -> None:
        raise RuntimeError("the data went away")


class TwoGroups(nn.Module):
    """A body and a head: fine_tune freezes the one and gives the two discriminative learning rates."""

    def __init__(self) -> None:
        super().__init__()
        self.body, self.head = nn.Linear(3, 4), nn.Linear(4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.body(x)))

    def layer_groups(self) -> list[nn.Module]:
        return [self.body, self.head]


# ------------------------------------------------------------------------------------------- TensorBoard
def test_tensorboard_holds_the_history_and_the_batches(tmp_path: Path) -> None:
    learn = linear_learner(path=tmp_path)
    logger = TensorBoardLogger("runs/first", every_n_batches=2)
    learn.fit_one_cycle(3, callbacks=[logger])
    assert logger.run_dir == tmp_path / "runs" / "first" and logger.step == 3 * BATCHES_PER_EPOCH
    found = scalars(logger.run_dir)
    ends = [BATCHES_PER_EPOCH * (epoch + 1) for epoch in range(3)]
    for tag, key in (("train/loss", "train_loss"), ("valid/loss", "valid_loss"), ("valid/rmse", "rmse")):
        assert [step for step, _ in found[tag]] == ends
        assert [value for _, value in found[tag]] == pytest.approx([row[key] for row in learn.history])
    assert [value for _, value in found["epoch"]] == [1, 2, 3]
    assert [step for step, _ in found["train/batch_loss"]] == list(range(2, 13, 2))
    assert [value for _, value in found["train/lr"]] == pytest.approx(learn.recorder.lrs[1::2], rel=1e-6)
    assert "train/momentum" in found and "train/lr_group0" not in found  # one learning rate for all groups
    events = EventAccumulator(str(logger.run_dir))
    events.Reload()
    assert events.PluginTagToContent("hparams")  # the HParams tab: settings and the validation metrics
    settings = events.Tensors("run/settings/text_summary")[0].tensor_proto.string_val[0].decode()
    assert "| optimizer | adamw |" in settings and "| epochs | 3 |" in settings
    assert (
        "Linear(in_features=3"
        in events.Tensors("run/model/text_summary")[0].tensor_proto.string_val[0].decode()
    )


def test_fine_tuning_goes_on_along_one_axis_with_a_line_per_layer_group(tmp_path: Path) -> None:
    torch.manual_seed(0)
    learn = Learner(TwoGroups(), regression_data(), progress=False, device="cpu", path=tmp_path)
    logger = TensorBoardLogger("runs/tune", every_n_batches=1)
    learn.fine_tune(2, 1e-2, freeze_epochs=1, callbacks=[logger])
    found = scalars(logger.run_dir)
    assert [value for _, value in found["epoch"]] == [1, 2, 3]  # counted over both phases
    assert [step for step, _ in found["valid/loss"]] == [4, 8, 12]
    body, head = dict(found["train/lr_group0"]), dict(found["train/lr_group1"])
    assert set(body) == set(range(5, 13))  # discriminative rates: the unfrozen phase only
    assert all(head[step] == pytest.approx(100 * body[step]) for step in body)


def test_a_resumed_fit_writes_on_in_the_same_folder_without_the_steps_it_replays(tmp_path: Path) -> None:
    straight = linear_learner(path=tmp_path / "straight")
    reference = TensorBoardLogger("runs/x", every_n_batches=1)
    straight.fit(3, callbacks=[reference])

    learn = linear_learner(path=tmp_path)
    with pytest.raises(KeyboardInterrupt):
        learn.fit(3, callbacks=[TensorBoardLogger(every_n_batches=1), Checkpoint(), Interrupt()])
    (first_run,) = (tmp_path / "runs").iterdir()
    assert max(step for step, _ in scalars(first_run)["train/batch_loss"]) == 7  # past the checkpoint (4)
    resumed = linear_learner(path=tmp_path)
    logger = TensorBoardLogger(every_n_batches=1)  # a new default name: the interrupted run's folder wins
    resumed.fit(3, callbacks=[logger, Checkpoint()], resume_from=tmp_path / "checkpoint.pt")
    assert logger.run_dir == first_run and list((tmp_path / "runs").iterdir()) == [first_run]
    found, expected = scalars(first_run), scalars(reference.run_dir)
    assert [step for step, _ in found["train/batch_loss"]] == list(range(1, 13))  # each step once
    for tag in ("train/batch_loss", "valid/loss"):  # as a run never stopped
        assert [value for _, value in found[tag]] == pytest.approx([value for _, value in expected[tag]])


def test_a_logger_joining_a_resumed_fit_or_a_trained_learner_goes_on_from_its_batches(tmp_path: Path) -> None:
    # A fit interrupted without a logger and resumed with one had started its steps at 0 again.
    learn = linear_learner(path=tmp_path)
    with pytest.raises(KeyboardInterrupt):
        learn.fit(3, callbacks=[Checkpoint(), Interrupt()])
    resumed = linear_learner(path=tmp_path)
    logger = TensorBoardLogger("runs/late", every_n_batches=1)
    resumed.fit(3, callbacks=[logger, Checkpoint()], resume_from=tmp_path / "checkpoint.pt")
    steps = [step for step, _ in scalars(logger.run_dir)["train/batch_loss"]]
    assert steps == list(range(BATCHES_PER_EPOCH + 1, 3 * BATCHES_PER_EPOCH + 1))  # after the checkpoint's 4
    later = TensorBoardLogger("runs/second", every_n_batches=1)
    resumed.fit(1, callbacks=[later])  # a second fit of the same learner: batches 13 to 16
    assert [step for step, _ in scalars(later.run_dir)["train/batch_loss"]] == list(range(13, 17))


def test_the_learning_rate_finder_and_other_ranks_write_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    learn = linear_learner(path=tmp_path, callbacks=[TensorBoardLogger("runs/kept")])
    learn.lr_find(num_it=10)
    assert not (tmp_path / "runs").exists()
    monkeypatch.setattr(tensorboard_module, "is_rank_zero", lambda: False)
    learn.fit(1)
    assert not (tmp_path / "runs").exists()


def test_tensorboard_bad_settings_and_a_missing_package(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="TensorBoardLogger every_n_batches must be a whole number >= 1"):
        TensorBoardLogger(every_n_batches=0)
    with pytest.raises(ConfigError, match="TensorBoardLogger log_dir must be a folder path"):
        TensorBoardLogger(log_dir="")
    real = importlib.util.find_spec
    monkeypatch.setattr(
        run_info.importlib.util, "find_spec", lambda name: None if name == "tensorboard" else real(name)
    )
    with pytest.raises(
        LoggerDependencyError, match=re.escape("pip install 'trainwell[tensorboard]'")
    ) as caught:
        TensorBoardLogger()
    assert isinstance(caught.value, ModuleNotFoundError) and caught.value.name == "tensorboard"


# ------------------------------------------------------------------------------------------- MLflow
@pytest.fixture(scope="module")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty sqlite store, its tables made by MLflow itself, that each test copies (never written to)."""
    path = tmp_path_factory.mktemp("mlflow") / "empty.db"
    MlflowClient(f"sqlite:///{path}").search_experiments()
    return path


def run_of(uri: str, logger: MLflowLogger) -> Any:
    assert logger.run_id is not None
    return MlflowClient(uri).get_run(logger.run_id)


def history_of(uri: str, logger: MLflowLogger, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in MlflowClient(uri).get_metric_history(logger.run_id, key)]


def test_mlflow_run_holds_the_settings_and_every_epoch(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"  # a new file: the logger's first run makes the store
    learn = linear_learner(path=tmp_path)
    logger = MLflowLogger("tests", run_name="linear", tracking_uri=uri, tags={"team": "a"}, every_n_batches=2)
    learn.fit_one_cycle(3, 0.05, callbacks=[logger])
    run = run_of(uri, logger)
    assert (run.info.status, run.info.run_name, logger.store) == ("FINISHED", "linear", uri)
    assert run.data.tags["team"] == "a"
    params = run.data.params
    assert params["task"] == "regression" and params["optimizer"] == "adamw"
    assert float(params["lr"]) == 0.05 and params["epochs"] == "3" and params["train_rows"] == "60"
    assert history_of(uri, logger, "valid/loss") == [
        (BATCHES_PER_EPOCH * (i + 1), pytest.approx(row["valid_loss"])) for i, row in enumerate(learn.history)
    ]
    assert [step for step, _ in history_of(uri, logger, "train/batch_loss")] == list(range(2, 13, 2))
    assert [value for _, value in history_of(uri, logger, "epoch")] == [1, 2, 3]


def test_mlflow_later_fits_log_into_the_same_run_and_errors_fail_it(
    tmp_path: Path, empty_store: Path
) -> None:
    uri = store(empty_store, tmp_path)
    learn = linear_learner(path=tmp_path)
    logger = MLflowLogger(tracking_uri=uri)
    learn.fit(1, callbacks=[logger])
    learn.fit(2, 0.01, callbacks=[logger])
    run = run_of(uri, logger)
    assert (
        run.info.status == "FINISHED"
        and run.info.experiment_id == MlflowClient(uri).get_experiment_by_name("trainwell").experiment_id
    )
    assert (run.data.params["epochs"], run.data.params["fit2.epochs"], run.data.params["fit2.lr"]) == (
        "1",
        "2",
        "0.01",
    )
    assert [value for _, value in history_of(uri, logger, "epoch")] == [1, 2, 3]
    failing = MLflowLogger(tracking_uri=uri)
    with pytest.raises(RuntimeError, match="the data went away"):
        linear_learner(path=tmp_path).fit(2, callbacks=[failing, Fail()])
    assert run_of(uri, failing).info.status == "FAILED"


def test_mlflow_logs_into_the_callers_active_run_and_leaves_it_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_store: Path
) -> None:
    import mlflow

    uri = store(empty_store, tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    with mlflow.start_run(run_name="mine") as active:
        logger = MLflowLogger()
        linear_learner(path=tmp_path).fit(1, callbacks=[logger])
        assert logger.run_id == active.info.run_id
        assert MlflowClient(uri).get_run(active.info.run_id).info.status == "RUNNING"
    assert run_of(uri, logger).info.status == "FINISHED"  # ended by its owner, with the fit's metrics
    assert run_of(uri, logger).data.params["epochs"] == "1"


def test_mlflow_resume_goes_on_in_the_interrupted_run(tmp_path: Path, empty_store: Path) -> None:
    uri = store(empty_store, tmp_path)
    learn = linear_learner(path=tmp_path)
    first = MLflowLogger(tracking_uri=uri, every_n_batches=1)
    with pytest.raises(KeyboardInterrupt):
        learn.fit(3, callbacks=[first, Checkpoint(), Interrupt()])
    assert run_of(uri, first).info.status == "FAILED"
    again = MLflowLogger(tracking_uri=uri, every_n_batches=1)
    linear_learner(path=tmp_path).fit(
        3, callbacks=[again, Checkpoint()], resume_from=tmp_path / "checkpoint.pt"
    )
    assert again.run_id == first.run_id and run_of(uri, again).info.status == "FINISHED"
    runs = MlflowClient(uri).search_runs([run_of(uri, again).info.experiment_id])
    assert [run.info.run_id for run in runs] == [first.run_id]  # the resume's own empty run was deleted
    assert [value for _, value in history_of(uri, again, "epoch")] == [1, 2, 3]


def test_mlflow_a_store_that_cannot_be_reached_stops_before_training_and_a_later_failure_only_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_store: Path
) -> None:
    learn = linear_learner(path=tmp_path)
    before = [p.detach().clone() for p in learn.model.parameters()]
    with pytest.raises(UserError, match="MLflowLogger could not start a run in 'nosuchstore://x'"):
        learn.fit(1, callbacks=[MLflowLogger(tracking_uri="nosuchstore://x")])
    assert all(torch.equal(a, b) for a, b in zip(before, learn.model.parameters(), strict=True))
    uri = store(empty_store, tmp_path)
    logger = MLflowLogger(tracking_uri=uri)

    class BreakStore(Callback):
        order = 60  # before the logger sends the epoch

        def after_epoch(self, learn: Learner) -> None:
            def refuse(*args: Any, **kwargs: Any) -> None:
                raise ConnectionError("store gone")

            monkeypatch.setattr(logger._client, "log_batch", refuse)

    with pytest.warns(RuntimeWarning, match="MLflowLogger could not log the metrics .*store gone.*goes on"):
        learn.fit(2, callbacks=[logger, BreakStore()])
    assert len(learn.history) == 2


def test_mlflow_bad_settings() -> None:
    with pytest.raises(ConfigError, match="MLflowLogger experiment must be a non-empty string"):
        MLflowLogger(experiment=" ")
    with pytest.raises(ConfigError, match="MLflowLogger every_n_batches must be a whole number >= 1"):
        MLflowLogger(every_n_batches=-1)


def test_mlflow_resumed_against_another_store_goes_on_in_a_new_run_there(
    tmp_path: Path, empty_store: Path
) -> None:
    learn = linear_learner(path=tmp_path)
    first = MLflowLogger(tracking_uri=store(empty_store, tmp_path), every_n_batches=1)
    with pytest.raises(KeyboardInterrupt):
        learn.fit(3, callbacks=[first, Checkpoint(), Interrupt()])
    other = store(empty_store, tmp_path, "other.db")
    again = MLflowLogger(tracking_uri=other, every_n_batches=1)
    with pytest.warns(RuntimeWarning, match="is not in .*other.db.*logs to a new run there"):
        linear_learner(path=tmp_path).fit(
            3, callbacks=[again, Checkpoint()], resume_from=tmp_path / "checkpoint.pt"
        )
    assert again.run_id != first.run_id and not again.broken
    assert run_of(other, again).info.status == "FINISHED"
    assert [value for _, value in history_of(other, again, "epoch")] == [2, 3]  # from the checkpoint on


def test_the_loggers_see_the_epoch_a_pruner_ends_the_fit_at() -> None:
    from trainwell.callbacks import TensorBoardLogger as Logger
    from trainwell.learner import CancelFit

    class Prune(Callback):
        order = 50  # as OptunaPruning

        def after_epoch(self, learn: Learner) -> None:
            if learn.epoch == 1:
                raise CancelFit

    assert Logger.order < Prune.order and MLflowLogger.order < Prune.order


def test_mlflow_started_early_under_torchrun_starts_a_run_on_rank_0_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_store: Path
) -> None:
    # fit --track starts the run before the processes join their group, when each reads as rank 0.
    uri = store(empty_store, tmp_path)
    monkeypatch.setenv("RANK", "1")
    assert MLflowLogger(tracking_uri=uri).start().run_id is None
    monkeypatch.setenv("RANK", "0")
    assert MLflowLogger(tracking_uri=uri).start().run_id is not None
