"""Hyper-parameter search for text models: the fast bag of n-grams' learning rate, decay, epochs, width and
dropouts.

The same study as for tables, recommenders and taggers (:func:`~trainwell.automl.search.run_search`): trial 0 is
what ``trainwell fit reviews.csv --text review --target sentiment`` does, every trial trains on the same texts
(one vocabulary, fitted once on the training texts) with the same seed and is scored on the same validation
texts. Binary and multi-label targets optimise ``roc_auc``, several classes ``accuracy``, a regression ``rmse``,
as for tables. The
bag model is searched because it trains in seconds a trial; an AWD-LSTM (ULMFiT) classifier trains for minutes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from trainwell.automl.search import (
    SEARCH_METRIC,
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
from trainwell.data.bundle import DataBundle
from trainwell.distributed.spread import each_process_alone
from trainwell.learner.learner import Learner
from trainwell.text.data import text_data
from trainwell.text.learner import (
    BAG_LR,
    BAG_WD,
    MULTILABEL_BAG_LR,
    MULTILABEL_BAG_WD,
    text_classifier_learner,
)
from trainwell.text.pipeline import TextRun, default_epochs

__all__ = ["DIM_CHOICES", "tune_texts"]

#: Embedding widths of the bag model tried (32: its default).
DIM_CHOICES = (16, 32, 64, 128)
DEFAULT_DIM, DEFAULT_DROPOUT, DEFAULT_TOKEN_DROPOUT = 32, 0.5, 0.2


# Under torchrun each process trains its trials alone (run_search shares them out).
@each_process_alone()
def tune_texts(
    source: pd.DataFrame | str | Path,
    *,
    text_col: str = "text",
    target: str | list[str] | None = None,
    arch: str = "fast",
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
    tune_thresholds: bool = True,
    decision_threshold: str | float | None = None,
    **data_kwargs: Any,
) -> TuneResult:
    """Search the fast text classifier's learning rate, weight decay, epochs, embedding width and dropouts.

    Args:
        source, text_col, target, data_kwargs: As for :func:`~trainwell.fit_texts` (a table with a text
            column, or a folder of class folders of ``.txt`` files; ``valid_pct``, ``valid_col``, ``task``,
            ``label_delim``, ``ngrams``, ``classes``...).
        arch: ``"fast"`` (alias ``"ngram_bag"``): the only searched model (an AWD-LSTM classifier trains
            for minutes a trial); ``model=``, its name before, still works, with a ``DeprecationWarning``.
        n_trials, timeout, metric, out, seed, pruner, progress, search, keep, storage,
            study_name: As for
            :func:`~trainwell.automl.tune_table` (the settings: :data:`TEXT_RANGES`); the default metric is
            ``roc_auc`` for binary and multi-label targets, ``accuracy`` for several classes.
        tune_thresholds: a multi-label model decides each label at a threshold chosen on the validation texts
            (``False``: 0.5 for every label), as after ``fit_texts``.
        decision_threshold: binary targets, as :func:`~trainwell.fit_texts` takes it: a metric (``"f1"``,
            ``"balanced_accuracy"``, ``"mcc"``, ``"accuracy"``) for which each trial's model chooses its threshold
            on the validation texts, or a threshold for every trial (``0.3``). A search ``metric`` of decisions
            (``f1``, ``accuracy``...) scores each trial at its threshold (a chosen one on the texts it was
            chosen on: flattered alike for every trial); each trial's threshold is in ``tuning.json``, and the
            kept model decides at its own, as after ``fit_texts(decision_threshold=)``.

    Raises:
        ConfigError: Another ``arch``, ``n_trials`` below 1, a bad ``timeout``, no validation texts, or a
            metric that does not score this task.
        TuningDependencyError: Optuna is not installed.
    """
    from trainwell.core.renamed import renamed_keyword

    arch = renamed_keyword(data_kwargs, "model", "arch", arch, "fast", "tune_texts")
    timeout = one_time_setting(timeout, time_budget)
    if arch not in ("fast", "ngram_bag"):
        raise ConfigError(
            f"arch={arch!r}: trainwell tune searches the fast bag of n-grams (arch='fast'); an AWD-LSTM "
            "classifier trains for minutes a trial: fit it with its defaults"
        )
    from trainwell.core.keywords import check_passed_keywords

    check_passed_keywords(tune_texts, data_kwargs, text_data)
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
    data = text_data(source, target, text_col=text_col, seed=seed, batch_format="bag", **data_kwargs)
    if data.task.kind not in ("binary", "multiclass", "multilabel", "regression"):
        raise ConfigError(
            f"tune_texts searches text classifiers and regressions; the target is {data.task.kind}"
        )
    chosen = search_metric(data, metric, SEARCH_METRIC.get(data.task.kind))
    space = Space(_default_params, TEXT_RANGES, _train, TextRun).narrowed(search)
    return run_search(data, space, chosen, settings)


def _default_params(data: DataBundle, seed: int) -> dict[str, Any]:
    """Trial 0: what ``trainwell fit --text`` does with the fast model."""
    multilabel = data.task.kind == "multilabel"
    return {
        "lr": MULTILABEL_BAG_LR if multilabel else BAG_LR,
        "wd": MULTILABEL_BAG_WD if multilabel else BAG_WD,
        "epochs": default_epochs(len(data.train), data.task.kind),  # type: ignore[arg-type]
        "dim": DEFAULT_DIM,
        "dropout": DEFAULT_DROPOUT,
        "token_dropout": DEFAULT_TOKEN_DROPOUT,
    }


#: What a text classifier search tries (``search=`` narrows them).
TEXT_RANGES = {
    "lr": Range(3e-4, 5e-2, log=True),
    "wd": Range(1e-3, 1.0, log=True),
    "epochs": Range(2, 30, whole=True),
    "dim": Range(choices=DIM_CHOICES),
    "dropout": Range(0.0, 0.7),
    "token_dropout": Range(0.0, 0.5),
}


def _learner(data: DataBundle, params: dict[str, Any], progress: bool) -> Learner:
    config = {
        "dim": int(params["dim"]),
        "dropout": float(params["dropout"]),
        "token_dropout": float(params["token_dropout"]),
    }
    return text_classifier_learner(
        data,
        "ngram_bag",
        arch_config=config,
        lr=float(params["lr"]),
        wd=float(params["wd"]),
        progress=progress,
    )


_train = one_cycle_trial(_learner)
