"""Cross-validation of the image model on labelled images, beside pixel baselines: :func:`evaluate_images`,
what ``trainwell evaluate images/`` runs.

The images are decoded once; each fold then builds ``image_data`` from its own training images, so the
normalisation statistics are measured on that fold's training images only (no leakage), and trains exactly as
:func:`~trainwell.vision.pipeline.fit_images` does. The baselines (majority class, logistic regression,
HistGradientBoosting; for a regression the mean, ridge and HistGradientBoosting) see each image as the pixels of
an 8x8 thumbnail: what a model with no notion of images can get.

With ``tta=True`` (``trainwell evaluate --tta``) each fold's model is scored on its validation images with
test-time augmentation, as ``predict --tta`` would answer them; the plain answers are kept beside them, and one line
says both, pooled over the folds' held-out images (:class:`ImageEvaluation`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

if TYPE_CHECKING:
    import torch

    from trainwell.data.task import Task
    from trainwell.vision.tta_effect import TTAEffect

from trainwell.evaluate.evaluation import MODEL_NAME, Evaluation, render_folds

THUMBNAIL = 8


@dataclass
class ImageFold:
    """A fold function for :func:`trainwell.evaluate.cross_validate` that trains an image classifier."""

    images: np.ndarray
    labels: list[Any]
    task: Task
    metric_names: Sequence[str]
    arch: str = "auto"
    epochs: int | None = None
    lr: float | None = None
    seed: int = 0
    #: Score each fold's validation images with test-time augmentation (the plain answers kept beside).
    tta: bool = False
    #: The fields it appends to once per fold, gathered from every process under torchrun (evaluate.spread).
    per_fold: ClassVar[tuple[str, ...]] = (
        "means", "lrs", "predictions", "plain_predictions", "tta_views", "thresholds",
    )  # fmt: skip
    #: Per fold: the normalisation statistics measured on that fold's training images.
    means: list[tuple[float, ...]] = field(default_factory=list)
    lrs: list[float] = field(default_factory=list)
    predictions: list[tuple[np.ndarray, torch.Tensor, torch.Tensor]] = field(default_factory=list)
    #: With ``tta``: per fold, the plain answers (``predictions`` then holds the answers with TTA).
    plain_predictions: list[torch.Tensor] = field(default_factory=list)
    #: With ``tta``: per fold, what its TTA averaged, in words.
    tta_views: list[str] = field(default_factory=list)
    #: Binary targets (``decision_threshold=``): the metric each fold chooses its decision threshold for, on a
    #: fifth of its training images held out from a fit on the rest, or the threshold itself; ``None``: 0.5.
    decision: str | float | None = None
    #: With ``decision``: the threshold each fold's model decided at.
    thresholds: list[float] = field(default_factory=list)
    #: With grouped folds: each image's group; the fifth a fold's threshold is chosen on then holds whole groups.
    groups: np.ndarray | None = field(default=None, repr=False)

    def __call__(self, train: np.ndarray, valid: np.ndarray, fold: int) -> dict[str, float]:
        from trainwell.callbacks.budget import start_budget
        from trainwell.evaluate.evaluation import decided_scores

        threshold = self._threshold(train, fold)
        budget = start_budget(None)  # evaluate --time: this fold's share
        learn, data, lr, preds, targets = self._fit(train, valid, fold, budget)
        if self.tta:
            preds = self._with_tta(learn, preds, targets)
        self.means.append(tuple(data.recipe.mean))  # type: ignore[union-attr]
        self.lrs.append(float(lr))
        self.predictions.append((valid, preds, targets))
        if threshold is not None:
            self.thresholds.append(threshold)
        return decided_scores(preds, targets, self.task, self.metric_names, threshold)

    def _threshold(self, train: np.ndarray, fold: int) -> float | None:
        """The fold's decision threshold (``None`` without ``decision``): the number given, or the one of best
        ``decision`` on a fifth of the fold's training images, answered by a model fitted on the other four fifths
        as the fold's is fitted: never on the images the fold is scored on."""
        from trainwell.evaluate.evaluation import held_out_threshold, inner_rows

        if not isinstance(self.decision, str):
            return self.decision
        inner_train, inner_valid = inner_rows(train, self.seed + fold, self.groups)
        _, _, _, preds, targets = self._fit(inner_train, inner_valid, fold, None)
        return held_out_threshold(preds, targets, self.decision)

    def _fit(self, train: np.ndarray, valid: np.ndarray, fold: int, budget: Any) -> tuple[Any, ...]:
        """A model fitted on the images at ``train`` (within ``budget``), and its answers for those at ``valid``:
        ``(learner, data, lr, predictions, targets)``."""
        from trainwell.core.seeding import seed_everything
        from trainwell.learner.kept_predictions import KeepValidationPredictions, validation_predictions
        from trainwell.vision.data import COPIES_OF_TRAINING, image_data
        from trainwell.vision.learner import vision_learner
        from trainwell.vision.pipeline import default_epochs

        seed_everything(self.seed + fold)
        with warnings.catch_warnings():  # copies across folds were said once, for the whole set
            warnings.filterwarnings("ignore", message=COPIES_OF_TRAINING)
            data = image_data(
                self.images[train],
                labels=[self.labels[i] for i in train],
                valid=(self.images[valid], [self.labels[i] for i in valid]),
                task=self.task,  # the whole set's classes: a rare label may be absent from a fold
                seed=self.seed,
            )
        learn = vision_learner(data, self.arch, progress=False)
        lr = self.lr or learn.lr
        n_epochs = self.epochs or default_epochs(len(data.train))  # type: ignore[arg-type]
        # The fold is scored on its last validation pass's predictions, kept as it ran, not on a new pass.
        keeper = KeepValidationPredictions()
        learn.fit_one_cycle(n_epochs, lr, callbacks=[*([budget] if budget else []), keeper])
        preds, targets = validation_predictions(learn)
        return learn, data, lr, preds, targets

    def _with_tta(self, learn: Any, plain: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """The fold's validation answers with test-time augmentation, as ``predict --tta`` gives them; ``plain``
        (the answers scored without) is kept in :attr:`plain_predictions`."""
        import torch

        from trainwell.vision.transform import describe_tta

        blended, tta_targets = learn.tta()
        # Both passes read the validation loader in its order: the same images, the same targets.
        assert torch.equal(tta_targets.reshape(targets.shape).to(targets.dtype), targets.cpu())
        self.plain_predictions.append(plain.detach().cpu())
        what = "predicted numbers" if self.task.kind == "regression" else "probabilities"
        self.tta_views.append(describe_tta(learn.data.augmentation, what=what))
        return blended


def read_labelled_images(
    source: Path,
    size: int | None,
    *,
    path_col: str | None = None,
    label_col: str | None = None,
    label_delim: str | None = None,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
) -> tuple[np.ndarray, list[Any]]:
    """Every labelled image under a folder (its ``train/`` and ``valid/`` splits pooled; a ``test/`` beside them is
    left out, held out of every choice as ``fit`` holds it; of a folder of IDX files, MNIST's, the ``train-*``
    set, ``t10k-*`` left out alike), or listed in a CSV of paths and labels (``path_col``, ``label_col``;
    ``label_delim`` for several labels per image; the CSV read in ``encoding``), decoded once."""
    read = read_image_rows(
        source,
        size,
        path_col=path_col,
        label_col=label_col,
        label_delim=label_delim,
        encoding=encoding,
        encoding_errors=encoding_errors,
    )
    return read.images, read.labels


@dataclass
class LabelledImages:
    """Images decoded once, with their labels and, when asked for, their groups (:func:`read_image_rows`)."""

    images: np.ndarray
    labels: list[Any]
    #: Each image's group (``groups=``); ``None`` without.
    groups: np.ndarray | None = None


def read_image_rows(
    source: Path,
    size: int | None,
    *,
    path_col: str | None = None,
    label_col: str | None = None,
    label_delim: str | None = None,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    groups: str | Sequence[Any] | np.ndarray | None = None,
) -> LabelledImages:
    """:func:`read_labelled_images`, with each image's group from ``groups`` (a column of a CSV ``source``, or one
    value per row of it), refused as a table's are (:func:`~trainwell.evaluate.cv.row_groups`) before any image is
    decoded; the groups of images that do not decode are left out with them. A folder has no column to group by:
    its ``groups`` must be ``None`` (:func:`evaluate_images` refuses it in words)."""
    from trainwell.core.errors import ConfigError
    from trainwell.evaluate.cv import row_groups
    from trainwell.vision.data import (
        _array_split,
        _chosen_size,
        _default_resize,
        _fit_array,
        _is_quantity,
        warn_repeated_images,
    )
    from trainwell.vision.io import (
        csv_files,
        decode_images,
        folder_splits,
        idx_sets,
        probe_images,
        warn_joined_labels,
    )

    idx = idx_sets(source)
    if idx is not None:
        array, values = _array_split(*idx["train"], str(source))
        images = _fit_array(array, size, "crop")
        warn_repeated_images(images, None, str(source))
        return LabelledImages(images, values)
    table = None
    if source.is_dir():
        splits = folder_splits(source, with_test=False)  # test/ is left out of the folds
        paths = [path for files in splits.values() for path in files.paths]
        labels = [label for files in splits.values() for label in files.labels]
    else:
        if path_col is None or label_col is None:
            raise ConfigError(
                f"'{source}' is a CSV of images: name its columns with --path-col and --label-col"
            )
        files, table = csv_files(
            source,
            path_col,
            label_col,
            label_delim=label_delim,
            encoding=encoding,
            encoding_errors=encoding_errors,
        )
        paths, labels = files.paths, files.labels
        if label_delim is None:
            warn_joined_labels(labels, label_col, f"'{source}'")
        # A misspelt column or a row without a group is said before the images are decoded, not after.
        row_groups(groups, table, np.ones(len(table), dtype=bool), str(source))
    chosen = _chosen_size(size, paths)
    resize = _default_resize(labels, _is_quantity(labels, None))  # a point's x,y: squished, as fit does
    from trainwell.core.device import is_rank_zero
    from trainwell.vision._reading import ReadingProgress

    reading = ReadingProgress(len(paths), paths, enabled=is_rank_zero())  # a line when it takes over 2 s
    images, kept = decode_images(paths, chosen, probe_images(paths)[1], resize, progress=reading.advance)
    reading.close()
    warn_repeated_images(images, [paths[i] for i in kept], str(source))
    group_of_row = None
    if groups is not None:
        assert table is not None, "a folder's groups are refused by the caller"
        decoded = np.zeros(len(paths), dtype=bool)
        decoded[kept] = True
        group_of_row = row_groups(groups, table[decoded].reset_index(drop=True), decoded, str(source))
    return LabelledImages(images, [labels[i] for i in kept], group_of_row)


def thumbnails(images: np.ndarray) -> Any:
    """8x8 thumbnails as a table of pixel columns (the baselines' inputs)."""
    import pandas as pd
    import torch
    from torch.nn import functional as F

    small = F.adaptive_avg_pool2d(torch.from_numpy(images).float() / 255.0, THUMBNAIL)
    flat = small.reshape(len(images), -1).numpy()
    return pd.DataFrame(flat, columns=[f"p{i}" for i in range(flat.shape[1])])


def evaluate_images(
    source: str | Path | np.ndarray | torch.Tensor,
    labels: Sequence[Any] | np.ndarray | torch.Tensor | None = None,
    *,
    path_col: str | None = None,
    label_col: str | None = None,
    label_delim: str | None = None,
    cv: int = 5,
    seed: int = 0,
    epochs: int | None = None,
    lr: float | None = None,
    arch: str = "auto",
    size: int | None = None,
    groups: str | Sequence[Any] | np.ndarray | None = None,
    baselines: bool = True,
    task: str | None = None,
    time_budget: float | str | None = None,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    metrics: Sequence[str] | None = None,
    tta: bool = False,
    decision_threshold: str | float | None = None,
    progress: bool = True,
) -> ImageEvaluation:
    """Cross-validate the image model and the thumbnail baselines on the same ``cv`` folds.

    Each fold measures its normalisation on its own training images and trains as :func:`~trainwell.fit_images`
    does; the baselines (majority class, logistic regression, HistGradientBoosting on 8x8 thumbnails) run on the
    same folds. Under ``torchrun`` the folds are shared out over the processes, with the same numbers.

    Args:
        source: a folder of class folders (``<label>/*.jpg``; a ``train/`` + ``valid/`` split is pooled, a
            ``test/`` beside them left out), a CSV of
            image paths and labels (with ``path_col`` and ``label_col``), or an array of images ``(N, H, W[, C])``
            / ``(N, C, H, W)``, uint8 or 0..1 floats (with ``labels``).
        labels: the labels of an array ``source``.
        path_col, label_col: a CSV ``source``'s columns of image paths (relative to the CSV) and of labels.
        label_delim: the separator of several labels per image in a CSV (multi-label).
        cv: number of folds, at least 2 (stratified for one class per image; label sets and numbers are split at
            random).
        seed: seeds the folds and every model.
        epochs: passes per fold (default: chosen from the fold's size, as ``fit_images`` does).
        lr: peak learning rate (default: the learner's).
        arch: the architecture, as :func:`~trainwell.vision_learner` takes it (default: chosen from the images).
        size: side in pixels the images are fitted to (default: as ``fit_images`` chooses for files, an array's own).
        groups: grouped folds: a column of a CSV ``source`` (``"patient_id"``: several images of one patient, one
            object, one scene), or one value per image (per row of the CSV; per image of an array). The images of
            a group are always validated together, never split across folds, so the scores are on groups the
            model never trained on; class shares are kept as whole groups allow, and the baselines use the same
            folds. A folder of class folders has no column to group by, and is refused: list its images in a CSV.
        baselines: also cross-validate the baselines.
        task: override the inferred task (``binary``, ``multiclass``, ``multilabel``, ``regression``); labels
            that are numbers, some not whole, are a regression, as for :func:`~trainwell.vision.image_data`.
        time_budget: training time of the whole cross-validation: seconds, or ``"10m"``, ``"1h30m"``... Each of
            the ``cv`` folds trains within its share (the epochs cut and the schedule fitted to them, as
            ``fit_*(time_budget=)`` does); reading the data and the baselines (scored first) come out of
            it, each fold given its share of what is left (at least half an equal share). What each fold's share
            allowed is in :attr:`Evaluation.budgets <trainwell.evaluate.Evaluation.budgets>`, and the table
            says how many folds it cut short.
        progress: say on standard error as each fold ends (``fold 2 of 5 done in 41s (1m 20s so far, about 2m
            left)``), as ``evaluate_table`` and ``evaluate_texts`` do; ``False`` keeps the cross-validation quiet.
        encoding: text encoding of a CSV ``source``, e.g. ``"cp1252"``.
        encoding_errors: ``"replace"`` reads a byte of such a CSV that ``encoding`` cannot decode as U+FFFD
            instead of stopping.
        metrics: the metrics to score the model and the baselines by (``--metric``; default the task's), among
            :data:`~trainwell.evaluate.compare.EVALUATION_METRICS` for the task, e.g. ``["log_loss"]``.
        tta: score each fold's validation images with test-time augmentation (``--tta``), as ``predict --tta``
            answers: the model's figures (and its verdicts against the baselines) are then with TTA, and one
            line under the table says the headline metric plain and with TTA over all the held-out images, with
            how many answers TTA fixes and breaks (:attr:`ImageEvaluation.tta`). Refused for a model predicting
            several numbers an image (a point), as ``predict --tta`` refuses it.
        decision_threshold: binary targets, as ``fit_images`` takes it: a metric (``"f1"``...) for which each fold
            chooses its model's threshold on a fifth of its training images, answered by a model fitted on the
            other four fifths (never on the images it is scored on: a second fit per fold), or a threshold for
            every fold (``0.3``). The metrics of decisions are then at it; the baselines stay at 0.5.

    Returns:
        An :class:`ImageEvaluation` (an :class:`~trainwell.evaluate.Evaluation`): print it for the table
        ``trainwell evaluate`` prints.

    Example:
        >>> result = evaluate_images("pets/", cv=3, epochs=2)                          # doctest: +SKIP
        >>> result.mean("accuracy"), result.mean("accuracy", "logistic")              # doctest: +SKIP
    """
    from trainwell.core.errors import ConfigError, DataError
    from trainwell.distributed.spread import spread_processes
    from trainwell.evaluate import cross_validate_baselines, fold_indices
    from trainwell.evaluate.compare import evaluation_metrics
    from trainwell.evaluate.cv import grouped_by
    from trainwell.evaluate.evaluation import check_settings, time_spent
    from trainwell.evaluate.spread import cross_validate_spread
    from trainwell.vision.data import _is_quantity, _task, numeric_labels

    fold_seconds = check_settings(cv, epochs, time_budget)
    from trainwell.learner.decision_threshold import decision_threshold_setting

    decision = decision_threshold_setting(decision_threshold)
    if arch != "auto":  # an unknown name is said before any image is read
        from trainwell.vision.learner import _resolve_arch

        _resolve_arch(arch, (0, 0))
    group_of_row = None
    if isinstance(source, str | Path):
        if labels is not None:
            raise ConfigError(
                f"labels= is for an array of images; the labels of '{source}' come from its class folders or "
                "from label_col= (--label-col)"
            )
        name = str(source)
        if not Path(source).exists():
            raise DataError(
                f"'{source}' not found: pass a folder of class folders (<label>/*.jpg), or a CSV of image paths "
                "and labels with path_col= and label_col= (--path-col, --label-col)"
            )
        if groups is not None and Path(source).is_dir():
            raise ConfigError.worded(
                lambda say: (
                    f"{say('groups')} needs a column to group the images by, and the folder '{source}' has none: "
                    f"list the images in a CSV with a column each of paths, labels and groups, and pass "
                    f"{say('path_col')}, {say('label_col')} and {say('groups')} with its columns"
                )
            )
        read = read_image_rows(
            Path(source),
            size,
            path_col=path_col,
            label_col=label_col,
            label_delim=label_delim,
            encoding=encoding,
            encoding_errors=encoding_errors,
            groups=groups,
        )
        images, labels, group_of_row = read.images, read.labels, read.groups
    else:
        from trainwell.vision.data import _array_split, _fit_array, warn_repeated_images

        if labels is None:
            raise ConfigError("evaluate_images needs labels= with an array of images: one label per image")
        name = "the images"
        array, labels = _array_split(source, labels, name)
        images = _fit_array(array, size, "crop")
        warn_repeated_images(images, None, name)
        group_of_row = _array_groups(groups, len(images), name)
    if _is_quantity(labels, task):  # numbers, some not whole (or task="regression"): a regression
        labels = numeric_labels(labels, name, label_col, label_delim)
        task = "regression"
    resolved = _task(labels, task, label_delim, name, label_col or "label")
    if tta:  # a point's x and y: said before any fold trains
        from trainwell.data.tta import tta_refusal

        refused = tta_refusal(resolved, "vision", option="tta (--tta)", fix="evaluate without it")
        if refused is not None:
            raise ConfigError(refused)
    from trainwell.learner.decision_threshold import check_decision_threshold

    check_decision_threshold(decision, resolved)  # before any fold: binary targets only
    stratified = resolved.kind in ("binary", "multiclass")
    splits = fold_indices(
        np.array([str(label) for label in labels]), cv, seed, stratified, keyword="cv", groups=group_of_row
    )
    metric_names = evaluation_metrics(metrics, resolved)
    fold = ImageFold(
        images,
        labels,
        resolved,
        metric_names,
        arch,
        epochs,
        lr,
        seed,
        tta=tta,
        decision=decision,
        groups=group_of_row,
    )
    run_baselines = None
    if baselines:
        table = thumbnails(images)
        several = len(resolved.target_names) > 1 and resolved.kind == "regression"
        targets = list(resolved.target_names) if several else ["label"]
        if several:  # a point's x and y: a column each
            for index, target in enumerate(targets):
                table[target] = [row[index] for row in labels]
        else:
            table["label"] = labels

        def run_baselines(some: Sequence[tuple[np.ndarray, np.ndarray]]) -> dict[str, Any]:
            return cross_validate_baselines(table, targets, resolved, some, metric_names, seed=seed)

    model, others = cross_validate_spread(
        fold,
        splits,
        seed=seed,
        stratified=stratified,
        baselines=run_baselines,
        processes=spread_processes(),
        fold_seconds=fold_seconds,
        progress=progress,
    )
    return ImageEvaluation(
        resolved,
        len(images),
        model,
        others,
        fold.lrs,
        predictions=fold.predictions,
        unit="images",
        groups=grouped_by(groups, group_of_row),
        spent=time_spent(fold_seconds),
        tta=pooled_tta_effect(fold) if tta else None,
        decision=decision,
        decision_thresholds=fold.thresholds,
    )


@dataclass(repr=False)
class ImageEvaluation(Evaluation):
    """An :class:`~trainwell.evaluate.Evaluation` of images; with ``evaluate_images(tta=True)`` the model's
    figures are with test-time augmentation, and :attr:`tta` holds both ways pooled over the held-out images."""

    #: With ``tta=True``: the headline metric of every fold's held-out images plain and with TTA, and the answers
    #: TTA fixes and breaks; ``None``: scored plain.
    tta: TTAEffect | None = None

    def tta_line(self) -> str | None:
        """The line under the table on TTA (``None`` without ``tta=True``): which figures the table holds, then
        the verdict (:meth:`~trainwell.vision.tta_effect.TTAEffect.verdict`)."""
        if self.tta is None:
            return None
        return (
            f"{MODEL_NAME}'s figures here are with TTA ({self.tta.views}); on the {self.k} folds' held-out "
            f"images, {self.tta.verdict()}"
        )

    def _render(self, console: Any) -> None:
        from rich.text import Text

        render_folds(self, console)
        line = self.tta_line()
        if line is not None:
            console.print(Text(line), soft_wrap=True)

    def to_dict(self) -> dict[str, Any]:
        """:meth:`Evaluation.to_dict <trainwell.evaluate.Evaluation.to_dict>`, with ``"tta"`` (both ways, the
        answers fixed and broken, the verdict) when the model was scored with TTA."""
        record = super().to_dict()
        if self.tta is not None:
            effect = self.tta
            record["tta"] = {
                "metric": effect.metric,
                "plain": effect.plain,
                "tta": effect.tta,
                "images": effect.n_images,
                **({"fixed": effect.fixed, "broken": effect.broken} if effect.fixed is not None else {}),
                "views": effect.views,
                "verdict": self.tta_line(),
            }
        return record


def pooled_tta_effect(fold: ImageFold) -> TTAEffect:
    """TTA's effect on every fold's held-out images at once: the plain answers against those with TTA."""
    import torch

    from trainwell.vision.tta_effect import tta_effect

    plain = torch.cat(fold.plain_predictions)
    blended = torch.cat([preds.detach().cpu() for _, preds, _ in fold.predictions])
    targets = torch.cat([encoded.detach().cpu() for _, _, encoded in fold.predictions])
    views = "; ".join(dict.fromkeys(fold.tta_views))  # one wording, unless folds chose differently
    return tta_effect(fold.task, plain, blended, targets, views)


def _array_groups(
    groups: str | Sequence[Any] | np.ndarray | None, n_images: int, name: str
) -> np.ndarray | None:
    """Each image's group, of an array of images: one value per image (an array has no columns to name), refused
    as a table's are (:func:`~trainwell.evaluate.cv.row_groups`)."""
    import pandas as pd

    from trainwell.core.errors import DataError
    from trainwell.evaluate.cv import row_groups

    if isinstance(groups, str):
        raise DataError.worded(
            lambda say: (
                f"{say('groups', groups)} names a column, and {name} are an array with none: pass one group per "
                "image"
            )
        )
    return row_groups(groups, pd.DataFrame(index=range(n_images)), np.ones(n_images, dtype=bool), name)
