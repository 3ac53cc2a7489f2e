"""Hyper-parameter search for sequence taggers: the BiLSTM-CRF's learning rate, decay, epochs, width and dropout.

The same study as for tables and recommenders (:func:`~trainwell.automl.search.run_search`): trial 0 is what
``trainwell fit data.conll --task tagging`` does, every trial trains on the same sentences with the same seed
and is scored on the same validation sentences. Entity tags (IOB, IOBES) optimise ``entity_f1`` as conlleval
counts it; other tags (parts of speech) optimise ``tag_accuracy``.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from trainwell.automl.search import (
    Range,
    Space,
    TuneResult,
    one_time_setting,
    run_search,
    search_metric,
    start_search,
)
from trainwell.automl.space import one_cycle_trial
from trainwell.core.errors import ConfigError
from trainwell.core.warn import warn
from trainwell.data.bundle import DataBundle
from trainwell.distributed.spread import each_process_alone
from trainwell.learner.learner import Learner
from trainwell.metrics.label_baselines import BaselineNotBeaten
from trainwell.text.tagging.data import tagging_data
from trainwell.text.tagging.learner import TAGGER_LR, TAGGER_WD, tagging_baseline_warning, tagging_learner
from trainwell.text.tagging.pipeline import TaggerRun, default_tagger_epochs

__all__ = ["HIDDEN_CHOICES", "kept_baseline_warning", "tune_tagger"]

#: Widths of the BiLSTM's hidden state (each direction) tried.
HIDDEN_CHOICES = (100, 200, 300)
DEFAULT_HIDDEN, DEFAULT_DROPOUT, DEFAULT_BATCH = 200, 0.5, 32


# Under torchrun each process trains its trials alone (run_search shares them out), trees included.
@each_process_alone()
def tune_tagger(
    source: Any,
    *,
    tag_col: str | int | None = None,
    valid: Any = None,
    n_trials: int = 20,
    timeout: float | str | None = None,
    time_budget: float | str | None = None,
    metric: str | None = None,
    out: str | Path | None = None,
    seed: int = 0,
    pruner: Any = None,
    progress: bool = False,
    search: dict[str, Any] | None = None,
    keep: str = "clear",
    storage: str | Path | None = None,
    study_name: str | None = None,
    **data_kwargs: Any,
) -> TuneResult:
    """Search the BiLSTM-CRF tagger's learning rate, weight decay, epochs, hidden width and dropout.

    Args:
        source, tag_col, valid, data_kwargs: As for :func:`~trainwell.text.tagging.fit_tagger` (a CoNLL or
            CoNLL-U file, or a folder with train/dev/test files; ``valid_pct``, ``min_freq``,
            ``encoding_errors``...).
        n_trials, timeout, metric, out, seed, pruner, progress, search, keep, storage,
            study_name: As for
            :func:`~trainwell.automl.tune_table` (the settings: :data:`TAGGER_RANGES`);
            the default metric is ``entity_f1`` for entity tags and ``tag_accuracy`` for others (neither is
            resampled by rows, so ``keep`` keeps the best trial and ``kept_reason`` says the gain was not checked).

    Warns:
        BaselineNotBeaten: once, when the kept tagger is not above tagging each word with its most frequent tag
            (:func:`kept_baseline_warning`), as :func:`~trainwell.text.tagging.fit_tagger` warns; the trials,
            candidates the search compares, are not warned of.

    Raises:
        ConfigError: ``n_trials`` below 1, a bad ``timeout``, no validation sentences, or a metric that does
            not score this task.
        TuningDependencyError: Optuna is not installed.
    """
    timeout = one_time_setting(timeout, time_budget)
    settings = start_search(
        n_trials, timeout, out, seed, pruner, progress, keep, storage=storage, study_name=study_name
    )
    data_kwargs.setdefault("batch_size", DEFAULT_BATCH)
    data = tagging_data(source, tag_col=tag_col, valid=valid, seed=seed, **data_kwargs)
    if data.task.kind != "tagging":  # pragma: no cover - tagging_data always builds a tagging task
        raise ConfigError(f"tune_tagger needs tagged sentences, got a {data.task.kind} task")
    chosen = search_metric(data, metric, data.task.metric_names[0])
    space = Space(_default_params, TAGGER_RANGES, _train, TaggerRun).narrowed(search)
    with warnings.catch_warnings():
        # Each trial is a candidate, and a refit trains an earlier run's trial again: neither is the model
        # handed back, which is judged once, below (as a fit's tagger is).
        warnings.filterwarnings("ignore", category=BaselineNotBeaten)
        result = run_search(data, space, chosen, settings)
    warning = kept_baseline_warning(result)
    if warning is not None:
        warn(warning)
    return result


def kept_baseline_warning(result: TuneResult) -> BaselineNotBeaten | None:
    """:class:`BaselineNotBeaten` when the kept tagger's last validation row is not above tagging each word with
    its most frequent tag, as ``trainwell fit`` warns of a tagger (:func:`tagging_baseline_warning`), its fix a
    search of more epochs (or a longer timeout, when the timeout cut the kept trial); ``None`` when it clears
    the baseline, or in a process of a ``torchrun`` job that does not hold the model."""
    from trainwell.core.device import is_rank_zero

    learn = result.run.learn if result.run is not None else None
    history = getattr(learn, "history", None)
    if not history or not is_rank_zero():
        return None
    kept = next((trial for trial in result.trials if trial.get("number") == result.kept_trial), {})
    return tagging_baseline_warning(history[-1], budgeted=bool(kept.get("cut_by_time")), searched=True)


def _default_params(data: DataBundle, seed: int) -> dict[str, Any]:
    """Trial 0: what ``trainwell fit --task tagging`` does."""
    epochs = default_tagger_epochs(len(data.train))  # type: ignore[arg-type]
    return {
        "lr": TAGGER_LR,
        "wd": TAGGER_WD,
        "epochs": epochs,
        "hidden": DEFAULT_HIDDEN,
        "dropout": DEFAULT_DROPOUT,
    }


#: What a tagger search tries (``search=`` narrows them).
TAGGER_RANGES = {
    "lr": Range(1e-3, 2e-2, log=True),
    "wd": Range(1e-4, 0.1, log=True),
    "epochs": Range(3, 40, whole=True),
    "hidden": Range(choices=HIDDEN_CHOICES),
    "dropout": Range(0.2, 0.6),
}


def _learner(data: DataBundle, params: dict[str, Any], progress: bool) -> Learner:
    return tagging_learner(
        data,
        arch_config={"hidden": int(params["hidden"]), "dropout": float(params["dropout"])},
        lr=float(params["lr"]),
        wd=float(params["wd"]),
        progress=progress,
    )


_train = one_cycle_trial(_learner)
