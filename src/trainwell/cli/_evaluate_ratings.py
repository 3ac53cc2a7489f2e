"""Cross-validation of a recommender on a ratings table, beside the baselines a recommender must beat.

Each fold builds ``ratings_data`` from its own training rows (users and items are learned from them only, so a
validation user absent from a fold's training rows is scored as a new user) and trains exactly as
``trainwell fit --user --item`` does. Baselines on the same folds: the global mean rating, and user + item
biases (:class:`~trainwell.collab.baselines.BiasBaseline`): beating the second is what shows the model learned
whose taste matches which item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    import torch

    from trainwell.cli.evaluate_cmd import TableEvaluation
    from trainwell.data.task import Task
    from trainwell.evaluate import CVResult


@dataclass
class RatingsFold:
    """A fold function for :func:`trainwell.evaluate.cross_validate` that trains a recommender."""

    frame: pd.DataFrame
    columns: tuple[str, str, str]
    task: Task
    metric_names: Sequence[str]
    epochs: int | None = None
    seed: int = 0
    lrs: list[float] = field(default_factory=list)
    predictions: list[tuple[np.ndarray, torch.Tensor, torch.Tensor]] = field(default_factory=list)

    def __call__(self, train: np.ndarray, valid: np.ndarray, fold: int) -> dict[str, float]:
        from trainwell.collab.pipeline import fit_ratings
        from trainwell.evaluate import score

        user, item, rating = self.columns
        run = fit_ratings(
            self.frame,
            user=user,
            item=item,
            rating=rating,
            epochs=self.epochs,
            seed=self.seed + fold,
            task=self.task.kind,
            splits=(train.tolist(), valid.tolist()),
            progress=False,
        )
        preds, targets = run.learn.get_preds()
        assert targets is not None
        self.lrs.append(float(run.lr))
        self.predictions.append((valid, preds, targets))
        return score(preds, targets, self.task.kind, self.metric_names)


def ratings_baselines(
    frame: pd.DataFrame,
    columns: tuple[str, str, str],
    task: Task,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    metric_names: Sequence[str],
) -> dict[str, CVResult]:
    """The global mean and user + item biases, fold for fold (for a liked/disliked task: the positive rate)."""
    import torch

    from trainwell.collab.baselines import BiasBaseline
    from trainwell.evaluate import CVResult, score

    user, item, rating = columns
    targets = task.encode(frame[rating])
    values = targets.double().numpy()
    users, items = frame[user].to_numpy(), frame[item].to_numpy()
    results: dict[str, list[dict[str, float]]] = {"global mean": [], "user + item biases": []}
    for train, valid in splits:
        mean = np.full(len(valid), values[train].mean())
        biases = BiasBaseline.fit(users[train], items[train], values[train]).predict(
            users[valid], items[valid]
        )
        for name, predicted in (("global mean", mean), ("user + item biases", biases)):
            preds = torch.as_tensor(predicted, dtype=torch.float32)
            results[name].append(score(preds, targets[valid], task.kind, metric_names))
    return {name: CVResult(folds, list(splits)) for name, folds in results.items()}


def evaluate_ratings(
    frame: pd.DataFrame,
    *,
    user: str | None = None,
    item: str | None = None,
    rating: str | None = None,
    k: int = 5,
    seed: int = 0,
    epochs: int | None = None,
    task: str | None = None,
    baselines: bool = True,
    source: str = "the ratings table",
) -> TableEvaluation:
    """Cross-validate the recommender and the rating baselines on the same ``k`` random folds."""
    from trainwell.cli.evaluate_cmd import TableEvaluation, check_epochs
    from trainwell.collab.data import find_rating_columns, ratings_data
    from trainwell.core.errors import ConfigError
    from trainwell.evaluate import cross_validate, fold_indices

    check_epochs(epochs)
    user_col, item_col, rating_col = find_rating_columns(frame, user, item, rating, source)
    if rating_col is None:
        raise ConfigError(
            f"{source} has no rating column (looked for rating, score, stars...): cross-validation of implicit "
            "feedback is not supported; name the rating column with --target, or train it with trainwell fit, "
            "whose validation ranks each user's latest interaction against popularity and EASE, with intervals "
            "over users"
        )
    columns = (user_col, item_col, rating_col)
    # The whole table through the builder once: every check (missing ids, text ratings...) before any fold.
    resolved = ratings_data(frame, user=user_col, item=item_col, rating=rating_col, task=task).task
    splits = fold_indices(np.zeros(len(frame)), k, seed, False)
    metric_names = list(resolved.metric_names)
    fold = RatingsFold(frame, columns, resolved, metric_names, epochs=epochs, seed=seed)
    model = cross_validate(len(frame), None, fold, seed=seed, stratified=False, splits=splits)
    others = ratings_baselines(frame, columns, resolved, splits, metric_names) if baselines else {}
    return TableEvaluation(resolved, len(frame), model, others, fold.lrs, predictions=fold.predictions)
