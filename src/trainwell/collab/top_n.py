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
  relevant items.

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

__all__ = ["ListScores", "TopNEvaluation", "default_min_rating", "evaluate_top_n"]

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

    @property
    def beats_popularity(self) -> bool:
        """Whether the model's lists are clearly better than popularity's (precision@k, interval above 0)."""
        return self.gain_low > 0

    @property
    def rule(self) -> str:
        """Which held-out rows count as relevant, in words."""
        if self.min_rating is None:
            return f"a held-out row labelled '{self.positive or 1}'"
        return f"a held-out rating of {self.min_rating:g} or more"

    def verdict(self) -> str:
        """What the comparison says, and what to do when popularity wins."""
        k = self.k
        if self.beats_popularity:
            return f"the model's top-{k} lists beat the most popular items: it knows something of each user's taste"
        if self.gain_high < 0:
            return (
                f"for top-{k} lists the most popular items do better than the model: recommend popular items, or "
                "fit for lists (trainwell fit --implicit, which is trained and judged on ranking)"
            )
        return (
            f"the model's top-{k} lists are not clearly better than the most popular items (the interval of the "
            "difference holds 0): for lists, compare with trainwell fit --implicit"
        )

    def __str__(self) -> str:
        k, m, p = self.k, self.model, self.popularity
        left = f" ({self.users_left_out:,} more left out)" if self.users_left_out else ""
        return "\n".join(
            [
                f"top-{k} lists over the {self.catalogue:,} items the model knows, less each user's own, for "
                f"{self.users:,} users{left}; relevant: {self.rule} ({self.relevant:,} pairs)",
                f"  model       precision@{k} {m.precision:.3f} [{m.precision_low:.3f}, {m.precision_high:.3f}]"
                f"  hit@{k} {m.hit:.3f}  ndcg@{k} {m.ndcg:.3f}  items listed {m.coverage:,}",
                f"  popularity  precision@{k} {p.precision:.3f} [{p.precision_low:.3f}, {p.precision_high:.3f}]"
                f"  hit@{k} {p.hit:.3f}  ndcg@{k} {p.ndcg:.3f}  items listed {p.coverage:,}",
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
            found[f"{name}_coverage"] = scores.coverage
        found["beats_popularity"] = self.beats_popularity
        return found


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
    liked/disliked model, whose liked rows are relevant). ``None`` when no user can be judged (no held-out
    relevant item of a known user, or a model that keeps no record of what each user chose).

    Raises:
        ConfigError: ``k`` is not a whole number of at least 1, or the model is an implicit-feedback one (its
            ranking is judged by its own measures).
    """
    import torch

    from trainwell.collab.ranking import _training_history, check_k
    from trainwell.core.errors import ConfigError

    check_k(k)
    recipe, task = predictor.recipe, predictor.task
    if recipe.implicit:
        raise ConfigError(
            "an implicit-feedback model is judged by hit@10 and NDCG@10 of each user's held-out interaction "
            "(trainwell report); top-N lists on ratings are for a model of ratings"
        )
    history = _training_history(predictor)
    if history is None:
        return None
    offsets, record = (np.asarray(part, dtype=np.int64) for part in history)
    target = task.target_names[0]
    users = recipe.user_codes(rows[recipe.user_col])
    items = recipe.item_codes(rows[recipe.item_col])
    if task.kind == "regression":
        rule = default_min_rating(recipe.rating_min, recipe.rating_max) if min_rating is None else min_rating
        values = np.asarray(task.encode(rows[target]).reshape(-1).double().numpy())
        relevant = values >= rule - 1e-9
        shown_rule: float | None = float(rule)
    else:
        relevant = np.asarray(task.encode(rows[target]).reshape(-1).numpy()) == 1
        shown_rule = None
    positive = str(task.classes[-1]) if task.kind != "regression" and task.classes else None
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
    discounts = 1.0 / np.log2(np.arange(2, k + 2))

    def per_user(lists: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        precision, hit, ndcg = (np.zeros(len(judged)) for _ in range(3))
        for position, (user, listed) in enumerate(zip(judged, lists, strict=True)):
            good = np.asarray([item in wanted[user] for item in listed.tolist()], dtype=np.float64)
            found = float(good.sum())
            precision[position] = found / k
            hit[position] = float(found > 0)
            ideal = float(discounts[: min(len(wanted[user]), k)].sum())
            ndcg[position] = float((good * discounts[: len(good)]).sum()) / ideal
        return precision, hit, ndcg

    ours, theirs = per_user(model_lists), per_user(popular_lists)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(judged), size=(n_boot, len(judged)))

    def interval(values: np.ndarray) -> tuple[float, float]:
        means = values[draws].mean(axis=1)
        return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))

    def scored(found: tuple[np.ndarray, np.ndarray, np.ndarray], lists: list[np.ndarray]) -> ListScores:
        precision, hit, ndcg = found
        return ListScores(
            float(precision.mean()),
            *interval(precision),
            float(hit.mean()),
            *interval(hit),
            float(ndcg.mean()),
            len(set(np.concatenate(lists).tolist())) if lists else 0,
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
    )
