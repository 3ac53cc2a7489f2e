"""Implicit feedback: a table of interactions (plays, clicks, purchases) with no rating.

Each row says a user chose an item; nothing says which items they would not choose. The model learns to score
an observed (user, item) pair above a random one: every epoch, each observed pair is joined by ``n_negatives``
items drawn at random among those the user has not interacted with (:class:`InteractionLoader`), and the
binary cross-entropy of observed vs drawn is minimised, as in neural collaborative filtering (He et al. 2017).
Scores rank items; they are not calibrated probabilities, since the negatives are drawn.

Evaluation is by ranking, leave-one-out: each user's latest interaction (by the time column when there is one,
else one at random) is held out, and :class:`RankingMetrics` ranks it against every item the user has not
interacted with in training (the full catalogue, not a sample of 100 negatives, whose figures are known to
mislead: Krichene and Rendle 2020). It reports the hit rate at ``k`` (the held-out item is in the top ``k``) and
NDCG at ``k`` (the same, discounted by the position).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from trainwell.core.errors import DataError
from trainwell.data.loader import TensorLoader
from trainwell.evaluate.ranking import hits_and_gains
from trainwell.learner.events import Callback

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

__all__ = [
    "HeldOutRanking",
    "InteractionLoader",
    "RankingMetrics",
    "leave_one_out",
    "sample_negatives",
    "with_model_record",
]

#: Most users whose held-out item is ranked at each validation (a seeded sample beyond it): a full ranking
#: costs users x items scores.
MAX_RANKED_USERS = 2000


def pair_keys(users: np.ndarray, items: np.ndarray, n_items: int) -> np.ndarray:
    """One int64 per (user, item) code pair, for membership tests with ``np.isin``/``searchsorted``."""
    return users.astype(np.int64) * int(n_items) + items.astype(np.int64)


def sample_negatives(
    users: np.ndarray, known: np.ndarray, n_items: int, n_negatives: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``n_negatives`` item codes (1..n_items-1) per entry of ``users``, none an interaction in ``known``
    (sorted pair keys); redrawn a few times, then kept (a user who has seen almost every item)."""
    drawn_users = np.repeat(users, n_negatives)
    items = rng.integers(1, n_items, size=len(drawn_users))
    for _ in range(10):
        keys = pair_keys(drawn_users, items, n_items)
        position = np.searchsorted(known, keys).clip(max=len(known) - 1)
        clash = known[position] == keys
        if not clash.any():
            break
        items[clash] = rng.integers(1, n_items, size=int(clash.sum()))
    return drawn_users, items


