"""Metrics of a model with several regression targets: one headline per metric, and one value per target.

A model that predicts ``price`` and ``area`` has one headline ``rmse`` (what early stopping, checkpoints and
tuning follow; with several targets it is unit-free, see :class:`~trainwell.metrics.RMSE`) and, beside it,
``rmse[price]`` in dollars and ``rmse[area]`` in square metres. Those keys are what ``learn.history``,
``learn.validate()``, the CSV log, the artifact's training summary and ``trainwell evaluate`` hold; a
single-target model has the headline only, exactly as before.

Example:
    >>> import torch
    >>> from trainwell.metrics import get_metric
    >>> metric = get_metric("mae", "regression")
    >>> metric.update(torch.tensor([[1.0, 10.0], [2.0, 30.0]]), torch.tensor([[1.5, 10.0], [2.5, 20.0]]))
    >>> values = metric_values([metric], ["price", "area"])
    >>> values["mae[price]"], values["mae[area]"]
    (0.5, 5.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from trainwell.metrics.metric import Metric


def target_key(metric: str, target: str) -> str:
    """The name of ``metric``'s value for one target: ``target_key("rmse", "price") == "rmse[price]"``."""
    return f"{metric}[{target}]"


def split_target_key(key: str) -> tuple[str, str | None]:
    """``"rmse[price]"`` -> ``("rmse", "price")``; a name without a target -> ``(name, None)``."""
    metric, bracket, rest = key.partition("[")
    if not bracket or not rest.endswith("]") or not metric:
        return key, None
    return metric, rest[:-1]


def target_labels(target_names: Sequence[str], width: int) -> list[str]:
    """The names per-target values go by: the task's target names, or ``"0"``, ``"1"``... when they do not
    match the model's ``width`` outputs (a hand-built Learner whose task names no columns)."""
    names = [str(name) for name in target_names]
    return names if len(names) == width else [str(index) for index in range(width)]


def metric_values(metrics: Iterable[Metric], target_names: Sequence[str] = ()) -> dict[str, float]:
    """Each metric's headline value by name, followed, with several targets, by each target's value.

    Args:
        metrics: metrics that have seen the batches (``update``).
        target_names: the task's target columns (``task.target_names``), to name per-target values.

    Returns:
        e.g. ``{"rmse": 0.41, "rmse[price]": 41200.0, "rmse[area]": 8.1, "mae": ...}``; per-target entries
        only where a metric has more than one target (a single-target model gets the headline only).
    """
    values: dict[str, float] = {}
    for metric in metrics:
        values[metric.name] = metric.compute()
        per_target = metric.compute_per_target()
        if len(per_target) > 1:
            for label, value in zip(target_labels(target_names, len(per_target)), per_target, strict=True):
                values[target_key(metric.name, label)] = value
    return values


def target_keys(metrics: Iterable[Metric], target_names: Sequence[str]) -> list[str]:
    """The per-target names :func:`metric_values` will write for a task of ``target_names`` (none for one
    target): known before any batch, so a callback can check a ``monitor`` name before training."""
    if len(target_names) < 2:
        return []
    return [
        target_key(metric.name, str(name)) for metric in metrics if metric.per_target for name in target_names
    ]
