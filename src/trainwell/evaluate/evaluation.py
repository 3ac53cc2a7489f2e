"""What a cross-validation against baselines measured, as one object: the model's and each baseline's per-fold
metrics on the same folds, their intervals, the verdicts, and the table ``trainwell evaluate`` prints.

The applications make it (:func:`trainwell.evaluate_table`, :func:`trainwell.evaluate_texts`,
:func:`trainwell.evaluate_images`, :func:`trainwell.evaluate_ratings`, :func:`trainwell.evaluate_tagger`; a
language model's, judged on one held-out split instead of folds, is its subclass
:class:`~trainwell.text.lm_evaluation.LMEvaluation` from :func:`trainwell.evaluate_language_model`); the command
line prints it with :func:`render`. :func:`check_settings` refuses their common arguments before any work.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING, Any

from trainwell.core.numbers import figure

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import torch

    from trainwell.data.task import Task
    from trainwell.evaluate.compare import Verdict
    from trainwell.evaluate.cv import CVResult, FoldBudget, MetricSummary

#: The model's name in the table, the verdicts and :meth:`Evaluation.to_dict`.
MODEL_NAME = "trainwell"
#: Width of the table :meth:`Evaluation.__str__` draws (as wide as it needs, up to this: never cut).
TEXT_WIDTH = 200
#: How the time budget's line names the models fitted in one step, by architecture.
ONE_STEP_NAMES = {"gbdt": "boosted trees", "ease": "EASE"}
#: How the table's notes name the architectures folds trained by epochs.
ARCH_NAMES = {"tabular_mlp": "the MLP", "mlp": "the MLP", "gbdt": "boosted trees"}


@dataclass(frozen=True)
class OneStepFold:
    """A fold whose model was fitted in one step, which a time budget does not cut (boosted trees, EASE), under
    ``time_budget=`` (``evaluate --time``): no budgeted fit timed it, so the folds'
    :class:`~trainwell.evaluate.cv.FoldBudget` list has none for it, and without this the table said nothing of
    the time such folds took beside their shares (``evaluate --arch gbdt --time 10s`` printed no line on time).

    Attributes:
        fold: the fold, from 0.
        used: seconds the fold's model took, from the fold's start (reading its rows included) to fitted.
        share: the fold's share of the budget, in seconds.
        arch: the architecture fitted (``"gbdt"``, ``"ease"``).
    """

    fold: int
    used: float
    share: float
    arch: str

    def to_dict(self) -> dict[str, Any]:
        return {"fold": self.fold, "used": self.used, "share": self.share, "arch": self.arch}


@dataclass(frozen=True)
class TimeSpent:
    """Where an evaluation's time budget went (``time_budget=``, ``evaluate --time``), in seconds from the call's
    start: the table said each fold's share (13s of a 60s budget over 3 folds) and not where the rest went. A
    language model's (:func:`~trainwell.text.lm_evaluation.evaluate_language_model`) has one fit in place of the
    folds, its share the whole budget, and scoring the model on the test text after it.

    Attributes:
        budget: the whole call's budget.
        even: each fold's share were the budget split evenly among the folds (``budget / cv``).
        reading: reading the data and drawing the folds, before anything else.
        baselines: scoring the baselines (first, so that their time comes out of the folds' shares).
        training: the folds, their own reading, training and scoring included.
        after: gathering the folds' scores once they were done.
        ended: when the call ended (``time.monotonic``), for the command's own line on time
            (:func:`command_time_line`).
        processes: the processes the folds ran in side by side (``torchrun``), each fold then at most ``even``.
    """

    budget: float
    even: float
    reading: float
    baselines: float
    training: float
    after: float
    ended: float = field(default=0.0, compare=False)
    processes: int = 1

    @property
    def total(self) -> float:
        """The whole call's time."""
        return self.reading + self.baselines + self.training + self.after

    @property
    def folds(self) -> int:
        """The number of folds the budget was shared among (``budget / even``)."""
        return max(round(self.budget / self.even), 1) if self.even > 0 else 1

    @property
    def left(self) -> float:
        """What was left of the budget for the folds, once the data was read and the baselines scored."""
        return self.budget - self.reading - self.baselines

    def to_dict(self) -> dict[str, Any]:
        """The seconds each step took (``folds``: the folds' own, as ``after_folds`` what followed them), and what
        was left for the folds with its even share (``left_for_folds / k``), against which the line on time
        compares each fold's share."""
        return {
            "budget": self.budget,
            "reading": self.reading,
            "baselines": self.baselines,
            "folds": self.training,
            "after_folds": self.after,
            "total": self.total,
            "left_for_folds": self.left,
            "even_share_of_left": self.left / self.folds,
            "even_share_of_budget": self.even,
            "processes": self.processes,
        }


def time_spent(fold_seconds: float | None) -> TimeSpent | None:
    """What the call's :class:`~trainwell.evaluate.spread.FoldShare` saw (``fold_seconds``, from
    :func:`check_settings`), read now, as its call ends; ``None`` without a budget (or a plain float: no marks)."""
    from trainwell.evaluate.spread import FoldShare

    if not isinstance(fold_seconds, FoldShare) or "after folds" not in fold_seconds.marks:
        return None
    marks = fold_seconds.marks
    began, ended = fold_seconds.start, monotonic()
    return TimeSpent(
        fold_seconds.total,
        float(fold_seconds),
        reading=marks["baselines"] - began,
        baselines=marks["folds"] - marks["baselines"],
        training=marks["after folds"] - marks["folds"],
        after=ended - marks["after folds"],
        ended=ended,
        processes=fold_seconds.processes,
    )


def command_time_line(spent: TimeSpent | None, started: float) -> str | None:
    """``"the command took 1m 14s: 1m 1s evaluating (--time 1m), 8.0s reporting the results, 5.0s starting up
    and the rest"`` when ``evaluate --time`` ran clearly past its budget, judged as ``fit --time`` judges its own
    (by a tenth and 2 s); ``None`` otherwise. ``started``: when the command began (``time.monotonic``): its
    imports come before the budget starts, the table's intervals and verdicts after it ends."""
    from trainwell.callbacks.budget import OVERRUN_SLACK, OVERRUN_SLACK_S, format_duration

    if spent is None:
        return None
    now = monotonic()
    total = now - started
    if total - spent.budget <= max(OVERRUN_SLACK_S, OVERRUN_SLACK * spent.budget):
        return None
    reporting = now - spent.ended
    rest = total - spent.total - reporting
    parts = [f"{format_duration(spent.total)} evaluating (--time {format_duration(spent.budget)})"]
    if reporting >= 0.5:
        parts.append(f"{format_duration(reporting)} reporting the results")
    if rest >= 0.5:
        parts.append(f"{format_duration(rest)} starting up and the rest")
    return f"the command took {format_duration(total)}: {', '.join(parts)}"


@dataclass
class Evaluation:
    """What a cross-validation measured: the model's and each baseline's per-fold metrics on the same folds.

    Print it (or call :meth:`show`) for the table ``trainwell evaluate`` prints; read single numbers with
    :meth:`mean` and :meth:`interval`, whole summaries with :meth:`summary`, the comparisons with
    :meth:`verdicts` and :meth:`beats_baselines`; keep it with :meth:`to_dict` or :meth:`save`. Under
    ``time_budget=``, :attr:`budgets` holds what each fold's share allowed (the table says how many it cut).
    A language model's (:func:`trainwell.evaluate_language_model`) is judged on one held-out split: the same
    methods, with intervals over the test texts (``k`` is 1).

    Example:
        >>> result = trainwell.evaluate_table("train.csv", target="price", cv=5)    # doctest: +SKIP
        >>> result.mean("rmse"), result.interval("rmse")                                # doctest: +SKIP
        (3012.4, (2890.1, 3134.7))
        >>> result.mean("rmse", "HistGradientBoosting")                                 # doctest: +SKIP
        2987.0
        >>> result.beats_baselines()                                                    # doctest: +SKIP
        False
    """

    task: Task
    n_rows: int
    model: CVResult
    baselines: dict[str, CVResult]
    lrs: list[float]
    level: float = 0.95
    #: The model's out-of-fold ``(valid_index, probabilities, encoded targets)``, one per fold.
    predictions: list[tuple[np.ndarray, torch.Tensor, torch.Tensor]] = field(default_factory=list, repr=False)
    #: What was cross-validated, for the table's title (default: the task kind and the rows).
    subject: str | None = None
    #: What ``n_rows`` counts: rows, texts, images, sentences.
    unit: str = "rows"
    #: The architecture each fold used (``arch="auto"`` chooses per fold).
    archs: list[str] = field(default_factory=list)
    #: Whether each fold chose its architecture (a table's ``arch="auto"``): the table then says what
    #: "trainwell" was in every case, the MLP in every fold included.
    chose_arch: bool = False
    #: The data row each evaluated row is (counted from 1, as ``predict`` counts them), for
    #: :meth:`out_of_fold`: the indices of ``predictions`` are positions among the rows kept, and rows without a
    #: target are left out. ``None``: the rows are the data's own, in order (or have no row numbers: images).
    source_rows: np.ndarray | None = field(default=None, repr=False)
    #: What :meth:`out_of_fold`'s first column names: ``"row"`` (a table's data row) or ``"line"`` (a fastText
    #: file's line, blank lines counted, as ``predict`` numbers its answers).
    row_name: str = "row"
    #: Grouped folds (``evaluate_table(groups=)``): what the rows were grouped by (a column's name, or
    #: ``"the groups given"``) and how many groups there were; ``None``: rows were dealt to folds one by one.
    groups: tuple[str, int] | None = None
    #: Under ``time_budget=``: the folds whose model was fitted in one step, which the budget does not cut
    #: (boosted trees, EASE), in fold order; :attr:`budgets` holds the others'.
    one_step: list[OneStepFold] = field(default_factory=list)
    #: Under ``time_budget=``: where the budget went (reading, baselines, folds), for the line on time.
    spent: TimeSpent | None = None
    #: What sets the model apart from a baseline of the same kind, said after the line on the architectures (the
    #: boosted trees' early stopping against the HistGradientBoosting baseline's defaults); ``None``: nothing.
    model_note: str | None = None
    #: ``decision_threshold=`` (``evaluate --decision-threshold``), binary targets: the metric each fold chose its
    #: threshold for (``"f1"``...), or the threshold given (a number); ``None``: the model decided at 0.5.
    decision: str | float | None = None
    #: With :attr:`decision`: the threshold each fold's model decided at, in fold order (chosen on rows of the
    #: fold's training rows held out, never on the rows it was scored on).
    decision_thresholds: list[float] = field(default_factory=list)
    #: :attr:`predictions` as decided at :attr:`decision_thresholds` (:meth:`_decided`), made once: the verdicts'
    #: bootstrap is cached by the predictions' identity.
    _decided_predictions: list[Any] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The baselines are scored on the model's folds: they were drawn with its seed and stratification,
        # which the applications' baseline results did not all carry (to_dict said 0 and "not stratified").
        for result in self.baselines.values():
            if len(result.splits) == len(self.model.splits) and all(
                len(ours[1]) == len(theirs[1]) and (ours[1] == theirs[1]).all()
                for ours, theirs in zip(self.model.splits, result.splits, strict=True)
            ):
                result.seed, result.stratified = self.model.seed, self.model.stratified

    # ------------------------------------------------------------------------------------------ numbers
    @property
    def k(self) -> int:
        """The number of folds."""
        return self.model.k

    @property
    def budgets(self) -> list[FoldBudget]:
        """Under ``time_budget=``: what each fold's share allowed, in fold order (empty without a budget)."""
        return self.model.budgets

    @property
    def metrics(self) -> list[str]:
        """The model's metrics, in the table's order (per-target ones such as ``"rmse[price]"`` included)."""
        return self.model.metric_names

    @property
    def names(self) -> list[str]:
        """:data:`MODEL_NAME` (``"trainwell"``), then each baseline's name."""
        return [MODEL_NAME, *self.baselines]

    def result(self, name: str = MODEL_NAME) -> CVResult:
        """The per-fold scores of the model (``"trainwell"``) or of the baseline ``name``."""
        from trainwell.core.errors import ConfigError

        if name == MODEL_NAME:
            return self.model
        if name not in self.baselines:
            known = ", ".join(repr(known) for known in self.names)
            raise ConfigError(f"{name!r} is not a model of this evaluation; its models are: {known}")
        return self.baselines[name]

    def summary(self, name: str = MODEL_NAME) -> dict[str, MetricSummary]:
        """``{metric: MetricSummary}`` (mean, std, interval at :attr:`level`) of the model or a baseline."""
        return self.result(name).summary(self.level)

    def mean(self, metric: str, name: str = MODEL_NAME) -> float:
        """The mean over folds of ``metric`` for the model (default) or the baseline ``name``."""
        return self._metric(metric, name).mean

    def interval(self, metric: str, name: str = MODEL_NAME) -> tuple[float, float]:
        """``(low, high)``: the :attr:`level` interval of ``metric``'s mean for the model or the baseline ``name``
        (a t interval over the folds; a bootstrap over the rows for a constant baseline, as the table says)."""
        summary = self._metric(metric, name)
        return summary.low, summary.high

    def _metric(self, metric: str, name: str) -> MetricSummary:
        from trainwell.core.errors import ConfigError

        summaries = self.summary(name)
        if metric not in summaries:
            raise ConfigError(
                f"metric {metric!r} was not measured for {name}; its metrics are: {', '.join(summaries)}"
            )
        return summaries[metric]

    def verdicts(self) -> list[Verdict]:
        """How the model compares with each baseline on each metric they share (``"beats"``, ``"within"``,
        ``"worse"`` or ``"undefined"``, with a sentence each: :meth:`~trainwell.evaluate.Verdict.sentence`)."""
        from trainwell.evaluate.compare import verdicts

        found = verdicts(self.model, self.baselines, self.level, self.predictions)
        decided = self._decided()
        if decided is None:
            return found
        # The metrics of decisions (accuracy, f1...) compared as the table scores them: at each fold's threshold.
        at_threshold = {
            (verdict.metric, verdict.baseline): verdict
            for verdict in verdicts(self.model, self.baselines, self.level, decided)
            if of_decisions(verdict.metric)
        }
        return [at_threshold.get((verdict.metric, verdict.baseline), verdict) for verdict in found]

    def _decided(self) -> list[Any] | None:
        """:attr:`predictions` with each fold's probabilities moved so that 0.5 falls where its threshold is
        (``p / 2t`` below it, ``0.5 + (p - t) / 2(1 - t)`` from it: the same order, the same decisions at 0.5 as
        at ``t``), for the paired comparisons of the metrics of decisions; ``None`` without thresholds."""
        if (
            self.decision is None
            or len(self.decision_thresholds) != len(self.predictions)
            or not self.predictions
        ):
            return None
        if self._decided_predictions is None:
            self._decided_predictions = [
                (index, decided_at(preds, threshold), targets)
                for threshold, (index, preds, targets) in zip(
                    self.decision_thresholds, self.predictions, strict=True
                )
            ]
        return self._decided_predictions

    def beats_baselines(self, metric: str | None = None) -> bool:
        """Whether the model clearly beats every baseline on ``metric`` (default: on every headline metric,
        those the table warns about): each verdict is ``"beats"``. ``False`` without baselines. A baseline that
        scores below chance (its whole interval under it: no signal, or an artifact of the folds) is left out:
        beating it is no evidence, and the baselines at chance decide."""
        from trainwell.metrics.targets import split_target_key

        if metric is not None:
            self._metric(metric, MODEL_NAME)
        chosen = [
            verdict
            for verdict in self.verdicts()
            if (
                verdict.metric == metric
                if metric is not None
                else split_target_key(verdict.metric)[1] is None
            )
            and verdict.below_chance is None
        ]
        return bool(chosen) and all(verdict.outcome == "beats" for verdict in chosen)

    # ----------------------------------------------------------------------------------------- keeping
    @property
    def title_subject(self) -> str:
        """What was cross-validated, as the table's title and the repr say it: ``binary, 120 rows in 30 groups of
        'patient_id'``."""
        subject = self.subject or f"{self.task.kind}, {self.n_rows:,} {self.unit}"
        if self.groups is None:
            return subject
        by, count = self.groups
        return f"{subject} in {count:,} groups of {by}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: every model's per-fold values and summaries, the learning rates and the verdicts."""
        return {
            "task": self.task.kind,
            "rows": self.n_rows,
            "unit": self.unit,
            **({"groups": {"by": self.groups[0], "count": self.groups[1]}} if self.groups else {}),
            "level": self.level,
            MODEL_NAME: {
                **self.model.to_dict(self.level),
                "lrs": self.lrs,
                **({"archs": self.archs} if self.archs else {}),
            },
            "baselines": {name: result.to_dict(self.level) for name, result in self.baselines.items()},
            **({"time_budget": [budget.to_dict() for budget in self.budgets]} if self.budgets else {}),
            **({"time_budget_one_step": [fold.to_dict() for fold in self.one_step]} if self.one_step else {}),
            **({"time_spent": self.spent.to_dict()} if self.spent is not None else {}),
            **({"model_note": self.model_note} if self.model_note else {}),
            **(
                {"decision_threshold": self.decision_dict()}
                if self.decision is not None and self.decision_thresholds
                else {}
            ),
            "verdicts": [
                {
                    "metric": v.metric,
                    "baseline": v.baseline,
                    "outcome": v.outcome,
                    "text": v.sentence(MODEL_NAME),
                }
                for v in self.verdicts()
            ],
        }

    def decision_dict(self) -> dict[str, Any]:
        """The decision thresholds as :meth:`to_dict` keeps them: ``setting`` (the metric or the number given),
        ``per_fold`` and their ``mean``."""
        thresholds = self.decision_thresholds
        return {"setting": self.decision, "per_fold": thresholds, "mean": sum(thresholds) / len(thresholds)}

    def decision_line(self) -> str | None:
        """The line under the table on the model's decision threshold (``None`` without ``decision_threshold=``):
        ``"trainwell decides at 0.24, 0.31 and 0.27 (mean 0.273), each fold's threshold chosen for the best f1 on a
        fifth of its training rows held out, never on the rows it is scored on; the baselines decide at 0.5"``."""
        if self.decision is None or not self.decision_thresholds:
            return None
        thresholds = self.decision_thresholds
        if not isinstance(self.decision, str):
            return (
                f"{MODEL_NAME} decides at {self.decision:g} in every fold (--decision-threshold), the baselines at "
                "0.5: accuracy, f1 and the other metrics of decisions are at those; roc_auc and log_loss do not "
                "depend on them"
            )
        shown = [f"{threshold:g}" for threshold in thresholds]
        listed = ", ".join(shown[:-1]) + f" and {shown[-1]}" if len(shown) > 1 else shown[0]
        mean = sum(thresholds) / len(thresholds)
        whole = " (whole groups, as the folds keep them)" if self.groups else ""
        return (
            f"{MODEL_NAME} decides at {listed} in folds 1 to {len(thresholds)} (mean {mean:.3g}), each fold's "
            f"threshold chosen for the best {self.decision} on a fifth of its training {self.unit}{whole}, held out "
            f"from a fit on the other four fifths (as fit chooses it on its validation {self.unit}), never on the "
            f"{self.unit} it is scored on; the baselines decide at 0.5"
        )

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_dict` to ``path`` as JSON, atomically; a value that is not a finite number (a metric
        undefined in a fold, the boosted trees' learning rate) is written as ``null``."""
        from trainwell.core.atomic import write_text_atomic

        text = json.dumps(_finite(self.to_dict()), indent=2, ensure_ascii=False, allow_nan=False)
        return write_text_atomic(path, text + "\n")

    def out_of_fold(self) -> pd.DataFrame:
        """Each row's prediction by the model of the fold that held it out (what scikit-learn's
        ``cross_val_predict`` gives, for stacking or a look at the errors), in the data's order: ``row`` (the
        data row, counted from 1; ``line`` for a fastText file, its line), ``fold`` (from 1), ``actual``, then the columns ``predict`` writes
        (``prediction`` and a ``probability_<class>`` per class; a regression's value or values).

        Raises:
            ConfigError: an evaluation that kept no out-of-fold predictions (ratings of interactions, taggers and
                language models are judged on other units than rows).
        """
        import numpy as np
        import pandas as pd
        import torch

        from trainwell.core.errors import ConfigError
        from trainwell.data.tables import prediction_table

        if len(self.predictions) != self.k:
            raise ConfigError(
                f"this evaluation ({self.subject or self.task.kind}) kept no out-of-fold prediction of each "
                f"{self.unit.rstrip('s')}: out_of_fold (--oof) is for tables, texts and images"
            )
        order = np.concatenate([index for index, _, _ in self.predictions])
        folds = np.concatenate(
            [np.full(len(index), fold + 1) for fold, (index, _, _) in enumerate(self.predictions)]
        )
        values = torch.cat([preds.detach().float().cpu() for _, preds, _ in self.predictions])
        targets = torch.cat([encoded.detach().cpu() for _, _, encoded in self.predictions])
        rows = order + 1 if self.source_rows is None else np.asarray(self.source_rows)[order]
        table = pd.DataFrame({self.row_name: rows, "fold": folds})
        actual = _actual(self.task, targets)
        for name, column in actual.items():
            table[name] = column
        if self.decision is not None and len(self.decision_thresholds) == self.k:  # each fold's own threshold
            import dataclasses

            predicted = pd.concat(
                [
                    prediction_table(dataclasses.replace(self.task, threshold=threshold), preds.detach().float()
                                     .cpu(), pd.RangeIndex(len(index)))
                    for threshold, (index, preds, _) in zip(self.decision_thresholds, self.predictions, strict=True)
                ],
                ignore_index=True,
            )  # fmt: skip
        else:
            predicted = prediction_table(self.task, values, pd.RangeIndex(len(order)))
        table = pd.concat([table, predicted], axis=1)
        return table.sort_values(self.row_name, kind="stable").reset_index(drop=True)

    # ---------------------------------------------------------------------------------------- showing
    def show(self, console: Any = None) -> None:
        """Print the table ``trainwell evaluate`` prints (to ``console``, a ``rich`` Console; default: standard
        output), then a warning line for each baseline the model does not clearly beat."""
        from rich.console import Console

        self._render(console or Console())

    def __str__(self) -> str:
        from rich.console import Console

        text = io.StringIO()
        self._render(
            Console(file=text, width=TEXT_WIDTH, color_system=None, force_terminal=False, force_jupyter=False)
        )
        return text.getvalue()

    def _render(self, console: Any) -> None:
        """Print what :meth:`show` prints (an evaluation of another design prints its own table)."""
        render_folds(self, console)

    def __repr__(self) -> str:
        headline = self.metrics[0] if self.metrics else None
        figures = ""
        if headline is not None:
            parts = [
                f"{name} {figure(self.mean(headline, name))}"
                for name in self.names
                if headline in self.summary(name)
            ]
            figures = f"; {headline}: " + ", ".join(parts)
        return f"<Evaluation {self.k}-fold cross-validation of {self.title_subject}{figures}>"


def _actual(task: Task, targets: torch.Tensor) -> dict[str, list[Any]]:
    """The encoded ``targets`` as the data held them: ``actual`` (a class; a multi-label row's labels joined as
    ``predict`` joins them; a number), or ``<name>_actual`` for each of several regression targets."""
    matrix = targets.reshape(len(targets), -1)
    if task.kind == "regression":
        names = list(task.target_names) or ["actual"]
        if len(names) == 1:
            return {"actual": matrix[:, 0].tolist()}
        return {f"{name}_actual": matrix[:, position].tolist() for position, name in enumerate(names)}
    if task.kind == "multilabel":
        delim = task.label_delim or ";"
        return {
            "actual": [
                delim.join(str(label) for label, on in zip(task.classes, row, strict=True) if on > 0.5)
                for row in matrix.tolist()
            ]
        }
    return {"actual": [task.classes[int(code)] for code in matrix[:, 0].tolist()]}


def _finite(value: Any) -> Any:
    """``value`` with every float that is not finite replaced by ``None`` (JSON has no ``NaN``)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def check_settings(
    cv: Any = None, epochs: int | None = None, time_budget: float | str | None = None
) -> float | None:
    """Refuse the settings of an ``evaluate_*`` call before any data is read or fold trained: ``cv`` that is not
    a number of folds of at least 2, ``epochs`` below 1, a ``time_budget`` that is not a duration. Returns each
    fold's share of the budget in seconds (``None``: no budget), a :class:`~trainwell.evaluate.spread.FoldShare`
    that keeps the call's deadline: the time reading the data and scoring the baselines takes comes out of the
    folds' shares, so that the whole call ends near its budget."""
    from trainwell.core.errors import ConfigError
    from trainwell.evaluate.cv import check_fold_count

    if cv is not None:
        check_fold_count(cv, "cv")
    if epochs is not None and epochs < 1:
        raise ConfigError.worded(
            lambda say: (
                f"{say('epochs')} must be at least 1, got {epochs}; pass e.g. {say('epochs', 5)} or leave "
                "it out"
            )
        )
    if time_budget is None:
        return None
    from trainwell.callbacks.budget import DURATION_EXAMPLES, parse_duration

    try:
        seconds = parse_duration(time_budget)
    except ConfigError:
        raise ConfigError.worded(
            lambda say: (
                f"{say('time_budget')} {time_budget!r} is not a duration longer than zero; write e.g. "
                f"{DURATION_EXAMPLES} (a bare number is seconds)"
            )
        ) from None
    from trainwell.evaluate.spread import FoldShare

    return FoldShare.of(seconds, cv if cv is not None else 1)


def decided_at(preds: torch.Tensor, threshold: float) -> torch.Tensor:
    """Binary probabilities moved so that 0.5 falls where ``threshold`` is (``p / 2t`` below it, ``0.5 + (p - t) /
    2(1 - t)`` from it): the same order, and at 0.5 the decisions made at ``threshold``, for the functions that
    score decisions at 0.5 (the paired bootstraps of the verdicts, a search's gain check)."""
    import torch

    p = preds.detach().double()
    under = float(
        torch.nextafter(torch.tensor(0.5, dtype=torch.float64), torch.tensor(0.0, dtype=torch.float64))
    )
    below = torch.clamp(p * (0.5 / threshold), max=under)
    above = torch.clamp(0.5 + (p - threshold) * (0.5 / (1 - threshold)), min=0.5)
    return torch.where(p >= threshold, above, below)


def of_decisions(metric: str) -> bool:
    """Whether ``metric`` (``"f1"``; ``"rmse[price]"``) is one of decisions, whose function takes a threshold."""
    import inspect

    from trainwell.metrics import functional
    from trainwell.metrics.targets import split_target_key

    function = getattr(functional, split_target_key(metric)[0], None)
    return function is not None and "threshold" in inspect.signature(function).parameters


def decided_scores(
    preds: torch.Tensor,
    targets: torch.Tensor,
    task: Task,
    metric_names: Sequence[str],
    threshold: float | None = None,
) -> dict[str, float]:
    """:func:`~trainwell.evaluate.score` of one fold's model, its metrics of decisions (accuracy, f1, mcc...: those
    whose function takes a ``threshold``) at ``threshold`` (``None``: 0.5, as :func:`score`)."""

    from trainwell.evaluate import score
    from trainwell.metrics import functional

    values = score(preds, targets, task.kind, metric_names, task.target_names)
    if threshold is None:
        return values
    for name in metric_names:
        if of_decisions(name):
            values[name] = float(getattr(functional, name)(preds, targets, task.kind, threshold))
    return values


def held_out_threshold(preds: torch.Tensor, targets: torch.Tensor, metric: str) -> float:
    """The threshold of best ``metric`` on a fold model's predictions ``preds`` for training rows it held out, as
    ``fit --decision-threshold`` chooses it on its validation rows (to 3 significant digits); 0.5 where those rows
    hold one class."""
    from trainwell.learner.decision_threshold import best_threshold

    return float(
        f"{best_threshold(preds.detach().float().cpu().reshape(-1), targets.detach().float().cpu().reshape(-1), metric)[0]:.3g}"
    )


def inner_order(
    train: np.ndarray, seed: int, groups: np.ndarray | None = None, share: float = 0.2
) -> tuple[np.ndarray, int]:
    """A fold's training rows ``train`` shuffled with ``seed``, and how many of the first are held out inside it
    (``share`` of them, at least one): the rows a fold chooses its decision threshold, its kept epoch or its
    architecture on. With ``groups`` (each row's group, indexed as ``train`` indexes rows: grouped folds) the held-out
    rows are whole groups, as the outer folds are, their count nearest ``share`` of the rows with at least one group
    on each side: rows of one group on both sides would flatter what is chosen on them. Training rows of a single
    group cannot be split so: they are split row by row."""
    import numpy as np

    order = np.random.default_rng(seed).permutation(train)
    n_inner = max(1, round(len(order) * share))
    if groups is None or len(order) < 2:
        return order, n_inner
    import pandas as pd

    codes, uniques = pd.factorize(pd.Series(np.asarray(groups, dtype=object)[order]), use_na_sentinel=False)
    if len(uniques) < 2:
        return order, n_inner
    # The groups in the order their first row was shuffled to (a seeded shuffle of the groups), held out first
    # until their rows come nearest the share, one group at least left to train on.
    held_rows = np.cumsum(np.bincount(codes, minlength=len(uniques)))[:-1]
    n_groups = int(np.argmin(np.abs(held_rows - n_inner))) + 1
    held = codes < n_groups
    return np.concatenate([order[held], order[~held]]), int(held.sum())


def inner_rows(
    train: np.ndarray, seed: int, groups: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A fold's training rows split as a fit splits its rows, four fifths to train on and a fifth held out
    (shuffled with ``seed``; with ``groups``, whole groups: :func:`inner_order`), on which a fold's decision
    threshold is chosen."""
    order, n_inner = inner_order(train, seed, groups)
    return order[n_inner:], order[:n_inner]


def render(evaluation: Evaluation, console: Any) -> None:
    """Print what :meth:`Evaluation.show` prints: the comparison table, then a warning line for each baseline the
    model does not clearly beat."""
    evaluation._render(console)


def render_folds(evaluation: Evaluation, console: Any) -> None:
    """Print the cross-validation's table, then a warning line for each baseline the model does not clearly
    beat."""
    from rich.table import Table
    from rich.text import Text

    from trainwell.core.fitting_tables import print_fitting

    level = round(evaluation.level * 100)
    model = evaluation.model.summary(evaluation.level)
    title = f"{evaluation.model.k}-fold cross-validation ({evaluation.title_subject})"
    caption = (
        f"mean ± std over folds; \\[low, high]: {level}% t interval of the mean, its variance corrected for "
        "folds that share training rows (Nadeau-Bengio)"
    )
    k, partial = evaluation.model.k, False
    # Per metric, per model (trainwell first): its figure (the model's mean ± std), interval and "(n of k folds)"
    figures: dict[str, list[tuple[str, str, str, str]]] = {}
    for metric, summary in model.items():
        # a mean, its spread and its bounds in one form: 9,950,000 beside [0.981e7, 1.009e7] would read as two
        like = _largest(summary.mean, summary.low, summary.high)
        shown = [
            (
                MODEL_NAME,
                f"{figure(summary.mean, like=like)} ± {figure(summary.std, like=like)}",
                f"[{figure(summary.low, like=like)}, {figure(summary.high, like=like)}]",
                summary.of_folds(k),
            )
        ]
        for name, result in evaluation.baselines.items():
            other = result.summary(evaluation.level)[metric]
            like = _largest(other.mean, other.low, other.high)
            low, high = (figure(bound, like=like) for bound in (other.low, other.high))
            shown.append((name, figure(other.mean, like=like), f"[{low}, {high}]", other.of_folds(k)))
        partial = partial or any(folds for *_, folds in shown)
        figures[metric] = shown

    def wide() -> Table:
        """A row per metric, a column per model: the model's mean ± std and interval, each baseline's mean and
        interval."""
        table = Table(title=title, caption=caption)
        table.add_column("metric", no_wrap=True)
        table.add_column(f"{MODEL_NAME} mean ± std", justify="right")
        table.add_column(f"{MODEL_NAME} {level}% CI", justify="right")
        for name in evaluation.baselines:
            table.add_column(name, justify="right")
        for metric, shown in figures.items():
            (_, spread, interval, folds), *others = shown
            # Text, not markup: "rmse[price]" would read as a style tag
            cells: list[Any] = [Text(metric), f"{spread}{folds}", interval]
            cells += [f"{mean} {bounds}{folds}" for _, mean, bounds, folds in others]
            table.add_row(*cells)
        return table

    def long() -> Table:
        """Where the wide table is wider than the terminal: a row per metric and model, so that the table grows
        down with the baselines, not across, and no figure or interval breaks within its cell."""
        table = Table(title=title, caption=caption)
        table.add_column("metric", no_wrap=True)
        table.add_column("model")
        table.add_column("mean (± std)", justify="right", no_wrap=True)
        table.add_column(f"{level}% CI", justify="right", no_wrap=True)
        for metric, shown in figures.items():
            for at, (name, mean, bounds, folds) in enumerate(shown):
                table.add_row(
                    Text(metric if at == 0 else ""),
                    Text(name),
                    f"{mean}{folds}",
                    bounds,
                    end_section=at == len(shown) - 1,
                )
        return table

    print_fitting(console, wide(), long)
    if partial:
        console.print(
            "(n of k folds): the metric was undefined in the other folds (e.g. precision where nothing was "
            "predicted positive), so its mean is over the folds that define it",
            soft_wrap=True,
        )
    from trainwell.evaluate.baselines import row_interval_note

    note = row_interval_note(evaluation.baselines, evaluation.level)
    if note:
        console.print(Text(note), soft_wrap=True)
    # With --arch auto it is said whichever won the folds: when the MLP won them all, nothing said which model
    # "trainwell" had been (the line came only when trees won a fold).
    chose = evaluation.chose_arch and bool(evaluation.archs)
    if chose or len(set(evaluation.archs)) > 1 or "gbdt" in evaluation.archs:
        counts = {name: evaluation.archs.count(name) for name in dict.fromkeys(evaluation.archs)}
        names = ARCH_NAMES
        console.print(
            f"{MODEL_NAME} here is "
            + ", ".join(
                f"{names.get(name, name)} in {n} of {len(evaluation.archs)} folds"
                for name, n in counts.items()
            )
            + (" (each fold chose as fit --arch auto does)" if chose or len(counts) > 1 else "")
            + (f"; its trees are {evaluation.model_note}" if evaluation.model_note else ""),
            soft_wrap=True,
        )
    decided = evaluation.decision_line()
    if decided is not None:
        console.print(decided, soft_wrap=True, markup=False, highlight=False)
    if evaluation.budgets or evaluation.one_step:
        console.print(
            budget_line(
                evaluation.budgets, evaluation.k, evaluation.one_step, evaluation.spent, evaluation.archs
            ),
            soft_wrap=True,
            markup=False,
        )
    if evaluation.task.kind == "multilabel":
        console.print(
            "multi-label: every model here decides each label at 0.5, so accuracy and f1 compare like with like; "
            "trainwell fit then chooses each label's threshold on its validation rows (its f1_tuned, scored on rows "
            "the thresholds were not chosen on, is often higher, not always). "
            "roc_auc does not depend on thresholds.",
            soft_wrap=True,
        )
    from trainwell.evaluate.heldout import HeldOutResult

    if evaluation.model.k == 2 and not isinstance(evaluation.model, HeldOutResult):
        from scipy import stats

        t = float(stats.t.ppf((1 + evaluation.level) / 2, df=1))
        console.print(
            f"note: over 2 folds each t interval rests on 1 degree of freedom (t = {t:.1f} for "
            f"{evaluation.level:.0%}), too wide to tell models apart fold by fold (comparisons bootstrapped over "
            "the validation rows still can); use --cv 5 (the default) or more",
            soft_wrap=True,
            markup=False,
        )
    from trainwell.evaluate.compare import verdict_lines
    from trainwell.metrics.targets import split_target_key

    # Headline metrics only: with several targets, one line per target and baseline drowns the message (the
    # table above shows every target's figures; to_dict keeps every verdict). One line per baseline.
    headline = [verdict for verdict in evaluation.verdicts() if split_target_key(verdict.metric)[1] is None]
    for kind, line in verdict_lines(headline, MODEL_NAME):
        # Text, not markup: the sentence holds brackets that rich would read as style tags.
        style = "yellow" if kind == "warning" else "cyan"
        console.print(Text.assemble((f"{kind}:", style), " ", line), soft_wrap=True)


def budget_line(
    budgets: list[FoldBudget],
    k: int | None = None,
    one_step: Sequence[OneStepFold] = (),
    spent: TimeSpent | None = None,
    archs: Sequence[str] = (),
) -> str:
    """One sentence on what a time budget shared over folds allowed, every figure of it one that adds up: what
    came before the folds (``spent``: reading the data, the baselines), what the folds shared and how each
    share compares with an even share of the same time, how many the budget cut short, and the whole call's time
    when it ran past the budget (:func:`spent_clauses`). ``k``: the evaluation's folds; ``one_step``: the folds
    fitted in one step that no budget cuts (boosted trees, EASE), said with their time apart from the folds
    trained by epochs (:func:`one_step_clause`); ``archs``: each fold's architecture, to name the others.

    ``evaluate photos/ --cv 5 --time 60s`` said "its share of the 41s left, 7.7s to 8.1s (an even split: 12s
    each)", the 12s being the whole minute's fifth; and with four folds of trees "the budget cut 0 of the 1 fold
    trained by epochs short". It now says "the 5 folds shared the 41s left, 7.7s to 8.1s each (8.2s an even
    share)" and "boosted trees fitted folds 1 to 4 in one step ...: 3.0s in all; fold 5 (the MLP) was given 52s
    and used 20s"."""
    from trainwell.callbacks.budget import format_duration

    before, overrun = spent_clauses(spent)
    head = f"time budget {format_duration(spent.budget)}: {before}" if spent is not None else "time budget: "
    if not budgets:
        return f"{head}{one_step_clause(one_step, alone=True)}{overrun}"
    if one_step:
        line = f"{head}{one_step_clause(one_step, alone=False)}; {_by_epochs_clause(budgets, archs)}"
    else:
        line = f"{head}{_shares_clause(budgets, k, spent)}{_cut_clause(budgets, k)}"
    barely = [budget.epochs for budget in budgets if budget.epochs is not None and budget.epochs < 1]
    if barely:  # California housing, --time 30s over 5 folds: 0.1 of 5 epochs, printed as a fair comparison
        line += (
            f"; {len(barely)} fold{'s' if len(barely) != 1 else ''} trained less than one epoch (as little as "
            f"{min(barely):.1f}): trainwell's scores here are a barely trained model's, not what it does given "
            "time: give more --time"
        )
    return line + overrun


def spent_clauses(spent: TimeSpent | None) -> tuple[str, str]:
    """What came before the folds (``"2.1s reading the data and 7.0s scoring the baselines; "``) and, when the
    call ran clearly past its budget (by a tenth and 2 s, as ``fit --time`` judges it), its time and where it went
    (``"; the call took 1m 3s, 3.0s past the budget: the folds took 54s, their own reading and scoring
    included"``); empty strings without ``spent``. ``evaluate rt_polarity/ --cv 3 --time 60s`` said shares of
    10s to 14s and not why."""
    from trainwell.callbacks.budget import OVERRUN_SLACK, OVERRUN_SLACK_S, format_duration

    if spent is None:
        return "", ""
    before = f"{format_duration(spent.reading)} reading the data"
    if spent.baselines >= 0.05:
        before += f" and {format_duration(spent.baselines)} scoring the baselines"
    over = spent.total - spent.budget
    overrun = ""
    if over > max(OVERRUN_SLACK_S, OVERRUN_SLACK * spent.budget):
        after = f", and {format_duration(spent.after)} after them" if spent.after >= 0.5 else ""
        overrun = (
            f"; the call took {format_duration(spent.total)}, {format_duration(over)} past the budget: the folds "
            f"took {format_duration(spent.training)}, their own reading and scoring included{after}"
        )
    return f"{before}; ", overrun


def _shares_clause(budgets: Sequence[FoldBudget], k: int | None, spent: TimeSpent | None) -> str:
    """What the folds shared: ``"the 3 folds shared the 49s left, 16s to 17s each (16s an even share)"``, the
    even share being of the same time (the time left over ``k``), so that the figures add up; ``"each fold trained
    within its share, 16s to 17s"`` without ``spent``; the floor (:attr:`FoldShare.FLOOR
    <trainwell.evaluate.spread.FoldShare.FLOOR>`) where the budget was spent before the folds; and under
    ``torchrun``, the folds side by side, each at most an even share of the whole budget."""
    from trainwell.callbacks.budget import format_duration

    seconds = [budget.seconds for budget in budgets]
    shares = _seconds_range(seconds)
    if spent is None:
        if shares != format_duration(seconds[0]):
            shares += " (what was left, shared among the folds still to run)"
        return f"each fold trained within its share, {shares}"
    from trainwell.evaluate.spread import FoldShare

    folds = k if k is not None else spent.folds
    whole = format_duration(spent.even)
    left = spent.left
    if spent.processes > 1:
        most = "" if shares == whole else f"at most {whole}, "
        return (
            f"the {folds} folds ran side by side in {spent.processes} processes, each within {shares} ({most}an even "
            "share of the whole budget)"
        )
    if left / spent.folds < FoldShare.FLOOR * spent.even:
        return (
            f"only {format_duration(max(left, 0.0))} was left for the {folds} folds, so each was kept {shares} "
            f"({FoldShare.FLOOR:.0%} of {whole}, an even share of the whole budget) and the call ran late rather "
            "than train them less"
        )
    even = format_duration(left / spent.folds)
    compared = f" ({even} an even share)" if shares != even else ""
    return f"the {folds} folds shared the {format_duration(left)} left, {shares} each{compared}"


def _cut_clause(budgets: Sequence[FoldBudget], k: int | None) -> str:
    """How many folds the budget cut short, and the first such fold's summary (else the first fold's): ``"; the
    budget cut 2 of the 3 folds short (fold 1: ...)"``, ``"; no fold was cut short (fold 1: ...)"``."""
    cut = [budget for budget in budgets if budget.shortened]
    shown = (cut or budgets)[0]
    planned = len(budgets)
    which = f"{planned} fold{'s' if planned != 1 else ''}"
    if k is not None and planned < k:  # "cut 1 of the 1 folds short" in a 3-fold run read as a wrong sum
        which += f" trained by epochs (the other {k - planned} in one step)"
    said = f"fold {shown.fold + 1}: {shown.summary}"
    if not cut:
        return f"; {'no fold' if planned != 1 else 'the fold'} was cut short ({said})"
    if planned == 1:
        return f"; the budget cut it short ({said})"
    if len(cut) == planned and planned == k:
        return f"; the budget cut {'both' if planned == 2 else f'all {planned}'} folds short ({said})"
    return f"; the budget cut {len(cut)} of the {which} short ({said})"


def _by_epochs_clause(budgets: Sequence[FoldBudget], archs: Sequence[str]) -> str:
    """The folds trained by epochs beside folds fitted in one step: ``"fold 5 (the MLP) was given 52s and used
    20s, not cut short"``; several: ``"folds 2 and 4 (the MLP) were given 16s to 20s each and used 9.0s to 20s;
    the budget cut 1 of them short (fold 2: ...)"``. Each share is what was left when the fold began, shared
    among the folds still to run, so a fold after quick trees is given their unused time."""

    numbers = [budget.fold for budget in budgets]
    named = list(dict.fromkeys(archs[number] for number in numbers if number < len(archs)))
    what = f" ({' and '.join(ARCH_NAMES.get(arch, arch) for arch in named)})" if named else ""
    given = _seconds_range([budget.seconds for budget in budgets])
    used = _seconds_range([budget.used for budget in budgets])
    cut = [budget for budget in budgets if budget.shortened]
    if len(budgets) == 1:
        (budget,) = budgets
        said = f"the budget cut it short: {budget.summary}" if budget.shortened else "not cut short"
        return f"fold {budget.fold + 1}{what} was given {given} and used {used}, {said}"
    shown = (cut or list(budgets))[0]
    said = (
        f"the budget cut {len(cut)} of them short" if cut else "none was cut short"
    ) + f" (fold {shown.fold + 1}: {shown.summary})"
    return f"{_fold_list(numbers)}{what} were given {given} each and used {used}; {said}"


def _fold_list(numbers: Sequence[int]) -> str:
    """``"folds 1 to 4"``, ``"folds 2 and 4"``, ``"folds 1, 3 and 5"``, ``"fold 2"`` (numbers from 0, said from
    1)."""
    said = [number + 1 for number in numbers]
    if len(said) == 1:
        return f"fold {said[0]}"
    if len(said) > 2 and said == list(range(said[0], said[-1] + 1)):
        return f"folds {said[0]} to {said[-1]}"
    return f"folds {', '.join(str(number) for number in said[:-1])} and {said[-1]}"


def one_step_clause(one_step: Sequence[OneStepFold], *, alone: bool) -> str:
    """What the folds fitted in one step took, which a time budget does not cut: ``"boosted trees fitted all 3
    folds in one step, which --time does not cut: 12s in all (each fold's share was 3.0s)"`` (``alone``: every
    fold was); else ``"boosted trees fitted folds 1 to 4 in one step, which --time does not cut: 3.0s in all"``.
    Without it, ``evaluate --arch gbdt --time 10s`` said nothing of time, and a share overrun by trees read as
    kept to."""
    from trainwell.callbacks.budget import format_duration

    n = len(one_step)
    archs = list(dict.fromkeys(fold.arch for fold in one_step))
    name = " and ".join(ONE_STEP_NAMES.get(arch, arch) for arch in archs)
    took = format_duration(sum(fold.used for fold in one_step))
    if not alone:
        which = _fold_list([fold.fold for fold in one_step])
        return f"{name} fitted {which} in one step, which --time does not cut: {took} in all"
    which = "the 1 fold" if n == 1 else "both folds" if n == 2 else f"all {n} folds"
    shares = [fold.share for fold in one_step]
    share = (
        f"{'the' if n == 1 else 'each'} fold's share was {format_duration(shares[0])}"
        if len({format_duration(seconds) for seconds in shares}) == 1
        else f"the folds' shares were {_seconds_range(shares)}"
    )
    return f"{name} fitted {which} in one step, which --time does not cut: {took} in all ({share})"


def _seconds_range(seconds: Sequence[float]) -> str:
    """``"3s"``, or ``"2s to 4s"`` when the durations differ as printed."""
    from trainwell.callbacks.budget import format_duration

    low, high = format_duration(min(seconds)), format_duration(max(seconds))
    return low if low == high else f"{low} to {high}"


def _largest(*values: float) -> float:
    """The largest size among ``values`` that are numbers (NaN where no interval exists is left out): the size
    that sets the form of all of them (:func:`~trainwell.core.numbers.figure`'s ``like``)."""
    import math

    sizes = [abs(value) for value in values if math.isfinite(value)]
    return max(sizes) if sizes else math.nan
