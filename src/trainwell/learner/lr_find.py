"""The learning-rate finder (Smith 2015): sweep the LR exponentially over a few batches and read the curve.

The sweep trains for real, so weights, optimizer state, RNG states and the history are saved before and put
back after: a fit that follows is the same as one that never ran the finder.

A sweep of a model that has trained already reads the curve of those weights, which are near a minimum: its
suggestion is a rate for training them further, often far below a fresh model's (an MLP on 1,500 rows of
California housing: 4.5e-03 and 6.6e-03 fresh in two runs, 1.1e-04 after two epochs of fit_one_cycle), and the
finder says so once per learner (:class:`SweptTrainedModel`).
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
import time
import warnings
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainwell.callbacks.budget import cpu_group
from trainwell.callbacks.progress import ProgressBar
from trainwell.core.device import is_rank_zero
from trainwell.core.errors import ConfigError
from trainwell.core.seeding import get_rng_states, set_rng_states
from trainwell.learner.events import Callback, CancelFit, CancelValidate

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner

SMOOTHING = 0.98
DIVERGENCE_FACTOR = 4.0
#: With a time limit: batches timed (after the first, which carries one-off costs) before the sweep is fitted
#: to the time, and the fewest points it may then take (the curve still spans the whole range, more coarsely).
#: Measured on California housing and Adult, 5 seeds each: 50 points suggested within 2x of 100 points' rate;
#: 40 points misread two sweeps of five (a minimum at the first rates, 3e-8).
TIMED_POINTS = 5
MIN_POINTS = 50
#: The suggestion is the rate at the lowest smoothed loss divided by this (Smith's rule of thumb: a tenth), unless
#: the model's registry entry says otherwise with ``lr_find_divisor`` (see :func:`suggestion_divisor`).
DIVISOR = 10.0


class SweptTrainedModel(UserWarning):
    """``lr_find`` ran on a learner whose model has trained already: its suggestion is a rate for training those
    weights further, not the rate of a first fit."""


#: The learners already told (:func:`warn_if_trained`): a notebook that sweeps again after more epochs knows.
_TOLD: weakref.WeakSet[Any] = weakref.WeakSet()


@dataclass
class LRFindResult:
    """The sweep: learning rates, smoothed losses, and the suggested learning rate.

    Attributes:
        suggestion: the learning rate where the smoothed loss was lowest (``minimum``) divided by ``divisor``,
            never below the rates swept; ``None`` when the sweep was too short to say (e.g. the loss was NaN
            from the start), or when its loss neither fell nor rose clear of the batches' noise (a flat curve,
            said in a :class:`FlatSweep` warning: train at the model's default rate, ``fit_one_cycle(n)``).
        steepest: where the smoothed loss fell fastest per decade of learning rate, a line fitted to an eighth of
            the sweep at a time past its first tenth; ``None`` when that fall is within the noise.
        minimum: the learning rate where the smoothed loss was lowest; on a flat curve (its fall within the
            batches' noise, said in a :class:`FlatSweep` warning), the highest rate at which it still stood
            within that noise of its lowest before it rose (:func:`read_sweep`).
        stopped_for_time: the sweep was given a time limit too short for even :data:`MIN_POINTS` points and
            stopped once that was clear (no suggestion).
        divisor: what ``minimum`` was divided by: :data:`DIVISOR` (a tenth, Smith's rule of thumb), or the
            ``lr_find_divisor`` of the model's registry entry (a bag of n-grams: a hundredth; see
            :func:`suggestion_divisor`).
        flat: the loss never fell clear of the batches' noise (:func:`read_sweep`; said in a :class:`FlatSweep`
            warning): ``minimum`` is then where the loss rose, not a valley's lowest point.
    """

    lrs: list[float]
    losses: list[float]
    raw_losses: list[float] = field(default_factory=list)
    suggestion: float | None = None
    steepest: float | None = None
    minimum: float | None = None
    stopped_for_time: bool = False
    divisor: float = DIVISOR  # last: checkpoints of sweeps kept before it was added load with the default
    flat: bool = False  # after it, for the same reason

    def plot(self, path: str | Path = "lr_find.png", trained_at: float | None = None) -> Path:
        """Write the loss-versus-learning-rate curve as a PNG (``lr_find.png`` by default, the name a model
        directory gives it); ``trained_at``, the peak rate a fit used, is marked too when it is not the
        suggestion."""
        from trainwell.learner.plots import plot_lr_find

        return plot_lr_find(self, Path(path), trained_at=trained_at)

    def __repr__(self) -> str:
        suggestion = f"{self.suggestion:.2e}" if self.suggestion else "none"
        return f"LRFindResult(points={len(self.lrs)}, suggestion={suggestion})"


class KeptSweep(Callback):
    """Keeps a learning-rate finder's sweep (``result``) in the checkpoints of the fit it chose the rate for, so
    a resumed fit, which does not sweep again, still has it (``trainwell fit --resume`` writes ``lr_find.png``
    as a fit never stopped does).

    Pass it to the fit with the sweep (``None`` when resuming); after the fit ``result`` is the sweep, whether
    it came from the caller or back from the checkpoint the fit resumed from.
    """

    def __init__(self, result: LRFindResult | None = None) -> None:
        self.result = result

    def checkpoint_state(self) -> dict[str, Any] | None:
        return None if self.result is None else dataclasses.asdict(self.result)  # floats, lists, None, a bool

    def load_checkpoint_state(self, state: dict[str, Any]) -> None:
        self.result = LRFindResult(**state)


#: How far (in standard deviations of the difference, from the batches' own noise) the smoothed loss must fall
#: below where the sweep starts for the curve to say anything. The largest such z over a sweep of pure noise
#: (100 points, the finder's smoothing) exceeds 2.5 in 5% of sweeps, 3.35 in 1%. Real sweeps: a table's MLP
#: (Adult) 28, a bag of n-grams on IMDB's sample 246, a small CNN on 500 CIFAR-10 images 2.9; the bag on 600
#: SST-2 sentences 0.9 and on 8,000 1.3 (flat: their lowest points, at 1.1e-06 and 5.1e-01, were noise).
FALL_Z = 2.5


@dataclass
class SweepReading:
    """What :func:`read_sweep` makes of a curve: :func:`suggest`'s three rates, and for a flat curve
    (``flat``) the figures that show it: the smoothed loss where the reading starts, the lowest one, and the fall
    the noise would have needed."""

    suggestion: float | None
    steepest: float | None
    minimum: float | None
    flat: bool = False
    start_loss: float = math.nan
    lowest_loss: float = math.nan
    needed_fall: float = math.nan


def suggest(
    lrs: list[float],
    losses: list[float],
    divisor: float = DIVISOR,
    raw_losses: list[float] | None = None,
) -> tuple[float | None, float | None, float | None]:
    """(suggestion, steepest, lr at minimum) from a smoothed curve (see :func:`read_sweep`); ``None``s when it
    is too short, and no suggestion when the loss never fell clear of its noise."""
    reading = read_sweep(lrs, losses, divisor, raw_losses)
    return reading.suggestion, reading.steepest, reading.minimum


def read_sweep(
    lrs: list[float],
    losses: list[float],
    divisor: float = DIVISOR,
    raw_losses: list[float] | None = None,
) -> SweepReading:
    """Read a smoothed curve: the suggestion is the rate at the lowest loss (``minimum``) over ``divisor``, never
    below the rates the reading covers (past its first tenth).

    That holds when the loss fell there from where it started by more than the batches' noise explains
    (:data:`FALL_Z`), or when the sweep is too short to judge that (under :data:`MIN_POINTS` points).
    Otherwise the curve is ``flat`` and its lowest point is noise: a bag of n-grams on 600 SST-2 sentences had
    it at 1.1e-06, among the first rates, and "suggested" 1.1e-08, below the sweep, where five epochs learned
    nothing (ROC AUC 0.51, the default rate 0.57). A flat curve's ``minimum`` is the highest rate at which the
    loss still stood within noise of its floor before it rose clear of it (there: 0.29, suggesting 2.9e-03);
    a flat curve that never rises gives no suggestion.

    ``raw_losses`` (the batches' own losses, as :class:`LRFinder` records them) give the noise; without them it
    is read from the smoothed curve, undoing the finder's average."""
    if not divisor >= 1:
        raise ConfigError(
            f"lr_find's divisor must be 1 or more (the suggestion sits below the minimum), got {divisor}"
        )
    kept = [i for i, loss in enumerate(losses) if math.isfinite(loss)]
    if len(kept) < 5:
        return SweepReading(None, None, None)
    lr_values = [lrs[i] for i in kept]
    loss_values = [losses[i] for i in kept]
    if raw_losses is not None and len(raw_losses) == len(losses):
        raw = [raw_losses[i] for i in kept]
    else:
        raw = _unsmoothed(loss_values)
    # The first tenth of the sweep is ignored for the minimum and the slopes: there the bias-corrected average
    # still moves with single batches, and one easy batch made a minimum at 1e-7 (a sweep "suggesting" 1e-8).
    start = len(loss_values) // 10
    lowest = min(range(start, len(loss_values)), key=loss_values.__getitem__)
    lr_at_min = lr_values[lowest]
    steepest = _steepest(lr_values, loss_values, start, lowest)
    fall = loss_values[start] - loss_values[lowest]
    needed = FALL_Z * _noise(raw[: lowest + 1]) * _difference_spread(start, lowest)
    # A sweep of fewer than MIN_POINTS is too coarse to judge against its noise: over 30 points the average still
    # carries the first batches at its lowest, and a fall a longer sweep shows read as flat.
    if fall > needed or len(loss_values) < MIN_POINTS:
        return SweepReading(max(lr_at_min / divisor, lr_values[start]), steepest, lr_at_min)
    # Flat: the lowest point is noise, wherever it fell. What the curve does show is where the loss rose clear of
    # its floor (twice the fall that would have stood out): the "minimum" is the highest rate before that at which
    # the loss still stood within noise of its floor, the edge a valley's minimum would be at (Smith's first
    # reading: a tenth of where the loss diverges). A curve that never rises says nothing at all.
    floor = loss_values[lowest]
    rise = next((j for j in range(lowest + 1, len(loss_values)) if loss_values[j] > floor + 2 * needed), None)
    if rise is None:
        return SweepReading(None, steepest, lr_at_min, True, loss_values[start], floor, needed)
    edge = max((j for j in range(lowest, rise) if loss_values[j] <= floor + needed), default=lowest)
    suggestion = max(lr_values[edge] / divisor, lr_values[start])
    return SweepReading(suggestion, steepest, lr_values[edge], True, loss_values[start], floor, needed)


def _unsmoothed(smoothed: list[float]) -> list[float]:
    """The batch losses behind a curve smoothed as :class:`LRFinder` smooths it (bias-corrected, factor
    :data:`SMOOTHING`)."""
    raw, previous = [], 0.0
    for step, value in enumerate(smoothed, 1):
        average = value * (1 - SMOOTHING**step)
        raw.append((average - SMOOTHING * previous) / (1 - SMOOTHING))
        previous = average
    return raw


def _noise(raw: list[float]) -> float:
    """The standard deviation of one batch's loss about the curve, from the median change between neighbours
    (a trend moves it little, a diverging batch or an easy one not at all)."""
    changes = sorted(abs(b - a) for a, b in itertools.pairwise(raw) if math.isfinite(a - b))
    if not changes:
        return 0.0
    middle = len(changes) // 2
    median = changes[middle] if len(changes) % 2 else (changes[middle - 1] + changes[middle]) / 2
    return median / (0.6745 * math.sqrt(2))


def _difference_spread(first: int, second: int) -> float:
    """The standard deviation, in batch-loss standard deviations, of the smoothed loss at point ``first`` less
    that at point ``second`` on a flat curve (the two averages share their early batches)."""

    def weights(last: int) -> list[float]:
        made = [SMOOTHING ** (last - j) for j in range(last + 1)]
        total = sum(made)
        return [w / total for w in made]

    a, b = weights(first), weights(second)
    a += [0.0] * (len(b) - len(a))
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)))


