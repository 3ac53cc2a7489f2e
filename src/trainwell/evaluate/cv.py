"""K-fold cross-validation, generic over applications: you bring a function that trains on some rows and
scores others; this module draws the folds and summarises the scores with intervals.

Folds come from scikit-learn (``StratifiedKFold`` for classes, ``KFold`` otherwise), shuffled from ``seed``.
Grouped folds (``groups=``: a patient's rows, a user's sessions) keep every group in one fold, so no fold is
scored on a group it trained on: ``StratifiedGroupKFold`` for classes, else the groups dealt, largest first, to
the fold with the fewest rows (:func:`group_fold_indices`).
Applications supply the fold function (the tabular one builds ``tabular_data(df, target, splits=...)``, so the
preprocessing is fitted on each fold's training rows only). Tables, texts and CSVs of images read their groups
through :func:`row_groups`, so each refuses a missing column or a row without a group in the same words.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from trainwell.core.errors import ConfigError, DataError, Spelling
from trainwell.evaluate.intervals import mean_ci
from trainwell.metrics.registry import metric_bounds

if TYPE_CHECKING:
    import pandas as pd
    import torch

    from trainwell.evaluate._resampled import ResampledFn

#: ``fit_fold(train_index, valid_index, fold) -> {metric name: value}``.
FoldFn = Callable[[np.ndarray, np.ndarray, int], dict[str, float]]


@dataclass(frozen=True)
class FoldVerdict:
    """What a check of one fold's trained model found (a text classifier at chance), to be said once for all the
    folds (``3 of 5 folds ...``) instead of once a fold: the check keeps it with :func:`keep_fold_verdict`, and
    the cross-validation says the verdicts of its folds with :func:`say_fold_verdicts`.

    Attributes:
        summarise: turns every fold's verdicts of one kind (those with this ``summarise``) into the one warning
            said, or ``None``; a module-level function, so that a verdict travels between processes
            (``torchrun``) by pickle.
        details: what ``summarise`` reads of this fold (plain values).
    """

    summarise: Callable[[list[FoldVerdict]], Warning | None]
    details: dict[str, Any]


#: The verdicts kept while a cross-validation's fold trains (:func:`judging_fold`); ``None`` outside one.
_FOLD_VERDICTS: ContextVar[list[FoldVerdict] | None] = ContextVar("trainwell_fold_verdicts", default=None)


@contextlib.contextmanager
def judging_fold() -> Iterator[list[FoldVerdict]]:
    """Inside, while one fold trains, the verdicts the checks of its model keep (:func:`keep_fold_verdict`)
    gather in the list yielded, instead of being warned of then."""
    verdicts: list[FoldVerdict] = []
    token = _FOLD_VERDICTS.set(verdicts)
    try:
        yield verdicts
    finally:
        _FOLD_VERDICTS.reset(token)


def keep_fold_verdict(verdict: FoldVerdict) -> bool:
    """Keep ``verdict`` for the cross-validation whose fold is training, and say so (``True``); ``False`` outside
    a fold, where the check warns as it always did."""
    kept = _FOLD_VERDICTS.get()
    if kept is None:
        return False
    kept.append(verdict)
    return True


def say_fold_verdicts(verdicts: Sequence[FoldVerdict]) -> None:
    """Warn once per kind of verdict, of all the folds' verdicts of it (in fold order)."""
    from trainwell.core.warn import warn

    kinds: dict[Callable[[list[FoldVerdict]], Warning | None], list[FoldVerdict]] = {}
    for verdict in verdicts:
        kinds.setdefault(verdict.summarise, []).append(verdict)
    for summarise, theirs in kinds.items():
        said = summarise(theirs)
        if said is not None:
            warn(said)


