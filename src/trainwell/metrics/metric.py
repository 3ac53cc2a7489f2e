"""Accumulating metrics: feed batches with ``update``, read the value over all of them with ``compute``.

A :class:`Metric` keeps its running state in named tensors, each declared with a reduction:

- ``"sum"``: batches (and processes) combine by adding; the tensor keeps one fixed size however many rows
  are seen. Every metric here but ROC AUC and average precision uses only sums.
- ``"cat"``: batches combine by concatenating along the first axis (ROC AUC and average precision need every
  score to rank).

That declaration is all a distributed run needs: all-reduce (sum) the ``"sum"`` states, all-gather the
``"cat"`` states, write them back with :meth:`Metric.load_state`, then call :meth:`Metric.compute`.
:meth:`Metric.merge` does the same for two metric objects in one process.

``update`` never reads a value back to the host, so it adds no device synchronisation to a training step;
``compute`` does, once. Sum states take their shape and device from the first batch: before any update
they read as a 0-dim zero, and ``compute`` then returns ``nan``.

Example:
    >>> import torch
    >>> metric = Accuracy("multiclass")
    >>> metric.update(torch.tensor([[0.8, 0.2], [0.3, 0.7]]), torch.tensor([0, 0]))
    >>> metric.update(torch.tensor([[0.1, 0.9]]), torch.tensor([1]))
    >>> metric.compute()
    0.6666666666666666
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import ClassVar, Literal

import torch

from trainwell.core.errors import ConfigError
from trainwell.metrics import _stats
from trainwell.metrics._inputs import check_inputs, check_task, check_threshold
from trainwell.metrics.functional import (
    CLASSIFICATION_TASKS,
    LOG_LOSS_EPS,
    REGRESSION_TASKS,
    SINGLE_LABEL_TASKS,
    average_precision,
    roc_auc,
)

Reduction = Literal["sum", "cat"]
States = dict[str, torch.Tensor]


class Metric:
    """Base class of accumulating metrics, and of your own.

    A metric of your own subclasses it, sets ``name`` (the history column; ``higher_is_better`` if a smaller
    value is better) and implements three public methods: ``reset`` (forget every batch), ``update(preds,
    targets)`` (add one batch of activated predictions, shapes as in :mod:`trainwell.metrics.functional`) and
    ``compute()`` (the value over the batches since ``reset``, a float). No ``__init__`` is needed: the base
    takes the ``task`` (and ``threshold``), checks it against ``tasks`` (left empty: every task) and calls
    ``reset``. Such a metric keeps its state in attributes of its own, which a distributed fit cannot combine
    across processes: there, pass a metric function instead (``metrics=[my_fn]``, see
    :func:`~trainwell.metrics.metric_function`), whose inputs are gathered from every process.

    The built-in metrics also declare their state in ``reductions`` and fill it in ``_batch_states`` (one
    checked batch -> a dict of tensors) and ``_value`` (all states -> float), keeping the base's ``update``
    and ``compute``; that is what lets states be merged and combined across processes.

    Example:
        >>> import torch
        >>> class TopTwo(Metric):
        ...     name = "top2_accuracy"
        ...     def reset(self):
        ...         self.hits, self.rows = 0, 0
        ...     def update(self, preds, targets):
        ...         top_two = preds.topk(2, dim=1).indices
        ...         self.hits += int((top_two == targets[:, None]).any(dim=1).sum())
        ...         self.rows += len(targets)
        ...     def compute(self):
        ...         return self.hits / self.rows if self.rows else float("nan")
        >>> metric = TopTwo("multiclass")
        >>> metric.update(torch.tensor([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7]]), torch.tensor([1, 0]))
        >>> metric.compute()
        0.5

        ``Learner(model, data, metrics=[TopTwo("multiclass")])`` then writes ``top2_accuracy`` in the history,
        and ``EarlyStopping("top2_accuracy")`` can follow it.

    Attributes:
        name: registry name, e.g. ``"accuracy"``.
        description: one line in plain words.
        higher_is_better: whether a larger value is a better model (for early stopping, checkpoints).
        per_target: whether :meth:`compute_per_target` gives one value per target (regression metrics).
        tasks: the task kinds this metric makes sense for; empty (a metric of your own) fits every task.
        reductions: state name -> ``"sum"`` or ``"cat"``.
        task: the task kind this instance scores.
        threshold: decision threshold for binary and multilabel decisions (unused by other metrics); a
            multilabel metric may hold a tuple, one threshold per label.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: Wording for particular tasks where the general ``description`` would be vague or wrong.
    task_descriptions: ClassVar[Mapping[str, str]] = {}
    #: Whether the metric also has a value for each target on its own (:meth:`compute_per_target`), and
    #: the wording of its headline value when there are several targets.
    per_target: ClassVar[bool] = False
    multi_target_description: ClassVar[str] = ""
    higher_is_better: ClassVar[bool] = True
    #: The values the metric can take: intervals over folds are clipped to them (a t interval of a mean
    #: accuracy can otherwise reach past 1).
    bounds: ClassVar[tuple[float, float]] = (-math.inf, math.inf)
    tasks: ClassVar[tuple[str, ...]] = ()
    reductions: ClassVar[Mapping[str, Reduction]] = {}

    def __init__(self, task: str, threshold: float | Sequence[float] = 0.5) -> None:
        check_task(task)
        if self.tasks and task not in self.tasks:
            raise ConfigError(
                f"metric {self.name!r} does not fit a {task} task; it fits: {', '.join(self.tasks)}. "
                f"Pick a metric made for {task}."
            )
        self.task = task
        self.threshold = check_threshold(threshold, task)
        self._sums: dict[str, torch.Tensor | None] = {}
        self._chunks: dict[str, list[torch.Tensor]] = {}
        self.reset()

    def reset(self) -> None:
        """Forget every batch seen so far."""
        self._sums = {key: None for key, how in self.reductions.items() if how == "sum"}
        self._chunks = {key: [] for key, how in self.reductions.items() if how == "cat"}

    def update(self, preds: torch.Tensor, targets: torch.Tensor) -> None:
        """Add one batch of activated predictions and targets (shapes as in :mod:`trainwell.metrics.functional`).

        Raises:
            DataError: the shapes do not fit the task.
        """
        preds, targets = check_inputs(preds, targets, self.task, self.name)
        with torch.no_grad():
            batch = self._batch_states(preds, targets)
        self._add(batch, list(batch))

    def compute(self) -> float:
        """The metric over every batch since the last :meth:`reset` (``nan`` if none or if undefined)."""
        return self._value(self.states)

    def compute_per_target(self) -> list[float]:
        """The metric of each target (output column) on its own, in output order.

        A regression model of several targets gets one value per target, each in that target's units and
        equal to the metric of that column alone; :meth:`compute` is the headline that pools them (see each
        metric's ``multi_target_description``). Metrics without a per-target form (``per_target`` false)
        return ``[]``; :func:`trainwell.metrics.targets.metric_values` names the values ``"rmse[price]"``...
        """
        return self._per_target_values(self.states) if self.per_target else []

    @property
    def states(self) -> States:
        """Current state tensors by name; ``"cat"`` states concatenated (an empty tensor when no batch yet)."""
        result: States = {}
        for key, how in self.reductions.items():
            if how == "sum":
                value = self._sums[key]
                result[key] = value if value is not None else torch.zeros((), dtype=torch.float64)
            else:
                chunks = self._chunks[key]
                result[key] = torch.cat(chunks) if chunks else torch.empty(0)
        return result

    def state_dict(self) -> States:
        """The states (see :attr:`states`), e.g. to all-reduce or all-gather before :meth:`load_state`."""
        return self.states

    def load_state(self, states: Mapping[str, torch.Tensor]) -> None:
        """Replace the state by ``states``, which must hold exactly the declared state names."""
        if set(states) != set(self.reductions):
            raise ConfigError(
                f"metric {self.name!r} state must have keys {sorted(self.reductions)}, got {sorted(states)}; "
                "pass what state_dict() returned"
            )
        self._sums = {key: None for key in self._sums}
        self._chunks = {key: [] for key in self._chunks}
        self._add(states, [key for key in states if self.reductions[key] == "sum" or states[key].numel() > 0])

    def merge(self, other: Metric) -> Metric:
        """Add ``other``'s batches to this metric, as if they had been passed to :meth:`update`; returns ``self``.

        Raises:
            ConfigError: ``other`` is a different metric, task or threshold.
        """
        same = type(other) is type(self) and (other.task, other.threshold) == (self.task, self.threshold)
        if not same:
            raise ConfigError(
                f"cannot merge {other!r} into {self!r}: only the same metric, task and threshold combine"
            )
        # Skip what ``other`` never saw, so that an empty metric adds nothing, not even a 0-dim zero.
        keys = [key for key, value in other._sums.items() if value is not None]
        keys += [key for key, chunks in other._chunks.items() if chunks]
        self._add(other.states, keys)
        return self

    def __repr__(self) -> str:
        # A metric of your own may set up its state without calling this class's __init__.
        task, threshold = getattr(self, "task", None), getattr(self, "threshold", None)
        return f"{type(self).__name__}(task={task!r}, threshold={threshold})"

    def _add(self, states: Mapping[str, torch.Tensor], keys: list[str]) -> None:
        for key in keys:
            value = states[key].detach()
            if self.reductions[key] == "cat":
                self._chunks[key].append(value)
            else:
                current = self._sums[key]
                self._sums[key] = value.clone() if current is None else current + value

    def _batch_states(self, preds: torch.Tensor, targets: torch.Tensor) -> States:
        raise NotImplementedError

    def _value(self, states: States) -> float:
        raise NotImplementedError

    def _per_target_values(self, states: States) -> list[float]:
        raise NotImplementedError


