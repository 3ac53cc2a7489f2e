"""How well a ratings model orders each user's rated items: the question a recommender answers, which RMSE does
not ask (a model can be off by a star everywhere and still put each user's favourites first).

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

import numpy as np
import pandas as pd

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


def ranking_section(
    users: pd.Series,
    items: pd.Series,
    ratings: np.ndarray,
    predictions: np.ndarray,
    *,
    lowest: float,
    seed: int = 0,
) -> str | None:
    """The report's section on how the model orders each user's rated items (:func:`rank_users`), or ``None``
    when no user has two different ratings among the rows."""
    from trainwell.report import _html

    found = rank_users(users, items, ratings, predictions, lowest=lowest, seed=seed)
    if found is None:
        return None
    k = found.k
    if found.gain_low > 0:
        verdict = (
            "the model's order for each user beats the items' reputation: it knows something of each user"
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
    body = [
        _html.paragraph(
            f"Each user's rated items ranked by predicted rating, scored by NDCG@{k} with graded gains (a rating's "
            f"height above {lowest:g}, the lowest): 1.0 is the user's own order. Over {found.users:,} users the model "
            f"scores {found.model:.3f} [{found.model_low:.3f}, {found.model_high:.3f}]; ranked by the items' "
            f"reputation (their mean rating by the other users here) {found.reputation:.3f}, at random "
            f"{found.random:.3f}. The model minus the reputation: {found.gain:+.3f} [{found.gain_low:+.3f}, "
            f"{found.gain_high:+.3f}] (the same users resampled for both): {verdict}.{left}"
        ),
        _html.table(
            ["ranking of each user's rated items", f"NDCG@{k}", "95% interval"],
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
            "A recommender is used to order items, and RMSE does not ask about order: a model off by a star everywhere "
            "can still put each user's favourites first.",
            note=True,
        ),
    ]
    return _html.section("ranking", "How each user's rated items are ordered", body)
