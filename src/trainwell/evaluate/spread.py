"""The fold loop of every cross-validation against baselines (tables, texts, images, ratings, taggers), written
once, and spread over ``torchrun``'s processes when the caller hands it several.

It sits below the applications, which supply the fold function, and beside :mod:`trainwell.distributed`, which
it may not import: the processes come in as a :class:`Processes` (one process by default; the applications pass
:func:`trainwell.distributed.spread.spread_processes`). Under ``torchrun --nproc_per_node N``, process ``r``
trains folds ``r``, ``r + N``... each alone and with the rows and seed it has in one process, then runs the
baselines on those same folds. The results then meet in every process and are put back in fold order, so the
evaluation is the one a single process computes, number for number, when that process runs on one thread as
torchrun's do (more threads add sums in another order, which can tip the learning-rate finder's choice).

A fold function keeps what it learns of each fold besides its scores (learning rates, predictions, fitted
recipes) in list fields it appends to, named by its ``per_fold`` class attribute (a field may also be a dict
of such lists). Each call's new entries travel with the fold's scores and are laid back in fold order, so
``fold.lrs`` and the rest read in every process as they would after a one-process loop. Everything there must
pickle (plain Python, numpy arrays, tensors, dataclasses of them).

Warnings: under several processes rank 0 alone speaks. A warning another process met in its folds (a column
empty in its folds' training rows) is caught there, sent along with the scores, and warned again by rank 0.
A check of each fold's trained model (a text classifier at chance) keeps a verdict instead
(:class:`~trainwell.evaluate.cv.FoldVerdict`), sent along with the fold's scores: rank 0 says the verdicts of
every fold at once, in one line (``3 of 5 folds ...``), not one warning a fold.

With more processes than folds, the processes left without a fold only wait for the others' results.
"""

from __future__ import annotations

import contextlib
import re
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from time import monotonic
from typing import TYPE_CHECKING, Any, Protocol

from trainwell.core.numbers import figure
from trainwell.core.warn import warn
from trainwell.evaluate._progress import FoldProgress
from trainwell.evaluate.cv import (
    CVResult,
    FoldBudget,
    FoldVerdict,
    join_folds,
    judging_fold,
    say_fold_verdicts,
)

if TYPE_CHECKING:
    import numpy as np

    from trainwell.evaluate.cv import FoldFn

Splits = Sequence[tuple["np.ndarray", "np.ndarray"]]
#: ``baselines(splits) -> {name: CVResult}`` with one fold per split, in order: run on a process's share.
BaselinesFn = Callable[[Splits], "dict[str, CVResult]"]


class Processes(Protocol):
    """The processes a cross-validation is shared out over (:func:`trainwell.distributed.spread.spread_processes`
    under ``torchrun``)."""

    @property
    def rank(self) -> int: ...

    @property
    def size(self) -> int: ...

    def share(self, n_jobs: int) -> list[int]:
        """The jobs of ``range(n_jobs)`` this process runs."""
        ...

    def gather(self, value: Any) -> list[Any]:
        """Every process's ``value``, in rank order, in every process."""
        ...

    def alone(self) -> contextlib.AbstractContextManager[Any]:
        """Inside, a one-call pipeline trains in this process alone (no distributed training)."""
        ...


@dataclass(frozen=True)
class OneProcess:
    """A single process: it runs every fold."""

    rank: int = 0
    size: int = 1

    def share(self, n_jobs: int) -> list[int]:
        return list(range(n_jobs))

    def gather(self, value: Any) -> list[Any]:
        return [value]

    def alone(self) -> contextlib.AbstractContextManager[Any]:
        return contextlib.nullcontext()