@dataclass(frozen=True)
class MetricSummary:
    """One metric over the folds: mean, sample standard deviation and a t interval of the mean, over the
    ``n_folds`` folds where it was defined (``None``: not counted). The t interval's variance is corrected for
    folds that share training rows (Nadeau and Bengio, :func:`~trainwell.evaluate.intervals.mean_ci`); it is an
    interval of the expected score of the training procedure on a fold's share of the rows.

    With ``n_rows`` set, ``low`` and ``high`` are instead a percentile bootstrap interval over that many
    validation rows, resampled within each fold (:class:`RowBootstrapCVResult`); with ``over`` set, a bootstrap
    over what it says, such as ``"20 test texts"`` (:class:`~trainwell.evaluate.heldout.HeldOutResult`).
    """

    mean: float
    std: float
    low: float
    high: float
    level: float = 0.95
    n_folds: int | None = None
    n_rows: int | None = None
    over: str | None = None

    def to_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "mean": self.mean,
            "std": self.std,
            "low": self.low,
            "high": self.high,
            "level": self.level,
        }
        if self.n_folds is not None:
            row["n_folds"] = self.n_folds
        if self.n_rows is not None:
            row["n_rows"] = self.n_rows
        if self.over is not None:
            row["over"] = self.over
        return row

    def of_folds(self, k: int) -> str:
        """`` (2 of 3 folds)`` when the metric was undefined in some of the ``k`` folds, else nothing."""
        return f" ({self.n_folds} of {k} folds)" if self.n_folds is not None and self.n_folds < k else ""


@dataclass(frozen=True)
class FoldBudget:
    """What a fold's share of an evaluation's time budget allowed (``time_budget=``, ``evaluate --time``).

    Attributes:
        fold: the fold, from 0.
        seconds: its share of the budget.
        used: seconds its fits took.
        shortened: the budget cut its training short (fewer epochs than planned, the schedule fitted to them).
        summary: what the budget did, in a sentence (:meth:`~trainwell.callbacks.TimeBudget.summary`).
        epochs: the epochs' worth of batches its fit trained (the fewest of its fits'), when known.
    """

    fold: int
    seconds: float
    used: float
    shortened: bool
    summary: str
    epochs: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class CVResult:
    """Per-fold metrics of one model, with the folds they came from.

    Attributes:
        folds: one ``{metric: value}`` per fold, in fold order.
        splits: the ``(train_index, valid_index)`` of each fold.
        seed: the seed the folds were drawn with.
        stratified: whether the folds keep the class ratios.
        budgets: under a time budget, what each fold's share allowed, in fold order (a fold that trained
            nothing the budget could cut, such as boosted trees, has none).
    """

    folds: list[dict[str, float]]
    splits: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list, repr=False)
    seed: int = 0
    stratified: bool = False
    budgets: list[FoldBudget] = field(default_factory=list, repr=False)

    @property
    def k(self) -> int:
        return len(self.folds)

    @property
    def metric_names(self) -> list[str]:
        return list(self.folds[0]) if self.folds else []

    def values(self, metric: str) -> np.ndarray:
        """The metric's value in each fold (``nan`` where a fold did not report it)."""
        return np.array([fold.get(metric, np.nan) for fold in self.folds], dtype=np.float64)

    def test_share(self) -> float | None:
        """Validation rows over training rows, averaged over the folds (``1 / (k - 1)`` for k-fold), the
        correction :func:`~trainwell.evaluate.intervals.mean_ci` makes for folds that share training rows;
        ``None`` without the splits (the folds then taken as independent)."""
        if len(self.splits) != self.k or not self.splits:
            return None
        shares = [len(valid) / len(train) for train, valid in self.splits if len(train)]
        return float(np.mean(shares)) if len(shares) == self.k else None

    def summary(self, level: float = 0.95) -> dict[str, MetricSummary]:
        """Mean, std and t interval (over folds, its variance corrected for the folds' shared training rows:
        :meth:`test_share`) of every metric."""
        summaries = {}
        test_share = self.test_share()
        for name in self.metric_names:
            values = self.values(name)
            mean, std, low, high = mean_ci(values, level, test_share)
            floor, ceiling = metric_bounds(name)  # a t interval of a mean accuracy may reach past 1
            defined = int(
                (~np.isnan(values)).sum()
            )  # a fold where it is undefined (no entity predicted) is left out
            summaries[name] = MetricSummary(mean, std, max(low, floor), min(high, ceiling), level, defined)
        return summaries

    def to_dict(self, level: float = 0.95) -> dict[str, Any]:
        """JSON-ready: the per-fold values and each metric's summary."""
        return {
            "k": self.k,
            "seed": self.seed,
            "stratified": self.stratified,
            "folds": [dict(fold) for fold in self.folds],
            "summary": {name: s.to_dict() for name, s in self.summary(level).items()},
        }


#: A fold's out-of-fold predictions: ``(valid row indices, activated predictions, encoded targets)``.
OutOfFold = tuple[np.ndarray, "torch.Tensor", "torch.Tensor"]


