"""The files of a finished run: the model directory with its history CSV and curve PNGs.

Shared by every application's one-call pipeline (``fit_table``, ``fit_images``...), so that all model
directories look the same and are written the same careful way.
"""

from __future__ import annotations

import io
import numbers
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING, Any

from trainwell.core.artifact import METADATA_FILE, holds_only_a_fit_checkpoint
from trainwell.core.errors import ConfigError
from trainwell.core.numbers import amount
from trainwell.learner._export import kept_epoch
from trainwell.learner.plots import plot_history

if TYPE_CHECKING:
    from trainwell.callbacks.budget import TimeBudget
    from trainwell.data.bundle import DataBundle
    from trainwell.learner.label_thresholds import ThresholdSummary
    from trainwell.learner.learner import Learner
    from trainwell.learner.lr_find import LRFindResult


@dataclass
class FitRun:
    """What a one-call pipeline produced: the trained learner, its data, the peak learning rate used, the
    model directory written (``None`` without ``out``), for multi-label targets how the per-label decision
    thresholds were chosen, and the time budget the fit kept to (``time_budget=``)."""

    learn: Learner
    data: DataBundle
    lr: float
    model_dir: Path | None
    thresholds: ThresholdSummary | None = None
    budget: TimeBudget | None = None

    @property
    def metrics(self) -> dict[str, Any]:
        """The history row of the model's weights: the last epoch's, or the one a callback such as SaveBest
        loaded back (:attr:`Learner.final_row`); a model fitted in closed form without the columns it has no
        value for (:func:`meaningful_row`)."""
        return meaningful_row(self.learn.final_row, self.learn.model)


#: The history's columns that a model fitted in closed form (boosted trees, EASE), taking no gradient steps,
#: has no value for: NaN in its history row, which keeps them so that every run's history.csv has the same
#: columns.
CLOSED_FORM_BLANKS = ("train_loss", "lr")


def meaningful_row(row: dict[str, Any], model: Any) -> dict[str, Any]:
    """``row`` as a user reads it (``run.metrics``, ``run.compared``): for a model fitted in closed form, without
    :data:`CLOSED_FORM_BLANKS` when they are empty (a boosted-trees run read ``'train_loss': nan``, ``'lr': nan``);
    any other row, and a NaN loss of a model trained by steps (a fit that diverged), as it is."""
    if not getattr(model, "closed_form", False):
        return dict(row)
    return {
        name: value
        for name, value in row.items()
        if not (
            name in CLOSED_FORM_BLANKS and (value is None or (isinstance(value, float) and value != value))
        )
    }


def check_fit_settings(epochs: int | None, lr: float | None, out: str | Path | None) -> None:
    """Refuse a pipeline's settings before any data is read: epochs, learning rate, model directory."""
    if epochs is not None and (
        isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 1
    ):
        raise ConfigError(f"epochs (--epochs) must be a whole number of at least 1, got {epochs!r}")
    if lr is not None and (isinstance(lr, bool) or not isinstance(lr, numbers.Real)):
        raise ConfigError(
            f"lr (--lr) must be one number, got {lr!r}; the pipeline sets each layer group's rate from it (for "
            "rates of your own per group, build the learner and call fit_one_cycle(epochs, slice(low, high)))"
        )
    if lr is not None and not 0 < lr < 10:
        raise ConfigError(f"lr (--lr) must be above 0 and below 10, got {lr}; pass e.g. --lr 0.003")
    if out is not None:
        check_out_dir(Path(out))


def check_out_dir(model_dir: Path) -> None:
    """Refuse a model directory that could not be written, before any training time is spent.

    The rule is the artifact writer's: ``model_dir`` may be missing, an empty directory or an existing model
    directory (which is replaced); nothing on the way to it may be a file.
    """
    absolute = Path(os.path.abspath(model_dir))
    blocking = next((parent for parent in absolute.parents if parent.exists() and not parent.is_dir()), None)
    if blocking is not None:
        raise ConfigError(
            f"--out '{model_dir}' cannot be created: '{blocking}' is a file; choose another --out"
        )
    # The directory is written beside its place and renamed into it: its parent (or the nearest folder above
    # that exists) must take new entries. A read-only mount or folder is named before any training.
    existing = next(path for path in absolute.parents if path.exists())
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(
            f"--out '{model_dir}' cannot be written: '{existing}' is read-only for this process; choose another "
            "--out"
        )
    if not absolute.exists():
        return
    if absolute.is_dir() and not os.access(absolute, os.W_OK | os.X_OK):
        # The fit's checkpoints go inside it, and its files are replaced: a read-only directory (or mount) failed
        # only as the model was saved, the training time lost.
        raise ConfigError(
            f"--out '{model_dir}' cannot be written: it is read-only for this process; choose another --out"
        )
    is_model = absolute.is_dir() and (absolute / METADATA_FILE).is_file()
    is_empty = absolute.is_dir() and not any(absolute.iterdir())
    if not (is_model or is_empty or holds_only_a_fit_checkpoint(absolute)):
        raise ConfigError(
            f"--out '{model_dir}' exists and is not a trainwell model directory; choose another --out or delete it"
        )


