"""How sure a search's gain over the defaults is, and which trial's model it keeps for that: a paired bootstrap
over the validation rows of the best trial's predictions and the better defaults' trial's
(:attr:`~trainwell.automl.search.TuneResult.improvement_interval`), and :func:`choose_kept`.

The best of many trials scored on the same validation rows is flattered by having been chosen on them (the
winner's curse): a gain whose interval reaches zero is no surer than the defaults, so by default
(``keep="clear"``) the search keeps the better defaults' trial then, and the best trial only when its gain is
clear of those rows' noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trainwell.automl.search import _Trials
    from trainwell.learner.learner import Learner

__all__ = ["KEEP_CHOICES", "KeptTrial", "better_defaults", "check_gain", "choose_kept", "default_predictions",
           "default_scores", "improvement_interval"]  # fmt: skip

#: Resamples of the validation rows behind :attr:`TuneResult.improvement_interval`, and its coverage.
GAIN_RESAMPLES, GAIN_LEVEL = 200, 0.9
#: What ``keep=`` (``--keep``) takes: ``"clear"`` keeps the best trial only when its gain over the defaults is
#: clear of the validation rows' noise (else the better defaults' trial), ``"best"`` the best trial always.
KEEP_CHOICES = ("clear", "best")


@dataclass(frozen=True)
class KeptTrial:
    """The trial whose model a search keeps (``number``), why, in one plain line (``reason``), and whether it
    is the better defaults' trial kept in place of a best trial whose gain was within the noise
    (``defaults``)."""

    number: int
    reason: str
    defaults: bool = False


def better_defaults(scores: dict[int, float], direction: str) -> int:
    """The number of the better finished defaults' trial (``scores``: each one's score, by number); the earlier
    one of equal scores, as Optuna's best trial."""
    sign = -1.0 if direction == "maximize" else 1.0
    return min(scores, key=lambda number: (sign * scores[number], number))


def choose_kept(
    keep: str,
    best: int,
    best_value: float,
    default_scores: dict[int, float],
    direction: str,
    interval: tuple[float, float] | None,
    metric: str,
) -> KeptTrial:
    """Which trial's model a search keeps: the ``best`` trial, unless ``keep`` is ``"clear"`` and the low bound
    of its gain's ``interval`` (:func:`improvement_interval`) is at or below 0, when the better of the finished
    defaults' trials (``default_scores``, by number) is kept instead. Without an interval (no defaults' trial
    finished, or a ``metric`` not of rows) the best is kept and the reason says the gain could not be checked.

    Example:
        >>> choose_kept("clear", 5, 0.90, {0: 0.894}, "maximize", (-0.02, 0.04), "roc_auc").number
        0
        >>> choose_kept("clear", 5, 0.90, {0: 0.894}, "maximize", (0.001, 0.01), "roc_auc").number
        5
    """
    if keep not in KEEP_CHOICES:
        raise ValueError(f"keep must be one of {KEEP_CHOICES}, got {keep!r}")  # checked before the search
    if best in default_scores:
        return KeptTrial(best, "the best trial is a defaults' trial: no other trial beat it")
    if not default_scores:
        return KeptTrial(best, "no defaults' trial finished, so the gain over them could not be checked")
    defaults = better_defaults(default_scores, direction)
    if interval is None:
        return KeptTrial(
            best,
            f"the gain over the defaults could not be checked against the validation rows' noise (the bootstrap "
            f"over rows does not apply to {metric})",
        )
    low, high = interval
    gain = (1.0 if direction == "maximize" else -1.0) * (best_value - default_scores[defaults])
    said = (
        f"the best trial's ({best}) gain over the defaults' trial {defaults}, {gain:+.4f} on the validation rows "
        f"(90% interval [{low:+.4f}, {high:+.4f}]),"
    )
    if low > 0:
        return KeptTrial(best, f"{said} is clear of those rows' noise")
    if keep == "best":
        return KeptTrial(best, f"{said} is within those rows' noise; kept all the same (keep best)")
    return KeptTrial(
        defaults,
        f"{said} is within those rows' noise: the defaults may do as well on new rows",
        defaults=True,
    )


def check_gain(
    trials: _Trials,
    best: int,
    best_value: float,
    learn: Learner,
    keep: str,
    default_scores: dict[int, float],
    defaults: dict[int, tuple[float, Any]] | None = None,
) -> tuple[tuple[float, float] | None, KeptTrial]:
    """The ``best`` trial's gain interval (:func:`improvement_interval`, from its learner ``learn``) and the
    trial kept for it (:func:`choose_kept`); ``default_scores``: each finished defaults' trial's score, by
    number; ``defaults``: as for :func:`improvement_interval`."""
    interval = improvement_interval(trials, best, learn, trials.seed, defaults)
    kept = choose_kept(keep, best, best_value, default_scores, trials.direction, interval, trials.chosen)
    return interval, kept


def default_scores(trials: _Trials) -> dict[int, float]:
    """Each finished defaults' trial of ``trials`` (those this process trained), by number: its score."""
    return {
        number: float(learn.history[-1][trials.chosen]) for number, learn in sorted(trials.defaults.items())
    }


def default_predictions(trials: _Trials) -> dict[int, tuple[float, Any]]:
    """Each finished defaults' trial of ``trials``, by number: its score and its validation predictions, which
    :func:`improvement_interval` resamples (empty when the metric is not one of rows)."""
    from trainwell.metrics import functional

    if getattr(functional, trials.chosen, None) is None or trials.data.valid is None:
        return {}
    return {number: (float(learn.history[-1][trials.chosen]), learn.get_preds()[0])
            for number, learn in sorted(trials.defaults.items())}  # fmt: skip


def improvement_interval(
    trials: _Trials,
    best_number: int,
    learn: Learner,
    seed: int,
    defaults: dict[int, tuple[float, Any]] | None = None,
) -> tuple[float, float] | None:
    """How sure the best trial's gain over the better defaults' trial is: a paired bootstrap over the validation
    rows (both models' predictions resampled together), signed so that positive is better; ``None`` when the
    best is a defaults' trial, none finished, or the metric is not one of rows (ranking, entity F1).
    ``defaults``: each finished defaults' trial's score and predictions (:func:`default_predictions`, from
    ``trials``' own learners unless given)."""
    import torch

    from trainwell.evaluate.intervals import bootstrap_ci
    from trainwell.metrics import functional

    metric = getattr(functional, trials.chosen, None)
    finished = set(trials.defaults) if defaults is None else set(defaults)
    if best_number in finished or not finished or metric is None or trials.data.valid is None:
        return None
    if defaults is None:
        defaults = default_predictions(trials)
    scores = {number: score for number, (score, _) in defaults.items()}
    _, default_preds = defaults[better_defaults(scores, trials.direction)]
    best_preds, targets = learn.get_preds()
    if targets is None or best_preds.shape != default_preds.shape:
        return None
    task, sign = learn.task.kind, 1.0 if trials.direction == "maximize" else -1.0

    def gain(pairs: torch.Tensor, truth: torch.Tensor) -> float:
        return sign * (float(metric(pairs[:, 0], truth, task)) - float(metric(pairs[:, 1], truth, task)))

    paired = torch.stack([best_preds, default_preds], dim=1)
    _, low, high = bootstrap_ci(gain, paired, targets, n_boot=GAIN_RESAMPLES, level=GAIN_LEVEL, seed=seed)
    return (low, high) if low == low else None
