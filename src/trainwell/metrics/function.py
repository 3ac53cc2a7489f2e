"""A plain function as a metric: ``metrics=[my_fn]`` with ``my_fn(preds, targets) -> float``.

The function is called once per validation pass, on every batch's predictions and targets joined along the
first axis, so it may compute anything over the whole validation set (a median, a rank statistic, a score
from scikit-learn). ``preds`` are what the built-in metrics receive: activated by the task (probabilities for
classification, values for regression; a tagger's decoded tag ids), in the shapes of
:mod:`trainwell.metrics.functional` (binary ``(N,)``, multiclass ``(N, C)`` with targets ``(N,)``, multilabel
``(N, L)``, regression ``(N, K)``); for a tagger, the tag ids and targets of the labelled words, flattened to
``(W,)``. Both are tensors on the Learner's device.

The metric is named by the function's ``__name__``; :func:`metric_function` names it explicitly (a lambda or
a ``functools.partial`` has no name of its own) and says whether smaller is better. Its state is the
predictions and targets themselves (``"cat"`` states), so a distributed fit gathers every process's rows
before calling the function, and the value is the one a single process would compute over all of them.

Example:
    >>> import torch
    >>> def hit_rate(preds, targets):
    ...     return (preds.argmax(dim=1) == targets).float().mean()
    >>> metric = FunctionMetric(hit_rate, "multiclass")
    >>> metric.update(torch.tensor([[0.9, 0.1], [0.4, 0.6]]), torch.tensor([0, 0]))
    >>> metric.update(torch.tensor([[0.2, 0.8]]), torch.tensor([1]))
    >>> metric.name, round(metric.compute(), 4)
    ('hit_rate', 0.6667)
    >>> mse = metric_function(lambda preds, targets: ((preds - targets) ** 2).mean(), name="mse",
    ...                       higher_is_better=False)
    >>> FunctionMetric(mse, "regression").higher_is_better
    False
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from trainwell.core.errors import ConfigError, add_note
from trainwell.metrics._inputs import check_inputs
from trainwell.metrics.metric import Metric, Reduction

__all__ = ["FunctionMetric", "MetricFunction", "MetricLike", "metric_function"]

#: Columns every history row already has: a metric may not take their names.
RESERVED_NAMES = ("fit", "epoch", "train_loss", "valid_loss", "lr", "time")

_NAMELESS = ("<lambda>", "")

#: What ``metrics=`` takes (a Learner, the pipelines): a registered name, a function ``fn(preds, targets) ->
#: float``, or a :class:`Metric` object.
MetricLike = str | Metric | Callable[[torch.Tensor, torch.Tensor], Any]


@dataclass(frozen=True)
class MetricFunction:
    """A function ``fn(preds, targets) -> float`` with the name and direction it is reported under.

    Made by :func:`metric_function`; calling it calls ``fn``.
    """

    function: Callable[[torch.Tensor, torch.Tensor], Any]
    name: str
    higher_is_better: bool = True
    description: str = ""

    def __call__(self, preds: torch.Tensor, targets: torch.Tensor) -> Any:
        return self.function(preds, targets)


def metric_function(
    function: Callable[[torch.Tensor, torch.Tensor], Any],
    *,
    name: str | None = None,
    higher_is_better: bool = True,
    description: str = "",
) -> MetricFunction:
    """Name a function ``fn(preds, targets) -> float`` as a metric (see this module for what it receives).

    Args:
        function: called once per validation pass on the whole set's activated predictions and targets; it
            returns one number (a float, or a one-element tensor or NumPy value).
        name: the history column; default the function's ``__name__`` (required for a lambda or a partial).
        higher_is_better: ``False`` for an error or a loss, so that ``EarlyStopping``/``SaveBest`` in mode
            ``"auto"`` follow it downwards.
        description: one line in plain words (optional).

    Raises:
        ConfigError: ``function`` is not callable, or has no usable name.

    Example:
        >>> metric_function(lambda preds, targets: 0.0, name="zero").name
        'zero'
    """
    if isinstance(function, MetricFunction):  # renamed, or its direction changed
        name = function.name if name is None else name
        function = function.function
    if not callable(function) or isinstance(function, type):
        raise ConfigError(
            f"metric_function needs a function fn(preds, targets) -> float, got {type(function).__name__} "
            f"{function!r}"
        )
    if name is None:
        name = getattr(function, "__name__", "")
        if not isinstance(name, str) or name in _NAMELESS:
            raise ConfigError(
                f"a metric function needs a name for the history, and {function!r} has none; use a def "
                "(its name is used) or trainwell.metrics.metric_function(fn, name='my_metric')"
            )
    return MetricFunction(function, _checked_name(name), bool(higher_is_better), description)


def _checked_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"a metric name must be a non-empty string, got {name!r}")
    if "[" in name or "]" in name:
        raise ConfigError(
            f"metric name {name!r} may not hold brackets: 'name[target]' is a per-target value's name"
        )
    if name in RESERVED_NAMES:
        raise ConfigError(
            f"metric name {name!r} is a column every history row already has ({', '.join(RESERVED_NAMES)}); "
            "name the metric differently"
        )
    return name


class FunctionMetric(Metric):
    """A :class:`Metric` that keeps every batch and calls a function on all of them in :meth:`compute`.

    Args:
        function: a named function ``fn(preds, targets) -> float`` or a :class:`MetricFunction`.
        task: the task kind scored (any metric task).
        threshold: kept for symmetry with the other metrics; the function makes its own decisions.
    """

    name = "function"
    description = "a metric function of your own"
    reductions: ClassVar[Mapping[str, Reduction]] = {"preds": "cat", "targets": "cat"}

    def __init__(
        self,
        function: MetricFunction | Callable[[torch.Tensor, torch.Tensor], Any],
        task: str,
        threshold: float | Sequence[float] = 0.5,
    ) -> None:
        self.function = function if isinstance(function, MetricFunction) else metric_function(function)
        # Each object is named by its own function, so these class-wide attributes are set per object.
        self.name = self.function.name  # type: ignore[misc]
        self.higher_is_better = self.function.higher_is_better  # type: ignore[misc]
        self.description = self.function.description or f"metric function {self.name}"  # type: ignore[misc]
        super().__init__(task, threshold)

    def update(self, preds: torch.Tensor, targets: torch.Tensor) -> None:
        """Keep one batch (checked as every metric checks it; half precision stored as float32)."""
        preds, targets = check_inputs(preds, targets, self.task, self.name)
        if self.task == "tagging":  # sentences differ in length from batch to batch: keep the words
            labelled = targets >= 0
            preds, targets = preds[labelled], targets[labelled]
        if preds.dtype in (torch.float16, torch.bfloat16):
            preds = preds.float()
        self._add({"preds": preds, "targets": targets}, ["preds", "targets"])

    def compute(self) -> float:
        """The function over every batch since :meth:`reset`; ``nan`` before any batch.

        Raises:
            ConfigError: the function returned something other than one number.
        """
        states = self.states
        preds, targets = states["preds"], states["targets"]
        if preds.numel() == 0:
            return float("nan")
        try:
            value = self.function(preds, targets)
        except Exception as error:
            add_note(
                error,
                f"raised by metric function {self.name!r}, called with preds {tuple(preds.shape)} "
                f"{preds.dtype} and targets {tuple(targets.shape)} {targets.dtype} (the whole validation set)",
            )
            raise
        return _one_number(value, self.name)

    def merge(self, other: Metric) -> Metric:
        if isinstance(other, FunctionMetric) and other.function != self.function:
            raise ConfigError(f"cannot merge metric {other.name!r} into {self.name!r}: different functions")
        return super().merge(other)

    def __repr__(self) -> str:
        return f"FunctionMetric({self.name!r}, task={self.task!r})"


def _one_number(value: object, name: str) -> float:
    """``value`` as a float if it is one number (a float, int, one-element tensor or NumPy value)."""
    if isinstance(value, torch.Tensor | np.ndarray):
        size = value.size if isinstance(value, np.ndarray) else value.numel()
        if size == 1:
            return float(value.item())
        shown = f"a {type(value).__name__} of shape {tuple(value.shape)}"
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    else:
        shown = f"{type(value).__name__} {value!r}"[:120]
    raise ConfigError(
        f"metric {name!r} returned {shown}; a metric function must return one number (a float, or a "
        "one-element tensor or NumPy value)"
    )
