"""A plain function as a metric: ``metrics=[my_fn]`` with ``my_fn(preds, targets) -> float``.

The function is called once per validation pass, on every batch's predictions and targets joined along the
first axis, so it may compute anything over the whole validation set (a median, a rank statistic, a score
from scikit-learn). ``preds`` are what the built-in metrics receive: activated by the task (probabilities for
classification, values for regression; a tagger's decoded tag ids), in these shapes (``N``: validation rows):

======================  ======================  ==================
task                    ``preds``               ``targets``
======================  ======================  ==================
binary                  ``(N,)`` probabilities  ``(N,)`` 0/1
multiclass              ``(N, C)``              ``(N,)`` class ids
multilabel              ``(N, L)``              ``(N, L)`` 0/1
regression, one target  ``(N,)``                ``(N,)``
regression, K targets   ``(N, K)``              ``(N, K)``
tagging                 ``(W,)`` tag ids        ``(W,)`` tag ids
======================  ======================  ==================

so that ``(preds - targets).abs().mean()`` is right for one target, as for a binary task: a single-target
regression's values came as ``(N, 1)``, where a natural ``preds.squeeze() - targets`` broadcast to ``N x N`` and
gave a wrong number in silence (fastai flattens one target likewise). A tagger's are the labelled words'
(``W`` of them). Both are tensors on the Learner's device.

The metric is named by the function's ``__name__``; :func:`metric_function` names it explicitly (a lambda or
a ``functools.partial`` has no name of its own) and says whether smaller is better. When nobody says, the name
decides: a built-in metric's name (``mae``, ``accuracy``, an alias such as ``auc``) takes that metric's
direction, and a name that marks an error or a loss (``my_error``, ``val_loss``, ``mse``, ``rmse``, ``mape``:
see :data:`LOWER_IS_BETTER_WORDS`) is smaller-is-better, as fastai reads such names; any other name is taken
as higher-is-better, and ``EarlyStopping``/``SaveBest`` in mode ``"auto"`` say so when they follow it. Its state is the
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
    >>> def mean_abs_error(preds, targets):
    ...     return (preds - targets).abs().mean()
    >>> metric_function(mean_abs_error).higher_is_better  # "error" in the name
    False
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import torch

from trainwell.core.errors import ConfigError, add_note
from trainwell.metrics._inputs import check_inputs
from trainwell.metrics.metric import Metric, Reduction

__all__ = [
    "Direction",
    "FunctionMetric",
    "MetricFunction",
    "MetricLike",
    "direction_from_name",
    "metric_function",
]

#: Columns every history row already has: a metric may not take their names.
RESERVED_NAMES = ("fit", "epoch", "train_loss", "valid_loss", "lr", "time")

_NAMELESS = ("<lambda>", "")

#: Parts of a metric function's name that mark an error or a loss, smaller being better: found anywhere in the
#: name (``my_error``, ``valloss``, ``meanAbsoluteError``).
LOWER_IS_BETTER_WORDS = ("error", "loss")
#: Whole words of a name (split at ``_``, ``-``, digits' edges and camelCase) that mark one too.
LOWER_IS_BETTER_TOKENS = frozenset(
    {"err", "errors", "mae", "mse", "rmse", "msle", "rmsle", "mape", "smape", "mad", "nll", "brier",
     "perplexity", "deviance", "distance", "wer", "cer"}
)  # fmt: skip
#: Whole words that mark a measure that is better higher (``accuracy_top5``, ``hit_rate``, ``f1_macro``): read
#: after the words above, so that ``error_rate`` still goes down.
HIGHER_IS_BETTER_TOKENS = frozenset(
    {"accuracy", "acc", "auc", "f1", "fbeta", "precision", "recall", "r2", "mcc", "ndcg", "hit", "hits",
     "iou", "dice", "bleu", "rouge", "kappa", "spearman", "pearson", "correlation", "agreement"}
)  # fmt: skip
#: Words that turn a measure around (scikit-learn's ``neg_mean_squared_error`` is higher-is-better): a name
#: holding one decides nothing.
_NEGATING_TOKENS = frozenset({"neg", "negative", "minus"})

#: Where a metric function's direction came from: the caller (``"given"``), a built-in metric of its name
#: (``"builtin"``), a word of its name (``"name"``), or nothing, higher-is-better being assumed (``"assumed"``).
Direction = Literal["given", "builtin", "name", "assumed"]

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
    #: How ``higher_is_better`` was decided (see :data:`Direction`): trackers in mode ``"auto"`` warn when it
    #: was only ``"assumed"``.
    direction: Direction = "given"

    def __call__(self, preds: torch.Tensor, targets: torch.Tensor) -> Any:
        return self.function(preds, targets)


def metric_function(
    function: Callable[[torch.Tensor, torch.Tensor], Any],
    *,
    name: str | None = None,
    higher_is_better: bool | None = None,
    description: str = "",
) -> MetricFunction:
    """Name a function ``fn(preds, targets) -> float`` as a metric (see this module for what it receives).

    Args:
        function: called once per validation pass on the whole set's activated predictions and targets; it
            returns one number (a float, or a one-element tensor or NumPy value).
        name: the history column; default the function's ``__name__`` (required for a lambda or a partial).
        higher_is_better: ``False`` for an error or a loss, so that ``EarlyStopping``/``SaveBest`` in mode
            ``"auto"`` follow it downwards. ``None`` (the default): read from the name, as this module says
            (``mae`` and ``my_error`` go down, ``accuracy`` and ``hit_rate`` up).
        description: one line in plain words (optional).

    Raises:
        ConfigError: ``function`` is not callable, or has no usable name.

    Example:
        >>> metric_function(lambda preds, targets: 0.0, name="zero").name
        'zero'
    """
    kept: MetricFunction | None = None
    if isinstance(function, MetricFunction):  # renamed, or its direction changed
        kept = function
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
    name = _checked_name(name)
    if higher_is_better is not None:
        return MetricFunction(function, name, bool(higher_is_better), description, "given")
    if kept is not None and kept.direction == "given":  # a rename keeps the direction its caller set
        return MetricFunction(function, name, kept.higher_is_better, description, "given")
    higher, direction = direction_from_name(name)
    return MetricFunction(function, name, higher, description, direction)


def direction_from_name(name: str) -> tuple[bool, Direction]:
    """Whether a metric named ``name`` is better higher, read from the name alone, and what decided it.

    A built-in metric's name or alias takes its direction (``"builtin"``); a name that marks an error or a loss
    (:data:`LOWER_IS_BETTER_WORDS`, :data:`LOWER_IS_BETTER_TOKENS`) is smaller-is-better and one holding a word
    of :data:`HIGHER_IS_BETTER_TOKENS` larger-is-better (``"name"``); any other name, or one with a negating
    word (``neg_mse``), is assumed higher-is-better (``"assumed"``).

    Example:
        >>> direction_from_name("mae"), direction_from_name("valLoss"), direction_from_name("hit_rate")
        ((False, 'builtin'), (False, 'name'), (True, 'name'))
        >>> direction_from_name("median_gap")
        (True, 'assumed')
    """
    from trainwell.core.metric_names import ALIASES, BUILTIN_METRICS

    lowered = name.lower()
    builtin = ALIASES.get(lowered, lowered)
    if builtin in BUILTIN_METRICS:
        from trainwell.metrics.registry import metrics  # imports this module: read when first needed

        return bool(metrics.entry(builtin).metadata["higher_is_better"]), "builtin"
    # "meanAbsoluteError" -> "mean_absolute_error"; then whole words
    words = set(re.split(r"[^a-z0-9]+", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower())) - {""}
    if words & _NEGATING_TOKENS:
        return True, "assumed"
    if any(word in lowered for word in LOWER_IS_BETTER_WORDS) or words & LOWER_IS_BETTER_TOKENS:
        return False, "name"
    if words & HIGHER_IS_BETTER_TOKENS:
        return True, "name"
    return True, "assumed"


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
        self.direction: Direction = self.function.direction
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
        if self.task == "regression" and preds.dim() == 2 and preds.shape[1] == 1:
            # One target: (N,) and (N,), as a binary task's (see the module's docstring).
            preds, targets = preds[:, 0], targets[:, 0]
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