def cross_validate_spread(
    fold: FoldFn,
    splits: Splits,
    *,
    seed: int = 0,
    stratified: bool = False,
    baselines: BaselinesFn | None = None,
    processes: Processes | None = None,
    fold_seconds: float | None = None,
    progress: bool = False,
) -> tuple[CVResult, dict[str, CVResult]]:
    """Run ``fold`` on every split, and ``baselines`` on the same splits, over ``processes`` if several.

    Args:
        fold: ``fold(train_index, valid_index, fold_number) -> {metric: value}`` (see
            :func:`trainwell.evaluate.cross_validate`); its ``per_fold`` fields are gathered too (module
            docstring).
        splits: the folds, ``(train_index, valid_index)``.
        seed, stratified: how the folds were drawn (kept in the model's :class:`~trainwell.evaluate.CVResult`).
        baselines: runs the baselines on some of the splits; ``None``: none here.
        processes: where the folds run (default: this process alone).
        fold_seconds: each fold's training time: inside a fold, every one-call pipeline given no budget of its
            own trains within it (:func:`~trainwell.callbacks.budget.budget_each_call`); what it allowed is in
            the model's :attr:`~trainwell.evaluate.CVResult.budgets`. A :class:`FoldShare` (what
            :func:`~trainwell.evaluate.evaluation.check_settings` returns) also keeps the call's deadline: the
            baselines run first, and each fold is given what is left, shared among the folds still to run.
        progress: say on standard error as each fold ends its time, the time so far and about how long the rest
            will take (:class:`~trainwell.evaluate._progress.FoldProgress`; the first process's folds alone).

    Returns:
        The model's per-fold scores and each baseline's, in fold order, in every process.

    Example:
        >>> import numpy as np
        >>> from trainwell.evaluate import fold_indices
        >>> y = np.arange(12.0)
        >>> model, _ = cross_validate_spread(lambda tr, va, i: {"n": float(len(va))}, fold_indices(y, 3, 0, False))
        >>> model.values("n").tolist()
        [4.0, 4.0, 4.0]
    """
    processes = processes or OneProcess()
    rank, size = processes.rank, processes.size
    share = processes.share(len(splits))
    if size > 1 and rank == 0:
        _say_spread(len(splits), size)
    runs: list[tuple[dict[str, float], dict[str, Any], list[FoldBudget], list[FoldVerdict]]] = []
    # Under a budget the baselines come first, so the time they take comes out of the folds' shares.
    timed = isinstance(fold_seconds, FoldShare)
    others: dict[str, CVResult] = {}
    with _held_warnings(hold=rank != 0) as held:  # rank 0 says the others' warnings (module docstring)
        if isinstance(fold_seconds, FoldShare):
            fold_seconds.mark("baselines")
            fold_seconds.processes = size
        with _interrupted(share, runs, len(splits), "scoring the baselines"):
            if timed and baselines is not None and share:
                others = baselines([splits[number] for number in share])
        if isinstance(fold_seconds, FoldShare):
            fold_seconds.mark("folds")
        said = FoldProgress(len(share), len(splits)) if progress and rank == 0 and share else None
        with processes.alone(), _interrupted(share, runs, len(splits), "training a fold"):
            for position, number in enumerate(share):
                marks = _marks(fold)
                train, valid = splits[number]
                seconds = (
                    fold_seconds.now(len(share) - position, even=size > 1)
                    if isinstance(fold_seconds, FoldShare)
                    else fold_seconds
                )
                if seconds is not None:
                    _training_imports(fold)
                try:
                    with _budgeted(seconds, number) as budget, judging_fold() as verdicts:
                        scores = dict(fold(train, valid, number))
                except Exception as error:
                    worded = (
                        _fold_share_spent(error, fold_seconds, seconds, number, len(splits), size, runs)
                        if isinstance(fold_seconds, FoldShare) and seconds is not None
                        else None
                    )
                    if worded is None:
                        raise
                    raise worded from error
                runs.append((scores, _added(fold, marks), budget, verdicts))
                if said is not None:
                    said.done(number)
        if isinstance(fold_seconds, FoldShare):
            fold_seconds.mark("after folds")
        with _interrupted(share, runs, len(splits), "scoring the baselines"):
            if not timed and baselines is not None and share:
                others = baselines([splits[number] for number in share])
    # The baselines travel whole: a constant one keeps its out-of-fold predictions (its intervals are over rows).
    mine = (share, runs, others, _distinct(held))
    by_fold: dict[int, tuple[dict[str, float], dict[str, Any], list[FoldBudget], list[FoldVerdict]]] = {}
    baseline_parts: dict[str, list[tuple[list[int], CVResult]]] = {}
    for numbers, their_runs, their_baselines, their_warnings in processes.gather(mine):  # rank 0 holds fold 0
        if rank == 0:  # what only another process's folds met (a column empty in its folds' training rows)
            for text, category in their_warnings:
                warn(text, category)
        by_fold.update(zip(numbers, their_runs, strict=True))
        for name, result in their_baselines.items():
            baseline_parts.setdefault(name, []).append((numbers, result))
    order = range(len(splits))
    assert sorted(by_fold) == list(order), f"folds {sorted(by_fold)} came back of {len(splits)}"
    _lay_back(fold, [by_fold[number][1] for number in order])
    budgets = [budget for number in order for budget in by_fold[number][2]]
    # A check of each fold's model (a classifier at chance): said once, for every process's folds.
    if rank == 0:
        say_fold_verdicts([verdict for number in order for verdict in by_fold[number][3]])
    model = CVResult([by_fold[number][0] for number in order], list(splits), seed, stratified, budgets)
    results = {name: join_folds(parts, splits) for name, parts in baseline_parts.items()}
    return model, results


