"""``trainwell fit --track``: where the fit is logged besides the model directory (TensorBoard, MLflow).

``--track tensorboard`` writes event files in ``runs/<model>-<time>`` (``--track tensorboard=DIR``: in DIR);
``--track mlflow`` records a run in MLflow's store (``MLFLOW_TRACKING_URI``, else ``sqlite:///mlflow.db`` here;
``--track mlflow=URI``: in URI), in the experiment ``MLFLOW_EXPERIMENT_NAME`` or ``trainwell``, named after the
model directory, with the model directory as its artifacts once written. The option is read before the
training stack is imported, so a misspelt name or a missing package is said at once.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Each destination: the package it needs and the extra that installs it.
DESTINATIONS = {"tensorboard": ("tensorboard", "tensorboard"), "mlflow": ("mlflow", "mlflow")}
LOG_HELP = (
    "Also log the fit to tensorboard (event files in runs/<model>-<time>; tensorboard=DIR for another folder) "
    "and/or mlflow (a run in MLFLOW_TRACKING_URI or ./mlflow.db; mlflow=URI for another store), e.g. --track "
    "tensorboard,mlflow: losses, learning rates, metrics per epoch, the settings; MLflow also keeps the model "
    "directory. Needs trainwell's tensorboard or mlflow extra (pip install)."
)
#: A comma that starts another destination (``tensorboard=runs/a,mlflow=sqlite:///x.db``); commas inside a URI
#: stay.
_NEXT = re.compile(r",\s*(?=(?:tensorboard|mlflow)\b)", re.IGNORECASE)
#: MLflow's HTTP retries while a run starts, unless set: its default (7 retries, backing off) kept a command
#: silent for four minutes before saying a server was unreachable.
QUICK_HTTP = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}


@dataclass(frozen=True)
class LogTarget:
    """One ``--track`` destination: ``kind`` (tensorboard or mlflow) and where (``None``: the default)."""

    kind: str
    where: str | None = None


def parse_log(values: list[str] | None) -> list[LogTarget]:
    """``--track`` values (repeated, or comma-separated without ``=``) as destinations, each at most once.

    Raises:
        ConfigError: an unknown destination, an empty ``=``, one given twice.
        LoggerDependencyError: the destination's package is not installed.
    """
    from trainwell.core.errors import ConfigError

    targets: list[LogTarget] = []
    for value in values or []:
        pieces = _NEXT.split(value) if "=" in value else value.split(",")  # a URI may hold commas
        parts = [part for part in pieces if part.strip()]
        if not parts:
            raise ConfigError(
                "--track is empty; pass tensorboard, mlflow or both (--track tensorboard,mlflow)"
            )
        for part in parts:
            kind, _, where = part.partition("=")
            kind = kind.strip().lower()
            if kind not in DESTINATIONS:
                raise ConfigError(
                    f"--track {part!r}: not a destination; pass tensorboard, mlflow or both (--track tensorboard,mlflow)"
                )
            if "=" in part and not where.strip():
                example = "tensorboard=runs/first" if kind == "tensorboard" else "mlflow=sqlite:///mlflow.db"
                raise ConfigError(
                    f"--track {part!r}: nothing after '='; pass e.g. --track {example}, or --track {kind}"
                )
            if any(target.kind == kind for target in targets):
                raise ConfigError(f"--track {kind} is given twice; give each destination once")
            module, extra = DESTINATIONS[kind]
            if importlib.util.find_spec(module) is None:
                from trainwell.callbacks._run_info import LoggerDependencyError

                error = LoggerDependencyError(
                    f"--track {kind} needs the package '{module}', which is not installed: pip install "
                    f"'trainwell[{extra}]'"
                )
                error.name = module
                raise error
            targets.append(LogTarget(kind, where.strip() or None))
    return targets


def make_loggers(
    targets: list[LogTarget], out: Path, closed_form: str | None = None, resume: bool = False
) -> list[Any]:
    """The callbacks of ``targets`` for a fit writing the model directory ``out``, each said on standard error
    (where to look while it trains); none for a model fitted in ``closed_form`` (words naming it), which has
    no epochs to log. The MLflow run is started here, before the fit's time budget starts, and a TensorBoard
    folder that cannot be made is refused in one line. A ``resume``'s loggers go on where the interrupted
    fit's did."""
    from trainwell.cli._common import err_console
    from trainwell.core.errors import ConfigError

    quiet = os.environ.get("RANK", "0") != "0"  # under torchrun, rank 0 logs and says so for all
    if closed_form is not None:
        if not quiet:
            err_console.print(
                f"--track: {closed_form} is fitted in closed form, without epochs: nothing to log",
                soft_wrap=True,
                markup=False,
                highlight=False,
            )
        return []
    loggers: list[Any] = []
    for target in targets:
        if target.kind == "tensorboard":
            from trainwell.callbacks import TensorBoardLogger
            from trainwell.callbacks.tensorboard import default_run_name

            folder = (
                Path(target.where) if target.where else Path("runs") / default_run_name(out.name or "model")
            )
            if not resume and not quiet:  # rank 0 writes the events: the others make no folder of their own
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                except OSError as error:
                    raise ConfigError(
                        f"--track tensorboard: cannot make the folder '{folder}' ({error.strerror or error}); "
                        "pass tensorboard=DIR with a folder you can write"
                    ) from None
                if any(folder.glob("events.out.tfevents.*")):
                    err_console.print(
                        f"note: '{folder}' already holds a run's events; this fit's are written beside them and "
                        "TensorBoard shows both as one run: pass tensorboard=DIR with a new folder to keep them apart",
                        soft_wrap=True,
                        markup=False,
                        highlight=False,
                    )
            loggers.append(TensorBoardLogger(folder.absolute()))
            where = "the interrupted fit's folder" if resume else f"'{folder}'"
            if not quiet:
                err_console.print(
                    f"logging to TensorBoard in {where} (watch: tensorboard --logdir {folder.parent})",
                    soft_wrap=True,
                    markup=False,
                    highlight=False,
                )
        else:
            from trainwell.callbacks import MLflowLogger

            experiment = os.environ.get("MLFLOW_EXPERIMENT_NAME") or "trainwell"
            logger = MLflowLogger(
                experiment,
                run_name=out.absolute().name or "model",
                tracking_uri=target.where,
                tags={"trainwell.model_dir": str(out.absolute())},
            )
            uri = target.where or os.environ.get("MLFLOW_TRACKING_URI") or ""
            if uri.startswith(("http://", "https://")) and not quiet:
                err_console.print(
                    f"connecting to MLflow at {uri}", soft_wrap=True, markup=False, highlight=False
                )
            with quick_http():
                logger.start()  # seconds of imports and store set-up, before the time budget starts
            loggers.append(logger)
    return loggers