class InteractionLoader:
    """Training batches of observed pairs (target 1) and freshly drawn negatives (target 0), shuffled.

    The negatives of epoch ``e`` are drawn with the seed ``seed + e``, so an epoch can be replayed exactly
    (resuming a checkpoint mid-epoch gives the same batches).
    """

    def __init__(
        self,
        users: np.ndarray,
        items: np.ndarray,
        n_items: int,
        *,
        n_negatives: int = 4,
        batch_size: int = 1024,
        seed: int = 0,
    ) -> None:
        if len(users) == 0:
            raise DataError("no interactions to train on")
        self.users, self.items = users.astype(np.int64), items.astype(np.int64)
        self.n_items, self.n_negatives = int(n_items), int(n_negatives)
        self.batch_size, self.seed, self.epoch = int(batch_size), int(seed), 0
        self.known = np.unique(pair_keys(self.users, self.items, self.n_items))
        #: The shard this process reads in a distributed job (see :class:`TensorLoader`).
        self.rank, self.world_size = 0, 1

    @property
    def n_rows(self) -> int:
        total = len(self.users) * (1 + self.n_negatives)
        return math.ceil(total / self.world_size)

    def __len__(self) -> int:
        return math.ceil(self.n_rows / self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def epoch_tensors(self) -> TensorLoader:
        """This epoch's pairs (observed + drawn) as a shuffled :class:`TensorLoader`."""
        rng = np.random.default_rng(self.seed + self.epoch)
        neg_users, neg_items = sample_negatives(self.users, self.known, self.n_items, self.n_negatives, rng)
        users = np.concatenate([self.users, neg_users])
        items = np.concatenate([self.items, neg_items])
        x_cat = torch.from_numpy(np.stack([users, items], axis=1))
        target = torch.cat([torch.ones(len(self.users)), torch.zeros(len(neg_users))])
        loader = TensorLoader(
            (x_cat, torch.zeros((len(users), 0)), target),
            self.batch_size,
            shuffle=True,
            seed=self.seed,
            rank=self.rank,
            world_size=self.world_size,
        )
        loader.set_epoch(self.epoch)
        return loader

    def iter_from(self, start_batch: int = 0) -> Iterator[tuple[torch.Tensor, ...]]:
        return self.epoch_tensors().iter_from(start_batch)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        return self.iter_from(0)


def leave_one_out(
    users: np.ndarray, times: np.ndarray | None, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Train and valid row positions: each user's latest row (ties and no times: a random one) held out,
    for users with at least two rows (a user with one has nothing left to learn from)."""
    rng = np.random.default_rng(seed)
    n = len(users)
    tiebreak = rng.random(n)
    latest = np.zeros(n) if times is None else np.asarray(times, dtype=np.float64)
    # Sort by user, then time, then the random tie-break: the last row of each user's run is held out.
    order = np.lexsort((tiebreak, latest, users))
    sorted_users = users[order]
    last = np.r_[sorted_users[1:] != sorted_users[:-1], True]
    first = np.r_[True, sorted_users[1:] != sorted_users[:-1]]
    held = last & ~first  # users with one row keep it in training
    valid = np.sort(order[held])
    train = np.sort(order[~held])
    return train, valid


@dataclass
class HeldOutRanking:
    """What ranking validation needs: each validation user's held-out item and their training items.

    Attributes:
        users, items: Codes of the held-out pairs (one per user).
        seen: Sorted pair keys of the training interactions (excluded from the ranking).
        n_items: Rows of the item embedding (codes 1..n_items-1 are real items).
        popularity: Training interactions per item code: the baseline ranking (most popular unseen first).
    """

    users: np.ndarray
    items: np.ndarray
    seen: np.ndarray
    n_items: int
    popularity: np.ndarray


def with_model_record(predictor: Any, ranking: HeldOutRanking) -> HeldOutRanking:
    """``ranking`` whose seen pairs also hold the model's own record of what each user chose (its ``seen_*``
    weights: the fit's training and validation rows), less the held-out pairs themselves, and whose popularity
    counts the users of each item over both: what ``recommend`` leaves out, as
    :func:`~trainwell.collab.top_n.evaluate_top_n` does for a model of ratings.

    ``report --data u1.test`` ranked each held-out item among the items the user had not touched in that file
    alone, so the items the user had in training came first (hit@10 0.055 against the fit's own 0.081)."""
    from trainwell.collab.ranking import _training_history

    history = _training_history(predictor)
    if history is None:
        return ranking
    offsets, items = (np.asarray(part, dtype=np.int64) for part in history)
    n_items = int(ranking.n_items)
    users = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    fair = (users > 0) & (items > 0) & (items < n_items)
    record = np.unique(pair_keys(users[fair], items[fair], n_items))
    held = pair_keys(ranking.users, ranking.items, n_items)
    record = record[~np.isin(record, held)]
    seen = np.union1d(np.asarray(ranking.seen, dtype=np.int64), record)
    popularity = np.bincount(seen % n_items, minlength=n_items)
    return HeldOutRanking(ranking.users, ranking.items, seen, n_items, popularity)


class RankedValidation(TensorLoader):
    """The validation pairs (held-out positives and drawn negatives, for the loss and ROC AUC), carrying the
    :class:`HeldOutRanking` that :class:`RankingMetrics` ranks."""

    ranking: HeldOutRanking


class RankingMetrics(Callback):
    """``hit@k`` and ``ndcg@k`` of the held-out items, each ranked among all items its user has not
    interacted with in training, added to each epoch's history row, beside the same measures for two baselines
    a personal model has to clear (:mod:`trainwell.collab.baselines`):

    * ``hit@k_popularity``: recommending the most interacted-with unseen items;
    * ``hit@k_ease``: EASE (Steck 2019), a closed-form linear item-to-item model and one of the strongest simple
      recommenders, when the catalogue is small enough to fit it (``MAX_EASE_ITEMS``).

    Attributes:
        ranks: Each ranked user's 0-based place of the held-out item (ties count half) at the last epoch,
            by ``"model"`` and each baseline's name: what the bootstrap intervals of the final table
            resample (:func:`trainwell.evaluate.ranking.explain_ranking`).
        ease_lambda: The regularisation EASE was fitted with (``None`` without EASE).
    """

    order = -19  # after the Recorder wrote the row, before the progress bar and loggers read it

    def __init__(
        self,
        ranking: HeldOutRanking,
        k: int = 10,
        max_users: int = MAX_RANKED_USERS,
        seed: int = 0,
        *,
        ease: bool = True,
    ):
        from trainwell.collab.baselines import EASE, MAX_EASE_ITEMS

        self.ranking, self.k = ranking, int(k)
        users = np.arange(len(ranking.users))
        if len(users) > max_users:
            users = np.sort(np.random.default_rng(seed).choice(users, max_users, replace=False))
        self.rows = users
        counts = torch.as_tensor(ranking.popularity[1:], dtype=torch.float32)
        self.ranks: dict[str, np.ndarray] = {
            "popularity": held_out_ranks(lambda users: counts.expand(len(users), -1), ranking, users)
        }
        self.ease_lambda: float | None = None
        if ease and ranking.n_items - 1 <= MAX_EASE_ITEMS:
            model, self.ranks["ease"] = EASE.fit_on(ranking, users, self.k)
            self.ease_lambda = model.lam
        self.baselines = {name: ranking_means(ranks, self.k) for name, ranks in self.ranks.items()}

    def after_epoch(self, learn: Learner) -> None:
        if not learn.history or learn.data.valid is None:
            return
        self.ranks["model"] = held_out_ranks(
            model_scores(learn.model, self.ranking.n_items, learn.device), self.ranking, self.rows
        )
        row = learn.history[-1]
        row[f"hit@{self.k}"], row[f"ndcg@{self.k}"] = ranking_means(self.ranks["model"], self.k)
        for name, (hits, gains) in self.baselines.items():
            row[f"hit@{self.k}_{name}"], row[f"ndcg@{self.k}_{name}"] = hits, gains


def model_scores(
    model: torch.nn.Module, n_items: int, device: torch.device
) -> Callable[[np.ndarray], torch.Tensor]:
    """A scoring function for :func:`rank_held_out`: the model's score of every item for each user code."""
    items = torch.arange(1, n_items, device=device)
    empty = torch.zeros((0, 0), device=device)

    def scores(users: np.ndarray) -> torch.Tensor:
        codes = torch.as_tensor(users, device=device)
        pairs = torch.stack([codes.repeat_interleave(n_items - 1), items.repeat(len(users))], dim=1)
        was_training = model.training
        model.eval()
        try:
            return model(pairs, empty).float().reshape(len(users), n_items - 1)
        finally:
            model.train(was_training)

    return scores


def unseen_scores(
    scores_of: Callable[[np.ndarray], torch.Tensor], ranking: HeldOutRanking, rows: np.ndarray
) -> Iterator[tuple[int, np.ndarray, torch.Tensor]]:
    """``(start, part, scores)`` chunk by chunk over ``rows``: the scores of items 1..n_items-1 for the users
    of ``rows[start : start + len(part)]``, the items each user interacted with in training at ``-inf``."""
    n_items = ranking.n_items
    chunk = max(1, (1 << 20) // max(n_items - 1, 1))
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        scores = scores_of(ranking.users[part]).float().clone()
        seen = np.isin(
            pair_keys(
                np.repeat(ranking.users[part], n_items - 1),
                np.tile(np.arange(1, n_items), len(part)),
                n_items,
            ),
            ranking.seen,
        ).reshape(len(part), n_items - 1)
        scores[torch.as_tensor(seen, device=scores.device)] = -float("inf")
        yield start, part, scores


@torch.no_grad()
def held_out_ranks(
    scores_of: Callable[[np.ndarray], torch.Tensor], ranking: HeldOutRanking, rows: np.ndarray
) -> np.ndarray:
    """The 0-based place of each held-out item of ``rows`` (positions in ``ranking``) in its user's ranking.

    ``scores_of(user_codes)`` scores items 1..n_items-1 for each user: ``(len(user_codes), n_items - 1)``.
    The user's training items are left out of the ranking; ties with the held-out item count half, the
    expected place under a random order (a popularity ranking has many).
    """
    places = np.empty(len(rows), dtype=np.float64)
    for start, part, scores in unseen_scores(scores_of, ranking, rows):
        target = torch.as_tensor(ranking.items[part] - 1, device=scores.device)
        held = scores.gather(1, target[:, None])
        ties = (scores == held).sum(dim=1) - 1
        places[start : start + len(part)] = ((scores > held).sum(dim=1) + ties / 2).cpu().double().numpy()
    return places


def ranking_means(ranks: np.ndarray, k: int) -> tuple[float, float]:
    """Hit rate and NDCG at ``k`` over the users of ``ranks``."""
    hits, gains = hits_and_gains(ranks, k)
    return float(hits.mean()), float(gains.mean())


def rank_held_out(
    scores_of: Callable[[np.ndarray], torch.Tensor], ranking: HeldOutRanking, rows: np.ndarray, k: int
) -> tuple[float, float]:
    """Hit rate and NDCG at ``k`` over the held-out pairs ``rows`` (see :func:`held_out_ranks`)."""
    return ranking_means(held_out_ranks(scores_of, ranking, rows), k)
