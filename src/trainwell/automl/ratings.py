"""Hyper-parameter search for recommenders: the matrix factorisation's learning rate, decay, epochs and width.

The same study as for tables (:func:`~trainwell.automl.search.run_search`): trial 0 is what ``trainwell fit``
does, every trial trains on the same rows with the same seed (the same drawn negatives, for implicit feedback)
and is scored on the same validation rows. Ratings optimise ``rmse``, liked/disliked ``roc_auc``, and implicit
feedback ``ndcg@10`` of the held-out interactions ranked among every item, so a search for a recommender
optimises the ranking its users see rather than the loss against drawn negatives.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

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
from trainwell.collab.data import ratings_data
from trainwell.collab.fold_in import fold_in
from trainwell.collab.learner import collab_learner, default_settings
from trainwell.collab.pipeline import RatingsRun, default_epochs
from trainwell.core.errors import ConfigError
from trainwell.data.bundle import DataBundle
from trainwell.distributed.spread import each_process_alone
from trainwell.learner.learner import Learner

__all__ = ["FACTOR_CHOICES", "tune_ratings"]

#: Widths of the user and item factors tried.
FACTOR_CHOICES = (16, 32, 50, 100, 200)
DEFAULT_FACTORS = 50
#: Ranking measures an implicit search may optimise (written by ``RankingMetrics``).
RANKING_MEASURES = ("ndcg@10", "hit@10")


# Under torchrun each process trains its trials alone (run_search shares them out), trees included.
@each_process_alone()
def tune_ratings(
    source: pd.DataFrame | str | Path,
    *,
    user: str | None = None,
    item: str | None = None,
    rating: str | None = None,
    arch: str = "dot_bias",
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
    """Search learning rate, weight decay, epochs and the number of factors of a ``dot_bias`` recommender.

    Args:
        source, user, item, rating, data_kwargs: As for :func:`~trainwell.fit_ratings` (``implicit``,
            ``valid_pct``, ``valid_col``, ``task``, ``batch_size``...).
        arch: ``"dot_bias"`` (the only searched architecture: ``ease`` chooses its one setting on the
            training interactions already).
        n_trials, timeout, metric, out, seed, pruner, progress, search, keep, storage,
            study_name: As for
            :func:`~trainwell.automl.tune_table` (the settings: :data:`RATINGS_RANGES`);
            the default metric is ``rmse`` for ratings, ``roc_auc`` for liked/disliked, ``ndcg@10`` for
            implicit feedback (a ranking measure, whose gain is not resampled: ``keep`` keeps the best trial).

    Raises:
        ConfigError: Another ``arch``, ``n_trials`` below 1, a bad ``timeout``, or a metric that does not fit.
        TuningDependencyError: Optuna is not installed.
    """
    timeout = one_time_setting(timeout, time_budget)
    if arch != "dot_bias":
        detail = (
            "ease has no training settings to search: its regularisation is chosen on the training interactions "
            "at every fit"
            if arch == "ease"
            else f"{arch!r} is not searched"
        )
        raise ConfigError(f"arch (--arch) {arch}: trainwell tune searches the dot_bias recommender; {detail}")
    settings = start_search(
        n_trials, timeout, out, seed, pruner, progress, keep, storage=storage, study_name=study_name
    )
    data = ratings_data(source, user=user, item=item, rating=rating, seed=seed, **data_kwargs)
    implicit = bool(getattr(data.recipe, "implicit", False))
    default = "ndcg@10" if implicit else {"regression": "rmse", "binary": "roc_auc"}.get(data.task.kind)
    # Implicit fits score the drawn negatives by ROC AUC only: accuracy means nothing against them.
    chosen = search_metric(data, metric, default, [*RANKING_MEASURES, "roc_auc"] if implicit else None)
    # The model written knows the ids only validation rows have, as fit_ratings' does.
    space = Space(_default_params, RATINGS_RANGES, _train, RatingsRun, finish=fold_in).narrowed(search)
    return run_search(data, space, chosen, settings)


def _default_params(data: DataBundle, seed: int) -> dict[str, Any]:
    """Trial 0: what ``trainwell fit`` does (settings measured on MovieLens, epochs from the table's size)."""
    lr, wd = default_settings(data)
    implicit = bool(getattr(data.recipe, "implicit", False))
    epochs = default_epochs(len(data.train), implicit)  # type: ignore[arg-type]
    return {"lr": lr, "wd": wd, "epochs": epochs, "n_factors": DEFAULT_FACTORS}


#: What a recommender search tries (``search=`` narrows them).
RATINGS_RANGES = {
    "lr": Range(1e-3, 5e-2, log=True),
    "wd": Range(1e-4, 1.0, log=True),
    "epochs": Range(2, 30, whole=True),
    "n_factors": Range(choices=FACTOR_CHOICES),
}


def _learner(data: DataBundle, params: dict[str, Any], progress: bool) -> Learner:
    return collab_learner(
        data, arch="dot_bias", n_factors=int(params["n_factors"]), wd=float(params["wd"]), progress=progress
    )


_train = one_cycle_trial(_learner)
