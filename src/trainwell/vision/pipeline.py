"""The whole image job in one call: data, learner, one-cycle training (or fine-tuning), model directory.

``trainwell fit photos/`` is a thin layer over :func:`fit_images`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from trainwell.callbacks.budget import TimeBudget, start_budget
from trainwell.core.errors import ConfigError
from trainwell.core.seeding import seed_everything
from trainwell.data.bundle import DataBundle
from trainwell.distributed import maybe_distribute
from trainwell.learner.decision_threshold import check_decision_threshold, decision_threshold_setting
from trainwell.learner.events import Callback
from trainwell.learner.kept_predictions import (
    KeepValidationPredictions,
    keep_capped_validation,
    say_capped_scoring,
)
from trainwell.learner.label_thresholds import choose_label_thresholds
from trainwell.learner.run_files import FitRun, check_fit_settings, score_test_set, write_run
from trainwell.metrics.function import MetricLike
from trainwell.vision.data import image_data
from trainwell.vision.learner import vision_learner

#: Optimizer steps the default schedule aims for, and the bounds on epochs it may choose.
TARGET_STEPS, MIN_EPOCHS, MAX_EPOCHS = 4000, 5, 40


class ImageRun(FitRun):
    """What :func:`fit_images` produced."""


def default_epochs(n_batches: int) -> int:
    """About 4,000 optimizer steps, between 5 and 40 epochs (MNIST at batch 128: 9 epochs)."""
    return int(min(MAX_EPOCHS, max(MIN_EPOCHS, math.ceil(TARGET_STEPS / max(n_batches, 1)))))


def fit_images(
    source: Any,
    labels: Any = None,
    *,
    out: str | Path | None = None,
    arch: str = "auto",
    epochs: int | None = None,
    lr: float | None = None,
    pretrained: str | Path | None = None,
    freeze_epochs: int = 1,
    metrics: Sequence[MetricLike] | None = None,
    seed: int = 0,
    progress: bool = True,
    recipe: str | None = None,
    learner_kwargs: dict[str, Any] | None = None,
    tune_thresholds: bool = True,
    decision_threshold: str | float | None = None,
    time_budget: float | str | TimeBudget | None = None,
    callbacks: Sequence[Callback] = (),
    resume_from: str | Path | None = None,
    **data_kwargs: Any,
) -> ImageRun:
    """Train an image model (a classifier, or a regression of a number) the recommended way and write it to
    ``out`` (when given).

    From scratch: one-cycle training at ``lr``. With ``pretrained`` weights: :meth:`Learner.fine_tune` (head
    first with the body frozen, then everything with discriminative learning rates).
    ``recipe="speedrun"`` trains small photos the way the CIFAR-10 speed records do
    (:mod:`trainwell.vision.speedrun`: whitened CNN, Nesterov SGD at batch 1024, label smoothing 0.2, flips and
    2-pixel shifts, 10 epochs); settings passed explicitly still win.
    ``labels`` (one per image) go with an array ``source``, as for :func:`image_data`; ``data_kwargs`` go to
    it too (``valid``, ``size``, ``batch_size``...).
    Multi-label targets get a decision threshold per label chosen on the validation rows
    (``tune_thresholds=False``: 0.5 for every label); binary ones decide at 0.5 unless ``decision_threshold`` is a
    metric to choose it for on the validation rows (``"f1"``...) or the threshold itself, as for
    :func:`~trainwell.tabular.fit_table`. A test set (``test=``, or a ``test/`` folder beside
    ``train/``) is scored once, after training and the thresholds: ``run.learn.test_scores``, kept in the model
    directory (``trainwell info`` shows it). With ``time_budget`` (seconds, or ``"10m"``...:
    :class:`~trainwell.callbacks.TimeBudget`), training ends within that time of the call (writing ``out`` and
    scoring a test set come after, in seconds), the epochs cut and
    the schedule fitted to what fits. ``metrics`` (names, functions ``fn(preds, targets) -> float`` or Metric
    objects, as for :class:`~trainwell.learner.Learner`): ``None`` reports the task's defaults, ``[]`` none.
    ``callbacks`` run in the training fits only, e.g. a :class:`~trainwell.callbacks.Checkpoint`;
    ``resume_from`` names a checkpoint one wrote in the same call, which training continues from exactly (in
    fine-tuning, at the phase it was written in).
    """
    check_fit_settings(epochs, lr, out)
    decision = decision_threshold_setting(decision_threshold)
    budget = start_budget(time_budget)
    data, learner, n_epochs, schedule = image_learner(
        source,
        labels,
        arch=arch,
        epochs=epochs,
        pretrained=pretrained,
        metrics=metrics,
        seed=seed,
        progress=progress,
        recipe=recipe,
        learner_kwargs=learner_kwargs,
        **data_kwargs,
    )
    check_decision_threshold(decision, data.task, has_validation=data.valid is not None)
    _warn_reading_share(budget, getattr(data, "read_seconds", None))
    asked = "pretrained" if pretrained is not None else "speedrun" if recipe == "speedrun" else arch
    _say_choices(
        learner, learner.data, asked, data_kwargs, progress
    )  # a fine-tune's statistics: the learner's
    if pretrained is not None:
        _say_pretrained(learner, freeze_epochs, progress)
    learn = maybe_distribute(learner)
    lr = lr or learn.lr
    # The last validation pass's predictions, kept: the results' table after the fit reads them instead of
    # scoring the validation images again (15 s of a 30 s `fit --time` on MNIST's 12,000, on a CPU).
    # Under time_budget, a validation pass the budget cut to its first batches is kept too (its rows, not all).
    capped = keep_capped_validation(time_budget, budget, callbacks)
    fit_callbacks = [
        *([budget] if budget else []),
        KeepValidationPredictions(),
        *([capped] if capped else []),
        *callbacks,
    ]
    if pretrained is not None:
        learn.fine_tune(
            n_epochs, lr, freeze_epochs=freeze_epochs, callbacks=fit_callbacks, resume_from=resume_from
        )
    else:
        learn.fit_one_cycle(n_epochs, lr, **schedule, callbacks=fit_callbacks, resume_from=resume_from)
    say_capped_scoring(capped, "images")
    thresholds = choose_label_thresholds(
        learn, seed=seed, progress=progress, tune=tune_thresholds, decision=decision
    )
    score_test_set(learn)  # a test/ folder beside train/ (or test=)
    model_dir = write_run(learn, Path(out), None) if out is not None else None
    return ImageRun(learn, data, lr, model_dir, thresholds=thresholds, budget=budget)


#: Share of a time budget the reading of the files may take before a warning says so, at once.
READING_SHARE = 0.5


def _warn_reading_share(budget: TimeBudget | None, read_seconds: float | None) -> None:
    """Warn, before training, when decoding the image files took more than :data:`READING_SHARE` of the time
    budget, which counts from the start: ``fit cifar10 --time 90s`` read 60,000 JPEGs for 79 s and trained 9
    batches in the rest, and only the scores' 'trained less than one epoch' said why, at the end."""
    if budget is None or read_seconds is None or read_seconds <= READING_SHARE * budget.seconds:
        return
    if (
        budget.remaining <= 0
    ):  # the fit refuses to start with an error of its own (BudgetSpent), which says it
        return
    from trainwell.callbacks.budget import format_duration
    from trainwell.core.warn import warn

    warn(
        f"reading the images took {format_duration(read_seconds)} of the {format_duration(budget.seconds)} time "
        f"budget, which counts from the start: {format_duration(budget.remaining)} are left to train (and to "
        "validate); give more time to train longer, or fewer or smaller images to read"
    )


