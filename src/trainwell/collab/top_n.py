"""How good a ratings model's top-N lists are: what ``recommend`` gives a user, judged on held-out ratings.

RMSE asks how close each predicted rating is; a recommender is used to pick ``k`` items out of the whole
catalogue. Here each user's list is built as :meth:`~trainwell.collab.predictor.CollabPredictor.recommend`
builds it: every item the model knows, less those the user chose in the data the model was fitted on (its
record of them), ranked by the predicted rating, the first ``k`` kept. A held-out rating (a validation or a
test row) is **relevant** when it is at least ``min_rating``: by default the top quarter of the training
scale (4 and 5 on a 1-5 scale; 4, 4.5 and 5 on 0.5-5), for a liked/disliked model the rows of its positive
label. Per user
with at least one relevant held-out item:

* ``precision@k``: the share of the ``k`` listed items that are relevant;
* ``hit@k``: 1 when at least one is;
* ``ndcg@k``: binary gains, discounted by the place, over the best a list could do with that user's
  relevant items;
* ``recall@k``: the share of the user's relevant items that are listed;
* ``mrr@k``: 1 / the place (1-based) of the first relevant item listed, 0 when none is;
* ``map@k``: the mean, over the places holding a relevant item, of the precision up to that place, divided
  by the most relevant items the list could hold (the user's count, at most ``k``): 1 when the first places
  hold them all.

An implicit-feedback model (``fit --implicit``, ``ease``) has no ratings: every held-out row (user, item[,
time]) is an interaction, relevant.

Beside it, on the same users under the same rule, the **popularity** list: the ``k`` items most users chose
in the same record, less those the user chose. A model whose lists do not beat it has learned nothing about
each user that a list helps from, whatever its RMSE. Coverage counts the distinct items all lists hold. The
intervals come from resampling users, the same users for both lists.

The held-out rows themselves are taken out of the record before ranking (a model fitted with its validation
rows in the record would otherwise have them left out as already chosen), and out of the popularity counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ListScores", "TopNEvaluation", "default_min_rating", "evaluate_top_n", "list_measures"]

#: Places in each list.
K = 10
#: The share of the rating scale, from the top, whose held-out ratings count as relevant by default.
TOP_SHARE = 0.25


@dataclass(frozen=True)
class ListScores:
    """One recommender's top-``k`` lists, averaged over the users judged, with 95% intervals over users."""

    precision: float
    precision_low: float
    precision_high: float
    hit: float
    hit_low: float
    hit_high: float
    ndcg: float
    #: Distinct items over all the lists.
    coverage: int
    recall: float = float("nan")
    mrr: float = float("nan")
    map: float = float("nan")
    ndcg_low: float = float("nan")
    ndcg_high: float = float("nan")
    recall_low: float = float("nan")
    recall_high: float = float("nan")
    mrr_low: float = float("nan")
    mrr_high: float = float("nan")
    map_low: float = float("nan")
    map_high: float = float("nan")

    def interval(self, name: str) -> tuple[float, float]:
        """The 95% interval over users of the measure ``name`` (``"precision"``, ``"recall"``, ``"hit"``, ``"ndcg"``,
        ``"mrr"``, ``"map"``): NaN bounds where none was drawn."""
        return getattr(self, f"{name}_low"), getattr(self, f"{name}_high")


