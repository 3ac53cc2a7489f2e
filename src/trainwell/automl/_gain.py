"""How sure a search's gain over the defaults is, and which trial's model it keeps for that.

The best of many trials scored on the same validation rows is flattered by having been chosen on them (the
winner's curse): with twenty trials no better than the defaults, the best of them still gains something on
those rows, and a paired interval of that one trial's gain (which ignores the choice) often calls it clear.
So the gain is judged by White's (2000) reality check, the textbook test of "is the best of N models really
better than the benchmark": every finished trial's validation predictions are kept, the validation rows are
resampled (the same draw for every trial and the defaults), and in each resample the largest gain of any
trial over the better defaults' trial, each trial's gain recentred as if it were no better than the defaults,
is what choosing the best gives by chance (:func:`reality_check`). The p-value is the share of resamples
whose chance gain reaches the best trial's real one. Trials clearly worse than the defaults are recentred as
Hansen's (2005) consistent test of superior predictive ability recentres them (left at their own, negative,
mean), so that a search's many poor trials do not make a real gain harder to see.

By default (``keep="clear"``) the search keeps the better defaults' trial unless that p-value is below
:data:`GAIN_ALPHA` (0.05, the one-sided level of the 90% interval's low bound), and the best trial then.
:attr:`~trainwell.automl.search.TuneResult.improvement_interval` stays the best trial's own 90% paired
interval (what the gain is, ignoring the choice); :attr:`~trainwell.automl.search.TuneResult.selection` holds
the check.

What the check does not see: the trials were not fixed in advance (TPE chose each one from the earlier trials'
scores on the same rows) and pruned trials are left out; both make it a little lenient, not strict.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

    from trainwell.automl.search import _Trials

__all__ = ["DECIDE_ON_MORE_ROWS", "GAIN_ALPHA", "KEEP_CHOICES", "KeptTrial", "SelectionCheck", "better_defaults", "check_gain",
           "choose_kept", "default_scores", "of_rows", "reality_check", "resampled_scores"]  # fmt: skip

#: A gain is clear when the reality check's p-value is below this: the one-sided level of the low bound of
#: :attr:`TuneResult.improvement_interval`.
GAIN_ALPHA = 0.05
#: Resamples of the validation rows behind that interval and the reality check, and the interval's coverage.
GAIN_RESAMPLES, GAIN_LEVEL = 200, 1 - 2 * GAIN_ALPHA
#: What ``keep=`` (``--keep``) takes: ``"clear"`` keeps the best trial only when its gain over the defaults is
#: clear of the validation rows' noise, the choice of the best counted (else the better defaults' trial),
#: ``"best"`` the best trial always.
KEEP_CHOICES = ("clear", "best")
#: What the verdict of ``keep="clear"`` adds when it keeps the defaults although the best trial gained: the check
#: read the validation rows alone, and more rows decide it (each setting cross-validated, or a larger split).
DECIDE_ON_MORE_ROWS = (
    "to decide on more rows: trainwell evaluate --cv 5 with each setting, or a larger --valid-pct (Python: "
    "evaluate_table(cv=5) and its kin, or valid_pct=)"
)


@dataclass(frozen=True)
class KeptTrial:
    """The trial whose model a search keeps (``number``), why, in one plain line (``reason``), and whether it
    is the better defaults' trial kept in place of a best trial whose gain was within the noise
    (``defaults``)."""

    number: int
    reason: str
    defaults: bool = False


@dataclass(frozen=True)
class SelectionCheck:
    """The reality check of the best trial's gain (:func:`reality_check`).

    Attributes:
        p_value: The share of resamples of the validation rows in which the best of the compared trials, each
            no better than the defaults, gains as much as the best trial did by chance; the gain is clear below
            :data:`GAIN_ALPHA`.
        low: The best trial's gain less the chance gain that the p-value's rule allows (the resamples' chance
            gain at 1 - :data:`GAIN_ALPHA`): above 0 exactly when the p-value is below :data:`GAIN_ALPHA`.
        trials: How many trials were compared with the defaults (the finished ones that are not defaults').
        resamples: How many resamples were counted (those in which every trial's metric is defined).
    """

    p_value: float
    low: float
    trials: int
    resamples: int

    @property
    def clear(self) -> bool:
        """Whether the gain is clear of the noise, the choice of the best counted."""
        return self.p_value < GAIN_ALPHA

    def to_dict(self) -> dict[str, Any]:
        return {"method": "reality check (White 2000; Hansen 2005 recentring)", "p_value": self.p_value,
                "low": self.low, "trials": self.trials, "resamples": self.resamples,
                "alpha": GAIN_ALPHA}  # fmt: skip


def reality_check(
    gains: np.ndarray, resampled: np.ndarray, rows: int, alpha: float = GAIN_ALPHA
) -> SelectionCheck:
    """White's reality check of the largest of ``gains`` with Hansen's consistent recentring.

    Args:
        gains: (K,) each compared trial's gain over the benchmark (the better defaults' trial) on all the
            validation rows, signed so that positive is better.
        resampled: (B, K) the same gains on each of B resamples of the rows, every trial and the benchmark on
            the same draw; a resample with an undefined gain (``nan``: AUC of one class) is left out.
        rows: How many rows were resampled (Hansen's threshold for "clearly worse" grows with it).
        alpha: The level of :attr:`SelectionCheck.low`.

    In each resample the chance gain is the largest of the trials' resampled gains, each recentred: by its own
    gain on all rows (as if the trial were exactly as good as the benchmark, the null's least favourable case),
    except for a trial clearly worse than the benchmark (by more than its resampled spread times
    ``sqrt(2 log log rows)``), which keeps its own negative mean. The p-value is ``(1 + the resamples whose
    chance gain reaches the largest gain) / (1 + B)``.

    Example:
        >>> gains = np.array([0.02, 0.0])
        >>> noise = np.random.default_rng(0).normal(scale=0.01, size=(200, 2))
        >>> check = reality_check(gains, gains + noise, rows=500)
        >>> check.clear, check.trials
        (True, 2)
    """
    resampled = resampled[~np.isnan(resampled).any(axis=1)]
    count = len(resampled)
    best = float(gains.max())
    if count == 0:
        return SelectionCheck(math.nan, math.nan, len(gains), 0)
    log_log = math.log(math.log(rows)) if rows > math.e else 0.0
    clearly_worse = gains < -resampled.std(axis=0) * math.sqrt(max(2.0 * log_log, 0.0))
    chance = (resampled - np.where(clearly_worse, 0.0, gains)).max(axis=1)  # (B,)
    p_value = (1 + int((chance >= best).sum())) / (1 + count)
    # The most resamples whose chance gain may reach the best's for a p-value below alpha: the best's gain must
    # pass the (allowed + 1)-th largest chance gain, which `low` measures it against.
    allowed = math.ceil(alpha * (1 + count) - 1) - 1
    cutoff = float(np.sort(chance)[::-1][allowed]) if 0 <= allowed < count else math.inf
    return SelectionCheck(p_value, best - cutoff, len(gains), count)


def resampled_scores(
    predictions: Sequence[torch.Tensor],
    targets: torch.Tensor,
    score: Callable[[torch.Tensor, torch.Tensor], float],
    resamples: int,
    seed: int,
    binary_auc: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Each model's ``score`` on all rows (M,) and on each of ``resamples`` resamples of them (B, M): the same
    rows for every model in a resample, drawn as :func:`~trainwell.evaluate.intervals.bootstrap_ci` draws them
    with the same ``seed`` (so one model pair's interval here is that function's paired interval).

    ``binary_auc``: ``score`` is a binary task's ROC AUC (predictions (N,)), which is then resampled from one
    sort of each model's predictions (:func:`~trainwell.metrics._ranking.resampled_auc`, the same numbers): a
    sort per model and resample would be most of a search's check."""
    import torch

    from trainwell.metrics._inputs import as_positive
    from trainwell.metrics._ranking import resampled_auc

    rows = len(targets)
    observed = np.array([score(preds, targets) for preds in predictions], dtype=np.float64)
    indices = torch.randint(0, rows, (resamples, rows), generator=torch.Generator().manual_seed(seed))
    if binary_auc:
        counts = torch.zeros(resamples, rows, dtype=torch.float64).scatter_add_(
            1, indices, torch.ones(resamples, rows, dtype=torch.float64)
        )  # (B, N): how many times each row was drawn
        positive = as_positive(targets)
        return observed, torch.stack(
            [resampled_auc(preds, positive, counts) for preds in predictions], 1
        ).numpy()
    resampled = np.array(
        [[score(preds[drawn], targets[drawn]) for preds in predictions] for drawn in indices],
        dtype=np.float64,
    )
    return observed, resampled.reshape(resamples, len(predictions))


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
    selection: SelectionCheck | None = None,
) -> KeptTrial:
    """Which trial's model a search keeps: the ``best`` trial, unless ``keep`` is ``"clear"`` and its gain is
    within the noise, when the better of the finished defaults' trials (``default_scores``, by number) is kept
    instead. Within the noise: the reality check's p-value (``selection``, :func:`reality_check`) is at or above
    :data:`GAIN_ALPHA`; without a check, the low bound of the gain's ``interval`` is at or below 0. Without an
    interval either (no defaults' trial finished, or a ``metric`` not of rows) the best is kept and the reason
    says the gain could not be checked.

    Example:
        >>> choose_kept("clear", 5, 0.90, {0: 0.894}, "maximize", (0.001, 0.01), "roc_auc").number
        5
        >>> chance = SelectionCheck(p_value=0.2, low=-0.004, trials=12, resamples=200)
        >>> choose_kept("clear", 5, 0.90, {0: 0.894}, "maximize", (0.001, 0.01), "roc_auc", chance).number
        0
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
    chance = "" if selection is None else f"; {chance_said(selection)}"
    said = (
        f"the best trial's ({best}) gain over the defaults' trial {defaults}, {gain:+.4f} on the validation rows "
        f"(90% interval [{low:+.4f}, {high:+.4f}]{chance}),"
    )
    if selection.clear if selection is not None else low > 0:
        return KeptTrial(best, f"{said} is clear of those rows' noise")
    if keep == "best":
        return KeptTrial(best, f"{said} is within those rows' noise; kept all the same (keep best)")
    # The best trial gained, within the noise of rows too few to tell (tour62 #12: +0.0080 on 600 rows, p = 0.204;
    # on 2,000 test rows the best did better): say how to decide on more rows than the search read.
    advice = f"; {DECIDE_ON_MORE_ROWS}" if gain > 0 else ""
    return KeptTrial(
        defaults,
        f"{said} is within those rows' noise: the defaults may do as well on new rows{advice}",
        defaults=True,
    )


def chance_said(selection: SelectionCheck) -> str:
    """The reality check in a few words: ``p = 0.210 that the best of 12 trials gains as much by chance``."""
    trials = "one trial" if selection.trials == 1 else f"the best of {selection.trials} trials"
    return f"p = {selection.p_value:.3f} that {trials} gains as much by chance"


def of_rows(trials: _Trials) -> bool:
    """Whether the search's metric is one of rows (:mod:`trainwell.metrics.functional`), which the checks
    resample: not a ranking's or entity F1."""
    from trainwell.metrics import functional

    return getattr(functional, trials.chosen, None) is not None and trials.data.valid is not None


def check_gain(
    trials: _Trials,
    best: int,
    best_value: float,
    keep: str,
    default_scores: dict[int, float],
    predictions: dict[int, tuple[float, torch.Tensor]] | None = None,
) -> tuple[tuple[float, float] | None, SelectionCheck | None, KeptTrial]:
    """The ``best`` trial's gain interval over the better defaults' trial, the reality check of that gain
    (:func:`reality_check`), and the trial kept for them (:func:`choose_kept`). ``default_scores``: each finished
    defaults' trial's score, by number; ``predictions``: each finished trial's score and validation
    predictions, by number (default: those ``trials`` recorded, :attr:`_Trials.predictions`)."""
    interval, selection = _gain_checks(
        trials, best, trials.predictions if predictions is None else predictions
    )
    kept = choose_kept(keep, best, best_value, default_scores, trials.direction, interval, trials.chosen,
                       selection)  # fmt: skip
    return interval, selection, kept


def _gain_checks(
    trials: _Trials, best: int, predictions: dict[int, tuple[float, torch.Tensor]]
) -> tuple[tuple[float, float] | None, SelectionCheck | None]:
    """The interval and the reality check of :func:`check_gain`; ``(None, None)`` when the best is a defaults'
    trial, none finished, or the metric is not one of rows."""
    from trainwell.metrics import functional

    n_defaults = len(trials.space.kinds)
    scores = {number: score for number, (score, _) in predictions.items() if number < n_defaults}
    targets = trials.targets
    if best in scores or not scores or best not in predictions or targets is None or not of_rows(trials):
        return None, None
    defaults = better_defaults(scores, trials.direction)
    compared = sorted(number for number in predictions if number >= n_defaults)  # the best among them
    models = [predictions[number][1] for number in [defaults, *compared]]
    if any(preds.shape != models[0].shape for preds in models):
        return None, None
    metric, task = getattr(functional, trials.chosen), trials.data.task.kind
    binary_auc = trials.chosen == "roc_auc" and task == "binary" and models[0].dim() == 1
    observed, resampled = resampled_scores(
        models, targets, lambda preds, truth: float(metric(preds, truth, task)), GAIN_RESAMPLES, trials.seed,
        binary_auc,
    )  # fmt: skip
    sign = 1.0 if trials.direction == "maximize" else -1.0
    gains, resampled_gains = sign * (observed[1:] - observed[0]), sign * (resampled[:, 1:] - resampled[:, :1])
    of_best = resampled_gains[:, compared.index(best)]
    of_best = of_best[~np.isnan(of_best)]
    if of_best.size == 0:
        return None, None
    low, high = np.quantile(of_best, [(1 - GAIN_LEVEL) / 2, (1 + GAIN_LEVEL) / 2])
    return (float(low), float(high)), reality_check(gains, resampled_gains, len(targets))


def default_scores(trials: _Trials) -> dict[int, float]:
    """Each finished defaults' trial of ``trials`` (those this process trained), by number: its score."""
    return {
        number: float(learn.final_row[trials.chosen]) for number, learn in sorted(trials.defaults.items())
    }