class Accuracy(Metric):
    """Share of right decisions; multilabel counts every label of every row as one decision."""

    name = "accuracy"
    bounds = (0.0, 1.0)
    description = "share of rows whose predicted class is right"
    task_descriptions: ClassVar[Mapping[str, str]] = {
        "multilabel": "share of all label decisions (every label of every row) that are right",
    }
    tasks = CLASSIFICATION_TASKS
    reductions: ClassVar[Mapping[str, Reduction]] = {"correct": "sum", "total": "sum"}

    def _batch_states(self, preds: torch.Tensor, targets: torch.Tensor) -> States:
        return _stats.accuracy_stats(preds, targets, self.task, self.threshold)

    def _value(self, states: States) -> float:
        return _stats.accuracy_value(states)


class ErrorRate(Accuracy):
    """``1 - accuracy``."""

    name = "error_rate"
    bounds = (0.0, 1.0)
    description = "share of predictions that are wrong (1 - accuracy)"
    higher_is_better = False

    def _value(self, states: States) -> float:
        return 1.0 - _stats.accuracy_value(states)


class BalancedAccuracy(Metric):
    """Mean per-class recall over the classes present in the targets."""

    name = "balanced_accuracy"
    bounds = (0.0, 1.0)
    description = (
        "average over classes of the share of each class's rows predicted right, so rare classes count fully"
    )
    tasks = SINGLE_LABEL_TASKS
    reductions: ClassVar[Mapping[str, Reduction]] = {"class_rows": "sum", "class_correct": "sum"}

    def _batch_states(self, preds: torch.Tensor, targets: torch.Tensor) -> States:
        return _stats.balanced_accuracy_stats(preds, targets, self.task, self.threshold)

    def _value(self, states: States) -> float:
        return _stats.balanced_accuracy_value(states)


