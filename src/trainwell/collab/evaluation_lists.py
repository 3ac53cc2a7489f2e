"""What ``trainwell evaluate`` adds for a model of ratings beside the rating error: each fold's top-10 lists
against popularity's, and folds that respect time.

RMSE asks how close each predicted rating is; ``recommend`` picks 10 items out of the catalogue. Each fold's model
is therefore also judged as :func:`~trainwell.collab.top_n.evaluate_top_n` judges ``fit --test``'s: every user of
the fold's validation rows gets the list ``recommend`` would give (the items the model knows, less the user's own
training ratings), and so does the most-popular list on the same users; a validation rating in the top quarter of
the scale is relevant. The per-fold NDCG@10 and hit@10 of both come out as a second table, with the same
intervals and verdicts as the rating table (the folds paired); precision@10, recall@10 and MRR@10, mean over the
folds, are said under it. ``evaluate_ratings(k=)`` (``--k``) judges lists of another length, the names following it
(``ndcg@5``...).

With a time column (``evaluate_ratings(time=)``, ``--time-col``), the folds hold out what ``fit --time-col``
holds out: each user's latest share of their ratings (:func:`~trainwell.collab.data.latest_share_per_user`); the
users are dealt into the folds, so every held-out rating is validated once, and no user's later ratings train the
model that scores their earlier ones. Random folds would let a user's future ratings explain their past.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from trainwell.evaluate.evaluation import Evaluation

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MEASURED",
    "RatingsEvaluation",
    "fold_lists",
    "list_metrics",
    "lists_evaluation",
    "lists_said",
    "measured",
    "time_folds",
]

#: The top-N measures each fold of ratings is judged by, for the model and popularity, in the table: those of
#: :data:`MEASURED` the verdicts can compare (they know a measure's direction from the metrics' registry, whose
#: ranking measures are named by ``RANKING_PREFIXES``); precision@10, when not among them, is said in a line under
#: the table and kept in the JSON.
MEASURED = ("ndcg@10", "hit@10", "precision@10")
#: The measures of each fold's lists said in a line under the table, mean over the folds, beside precision@k (the
#: verdicts' registry does not know their direction): recall@k and MRR@k.
SAID = ("recall", "mrr")


def measured(k: int = 10) -> tuple[str, ...]:
    """:data:`MEASURED`'s names for lists of ``k`` items (``ndcg@5``...)."""
    return tuple(f"{name.split('@')[0]}@{k}" for name in MEASURED)


def list_metrics(k: int = 10) -> tuple[str, ...]:
    """The measures of :data:`MEASURED` (at ``k``) shown in the lists' table (see there)."""
    from trainwell.metrics.registry import RANKING_PREFIXES

    return tuple(metric for metric in measured(k) if metric.startswith(RANKING_PREFIXES))


#: The share of each user's ratings, the latest, that folds by time hold out (``fit --time-col``'s default).
TIME_SHARE = 0.2


@dataclass(repr=False)
class RatingsEvaluation(Evaluation):
    """The cross-validation of a model of ratings: the rating table (:class:`~trainwell.evaluate.Evaluation`),
    then :attr:`lists`, the top-10 lists of the model and of popularity on the same folds.

    Example:
        >>> result = trainwell.evaluate_ratings("u.data", time="timestamp")     # doctest: +SKIP
        >>> result.lists.mean("ndcg@10"), result.lists.mean("ndcg@10", "popularity")  # doctest: +SKIP
    """

    #: The model's and popularity's top-10 lists fold by fold (``None``: a fold where no user could be judged).
    lists: Evaluation | None = None
    #: How the folds were drawn, in one line.
    split: str | None = None
    #: The mean precision@k over the folds of ``"model"`` and ``"popularity"`` (said in a line under the lists).
    list_precision: dict[str, float] = field(default_factory=dict)
    #: Places in each list (``evaluate_ratings(k=)``, ``--k``).
    k: int = 10
    #: The mean recall@k and MRR@k over the folds, by list (``{"model": {"recall@5": ...}, ...}``).
    list_said: dict[str, dict[str, float]] = field(default_factory=dict)

    def _render(self, console: Any) -> None:
        from trainwell.evaluate.evaluation import render_folds

        if self.split:
            console.print(self.split, markup=False, highlight=False, soft_wrap=True)
        render_folds(self, console)
        if self.lists is None:
            return
        console.print("")
        render_folds(self.lists, console)
        lines = []
        k = self.k
        if self.list_precision and f"precision@{k}" not in self.lists.metrics:
            model, popular = self.list_precision["model"], self.list_precision["popularity"]
            lines.append(
                f"precision@{k}, mean over the folds: trainwell {model:.3f}, popularity {popular:.3f}"
            )
        for name in (f"{said}@{k}" for said in SAID):
            if all(name in self.list_said.get(which, {}) for which in ("model", "popularity")):
                model, popular = self.list_said["model"][name], self.list_said["popularity"][name]
                lines.append(f"{name}, mean over the folds: trainwell {model:.3f}, popularity {popular:.3f}")
        if any(v.metric == measured(k)[0] and v.outcome == "worse" for v in self.lists.verdicts()):
            lines.append(
                f"for top-{k} lists the most popular items do better than the model: recommend popular items, or fit "
                "for lists (trainwell fit --implicit, trained and judged on ranking)"
            )
        for line in lines:
            console.print(line, markup=False, highlight=False, soft_wrap=True)

    def to_dict(self) -> dict[str, Any]:
        found = super().to_dict()
        if self.split:
            found["split"] = self.split
        if self.lists is not None:
            found["top_n"] = {
                **self.lists.to_dict(),
                "k": self.k,
                f"precision@{self.k}": self.list_precision,
                **{
                    f"{said}@{self.k}": {
                        which: scores[f"{said}@{self.k}"]
                        for which, scores in self.list_said.items()
                        if f"{said}@{self.k}" in scores
                    }
                    for said in SAID
                },
            }
        return found


