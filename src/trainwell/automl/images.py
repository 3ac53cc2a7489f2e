"""Hyper-parameter search for image models: the learning rate, weight decay, epochs and label smoothing (of a
single-label classifier) of the network ``trainwell fit`` trains.

The same study as for tables, texts, recommenders and taggers (:func:`~trainwell.automl.search.run_search`):
trial 0 is what ``trainwell fit photos/`` does, every trial trains on the same decoded images (decoded once) with
the same seed and augmentation and is scored on the same validation images. Binary and multi-label targets
optimise ``roc_auc``, several classes ``accuracy``, a regression ``rmse``. The architecture is one for the whole study (``arch``, as
fit's ``--arch``), since networks of different sizes make trials of very different lengths; ``search=`` narrows
the other settings. A trial is a whole training run: on a CPU, images of more than a few thousand make a trial
take minutes, so give a ``timeout``.
"""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path
from typing import Any

from trainwell.automl.search import (
    SEARCH_METRIC,
    Range,
    Space,
    TuneResult,
    one_time_setting,
    run_search,
    search_metric,
    start_search,
)
from trainwell.automl.space import one_cycle_trial
from trainwell.core.errors import ConfigError
from trainwell.data.bundle import DataBundle
from trainwell.distributed.spread import each_process_alone
from trainwell.learner.learner import Learner
from trainwell.vision.data import image_data
from trainwell.vision.learner import vision_learner
from trainwell.vision.pipeline import ImageRun, default_epochs

__all__ = ["IMAGE_RANGES", "tune_images"]

_LEARNER_DEFAULTS = inspect.signature(vision_learner).parameters
#: vision_learner's defaults: what ``trainwell fit`` trains with.
DEFAULT_LR, DEFAULT_WD, DEFAULT_LABEL_SMOOTHING = (
    float(_LEARNER_DEFAULTS[name].default) for name in ("lr", "wd", "label_smoothing")
)

#: What an image model search tries (``search=`` narrows them; multi-label and regression targets leave label
#: smoothing out).
IMAGE_RANGES = {
    "lr": Range(3e-4, 3e-2, log=True),
    "wd": Range(1e-3, 0.3, log=True),
    "epochs": Range(3, 40, whole=True),
    "label_smoothing": Range(0.0, 0.3),
}

#: The tasks whose loss vision_learner smooths: single-label classes.
SMOOTHED = ("binary", "multiclass")


# Under torchrun each process trains its trials alone (run_search shares them out).
@each_process_alone()
def tune_images(
    source: Any,
    labels: Any = None,
    *,
    arch: str = "auto",
    n_trials: int = 20,
    timeout: float | str | None = None,
    time_budget: float | str | None = None,
    metric: str | None = None,
    out: str | Path | None = None,
    seed: int = 0,
    pruner: Any = None,
    progress: bool = False,
    search: dict[str, Any] | None = None,
    keep: str = "clear",
    storage: str | Path | None = None,
    study_name: str | None = None,
    tune_thresholds: bool = True,
    decision_threshold: str | float | None = None,
    **data_kwargs: Any,
) -> TuneResult:
    """Search an image model's learning rate, weight decay, epochs and (single-label classes) label smoothing.

    Args:
        source, labels, data_kwargs: As for :func:`~trainwell.vision.image_data` (a folder of class folders,
            ``train/`` + ``valid/`` (+ ``test/``), a CSV of paths, arrays; ``valid_pct``, ``size``,
            ``augmentation``, ``task``...). A ``test/`` split is scored once, on the kept model.
        arch: The network of every trial, as for :func:`~trainwell.vision.vision_learner` (``"auto"``: what
            fit chooses for these images).
        n_trials, timeout, metric, out, seed, pruner, progress, search, keep, storage,
            study_name: As for
            :func:`~trainwell.automl.tune_table` (the settings: :data:`IMAGE_RANGES`); the default metric is
            ``roc_auc`` for binary and multi-label targets, ``accuracy`` for several classes, ``rmse`` for a
            regression.
        tune_thresholds: a multi-label model decides each label at a threshold chosen on the validation images
            (``False``: 0.5 for every label), as after ``fit_images``.
        decision_threshold: binary targets, as :func:`~trainwell.fit_images` takes it: a metric (``"f1"``,
            ``"balanced_accuracy"``, ``"mcc"``, ``"accuracy"``) for which each trial's model chooses its threshold
            on the validation images, or a threshold for every trial (``0.3``). A search ``metric`` of decisions
            (``f1``, ``accuracy``...) scores each trial at its threshold (a chosen one on the images it was
            chosen on: flattered alike for every trial); each trial's threshold is in ``tuning.json``, and the
            kept model decides at its own, as after ``fit_images(decision_threshold=)``.

    Raises:
        ConfigError: ``n_trials`` below 1, a bad ``timeout``, no validation images, a ``search`` name not
            searched, or a metric that does not score this task.
        TuningDependencyError: Optuna is not installed.
    """
    timeout = one_time_setting(timeout, time_budget)
    settings = start_search(
        n_trials,
        timeout,
        out,
        seed,
        pruner,
        progress,
        keep,
        tune_thresholds,
        storage=storage,
        study_name=study_name,
        decision_threshold=decision_threshold,
    )

    def learner(bundle: DataBundle, params: dict[str, Any], progress: bool) -> Learner:
        return vision_learner(
            bundle,
            arch,
            lr=float(params["lr"]),
            wd=float(params["wd"]),
            label_smoothing=float(params.get("label_smoothing", DEFAULT_LABEL_SMOOTHING)),
            progress=progress,
        )

    def defaults(bundle: DataBundle, seed: int) -> dict[str, Any]:
        """Trial 0: what ``trainwell fit`` does with these images."""
        params: dict[str, Any] = {
            "lr": DEFAULT_LR,
            "wd": DEFAULT_WD,
            "epochs": default_epochs(len(bundle.train)),  # type: ignore[arg-type]
        }
        if bundle.task.kind in SMOOTHED:
            params["label_smoothing"] = DEFAULT_LABEL_SMOOTHING
        return params

    # Narrowed before any image is decoded, so that a misspelt setting is said at once.
    space = Space(defaults, dict(IMAGE_RANGES), one_cycle_trial(learner), ImageRun).narrowed(search)
    from trainwell.core.keywords import check_passed_keywords

    check_passed_keywords(tune_images, data_kwargs, image_data)
    data = image_data(source, labels, seed=seed, **data_kwargs)
    if data.task.kind not in ("binary", "multiclass", "multilabel", "regression"):
        raise ConfigError(
            f"tune_images searches image classifiers and regressions; the target is {data.task.kind}"
        )
    if data.task.kind not in SMOOTHED:  # vision_learner smooths single labels only
        ranges = {name: bound for name, bound in space.ranges.items() if name != "label_smoothing"}
        space = dataclasses.replace(space, ranges=ranges)
    chosen = search_metric(data, metric, SEARCH_METRIC.get(data.task.kind))
    return run_search(data, space, chosen, settings)
