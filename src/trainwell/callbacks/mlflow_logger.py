"""Log a fit to MLflow: the settings as parameters, every epoch's numbers as metrics, the model as artifacts."""

from __future__ import annotations

import logging
import math
import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainwell.callbacks._run_info import (
    batch_due,
    batch_scalars,
    epoch_scalars,
    hyperparameters,
    need_package,
    plain_params,
)
from trainwell.callbacks._validate import positive_int
from trainwell.core.device import is_rank_zero
from trainwell.core.errors import ConfigError, UserError
from trainwell.core.warn import warn
from trainwell.learner.events import Callback

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

#: What one ``log_batch`` call may carry (MLflow's limits: 1000 metrics, 100 parameters).
MAX_METRICS_PER_CALL, MAX_PARAMS_PER_CALL = 1000, 100


def artifacts_beside(store: str, experiment: str) -> str | None:
    """Where an experiment made in the sqlite file ``store`` keeps its runs' artifacts (the model directory):
    ``mlruns/<experiment>/`` beside the database, as a file URI; ``None`` (MLflow's choice) for any other store.
    MLflow's own choice is ``./mlruns/`` in the working folder when the experiment is made, so a store named by
    ``MLFLOW_TRACKING_URI`` had its artifacts scattered over the folders fits ran in."""
    if not store.startswith("sqlite:///"):
        return None
    database = store[len("sqlite:///") :].split("?", 1)[0]
    if not database or database == ":memory:":
        return None
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", experiment).strip("-.") or "experiment"
    return (Path(database).resolve().parent / "mlruns" / slug).as_uri()