@contextlib.contextmanager
def quick_http() -> Iterator[None]:
    """MLflow's HTTP retries cut to :data:`QUICK_HTTP` within the block (unless the environment sets them)."""
    added = {name: value for name, value in QUICK_HTTP.items() if name not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def finish_loggers(loggers: list[Any], out: Path) -> None:
    """After the model directory is written: MLflow keeps it as the run's artifacts; each logger's place is
    said (or that nothing was logged: a model fitted in closed form has no epochs)."""
    from trainwell.callbacks import MLflowLogger
    from trainwell.cli._common import err_console

    if os.environ.get("RANK", "0") != "0":
        return
    for logger in loggers:
        if isinstance(logger, MLflowLogger):
            if logger.run_id is None:
                line = (
                    "--track mlflow: nothing was logged: the model was fitted in closed form, without epochs"
                )
            elif logger.broken:
                line = f"--track mlflow: the logging to run {logger.run_id} stopped early (see the warning above)"
            else:
                if (out / "trainwell.json").is_file():
                    logger.log_model_dir(out)
                line = (
                    f"logged to MLflow: run {logger.run_id} ('{logger.run_name}') in experiment "
                    f"'{logger.experiment}' at {logger.store}"
                )
                kept = _kept_arch(out)
                if kept and logger.logged_arch and kept != logger.logged_arch:
                    line += (
                        f"; the model kept is {kept} (tagged trainwell.kept_arch, its scores as kept/...), the "
                        f"run's curves are of the {logger.logged_arch} it was compared with"
                    )
        elif logger.run_dir is None or not logger.run_dir.exists():
            line = (
                "--track tensorboard: nothing was logged: the model was fitted in closed form, without epochs"
            )
        else:
            line = f"logged to TensorBoard: {_shown(logger.run_dir)}"
        err_console.print(line, soft_wrap=True, markup=False, highlight=False)


def _kept_arch(out: Path) -> str:
    """The architecture of the model written in ``out`` (``""`` when unreadable)."""
    import json

    try:
        metadata = json.loads((out / "trainwell.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    return str((metadata.get("architecture") or {}).get("name") or "")


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class TrialLogs:
    """``trainwell tune --track``: every trial logged as a run of its own. TensorBoard: a folder per trial under
    one root (``runs/<model>-tune-<time>/trial-003``), so its HParams tab compares the trials' settings and
    scores side by side; MLflow: a parent run for the search, each trial a child run of it, and the kept model
    directory as the parent's artifacts. Each trial's searched settings are logged as ``trial.<name>``."""

    def __init__(self, targets: list[LogTarget], out: Path) -> None:
        from trainwell.callbacks.tensorboard import default_run_name
        from trainwell.cli._common import err_console

        self.targets, self.out = targets, out
        self.root: Path | None = None
        self.trials = 0
        self.parent: str | None = None
        self._client: Any = None
        for target in targets:
            if target.kind == "tensorboard":
                shown = (
                    Path(target.where)
                    if target.where
                    else Path("runs") / default_run_name(f"{out.name or 'model'}-tune")
                )
                self.root = shown.absolute()
                err_console.print(
                    f"logging each trial to TensorBoard in '{shown}/trial-NNN' (watch: tensorboard --logdir {shown})",
                    soft_wrap=True,
                    markup=False,
                    highlight=False,
                )

    def loggers_for(self, number: int, params: dict[str, Any]) -> list[Any]:
        """The callbacks of trial ``number`` (its searched settings ``params``)."""
        from trainwell.callbacks import MLflowLogger, TensorBoardLogger

        self.trials += 1
        settings = {f"trial.{name}": value for name, value in params.items()}
        loggers: list[Any] = []
        for target in self.targets:
            if target.kind == "tensorboard":
                assert self.root is not None
                loggers.append(TensorBoardLogger(self.root / f"trial-{number:03d}", params=settings))
            else:
                parent = self._parent(target.where)
                loggers.append(
                    MLflowLogger(
                        self._experiment(),
                        run_name=f"trial {number}",
                        tracking_uri=target.where,
                        tags={"mlflow.parentRunId": parent, "trainwell.trial": str(number)},
                        params=settings,
                    )
                )
        return loggers

    def finish(self, succeeded: bool) -> None:
        """After the search: the parent run gets the kept model directory and ends; where the logs are is said."""
        from trainwell.cli._common import err_console

        if os.environ.get("RANK", "0") != "0":
            return
        if self.root is not None:
            err_console.print(
                f"logged {self.trials} trials to TensorBoard: {_shown(self.root)}",
                soft_wrap=True,
                markup=False,
                highlight=False,
            )
        if self._client is None or self.parent is None:
            return
        try:
            if succeeded and (self.out / "trainwell.json").is_file():
                self._client.log_artifacts(self.parent, str(self.out), "model")
                self._log_outcome()
            self._client.set_terminated(self.parent, status="FINISHED" if succeeded else "FAILED")
        except Exception as error:  # MLflow's own types: the search's result stands
            err_console.print(
                f"warning: MLflow: could not close the search's run {self.parent}: {str(error).splitlines()[0]}",
                soft_wrap=True,
                markup=False,
            )
            return
        err_console.print(
            f"logged to MLflow: the search as run {self.parent}, its {self.trials} trials as child runs, in "
            f"experiment '{self._experiment()}'",
            soft_wrap=True,
            markup=False,
            highlight=False,
        )

    def _experiment(self) -> str:
        return os.environ.get("MLFLOW_EXPERIMENT_NAME") or "trainwell"

    def _log_outcome(self) -> None:
        """The search's run gets what tuning.json says of it: the best and kept trials, their values."""
        import json

        path = self.out / "tuning.json"
        if not path.is_file():
            return
        record = json.loads(path.read_text(encoding="utf-8"))
        metric = str(record.get("metric", "value"))
        numbers = {
            f"best/{metric}": record.get("best_value"),
            f"defaults/{metric}": record.get("default_value"),
            "best_trial": record.get("best_trial"),
            "kept_trial": record.get("kept_trial"),
        }
        for key, value in numbers.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                self._client.log_metric(self.parent, key, float(value))
        for key in ("kept", "kept_reason", "arch"):
            if record.get(key) is not None:
                self._client.set_tag(self.parent, f"trainwell.{key}", str(record[key])[:5000])

    def _parent(self, uri: str | None) -> str:
        """The search's own run, started with the first trial."""
        if self.parent is None:
            import logging

            from mlflow.tracking import MlflowClient

            from trainwell.core.errors import UserError

            quiet = logging.getLogger("mlflow.store.db.utils")
            level = quiet.level
            quiet.setLevel(max(level, logging.WARNING))
            try:
                with quick_http():  # an unreachable server is said in seconds, as for fit
                    self._client = MlflowClient(uri)
                    found = self._client.get_experiment_by_name(self._experiment())
                    experiment = (
                        found.experiment_id
                        if found is not None
                        else self._client.create_experiment(self._experiment())
                    )
                    run = self._client.create_run(
                        experiment,
                        run_name=f"tune {self.out.absolute().name}",
                        tags={"trainwell": "tune", "trainwell.model_dir": str(self.out.absolute())},
                    )
            except Exception as error:  # MLflow's own types
                raise UserError(
                    f"--track mlflow could not start the search's run in '{uri or 'the default store'}' "
                    f"({str(error).splitlines()[0][:200]}); check the tracking URI and that its server is up"
                ) from error
            finally:
                quiet.setLevel(level)
            self.parent = run.info.run_id
        return self.parent
