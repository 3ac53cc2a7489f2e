"""Decision thresholds chosen per label to maximise F1 on held-out rows (multi-label classification).

Macro F1 at a fixed 0.5 is poor for rare labels: a label present in 1% of rows seldom gets a probability above
one half even where the model ranks its rows first. The standard remedy (the GoEmotions paper, and most
practitioners) is one threshold per label, chosen on validation rows. Two safeguards here:

- a label with few validation positives gets its best threshold shrunk toward the one threshold that is best
  for all labels together (with the weight of :data:`PRIOR_POSITIVES` positives), and a label with none keeps
  that global threshold: a best F1 over three positives is mostly noise;
- F1 measured on the rows the thresholds were chosen on is optimistic. :func:`cross_fitted_f1` chooses them
  on one half of the rows and scores the other half, and the other way round: an honest estimate.

Pure functions on tensors, so every application's fit can call them (``text.pipeline`` does).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from trainwell.core.errors import ConfigError, DataError
from trainwell.metrics.functional import f1

__all__ = [
    "PRIOR_POSITIVES",
    "ThresholdChoice",
    "best_f1_threshold",
    "choose_thresholds",
    "cross_fitted_decisions",
    "cross_fitted_f1",
]

#: How many validation positives make a label's own best threshold count as much as the global one. On
#: GoEmotions (test macro F1, thresholds chosen on 5,426 dev rows / on 600 rows of a 3,000-text subset):
#: 0 -> 0.448 / 0.279, 3 -> 0.448 / 0.280, 10 -> 0.434 / 0.279, global threshold only -> 0.433 / 0.275.
PRIOR_POSITIVES = 3.0
#: Chosen thresholds stay inside this range (metrics need a threshold strictly between 0 and 1).
LOWEST, HIGHEST = 1e-3, 1 - 1e-3
#: The candidates for the one global threshold.
_GRID = torch.linspace(0.01, 0.99, 99, dtype=torch.float64)


@dataclass(frozen=True)
class ThresholdChoice:
    """Thresholds chosen on some rows.

    Attributes:
        thresholds: one per label, in output order.
        global_threshold: the one threshold best for all labels together (macro F1).
        positives: validation positives of each label (how much its own threshold was trusted).
    """

    thresholds: tuple[float, ...]
    global_threshold: float
    positives: tuple[int, ...]


def best_f1_threshold(scores: torch.Tensor, truth: torch.Tensor) -> tuple[float, float]:
    """The threshold that maximises F1 of one label on these rows, and that F1 (exact, one sort).

    The threshold lies halfway between the lowest score called positive and the next one down, so that
    rows scored alike elsewhere fall on the same side. ``(0.5, 0.0)`` when there is no positive.

    >>> best_f1_threshold(torch.tensor([0.875, 0.5, 0.25, 0.125]), torch.tensor([1, 1, 0, 0]))
    (0.375, 1.0)
    """
    scores = scores.detach().double().reshape(-1)
    truth = truth.detach().reshape(-1) > 0.5
    n_positive = int(truth.sum())
    if n_positive == 0:
        return 0.5, 0.0
    order = torch.argsort(scores, descending=True, stable=True)
    ordered, hits = scores[order], truth[order].double()
    true_positives = torch.cumsum(hits, 0)
    called = torch.arange(1, len(ordered) + 1, dtype=torch.float64)
    f1 = 2 * true_positives / (called + n_positive)
    # Only cut between different scores: rows with equal scores get the same decision.
    cut = torch.ones_like(truth)
    cut[:-1] = ordered[:-1] > ordered[1:]
    f1 = torch.where(cut, f1, torch.full_like(f1, -1.0))
    best = int(torch.argmax(f1))
    below = float(ordered[best + 1]) if best + 1 < len(ordered) else 0.0
    threshold = (float(ordered[best]) + below) / 2
    return min(max(threshold, LOWEST), HIGHEST), float(f1[best])


def _macro_f1(decisions: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """Macro F1 over the labels that have positives; ``decisions`` ``(..., N, L)``, ``truth`` ``(N, L)``."""
    true_positives = (decisions & truth).sum(-2).double()
    denominator = decisions.sum(-2).double() + truth.sum(-2).double()
    f1 = 2 * true_positives / denominator.clamp(min=1)
    present = truth.any(0)
    return f1[..., present].mean(-1)


def choose_thresholds(
    probabilities: torch.Tensor, targets: torch.Tensor, *, prior_positives: float = PRIOR_POSITIVES
) -> ThresholdChoice:
    """A threshold per label that maximises its F1 on these rows, shrunk toward the global best for rare labels.

    Label ``j`` with ``P`` positives here gets ``(P * own + prior_positives * global) / (P + prior_positives)``;
    with no positive, the global threshold (itself the one threshold maximising macro F1 over the labels).

    Args:
        probabilities: ``(N, L)`` activated outputs on held-out rows.
        targets: ``(N, L)`` 0/1 truth.
        prior_positives: the weight of the global threshold, in positives (0 trusts each label fully).

    Raises:
        DataError: shapes differ or no row is given.
    """
    if probabilities.ndim != 2 or probabilities.shape != targets.shape or not len(probabilities):
        raise DataError(
            f"choosing thresholds needs probabilities and targets of the same (rows, labels) shape with rows; "
            f"got {tuple(probabilities.shape)} and {tuple(targets.shape)}"
        )
    if prior_positives < 0:
        raise ConfigError(f"prior_positives must be >= 0; got {prior_positives}")
    scores = probabilities.detach().double().cpu()
    truth = targets.detach().cpu() > 0.5
    global_threshold = 0.5
    if truth.any():
        # Every candidate at once, (G, N, L) decisions in blocks of about 4M: the same counts and F1s, one call.
        step = max(1, (1 << 22) // max(1, scores.numel()))
        values = torch.cat([_macro_f1(scores >= block[:, None, None], truth) for block in _GRID.split(step)])
        global_threshold = float(_GRID[int(torch.argmax(values))])
    thresholds, positives = [], []
    for label in range(scores.shape[1]):
        n_positive = int(truth[:, label].sum())
        own, _ = best_f1_threshold(scores[:, label], truth[:, label])
        weight = n_positive / (n_positive + prior_positives) if n_positive else 0.0
        chosen = weight * own + (1 - weight) * global_threshold
        thresholds.append(round(min(max(chosen, LOWEST), HIGHEST), 6))
        positives.append(n_positive)
    return ThresholdChoice(tuple(thresholds), global_threshold, tuple(positives))


def cross_fitted_decisions(
    probabilities: torch.Tensor,
    targets: torch.Tensor,
    *,
    prior_positives: float = PRIOR_POSITIVES,
    seed: int = 0,
) -> torch.Tensor:
    """0/1 decisions ``(N, L)`` with per-label thresholds, each row decided by thresholds chosen on the *other*
    half of the rows.

    Two folds at random (``seed``): thresholds chosen on one decide the other, and the other way round. Any
    threshold metric of these decisions (at 0.5) is, unlike one measured on the rows the thresholds were
    chosen on, not optimistic; if anything slightly pessimistic, as each half chooses from half the rows.
    """
    n_rows = len(probabilities)
    if n_rows < 2:
        raise DataError(f"cross-fitted decisions need at least 2 rows; got {n_rows}")
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(n_rows, generator=generator)
    halves = (order[: n_rows // 2], order[n_rows // 2 :])
    truth = targets.detach().cpu() > 0.5
    scores = probabilities.detach().double().cpu()
    decisions = torch.zeros_like(truth)
    for chosen_on, decided in (halves, halves[::-1]):
        choice = choose_thresholds(scores[chosen_on], truth[chosen_on], prior_positives=prior_positives)
        decisions[decided] = scores[decided] >= torch.tensor(choice.thresholds, dtype=torch.float64)
    return decisions


def cross_fitted_f1(
    probabilities: torch.Tensor,
    targets: torch.Tensor,
    *,
    prior_positives: float = PRIOR_POSITIVES,
    seed: int = 0,
) -> float:
    """Macro F1 (:func:`~trainwell.metrics.functional.f1`) of :func:`cross_fitted_decisions`: an honest
    estimate of what per-label thresholds chosen on these rows score on new rows."""
    decisions = cross_fitted_decisions(probabilities, targets, prior_positives=prior_positives, seed=seed)
    return f1(decisions.float(), (targets.detach().cpu() > 0.5).float(), "multilabel")
