"""Hyper-parameter search for tables: by default what ``trainwell fit`` chooses between (``arch="auto"``),
boosted trees (learning rate, leaves, leaf size, L2 penalty) and the MLP (learning rate, decay, epochs, layers,
dropout, number embedding), each trial picking one kind; or one kind alone (``"mlp"``, ``"gbdt"``).

The study is the one every application shares (:func:`~trainwell.automl.search.run_search`): the first trials
are each kind's defaults (what ``fit`` fits: for the MLP the learning rate the finder picks, the default
epochs, layers, dropout, decay and number embedding), every trial trains on the same training rows with the
same seed and is scored on the same validation rows by one metric (``roc_auc`` for binary and multi-label
targets, ``accuracy`` for classes, ``rmse`` for numbers), and the best trial's model is kept and written with
``tuning.json``, or the better defaults' when the best's gain over them is within the validation rows' noise
(``keep=``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from trainwell.automl.search import (
    ARCH_PARAM,
    SEARCH_METRIC,
    MixedSpace,
    OptunaPruning,
    Range,
    Space,
    TuneResult,
    one_time_setting,
    run_search,
    search_metric,
    start_search,
)
from trainwell.automl.space import one_cycle_trial
from trainwell.callbacks.budget import TimeBudget, sweep_time
from trainwell.core.errors import ConfigError
from trainwell.core.seeding import seed_everything
from trainwell.data.bundle import DataBundle
from trainwell.distributed.spread import each_process_alone
from trainwell.learner.events import Callback
from trainwell.learner.learner import Learner
from trainwell.tabular.data import tabular_data
from trainwell.tabular.learner import GBDT_NAMES, MLP_NAMES, tabular_learner
from trainwell.tabular.pipeline import TableRun, choose_lr, default_epochs, trees_apply

__all__ = ["GBDT_RANGES", "LAYER_CHOICES", "TABLE_RANGES", "tune_table"]

#: Hidden layers tried, as text (Optuna's categorical choices must be plain values).
LAYER_CHOICES = ("128", "256-128", "512-256", "512-256-128")
DEFAULT_LAYERS, DEFAULT_DROPOUT, DEFAULT_WD, DEFAULT_EMBEDDING = "256-128", 0.1, 0.01, "periodic"


# Under torchrun each process trains its trials alone (run_search shares them out), trees included.
@each_process_alone()
def tune_table(
    source: pd.DataFrame | str | Path,
    target: str | Sequence[str],
    *,
    n_trials: int = 20,
    timeout: float | str | None = None,
    time_budget: float | str | None = None,
    metric: str | None = None,
    out: str | Path | None = None,
    seed: int = 0,
    pruner: Any = None,
    progress: bool = False,
    tune_thresholds: bool = True,
    decision_threshold: str | float | None = None,
    search: dict[str, Any] | None = None,
    keep: str = "clear",
    storage: str | Path | None = None,
    study_name: str | None = None,
    arch: str = "auto",
    **data_kwargs: Any,
) -> TuneResult:
    """Search the settings of a table's model: by default (``arch="auto"``, as :func:`~trainwell.fit_table`)
    both boosted trees and the MLP, each trial picking one; ``"mlp"`` the MLP alone (learning rate, decay,
    epochs, layers, dropout and number embedding: :data:`TABLE_RANGES`); ``"gbdt"`` the trees alone (learning
    rate, leaves, leaf size and L2 penalty: :data:`GBDT_RANGES`).

    Under ``auto`` the first trials are each kind's defaults, the trees' (trial 0, seconds) then the MLP's
    (trial 1), so that a ``timeout`` spent on the MLP never leaves the trees untried; then every trial picks
    its kind (the parameter ``arch``) and that kind's settings. ``result.default_value`` is the better of the
    two defaults' scores, at least what ``fit_table``'s own choice between them scores, and
    ``result.improvement`` is measured from it; ``result.arch`` and each trial's ``arch`` name the kind
    (``"gbdt"`` or ``"tabular_mlp"``), as does the model directory. Where ``fit_table`` keeps the MLP without
    asking (several or multi-label targets), ``auto`` searches the MLP alone.

    Args:
        source, target, data_kwargs: As for :func:`~trainwell.fit_table` (``valid_pct``, ``valid_col``...).
        n_trials: Trials to run, the defaults' included (under ``auto``, two: one per kind); under
            ``torchrun``, over all its processes, which run one trial each at a time (see
            :mod:`trainwell.automl.search`).
        timeout: Seconds (or a duration such as ``"10m"``) the whole search may take, data reading included
            (the trial running when time runs short is fitted to what is left; see
            :mod:`trainwell.automl.search`); ``time_budget=``, the name ``fit_*`` gives it, is the same.
        metric: The validation metric to optimise (default per task, see the module docstring).
        out: Model directory for the best settings' model, with ``tuning.json``.
        seed: Seeds the split, every trial's training and the sampler.
        pruner: An Optuna pruner (default: ``MedianPruner`` after 5 trials, from 30% of a trial's schedule;
            steps are tenths of the schedule, see :class:`OptunaPruning`). Boosted trees are fitted in one
            step and never report, so they are never pruned and an MLP trial is judged against MLP trials.
        progress: Show each trial's progress bar.
        tune_thresholds: Multi-label targets: choose each label's decision threshold on the validation rows
            for the best settings' model, as :func:`~trainwell.fit_table` does (``False``: 0.5 for every label).
        search: Ranges of your own for some settings (the others keep theirs, :data:`TABLE_RANGES` and
            :data:`GBDT_RANGES`): a ``(low, high)`` tuple searches between them on the setting's scale
            (``lr``, ``wd``, ``learning_rate``... logarithmic, ``epochs`` whole), a list tries its values, one
            value holds the setting there, e.g. ``{"epochs": (2, 6), "layers": ["128", "256-128"],
            "dropout": 0.1}``. Under ``auto`` a setting narrows the kind that has it and leaves the other's
            ranges as they are. The defaults' trials are moved into these ranges.
        keep: Which trial's model is kept and written: ``"clear"`` (the default) the best trial only when its
            gain over the better defaults' trial is clear of the validation rows' noise, its choice as the best
            of all the trials on those rows counted (``result.selection.p_value`` below 0.05: a reality check
            over resamples of the rows), else that defaults' trial (``result.kept == "defaults"``: the best of
            many trials on the same rows is flattered by the choosing); ``"best"`` the best trial always.
            Where the gain cannot be resampled (no defaults' trial finished) the best is kept;
            ``result.kept_reason`` says why.
        storage, study_name: Keep the study across runs, in ``storage`` (a file: ``tune.db`` SQLite, any other
            name an Optuna journal; or a database URL such as ``sqlite:///tune.db``), as ``study_name``
            (default ``"trainwell"``): run the same search again and it resumes, ``n_trials`` more trials after
            the stored ones, the best of them all kept (an earlier run's trained again, for the epochs it trained
            when ``timeout`` cut it, within this run's ``timeout``; this run's best model in its place when the
            refit comes out clearly worse than its stored score or the time left cannot hold it:
            ``result.refitted`` says which, see :mod:`trainwell.automl._refit`); a study made for other data,
            metric, seed or ranges is refused (see :mod:`trainwell.automl._storage`). ``result.fit_kwargs()``
            gives the best trial's settings as :func:`~trainwell.fit_table`'s keywords.
        decision_threshold: binary targets, as :func:`~trainwell.fit_table` takes it: a metric (``"f1"``,
            ``"balanced_accuracy"``, ``"mcc"``, ``"accuracy"``) for which each trial's model chooses its threshold
            on the validation rows, or a threshold for every trial (``0.3``). A search ``metric`` of decisions
            (``f1``, ``accuracy``...) scores each trial at its threshold (a chosen one on the rows it was
            chosen on: flattered alike for every trial); each trial's threshold is in ``tuning.json``, and the
            kept model decides at its own, as after ``fit_table(decision_threshold=)``.

    Raises:
        ConfigError: ``n_trials`` below 1, a bad ``timeout``, an ``arch`` not searched, a ``search`` setting
            not searched (or a range that cannot be read), a ``keep`` other than ``"clear"`` or ``"best"``, or a
            metric that does not fit the task.
        TuningDependencyError: Optuna is not installed.

    Example::

        result = tune_table("adult.csv", "income", n_trials=20, out="model")
        result.arch, result.best_value, result.improvement  # e.g. ("gbdt", 0.93, 0.002)
        result.kept, result.kept_trial  # e.g. ("best", 18); ("defaults", 0) when the gain was within the noise
    """
    timeout = one_time_setting(timeout, time_budget)
    settings = start_search(
        n_trials,
        timeout,
        out,
        seed,
        pruner,
        progress,
        keep,
        tune_thresholds,
        storage=storage,
        study_name=study_name,
        decision_threshold=decision_threshold,
    )
    if arch not in ("auto", *MLP_NAMES, *GBDT_NAMES):
        raise ConfigError(
            f"arch (--arch) {arch!r} is not searched for tables: auto (the default: boosted trees and the MLP), "
            "mlp or gbdt"
        )
    if search and ARCH_PARAM in search:
        raise ConfigError(
            f"search names {ARCH_PARAM!r}: choose the kinds of model searched with arch= (--arch): auto (both), "
            "mlp or gbdt"
        )
    from trainwell.core.keywords import check_passed_keywords

    check_passed_keywords(tune_table, data_kwargs, tabular_data)
    data = tabular_data(source, target, seed=seed, **data_kwargs)
    chosen = search_metric(data, metric, SEARCH_METRIC.get(data.task.kind))
    result = run_search(data, table_space(arch, data, search, settings.budget), chosen, settings)
    if isinstance(result.run, TableRun) and result.kept_arch is not None:
        result.run.arch = result.kept_arch  # the kind of model kept, as fit_table's run says it
    return result


def table_space(
    arch: str, data: DataBundle, search: dict[str, Any] | None = None, budget: TimeBudget | None = None
) -> Space | MixedSpace:
    """What ``arch`` searches on ``data``, narrowed by ``search=``: ``auto`` both kinds where
    :func:`~trainwell.tabular.pipeline.trees_apply` (the trees' defaults first), else the MLP alone. The MLP's
    learning-rate finder takes a bounded share of ``budget`` (the search's), as under ``fit --time``."""
    defaults = functools.partial(_default_params, budget=budget)
    mlp = Space(defaults, TABLE_RANGES, _train, TableRun, arch="tabular_mlp", fit_kwargs=mlp_fit_kwargs)
    trees = Space(
        _gbdt_defaults,
        GBDT_RANGES,
        _train_trees,
        TableRun,
        arch="gbdt",
        fit_kwargs=gbdt_fit_kwargs,
        steps=False,
    )
    if arch in GBDT_NAMES:
        return trees.narrowed(search)
    if arch != "auto":
        return mlp.narrowed(search)
    if trees_apply(data):
        return MixedSpace((trees, mlp)).narrowed(search)
    for name in search or {}:
        if name in GBDT_RANGES and name not in TABLE_RANGES:
            raise ConfigError(
                f"search names {name!r}, a setting of boosted trees, but arch='auto' searches the MLP alone "
                f"here (trees take one target, binary, classes or one number, and validation rows, as in "
                "fit); leave it out"
            )
    return mlp.narrowed(search)


def _default_params(data: DataBundle, seed: int, budget: TimeBudget | None = None) -> dict[str, Any]:
    """Trial 0: what ``trainwell fit`` would do, the learning-rate finder's choice included. Under a search's
    ``budget`` the finder's sweep gets a tenth of it (:func:`sweep_time` without the training's batches: what
    trial 0's training leaves belongs to the trials after it): fewer, larger steps, or the default rate when not
    even those fit."""
    seed_everything(seed)
    finder = tabular_learner(data, progress=False).lr_find(time_limit=sweep_time(budget))
    lr = choose_lr(finder, choose="the search tries other rates; --search lr=LOW:HIGH narrows them")
    return {
        "lr": lr,
        "wd": DEFAULT_WD,
        "epochs": default_epochs(len(data.train)),  # type: ignore[arg-type]
        "layers": DEFAULT_LAYERS,
        "dropout": DEFAULT_DROPOUT,
        "numeric_embedding": DEFAULT_EMBEDDING,
    }


#: What a table search tries (``search=`` narrows them).
TABLE_RANGES = {
    "lr": Range(1e-4, 3e-2, log=True),
    "wd": Range(1e-5, 0.3, log=True),
    "epochs": Range(2, 30, whole=True),
    "layers": Range(choices=LAYER_CHOICES),
    "dropout": Range(0.0, 0.5),
    "numeric_embedding": Range(choices=("periodic", "none")),
}


def _mlp_learner(data: DataBundle, params: dict[str, Any], progress: bool) -> Learner:
    return tabular_learner(
        data,
        layers=[int(width) for width in str(params["layers"]).split("-")],
        dropout=float(params["dropout"]),
        numeric_embedding=str(params["numeric_embedding"]),
        wd=float(params["wd"]),
        progress=progress,
    )


def _kept_epoch(data: DataBundle) -> list[Callback]:
    """An MLP trial ends with its epoch of lowest validation loss, as ``fit_table`` keeps it (``keep_best``):
    the trial is scored on that epoch's row. Scoring the last epoch ranked the trials by a model ``fit_table(
    **result.fit_kwargs())`` would not keep."""
    from trainwell.tabular.best_epoch import best_epoch_callbacks

    return best_epoch_callbacks(True, data.valid is not None, [])


_train = one_cycle_trial(_mlp_learner, kept=_kept_epoch)


def mlp_fit_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """An MLP trial's settings as :func:`~trainwell.fit_table`'s keywords: ``arch``, ``lr`` and ``epochs``, the
    model's and the optimizer's in ``learner_kwargs`` (``layers`` as a list of widths).

    Example:
        >>> mlp_fit_kwargs({"lr": 0.01, "wd": 0.01, "epochs": 14, "layers": "256-128", "dropout": 0.1,
        ...                 "numeric_embedding": "periodic"})["learner_kwargs"]["layers"]
        [256, 128]
    """
    from trainwell.tabular.learner import hidden_layers

    return {
        "arch": "mlp",
        "lr": float(params["lr"]),
        "epochs": int(params["epochs"]),
        "learner_kwargs": {
            "wd": float(params["wd"]),
            "layers": hidden_layers(params["layers"]),
            "dropout": float(params["dropout"]),
            "numeric_embedding": str(params["numeric_embedding"]),
        },
    }


#: The floor of the trees' L2 range, which stands for no penalty, fit's default: a log scale cannot reach 0, and
#: 1e-6 instead of 0 changes where early stopping ends (on Titanic 65 rounds instead of 82), so the defaults'
#: trial would not be what fit fits.
NO_L2 = 1e-6
#: What a search of boosted trees tries (``arch="gbdt"`` and ``"auto"``; ``search=`` narrows them).
GBDT_RANGES = {
    "learning_rate": Range(0.01, 0.3, log=True),
    "max_leaf_nodes": Range(8, 128, log=True, whole=True),
    "min_samples_leaf": Range(5, 100, log=True, whole=True),
    "l2_regularization": Range(NO_L2, 10.0, log=True),
}


def _gbdt_defaults(data: DataBundle, seed: int) -> dict[str, Any]:
    """Trial 0 of a trees search: what ``trainwell fit --arch gbdt`` fits."""
    from trainwell.tabular.gbdt import DEFAULT_SETTINGS

    return {name: DEFAULT_SETTINGS[name] for name in GBDT_RANGES}


def gbdt_fit_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """A trees trial's settings as :func:`~trainwell.fit_table`'s keywords: ``arch="gbdt"`` and
    ``gbdt_settings`` (the L2 range's floor as no penalty, as the trial fitted it)."""
    return {"arch": "gbdt", "gbdt_settings": _trees_settings(params)}


def _trees_settings(params: dict[str, Any]) -> dict[str, Any]:
    settings = dict(params)
    if settings.get("l2_regularization", 1.0) <= NO_L2:  # the range's floor: no penalty, as fit has it
        settings["l2_regularization"] = 0.0
    return settings


def _train_trees(
    data: DataBundle, params: dict[str, Any], seed: int, callbacks: list[Callback], progress: bool
) -> Learner:
    """One trial of boosted trees: fitted when built, then one pass that validates. The fit is one step, so the
    pruning callback and a search's time budget are left out: there is nothing to prune or cut midway, and a
    budget would count the pass that trains no batch as cut short (the trees' seconds still come out of a
    started budget, as time between its fits)."""
    settings = _trees_settings(params)
    seed_everything(seed)
    learn = tabular_learner(data, arch="gbdt", gbdt_settings=settings, seed=seed, progress=progress)
    learn.fit(
        1,
        callbacks=[
            callback for callback in callbacks if not isinstance(callback, (OptunaPruning, TimeBudget))
        ],
    )
    return learn