def score_test_set(learn: Learner) -> dict[str, float] | None:
    """Score the data's test set (a folder's test/ beside train/, or ``test=``) once, after training and any
    thresholds: ``learn.test_scores``, which the model directory keeps (``trainwell info`` shows them)."""
    test = getattr(getattr(learn, "data", None), "test", None)
    if test is not None:
        started = monotonic()
        scores = learn.validate(test)
        if learn.task.label_thresholds:
            # Scored at each label's chosen threshold, as the model decides: named as the last history row names
            # those figures (f1_tuned), not as its f1, which is at 0.5 (a test f1 of 0.45 beside a final f1 of
            # 0.24 read as a model far better on its test rows than on its validation rows).
            from trainwell.learner.label_thresholds import THRESHOLD_METRICS, TUNED_SUFFIX

            scores = {
                f"{name}{TUNED_SUFFIX}" if name in THRESHOLD_METRICS else name: v
                for name, v in scores.items()
            }
        learn.test_scores = scores
        count_after_training(learn, "test", started)
    return getattr(learn, "test_scores", None)


def count_after_training(learn: Learner, what: str, started: float) -> None:
    """Add the seconds since ``started`` (:func:`time.monotonic`) to what the fit's time budget saw come after
    its training (``TimeBudget.after``): a command's budget bounds the training, and says where the rest of its
    time went (``fit --time 60s`` took 1m 34s, 31 s of it scoring 10,000 test images)."""
    budget: Any = getattr(learn, "time_budget", None)
    after = getattr(budget, "after", None)
    if isinstance(after, dict):
        now = monotonic()
        after[what] = after.get(what, 0.0) + now - started
        budget.after_ended = now


def write_run(
    learn: Learner, model_dir: Path, finder: LRFindResult | None, extra_files: dict[str, bytes] | None = None
) -> Path:
    """Export the artifact with the history CSV and the curve PNGs inside it (one atomic write; no
    ``curves.png`` when no training batch ran), plus ``extra_files`` (name -> content), e.g. a search's record."""
    started = monotonic()
    extra = run_files(learn, finder)
    written = learn.export(model_dir, extra_files={**extra, **(extra_files or {})})
    count_after_training(learn, "write", started)
    return written


def run_files(learn: Learner, finder: LRFindResult | None, prefix: str = "") -> dict[str, bytes]:
    """A fit's ``history.csv``, ``curves.png`` (no training batch ran: none) and ``lr_find.png`` (when its sweep
    ran whole) by name, each name after ``prefix``: what :func:`write_run` puts beside the artifact, and what
    ``fit_table`` keeps of the MLP that boosted trees beat (``mlp_curves.png``)."""
    # Plots are drawn in a private scratch folder: two runs writing beside each other never share it.
    with tempfile.TemporaryDirectory(prefix="trainwell-plots-") as scratch:
        staging = Path(scratch)
        extra = {f"{prefix}history.csv": history_csv(learn.history).encode()}
        # A model fitted in closed form (EASE) ran no training batch: its curves would be one validation dot
        # on an empty batch axis and an empty learning-rate panel, so it gets none.
        if learn.recorder.losses:
            curves = plot_history(
                learn.history,
                learn.recorder.lrs,
                learn.recorder.losses,
                staging / "curves.png",
                epoch_ends=learn.recorder.epoch_ends,
                group_lrs=learn.recorder.aligned_group_lrs(),  # one line a layer group when their rates differ
                kept_epoch=kept_epoch(learn),  # a best epoch loaded back: marked, as the fit said it
            )
            extra[f"{prefix}curves.png"] = curves.read_bytes()
        if finder is not None and not finder.stopped_for_time:  # a sweep stopped for time plots a stub of it
            # The fit's peak rate (the suggestion kept within bounds) is marked: the plot says what was used.
            groups = learn.opt.param_groups if learn.opt is not None else []
            peak = float(groups[-1]["max_lr"]) if groups and "max_lr" in groups[-1] else None
            extra[f"{prefix}lr_find.png"] = finder.plot(staging / "lr_find.png", trained_at=peak).read_bytes()
    return extra