@dataclass(frozen=True)
class TopNEvaluation:
    """Top-``k`` lists of the model and of popularity on the same users (see the module docstring).

    ``gain*``: the model's precision@k minus popularity's, with its 95% interval (the same users resampled for
    both); :attr:`beats_popularity` is whether that interval is above 0.
    """

    k: int
    #: Users judged: known to the model, with at least one relevant held-out item it knows.
    users: int
    #: Users of the held-out rows left out: unknown to the model, or with no relevant known item.
    users_left_out: int
    #: A held-out rating at least this is relevant (``None``: the liked rows of a liked/disliked model).
    min_rating: float | None
    #: Relevant held-out (user, item) pairs among the users judged.
    relevant: int
    #: Items each list is drawn from: every item the model knows.
    catalogue: int
    model: ListScores
    popularity: ListScores
    gain: float
    gain_low: float
    gain_high: float
    #: A liked/disliked model's label of the relevant rows (``None`` for ratings).
    positive: str | None = None
    #: An implicit-feedback model's lists: every held-out interaction is relevant.
    interactions: bool = False

    @property
    def beats_popularity(self) -> bool:
        """Whether the model's lists are clearly better than popularity's (precision@k, interval above 0)."""
        return self.gain_low > 0

    @property
    def rule(self) -> str:
        """Which held-out rows count as relevant, in words."""
        if self.interactions and self.min_rating is not None:
            return f"a held-out interaction rated {self.min_rating:g} or more"
        if self.interactions:
            return "every held-out interaction"
        if self.min_rating is None:
            return f"a held-out row labelled '{self.positive or 1}'"
        return f"a held-out rating of {self.min_rating:g} or more"

    def verdict(self) -> str:
        """What the comparison says, and what to do when popularity wins."""
        k = self.k
        if self.beats_popularity:
            return f"the model's top-{k} lists beat the most popular items: it knows something of each user's taste"
        if self.gain_high < 0 and self.interactions:
            return (
                f"for top-{k} lists the most popular items do better than the model: recommend popular items"
            )
        if self.gain_high < 0:
            return (
                f"for top-{k} lists the most popular items do better than the model: recommend popular items, or "
                "fit for lists (trainwell fit --implicit, which is trained and judged on ranking)"
            )
        return (
            f"the model's top-{k} lists are not clearly better than the most popular items (the interval of the "
            + (
                "difference holds 0)"
                if self.interactions
                else "difference holds 0): for lists, compare with trainwell fit --implicit"
            )
        )

    def __str__(self) -> str:
        k, m, p = self.k, self.model, self.popularity
        left = f" ({self.users_left_out:,} more left out)" if self.users_left_out else ""
        return "\n".join(
            [
                f"top-{k} lists over the {self.catalogue:,} items the model knows, less each user's own, for "
                f"{self.users:,} users{left}; relevant: {self.rule} ({self.relevant:,} pairs)",
                f"  model       precision@{k} {m.precision:.3f} [{m.precision_low:.3f}, {m.precision_high:.3f}]"
                f"  recall@{k} {m.recall:.3f}  hit@{k} {m.hit:.3f}  ndcg@{k} {m.ndcg:.3f}  mrr@{k} {m.mrr:.3f}"
                f"  map@{k} {m.map:.3f}  items listed {m.coverage:,}",
                f"  popularity  precision@{k} {p.precision:.3f} [{p.precision_low:.3f}, {p.precision_high:.3f}]"
                f"  recall@{k} {p.recall:.3f}  hit@{k} {p.hit:.3f}  ndcg@{k} {p.ndcg:.3f}  mrr@{k} {p.mrr:.3f}"
                f"  map@{k} {p.map:.3f}  items listed {p.coverage:,}",
                f"  model - popularity precision@{k}: {self.gain:+.3f} [{self.gain_low:+.3f}, {self.gain_high:+.3f}]: "
                f"{self.verdict()}",
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain numbers, by name (``model_precision@10``, ``popularity_hit@10``...)."""
        k = self.k
        found: dict[str, Any] = {"k": k, "users": self.users, "min_rating": self.min_rating}
        for name, scores in (("model", self.model), ("popularity", self.popularity)):
            found[f"{name}_precision@{k}"] = scores.precision
            found[f"{name}_hit@{k}"] = scores.hit
            found[f"{name}_ndcg@{k}"] = scores.ndcg
            found[f"{name}_recall@{k}"] = scores.recall
            found[f"{name}_mrr@{k}"] = scores.mrr
            found[f"{name}_map@{k}"] = scores.map
            found[f"{name}_coverage"] = scores.coverage
        found["beats_popularity"] = self.beats_popularity
        return found


def _rated_at_least(rows: pd.DataFrame, min_rating: float) -> np.ndarray:
    """Which interactions of ``rows`` have a rating of at least ``min_rating``: an implicit model judged as a
    ratings model is (its rows' ``rating`` column, the name a header-less file's third column is read by)."""
    import pandas as pd

    from trainwell.core.errors import DataError

    if "rating" not in rows.columns:
        raise DataError(
            f"min_rating={min_rating:g} judges an implicit-feedback model's lists on the rows' 'rating' column, which "
            f"these rows lack (columns: {', '.join(map(str, list(rows.columns)[:20]))}); drop min_rating to count "
            "every held-out interaction as relevant"
        )
    values = pd.to_numeric(rows["rating"], errors="coerce").to_numpy(dtype=np.float64)
    return np.nan_to_num(values, nan=-np.inf) >= min_rating - 1e-9


def list_measures(good: Any, relevant: int, k: int) -> tuple[float, float, float, float, float, float]:
    """One user's ``(precision, hit, ndcg, recall, mrr, map)`` at ``k`` (see the module docstring): ``good`` says
    whether each listed item, best first (at most ``k``), is relevant; ``relevant`` is how many the user has (at
    least 1).

    >>> [round(value, 4) for value in list_measures([False, True, False, True], 3, 4)]
    [0.5, 1.0, 0.4982, 0.6667, 0.5, 0.3333]
    """
    hits = np.asarray(good, dtype=np.float64)[:k]
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    found = float(hits.sum())
    ndcg = float((hits * discounts[: len(hits)]).sum()) / float(discounts[: min(relevant, k)].sum())
    places = np.flatnonzero(hits) + 1
    mrr = 1.0 / float(places[0]) if len(places) else 0.0
    average = float((np.arange(1, len(places) + 1) / places).sum()) / min(relevant, k)
    return found / k, float(found > 0), ndcg, found / relevant, mrr, average


def default_min_rating(rating_min: float, rating_max: float) -> float:
    """The lowest relevant rating by default: the top quarter of the scale (4 on 1-5, 3.875 on 0.5-5)."""
    return float(rating_max - TOP_SHARE * (rating_max - rating_min))


def evaluate_top_n(
    predictor: Any,
    rows: pd.DataFrame,
    *,
    k: int = K,
    min_rating: float | None = None,
    n_boot: int = 1000,
    seed: int = 0,
) -> TopNEvaluation | None:
    """Judge the model's top-``k`` lists, and popularity's, on the held-out rated ``rows`` (see the module
    docstring). ``min_rating``: the lowest relevant rating (default :func:`default_min_rating`; ignored for a
    liked/disliked model, whose liked rows are relevant; for an implicit-feedback model every row is relevant, or
    with ``min_rating`` those whose ``rating`` column is at least it). ``None`` when no user can be judged (no held-out
    relevant item of a known user, or a model that keeps no record of what each user chose).

    Raises:
        ConfigError: ``k`` is not a whole number of at least 1.
    """
    import torch

    from trainwell.collab.ranking import _training_history, check_k

    check_k(k)
    recipe, task = predictor.recipe, predictor.task
    history = _training_history(predictor)
    if history is None:
        return None
    offsets, record = (np.asarray(part, dtype=np.int64) for part in history)
    target = task.target_names[0]
    users = recipe.user_codes(rows[recipe.user_col])
    items = recipe.item_codes(rows[recipe.item_col])
    implicit = bool(getattr(recipe, "implicit", False))
    shown_rule: float | None
    if implicit and min_rating is not None:  # interactions with a rating beside them: a ratings model's rule
        relevant = _rated_at_least(rows, float(min_rating))
        shown_rule = float(min_rating)
    elif implicit:  # interactions: every held-out row is one the user chose
        relevant = np.ones(len(rows), dtype=bool)
        shown_rule = None
    elif task.kind == "regression":
        rule = default_min_rating(recipe.rating_min, recipe.rating_max) if min_rating is None else min_rating
        values = np.asarray(task.encode(rows[target]).reshape(-1).double().numpy())
        relevant = values >= rule - 1e-9
        shown_rule = float(rule)
    else:
        relevant = np.asarray(task.encode(rows[target]).reshape(-1).numpy()) == 1
        shown_rule = None
    positive = str(task.classes[-1]) if task.kind == "binary" and task.classes and not implicit else None
    n_items = recipe.n_items
    n_users_known = len(offsets) - 1
    # The held-out pairs, out of the record (and its counts) whatever they are relevant or not.
    held: dict[int, set[int]] = {}
    for user, item in zip(users.tolist(), items.tolist(), strict=True):
        if user > 0 and item > 0:
            held.setdefault(user, set()).add(item)
    wanted: dict[int, set[int]] = {}
    for user, item, good in zip(users.tolist(), items.tolist(), relevant.tolist(), strict=True):
        if good and user > 0 and item > 0 and user < n_users_known:
            wanted.setdefault(user, set()).add(item)
    all_users = {str(user) for user in rows[recipe.user_col]}
    judged = sorted(wanted)
    if not judged:
        return None
    counts = np.bincount(record[record > 0], minlength=n_items).astype(np.float64)
    for user, their in held.items():
        if 0 < user < n_users_known:
            chosen = set(record[offsets[user] : offsets[user + 1]].tolist())
            for item in their & chosen:
                counts[item] -= 1
    popular_order = np.argsort(-counts[1:], kind="stable") + 1  # ties: the training order, as recommend's
    model = predictor.model
    was_training = model.training
    model.eval()
    empty = torch.zeros((0, 0))
    every_item = torch.arange(1, n_items)
    model_lists: list[np.ndarray] = []
    popular_lists: list[np.ndarray] = []
    try:
        with torch.no_grad():
            chunk = max(1, (1 << 20) // max(n_items - 1, 1))
            for start in range(0, len(judged), chunk):
                part = judged[start : start + chunk]
                codes = torch.as_tensor(part)
                pairs = torch.stack(
                    [codes.repeat_interleave(n_items - 1), every_item.repeat(len(part))], dim=1
                )
                scores = model(pairs, empty).double().reshape(len(part), n_items - 1).numpy().copy()
                for row, user in enumerate(part):
                    chosen = set(record[offsets[user] : offsets[user + 1]].tolist()) - held.get(user, set())
                    seen = np.fromiter((item - 1 for item in chosen if item > 0), dtype=np.int64)
                    scores[row, seen] = -np.inf
                    order = np.argsort(-scores[row], kind="stable")[:k] + 1
                    model_lists.append(order[np.isfinite(scores[row, order - 1])])
                    listed = []
                    for item in popular_order:
                        if item not in chosen:
                            listed.append(int(item))
                            if len(listed) == k:
                                break
                    popular_lists.append(np.asarray(listed, dtype=np.int64))
    finally:
        model.train(was_training)

    def per_user(lists: list[np.ndarray]) -> tuple[np.ndarray, ...]:
        found = np.zeros((6, len(judged)))
        for position, (user, listed) in enumerate(zip(judged, lists, strict=True)):
            good = [item in wanted[user] for item in listed.tolist()]
            found[:, position] = list_measures(good, len(wanted[user]), k)
        return tuple(found)

    ours, theirs = per_user(model_lists), per_user(popular_lists)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(judged), size=(n_boot, len(judged)))

    def interval(values: np.ndarray) -> tuple[float, float]:
        means = values[draws].mean(axis=1)
        return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))

    def scored(found: tuple[np.ndarray, ...], lists: list[np.ndarray]) -> ListScores:
        precision, hit, ndcg, recall, mrr, average = found
        return ListScores(
            float(precision.mean()),
            *interval(precision),
            float(hit.mean()),
            *interval(hit),
            float(ndcg.mean()),
            len(set(np.concatenate(lists).tolist())) if lists else 0,
            recall=float(recall.mean()),
            mrr=float(mrr.mean()),
            map=float(average.mean()),
            **{
                f"{name}_{side}": bound
                for name, values in (("ndcg", ndcg), ("recall", recall), ("mrr", mrr), ("map", average))
                for side, bound in zip(("low", "high"), interval(values), strict=True)
            },
        )

    difference = ours[0] - theirs[0]
    gain_low, gain_high = interval(difference)
    return TopNEvaluation(
        k=int(k),
        users=len(judged),
        users_left_out=max(len(all_users) - len(judged), 0),
        min_rating=shown_rule,
        relevant=sum(len(wanted[user]) for user in judged),
        catalogue=n_items - 1,
        model=scored(ours, model_lists),
        popularity=scored(theirs, popular_lists),
        gain=float(difference.mean()),
        gain_low=gain_low,
        gain_high=gain_high,
        positive=positive,
        interactions=implicit,
    )
