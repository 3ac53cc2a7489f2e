"""The whole sequence-labelling job in one call: data, tagger, one-cycle training, model directory.

``trainwell fit train.conll --task tagging`` (or a folder of train / dev / test files) is a thin layer over
:func:`fit_tagger`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainwell.callbacks.budget import TimeBudget, start_budget
from trainwell.core.positional import refuse_extra_positional
from trainwell.core.seeding import seed_everything
from trainwell.distributed import maybe_distribute
from trainwell.learner.events import Callback
from trainwell.learner.kept_predictions import (
    KeepValidationPredictions,
    keep_capped_validation,
    say_capped_scoring,
)
from trainwell.learner.run_files import FitRun, check_fit_settings, score_test_set, write_run
from trainwell.metrics.function import MetricLike
from trainwell.text.tagging.data import TaggedSource, tagging_data
from trainwell.text.tagging.learner import tagging_learner

__all__ = ["TaggerRun", "default_tagger_epochs", "fit_tagger"]

#: Optimizer steps the default schedule aims for, and the bounds on the epochs it may choose. On CoNLL-2003
#: (439 batches an epoch), 10 epochs reached validation F1 0.884 (test 0.835), 20 epochs 0.903 (test 0.852).
TARGET_STEPS, MIN_EPOCHS, MAX_EPOCHS = 8000, 3, 40


def default_tagger_epochs(n_batches: int) -> int:
    """About 8,000 optimizer steps, between 3 and 40 epochs (CoNLL-2003's 14,041 sentences at batch 32: 19)."""
    return int(min(MAX_EPOCHS, max(MIN_EPOCHS, math.ceil(TARGET_STEPS / max(n_batches, 1)))))


@dataclass
class TaggerRun(FitRun):
    """What :func:`fit_tagger` produced; ``test_metrics`` holds the test set's scores when one was given."""

    test_metrics: dict[str, float] | None = None


def fit_tagger(
    source: TaggedSource,
    *extra: Any,
    tag_col: str | int | None = None,
    valid: TaggedSource | None = None,
    test: TaggedSource | None = None,
    out: str | Path | None = None,
    arch: str = "bilstm_crf",
    epochs: int | None = None,
    lr: float | None = None,
    seed: int = 0,
    valid_pct: float = 0.1,
    batch_size: int | None = None,
    metrics: Sequence[MetricLike] | None = None,
    progress: bool = True,
    arch_config: dict[str, Any] | None = None,
    learner_kwargs: dict[str, Any] | None = None,
    time_budget: float | str | TimeBudget | None = None,
    callbacks: Sequence[Callback] = (),
    resume_from: str | Path | None = None,
    **data_kwargs: Any,
) -> TaggerRun:
    """Train a tagger the recommended way and write it to ``out`` (when given).

    Args:
        source, tag_col, valid, test, valid_pct: see :func:`~trainwell.text.tagging.data` (a folder with
            ``train`` / ``dev`` / ``test`` files is read whole).
        out: the model directory to write (checked before any work).
        arch: a registered tagging architecture (``bilstm_crf``; ``arch_config={"crf": False}`` for a softmax).
        epochs, lr: training length (default :func:`default_tagger_epochs`) and peak learning rate.
        seed: controls the split, the initialisation and the batch order.
        batch_size: sentences per batch (default 32).
        metrics: metric names, functions ``fn(preds, targets) -> float`` or Metric objects (default
            ``None``: entity F1, precision, recall and tag accuracy for entity tags, tag accuracy for others;
            ``[]``: none).
        time_budget: seconds, or ``"10m"``... (:class:`~trainwell.callbacks.TimeBudget`): training ends within
            that time of the call (writing ``out`` and scoring a test set come after), the epochs cut and the schedule fitted to what fits.
        callbacks: run in the training fit only, e.g. a :class:`~trainwell.callbacks.Checkpoint`.
        resume_from: a checkpoint one wrote in the same call: training continues from it exactly.
        **data_kwargs: more :func:`~trainwell.text.tagging.data` settings (``min_freq``, ``lowercase``,
            ``rare_word_dropout``, ``encoding_errors``).
    """
    refuse_extra_positional("fit_tagger", extra, ("source",), ("tag_col", "valid"))
    check_fit_settings(epochs, lr, out)
    budget = start_budget(time_budget)
    seed_everything(seed)
    data = tagging_data(
        source,
        tag_col=tag_col,
        valid=valid,
        test=test,
        valid_pct=valid_pct,
        batch_size=batch_size or 32,
        seed=seed,
        **data_kwargs,
    )
    learn = tagging_learner(
        data,
        arch,
        arch_config=arch_config,
        lr=lr,
        metrics=metrics,
        progress=progress,
        **(learner_kwargs or {}),
    )
    maybe_distribute(learn)
    n_epochs = epochs or default_tagger_epochs(len(data.train))  # type: ignore[arg-type]
    # The last validation pass's tag paths, kept: the results' table and the entities by type after the fit read
    # them instead of tagging the validation sentences again with the same weights (two passes on CoNLL-2003's
    # 3,250 sentences). Decoded once as the fit ends: every epoch's pass decodes them for its metrics already,
    # and decoding is an eighth of a pass.
    keeper = KeepValidationPredictions(activate_after_fit=True)
    # Under time_budget, a pass the budget cut to its first sentences is kept too: the results read its tag paths
    # instead of tagging the whole validation set again past the budget (CoNLL-2003: 2m 18s past a 1m budget).
    capped = keep_capped_validation(time_budget, budget, callbacks)
    fit_callbacks = [*([budget] if budget else []), keeper, *([capped] if capped else []), *callbacks]
    learn.fit_one_cycle(n_epochs, learn.lr, callbacks=fit_callbacks, resume_from=resume_from)
    say_capped_scoring(capped, "sentences")
    test_metrics = score_test_set(learn)  # the folder's test file, or test=
    model_dir = write_run(learn, Path(out), None) if out is not None else None
    return TaggerRun(learn, data, learn.lr, model_dir, budget=budget, test_metrics=test_metrics)