@dataclass
class RowBootstrapCVResult(CVResult):
    """Per-fold metrics of a constant predictor (majority class, label priors, training mean), with intervals
    from its validation rows rather than from its few fold scores.

    A constant predictor's folds differ only by what the majority of each fold's training rows happens to be.
    On balanced classes with 3 folds its F1 was 0 in one fold and 0.65 in the others, and a t interval over those
    three numbers (t = 4.3 with 2 degrees of freedom) spanned [0, 1]: it measured the coin, not the baseline,
    and no comparison could use it. Here the mean is still the mean of the fold scores, and its interval is a
    bootstrap over each fold's validation rows (:func:`~trainwell.evaluate.intervals.folds_bootstrap_ci`),
    whatever the number of folds; ``std`` is still the spread of the fold scores. Except where the answer itself
    changed between folds (:meth:`answer_changed`): a bootstrap within each fold keeps each fold's answer, and
    was falsely tight around a mean no fold scored, so the interval is then the t interval over the fold scores,
    wide as the coin is (the comparisons with the model stay paired over rows).

    Attributes:
        out_of_fold: each fold's ``(valid_index, predictions, targets)``, in fold order.
        task: the task kind the predictions are scored as.
        target_names: names of several regression targets (for per-target metrics such as ``"rmse[price]"``).
        n_boot: bootstrap resamples of each interval (500: an AUC on 30,000 rows costs about half a
            millisecond, and every resample scores every fold).
    """

    out_of_fold: list[OutOfFold] = field(default_factory=list, repr=False)
    task: str = "binary"
    target_names: tuple[str, ...] = ()
    n_boot: int = 500
    _summaries: dict[float, dict[str, MetricSummary]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _paired: dict[tuple[str, float, tuple[int, ...]], tuple[tuple[OutOfFold, ...], MetricSummary | None]] = (
        field(default_factory=dict, init=False, repr=False, compare=False)
    )

    @property
    def n_rows(self) -> int:
        return sum(len(part[0]) for part in self.out_of_fold)

    def summary(self, level: float = 0.95) -> dict[str, MetricSummary]:
        """Each metric's mean over folds with its bootstrap interval over rows (computed once per level); the t
        interval over folds where the answer changed between folds (:meth:`answer_changed`)."""
        if len(self.out_of_fold) != self.k:
            return super().summary(level)
        if level not in self._summaries:
            from trainwell.evaluate.intervals import folds_bootstrap_ci

            over_folds = super().summary(level)
            if self.answer_changed():  # a t interval over the fold scores, clipped to the metric's range
                self._summaries[level] = over_folds
                return self._summaries[level]
            parts = [(preds, targets) for _, preds, targets in self.out_of_fold]
            found = {}
            for name in self.metric_names:
                point, low, high = folds_bootstrap_ci(
                    self.metric_fn(name),
                    parts,
                    n_boot=self.n_boot,
                    level=level,
                    seed=self.seed,
                    resampled_fn=self.resampled_fn(name),
                )
                fold = over_folds[name]
                found[name] = MetricSummary(point, fold.std, low, high, level, fold.n_folds, self.n_rows)
            self._summaries[level] = found
        return self._summaries[level]

    def answers(self) -> list[Any]:
        """The constant answer of each fold, in fold order: a class's index, a multi-label row's labels (a tuple
        of on/off), as the metrics decide at 0.5; empty for a regression's mean, which is no choice of class."""
        if self.task == "regression":
            return []
        found: list[Any] = []
        for _, preds, _ in self.out_of_fold:
            if len(preds) == 0:  # no row to answer (never from fold_indices): no answer to compare
                found.append(None)
                continue
            first = preds[0].reshape(-1).float()
            if self.task == "multilabel":
                found.append(tuple(bool(value >= 0.5) for value in first.tolist()))
            elif first.numel() == 1:
                found.append(int(first.item() >= 0.5))
            else:
                found.append(int(first.argmax()))
        return found

    def answer_changed(self) -> bool:
        """Whether the constant answer differs between folds: rt_polarity's majority class was the negative
        class in 9 of 10 folds and the positive one in the tenth (its training rows tipped the other way), its F1
        0 in 9 folds and 0.667 in one. Each fold's bootstrap over its rows keeps that fold's answer, so the
        interval over rows was [0.0636, 0.0694] around a mean of 0.0666 that no fold could score: the honest
        interval is the t interval over the fold scores (:meth:`summary`), which carries which answer each fold
        gave ([0, 0.218], clipped to what an F1 can be)."""
        return len({answer for answer in self.answers() if answer is not None}) > 1

    def metric_fn(self, name: str) -> Callable[[torch.Tensor, torch.Tensor], float]:
        """``f(preds, targets) -> value`` of metric ``name`` (a per-target key such as ``"rmse[price]"`` too)."""
        from trainwell.evaluate.compare import score
        from trainwell.metrics.targets import split_target_key

        headline = split_target_key(name)[0]
        return lambda preds, targets: score(preds, targets, self.task, [headline], self.target_names)[name]

    def resampled_fn(self, name: str) -> ResampledFn | None:
        """Metric ``name`` (as :meth:`metric_fn`) scored on every bootstrap resample at once,
        ``f(preds, targets, draws) -> (B,)``; ``None`` for a metric without a vectorised form."""
        from trainwell.evaluate._resampled import resampled_metric
        from trainwell.metrics.targets import split_target_key, target_labels

        headline, label = split_target_key(name)
        function = resampled_metric(headline, self.task)
        if function is None or label is None:
            return function

        def one_target(preds: torch.Tensor, targets: torch.Tensor, draws: torch.Tensor) -> np.ndarray:
            # As compare.score names several regression targets' columns ("rmse[price]": price's column alone).
            several = self.task == "regression" and targets.dim() == 2 and targets.shape[1] > 1
            labels = target_labels(self.target_names, targets.shape[1]) if several else []
            if label not in labels:
                raise KeyError(name)
            column = labels.index(label)
            return function(preds[:, column], targets[:, column], draws)

        return one_target

    def paired_difference(
        self, metric: str, model: Sequence[OutOfFold], level: float = 0.95
    ) -> MetricSummary | None:
        """The ``model``'s ``metric`` minus this baseline's, averaged over folds, with a paired bootstrap interval
        (the same rows resampled for both, within each fold); ``None`` unless ``model`` holds out-of-fold
        predictions of the same rows, fold for fold."""
        if len(model) != len(self.out_of_fold) or len(model) != self.k:
            return None
        # verdicts() runs for the table and again for --json: the same predictions are bootstrapped once. The
        # cache holds the parts it was computed from, so their ids cannot be reused by other objects meanwhile.
        key = (metric, level, tuple(id(item) for part in model for item in part))
        if key not in self._paired:
            self._paired[key] = (tuple(model), self._paired_difference(metric, model, level))
        return self._paired[key][1]

    def _paired_difference(
        self, metric: str, model: Sequence[OutOfFold], level: float
    ) -> MetricSummary | None:
        import torch

        from trainwell.evaluate.intervals import folds_bootstrap_ci

        parts = []
        for (rows, preds, targets), (model_rows, model_preds, model_targets) in zip(
            self.out_of_fold, model, strict=True
        ):
            same = np.array_equal(rows, model_rows) and model_preds.shape == preds.shape
            if not same or not torch.equal(model_targets.to(targets.dtype), targets):
                return None
            parts.append((torch.stack([model_preds.to(preds.dtype), preds], dim=1), targets))  # (N, 2, ...)
        function, resampled = self.metric_fn(metric), self.resampled_fn(metric)
        point, low, high = folds_bootstrap_ci(
            lambda pair, t: function(pair[:, 0], t) - function(pair[:, 1], t),
            parts,
            n_boot=self.n_boot,
            level=level,
            seed=self.seed,
            resampled_fn=None
            if resampled is None
            else lambda pair, t, draws: resampled(pair[:, 0], t, draws) - resampled(pair[:, 1], t, draws),
        )
        return MetricSummary(point, float("nan"), low, high, level, n_rows=self.n_rows)


def join_folds(
    parts: Sequence[tuple[Sequence[int], CVResult]], splits: Sequence[tuple[np.ndarray, np.ndarray]]
) -> CVResult:
    """One model's result over every fold, from results over some folds each, as the processes of a
    cross-validation under torchrun return them: ``parts`` pairs the fold numbers a result holds (in its order)
    with that result. The folds are put in fold order on ``splits``; a :class:`RowBootstrapCVResult` stays one,
    its out-of-fold predictions in the same order, so its intervals are still over rows."""
    scores: dict[int, dict[str, float]] = {}
    predictions: dict[int, OutOfFold] = {}
    for numbers, result in parts:
        scores.update(zip(numbers, result.folds, strict=True))
        if isinstance(result, RowBootstrapCVResult) and len(result.out_of_fold) == result.k:
            predictions.update(zip(numbers, result.out_of_fold, strict=True))
    order = sorted(scores)
    first = parts[0][1]
    changes: dict[str, Any] = {"folds": [scores[number] for number in order], "splits": list(splits)}
    if isinstance(first, RowBootstrapCVResult):
        changes["out_of_fold"] = (
            [predictions[number] for number in order] if len(predictions) == len(order) else []
        )
    return dataclasses.replace(first, **changes)


def check_fold_count(k: Any, keyword: str = "k") -> None:
    """Refuse a number of folds that is not a whole number of at least 2 (``keyword``: the argument that gave it,
    named in the message: ``cv`` for the ``evaluate_*`` calls, whose command-line option is ``--cv``)."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 2:
        raise ConfigError.worded(
            lambda say: (
                f"{say(keyword)} must be a whole number of folds of at least 2, got {k!r}; pass e.g. "
                f"{say(keyword, 5)}"
            )
        )


def check_folds(targets: Sequence[Any] | np.ndarray, k: int, stratified: bool, keyword: str = "k") -> None:
    """Refuse a fold count the data cannot support, before any training (``keyword``: as in
    :func:`check_fold_count`)."""
    n_rows = len(targets)
    check_fold_count(k, keyword)
    if k > n_rows:
        raise DataError.worded(
            lambda say: (
                f"{say(keyword, k)} needs at least {k} rows, but the table has {n_rows}; pass "
                f"{say(keyword, max(2, n_rows))} or less"
            )
        )
    if stratified:
        labels, counts = np.unique(_keys(targets), return_counts=True)
        if len(labels) < 2:
            raise DataError(f"stratified folds need at least 2 classes in the target, found {len(labels)}")
        smallest = int(counts.min())
        rare = str(labels[counts.argmin()])

        def hint(say: Spelling) -> str:
            several = any(mark in rare for mark in "|;,")
            return f"; several labels in one cell? pass e.g. {say('label_delim', '|')}" if several else ""

        if smallest < 2:
            raise DataError.worded(
                lambda say: (
                    f"class {rare!r} has only 1 row: stratified folds need at least 2 rows of every "
                    f"class; drop or merge the rarest classes, or collect more rows{hint(say)}"
                )
            )
        if k > smallest:
            raise DataError.worded(
                lambda say: (
                    f"{say(keyword, k)} is more than the smallest class count: class {rare!r} has only "
                    f"{smallest} rows, so some folds would hold none of it; pass {say(keyword, smallest)} or less, or "
                    f"collect more rows of that class{hint(say)}"
                )
            )


def _keys(targets: Sequence[Any] | np.ndarray) -> np.ndarray:
    # Class labels of mixed types (text and numbers, missing values) compare as their text.
    return np.array(
        [str(value) for value in np.asarray(targets, dtype=object).reshape(len(targets), -1)[:, 0]]
    )


def fold_indices(
    targets: Sequence[Any] | np.ndarray,
    k: int = 5,
    seed: int = 0,
    stratified: bool = True,
    *,
    keyword: str = "k",
    groups: Sequence[Any] | np.ndarray | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``k`` shuffled ``(train_index, valid_index)`` pairs; each row is validated exactly once.

    Args:
        targets: one target per row (class labels when ``stratified``).
        k: number of folds, at least 2.
        seed: seeds the shuffle.
        stratified: keep each class's share in every fold (classification).
        keyword: the argument ``k`` came from, as an error names it (``"cv"`` from the ``evaluate_*`` calls).
        groups: one group per row: the rows of a group are validated in the same fold, never split across
            folds (:func:`group_fold_indices`).
    """
    if groups is not None:
        return group_fold_indices(targets, groups, k, seed, stratified, keyword=keyword)
    check_folds(targets, k, stratified, keyword)
    from sklearn.model_selection import KFold, StratifiedKFold

    n_rows = len(targets)
    placeholder = np.zeros((n_rows, 1))
    if stratified:
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
        pairs = splitter.split(placeholder, _keys(targets))
    else:
        pairs = KFold(n_splits=k, shuffle=True, random_state=seed).split(placeholder)
    return [(np.asarray(train, dtype=np.int64), np.asarray(valid, dtype=np.int64)) for train, valid in pairs]


def group_fold_indices(
    targets: Sequence[Any] | np.ndarray,
    groups: Sequence[Any] | np.ndarray,
    k: int = 5,
    seed: int = 0,
    stratified: bool = True,
    *,
    keyword: str = "k",
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``k`` ``(train_index, valid_index)`` pairs in which the rows of each group are all validated in one fold.

    Rows of one group (a patient, a user, the photos of one scene) are alike in ways new groups will not be:
    folds that split a group score the model on what it half saw. With ``stratified``, scikit-learn's
    ``StratifiedGroupKFold`` (shuffled from ``seed``) keeps the class shares as close as whole groups allow;
    otherwise the groups, shuffled from ``seed``, are dealt largest first to the fold with the fewest rows
    (``GroupKFold``'s rule, which scikit-learn shuffles only from 1.6 on).

    Args:
        targets: one target per row (class labels when ``stratified``).
        groups: one group per row (any values; missing ones are refused by the caller, which can name them).
        k, seed, stratified, keyword: as for :func:`fold_indices`.

    Raises:
        DataError: Fewer groups than folds, or groups that leave a fold without rows.

    Example:
        >>> folds = group_fold_indices([0, 1] * 6, ["a", "a", "b", "b", "c", "c"] * 2, k=3, stratified=False)
        >>> sorted(sorted({"abc"[i // 2 % 3] for i in valid}) for _, valid in folds)
        [['a'], ['b'], ['c']]
    """
    import pandas as pd

    n_rows = len(targets)
    if len(groups) != n_rows:
        raise ConfigError(f"groups hold {len(groups)} values for {n_rows} rows; pass one group per row")
    codes, uniques = pd.factorize(pd.Series(np.asarray(groups, dtype=object)), use_na_sentinel=False)
    n_groups = len(uniques)
    check_fold_count(k, keyword)
    if n_groups < k:
        raise DataError.worded(
            lambda say: (
                f"the rows fall in {n_groups} groups, fewer than the {k} folds of {say(keyword, k)}: a group is "
                f"never split across folds, so each fold needs one of its own; pass {say(keyword, max(2, n_groups))} "
                "or less, or groups that split the rows finer"
            )
        )
    if stratified:
        check_folds(targets, k, stratified, keyword)
        from sklearn.model_selection import StratifiedGroupKFold

        splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
        pairs = [
            (np.asarray(train, dtype=np.int64), np.asarray(valid, dtype=np.int64))
            for train, valid in splitter.split(np.zeros((n_rows, 1)), _keys(targets), codes)
        ]
    else:
        pairs = _dealt_groups(codes, n_groups, k, seed)
    if any(len(valid) == 0 for _, valid in pairs):
        raise DataError.worded(
            lambda say: (
                f"{say(keyword, k)} left a fold without rows: the {n_groups} groups cannot be dealt into {k} "
                f"folds of whole groups with every class in each; pass a smaller {say(keyword)}"
            )
        )
    return pairs


def _dealt_groups(codes: np.ndarray, n_groups: int, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Groups (``codes``: each row's group number) shuffled from ``seed`` and dealt, largest first, each to the
    fold with the fewest rows so far: folds of whole groups and about equal size."""
    sizes = np.bincount(codes, minlength=n_groups)
    order = np.random.default_rng(seed).permutation(n_groups)
    order = order[np.argsort(-sizes[order], kind="stable")]  # largest first; ties in the shuffled order
    fold_of_group = np.empty(n_groups, dtype=np.int64)
    fold_rows = np.zeros(k, dtype=np.int64)
    for group in order:
        fold = int(fold_rows.argmin())
        fold_of_group[group] = fold
        fold_rows[fold] += sizes[group]
    fold_of_row = fold_of_group[codes]
    everything = np.arange(len(codes), dtype=np.int64)
    return [(everything[fold_of_row != fold], everything[fold_of_row == fold]) for fold in range(k)]


def cross_validate(
    n_rows: int,
    targets: Sequence[Any] | np.ndarray | None,
    fit_fold: FoldFn,
    k: int = 5,
    seed: int = 0,
    stratified: bool = True,
    splits: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
) -> CVResult:
    """Run ``fit_fold`` on each of ``k`` folds and collect its metrics.

    Args:
        n_rows: number of rows in the data.
        targets: one target per row, used to stratify (may be ``None`` when ``stratified`` is false).
        fit_fold: ``fit_fold(train_index, valid_index, fold) -> {metric: value}``: train on the training
            rows only (preprocessing included) and score the validation rows.
        k: number of folds.
        seed: seeds the fold assignment (pass it on to your fold function for the model's randomness).
        stratified: stratify on ``targets`` (classification).
        splits: reuse these folds instead of drawing new ones (to score several models on the same folds).

    Example:
        >>> import numpy as np
        >>> y = np.array([0, 1] * 10)
        >>> result = cross_validate(20, y, lambda tr, va, i: {"share": float(y[va].mean())}, k=5)
        >>> result.values("share").tolist()
        [0.5, 0.5, 0.5, 0.5, 0.5]
    """
    if splits is None:
        labels = targets if targets is not None else np.zeros(n_rows)
        if len(labels) != n_rows:
            raise ConfigError(f"targets hold {len(labels)} values but n_rows is {n_rows}; pass one per row")
        splits = fold_indices(labels, k, seed, stratified)
    folds, verdicts = [], []
    for i, (train, valid) in enumerate(splits):
        with judging_fold() as kept:  # a check of each fold's model is said once, for every fold
            folds.append(dict(fit_fold(train, valid, i)))
        verdicts += kept
    say_fold_verdicts(verdicts)
    return CVResult(folds, list(splits), seed, stratified)


def row_groups(
    groups: str | Sequence[Any] | np.ndarray | pd.Series | None,
    frame: pd.DataFrame,
    kept: Sequence[bool] | np.ndarray | pd.Series,
    name: str,
) -> np.ndarray | None:
    """Each cross-validated row's group, from ``groups``: a column of ``frame`` (the rows cross-validated), or one
    value per row of the data as read, before some were left out (``kept`` marks those cross-validated: the rows
    with a target, the images that decoded); ``name`` says the data in errors. Every ``evaluate_*`` that takes ``groups=`` reads them here, so a table, a CSV of
    texts and a CSV of images refuse the same mistakes in the same words.

    Raises:
        DataError: A column ``frame`` lacks, values not one per row, or rows without a group (a missing group
            cannot be kept in one fold with anything: the caller cannot guess which rows it belongs with).
    """
    import pandas as pd

    if groups is None:
        return None
    keep = np.asarray(kept, dtype=bool)
    if isinstance(groups, str):
        if groups not in frame.columns:
            from trainwell.data.io import did_you_mean

            close = did_you_mean([groups], [str(column) for column in frame.columns])
            raise DataError.worded(
                lambda say: (
                    f"{say('groups', groups)} is not a column of {name}{close}; columns are: "
                    f"{', '.join(map(str, list(frame.columns)[:20]))}. Pass a column, or one group per row"
                )
            )
        values = frame[groups].reset_index(drop=True)
    else:
        every = pd.Series(list(groups) if not isinstance(groups, pd.Series | np.ndarray) else groups)
        if len(every) != len(keep):
            raise DataError.worded(
                lambda say: (
                    f"{say('groups')} holds {len(every)} values for the {len(keep)} rows of {name}; pass one "
                    "group per row, or the name of a column"
                )
            )
        values = every[keep].reset_index(drop=True)
    missing = int(values.isna().sum())
    if missing:
        raise DataError.worded(
            lambda say: (
                f"{say('groups')} is missing for {missing} of the {len(values)} rows cross-validated: every row "
                "needs a group to keep it in one fold; fill them (each its own group, if nothing ties it to "
                "others) or leave those rows out"
            )
        )
    return values.to_numpy(dtype=object)


def grouped_by(
    groups: str | Sequence[Any] | np.ndarray | pd.Series | None, values: np.ndarray | None
) -> tuple[str, int] | None:
    """What :attr:`Evaluation.groups <trainwell.evaluate.Evaluation.groups>` holds for folds grouped by
    ``groups`` (a column's name, or values) into the rows' group ``values`` (:func:`row_groups`): ``("'author'",
    12)``, ``("the groups given", 12)``; ``None`` for ungrouped folds."""
    import pandas as pd

    if values is None:
        return None
    return (f"'{groups}'" if isinstance(groups, str) else "the groups given", len(pd.unique(values)))