class RocAuc(Metric):
    """ROC AUC (multiclass: one-vs-rest, macro); keeps every score, since ranking needs them all."""

    name = "roc_auc"
    bounds = (0.0, 1.0)
    description = (
        "chance that a random positive row is scored above a random negative one (0.5 = guessing, 1 = perfect); "
        "it is not accuracy"
    )
    task_descriptions: ClassVar[Mapping[str, str]] = {
        "multiclass": "for each class, chance that one of its rows is scored above a row of another class, "
        "averaged over classes (0.5 = guessing, 1 = perfect); it is not accuracy",
        "multilabel": "for each label, chance that a row with it is scored above a row without it, averaged "
        "over labels (0.5 = guessing, 1 = perfect); it is not accuracy",
    }
    tasks = CLASSIFICATION_TASKS
    reductions: ClassVar[Mapping[str, Reduction]] = {"preds": "cat", "targets": "cat"}

    def _batch_states(self, preds: torch.Tensor, targets: torch.Tensor) -> States:
        # Half-precision scores would create ties that full precision does not have; store at least float32.
        if preds.dtype in (torch.float16, torch.bfloat16):
            preds = preds.float()
        return {"preds": preds, "targets": targets}

    def _value(self, states: States) -> float:
        if states["preds"].numel() == 0:
            return float("nan")
        return roc_auc(states["preds"], states["targets"], self.task)


class AveragePrecision(RocAuc):
    """Average precision, the area under the precision-recall curve (multiclass: one-vs-rest, macro); keeps
    every score, as :class:`RocAuc` does."""

    name = "average_precision"
    description = (
        "area under the precision-recall curve: precision of the top-scored rows, averaged over the positives "
        "(random ranking = base rate, 1 = perfect)"
    )
    task_descriptions: ClassVar[Mapping[str, str]] = {
        "multiclass": "for each class against the rest, area under its precision-recall curve, averaged over "
        "classes (random ranking = the class's share)",
        "multilabel": "for each label, area under its precision-recall curve, averaged over labels (random "
        "ranking = the label's share, 1 = perfect)",
    }

    def _value(self, states: States) -> float:
        if states["preds"].numel() == 0:
            return float("nan")
        return average_precision(states["preds"], states["targets"], self.task)


