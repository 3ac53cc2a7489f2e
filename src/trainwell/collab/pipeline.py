"""The whole recommendation job in one call: ratings, learner, one-cycle training, artifact.

``trainwell fit ratings.csv --user user --item movie`` is a thin layer over :func:`fit_ratings`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from trainwell.callbacks.budget import TimeBudget, start_budget
from trainwell.collab.data import rating_or_target, ratings_data
from trainwell.collab.fold_in import FoldedIn
from trainwell.collab.fold_in import fold_in as fold_in_new_ids
from trainwell.collab.learner import collab_learner, default_settings
from trainwell.core.errors import ConfigError
from trainwell.core.positional import refuse_extra_positional
from trainwell.core.seeding import seed_everything
from trainwell.distributed import maybe_distribute
from trainwell.learner.events import Callback
from trainwell.learner.kept_predictions import KeepValidationPredictions
from trainwell.learner.one_step import OneStepStart, hand_over, score_and_write
from trainwell.learner.run_files import FitRun, check_fit_settings
from trainwell.metrics.function import MetricLike

MIN_EPOCHS, MAX_EPOCHS, MIN_STEPS = 5, 30, 500
#: Implicit feedback sees new negatives every epoch and keeps improving for longer (MovieLens 100k: 10 > 5).
IMPLICIT_MIN_EPOCHS = 10


def default_epochs(n_batches: int, implicit: bool = False) -> int:
    """Five passes (ten for implicit feedback), more for small tables so that the optimizer takes at least
    ~500 steps (at most 30). More passes over ratings overfit (MovieLens 100k: 5 is best, 10 worse)."""
    least = IMPLICIT_MIN_EPOCHS if implicit else MIN_EPOCHS
    return int(min(MAX_EPOCHS, max(least, math.ceil(MIN_STEPS / max(n_batches, 1)))))


@dataclass
class RatingsRun(FitRun):
    """What :func:`fit_ratings` produced; ``folded_in``: the users and items fitted after training, that only
    validation rows had (:func:`~trainwell.collab.fold_in.fold_in`), or ``None``. With ``test=``,
    :meth:`test_baselines` and :meth:`test_lists` judge the model on the test rows (``data.rows["test"]``)."""

    folded_in: FoldedIn | None = None

    def test_baselines(self) -> dict[str, float]:
        """The RMSE on the test rows (``test=``) of the answers with less to go on than the model, for a model of
        ratings (regression): ``"mean"``, the training rows' mean rating alone (``recipe.rating_mean``), and
        ``"biases"``, user + item biases fitted on the same training rows
        (:class:`~trainwell.collab.baselines.BiasBaseline`); ``{}`` without a test set or for another task."""
        import numpy as np

        from trainwell.collab.baselines import BiasBaseline

        data: Any = self.data
        test: Any = getattr(data, "test", None)
        train: Any = getattr(data, "train", None)
        if data.task.kind != "regression" or test is None or not hasattr(train, "tensors"):
            return {}
        (x_test, _, y_test), (x_train, _, y_train) = test.tensors, train.tensors
        actual = y_test.double().numpy().reshape(-1)
        if not len(actual):
            return {}
        biases = BiasBaseline.fit(x_train[:, 0].tolist(), x_train[:, 1].tolist(), y_train.double().numpy())
        predicted = biases.predict(x_test[:, 0].tolist(), x_test[:, 1].tolist())
        return {
            "mean": float(np.sqrt(np.mean((actual - data.recipe.rating_mean) ** 2))),
            "biases": float(np.sqrt(np.mean((actual - predicted) ** 2))),
        }

    def test_lists(self, k: int = 10) -> Any:
        """The model's top-``k`` lists judged on the test rows against popularity's
        (:func:`~trainwell.collab.top_n.evaluate_top_n`: a :class:`~trainwell.collab.top_n.TopNEvaluation`);
        ``None`` without a test set, or when no test user can be judged. For implicit feedback every test row
        (an interaction) is relevant."""
        from trainwell.collab.top_n import evaluate_top_n

        rows = self.data.rows.get("test")
        if rows is None:
            return None
        return evaluate_top_n(self.learn.predictor(), rows, k=k)


def fit_ratings(
    source: pd.DataFrame | str | Path,
    rating: str | None = None,
    *extra: Any,
    user: str | None = None,
    item: str | None = None,
    target: str | None = None,
    out: str | Path | None = None,
    arch: str = "dot_bias",
    n_factors: int = 50,
    epochs: int | None = None,
    lr: float | None = None,
    wd: float | None = None,
    metrics: Sequence[MetricLike] | None = None,
    seed: int = 0,
    progress: bool = True,
    time_budget: float | str | TimeBudget | None = None,
    callbacks: Sequence[Callback] = (),
    resume_from: str | Path | None = None,
    item_names: Mapping[str, str] | None = None,
    fold_in: bool = True,
    **data_kwargs: Any,
) -> RatingsRun:
    """Train a recommender on a ratings table the recommended way and write it to ``out`` (when given).

    ``rating`` is the column to predict, second by position as the other pipelines' target is
    (``fit_ratings(df, "stars", user="user", item="movie")``; everything after it is given by keyword);
    ``target`` is another name for it, as the other pipelines and the command line's ``--target`` call it.
    ``data_kwargs`` go to :func:`~trainwell.collab.ratings_data` (``valid_pct``, ``valid_col``, ``task``,
    ``batch_size``, ``implicit``, ``time``: hold out each user's latest ratings...). The learning rate and weight decay default to values measured on
    MovieLens (the learning-rate finder reads a sparse embedding model poorly); epochs follow the table's size.
    With ``time_budget`` (seconds, or ``"10m"``...: :class:`~trainwell.callbacks.TimeBudget`), training ends
    within that time of the call (writing ``out`` and scoring a test set come after, in seconds), the epochs cut
    and the schedule fitted to what fits (``ease``, solved in closed form, has no epochs to cut: its time is
    counted on the budget all the same, from the call's start, for ``fit --time``'s line on the command's time).
    ``metrics``
    (names, functions ``fn(preds, targets) -> float`` or Metric objects, as for :class:`~trainwell.learner.Learner`): ``None`` reports the task's defaults (ROC AUC
    for implicit feedback), ``[]`` none. ``callbacks`` run in the training fit only, e.g. a
    :class:`~trainwell.callbacks.Checkpoint`; ``resume_from`` names a checkpoint one wrote in the same call,
    which training continues from exactly (``ease`` has no training to resume). ``item_names`` (id -> name)
    are kept in the model directory (``item_names.csv``), for ``recommend`` and ``report`` to show; a ratings
    folder's own list is read when not given (MovieLens' ``ml-100k/`` or its archive: ``u.item``'s titles; a
    header-less ratings file such as ``ml-100k/u1.base``: its folder's).
    ``fold_in``: after training, fit the users and items that only validation rows have on those rows, every
    trained weight frozen (:func:`~trainwell.collab.fold_in.fold_in`), so the model returned and written knows
    every id of the data; validation still scored them as new ids. ``run.folded_in`` says what was added;
    ``False`` leaves them unknown (a cross-validation fold, whose model is scored and dropped).
    """
    refuse_extra_positional("fit_ratings", extra, ("source", "rating"), ("user", "item"))
    check_fit_settings(epochs, lr, out)
    rating = rating_or_target(rating, target)
    budget = start_budget(time_budget)
    # ease is solved in one step: counted on the budget from here, reading the data included
    began = OneStepStart(budget)
    seed_everything(seed)
    if item_names is None and isinstance(source, str | Path):  # MovieLens' folder: its u.item names the films
        from trainwell.collab.names import folder_item_names, is_ratings_file
        from trainwell.core.archives import unpacked

        folder = Path(unpacked(source))
        if folder.is_file() and is_ratings_file(folder):  # ml-100k/u1.base: u.item beside it
            folder = folder.parent
        item_names = folder_item_names(folder, "item") if folder.is_dir() else None
    from trainwell.core.keywords import check_passed_keywords

    check_passed_keywords(fit_ratings, data_kwargs, ratings_data)
    data = ratings_data(source, user=user, item=item, rating=rating, seed=seed, **data_kwargs)
    options: dict[str, Any] = {} if wd is None else {"wd": wd}
    learn = collab_learner(
        data, arch=arch, n_factors=n_factors, metrics=metrics, progress=progress, **options
    )
    maybe_distribute(learn)
    lr = default_settings(data)[0] if lr is None else lr
    implicit = bool(getattr(data.recipe, "implicit", False))
    # Ratings: the last validation pass's predictions are kept (validation_predictions), so the table of results
    # and a cross-validation fold's score read them instead of scoring the validation rows again. Interactions
    # are judged by ranking, which reads no predictions of the validation rows.
    keeper: list[Callback] = [] if implicit else [KeepValidationPredictions()]
    if getattr(learn.model, "closed_form", False):
        if resume_from is not None:
            raise ConfigError(
                f"{arch} is solved in closed form in seconds and keeps no checkpoint, so there is nothing to "
                "resume: fit again without resume_from (--resume)"
            )
        learn.fit(1, callbacks=keeper)  # fitted when built (ease): one pass that validates; no --epochs, --lr
    else:
        n_epochs = epochs or default_epochs(len(data.train), implicit)  # type: ignore[arg-type]
        fit_callbacks = [*([budget] if budget else []), *keeper, *callbacks]
        learn.fit_one_cycle(n_epochs, lr, callbacks=fit_callbacks, resume_from=resume_from)
    one_step = bool(getattr(learn.model, "closed_form", False))
    if one_step:
        began.count()
    folded = fold_in_new_ids(learn) if fold_in else None
    if folded is not None and progress:
        _say(folded.sentence())
    extra_files = None
    if item_names:
        from trainwell.collab.names import ITEM_NAMES_FILE, names_file

        extra_files = {ITEM_NAMES_FILE: names_file(dict(item_names))}
    # test= (--test): scored once, after training; under a budget, the time of each is counted on it
    model_dir = score_and_write(learn, out, None, budget, extra_files)
    if one_step:
        hand_over(callbacks, budget, learn)  # the command's closing line on its whole time (no fit handed it)
    return RatingsRun(learn, data, lr, model_dir, budget=budget, folded_in=folded)


def _say(line: str) -> None:
    """One line on standard error, beside the progress display (the first process's only, under torchrun)."""
    from trainwell.core.device import is_rank_zero

    if is_rank_zero():
        from rich.console import Console

        Console(stderr=True).print(line, markup=False, highlight=False, soft_wrap=True)