def history_csv(history: Sequence[dict[str, Any]]) -> str:
    """The history as ``history.csv``: one row per epoch, epochs counted from 1 over every fit, as the screen
    and ``curves.png`` count them (an older history's rows, counted from 0 within each fit, renumbered)."""
    import pandas as pd

    buffer = io.StringIO()
    pd.DataFrame(epochs_from_one(history)).to_csv(buffer, index=False)
    return buffer.getvalue()


#: The validation loss this much above its lowest (5%) over each of the last :data:`OVERFIT_EPOCHS` epochs is
#: a rise worth a sentence: a text classifier's 0.517 -> 0.554 over 15 epochs (7%) while its training loss fell
#: fourfold is the curve every textbook shows for overfitting, and was missed at the 25% once required.
OVERFIT_RISE = 0.05
#: The rise must hold this many epochs at the end (and the lowest lie at least as far back): one high epoch is
#: noise, as a small validation set's loss jumps by several percent from epoch to epoch.
OVERFIT_EPOCHS = 3
#: The training loss at the end at most this share of its value at the lowest validation loss: it must have
#: fallen clearly (by 30%) for the gap to be the model learning its training rows, not drift.
OVERFIT_TRAIN_FALL = 0.7


def overfitting_note(history: Sequence[dict[str, Any]]) -> str | None:
    """One sentence when the validation loss rose above its lowest and stayed there (:data:`OVERFIT_RISE`
    over each of the last :data:`OVERFIT_EPOCHS` epochs) while the training loss fell clearly
    (:data:`OVERFIT_TRAIN_FALL`): the model learned its training rows past what carries over. ``None``
    otherwise (and without validation). Said by every ``fit`` of the command line and under a report's
    training curves, from the same history."""
    rows = [row for row in epochs_from_one(history) if _finite(row.get("valid_loss"))]
    if len(rows) < OVERFIT_EPOCHS + 1:
        return None
    best = min(rows, key=lambda row: row["valid_loss"])
    last = rows[-1]
    low, end = float(best["valid_loss"]), float(last["valid_loss"])
    if low <= 0 or last["epoch"] - best["epoch"] < OVERFIT_EPOCHS:
        return None
    if any(float(row["valid_loss"]) < (1 + OVERFIT_RISE) * low for row in rows[-OVERFIT_EPOCHS:]):
        return None  # not above it for long enough: noise, or a rise that came back down
    train_then, train_end = best.get("train_loss"), last.get("train_loss")
    if not (_finite(train_then) and _finite(train_end)):
        return None
    then, now = float(train_then), float(train_end)  # type: ignore[arg-type]
    if now > OVERFIT_TRAIN_FALL * then:
        return None  # the training loss did not fall clearly: drift, or a training problem (too high a rate)
    # a price's squared error as the tables write it: 1.955e9, not 1.955e+09
    rose = f"{amount(low, like=end)} at epoch {best['epoch']} to {amount(end, like=low)}"
    fell = f"{amount(then, like=now)} to {amount(now, like=then)}"
    return (
        f"the validation loss rose from {rose} at epoch {last['epoch']} "
        f"({end / low - 1:.0%} up) while the training loss fell from {fell}: the model overfits "
        f"its training rows; train fewer epochs (--epochs {best['epoch']}), stop early with the best epoch kept "
        "(--patience 2), or gather more rows"
    )


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and value == value and abs(value) != float("inf")


def epochs_from_one(history: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The history's rows with ``epoch`` counted from 1 over every fit (one row per epoch, in order), as the
    screen, ``curves.png``, ``history.csv`` and the report show it: the rows as the Recorder writes them, and
    those of an older ``trainwell.json``, whose rows counted from 0 within each fit, renumbered."""
    return [
        {**row, "epoch": number} if "epoch" in row else row for number, row in enumerate(history, start=1)
    ]