class F1(Metric):
    """F1 of the positive class (binary) or macro F1 (multiclass, multilabel), from running counts."""

    name = "f1"
    bounds = (0.0, 1.0)
    description = (
        "balance of precision (flagged rows that are truly positive) and recall (positive rows that get "
        "flagged), for the positive class"
    )
    task_descriptions: ClassVar[Mapping[str, str]] = {
        "multiclass": "balance of precision and recall computed for each class, averaged over classes",
        "multilabel": "balance of precision and recall computed for each label, averaged over labels",
    }
    tasks = CLASSIFICATION_TASKS
    reductions: ClassVar[Mapping[str, Reduction]] = {
        "true_positive": "sum",
        "false_positive": "sum",
        "false_negative": "sum",
        "rows": "sum",
    }

    def _batch_states(self, preds: torch.Tensor, targets: torch.Tensor) -> States:
        return _stats.f1_stats(preds, targets, self.task, self.threshold)

    def _value(self, states: States) -> float:
        return _stats.f1_value(states, self.task)


class F1Micro(F1):
    """Micro-averaged F1 of a multi-label model: every (row, label) decision pooled into one count of hits, false
    alarms and misses, so frequent labels weigh more than in the macro mean (:class:`F1`, ``f1``). What
    scikit-learn's ``f1_score(average="micro")`` and most multi-label papers quote beside the macro mean."""

    name = "f1_micro"
    description = (
        "balance of precision and recall over every label decision pooled (frequent labels weigh more than "
        "in the macro f1)"
    )
    task_descriptions: ClassVar[Mapping[str, str]] = {}
    tasks = ("multilabel",)

    def _value(self, states: States) -> float:
        return _stats.micro_f1_value(states)


class F1Samples(Metric):
    """Sample-averaged F1 of a multi-label model: each row's F1 between its labels and the model's, averaged over
    rows (scikit-learn's ``f1_score(average="samples")``); a row with no label that is given none scores 0, as
    there."""

    name = "f1_samples"
    bounds = (0.0, 1.0)
    description = "F1 of each row's set of labels against the model's, averaged over rows"
    tasks = ("multilabel",)
    reductions: ClassVar[Mapping[str, Reduction]] = {"f1_sum": "sum", "rows": "sum"}

    def _batch_states(self, preds: torch.Tensor, targets: torch.Tensor) -> States:
        return _stats.row_f1_stats(preds, targets, self.threshold)

    def _value(self, states: States) -> float:
        return _stats.row_f1_value(states)


class Precision(F1):
    """Precision of the positive class (binary) or macro precision (multiclass, multilabel), from the same
    running counts as :class:`F1`."""

    name = "precision"
    description = "share of the rows flagged positive that truly are, for the positive class"
    task_descriptions: ClassVar[Mapping[str, str]] = {
        "multiclass": "share of the rows given a class that truly are of it, averaged over classes",
        "multilabel": "share of the rows given a label that truly have it, averaged over labels",
    }

    def _value(self, states: States) -> float:
        return _stats.share_value(states, self.task, "false_positive")


class Recall(F1):
    """Recall of the positive class (binary) or macro recall (multiclass, multilabel), from the same running
    counts as :class:`F1`."""

    name = "recall"
    description = "share of the truly positive rows that get flagged, for the positive class"
    task_descriptions: ClassVar[Mapping[str, str]] = {
        "multiclass": "share of each class's rows that get it, averaged over classes",
        "multilabel": "share of the rows with a label that get it, averaged over labels",
    }

    def _value(self, states: States) -> float:
        return _stats.share_value(states, self.task, "false_negative")


class MatthewsCorrelation(F1):
    """Matthews correlation coefficient of the decisions (multiclass: its multiclass form; multilabel: averaged
    over labels), from the same running counts as :class:`F1`."""

    name = "mcc"
    bounds = (-1.0, 1.0)
    description = (
        "correlation between the decisions and the truth, weighing every cell of the confusion matrix "
        "(0 = chance, 1 = perfect, -1 = always wrong)"
    )
    task_descriptions: ClassVar[Mapping[str, str]] = {
        "multiclass": "correlation between the predicted and the true classes over all classes (0 = chance, "
        "1 = perfect)",
        "multilabel": "correlation between each label's decisions and its truth, averaged over labels (0 = "
        "chance, 1 = perfect)",
    }

    def _value(self, states: States) -> float:
        return _stats.mcc_value(states, self.task)


