"""How a ratings model ranks items for each user, which RMSE does not ask.

First what ``recommend`` gives: each user's top-10 list over every item the model knows, less the user's own,
judged on the held-out ratings against the most popular items (:mod:`trainwell.collab.top_n`). Only lists
that beat popularity say the model knows something of each user's taste.

Then a narrower question, labelled as such: how the model orders the items each user rated in these rows
(a model can be off by a star everywhere and still put each user's favourites first). It never asks the model
to find those items among the ~all others, so it flatters a model whose lists lose to popularity.

For every user with at least two different ratings among the rows judged, their items are ranked by the
model's predicted rating and scored by NDCG at ``k`` with graded gains (a rating's height above the lowest
rating of the scale, so the lowest counts for nothing): 1.0 is each user's own order. Two rankings that know
nothing of the user are scored on the same users beside it: each item's mean rating by the *other* users in
the rows (leave-one-out, the item's reputation) and a random order (its expected NDCG, exactly). The
interval of the model's NDCG and of its difference with the reputation ranking come from resampling users, the
same users for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from trainwell.collab.top_n import TopNEvaluation

#: Places scored in each user's ranking.
K = 10


@dataclass(frozen=True)
class UserRankings:
    """NDCG at ``k`` per ranked user for the model, the items' reputation and a random order (the expected
    value), with 95% intervals over users (``*_low``, ``*_high``)."""

    k: int
    users: int
    users_left_out: int
    model: float
    model_low: float
    model_high: float
    reputation: float
    random: float
    gain: float
    gain_low: float
    gain_high: float


def _dcg(gains: np.ndarray, k: int) -> float:
    top = gains[:k]
    return float(np.sum(top / np.log2(np.arange(2, len(top) + 2))))


def _ndcg(order_by: np.ndarray, gains: np.ndarray, k: int, rng: np.random.Generator) -> float:
    """NDCG at ``k`` of ``gains`` ranked by ``order_by`` (highest first; ties broken at random, so a model that
    predicts one value for all scores as a random order does)."""
    tie_breaker = rng.random(len(gains))
    order = np.lexsort((tie_breaker, -order_by))
    ideal = _dcg(np.sort(gains)[::-1], k)
    return _dcg(gains[order], k) / ideal


def _random_ndcg(gains: np.ndarray, k: int) -> float:
    """The expected NDCG at ``k`` of a uniformly random order: each place holds the mean gain on average."""
    places = min(k, len(gains))
    discount = np.sum(1.0 / np.log2(np.arange(2, places + 2)))
    return float(gains.mean() * discount) / _dcg(np.sort(gains)[::-1], k)


def rank_users(
    users: pd.Series,
    items: pd.Series,
    ratings: np.ndarray,
    predictions: np.ndarray,
    *,
    lowest: float,
    k: int = K,
    n_boot: int = 1000,
    seed: int = 0,
) -> UserRankings | None:
    """Score how the model orders each user's rated items (see the module docstring); ``lowest``: the scale's
    lowest rating (a gain of 0). ``None`` when no user has two different ratings among the rows."""
    frame = pd.DataFrame(
        {"user": users.to_numpy(), "item": items.to_numpy(), "rating": ratings, "predicted": predictions}
    )
    totals = frame.groupby("item")["rating"].agg(["sum", "count"])
    sums = frame["item"].map(totals["sum"]).to_numpy(dtype=np.float64)
    counts = frame["item"].map(totals["count"]).to_numpy(dtype=np.float64)
    overall = float(frame["rating"].mean())
    others = counts - 1
    frame["reputation"] = np.where(
        others > 0, (sums - frame["rating"].to_numpy()) / np.maximum(others, 1), overall
    )
    rng = np.random.default_rng(seed)
    model, reputation, random = [], [], []
    left_out = 0
    for _, rows in frame.groupby("user", sort=False):
        gains = rows["rating"].to_numpy(dtype=np.float64) - lowest
        if len(rows) < 2 or np.ptp(gains) == 0 or gains.max() <= 0:
            left_out += 1
            continue
        model.append(_ndcg(rows["predicted"].to_numpy(dtype=np.float64), gains, k, rng))
        reputation.append(_ndcg(rows["reputation"].to_numpy(dtype=np.float64), gains, k, rng))
        random.append(_random_ndcg(gains, k))
    if not model:
        return None
    ours, theirs = np.asarray(model), np.asarray(reputation)
    draws = rng.integers(0, len(ours), size=(n_boot, len(ours)))
    means, gains_drawn = ours[draws].mean(axis=1), (ours - theirs)[draws].mean(axis=1)
    return UserRankings(
        k=k,
        users=len(ours),
        users_left_out=left_out,
        model=float(ours.mean()),
        model_low=float(np.quantile(means, 0.025)),
        model_high=float(np.quantile(means, 0.975)),
        reputation=float(theirs.mean()),
        random=float(np.mean(random)),
        gain=float((ours - theirs).mean()),
        gain_low=float(np.quantile(gains_drawn, 0.025)),
        gain_high=float(np.quantile(gains_drawn, 0.975)),
    )


def lists_parts(found: TopNEvaluation) -> list[str]:
    """The paragraph and table on the model's top-N lists against popularity's (:mod:`trainwell.collab.top_n`)."""
    from trainwell.report import _html

    k, model, popular = found.k, found.model, found.popularity
    left = (
        f" {found.users_left_out:,} users of these rows are left out: new to the model, or with no relevant item "
        "it knows."
        if found.users_left_out
        else ""
    )
    return [
        _html.paragraph(
            f"What recommend gives: each user's top {k} over the {found.catalogue:,} items the model knows, less "
            f"those the user rated in the data it was fitted on. A listed item is relevant when it is "
            f"{found.rule} ({found.relevant:,} such pairs, {found.users:,} users). The model's precision@{k} is "
            f"{model.precision:.4f} [{model.precision_low:.4f}, {model.precision_high:.4f}]; the {k} most "
            f"rated items each user has not rated (popularity) score {popular.precision:.4f} "
            f"[{popular.precision_low:.4f}, {popular.precision_high:.4f}]. The model minus popularity: "
            f"{found.gain:+.4f} [{found.gain_low:+.4f}, {found.gain_high:+.4f}] (the same users resampled for "
            f"both): {found.verdict()}.{left}"
        ),
        _html.table(
            [
                f"top-{k} lists",
                "the model's (recommend)",
                "95% interval",
                "popularity (most rated, not yet rated by the user)",
                "95% interval",
                "what it means",
            ],
            list_rows(found),
        ),
    ]


def list_rows(found: TopNEvaluation) -> list[list[object]]:
    """The lists' table, a measure a row (precision@k, recall@k, hit@k, NDCG@k, MRR@k, MAP@k, then the items
    listed): the model's figure and popularity's, each with its 95% interval over users, and what it means."""
    from trainwell.report import _html

    k, model, popular = found.k, found.model, found.popularity
    meanings = {
        "precision": f"the share of the {k} listed items that are relevant",
        "recall": "the share of each user's relevant held-out items that the list holds",
        "hit": "the share of users with at least one relevant item in their list",
        "ndcg": "like hit, discounted by the place: 1 when the relevant items fill the first places",
        "mrr": f"1 over the place of the first relevant item (1 = first), 0 when none is in the {k}",
        "map": (
            "the precision at each place holding a relevant item, averaged over as many places as the list "
            f"could fill with them (the user's relevant items, at most {k}): 1 when they come first"
        ),
    }
    shown = {
        "precision": "precision",
        "recall": "recall",
        "hit": "hit",
        "ndcg": "NDCG",
        "mrr": "MRR",
        "map": "MAP",
    }
    rows: list[list[object]] = [
        [
            f"{shown[name]}@{k}",
            getattr(model, name),
            _html.interval(*model.interval(name)),
            getattr(popular, name),
            _html.interval(*popular.interval(name)),
            meaning,
        ]
        for name, meaning in meanings.items()
    ]
    rows.append(
        [
            "items listed",
            model.coverage,
            "",
            popular.coverage,
            "",
            "the distinct items over all the lists (popularity lists few)",
        ]
    )
    return rows


def ranking_section(
    users: pd.Series,
    items: pd.Series,
    ratings: np.ndarray,
    predictions: np.ndarray,
    *,
    lowest: float,
    seed: int = 0,
    lists: TopNEvaluation | None = None,
) -> str | None:
    """The report's section on how the model ranks items for each user: its top-N ``lists`` against
    popularity's when given (:func:`~trainwell.collab.top_n.evaluate_top_n`), then how it orders each user's
    rated items (:func:`rank_users`); ``None`` when there is neither."""
    from trainwell.report import _html

    found = rank_users(users, items, ratings, predictions, lowest=lowest, seed=seed)
    if found is None and lists is None:
        return None
    body = []
    if lists is not None:
        body.append(f"<h3>Top-{lists.k} lists over all items</h3>")
        body.extend(lists_parts(lists))
    if found is not None:
        if lists is not None:
            body.append("<h3>Ordering the items each user rated</h3>")
        body.extend(_ordering_parts(found, lowest, lists))
    return _html.section("ranking", "How the model ranks items for each user", body)


def _ordering_parts(found: UserRankings, lowest: float, lists: TopNEvaluation | None) -> list[str]:
    from trainwell.report import _html

    k = found.k
    if found.gain_low > 0:
        verdict = "the model's order of each user's rated items beats the items' reputation"
        if lists is not None and not lists.beats_popularity:
            verdict += (
                f", yet its top-{lists.k} lists over all items do not beat popularity (above): ordering items a "
                "user already picked is the easier task"
            )
    elif found.gain_high < 0:
        verdict = (
            "the items' reputation orders them better than the model does: what it learned of each user does not "
            "help here"
        )
    else:
        verdict = "no clear gain over the items' reputation (the interval holds 0)"
    left = (
        f" {found.users_left_out:,} users with one rating, or ratings all alike, have no order to judge and are left out."
        if found.users_left_out
        else ""
    )
    return [
        _html.paragraph(
            f"Only the items each user rated in these rows, ranked by predicted rating, scored by NDCG@{k} with "
            f"graded gains (a rating's height above {lowest:g}, the lowest): 1.0 is the user's own order. Over "
            f"{found.users:,} users the model scores {found.model:.4f} [{found.model_low:.4f}, "
            f"{found.model_high:.4f}]; ranked by the items' reputation (their mean rating by the other users "
            f"here) {found.reputation:.4f}, at random {found.random:.4f}. The model minus the reputation: "
            f"{found.gain:+.4f} [{found.gain_low:+.4f}, {found.gain_high:+.4f}] (the same users resampled for "
            f"both): {verdict}.{left}"
        ),
        _html.table(
            ["ordering the items each user rated", f"NDCG@{k}", "95% interval"],
            [
                [
                    "by the model's predicted ratings",
                    found.model,
                    _html.interval(found.model_low, found.model_high),
                ],
                ["by the items' reputation (others' mean rating)", found.reputation, ""],
                ["at random (expected)", found.random, ""],
            ],
        ),
        _html.paragraph(
            "This ordering never asks the model to find these items among all the others, which is what recommend "
            "does: a random order already scores high here. RMSE does not ask about order at all.",
            note=True,
        ),
    ]
