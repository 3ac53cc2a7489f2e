"""The whole tabular job in one call: data, learner, learning-rate finder, one-cycle training, artifact.

The command line (``trainwell fit`` and ``trainwell demo``) is a thin layer over :func:`fit_table`.
"""

from __future__ import annotations

import math
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
    ``arch="auto"`` each architecture's final validation row (``compared``, by name) and the one kept; with
    ``refit_full=True``, what was trained again on every row (``refit``: its ``learn`` is the model written)."""

    lr_find: LRFindResult | None = None
    compared: dict[str, dict[str, Any]] | None = None
    arch: str = "tabular_mlp"
    refit: Refit | None = None


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
        found = "no suggestion" if suggestion is None else f"a suggestion of {suggestion:.1e}"
        warn(
            f"the learning-rate finder gave {found} (below {LR_BOUNDS[0]:g}: its sweep was misread); training at "
            f"the default {DEFAULT_LR:g} instead; {choose}",
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
    source, data_kwargs = folder_source(source, target, data_kwargs, command="fit", say=progress)
    data = tabular_data(source, target, seed=seed, **data_kwargs)
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
    if arch == "auto" and epochs is None and lr is None and trees_apply(data):  # epochs, lr: the MLP's
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
        # Nothing left for the MLP (a short --time on a large table, or a choice inside evaluate's fold share): the
        # trees are a trained model, kept, where the MLP's fit would refuse as spent before training began.
        if budget is not None and budget.remaining <= 0:
            return _trees_kept(
                rival, data, out, seed, progress, (tune_thresholds, decision), began, callbacks, refit_plan
            )
        seed_everything(seed)  # the MLP starts where it would have without the trees
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
    beaten: dict[str, bytes] | None = None
    if rival is not None:
        compared = {
            "tabular_mlp": dict(learn.final_row),
            "gbdt": meaningful_row(rival.final_row, rival.model),
        }
        if _better_trees(rival.final_row, learn.final_row):
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
    if refit is not None:
        refit.hand_back_test_scores(learn)
        say_refit(refit, progress)
    chosen = "gbdt" if learn is rival else "tabular_mlp"
    return TableRun(learn, data, lr, model_dir, thresholds=thresholds, budget=budget, lr_find=finder,
                    compared=compared, arch=chosen, refit=refit)  # fmt: skip


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