#: The steepest descent is a straight line fitted to this share of the sweep's points at a time: over a
#: twentieth (4 points of 89), the start-up wobble of a regression's loss fell fastest, at 6e-7, four decades
#: left of the real descent (the house-prices sweep of tour T48).
STEEPEST_SHARE = 8


def _steepest(lr_values: list[float], loss_values: list[float], start: int, lowest: int) -> float | None:
    """The learning rate in the middle of the window, between ``start`` and the minimum (``lowest``), whose
    least-squares line falls fastest per decade; ``None`` when there is no room for a window, or when even that
    fall is within the window's noise (less than three times the spread of the loss about the line): a
    marker on noise reads as a rate to pick."""
    window = max(3, len(lr_values) // STEEPEST_SHARE)
    if lowest - start + 1 < window:
        return None
    log_lrs = [math.log10(lr) for lr in lr_values]
    best: tuple[float, int, float] | None = None  # (slope, first point, spread about the line)
    for first in range(start, lowest - window + 2):
        xs, ys = log_lrs[first : first + window], loss_values[first : first + window]
        mean_x, mean_y = sum(xs) / window, sum(ys) / window
        spread_x = sum((x - mean_x) ** 2 for x in xs) or 1e-12
        slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread_x
        if best is None or slope < best[0]:
            residuals = [y - mean_y - slope * (x - mean_x) for x, y in zip(xs, ys, strict=True)]
            best = (slope, first, math.sqrt(sum(r * r for r in residuals) / window))
    assert best is not None
    slope, first, noise = best
    fall = -slope * (log_lrs[first + window - 1] - log_lrs[first])
    if not fall > 3 * noise:
        return None
    return lr_values[first + window // 2]


def suggestion_divisor(learn: Learner) -> float:
    """What the rate at the sweep's minimum is divided by for ``learn``'s model: its registry entry's
    ``lr_find_divisor``, else :data:`DIVISOR`.

    A tenth suits dense models, whose sweep bottoms out where a step overshoots the loss's curvature. A model
    whose rows learn only from the batches that touch them (a bag of n-grams' sparse embeddings under
    :class:`~trainwell.text.optim.LazyAdamW`) is no nearer diverging at the minimum: the loss is lowest there
    because the sweep's hundred short steps have only just moved each row far enough, and a fit of hundreds of
    steps at a tenth of it overshoots (the figures are at the bag's registry entry).
    """
    spec = getattr(learn, "model_spec", None)
    name = spec.get("name") if isinstance(spec, dict) else None
    if not isinstance(name, str):
        return DIVISOR
    from trainwell.models.registry import models

    # No lookup by name that loads every application's architectures: a model built by name (the only way a
    # spec names a registered one) has loaded its own module already.
    if name not in models.names():
        return DIVISOR
    metadata = models.entry(name).metadata
    return float(metadata.get("lr_find_divisor", DIVISOR))


#: The seconds a sweep may take: a number, or a function of the seconds a batch of the sweep took.
TimeLimit = float | Callable[[float], float]


class LRFinder(Callback):
    """Raise the LR exponentially each batch, record the smoothed loss, stop when it diverges.

    With ``time_limit`` (seconds), once a few batches are timed the sweep takes fewer, larger steps when its
    ``num_it`` batches would not fit in that time: it still ends at ``end_lr``, so the curve and the suggestion
    cover the same range. When not even :data:`MIN_POINTS` would fit, it stops there (``stopped_for_time``):
    a coarser curve misreads the rate. ``time_limit`` may be a function of the seconds a batch takes, read once
    they are timed (:func:`~trainwell.callbacks.budget.sweep_time`: what a budget's training leaves depends on
    the speed the sweep measures)."""

    order = -5

    def __init__(
        self,
        start_lr: float,
        end_lr: float,
        num_it: int,
        stop_div: bool = True,
        *,
        time_limit: TimeLimit | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.start_lr, self.end_lr, self.num_it, self.stop_div = start_lr, end_lr, num_it, stop_div
        self.time_limit, self._clock = time_limit, clock
        self.lrs: list[float] = []
        self.losses: list[float] = []
        self.raw_losses: list[float] = []
        self.stopped_for_time = False

    def before_fit(self, learn: Learner) -> None:
        assert learn.opt is not None
        peak = max(group["max_lr"] for group in learn.opt.param_groups)
        self._ratios = [group["max_lr"] / peak for group in learn.opt.param_groups]
        self._average = 0.0
        self._smoothing = SMOOTHING
        self._decay = 1.0  # the product of the smoothing factors so far, for the bias correction
        self._best = math.inf
        self._log_lr = math.log(self.start_lr)
        self._log_step = (math.log(self.end_lr) - self._log_lr) / max(1, self.num_it - 1)
        self._timed_from: float | None = None
        # Under torchrun every process sees its own rows' loss: the sweep reads their mean (and the slowest
        # process's timing), so that all stop on the same batch. A process stopping alone would leave the
        # others waiting in DDP's all-reduce for a batch it never runs (Gloo aborts on the mismatch).
        self._group = cpu_group()

    def _agreed(self, value: float, op: str) -> float:
        """``value`` combined over the processes of a distributed fit (``"mean"`` or ``"min"``); as it is in one
        process."""
        if self._group is False:
            return value
        import torch
        import torch.distributed as dist

        tensor = torch.tensor([value], dtype=torch.float64)
        dist.all_reduce(tensor, op=dist.ReduceOp.MIN if op == "min" else dist.ReduceOp.SUM, group=self._group)
        result = float(tensor.item())
        return result / dist.get_world_size(self._group) if op == "mean" else result

    def before_batch(self, learn: Learner) -> None:
        if not learn.training:
            return
        self._lr = math.exp(self._log_lr)
        assert learn.opt is not None
        for group, ratio in zip(learn.opt.param_groups, self._ratios, strict=True):
            group["lr"] = self._lr * ratio

    def after_batch(self, learn: Learner) -> None:
        if not learn.training or learn.loss.numel() == 0:  # a batch a callback cancelled before its loss
            return
        raw = self._agreed(float(learn.loss.detach()), "mean")
        self.lrs.append(self._lr)
        self.raw_losses.append(raw)
        self._log_lr += self._log_step
        if not math.isfinite(raw):
            self.losses.append(math.nan)
            raise CancelFit
        self._average = self._smoothing * self._average + (1 - self._smoothing) * raw
        self._decay *= self._smoothing
        smoothed = self._average / (1 - self._decay)  # bias-corrected
        self.losses.append(smoothed)  # the three lists stay as long as each other, whatever stops the sweep
        if self.time_limit is not None:
            self._fit_to_time()
        self._best = min(self._best, smoothed)
        if self.stop_div and smoothed > DIVERGENCE_FACTOR * self._best and len(self.lrs) > 5:
            raise CancelFit
        if len(self.lrs) >= self.num_it:
            raise CancelFit

    def _fit_to_time(self) -> None:
        """After the first batch and ``TIMED_POINTS`` more, cut ``num_it`` to what the time limit allows and
        lengthen the steps so that the sweep still ends at ``end_lr``."""
        done = len(self.lrs)
        if done == 1:
            self._timed_from = self._clock()
        elif done == 1 + TIMED_POINTS and self._timed_from is not None:
            per_batch = (self._clock() - self._timed_from) / TIMED_POINTS
            assert self.time_limit is not None
            limit = self.time_limit(per_batch) if callable(self.time_limit) else self.time_limit
            fits = int(limit / per_batch) if per_batch > 0 else self.num_it
            total = int(self._agreed(min(self.num_it, fits), "min"))
            if total < min(MIN_POINTS, self.num_it):
                self.stopped_for_time = True
                raise CancelFit
            if total < self.num_it:
                self.num_it = total
                # The next batch's rate is where the sweep stands: the rest reach end_lr in the points left.
                longer = (math.log(self.end_lr) - self._log_lr) / max(1, total - done - 1)
                # The average keeps spanning the same stretch of learning rates (not the same number of
                # batches), or the coarse curve's minimum would lag behind the fine one's.
                self._smoothing = SMOOTHING ** (longer / self._log_step)
                self._log_step = longer

    def before_validate(self, learn: Learner) -> None:
        raise CancelValidate


def lr_find(
    learn: Learner,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_it: int = 100,
    *,
    time_limit: TimeLimit | None = None,
) -> LRFindResult:
    """Run the sweep on ``learn`` and restore it afterwards. The learner's callbacks run in it, except those whose
    ``runs_in_lr_find`` is false (early stopping, best weights, checkpoints, CSV logs, the NaN guard), which would
    cut the sweep short or write it down as training. ``time_limit`` (seconds) lets a slow model's sweep
    take fewer, larger steps over the same range (see :class:`LRFinder`); a fit with a time budget gives it a
    tenth of the budget, or what its training leaves (:func:`~trainwell.callbacks.budget.sweep_time`)."""
    if not 0 < start_lr < end_lr:
        raise ConfigError(f"lr_find needs 0 < start_lr < end_lr, got start_lr={start_lr}, end_lr={end_lr}")
    if num_it < 5:
        raise ConfigError(f"lr_find needs num_it >= 5 to draw a curve, got {num_it}")
    n_batches = len(learn.data.train)  # type: ignore[arg-type]
    n_epochs = max(1, math.ceil(num_it / max(1, n_batches)))
    # Read before the sweep, whose own epochs and rates are dropped from the history after it.
    trained = len(learn.recorder.history)
    trained_at = max(learn.recorder.lrs, default=None)
    saved_model = copy.deepcopy(learn.model.state_dict())
    saved_opt, saved_rng = learn.opt, get_rng_states()
    saved_made = learn._opt_made  # what the learner's optimizer was built with, not the sweep's
    recorder = learn.recorder
    saved_history = (
        list(recorder.history),
        list(recorder.lrs),
        list(recorder.losses),
        list(recorder.epoch_ends),
        recorder.fit_count,
    )
    if time_limit is not None and not callable(time_limit) and not time_limit > 0:
        raise ConfigError(f"lr_find needs a time_limit above 0 seconds, got {time_limit}")
    finder = LRFinder(start_lr, end_lr, num_it, time_limit=time_limit)
    learn.opt = None
    quiet = [cb for cb in learn.callbacks if isinstance(cb, ProgressBar) and cb.print_epochs]
    for callback in quiet:
        callback.print_epochs = False  # the sweep's epochs are not training epochs worth a table row
    # The sweep drives the loss to divergence on purpose and stops itself there: no NaN guard meanwhile, and
    # nothing that judges or saves a fit (an early stop would cut the sweep short and misplace the suggestion;
    # a logger or a checkpoint would write the sweep's epochs as training).
    saved_callbacks = list(learn.callbacks)
    learn.callbacks = [cb for cb in saved_callbacks if cb.runs_in_lr_find]
    try:
        learn.set_lrs(end_lr)
        learn._fit(n_epochs, [finder], None)
    finally:
        learn.model.load_state_dict(saved_model)
        learn.opt, learn._opt_made = saved_opt, saved_made
        for callback in quiet:
            callback.print_epochs = True
        learn.callbacks = saved_callbacks
        set_rng_states(saved_rng)
        recorder.history, recorder.lrs, recorder.losses, recorder.epoch_ends, recorder.fit_count = (
            saved_history
        )
        if learn.opt is not None:
            learn.opt.zero_grad(set_to_none=True)
    if finder.stopped_for_time:
        result = LRFindResult(finder.lrs, finder.losses, finder.raw_losses, stopped_for_time=True)
    else:
        divisor = suggestion_divisor(learn)
        reading = read_sweep(finder.lrs, finder.losses, divisor, finder.raw_losses)
        result = LRFindResult(
            finder.lrs,
            finder.losses,
            finder.raw_losses,
            reading.suggestion,
            reading.steepest,
            reading.minimum,
            divisor=divisor,
            flat=reading.flat,
        )
        if reading.flat and is_rank_zero():
            warn_flat(learn, reading, finder.lrs)
    if trained:
        warn_if_trained(learn, trained, trained_at, result.suggestion)
    # What the sweep was of, for the warning when a default-named plot replaces another's: a sweep run again on
    # the same model replaces its lr_find.png in silence. An attribute, not a field: checkpoints keep the fields.
    result.plot_owner = learn.model  # type: ignore[attr-defined]
    return result


class FlatSweep(UserWarning):
    """``lr_find``'s loss never fell clear of its batch-to-batch noise: its lowest point is noise, and the
    suggestion, if any, is read from where the loss rose (:func:`read_sweep`)."""


def warn_flat(learn: Learner, reading: SweepReading, lrs: list[float]) -> None:
    """Say in one line (:class:`FlatSweep`) that the sweep's curve is flat, with its figures, what its
    suggestion is then read from (or that there is none), and which rate to compare it with."""
    own = getattr(learn, "lr", None)
    rate = f"the model's default rate ({own:.0e})" if isinstance(own, float) else "the model's default rate"
    if reading.suggestion is None:
        read = (
            f"no rate is suggested (suggestion None); train at {rate} or compare a few rates on held-out rows"
        )
    else:
        share = {10.0: "a tenth", 100.0: "a hundredth"}.get(suggestion_divisor(learn), "a share")
        read = (
            f"the suggestion, {reading.suggestion:.1e}, is {share} of {reading.minimum:.2g}, the highest rate "
            f"before the loss rose, not of a valley's minimum; compare it with {rate} on held-out rows"
        )
    from trainwell.core.warn import warn

    warn(  # at the first caller outside trainwell: Learner.lr_find's, or a pipeline's that swept for itself
        f"lr_find's loss did not fall clear of its batch-to-batch noise from {lrs[0]:.2g} to {lrs[-1]:.2g} "
        f"({reading.start_loss:.4f} at the start, lowest {reading.lowest_loss:.4f}, where a fall of "
        f"{reading.needed_fall:.4f} would stand out): {read}",
        FlatSweep,
    )


def warn_if_trained(learn: Learner, epochs: int, trained_at: float | None, suggestion: float | None) -> None:
    """Say once per learner (in one line, :class:`SweptTrainedModel`) that its sweep ran after ``epochs`` epochs
    of training. Sweeping a trained model is right for choosing the rate of more training (after a frozen
    phase, the unfrozen one's), but its suggestion taken for a first fit's misleads: a tour's sweep after a fit
    suggested 1.26e-06 in silence, a rate that would train a fresh model next to nothing."""
    if learn in _TOLD or not is_rank_zero():
        return
    _TOLD.add(learn)
    read = f"its suggestion ({suggestion:.2e}) is a rate" if suggestion else "its curve shows the rates"
    start = f"the highest rate used so far ({trained_at:.1e})" if trained_at else "the rate it trained at"
    warnings.warn(
        f"lr_find ran on a model trained for {epochs} epoch{'s' if epochs != 1 else ''} already: {read} for "
        "training these weights further, not for a first fit (run lr_find before fit for that); to train on, "
        f"start near a tenth of {start}",
        SweptTrainedModel,
        stacklevel=4,  # the caller of Learner.lr_find
    )


__all__ = [
    "FlatSweep",
    "LRFindResult",
    "LRFinder",
    "SweepReading",
    "SweptTrainedModel",
    "lr_find",
    "read_sweep",
    "suggest",
    "suggestion_divisor",
    "warn_if_trained",
]