def image_learner(
    source: Any,
    labels: Any = None,
    *,
    arch: str = "auto",
    epochs: int | None = None,
    pretrained: str | Path | None = None,
    metrics: Sequence[MetricLike] | None = None,
    seed: int = 0,
    progress: bool = True,
    recipe: str | None = None,
    learner_kwargs: dict[str, Any] | None = None,
    **data_kwargs: Any,
) -> tuple[DataBundle, Any, int, dict[str, Any]]:
    """The data, Learner, epochs and one-cycle settings :func:`fit_images` trains with, untrained.

    ``trainwell lr-find`` sweeps this Learner, so its suggestion is for the model, batch size and recipe
    ``fit`` would train with the same settings. Arguments as for :func:`fit_images`.
    """
    if recipe not in (None, "speedrun"):
        raise ConfigError(f"unknown recipe {recipe!r}; the named recipe is 'speedrun' (or leave it unset)")
    _check_data_kwargs(data_kwargs)
    seed_everything(seed)
    learner_kwargs = dict(learner_kwargs or {})
    schedule: dict[str, Any] = {}
    batch_chosen = data_kwargs.get("batch_size") not in (None, "auto")
    lr_chosen = "lr" in learner_kwargs
    if recipe == "speedrun":
        arch, epochs, schedule = _speedrun_settings(arch, epochs, data_kwargs, learner_kwargs)
    data = image_data(source, labels, seed=seed, progress=progress, **data_kwargs)
    if recipe == "speedrun" and not batch_chosen:
        _fit_batch_to_data(data, learner_kwargs, scale_lr=not lr_chosen)
    learn = vision_learner(
        data, arch, pretrained=pretrained, metrics=metrics, progress=progress, **learner_kwargs
    )
    n_epochs = epochs or default_epochs(len(data.train))  # type: ignore[arg-type]
    return data, learn, n_epochs, schedule