class MLflowLogger(Callback):
    """Record the fit as an MLflow run: parameters, metrics per step, and (with :meth:`log_model_dir`) the
    model directory as the run's artifacts.

    The run gets the settings as parameters (task, architecture, optimizer, learning rate, weight decay,
    epochs, batch size, rows, parameters), and as metrics, on one step axis (training batches over every fit
    of this learner): ``train/batch_loss``, ``train/lr`` and ``train/momentum`` every ``every_n_batches``
    batches, and each epoch ``train/loss``, ``valid/loss``, ``valid/<metric>``, ``time/epoch_seconds`` and
    ``epoch``. Metrics are sent once per epoch, in batches of calls, not one call per number.

    Inside ``with mlflow.start_run():`` (and no ``tracking_uri`` given) the fit logs into that run and leaves
    it open; otherwise the logger starts a run in ``experiment`` and ends it when the fit ends: ``FINISHED``,
    or ``FAILED`` when the fit stopped on an error or Ctrl-C. Later fits of the same learner (fine-tuning's
    unfrozen phase) log on into the same run, their own settings as ``fit2.<name>``. A fit resumed from a
    checkpoint logs on into the interrupted run. Only rank 0 logs. The tracking store is ``tracking_uri``, else
    MLflow's own choice (``MLFLOW_TRACKING_URI``, else ``sqlite:///mlflow.db`` in the working folder; see it
    with ``mlflow ui``). An experiment the logger makes in a sqlite store keeps its artifacts in ``mlruns/``
    beside the database file (:func:`artifacts_beside`): ``./mlflow.db`` and ``./mlruns/``.

    A store that cannot be reached when the run starts stops the fit before training, with one line naming it;
    one that fails later costs the logging, not the training: a warning, and the fit goes on.

    Needs the package ``mlflow-skinny`` or ``mlflow`` (``pip install 'trainwell[mlflow]'``).

    Args:
        experiment: the experiment's name (made when missing).
        run_name: the run's name (default: MLflow's).
        tracking_uri: where runs are stored (``sqlite:///mlflow.db``, ``http://host:5000``...).
        tags: extra tags for the run.
        every_n_batches: training batches between two readings of the batch loss and learning rate.
        params: more settings to log beside the fit's own (a search's trial: ``trial.leaves``...).

    Example:
        >>> learn.fine_tune(3, callbacks=[MLflowLogger("pets", run_name="xresnet18")])  # doctest: +SKIP
    """

    order = 40  # after every writer of the epoch row (5 at most), before pruning (50) may end the fit there
    runs_in_lr_find = False

    def __init__(
        self,
        experiment: str = "trainwell",
        run_name: str | None = None,
        tracking_uri: str | None = None,
        tags: dict[str, str] | None = None,
        every_n_batches: int = 10,
        params: dict[str, Any] | None = None,
    ) -> None:
        need_package("MLflowLogger", "mlflow", "mlflow")
        for name, value in (
            ("experiment", experiment),
            ("run_name", run_name),
            ("tracking_uri", tracking_uri),
        ):
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ConfigError(f"MLflowLogger {name} must be a non-empty string, got {value!r}")
        self.experiment = experiment
        self.run_name = run_name
        self.tracking_uri = tracking_uri
        self.tags = {str(key): str(value) for key, value in (tags or {}).items()}
        self.every_n_batches = positive_int("MLflowLogger", "every_n_batches", every_n_batches, example=10)
        self.params = plain_params(params)
        #: Training batches seen over every fit (the metrics' step); kept in checkpoints.
        self.step = 0
        #: The run logged into, set when the first fit starts.
        self.run_id: str | None = None
        #: The architecture the fits logged were of (a pipeline may keep another: trees over the MLP).
        self.logged_arch = ""
        #: The tracking store the run is in (``tracking_uri``, else MLflow's default), set with the run.
        self.store: str | None = None
        self._client: Any = None
        self._owned = False  # started here (ended here too), not the caller's active run
        self._fits = 0
        self._pending: list[Any] = []
        self._finished = False
        self._broken = False
        #: A resumed fit's run: the last step each metric was logged at before the interruption. The fit trains
        #: the batches after its checkpoint again, and MLflow keeps every point sent (none can be taken back),
        #: so those steps are not sent a second time.
        self._logged_until: dict[str, int] = {}

    def start(self) -> MLflowLogger:
        """Start the run now, before any fit (the first fit starts it otherwise): importing MLflow and making a
        new store take seconds, which would otherwise come out of a time budget's training. Only on rank 0."""
        # Before torchrun's processes have joined their group each says it is rank 0: RANK tells them apart.
        if self.run_id is None and is_rank_zero() and os.environ.get("RANK", "0") == "0":
            self._start_run()
        return self

    def abandon(self) -> None:
        """The work this run was started for stopped on an error: a run no fit reached (the data could not be
        read) is deleted, one a fit logged into is ended ``FAILED`` (as its fit's end already did)."""
        if self._client is None or self.run_id is None or not self._owned:
            return
        if self._fits == 0:
            self._call("delete the run no fit reached", self._client.delete_run, self.run_id)
        else:
            self._call("end the run", self._client.set_terminated, self.run_id, status="FAILED")

    # ------------------------------------------------------------------------------------------- events
    def before_fit(self, learn: Learner) -> None:
        if not is_rank_zero():
            return
        self.step = max(
            self.step, len(learn.recorder.lrs)
        )  # the learner's batches so far, as TensorBoardLogger
        self._fits += 1
        self._finished = False
        if self.run_id is None:
            self._start_run()
        elif self._owned:
            self._call("reopen the run", self._client.update_run, self.run_id, status="RUNNING")
        prefix = "" if self._fits == 1 else f"fit{self._fits}."
        settings = {**hyperparameters(learn), **self.params}
        if self._fits == 1:
            self.logged_arch = str(settings.get("arch", ""))
        if self._fits > 1:  # the settings a later fit changes (a parameter cannot be logged twice)
            settings = {key: settings[key] for key in ("epochs", "lr", "phase") if key in settings}
        self._log_params({f"{prefix}{key}": value for key, value in settings.items()})

    def after_batch(self, learn: Learner) -> None:
        if not batch_due(self, learn) or not is_rank_zero():
            return
        self._queue(batch_scalars(learn))

    def after_epoch(self, learn: Learner) -> None:
        if not is_rank_zero() or not learn.history:
            return
        row = learn.history[-1]
        self._queue({**epoch_scalars(row), "epoch": float(row["epoch"])})  # counted from 1 over every fit
        self._flush()

    def after_fit(self, learn: Learner) -> None:
        self._finished = True

    def teardown(self, learn: Learner) -> None:
        if self._client is None or self.run_id is None:
            return
        self._flush()
        if self._owned:
            status = "FINISHED" if self._finished else "FAILED"
            self._call("end the run", self._client.set_terminated, self.run_id, status=status)

    def checkpoint_state(self) -> dict[str, Any] | None:
        return {"step": self.step, "run_id": self.run_id, "fits": self._fits, "owned": self._owned}

    def load_checkpoint_state(self, state: dict[str, Any]) -> None:
        # before_fit made a run (or counted this fit) before the checkpoint was read: the interrupted run is the
        # one to go on with, and the fresh one, empty, is deleted.
        fresh = self.run_id
        self.step = int(state["step"])
        self._fits = int(state["fits"])
        if state.get("run_id") and state["run_id"] != fresh:
            if self._client is not None and not self._exists(state["run_id"]):
                # Another store than the interrupted fit's (./mlflow.db of another folder): go on in this one.
                warn(
                    f"MLflowLogger: the interrupted fit's run {state['run_id']} is not in '{self.store}'; the "
                    f"resumed fit logs to a new run there ({fresh}), from the checkpoint on",
                    RuntimeWarning,
                )
                return
            if fresh is not None and self._owned and self._client is not None:
                self._call("delete the empty run", self._client.delete_run, fresh)
            self.run_id, self._owned = state["run_id"], bool(state["owned"])
            if self._owned and self._client is not None:
                self._call("reopen the run", self._client.update_run, self.run_id, status="RUNNING")
        if self.run_id is not None and self.run_id != fresh:
            self._logged_until = self._last_steps(self.run_id)

    def _last_steps(self, run_id: str) -> dict[str, int]:
        """The last step of every metric of run ``run_id`` (nothing when the store cannot say: then a replayed
        step may show twice, as before)."""
        if self._client is None or self._broken:
            return {}
        try:
            keys = list(self._client.get_run(run_id).data.metrics)
            return {
                key: max((metric.step for metric in self._client.get_metric_history(run_id, key)), default=-1)
                for key in keys
            }
        except Exception:  # MLflow's own types: the logging goes on
            return {}

    def _exists(self, run_id: str) -> bool:
        try:
            self._client.get_run(run_id)
        except Exception:  # MLflow's RESOURCE_DOES_NOT_EXIST, a store that cannot answer
            return False
        return True

    @property
    def broken(self) -> bool:
        """Whether a call to the store failed (one warning said so) and the logging stopped."""
        return self._broken

    # ------------------------------------------------------------------------------------------- artifacts
    def log_model_dir(self, directory: str | Path, artifact_path: str = "model") -> None:
        """Add a model directory (weights, ``trainwell.json``, curves, history) to the run's artifacts, and its
        test scores, when the fit kept some, as ``test/<metric>`` metrics."""
        if self._client is None or self.run_id is None or not is_rank_zero():
            return
        directory = Path(directory)
        from trainwell.core.artifact import read_metadata

        metadata = read_metadata(directory)
        training = metadata.get("training") or {}
        scores = training.get("test") or {}
        self._queue(
            {f"test/{name}": value for name, value in scores.items() if isinstance(value, (int, float))}
        )
        # The model kept: its architecture, and its final validation numbers when it is not the one the fits
        # logged (fit --arch auto keeping the boosted trees it compared the MLP with).
        kept = str((metadata.get("architecture") or {}).get("name") or "")
        if kept:
            self._call("tag the kept model", self._client.set_tag, self.run_id, "trainwell.kept_arch", kept)
        if kept and kept != self.logged_arch:
            final = training.get("final") or {}
            self._queue({
                f"kept/{name}": value
                for name, value in final.items()
                if isinstance(value, (int, float)) and name not in ("fit", "epoch", "lr", "time")
            })  # fmt: skip
        self._flush()
        self._call(
            "store the model directory",
            self._client.log_artifacts,
            self.run_id,
            str(directory),
            artifact_path,
        )

    # ------------------------------------------------------------------------------------------- MLflow
    def _start_run(self) -> None:
        import mlflow
        from mlflow.tracking import MlflowClient

        active = mlflow.active_run() if self.tracking_uri is None else None
        self.store = self.tracking_uri or mlflow.get_tracking_uri()
        # A new sqlite store announces its tables at INFO level, on every first run in a folder: not news.
        setup_log = logging.getLogger("mlflow.store.db.utils")
        level = setup_log.level
        setup_log.setLevel(max(level, logging.WARNING))
        try:
            self._client = MlflowClient(self.tracking_uri)
            if active is not None:
                self.run_id, self._owned = active.info.run_id, False
                if self.tags:
                    for key, value in self.tags.items():
                        self._client.set_tag(self.run_id, key, value)
                return
            found = self._client.get_experiment_by_name(self.experiment)
            experiment_id = (
                found.experiment_id
                if found is not None
                else self._client.create_experiment(
                    self.experiment, artifact_location=artifacts_beside(self.store, self.experiment)
                )
            )
            run = self._client.create_run(
                experiment_id, run_name=self.run_name, tags={"trainwell": "fit", **self.tags}
            )
        except Exception as error:  # MLflow raises its own types (MlflowException, connection errors...)
            raise UserError(
                f"MLflowLogger could not start a run in '{self.store}' ({str(error).splitlines()[0][:200]}); check the "
                "tracking URI (tracking_uri=, or MLFLOW_TRACKING_URI) and that its server is up"
            ) from error
        finally:
            setup_log.setLevel(level)
        self.run_id, self._owned = run.info.run_id, True

    def _log_params(self, values: dict[str, Any]) -> None:
        from mlflow.entities import Param

        params = [Param(key, str(value)) for key, value in values.items()]
        self._send("log the parameters", "params", params, MAX_PARAMS_PER_CALL)

    def _queue(self, values: dict[str, float]) -> None:
        from mlflow.entities import Metric

        stamp = int(time.time() * 1000)
        self._pending.extend(
            Metric(key, float(value), stamp, self.step)
            for key, value in values.items()
            if math.isfinite(value) and self.step > self._logged_until.get(key, -1)
        )

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        self._send("log the metrics", "metrics", pending, MAX_METRICS_PER_CALL)

    def _send(self, what: str, field: str, items: list[Any], size: int) -> None:
        """``items`` (params or metrics) in ``log_batch`` calls of at most ``size``, MLflow's limit."""
        for start in range(0, len(items), size):
            self._call(what, self._client.log_batch, self.run_id, **{field: items[start : start + size]})

    def _call(self, what: str, function: Any, *args: Any, **kwargs: Any) -> None:
        """Call the tracking store; a failure costs the logging, not the fit (one warning, then silence)."""
        if self._broken or self._client is None:
            return
        try:
            function(*args, **kwargs)
        except Exception as error:  # MLflow's own types; the training must go on
            self._broken = True
            warn(
                f"MLflowLogger could not {what} in run {self.run_id} ({str(error).splitlines()[0][:200]}); the fit "
                "goes on without logging to MLflow",
                RuntimeWarning,
            )