class FoldsInterrupted(KeyboardInterrupt):
    """Ctrl-C during a cross-validation, with the scores of the folds that had finished (in this process: under
    ``torchrun``, its share). A ``KeyboardInterrupt``, so whatever stops on Ctrl-C stops on it as before;
    :meth:`line` says what was done. ``trainwell evaluate adult.csv --cv 5 --arch mlp`` interrupted at 30 s said
    only "interrupted; nothing was written", and the two folds that had finished were lost.

    Attributes:
        done: ``(fold number from 0, {metric: value})`` of each finished fold, in the order they ran.
        total: the folds of the whole cross-validation.
        during: what was running when it came (``"training a fold"``, ``"scoring the baselines"``).
    """

    def __init__(self, done: Sequence[tuple[int, dict[str, float]]], total: int, during: str) -> None:
        self.done, self.total, self.during = list(done), total, during
        super().__init__(self.line())  # a Python caller's traceback gives the scores too

    def line(self) -> str:
        """``"interrupted after 2 of 5 folds, while training a fold; their scores, partial (no baselines,
        intervals or verdicts): accuracy 0.8512, 0.849; roc_auc 0.9031, 0.9012"``."""
        numbers = [number for number, _ in self.done]
        which = (
            ""
            if numbers == list(range(len(numbers)))
            else f" (folds {', '.join(str(n + 1) for n in numbers)})"
        )
        head = f"interrupted after {len(self.done)} of {self.total} folds{which}, while {self.during}"
        if not self.done:
            return f"{head}: no fold had finished, so there is no score to give"
        metrics = list(dict.fromkeys(name for _, scores in self.done for name in scores))
        figures = "; ".join(
            f"{name} " + ", ".join(figure(scores[name]) if name in scores else "-" for _, scores in self.done)
            for name in metrics
        )
        return f"{head}; their scores, partial (no baselines, intervals or verdicts): {figures}"


@contextlib.contextmanager
def _interrupted(
    share: Sequence[int], runs: Sequence[tuple[dict[str, float], Any, Any, Any]], total: int, during: str
) -> Iterator[None]:
    """Inside, Ctrl-C is raised as :class:`FoldsInterrupted`, with the scores of the folds in ``runs`` (which ran
    ``share``'s first folds, in order)."""
    try:
        yield
    except FoldsInterrupted:
        raise
    except KeyboardInterrupt as error:
        done = [(number, dict(run[0])) for number, run in zip(share, runs, strict=False)]
        raise FoldsInterrupted(done, total, during) from error


class FoldShare(float):
    """Each fold's share of an evaluation's time budget, in seconds (a float, as before), which also knows the
    deadline of the whole call: :func:`cross_validate_spread` gives each fold what is left of the budget by then,
    shared among the folds still to run (never more than an equal share), so reading the data, drawing thumbnails and scoring the baselines (run
    first under a budget) no longer come on top of the folds' training (``evaluate --time 50s`` took 83 s).
    A fold is never given less than :data:`FoldShare.FLOOR` of its first share: slow baselines on a busy machine
    (22 s of 30 on Titanic) left the model a tenth of an epoch a fold, and a verdict against the baselines of a
    model barely trained misleads more than a call that ends a little late."""

    #: The smallest part of its first share a fold is given, when the budget is spent before it.
    FLOOR = 0.5
    deadline: float
    total: float
    #: When each step of the call began (``time.monotonic``): ``"baselines"``, ``"folds"``, ``"after folds"``
    #: (:meth:`mark`), so that the table can say where the budget went (:func:`~trainwell.evaluate.evaluation.
    #: time_spent`).
    marks: dict[str, float]
    #: The processes the folds run in side by side (``torchrun``): each fold is then kept to an equal share.
    processes: int

    @classmethod
    def of(cls, seconds: float, folds: int) -> FoldShare:
        share = cls(seconds / folds)
        share.total, share.deadline = seconds, monotonic() + seconds
        share.marks, share.processes = {}, 1
        return share

    @property
    def start(self) -> float:
        """When the call's budget began (``time.monotonic``)."""
        return self.deadline - self.total

    def mark(self, step: str) -> None:
        """Note that ``step`` begins now."""
        self.marks[step] = monotonic()

    def now(self, folds_left: int, even: bool = True) -> float:
        """The share of a fold starting now, with ``folds_left`` folds of this process to run (it included).
        ``even``: never more than an equal share (folds side by side under torchrun); in one process a fold is
        given what the folds before it left unused too (one that stopped at its epochs), which nothing else
        would use: the last fold of ``evaluate --time`` kept to an equal share and the call ended early."""
        left = (self.deadline - monotonic()) / max(folds_left, 1)
        floored = max(left, self.FLOOR * float(self))
        # Never more than an equal share side by side: a fold given the time another process's folds use would
        # train longer than they do, and the folds' scores would not be alike.
        return min(float(self), floored) if even else floored