def fold_lists(predictor: Any, rows: pd.DataFrame, seed: int, k: int = 10) -> dict[str, Any] | None:
    """A fold's model's top-``k`` lists and popularity's, judged on its validation ``rows`` as ``fit --test``
    judges a test set (:func:`~trainwell.collab.top_n.evaluate_top_n`): plain numbers by list, named at ``k``
    (``ndcg@5``...; ``None``: no user of the fold could be judged)."""
    from trainwell.collab.top_n import evaluate_top_n

    found = evaluate_top_n(predictor, rows, k=k, n_boot=1, seed=seed)  # the intervals come from the folds
    if found is None:
        return None
    return {
        **{
            name: {
                f"ndcg@{k}": scores.ndcg,
                f"hit@{k}": scores.hit,
                f"precision@{k}": scores.precision,
                f"recall@{k}": scores.recall,
                f"mrr@{k}": scores.mrr,
            }
            for name, scores in (("model", found.model), ("popularity", found.popularity))
        },
        "users": found.users,
        "relevant": found.relevant,
        "rule": found.rule,
    }


def lists_evaluation(
    folds: Sequence[dict[str, Any] | None],
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    seed: int,
    k: int = 10,
) -> tuple[Evaluation | None, dict[str, float]]:
    """The model's and popularity's top-``k`` lists as an :class:`~trainwell.evaluate.Evaluation` over the folds
    (``None`` when a fold judged no user: its lists have no score), and each one's mean precision@k."""
    from trainwell.data.task import Task
    from trainwell.evaluate import CVResult

    kept = [fold for fold in folds if fold is not None]
    if not kept or len(kept) != len(splits):
        return None, {}

    def result(name: str) -> CVResult:
        shown = list_metrics(k)
        scores = [{metric: float(fold[name][metric]) for metric in shown} for fold in kept]
        return CVResult(scores, list(splits), seed=seed)

    users = sum(int(fold["users"]) for fold in kept)
    subject = f"top-{k} lists, {users:,} judged over the folds, against the most popular items; relevant: {kept[0]['rule']}"
    evaluation = Evaluation(
        Task("binary", (0, 1), ("relevant",)),
        users,
        result("model"),
        {"popularity": result("popularity")},
        [],
        subject=subject,
        unit="users",
    )
    precision = {
        name: float(np.mean([fold[name][f"precision@{k}"] for fold in kept]))
        for name in ("model", "popularity")
    }
    return evaluation, precision


def lists_said(folds: Sequence[dict[str, Any] | None], k: int = 10) -> dict[str, dict[str, float]]:
    """Each list's mean recall@k and MRR@k over the folds (``{}`` when a fold judged no user, as
    :func:`lists_evaluation`)."""
    if not folds or any(fold is None for fold in folds):
        return {}
    names = [f"{said}@{k}" for said in SAID]
    return {
        which: {
            name: float(np.mean([fold[which][name] for fold in folds if fold is not None])) for name in names
        }
        for which in ("model", "popularity")
    }


def time_folds(
    users: pd.Series, times: np.ndarray, k: int, seed: int, share: float = TIME_SHARE
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``k`` folds that respect time: each user's latest ``share`` of their ratings is held out (at least one
    rating of each user trains), the users dealt into the folds at random; fold ``f`` trains on every rating but
    its users' held-out ones.

    Raises:
        DataError: Fewer users with a rating to hold out than folds.
    """
    from trainwell.collab.data import latest_share_per_user
    from trainwell.core.errors import DataError
    from trainwell.data.categories import category_key

    _, held = latest_share_per_user(users, times, share, seed)
    codes = pd_codes(users.map(category_key).to_numpy())
    owners = np.unique(codes[held])
    if len(owners) < k:
        raise DataError.worded(
            lambda say: (
                f"only {len(owners):,} users have enough ratings to hold their latest out, fewer than the {k} "
                f"folds; pass {say('cv', max(2, len(owners)))} or less"
            )
        )
    dealt = np.full(codes.max() + 1, -1)
    dealt[owners] = np.random.default_rng(seed).permutation(len(owners)) % k
    everything = np.arange(len(users))
    folds = []
    for fold in range(k):
        valid = np.sort(held[dealt[codes[held]] == fold])
        folds.append((np.setdiff1d(everything, valid, assume_unique=True), valid))
    return folds


def pd_codes(values: np.ndarray) -> np.ndarray:
    """Each value's number among the distinct values (0, 1, ... in order of first appearance)."""
    import pandas as pd

    return np.asarray(pd.factorize(values)[0], dtype=np.int64)


def split_line(time: str | None, k: int, found_time: str | None) -> str:
    """The line saying how the folds of ratings were drawn."""
    if time is not None:
        return (
            f"folds by time ('{time}'): each user's latest {TIME_SHARE:.0%} of their ratings held out, the users "
            f"dealt into {k} folds, so a user's later ratings never train the model that scores them"
        )
    line = f"folds: {k} random folds of the ratings, each validated once"
    if found_time is not None:
        line += (
            f"; the '{found_time}' column was not used: --time-col {found_time} (Python: time=) holds out each "
            "user's latest ratings instead"
        )
    return line
