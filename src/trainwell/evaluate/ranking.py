"""Ranking measures of an implicit-feedback recommender explained, with intervals over users and paired
comparisons against the baselines ranked on the same users.

Each ranked user contributes one held-out item and its place in their ranking
(:func:`trainwell.collab.implicit.held_out_ranks`). Resampling users (the bootstrap) gives the interval of the
hit rate and NDCG; resampling the same users for the model and a baseline gives the interval of their
difference, which is much narrower than the two intervals side by side suggest, since both are judged on the
same users.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from trainwell.evaluate.explain import MetricLine

__all__ = ["RankingComparison", "compare_rankings", "explain_ranking", "hits_and_gains"]

#: How each baseline is named in sentences.
BASELINE_NAMES = {
    "popularity": "the popularity ranking (the most interacted-with items the user has not touched)",
    "ease": "EASE (a closed-form item-to-item model fitted on the same interactions)",
}


def hits_and_gains(ranks: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per user, from the 0-based place of their held-out item: 1 when it is in the top ``k`` (else 0), and
    its NDCG at ``k`` with one relevant item, ``1 / log2(place + 2)`` inside the top ``k``."""
    ranks = np.asarray(ranks, dtype=np.float64)
    return (ranks < k).astype(np.float64), np.where(ranks < k, 1.0 / np.log2(ranks + 2.0), 0.0)


def _per_user(ranks: np.ndarray, k: int) -> dict[str, np.ndarray]:
    hits, gains = hits_and_gains(ranks, k)
    return {f"hit@{k}": hits, f"ndcg@{k}": gains}


def _resamples(n: int, n_boot: int, seed: int) -> np.ndarray:
    """``(n_boot, n)`` bootstrap weights over ``n`` users (how often each is drawn)."""
    return np.random.default_rng(seed).multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(np.float64)


def _interval(values: np.ndarray) -> tuple[float, float]:
    return float(np.quantile(values, 0.025)), float(np.quantile(values, 0.975))


def explain_ranking(
    ranks: Mapping[str, np.ndarray], k: int = 10, *, n_boot: int = 1000, seed: int = 0
) -> list[MetricLine]:
    """Hit rate and NDCG at ``k`` of ``ranks["model"]`` and of each baseline in ``ranks``, each with a 95%
    bootstrap interval over the ranked users and a sentence saying what it means."""
    if "model" not in ranks:
        return []
    n = len(ranks["model"])
    weights = _resamples(n, n_boot, seed)
    lines = []
    for name in sorted(ranks, key=lambda name: name != "model"):  # the model's lines first
        places = ranks[name]
        for metric, values in _per_user(places, k).items():
            low, high = _interval(weights @ values / n)
            value = float(values.mean())
            if name == "model":
                sentence = (
                    f"for {value:.1%} of the {n:,} users the held-out item is among the {k} highest-scored of all "
                    "items they had not interacted with"
                    if metric.startswith("hit")
                    else f"like hit@{k}, discounted by position: 1 if always ranked first, 0 if never in the top {k}"
                )
                lines.append(MetricLine(metric, value, low, high, sentence))
            else:
                sentence = f"{metric} of {BASELINE_NAMES.get(name, name)}: a bar a personal model must clear"
                lines.append(MetricLine(f"{metric}_{name}", value, low, high, sentence))
    return lines


@dataclass(frozen=True)
class RankingComparison:
    """The model against one baseline on the same users: the mean difference and its paired 95% interval."""

    baseline: str
    metric: str
    difference: float
    low: float
    high: float

    @property
    def verdict(self) -> str:
        """``"better"``, ``"worse"`` or ``"no clear difference"`` (the interval straddles 0)."""
        if self.low > 0:
            return "better"
        if self.high < 0:
            return "worse"
        return "no clear difference"

    def sentence(self) -> str:
        name = BASELINE_NAMES.get(self.baseline, self.baseline)
        shown = f"{self.difference:+.4f} [{self.low:+.4f}, {self.high:+.4f}]"
        if self.verdict == "better":
            return f"{self.metric}: the model beats {name} by {shown}"
        if self.verdict == "worse":
            return f"{self.metric}: the model is worse than {name}, {shown}"
        return f"{self.metric}: the model is not clearly better than {name}, {shown}"


def compare_rankings(
    ranks: Mapping[str, np.ndarray], k: int = 10, *, metric: str = "ndcg", n_boot: int = 1000, seed: int = 0
) -> list[RankingComparison]:
    """The model's ``metric`` at ``k`` (``"ndcg"`` or ``"hit"``) minus each baseline's, paired over users."""
    if "model" not in ranks:
        return []
    name = f"{metric}@{k}"
    model = _per_user(ranks["model"], k)[name]
    weights = _resamples(len(model), n_boot, seed)
    comparisons = []
    for baseline, places in ranks.items():
        if baseline == "model":
            continue
        difference = model - _per_user(places, k)[name]
        low, high = _interval(weights @ difference / len(difference))
        comparisons.append(RankingComparison(baseline, name, float(difference.mean()), low, high))
    return comparisons
