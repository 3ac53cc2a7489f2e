"""The whole tabular job in one call: data, learner, learning-rate finder, one-cycle training, artifact.

The command line (``trainwell fit`` and ``trainwell demo``) is a thin layer over :func:`fit_table`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from trainwell.callbacks.budget import BudgetSpent, TimeBudget, format_duration, start_budget, sweep_time
from trainwell.core.errors import ConfigError
from trainwell.core.seeding import seed_everything
from trainwell.core.warn import warn
from trainwell.data.bundle import DataBundle
from trainwell.distributed import broadcast_value, maybe_distribute
from trainwell.learner.decision_threshold import check_decision_threshold, decision_threshold_setting
from trainwell.learner.events import Callback
from trainwell.learner.kept_predictions import (
    KeepValidationPredictions,
    keep_capped_validation,
    say_capped_scoring,
)
from trainwell.learner.label_thresholds import choose_label_thresholds
from trainwell.learner.lr_find import KeptSweep, LRFindResult
from trainwell.learner.one_step import OneStepStart, hand_over, score_and_write
from trainwell.learner.run_files import FitRun, check_fit_settings, meaningful_row, run_files
from trainwell.metrics.function import MetricLike
from trainwell.metrics.registry import with_multilabel_f1
from trainwell.tabular.best_epoch import best_epoch_callbacks
from trainwell.tabular.class_weights import check_class_weight, check_task_takes_weights
from trainwell.tabular.data import tabular_data
from trainwell.tabular.learner import GBDT_NAMES, MLP_NAMES, tabular_learner
from trainwell.tabular.refit import Refit, RefitPlan, caller_says_refit

#: lr_find's suggestion is kept inside this range: outside it the sweep was most likely misread.
LR_BOUNDS = (1e-4, 1e-2)
DEFAULT_LR = 3e-3


@dataclass
class TableRun(FitRun):
    """What :func:`fit_table` produced, with the learning-rate finder's sweep when it chose the rate, and with
    ``arch="auto"`` each architecture's final validation row (``compared``, by name) and the one kept, and their
    :class:`Leaderboard` beside the constant baseline (``leaderboard``: losses and main metric with paired 95%
    intervals, fit and prediction times, whether the choice is uncertain); with ``refit_full=True``, what was
    trained again on every row (``refit``: its ``learn`` is the model written)."""

    lr_find: LRFindResult | None = None
    compared: dict[str, dict[str, Any]] | None = None
    arch: str = "tabular_mlp"
    refit: Refit | None = None
    leaderboard: Leaderboard | None = None


#: The validation loss of boosted trees must be below the MLP's by this share for ``arch="auto"`` to keep them
#: (a tie keeps the MLP, the model every other part of trainwell was measured with).
TREES_MARGIN = 0.0


def trees_apply(data: DataBundle) -> bool:
    """Whether ``arch="auto"`` compares boosted trees on ``data``: one target (binary, classes or one number),
    validation rows to compare on, and one process (trees are not fitted by torchrun's processes)."""
    from trainwell.distributed.spread import trains_together

    task = data.task
    one_target = task.kind in ("binary", "multiclass") or (task.kind == "regression" and task.n_outputs == 1)
    return one_target and data.valid is not None and not trains_together()


def trees_without_validation(data: DataBundle) -> bool:
    """Whether ``arch="auto"`` fits boosted trees alone because ``data`` has no validation rows to compare on
    (``valid_pct=0``, to train on every row): one target, one process. The trees stop on an inner tenth of the
    training rows, so they need no validation rows; the MLP, chosen before in silence, had lost to them in every
    validated comparison (``evaluate``'s folds on Adult, Titanic and California housing kept the trees each time;
    a tour's Titanic: the MLP's validation log loss 0.4745 against the trees' 0.4256)."""
    from trainwell.distributed.spread import trains_together

    task = data.task
    one_target = task.kind in ("binary", "multiclass") or (task.kind == "regression" and task.n_outputs == 1)
    return one_target and data.valid is None and not trains_together()


def _say_trees_without_validation() -> None:
    """The one line that says ``arch="auto"`` fitted boosted trees alone, and why: nothing was compared."""
    said = UserWarning(
        "no validation rows (valid_pct=0), so arch='auto' compared nothing and fitted boosted trees alone on every "
        "row, the architecture it kept on Adult, Titanic and California housing; pass arch='mlp' for the MLP"
    )
    said.command_line = (  # type: ignore[attr-defined]
        "no validation rows (--valid-pct 0), so --arch auto compared nothing and fitted boosted trees alone on "
        "every row, the architecture it kept on Adult, Titanic and California housing; pass --arch mlp for the MLP"
    )
    warn(said)


def _say_no_trees_under_torchrun(data: DataBundle) -> None:
    """Under torchrun ``arch="auto"`` trains the MLP alone, where one process would have compared boosted trees
    (a tour's 1,500 Adult rows: the MLP's ROC AUC 0.854 under torchrun, the trees' 0.883 kept by one process, and
    nothing said): said once, so that the choice is not mistaken for a comparison."""
    from trainwell.distributed.spread import trains_together

    task = data.task
    one_target = task.kind in ("binary", "multiclass") or (task.kind == "regression" and task.n_outputs == 1)
    if one_target and data.valid is not None and trains_together():
        said = UserWarning(
            "under torchrun arch='auto' trains the MLP alone: boosted trees are fitted by one process, so they are "
            "not compared here; fit without torchrun to compare them (or pass arch='gbdt' there)"
        )
        said.command_line = (  # type: ignore[attr-defined]
            "under torchrun --arch auto trains the MLP alone: boosted trees are fitted by one process, so they are "
            "not compared here; run trainwell fit without torchrun to compare them (or --arch gbdt there)"
        )
        warn(said)


MIN_EPOCHS, MAX_EPOCHS, MIN_STEPS = 5, 30, 300


def default_epochs(n_batches: int) -> int:
    """Five passes, or more for small tables so that the optimizer takes at least ~300 steps (at most 30).

    More passes over a large table mostly overfit an MLP (measured on Adult: 5 to 8 epochs are best).
    """
    return int(min(MAX_EPOCHS, max(MIN_EPOCHS, math.ceil(MIN_STEPS / max(n_batches, 1)))))


#: How a user chooses the rate instead, said in choose_lr's warnings.
CHOOSE_LR = "pass --lr (Python: lr=) to choose (see trainwell lr-find)"


def choose_lr(finder: LRFindResult, *, choose: str = CHOOSE_LR) -> float:
    """The learning rate to train at from the finder's sweep, kept within :data:`LR_BOUNDS`.

    A suggestion below the range means the sweep was misread (its lowest loss at the first rates tried, where
    nothing has moved yet): training there barely learns, so the default rate is used instead, with a warning.
    A suggestion above the range is clipped to its top. A sweep stopped for want of time (``time_budget``)
    gives the default rate too, with a warning that says so. ``choose`` ends the warnings: how to choose the
    rate instead.
    """

    suggestion = finder.suggestion
    if finder.stopped_for_time:
        warn(
            f"the learning-rate finder would not have fit in the time budget beside the training (it may take a "
            f"tenth of the budget, or what the training plainly leaves), so it stopped; "
            f"training at the default {DEFAULT_LR:g}; {choose}",
            UserWarning,
        )
        return DEFAULT_LR
    if suggestion is None or suggestion < LR_BOUNDS[0]:
        if suggestion is None:
            why = (
                "its loss was flat over the sweep"
                if finder.flat
                else "its loss did not decrease over the sweep"
            )
            found = f"no suggestion ({why})"
        else:
            found = f"a suggestion of {suggestion:.1e} (below {LR_BOUNDS[0]:g}: its sweep was misread)"
        warn(
            f"the learning-rate finder gave {found}; training at the default {DEFAULT_LR:g} instead; {choose}",
            UserWarning,
        )
        return DEFAULT_LR
    return min(suggestion, LR_BOUNDS[1])


def fit_table(
    source: pd.DataFrame | str | Path,
    target: str | Sequence[str],
    *,
    out: str | Path | None = None,
    epochs: int | None = None,
    lr: float | None = None,
    metrics: Sequence[MetricLike] | None = None,
    seed: int = 0,
    progress: bool = True,
    tune_thresholds: bool = True,
    decision_threshold: str | float | None = None,
    time_budget: float | str | TimeBudget | None = None,
    arch: str = "auto",
    gbdt_settings: dict[str, Any] | None = None,
    learner_kwargs: dict[str, Any] | None = None,
    callbacks: Sequence[Callback] = (),
    resume_from: str | Path | None = None,
    keep_best: bool = True,
    class_weight: str | None = None,
    refit_full: bool = False,
    leaderboard: bool = True,
    **data_kwargs: Any,
) -> TableRun:
    """Train a tabular model the recommended way and write it to ``out`` (when given).

    ``source``: a DataFrame, a table file, or a folder of splits read as ``trainwell fit`` reads it
    (:func:`folder_source`: ``titanic/``'s ``train.csv.gz``, with its labelled ``test.csv.gz`` as ``test`` when none
    is given; shards joined; a validation split as the validation rows), what was read said with the progress.

    ``arch``: ``"auto"`` (the default) fits boosted trees (seconds) and the MLP on the same training rows and
    keeps the one with the lower validation loss (``run.compared`` holds both final rows; the model directory
    keeps them too). Both stop on the validation rows: the MLP keeps its epoch of lowest validation loss
    (``keep_best``), the trees train on every training row and keep their round of lowest validation loss
    (early stopping on the validation rows, :func:`~trainwell.tabular.gbdt.fit_trees`); ``"tabular_mlp"`` (``"mlp"``) or ``"gbdt"`` fit one. Trees are scikit-learn's
    HistGradientBoosting held as tensors (:mod:`trainwell.tabular.gbdt`; ``gbdt_settings`` overrides its
    boosting settings); ``epochs`` and ``lr`` are the MLP's, and giving either means the MLP. ``auto`` also
    keeps the MLP for several targets, multi-label targets, and under torchrun. Without validation rows
    (``valid_pct=0``, to train on every row) there is nothing to compare on: ``auto`` fits the boosted trees alone
    (they stop on an inner tenth of the training rows), the architecture it kept in every validated benchmark
    (Adult, Titanic, California housing), and says so in one line; ``arch="mlp"`` trains the MLP instead. Choosing on the validation rows flatters
    their score a little: ``trainwell evaluate`` makes the choice inside each fold, on rows it does not score.

    ``learner_kwargs`` go to :func:`tabular_learner` (the MLP's ``layers``, ``dropout``, ``wd``; ``device``...), as
    ``fit_texts`` and ``fit_images`` take them; ``data_kwargs`` to :func:`tabular_data` (``valid_pct``,
    ``valid_col``, ``task``, ``batch_size``...);
    a labelled ``test`` table is scored once after training: ``run.learn.test_scores``, kept in the model
    directory (``trainwell info`` shows them).
    Without ``lr`` the learning-rate finder picks one; without ``epochs`` the table size does. Multi-label
    targets get a decision threshold per label chosen on the validation rows (``tune_thresholds=False``: 0.5).
    Binary targets decide at 0.5 unless ``decision_threshold`` says otherwise: a metric to choose the threshold
    for on the validation rows (``"f1"``, ``"balanced_accuracy"``, ``"mcc"``, ``"accuracy"``) or the threshold
    itself (``0.3``); the model directory keeps it, and the test set is scored at it
    (:mod:`trainwell.learner.decision_threshold`).
    With ``time_budget`` (seconds, or ``"10m"``...: :class:`~trainwell.callbacks.TimeBudget`), training ends
    within that time of the call (writing ``out`` and scoring a test set come after, in seconds), the epochs
    cut and the schedule fitted to what fits. ``metrics`` (names,
    functions ``fn(preds, targets) -> float`` or Metric objects, as for :class:`~trainwell.learner.Learner`):
    ``None`` reports the task's defaults, ``[]`` none.

    ``callbacks`` run in the MLP's training fit only (not the learning-rate finder's sweep, nor the trees, fitted
    in closed form), e.g. a :class:`~trainwell.callbacks.Checkpoint`. ``resume_from`` names a checkpoint one
    wrote in the same call: the MLP continues from it exactly, at the learning rate it was training at (no new
    sweep: the checkpoint keeps the first one, so ``lr_find.png`` is written as by a fit never stopped);
    ``auto`` fits the trees again (seconds, the same trees).

    ``keep_best`` (on by default): with validation rows, the MLP ends with the weights of its epoch of lowest
    validation loss (:class:`~trainwell.tabular.best_epoch.KeepBestEpoch`, in memory), said in one line when that is
    not the last epoch; that epoch's figures are what ``auto`` compares with the trees and what the model directory
    and ``run.metrics`` report. A :class:`~trainwell.callbacks.SaveBest` among ``callbacks`` (``--patience``) does it
    instead. ``keep_best=False`` keeps the last epoch.

    ``class_weight="balanced"`` (binary or single-label classes): each class weighs the same in the loss of the
    MLP and of the trees (:mod:`trainwell.tabular.class_weights`); F1 and recall of a rare class rise, and the
    probabilities lose their calibration (the log loss worsens). The validation loss is the weighted one.

    ``leaderboard=False`` skips ``auto``'s leaderboard (``run.leaderboard`` is ``None``): its intervals and timings
    cost a few seconds on large tables, which ``trainwell evaluate``'s folds, scored their own way, do not spend.

    ``refit_full=True``: once the architecture is chosen, it is trained again on the training and validation rows
    together, for the chosen number of epochs (the kept one) or boosting rounds, and that model is the one written
    and scored on ``test``; ``run.learn`` stays the validated model (the validation figures are its), and
    ``run.refit`` says what was refitted (:class:`~trainwell.tabular.refit.Refit`, its ``learn`` the model written);
    with ``progress`` its one line is said on standard error (``refit on all 800 rows with 52 boosting rounds; ...``).
    """
    check_fit_settings(epochs, lr, out)
    decision = decision_threshold_setting(decision_threshold)
    check_class_weight(class_weight)
    refit_plan = RefitPlan(refit_full, seed)
    refit_plan.check()
    if arch not in ("auto", *GBDT_NAMES, *MLP_NAMES):
        raise ConfigError(f"arch (--arch) {arch!r} is not an architecture for tables: auto, mlp or gbdt")
    trees = arch in GBDT_NAMES
    if trees and (epochs is not None or lr is not None):
        given = [name for name, value in (("epochs", epochs), ("lr", lr)) if value is not None]
        raise ConfigError.worded(
            lambda say: (
                f"{' and '.join(say(name) for name in given)} {'is' if len(given) == 1 else 'are'} for the MLP; "
                f"boosted trees ({say('arch', 'gbdt')}) stop on their own (early stopping on the validation rows, "
                f"or an inner tenth of the training rows without them): leave {'it' if len(given) == 1 else 'them'} out, or "
                + say.either(
                    "set the trees' own settings with gbdt_settings (e.g. {'max_iter': 200})",
                    "pass --arch mlp to train the MLP",
                )
            )
        )
    if gbdt_settings and not (trees or arch == "auto"):
        raise ConfigError("gbdt_settings is for arch='gbdt' (or 'auto')")
    if trees and resume_from is not None:
        raise ConfigError(
            "boosted trees (arch='gbdt') are fitted in seconds and keep no checkpoint, so there is nothing to "
            "resume: fit again without resume_from (--resume)"
        )
    from trainwell.core.keywords import check_passed_keywords

    check_passed_keywords(fit_table, data_kwargs, tabular_data)
    budget = start_budget(time_budget)
    began = OneStepStart(budget)
    seed_everything(seed)
    source_given = source
    source, data_kwargs = folder_source(source, target, data_kwargs, command="fit", say=progress)
    data = tabular_data(source, target, seed=seed, **data_kwargs)
    metrics = with_multilabel_f1(data.task, metrics)
    check_decision_threshold(decision, data.task, has_validation=data.valid is not None)
    if class_weight is not None:
        check_task_takes_weights(data.task)  # said before anything trains
        learner_kwargs = {**(learner_kwargs or {}), "class_weight": class_weight}
    refit_plan.learner_kwargs = dict(learner_kwargs or {})
    if (
        arch == "auto"
        and epochs is None
        and lr is None
        and resume_from is None
        and trees_without_validation(data)
    ):
        _say_trees_without_validation()
        arch, trees = "gbdt", True
    if trees:
        learn = maybe_distribute(
            tabular_learner(
                data,
                arch=arch,
                metrics=metrics,
                progress=progress,
                gbdt_settings=gbdt_settings,
                seed=seed,
                **(learner_kwargs or {}),
            )
        )
        # Fitted when built, in seconds: one pass that validates (a --time budget has nothing to cut); its
        # predictions are kept for the results' table, which scored the validation rows again (3.5 s on adult).
        learn.fit(1, callbacks=[KeepValidationPredictions()])
        return _trees_run(
            learn, data, out, seed, progress, (tune_thresholds, decision), began, callbacks, refit_plan
        )
    rival = None  # arch="auto": boosted trees, fitted first (seconds), kept if they beat the MLP
    if arch == "auto" and epochs is None and lr is None and not trees_apply(data):
        _say_no_trees_under_torchrun(data)
    fit_seconds: dict[str, float] = {}
    if arch == "auto" and epochs is None and lr is None and trees_apply(data):  # epochs, lr: the MLP's
        _import_before_timing()
        started = time.perf_counter()
        rival = tabular_learner(
            data,
            arch="gbdt",
            metrics=metrics,
            progress=False,
            seed=seed,
            gbdt_settings=gbdt_settings,
            **(learner_kwargs or {}),
        )
        # The budget is the MLP's to plan by; the trees took their seconds from it already
        rival.fit(1, callbacks=[KeepValidationPredictions()])
        fit_seconds["gbdt"] = time.perf_counter() - started
        # Nothing left for the MLP (a short --time on a large table, or a choice inside evaluate's fold share): the
        # trees are a trained model, kept, where the MLP's fit would refuse as spent before training began.
        if budget is not None and budget.remaining <= 0:
            return _trees_kept(
                rival, data, out, seed, progress, (tune_thresholds, decision), began, callbacks, refit_plan
            )
        seed_everything(seed)  # the MLP starts where it would have without the trees
    started = time.perf_counter()
    learn = maybe_distribute(tabular_learner(data, arch=MLP_NAMES.get(arch, "tabular_mlp"), metrics=metrics,
                                             progress=progress, **(learner_kwargs or {})))  # fmt: skip
    finder = None
    if lr is None and resume_from is not None:
        lr = _resumed_lr(resume_from)
    try:
        n_epochs = epochs or default_epochs(len(data.train))  # type: ignore[arg-type]
        if lr is None:
            # A tenth of the budget, or what the training's batches plainly leave at the sweep's speed.
            train_batches = n_epochs * len(data.train)  # type: ignore[arg-type]
            finder = learn.lr_find(time_limit=sweep_time(budget, train_batches))
            # Under torchrun each process saw its own losses: all train with rank 0's choice.
            lr = broadcast_value(choose_lr(finder))
        sweep = KeptSweep(
            finder
        )  # in the fit's checkpoints: a resumed fit writes lr_find.png too, not sweeping again
        # Under time_budget, a validation pass the budget cut to its first batches is kept too (its rows, not all).
        capped = keep_capped_validation(time_budget, budget, callbacks)
        fit_callbacks = [*([budget] if budget else []), KeepValidationPredictions(), *([capped] if capped else []),
                         *callbacks, sweep, *best_epoch_callbacks(keep_best, data.valid is not None, callbacks)]  # fmt: skip
        if rival is not None:
            fit_callbacks.append(_SayRival(rival.final_row.get("valid_loss")))
        learn.fit_one_cycle(n_epochs, lr, callbacks=fit_callbacks, resume_from=resume_from)
        fit_seconds["tabular_mlp"] = time.perf_counter() - started  # with its learning-rate sweep
    except BudgetSpent:
        # The trees left a little time, which the learning-rate finder or the MLP's preparation spent (evaluate
        # --time 60s on California housing: a fold's choice had 3 s): the trees are kept, as above.
        if rival is None or budget is None:
            raise
        return _trees_kept(
            rival, data, out, seed, progress, (tune_thresholds, decision), began, callbacks, refit_plan
        )
    finder = sweep.result
    compared = None
    board = None
    beaten: dict[str, bytes] | None = None
    if rival is not None:
        compared = {
            "tabular_mlp": dict(learn.final_row),
            "gbdt": meaningful_row(rival.final_row, rival.model),
        }
        kept_trees = _better_trees(rival.final_row, learn.final_row)
        if leaderboard:
            board = table_leaderboard(
                learn,
                rival,
                kept_trees=kept_trees,
                fit_seconds=fit_seconds,
                evaluate_hint=evaluate_hint(source_given, target),
            )
        if kept_trees:
            # The trees' model directory keeps the epochs of the MLP they beat (mlp_history.csv, mlp_curves.png):
            # what the choice was made against, which the trees' one-step history cannot show.
            beaten = run_files(learn, finder, prefix="mlp_") if out is not None else None
            learn, finder, lr = (
                rival,
                None,
                float(getattr(rival.model, "settings", {}).get("learning_rate", 0.1)),
            )
        learn.compared = compared  # kept in the model directory: what the choice was made on
    if rival is None or learn is not rival:  # the trees' results are of their whole pass
        say_capped_scoring(capped, "rows")
    thresholds = choose_label_thresholds(
        learn, seed=seed, progress=progress, tune=tune_thresholds, decision=decision
    )
    refit = refit_plan.refit(learn, lr, budget)
    model_dir = score_and_write(refit.learn if refit else learn, out, finder, budget, beaten)
    if model_dir is not None and board is not None:
        record_leaderboard(model_dir, board)
    if refit is not None:
        refit.hand_back_test_scores(learn)
        say_refit(refit, progress)
    chosen = "gbdt" if learn is rival else "tabular_mlp"
    return TableRun(learn, data, lr, model_dir, thresholds=thresholds, budget=budget, lr_find=finder,
                    compared=compared, arch=chosen, refit=refit, leaderboard=board)  # fmt: skip


def folder_source(
    source: pd.DataFrame | str | Path,
    target: str | Sequence[str],
    data_kwargs: dict[str, Any],
    *,
    command: str,
    say: bool,
) -> tuple[pd.DataFrame | str | Path, dict[str, Any]]:
    """``source`` and :func:`tabular_data`'s keywords for a folder of splits (``titanic/``: ``train.csv.gz``
    beside ``test.csv.gz``), read as ``trainwell fit`` reads it (:func:`~trainwell.data.splits.table_source`):
    the training split, the test split as ``test`` when none is given (``command="evaluate"``: the training split
    alone), shards joined. ``say``: what was read is said on standard error (by rank 0), as the command says it.
    Anything else is returned as given."""
    if isinstance(source, pd.DataFrame):
        return source, data_kwargs
    from trainwell.data.splits import table_source
    from trainwell.data.targets import target_names

    found = table_source(
        source,
        target_names(target),
        command=command,
        test_given=data_kwargs.get("test") is not None,
        valid_col=data_kwargs.get("valid_col"),
        valid_given=data_kwargs.get("splits") is not None,
        names=data_kwargs.get("names"),
        encoding=data_kwargs.get("encoding", "utf-8"),
        encoding_errors=data_kwargs.get("encoding_errors", "strict"),
        say=_say_on_stderr if say else None,
    )
    if found is None:
        return source, data_kwargs
    read = {**data_kwargs, "valid_col": found.valid_col, "names": found.names}
    if found.test is not None:
        read["test"] = found.test
    return found.data, read


def _say_on_stderr(line: str) -> None:
    """A line on standard error, said by rank 0 alone under torchrun, as the command line says its notes."""
    from rich.console import Console

    from trainwell.core.device import is_rank_zero

    if is_rank_zero():
        Console(stderr=True).print(line, markup=False, highlight=False, soft_wrap=True)


def say_refit(refit: Refit, progress: bool) -> None:
    """With ``progress``, the refit's one line (:meth:`Refit.line`) on standard error, as the pipeline says its
    other notes: ``fit_table(refit_full=True)`` refitted in silence, and only ``run.refit`` told a Python caller
    that the model written is not the one validated. Not said where the caller says it itself (the command line,
    under its table of validation figures: :func:`~trainwell.tabular.refit.refit_said_by_caller`)."""
    if progress and not caller_says_refit():
        _say_on_stderr(refit.line())


def _trees_kept(
    rival: Any,
    data: DataBundle,
    out: str | Path | None,
    seed: int,
    progress: bool,
    tune_thresholds: tuple[bool, str | float | None],
    began: OneStepStart,
    callbacks: Sequence[Callback],
    plan: RefitPlan,
) -> TableRun:
    """The run of ``arch="auto"``'s boosted trees when the budget was spent before the MLP could train, said in a
    warning: they are a trained model, where the MLP's fit would refuse as spent before training began."""
    assert began.budget is not None  # only a budget can be spent
    warn(
        f"the time budget of {format_duration(began.budget.seconds)} was spent on reading the data and the "
        "boosted trees before the MLP could train, so the trees are kept without being compared with it; "
        "give more time (--time, Python: time_budget=) to compare them"
    )
    return _trees_run(rival, data, out, seed, progress, tune_thresholds, began, callbacks, plan)


def _trees_run(
    learn: Any,
    data: DataBundle,
    out: str | Path | None,
    seed: int,
    progress: bool,
    tune_thresholds: tuple[bool, str | float | None],
    began: OneStepStart,
    callbacks: Sequence[Callback],
    plan: RefitPlan,
) -> TableRun:
    """The run of fitted boosted trees: thresholds chosen, refitted on every row when asked, the test set scored,
    the model directory written."""
    began.count()
    tune, decision = tune_thresholds  # the label thresholds' choice, and the binary decision threshold's
    thresholds = choose_label_thresholds(learn, seed=seed, progress=progress, tune=tune, decision=decision)
    refit = plan.refit(learn, None, began.budget)
    model_dir = score_and_write(refit.learn if refit else learn, out, None, began.budget)
    if refit is not None:
        refit.hand_back_test_scores(learn)
        say_refit(refit, progress)
    hand_over(
        callbacks, began.budget, learn
    )  # the command's closing line on its whole time (no fit handed it)
    rate = float(getattr(learn.model, "settings", {}).get("learning_rate", 0.1))  # the boosting shrinkage
    return TableRun(
        learn, data, rate, model_dir, thresholds=thresholds, budget=began.budget, arch="gbdt", refit=refit
    )


def _resumed_lr(checkpoint: str | Path) -> float | None:
    """The peak learning rate the checkpoint's fit was training at (``None`` if it records none)."""
    from trainwell.learner import read_checkpoint

    rates = read_checkpoint(checkpoint).peak_lrs
    return rates[-1] if rates else None


class _SayRival(Callback):
    """Says, above the MLP's epoch rows, that the boosted trees were fitted first and what they must beat: the
    rows of one model were followed by the scores of another, explained only under them."""

    order = 60  # after the progress bar has started (it prints the line)

    def __init__(self, loss: Any) -> None:
        self.loss = loss

    def before_fit(self, learn: Any) -> None:
        from trainwell.callbacks.progress import say
        from trainwell.core.numbers import figure

        if isinstance(self.loss, float) and self.loss == self.loss:
            say(
                learn,
                f"boosted trees fitted first: validation loss {figure(self.loss)}; the MLP trains below and is kept "
                "if the epoch it keeps has a validation loss no higher",
            )


def _better_trees(trees: dict[str, Any], mlp: dict[str, Any]) -> bool:
    """Whether the trees' validation loss is below the MLP's (by :data:`TREES_MARGIN`); the trees' loss missing
    or NaN keeps the MLP, the MLP's missing or NaN (no epoch trained: a time budget spent before its first
    batch) keeps the trees."""
    ours, theirs = trees.get("valid_loss"), mlp.get("valid_loss")
    if not isinstance(ours, float) or ours != ours:
        return False
    if not isinstance(theirs, float):
        return True  # an MLP that trained no epoch has no loss to compare: it would be kept untrained
    return theirs != theirs or ours < theirs * (1 - TREES_MARGIN)


#: How ``arch="auto"``'s candidates are named in its leaderboard.
CANDIDATE_NAMES = {"tabular_mlp": "MLP", "gbdt": "boosted trees", "constant": "constant"}
#: Resamples of the validation rows behind the leaderboard's intervals (the same draws for every candidate).
LEADERBOARD_RESAMPLES = 1000
#: At most this many training rows are predicted again to time each candidate's predictions.
TIMED_ROWS = 1000


@dataclass(frozen=True)
class LeaderboardRow:
    """One candidate of ``arch="auto"`` on the validation rows: its loss and main metric, each with its 95%
    interval (a bootstrap over rows, the same resamples for every candidate; Wilson's for a share of rows such as
    accuracy), its fit seconds and its prediction time per 1,000 rows (``None`` for the constant baseline).

    Attributes:
        name: ``"tabular_mlp"``, ``"gbdt"`` or ``"constant"`` (the training rows' class shares, or their mean).
        loss, loss_interval: the validation loss (the fit's loss: log loss, weighted with ``class_weight``, or
            squared error) and its interval.
        metric, metric_interval: the main metric (:attr:`Leaderboard.metric`) and its interval.
        fit_seconds: seconds to build and fit the candidate (the MLP's with its learning-rate sweep).
        predict_ms: milliseconds to predict 1,000 rows (timed on up to :data:`TIMED_ROWS` training rows).
        kept: whether it is the model kept.
    """

    name: str
    loss: float
    loss_interval: tuple[float, float]
    metric: float
    metric_interval: tuple[float, float]
    fit_seconds: float | None = None
    predict_ms: float | None = None
    kept: bool = False

    @property
    def label(self) -> str:
        """The candidate as people read it: ``"MLP"``, ``"boosted trees"``, ``"constant"``."""
        return CANDIDATE_NAMES.get(self.name, self.name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "valid_loss": _finite(self.loss),
            "valid_loss_interval": [_finite(bound) for bound in self.loss_interval],
            "metric": _finite(self.metric),
            "metric_interval": [_finite(bound) for bound in self.metric_interval],
            "fit_seconds": None if self.fit_seconds is None else round(self.fit_seconds, 3),
            "predict_ms_per_1000_rows": None if self.predict_ms is None else round(self.predict_ms, 3),
            "kept": self.kept,
        }


@dataclass(frozen=True)
class Leaderboard:
    """``arch="auto"``'s candidates on the same validation rows, best validation loss first, and how sure the choice
    is (``run.leaderboard``; the model directory's ``trainwell.json`` keeps it under ``training.leaderboard``).

    Attributes:
        rows: one :class:`LeaderboardRow` per candidate (the MLP, the boosted trees, the constant baseline).
        metric: the main metric's name (the first of the fit's metrics, as ``trainwell evaluate`` heads its table).
        n_rows: validation rows every figure is taken on.
        difference: ``(point, low, high)``: the validation loss of the architecture set aside minus the kept one's,
            with its paired 95% interval (the same resampled rows for both).
        uncertain: the choice could well go the other way: under :data:`~trainwell.evaluate.explain.FEW_ROWS`
            validation rows, or the difference's interval holds 0.
        reason: why the kept one was kept, in words.
        note: the choice's certainty in plain words, with the command that compares the two on folds.
    """

    rows: tuple[LeaderboardRow, ...]
    metric: str
    n_rows: int
    difference: tuple[float, float, float]
    uncertain: bool
    reason: str
    note: str
    level: float = 0.95

    @property
    def kept(self) -> LeaderboardRow:
        return next(row for row in self.rows if row.kept)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "rows_validated": self.n_rows,
            "level": self.level,
            "candidates": [row.to_dict() for row in self.rows],
            "loss_difference": _finite(self.difference[0]),
            "loss_difference_interval": [_finite(bound) for bound in self.difference[1:]],
            "uncertain": self.uncertain,
            "reason": self.reason,
            "note": self.note,
        }