def _fold_share_spent(
    error: Exception,
    share: FoldShare,
    seconds: float,
    number: int,
    n_folds: int,
    size: int,
    runs: Sequence[tuple[dict[str, float], Any, Any, Any]],
) -> Exception | None:
    """``error`` as the evaluation words it, when it is a fold's :class:`~trainwell.callbacks.budget.BudgetSpent`
    (``None`` for any other error, raised as it is). The fold's message named its share as "the --time of 2.0s" and advised
    "pass --time 20s or more": ``evaluate rt_polarity/ --cv 10 --time 40s`` ran 81 s and then told its user to
    pass less than the 40 s given. It now names the whole budget, the folds and the fold's share, and advises a
    budget for every fold (what came before the folds, the data and the baselines, plus each fold's least), a
    number of folds the budget given can hold, or ``--lr``; the folds that had finished are named with their
    first metric's scores, which a report of every fold cannot include."""
    from trainwell.callbacks.budget import BudgetSpent, duration_text, format_duration

    if not isinstance(error, BudgetSpent) or not error.least:
        return None
    before = share.marks.get("folds", share.start) - share.start  # reading the data, the baselines
    # The folds run one after another (torchrun's processes run theirs side by side).
    rounds = -(-n_folds // max(size, 1))
    whole = duration_text(before + rounds * error.least)
    holds = int((share.total - before) // error.least) * max(size, 1)
    total, given, took = (
        format_duration(share.total),
        format_duration(seconds),
        format_duration(error.prepared),
    )
    finished = ""
    if runs:
        metric = next(iter(runs[0][0]), None)
        scores = ", ".join(figure(scores[metric]) for scores, *_ in runs if metric in scores)
        named = {1: "fold 1 had", 2: "folds 1 and 2 had"}.get(len(runs), f"folds 1 to {len(runs)} had")
        finished = f"; {named} finished ({metric} {scores}), but a report needs every fold" if metric else ""

    def words(say: Any) -> str:
        fewer = f", fewer folds ({say('cv', holds)} within {total})" if 2 <= holds < n_folds else ""
        return (
            f"the {say.either('time budget', '--time')} of {total}, shared by {n_folds} folds after "
            f"{format_duration(before)} of reading the data and scoring the baselines, left fold {number + 1} "
            f"{given}, which was spent before it began training ({took} went to preparing it: the fold's data, "
            f"choosing the learning rate); pass {say('time_budget', whole)} or more for "
            f"{n_folds} folds (about {duration_text(error.least)} a fold){fewer}, or pass {say('lr')} to skip "
            f"the learning-rate finder{finished}"
        )

    worded = BudgetSpent.worded(words)
    worded.budget, worded.prepared, worded.least = seconds, error.prepared, error.least
    return worded


def _training_imports(fold: Any) -> None:
    """Before a fold's budget: load the training code (:func:`~trainwell.callbacks.budget.load_training_imports`:
    one-off imports are not the fold's training; fold 0 paid them out of its share), unless ``fold`` trains
    nothing by steps, which builds no optimizer and never needs them: a fold function says so with a false
    ``trains_by_steps`` attribute (boosted trees alone, fitted in one step). ``evaluate --arch gbdt --time 30s``
    loaded ``torch._dynamo`` (seconds on a busy machine) for trees that build no optimizer."""
    if getattr(fold, "trains_by_steps", True):
        from trainwell.callbacks.budget import load_training_imports

        load_training_imports()


@contextlib.contextmanager
def _budgeted(seconds: float | None, number: int) -> Iterator[list[FoldBudget]]:
    """Inside, with ``seconds``, fold ``number`` trains within them; the list yielded then holds what its budget
    allowed, if the fold trained anything under it (boosted trees are fitted whole, untimed)."""
    found: list[FoldBudget] = []
    if seconds is None:
        yield found
        return
    from trainwell.callbacks.budget import budget_each_call

    with budget_each_call(seconds) as made:
        yield found
    used = [budget for budget in made if budget.fits]
    if used:
        shortened = any(fit["shortened"] for budget in used for fit in budget.fits)
        summary = "; ".join(budget.summary() for budget in used)
        trained = [
            fit["trained_batches"] / fit["batches_per_epoch"]
            for budget in used
            for fit in budget.fits
            if fit.get("batches_per_epoch")
        ]
        epochs = min(trained) if trained else None
        found.append(
            FoldBudget(number, seconds, sum(budget.used for budget in used), shortened, summary, epochs)
        )


@contextlib.contextmanager
def _held_warnings(hold: bool) -> Iterator[list[warnings.WarningMessage]]:
    """Inside, with ``hold``, the warnings that pass the filters are kept in the list yielded, not shown; without,
    they are shown as they come, but once each: every fold meets what the data holds again ("column 'text' is
    read as words ... a median of 181 words", then of 183), and five folds said it five times."""
    if hold:
        with warnings.catch_warnings(record=True) as caught:
            yield caught
        return
    with warnings.catch_warnings():
        show = warnings.showwarning
        said: set[tuple[str, type[Warning]]] = set()

        def once(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
            key = _gist(str(message), category)
            if key not in said:
                said.add(key)
                show(message, category, *args, **kwargs)

        warnings.showwarning = once
        yield []


def _gist(text: str, category: type[Warning]) -> tuple[str, type[Warning]]:
    """What a warning says, its numbers aside: the same warning from two folds differs in them alone."""
    return _NUMBERS.sub("#", text), category


_NUMBERS = re.compile(r"\d[\d,.]*")


def _distinct(caught: list[warnings.WarningMessage]) -> list[tuple[str, type[Warning]]]:
    """Each warning's text and category, once (the same words with other numbers too), in the order first met."""
    seen: dict[tuple[str, type[Warning]], tuple[str, type[Warning]]] = {}
    for item in caught:
        seen.setdefault(_gist(str(item.message), item.category), (str(item.message), item.category))
    return list(seen.values())


def _say_spread(n_folds: int, size: int) -> None:
    """Rank 0's line on how the folds are shared out (on standard error, beside the warnings: the report on
    standard output stays that of one process)."""
    busiest = -(-n_folds // size)
    idle = max(size - n_folds, 0)
    if idle:
        who = (
            "1 process has no fold and only waits"
            if idle == 1
            else f"{idle} processes have no fold and only wait"
        )
        out_of = f"; {who} for the results"
    else:
        out_of = f"; at most {busiest} folds each"
    print(
        f"cross-validating {n_folds} folds over {size} processes, each fold trained in one process alone{out_of}",
        file=sys.stderr,
        flush=True,
    )


def _records(fold: Any) -> dict[str, Any]:
    return {name: getattr(fold, name) for name in getattr(fold, "per_fold", ())}


def _marks(fold: Any) -> dict[str, Any]:
    """How long each ``per_fold`` record is before a call."""
    return {
        name: {key: len(items) for key, items in value.items()} if isinstance(value, dict) else len(value)
        for name, value in _records(fold).items()
    }


def _added(fold: Any, marks: dict[str, Any]) -> dict[str, Any]:
    """What one call appended to each ``per_fold`` record."""
    added: dict[str, Any] = {}
    for name, value in _records(fold).items():
        if isinstance(value, dict):
            added[name] = {key: list(items[marks[name].get(key, 0) :]) for key, items in value.items()}
        else:
            added[name] = list(value[marks[name] :])
    return added


def _lay_back(fold: Any, added_by_fold: list[dict[str, Any]]) -> None:
    """Every fold's additions, in fold order, as the ``per_fold`` records (what one loop over all folds
    leaves in them)."""
    for name, value in _records(fold).items():
        if isinstance(value, dict):
            value.clear()
            for added in added_by_fold:
                for key, items in added[name].items():
                    if items:  # a key appears with its first entry, as in one loop
                        value.setdefault(key, []).extend(items)
        else:
            value[:] = [item for added in added_by_fold for item in added[name]]