class BrierScore(Metric):
    """Mean squared error of the probabilities (multiclass: summed over classes, per row)."""

    name = "brier"
    bounds = (0.0, 2.0)
    description = (
        "mean squared gap between the probability given and what happened (0 = perfect, lower is better)"
    )
    task_descriptions: ClassVar[Mapping[str, str]] = {
        "multiclass": "squared gaps between each class's probability and what happened, summed over classes "
        "and averaged over rows (0 = perfect, 2 = sure and wrong)",
        "multilabel": "mean squared gap between each label's probability and what happened (0 = perfect)",
    }
    higher_is_better = False
    tasks = CLASSIFICATION_TASKS
    reductions: ClassVar[Mapping[str, Reduction]] = {"squared_error_sum": "sum", "count": "sum"}

    def _batch_states(self, preds: torch.Tensor, targets: torch.Tensor) -> States:
        return _stats.brier_stats(preds, targets, self.task)

    def _value(self, states: States) -> float:
        return _stats.brier_value(states)


class LogLoss(Metric):
    """Mean negative log-likelihood of the true answers, probabilities clipped at 1e-15."""

    name = "log_loss"
    bounds = (0.0, math.inf)
    description = "average surprise at the true answer: minus the log of the probability the model gave it"
    higher_is_better = False
    tasks = CLASSIFICATION_TASKS
    reductions: ClassVar[Mapping[str, Reduction]] = {"loss_sum": "sum", "count": "sum"}

    def _batch_states(self, preds: torch.Tensor, targets: torch.Tensor) -> States:
        return _stats.log_loss_stats(preds, targets, self.task, LOG_LOSS_EPS)

    def _value(self, states: States) -> float:
        return _stats.log_loss_value(states)


class RMSE(Metric):
    """Root mean squared error; with several targets, each target's RMSE in its standard deviations, averaged.

    One target: the RMSE in the target's units, as always. Several: RMSE_k / SD_k averaged over targets (SD
    over the same rows), since errors in dollars and in square metres cannot be added up; each target's RMSE
    in its own units comes from :meth:`compute_per_target`.
    """

    name = "rmse"
    bounds = (0.0, math.inf)
    description = "typical size of an error in the target's units, big errors weighing more"
    multi_target_description = (
        "each target's RMSE divided by that target's standard deviation, averaged over targets (unit-free: "
        "0 = perfect, 1 = no better than predicting the mean); rmse[name] gives each in its own units"
    )
    higher_is_better = False
    per_target = True
    tasks = REGRESSION_TASKS
    reductions: ClassVar[Mapping[str, Reduction]] = {
        "error_sum": "sum",
        "target_sum": "sum",
        "target_square_sum": "sum",
        "rows": "sum",
    }
    _root: ClassVar[bool] = True
    _power: ClassVar[int] = 2

    def _batch_states(self, preds: torch.Tensor, targets: torch.Tensor) -> States:
        return _stats.error_stats(preds, targets, power=self._power)

    def _value(self, states: States) -> float:
        return _stats.error_value(states, root=self._root)

    def _per_target_values(self, states: States) -> list[float]:
        return [float(value) for value in _stats.error_per_output(states, root=self._root)]


class MAE(RMSE):
    """Mean absolute error; with several targets, each target's MAE in its standard deviations, averaged."""

    name = "mae"
    bounds = (0.0, math.inf)
    description = "average size of an error in the target's units"
    multi_target_description = (
        "each target's MAE divided by that target's standard deviation, averaged over targets (unit-free: "
        "0 = perfect); mae[name] gives each in its own units"
    )
    _root = False
    _power = 1


class R2(Metric):
    """Coefficient of determination, uniform mean over outputs, from running sums."""

    name = "r2"
    bounds = (-math.inf, 1.0)
    description = (
        "share of the target's variation the model explains (1 = perfect, 0 = no better than the mean)"
    )
    multi_target_description = (
        "share of each target's variation the model explains, averaged over targets (1 = perfect, 0 = no "
        "better than the mean); r2[name] gives each target's"
    )
    per_target = True
    tasks = REGRESSION_TASKS
    reductions: ClassVar[Mapping[str, Reduction]] = {
        "target_sum": "sum",
        "target_square_sum": "sum",
        "residual_square_sum": "sum",
        "rows": "sum",
    }

    def _batch_states(self, preds: torch.Tensor, targets: torch.Tensor) -> States:
        return _stats.r2_stats(preds, targets)

    def _value(self, states: States) -> float:
        return _stats.r2_value(states)

    def _per_target_values(self, states: States) -> list[float]:
        return [float(value) for value in _stats.r2_per_output(states)]