def _finite(value: float) -> float | None:
    """``value``, or ``None`` where it is no number (JSON has no NaN)."""
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def _row_losses(task: Any, preds: Any, targets: Any, weights: Any) -> Any:
    """``(N,)`` float64: each validation row's loss as the fit computes it from the activated ``preds``: the log
    loss of a class (times its class weight under ``class_weight``), or the squared error of a number."""
    import torch

    from trainwell.metrics.functional import LOG_LOSS_EPS

    if task.kind == "regression":
        return (preds.reshape(-1).double() - targets.reshape(-1).double()) ** 2
    if task.kind == "binary":
        truth = targets.reshape(-1).double()
        chance = preds.reshape(-1).double().clamp(LOG_LOSS_EPS, 1 - LOG_LOSS_EPS)
        losses = -(truth * torch.log(chance) + (1 - truth) * torch.log(1 - chance))
    else:
        truth = targets.reshape(-1).long()
        losses = -torch.log(preds.double().gather(1, truth[:, None]).reshape(-1).clamp_min(LOG_LOSS_EPS))
    if weights is not None:
        losses = losses * weights.double()[truth.long()]
    return losses


def _mean_interval(values: Any) -> tuple[float, float, float]:
    """The mean of per-row ``values`` with its percentile bootstrap interval
    (:func:`~trainwell.evaluate.intervals.bootstrap_ci`): seeded alike for every candidate, so that each resample
    draws the same rows for all of them. ``values`` (N,) or (N, 2): the second column minus the first."""
    import numpy as np

    from trainwell.evaluate._resampled import GATHER_BLOCK
    from trainwell.evaluate.intervals import bootstrap_ci

    def mean(rows: Any) -> Any:
        return rows.mean(-1) if rows.ndim == 2 else (rows[..., 1] - rows[..., 0]).mean(-1)

    def resampled(rows: Any, _targets: Any, draws: Any) -> np.ndarray:
        step = max(1, GATHER_BLOCK // max(1, rows.numel()))  # resamples gathered at once: ~32 MB
        return np.concatenate(
            [mean(rows[draws[at : at + step]]).numpy() for at in range(0, len(draws), step)]
        )

    return bootstrap_ci(
        lambda rows, _targets: float(mean(rows[None])[0]),
        values,
        values,
        n_boot=LEADERBOARD_RESAMPLES,
        seed=0,
        resampled_fn=resampled,
    )


def _main_metric(learn: Any) -> str:
    """The leaderboard's metric: the first of the fit's metrics that the functional metrics score (as
    ``trainwell evaluate`` heads its table with the first), else the task's first default."""
    from trainwell.metrics import functional
    from trainwell.metrics.registry import default_metrics, list_metrics

    scored = set(list_metrics(task=learn.task.kind))
    for metric in learn.metrics:
        if metric.name in scored and hasattr(functional, metric.name):
            return str(metric.name)
    return default_metrics(learn.task.kind)[0]


def _metric_interval(name: str, task: Any, preds: Any, targets: Any) -> tuple[float, float, float]:
    """Metric ``name`` at 0.5 with its interval, as the fit's table of results gives it (Wilson's for a share of
    rows, else the bootstrap seeded as :func:`_mean_interval`'s)."""
    from trainwell.evaluate._resampled import resampled_metric
    from trainwell.evaluate.intervals import bootstrap_ci
    from trainwell.evaluate.paired import metric_fn

    return bootstrap_ci(
        metric_fn(name, task.kind),
        preds,
        targets,
        n_boot=LEADERBOARD_RESAMPLES,
        seed=0,
        resampled_fn=resampled_metric(name, task.kind, 0.5),
    )


def _predict_ms(learn: Any) -> float | None:
    """Milliseconds to predict 1,000 rows: the model's forward pass over up to :data:`TIMED_ROWS` training rows
    (already read into tensors; the 9 validation rows of a Titanic fit with ``valid_pct=0.01`` timed mostly the
    call itself), the fastest of three after one row to warm it up; ``None`` where the rows are not held as
    tensors."""
    import time

    import torch

    tensors = getattr(learn.data.train, "tensors", None)
    if not tensors or len(tensors) < 2 or not len(tensors[-1]):
        return None
    model = learn.model
    held = next(iter([*model.parameters(), *model.buffers()]), None)
    device = held.device if held is not None else torch.device("cpu")
    n = min(len(tensors[-1]), TIMED_ROWS)
    inputs = [tensor[:n].to(device) for tensor in tensors[:-1]]
    training = model.training
    model.eval()
    from trainwell.callbacks.threads import pass_threads

    elapsed = math.inf
    try:
        with torch.no_grad(), pass_threads(learn):  # the threads its own predictions take (the MLP's: one)
            model(*[tensor[:1] for tensor in inputs])
            for _ in range(3):  # the fastest of three: other work on the machine only ever slows one down
                if device.type == "cuda":
                    torch.cuda.synchronize(device)
                started = time.perf_counter()
                model(*inputs)
                if device.type == "cuda":
                    torch.cuda.synchronize(device)
                elapsed = min(elapsed, time.perf_counter() - started)
    finally:
        model.train(training)
    return elapsed * 1000 * 1000 / n


def _constant_predictions(learn: Any, n: int) -> Any:
    """What the constant baseline answers for ``n`` rows: the training rows' class shares, or their mean target;
    ``None`` where the training rows do not tell (several targets)."""
    import torch

    task = learn.task
    train = learn.data.train
    if task.kind in ("binary", "multiclass"):
        shares = getattr(train, "class_shares", None)
        if not shares:
            return None
        shares_t = torch.tensor([float(share) for share in shares], dtype=torch.float32)
        return shares_t[-1].repeat(n) if task.kind == "binary" else shares_t.repeat(n, 1)
    tensors = getattr(train, "tensors", None)
    if task.kind == "regression" and tensors and tensors[-1].ndim == 1:
        return torch.full((n,), float(tensors[-1].double().mean()), dtype=torch.float32)
    return None


def table_leaderboard(
    mlp: Any,
    trees: Any,
    *,
    kept_trees: bool,
    fit_seconds: dict[str, float],
    evaluate_hint: str = "",
) -> Leaderboard | None:
    """``arch="auto"``'s leaderboard: the MLP, the boosted trees and the constant baseline on the same validation
    rows (their kept predictions), each one's validation loss and main metric with paired 95% intervals, fit
    seconds and prediction time; which was kept and why; and whether the choice is uncertain (few rows, or the
    paired difference of the two losses holds 0), said with the command that compares them on folds
    (``evaluate_hint``: the data and target as ``trainwell evaluate`` takes them). ``None`` where the two were
    not validated on the same rows."""
    import torch

    from trainwell.core.numbers import figure
    from trainwell.evaluate.explain import FEW_ROWS
    from trainwell.learner.kept_predictions import validation_predictions
    from trainwell.losses.class_weights import BalancedCrossEntropy

    preds_m, targets = validation_predictions(mlp)
    preds_t, targets_t = validation_predictions(trees)
    n = min(len(preds_m), len(preds_t))  # a time budget may have cut the MLP's last pass to its first rows
    if n == 0 or not torch.equal(targets[:n].float().cpu(), targets_t[:n].float().cpu()):
        return None
    targets = targets[:n].cpu()
    candidates = {"tabular_mlp": preds_m[:n].float().cpu(), "gbdt": preds_t[:n].float().cpu()}
    constant = _constant_predictions(mlp, n)
    if constant is not None:
        candidates["constant"] = constant
    loss_func = getattr(mlp, "loss_func", None)
    weights = loss_func.weights if isinstance(loss_func, BalancedCrossEntropy) else None
    task, metric = mlp.task, _main_metric(mlp)
    losses = {name: _row_losses(task, preds, targets, weights) for name, preds in candidates.items()}
    kept_name, other_name = ("gbdt", "tabular_mlp") if kept_trees else ("tabular_mlp", "gbdt")
    learners = {"tabular_mlp": mlp, "gbdt": trees}
    rows = []
    for name, preds in candidates.items():
        loss, loss_low, loss_high = _mean_interval(losses[name])
        recorded = learners[name].final_row.get("valid_loss") if name in learners else None
        if isinstance(recorded, float) and math.isclose(recorded, loss, rel_tol=1e-5):
            # The same rows summed in another order and precision (a price's squared error: 1,954,587,792 here,
            # 1,954,587,831 in the results table and the report): the figure the fit recorded, one number for both.
            loss = recorded
        value, low, high = _metric_interval(metric, task, preds, targets)
        rows.append(
            LeaderboardRow(
                name,
                loss,
                (loss_low, loss_high),
                value,
                (low, high),
                fit_seconds.get(name),
                _predict_ms(learners[name]) if name in learners else None,
                kept=name == kept_name,
            )
        )
    rows.sort(key=lambda row: (not math.isfinite(row.loss), row.loss, not row.kept))
    difference = _mean_interval(torch.stack([losses[kept_name], losses[other_name]], dim=1))
    kept, other = CANDIDATE_NAMES[kept_name], CANDIDATE_NAMES[other_name]
    mlp_loss, trees_loss = (learner.final_row.get("valid_loss") for learner in (mlp, trees))
    if kept_trees:
        reason = "lower validation loss"
    elif isinstance(mlp_loss, float) and isinstance(trees_loss, float) and mlp_loss == trees_loss:
        reason = "the same validation loss as the trees (a tie keeps the MLP)"
    else:
        reason = (
            "lower validation loss" if isinstance(trees_loss, float) else "the trees have no validation loss"
        )
    point, low, high = difference
    # One form for the three, set by the largest: +4.194e8 [+3.247e8, +5.154e8], never one whole and one compact
    like = max((abs(bound) for bound in (low, high) if math.isfinite(bound)), default=high)
    spread = (
        f"{_possessive(other)} validation loss is {figure(point, signed=True, like=like)} against {_possessive(kept)} on the same "
        f"rows (95% interval [{figure(low, signed=True, like=like)}, {figure(high, signed=True, like=like)}])"
    )
    few = n < FEW_ROWS
    holds_zero = not (math.isfinite(low) and math.isfinite(high)) or low <= 0 <= high
    uncertain = few or holds_zero
    compare = (
        f"compare them on folds before trusting it: trainwell evaluate {evaluate_hint or 'DATA --target TARGET'} "
        "--arch mlp, then --arch gbdt"
    )
    if few:
        certainty = (
            f"The choice is uncertain: it rests on only {n:,} validation rows, and {spread}; {compare}."
        )
    elif holds_zero:
        certainty = f"The choice is uncertain: {spread}, an interval that holds 0; {compare}."
    else:
        certainty = f"The choice holds on these rows: {spread}, all of it above 0."
    note = f"Kept the {kept}: {reason}. {certainty}"
    return Leaderboard(tuple(rows), metric, n, difference, uncertain, reason, note)


def _import_before_timing() -> None:
    """Import what both of ``arch="auto"``'s candidates need before either is timed: scikit-learn's boosting and
    torch's optimizer machinery (its first optimizer imports torch._dynamo). Whichever was fitted first paid them,
    ~5 s of a Titanic fit whose trees took 0.3 s, and the leaderboard's fit time blamed them on the trees."""
    import torch
    from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: F401

    torch.optim.AdamW([torch.zeros(1, requires_grad=True)])


def _possessive(name: str) -> str:
    """``"the MLP's"``, ``"the boosted trees'"``."""
    return f"the {name}'" if name.endswith("s") else f"the {name}'s"


def evaluate_hint(source: Any, target: str | Sequence[str]) -> str:
    """The data and target of ``fit_table(source, target)`` as ``trainwell evaluate`` takes them (``""`` for a
    DataFrame: the leaderboard's note names them as ``DATA --target TARGET``)."""
    import shlex

    if not isinstance(source, str | Path):
        return ""
    names = target if isinstance(target, str) else ",".join(target)
    return f"{shlex.quote(str(source))} --target {shlex.quote(names)}"


def record_leaderboard(model_dir: Path, leaderboard: Leaderboard) -> None:
    """Add ``leaderboard`` to the model directory's ``trainwell.json``, under ``training.leaderboard`` (by rank 0;
    the file rewritten atomically)."""
    import json

    from trainwell.core.atomic import write_text_atomic
    from trainwell.core.device import is_rank_zero

    path = Path(model_dir) / "trainwell.json"
    if not is_rank_zero() or not path.is_file():
        return
    document = json.loads(path.read_text(encoding="utf-8"))
    document.setdefault("training", {})["leaderboard"] = leaderboard.to_dict()
    write_text_atomic(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