def _say_pretrained(learn: Any, freeze_epochs: int, progress: bool) -> None:
    """Complete the learner's ``pretrained`` record with how fine-tuning trains the body, and say it in one line
    before training (on standard error, with the progress display): what came from the parent, what is new."""
    from trainwell.core.lineage import fine_tuned_from, frozen_words

    record = getattr(learn, "pretrained_record", None)
    if record is None:
        return
    record["training"] = frozen_words(freeze_epochs)
    record["freeze_epochs"] = int(freeze_epochs)
    from trainwell.core.device import is_rank_zero

    if progress and is_rank_zero():
        from rich.console import Console

        Console(stderr=True).print(
            f"fine-tuning from {fine_tuned_from(record)}", markup=False, highlight=False, soft_wrap=True
        )


def _say_choices(
    learn: Any, data: DataBundle, asked: str, data_kwargs: dict[str, Any], progress: bool
) -> None:
    """Say in one line before training what was chosen for these images (on standard error, with the progress
    display): the architecture, the size and why, the augmentation and where the normalisation came from."""
    from trainwell.core.device import is_rank_zero
    from trainwell.vision._choices import (
        choices_line,
        describe_augmentation,
        describe_normalisation,
        describe_size,
    )

    if not progress or not is_rank_zero():
        return
    recipe: Any = data.recipe
    extra = getattr(recipe, "extra", {}) or {}
    config = (getattr(learn, "model_spec", None) or {}).get("config") or {}
    size = describe_size(
        recipe.size,
        given=data_kwargs.get("size") is not None,
        from_files=getattr(data, "paths", None) is not None,
        like=data_kwargs.get("like") is not None,
    )
    augmentation = describe_augmentation(extra.get("augmentation"), extra.get("augmentation_preset"))
    line = choices_line(
        str(config.get("arch", asked)), asked, size, augmentation, describe_normalisation(extra)
    )
    from rich.console import Console

    from trainwell.vision._counts import counts_line

    console = Console(stderr=True)
    console.print(line, markup=False, highlight=False, soft_wrap=True)
    found = counts_line(getattr(data.train, "images_found", None), data.task.classes, data.task.kind)
    if found is not None:  # how many images each split holds, of each class: the user's own sum before
        console.print(f"images found: {found}", markup=False, highlight=False, soft_wrap=True)


