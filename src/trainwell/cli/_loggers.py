"""``trainwell fit --log``: where the fit is logged besides the model directory (TensorBoard, MLflow).

``--log tensorboard`` writes event files in ``runs/<model>-<time>`` (``--log tensorboard=DIR``: in DIR);
``--log mlflow`` records a run in MLflow's store (``MLFLOW_TRACKING_URI``, else ``sqlite:///mlflow.db`` here;
``--log mlflow=URI``: in URI), in the experiment ``MLFLOW_EXPERIMENT_NAME`` or ``trainwell``, named after the
model directory, with the model directory as its artifacts once written. The option is read before the
training stack is imported, so a misspelt name or a missing package is said at once.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Each destination: the package it needs and the extra that installs it.
DESTINATIONS = {"tensorboard": ("tensorboard", "tensorboard"), "mlflow": ("mlflow", "mlflow")}
LOG_HELP = (
    "Also log the fit to tensorboard (event files in runs/<model>-<time>; tensorboard=DIR for another folder) "
    "and/or mlflow (a run in MLFLOW_TRACKING_URI or ./mlflow.db; mlflow=URI for another store), e.g. --log "
    "tensorboard,mlflow: losses, learning rates, metrics per epoch, the settings; MLflow also keeps the model "
    "directory. Needs pip install 'trainwell[tensorboard]' or 'trainwell[mlflow]'."
)


@dataclass(frozen=True)
class LogTarget:
    """One ``--log`` destination: ``kind`` (tensorboard or mlflow) and where (``None``: the default)."""

    kind: str
    where: str | None = None


def parse_log(values: list[str] | None) -> list[LogTarget]:
    """``--log`` values (repeated, or comma-separated without ``=``) as destinations, each at most once.

    Raises:
        ConfigError: an unknown destination, an empty ``=``, one given twice.
        LoggerDependencyError: the destination's package is not installed.
    """
    from trainwell.core.errors import ConfigError

    targets: list[LogTarget] = []
    for value in values or []:
        parts = [value] if "=" in value else [part for part in value.split(",") if part.strip()]
        if not parts:
            raise ConfigError("--log is empty; pass tensorboard, mlflow or both (--log tensorboard,mlflow)")
        for part in parts:
            kind, _, where = part.partition("=")
            kind = kind.strip().lower()
            if kind not in DESTINATIONS:
                raise ConfigError(
                    f"--log {part!r}: not a destination; pass tensorboard, mlflow or both (--log tensorboard,mlflow)"
                )
            if "=" in part and not where.strip():
                example = "tensorboard=runs/first" if kind == "tensorboard" else "mlflow=sqlite:///mlflow.db"
                raise ConfigError(
                    f"--log {part!r}: nothing after '='; pass e.g. --log {example}, or --log {kind}"
                )
            if any(target.kind == kind for target in targets):
                raise ConfigError(f"--log {kind} is given twice; give each destination once")
            module, extra = DESTINATIONS[kind]
            if importlib.util.find_spec(module) is None:
                from trainwell.callbacks._run_info import LoggerDependencyError

                error = LoggerDependencyError(
                    f"--log {kind} needs the package '{module}', which is not installed: pip install "
                    f"'trainwell[{extra}]'"
                )
                error.name = module
                raise error
            targets.append(LogTarget(kind, where.strip() or None))
    return targets


def make_loggers(targets: list[LogTarget], out: Path, closed_form: str | None = None) -> list[Any]:
    """The callbacks of ``targets`` for a fit writing the model directory ``out``, each said on standard error
    (where to look while it trains); none for a model fitted in ``closed_form`` (words naming it), which has
    no epochs to log."""
    from trainwell.cli._common import err_console

    quiet = os.environ.get("RANK", "0") != "0"  # under torchrun, rank 0 logs and says so for all
    if closed_form is not None:
        if not quiet:
            err_console.print(
                f"--log: {closed_form} is fitted in closed form, without epochs: nothing to log",
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
            loggers.append(TensorBoardLogger(folder.absolute()))
            if not quiet:
                err_console.print(
                    f"logging to TensorBoard in '{folder}' (watch: tensorboard --logdir {folder.parent})",
                    soft_wrap=True,
                    markup=False,
                    highlight=False,
                )
        else:
            from trainwell.callbacks import MLflowLogger

            experiment = os.environ.get("MLFLOW_EXPERIMENT_NAME") or "trainwell"
            loggers.append(
                MLflowLogger(
                    experiment,
                    run_name=out.absolute().name or "model",
                    tracking_uri=target.where,
                    tags={"trainwell.model_dir": str(out.absolute())},
                )
            )
    return loggers


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
                line = "--log mlflow: nothing was logged: the model was fitted in closed form, without epochs"
            else:
                if (out / "trainwell.json").is_file():
                    logger.log_model_dir(out)
                line = (
                    f"logged to MLflow: run {logger.run_id} ('{logger.run_name}') in experiment "
                    f"'{logger.experiment}' at {logger.store}"
                )
        elif logger.run_dir is None or not logger.run_dir.exists():
            line = (
                "--log tensorboard: nothing was logged: the model was fitted in closed form, without epochs"
            )
        else:
            line = f"logged to TensorBoard: {_shown(logger.run_dir)}"
        err_console.print(line, soft_wrap=True, markup=False, highlight=False)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
