"""The whole text classification job in one call: data, learner, one-cycle training, model directory.

``trainwell fit reviews.csv --text review --target sentiment`` is a thin layer over :func:`fit_texts`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainwell.callbacks.budget import TimeBudget, start_budget
from trainwell.core.errors import ConfigError
from trainwell.core.positional import refuse_extra_positional
from trainwell.core.renamed import renamed_keyword
from trainwell.core.seeding import seed_everything
from trainwell.distributed import maybe_distribute
from trainwell.learner.decision_threshold import check_decision_threshold, decision_threshold_setting
from trainwell.learner.kept_predictions import (
    KeepValidationPredictions,
    keep_capped_validation,
    say_capped_scoring,
)
from trainwell.learner.label_thresholds import choose_label_thresholds
from trainwell.learner.run_files import FitRun, check_fit_settings, score_test_set, write_run
from trainwell.losses.class_weights import check_class_weight, check_task_takes_weights, weighted_loss
from trainwell.models.registry import models
from trainwell.text.data import text_data
from trainwell.text.learner import resolve_arch, text_classifier_learner

if TYPE_CHECKING:
    import pandas as pd

    from trainwell.learner.events import Callback
    from trainwell.metrics.function import MetricLike
from trainwell.metrics.registry import with_multilabel_f1

__all__ = ["TextRun", "default_epochs", "fit_texts"]

#: Optimizer steps the default schedule aims for, and the bounds on the epochs it may choose. Small sets get the
#: 30: fewer lose on held-out texts though the validation loss bottoms out earlier (the bag, one-cycle, no
#: early stopping; median over seeds 0-2 (0-1 for 15 and 5) of the test accuracy, F1 at tuned thresholds for
#: GoEmotions; 30 / 15 / 10 / 5 epochs):
#: SST-2's first 600 rows on its dev set 0.628 / 0.626 / 0.620 / 0.609 (best validation loss at epochs 6-11 of
#: 30), 1,200 rows 0.662 / 0.650 / 0.639 / 0.533, IMDB 400 reviews on 1,000 test ones 0.777 / 0.775 / 0.767 /
#: 0.740, GoEmotions' first 1,200 (multi-label) 0.220 / 0.220 / 0.213 / 0.159.
TARGET_STEPS, MIN_EPOCHS, MAX_EPOCHS = 1500, 3, 30
#: The fewest epochs for multi-label targets: a rare label's few positives are seen once an epoch, and three
#: passes leave it undertrained (GoEmotions, all 43,410 texts, n-grams 1, test macro ROC AUC / F1 at
#: per-label thresholds: 3 epochs 0.884 / 0.414, 5 -> 0.890 / 0.428, 8 -> 0.895 / 0.443, 10 -> 0.894 / 0.448,
#: 12 -> 0.894 / 0.455; a bag model only).
MULTILABEL_MIN_EPOCHS = 10


def default_epochs(n_batches: int, kind: str = "binary") -> int:
    """About 1,500 optimizer steps, between 3 and 30 epochs (IMDB's 25,000 reviews at batch 64: 4 epochs);
    at least :data:`MULTILABEL_MIN_EPOCHS` for a multilabel ``kind``.

    A bag model's embedding rows are each updated only by the batches whose texts hold them, so a small set
    needs many passes; a large one fits (and starts to overfit) within three.
    """
    lowest = MULTILABEL_MIN_EPOCHS if kind == "multilabel" else MIN_EPOCHS
    return int(min(MAX_EPOCHS, max(lowest, math.ceil(TARGET_STEPS / max(n_batches, 1)))))


@dataclass
class TextRun(FitRun):
    """What :func:`fit_texts` produced (``thresholds``: how per-label thresholds were chosen, multilabel)."""


def fit_texts(
    source: str | Path | pd.DataFrame,
    target: str | list[str] | None = None,
    *extra: Any,
    text_col: str | Sequence[str] | None = None,
    out: str | Path | None = None,
    arch: str = "fast",
    epochs: int | None = None,
    lr: float | None = None,
    seed: int = 0,
    valid_pct: float = 0.2,
    valid_col: str | None = None,
    task: str | None = None,
    batch_size: int | None = None,
    metrics: Sequence[MetricLike] | None = None,
    progress: bool = True,
    test: str | Path | pd.DataFrame | None = None,
    pretrained: str | Path | None = None,
    arch_config: dict[str, Any] | None = None,
    learner_kwargs: dict[str, Any] | None = None,
    tune_thresholds: bool = True,
    decision_threshold: str | float | None = None,
    class_weight: str | None = None,
    time_budget: float | str | TimeBudget | None = None,
    callbacks: Sequence[Callback] = (),
    resume_from: str | Path | None = None,
    **data_kwargs: Any,
) -> TextRun:
    """Train a text classifier the recommended way and write it to ``out`` (when given).

    Args:
        source: a CSV / TSV / Parquet file or a DataFrame with a text column and a label column.
        target: the label column (``--target``), or several 0/1 label columns (multi-label); second by position,
            as in :func:`~trainwell.text.text_data` and ``fit_table``: ``fit_texts(df, "sentiment",
            text_col="review")``. Everything after it is given by keyword.
        text_col: the text column (``--text``); several (a list, or names joined by commas) make each row's
            texts one example, a pair of sentences (:func:`~trainwell.text.text_data`). Left out: ``text``, else
            the table's column of free text (SST-2's ``sentence``), found and said as ``text_data`` does.
        out: the model directory to write (checked before any work).
        arch: ``"fast"`` (the n-gram bag) or a registered text architecture (``"ulmfit"``...), named
            ``arch`` as in the other ``fit_*`` and ``evaluate_*`` calls; ``model=``, its name before, still
            works, with a ``DeprecationWarning``.
        epochs, lr: training length and peak learning rate (defaults suit the architecture).
        seed: controls the split, the initialisation and the batch order.
        valid_pct, valid_col, task, batch_size, test: see :func:`~trainwell.text.text_data`. The test texts
            (``test=``, or a folder's ``test/`` beside ``train/``) are scored once, after training and the
            thresholds: ``run.learn.test_scores``, kept in the model directory (``trainwell info`` shows them).
        metrics: metric names, functions ``fn(preds, targets) -> float`` or Metric objects (see
            :class:`~trainwell.learner.Learner`); ``None``: the task's defaults, ``[]``: none.
        pretrained: a language-model directory: the classifier (``arch="ulmfit"``) starts from its encoder and
            vocabulary and is trained by gradual unfreezing (ULMFiT).
        tune_thresholds: for multilabel targets with validation rows, choose each label's decision threshold
            on those rows after training (:func:`~trainwell.learner.label_thresholds.tune_label_thresholds`); the
            model directory keeps them and decodes with them. ``False`` keeps 0.5 for every label.
        decision_threshold: binary targets: a metric to choose the decision threshold for on the validation
            rows (``"f1"``, ``"balanced_accuracy"``, ``"mcc"``, ``"accuracy"``), or the threshold itself (``0.3``);
            ``None`` keeps 0.5 (:mod:`~trainwell.learner.decision_threshold`).
        class_weight: ``"balanced"`` (binary or single-label classes): each training text weighs the inverse of
            its class's share in the loss (:mod:`~trainwell.losses.class_weights`, as ``fit_table``'s), so a rare
            class's recall and F1 at 0.5 rise and the probabilities are no longer calibrated; ``None`` weighs
            every text alike.
        time_budget: seconds, or ``"10m"``... (:class:`~trainwell.callbacks.TimeBudget`): training ends within
            that time of the call (writing ``out`` and scoring a test set come after), the epochs cut and the schedule fitted to what fits.
        callbacks: run in the training fits only, e.g. a :class:`~trainwell.callbacks.Checkpoint`.
        resume_from: a checkpoint one wrote in the same call: training continues from it exactly (in gradual
            unfreezing, at the stage it was written in).
        **data_kwargs: more :func:`~trainwell.text.text_data` settings (``label_delim``, ``ngrams``,
            ``tokenizer``, ``drop_empty``...).
    """
    refuse_extra_positional("fit_texts", extra, ("source", "target"), ("text_col",))
    arch = renamed_keyword(data_kwargs, "model", "arch", arch, "fast", "fit_texts")
    check_fit_settings(epochs, lr, out)
    decision = decision_threshold_setting(decision_threshold)
    check_class_weight(class_weight)
    budget = start_budget(time_budget)
    arch = resolve_arch(arch)
    seed_everything(seed)
    batch_format = models.entry(arch).metadata.get("batch_format", "bag")
    _refuse_bag_pretrained(batch_format, pretrained)
    if pretrained is not None and "vocab" not in data_kwargs and "tokenizer" not in data_kwargs:
        from trainwell.text.ulmfit import lm_text_settings

        # The encoder must read the tokens it was trained on: a word model's vocabulary, a subword model's pieces.
        data_kwargs.update(lm_text_settings(pretrained))
    data = text_data(
        source,
        target,
        text_col=text_col,
        valid_pct=valid_pct,
        valid_col=valid_col,
        task=task,
        batch_size=batch_size,
        test=test,
        seed=seed,
        batch_format=batch_format,
        **data_kwargs,
    )
    check_decision_threshold(decision, data.task, has_validation=data.valid is not None)
    options = dict(learner_kwargs or {})
    if class_weight is not None:
        _weigh_classes(options, data)
    if arch_config is not None:
        if "arch_config" in options:
            raise ConfigError(
                "arch_config is given twice, as arch_config= and in learner_kwargs=: pass it once"
            )
        options["arch_config"] = arch_config
    learn = text_classifier_learner(
        data,
        arch,
        pretrained=pretrained,
        lr=lr,
        metrics=with_multilabel_f1(data.task, metrics),
        progress=progress,
        **options,
    )
    maybe_distribute(learn)
    chosen_lr = lr or learn.lr
    # The multi-label minimum was measured on the bag model; sequence models keep the general rule.
    kind = data.task.kind if batch_format == "bag" else "binary"
    n_epochs = epochs or default_epochs(len(data.train), kind)  # type: ignore[arg-type]
    # The last validation pass's predictions, kept: the thresholds and the results' table after the fit read them
    # instead of scoring the validation texts again with the same weights.
    # Under time_budget, a validation pass the budget cut to its first batches is kept too: the thresholds and
    # the results read those rows, not the whole validation set again past the budget.
    capped = keep_capped_validation(time_budget, budget, callbacks)
    fit_callbacks = [
        *([budget] if budget else []),
        KeepValidationPredictions(),
        *([capped] if capped else []),
        *callbacks,
    ]
    if pretrained is not None:
        from trainwell.text.ulmfit import say_pretrained

        say_pretrained(learn, 1, n_epochs, progress)  # fine_tune's freeze_epochs: 1 epoch a stage
        # ULMFiT: gradual unfreezing with discriminative rates
        learn.fine_tune(n_epochs, chosen_lr, callbacks=fit_callbacks, resume_from=resume_from)
    else:
        learn.fit_one_cycle(n_epochs, chosen_lr, callbacks=fit_callbacks, resume_from=resume_from)
    say_capped_scoring(capped, "texts")
    thresholds = choose_label_thresholds(
        learn, seed=seed, progress=progress, tune=tune_thresholds, decision=decision
    )
    score_test_set(learn)  # test=, or a folder's test/ beside train/
    model_dir = write_run(learn, Path(out), None) if out is not None else None
    return TextRun(learn, data, chosen_lr, model_dir, thresholds=thresholds, budget=budget)


def _weigh_classes(options: dict[str, Any], data: Any) -> None:
    """``class_weight="balanced"``: the balanced cross-entropy of the training texts' classes as the learner's
    loss (refused for numbers and several labels a text, and beside a loss of the caller's own)."""
    if options.get("loss") is not None:
        raise ConfigError(
            "class_weight='balanced' sets the loss, and learner_kwargs holds a loss of its own: pass one of them"
        )
    targets = getattr(data.train, "targets", None)
    check_task_takes_weights(data.task)
    assert targets is not None  # a text classifier's loader holds its encoded targets
    options["loss"] = weighted_loss(data.task, targets)


def _refuse_bag_pretrained(batch_format: str, pretrained: object) -> None:
    """:func:`~trainwell.text.learner.refuse_bag_pretrained`'s refusal as ``fit_texts`` words it: its
    architecture is ``arch=`` in Python but ``--model`` on the command line (``--arch`` is tables' and images')."""
    if pretrained is not None and batch_format == "bag":
        raise ConfigError.worded(
            lambda say: (
                f"{say('pretrained')} starts an AWD-LSTM classifier from a language model's encoder; the fast "
                f"model (a bag of n-grams) has none: pass {say('arch', 'ulmfit')} with it"
            ),
            options={"arch": "--model"},
        )
