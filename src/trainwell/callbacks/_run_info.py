"""What the experiment loggers (TensorBoard, MLflow) record of a fit: its settings and each epoch's numbers.

Both loggers name things the same way, so a run reads alike in either: the settings as flat hyper-parameters
(:func:`hyperparameters`), each epoch's row of the history as ``train/loss``, ``valid/loss`` and
``valid/<metric>`` (:func:`epoch_scalars`), and the training batches as ``train/batch_loss`` and
``train/lr``, on one step axis: training batches over every fit of the learner (fine-tuning's frozen phase,
then its unfrozen one).
"""

from __future__ import annotations

import importlib.util
import math
from typing import TYPE_CHECKING, Any

from trainwell.core.errors import UserError

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

#: Keys of a history row that are bookkeeping, not scores.
_NOT_SCORES = ("fit", "epoch", "time", "lr")


class LoggerDependencyError(UserError, ModuleNotFoundError):
    """A logger's package is not installed; the message says how to install it."""


def need_package(owner: str, module: str, extra: str) -> None:
    """Refuse, when the logger is made (not mid-fit), a logger whose package is missing."""
    if importlib.util.find_spec(module) is None:
        error = LoggerDependencyError(
            f"{owner} needs the package '{module}', which is not installed: pip install 'trainwell[{extra}]'"
        )
        error.name = module
        raise error


def hyperparameters(learn: Learner) -> dict[str, str | int | float | bool]:
    """The fit's settings as flat, plain values: task, architecture, optimizer, peak learning rate (of the head,
    and of the first layer group when a slice spread them), weight decay, epochs, batch size, rows, parameters,
    device."""
    spec = learn.model_spec or {}
    opt = learn.opt_name if isinstance(learn.opt_name, str) else getattr(learn.opt_name, "__name__", "custom")
    train = learn.data.train
    groups = learn.opt.param_groups if learn.opt is not None else []
    peaks = [group.get("max_lr", group["lr"]) for group in groups]
    values: dict[str, Any] = {
        "task": learn.task.kind,
        "arch": spec.get("name") or type(learn.model).__name__,
        "optimizer": opt,
        "lr": float(peaks[-1]) if peaks else float(learn.lr),  # the head's peak: what fit was given
        "lr_first_group": float(peaks[0]) if len(set(peaks)) > 1 else None,  # a slice's low end
        "wd": float(learn.wd),
        "epochs": int(learn.n_epochs),
        "batch_size": getattr(train, "batch_size", None),
        "train_rows": getattr(train, "n_rows", None),
        "valid_rows": getattr(learn.data.valid, "n_rows", None),
        "train_tokens": getattr(train, "n_tokens", None),
        "parameters": sum(p.numel() for p in learn.model.parameters()),
        "device": str(learn.device),
        "phase": learn.fit_phase or None,
    }
    for key, value in (spec.get("config") or {}).items():
        if isinstance(value, (str, int, float, bool)):
            values[f"arch.{key}"] = value
    if getattr(learn.model, "closed_form", False):  # trees, EASE: no optimizer, rate or batches to speak of
        for key in ("optimizer", "lr", "lr_first_group", "wd", "epochs", "batch_size"):
            values.pop(key, None)
    return {key: value for key, value in values.items() if value is not None}


def plain_params(params: dict[str, Any] | None) -> dict[str, str | int | float | bool]:
    """A logger's extra settings as plain values (numbers, text, flags; anything else its text), names as text."""
    plain: dict[str, str | int | float | bool] = {}
    for key, value in (params or {}).items():
        if hasattr(value, "item") and callable(value.item):  # a numpy or torch scalar
            value = value.item()
        plain[str(key)] = value if isinstance(value, (str, int, float, bool)) else str(value)
    return plain


def epoch_scalars(row: dict[str, Any]) -> dict[str, float]:
    """A history row's numbers under the loggers' names: ``train/loss``, ``valid/loss``, ``valid/<metric>``
    (``valid/rmse[price]`` for one of several targets) and ``time/epoch_seconds``; missing values left out."""
    scalars: dict[str, float] = {}
    for key, value in row.items():
        if key in _NOT_SCORES or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if not math.isfinite(float(value)):
            continue
        if key == "train_loss":
            scalars["train/loss"] = float(value)
        elif key == "valid_loss":
            scalars["valid/loss"] = float(value)
        else:
            scalars[f"valid/{key}"] = float(value)
    if isinstance(row.get("time"), (int, float)):
        scalars["time/epoch_seconds"] = float(row["time"])
    return scalars


def metric_tags(learn: Learner) -> list[str]:
    """The tags :func:`epoch_scalars` gives the learner's validation numbers (known before the first epoch)."""
    tags = ["train/loss"]
    if learn.data.valid is not None:
        tags.append("valid/loss")
        tags.extend(f"valid/{metric.name}" for metric in learn.metrics)
    return tags


def batch_due(logger: Any, learn: Learner) -> bool:
    """Count a training batch on ``logger.step`` (the loggers' x axis, across fits); whether it is one of the
    batches logged (every ``logger.every_n_batches``)."""
    if not learn.training or learn.loss.numel() == 0:
        return False
    logger.step += 1
    return logger.step % logger.every_n_batches == 0


def batch_scalars(learn: Learner) -> dict[str, float]:
    """The batch just trained: its loss and the learning rate (and momentum) of the head's parameter group,
    and of every group when there are several (discriminative learning rates)."""
    scalars = {"train/batch_loss": float(learn.loss.detach().float())}
    if learn.opt is None:
        return scalars
    groups = learn.opt.param_groups
    scalars["train/lr"] = float(groups[-1]["lr"])
    momentum = _momentum(groups[-1])
    if momentum is not None:
        scalars["train/momentum"] = momentum
    # Discriminative rates: one line per layer group (body first), each group's decayed and undecayed
    # parameters sharing it.
    by_layer = {group.get("layer_group", index): float(group["lr"]) for index, group in enumerate(groups)}
    if len(set(by_layer.values())) > 1:
        for layer, lr in by_layer.items():
            scalars[f"train/lr_group{layer}"] = lr
    return scalars


def _momentum(group: dict[str, Any]) -> float | None:
    if "betas" in group:
        return float(group["betas"][0])
    if group.get("momentum"):
        return float(group["momentum"])
    return None