def _check_data_kwargs(data_kwargs: dict[str, Any]) -> None:
    """Refuse a keyword of :func:`fit_images` that :func:`image_data` does not take, before any image is read,
    naming where it belongs when it is one of :func:`vision_learner`'s (``compile=True`` goes in
    ``learner_kwargs``)."""
    import inspect

    taken = set(inspect.signature(image_data).parameters)
    learner = set(inspect.signature(vision_learner).parameters)
    for name in data_kwargs:
        if name in taken:
            continue
        if name in learner:
            raise ConfigError(
                f"fit_images got {name}=, a setting of vision_learner: pass learner_kwargs={{{name!r}: ...}}"
            )
        raise ConfigError(
            f"fit_images got an unknown keyword {name}=; it takes image_data's settings (size, batch_size, "
            "augmentation...) and learner_kwargs= for vision_learner's"
        )


def _speedrun_settings(
    arch: str, epochs: int | None, data_kwargs: dict[str, Any], learner_kwargs: dict[str, Any]
) -> tuple[str, int, dict[str, Any]]:
    """Fill in the speedrun recipe (:data:`~trainwell.vision.speedrun.SPEEDRUN`) where the caller left a gap."""
    import functools

    import torch

    from trainwell.callbacks.average import WeightAverage
    from trainwell.vision.augment import Augmentation
    from trainwell.vision.speedrun import SPEEDRUN

    unset = (None, "auto")
    if data_kwargs.get("batch_size") in unset:
        data_kwargs["batch_size"] = SPEEDRUN["batch_size"]
    if data_kwargs.get("augmentation", "auto") in unset:
        data_kwargs["augmentation"] = Augmentation(flip="alternate", pixel_shift=SPEEDRUN["translate_pixels"])
    sgd = functools.partial(torch.optim.SGD, momentum=SPEEDRUN["momentum"], nesterov=True)
    learner_kwargs.setdefault("opt", sgd)
    for key in ("lr", "wd", "label_smoothing"):
        learner_kwargs.setdefault(key, SPEEDRUN[key])
    if not any(isinstance(callback, WeightAverage) for callback in learner_kwargs.get("callbacks", ())):
        lookahead = WeightAverage(
            "ema", SPEEDRUN["lookahead_decay"], every=SPEEDRUN["lookahead_every"], warmup="cubic", reset=True
        )
        learner_kwargs["callbacks"] = [*learner_kwargs.get("callbacks", ()), lookahead]
    schedule = {
        "pct_start": SPEEDRUN["pct_start"],
        "div": SPEEDRUN["div"],
        "div_final": SPEEDRUN["div_final"],
        "moms": (SPEEDRUN["momentum"], SPEEDRUN["momentum"]),
    }
    return (SPEEDRUN["arch"] if arch == "auto" else arch), epochs or SPEEDRUN["epochs"], schedule


def _fit_batch_to_data(data: DataBundle, learner_kwargs: dict[str, Any], *, scale_lr: bool) -> None:
    """Shrink the recipe's batch on a small training set, with the learning rate scaled to match.

    At batch 1024 a set of 1,200 images gets one step an epoch; the batch comes down (by powers of two) until an
    epoch has at least :data:`~trainwell.vision.speedrun.MIN_STEPS_PER_EPOCH` steps, and the peak learning rate
    follows it linearly (weight decay per epoch stays as it was). A batch or learning rate the caller chose is
    kept.
    """
    from trainwell.vision.speedrun import SPEEDRUN, speedrun_batch_size

    train = data.train
    if not hasattr(train, "batch_size"):
        return
    batch = speedrun_batch_size(train.n_rows)  # type: ignore[attr-defined]
    if batch >= train.batch_size:  # type: ignore[attr-defined]
        return
    train.batch_size = batch  # type: ignore[attr-defined]
    train.drop_last = train.n_rows > batch  # type: ignore[attr-defined]  # no tiny last batch for batch norm
    if data.valid is not None and hasattr(data.valid, "batch_size"):
        data.valid.batch_size = 2 * batch  # type: ignore[attr-defined]
    if scale_lr:
        learner_kwargs["lr"] = SPEEDRUN["lr"] * batch / SPEEDRUN["batch_size"]
