"""Metrics of a language model: any multiclass metric, read over every predicted token.

A language model's batch is ``(B, T, V)`` next-token probabilities against ``(B, T)`` next tokens: ``B · T``
multiclass predictions over the vocabulary. :class:`TokenMetric` flattens them and hands them to a multiclass
metric (``accuracy``: the share of next tokens the model ranks first), so ``language_model_learner(data,
metrics=["accuracy"])`` reads as every other learner's ``metrics=``. Perplexity is not one of them: it is exact
only as a mean over tokens, which the :class:`~trainwell.text.lm_callbacks.Perplexity` callback keeps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

import torch

from trainwell.core.errors import ConfigError
from trainwell.metrics import Metric, get_metric
from trainwell.metrics.function import MetricLike
from trainwell.metrics.metric import Reduction

__all__ = ["TokenMetric", "token_metrics"]


class TokenMetric(Metric):
    """A multiclass metric over every token of a language model's batches.

    Args:
        metric: a metric made for the ``multiclass`` task (by name: ``get_metric("accuracy", "multiclass")``).

    Its name, direction and states are the inner metric's (a distributed fit combines them as it would the
    inner metric's).
    """

    name = "token"
    reductions: ClassVar[Mapping[str, Reduction]] = {}

    def __init__(self, metric: Metric) -> None:
        if getattr(metric, "task", None) != "multiclass":
            raise ConfigError(
                f"a language model's metric scores each next token as a multiclass prediction over the vocabulary; "
                f"{metric!r} is made for {getattr(metric, 'task', None)!r}: build it for 'multiclass'"
            )
        self.metric = metric
        # Each object takes its inner metric's identity, so these class-wide attributes are set per object.
        self.name = metric.name  # type: ignore[misc]
        self.description = f"{metric.description}, over every predicted token"  # type: ignore[misc]
        self.higher_is_better = metric.higher_is_better  # type: ignore[misc]
        self.bounds = metric.bounds  # type: ignore[misc]
        self.reductions = metric.reductions  # type: ignore[misc]
        self.task = "language_model"
        self.threshold = metric.threshold

    def reset(self) -> None:
        self.metric.reset()

    def update(self, preds: torch.Tensor, targets: torch.Tensor) -> None:
        """Add one batch: ``preds (B, T, V)`` probabilities, ``targets (B, T)`` next tokens."""
        self.metric.update(preds.reshape(-1, preds.size(-1)), targets.reshape(-1))

    def compute(self) -> float:
        return self.metric.compute()

    def compute_per_target(self) -> list[float]:
        return []

    @property
    def states(self) -> dict[str, torch.Tensor]:
        return self.metric.states

    def load_state(self, states: Mapping[str, torch.Tensor]) -> None:
        self.metric.load_state(states)

    def merge(self, other: Metric) -> Metric:
        self.metric.merge(other.metric if isinstance(other, TokenMetric) else other)
        return self

    def __repr__(self) -> str:
        return f"TokenMetric({self.metric!r})"


def token_metrics(metrics: Sequence[MetricLike] | None) -> list[Metric]:
    """A language model's metric objects from what ``metrics=`` takes elsewhere: names (``"accuracy"``),
    functions ``fn(preds, targets) -> float`` (called with ``(N, V)`` probabilities and ``(N,)`` next tokens) or
    multiclass :class:`~trainwell.metrics.Metric` objects; ``None`` or ``[]``: none (the task has no default
    metric; perplexity is always recorded)."""
    if isinstance(metrics, str | Metric) or callable(metrics):
        shown = getattr(metrics, "__name__", None) or repr(metrics)
        raise ConfigError(f"metrics must be a list, e.g. metrics=[{shown}], got one {type(metrics).__name__}")
    built: list[Metric] = []
    for metric in metrics or ():
        if isinstance(metric, Metric):
            built.append(TokenMetric(metric))
            continue
        try:
            inner = get_metric(metric, "multiclass")
        except ConfigError as error:
            raise ConfigError(
                f"language_model_learner(metrics=): {error} (a language model's metrics score each next token as "
                "a multiclass prediction over the vocabulary, e.g. 'accuracy')"
            ) from None
        built.append(TokenMetric(inner))
    return built
