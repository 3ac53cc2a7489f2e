"""How sure a search's gain over the defaults is: a paired bootstrap over the validation rows of the best
trial's predictions and the better defaults' trial's (:attr:`~trainwell.automl.search.TuneResult.improvement_interval`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trainwell.automl.search import _Trials
    from trainwell.learner.learner import Learner

__all__ = ["default_predictions", "improvement_interval"]

#: Resamples of the validation rows behind :attr:`TuneResult.improvement_interval`, and its coverage.
GAIN_RESAMPLES, GAIN_LEVEL = 200, 0.9


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
    choose = max if trials.direction == "maximize" else min
    _, default_preds = choose(defaults.values(), key=lambda pair: pair[0])
    best_preds, targets = learn.get_preds()
    if targets is None or best_preds.shape != default_preds.shape:
        return None
    task, sign = learn.task.kind, 1.0 if trials.direction == "maximize" else -1.0

    def gain(pairs: torch.Tensor, truth: torch.Tensor) -> float:
        return sign * (float(metric(pairs[:, 0], truth, task)) - float(metric(pairs[:, 1], truth, task)))

    paired = torch.stack([best_preds, default_preds], dim=1)
    _, low, high = bootstrap_ci(gain, paired, targets, n_boot=GAIN_RESAMPLES, level=GAIN_LEVEL, seed=seed)
    return (low, high) if low == low else None
