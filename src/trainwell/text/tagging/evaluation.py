"""Cross-validation of the tagger on tagged sentences, beside the two tagging baselines on the same folds:
:func:`evaluate_tagger`, what ``trainwell evaluate train.conll`` runs.

Folds split sentences, never words of one sentence. Each fold builds ``tagging_data`` from its own training
sentences (vocabularies and tag scheme fitted on them only; the tag set is the whole file's, so every fold
scores the same classes) and trains exactly as :func:`~trainwell.text.tagging.pipeline.fit_tagger` does.
Baselines: the most frequent tag per word and the window logistic regression
(:mod:`trainwell.text.tagging.baselines`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

if TYPE_CHECKING:
    from trainwell.data.task import Task
    from trainwell.evaluate import CVResult
    from trainwell.evaluate.evaluation import Evaluation
    from trainwell.text.tagging.data import TaggedSource

Pairs = list[tuple[list[str], list[str]]]


@dataclass
class TaggingFold:
    """A fold function for :func:`trainwell.evaluate.cross_validate` that trains a tagger."""

    pairs: Pairs
    task: Task
    metric_names: Sequence[str]
    epochs: int | None = None
    seed: int = 0
    settings: dict[str, Any] = field(default_factory=dict)
    #: The fields it appends to once per fold, gathered from every process under torchrun (evaluate.spread).
    per_fold: ClassVar[tuple[str, ...]] = ("lrs",)
    lrs: list[float] = field(default_factory=list)

    def __call__(self, train: np.ndarray, valid: np.ndarray, fold: int) -> dict[str, float]:
        from trainwell.evaluate.tagging import counts_from_tags
        from trainwell.text.tagging.pipeline import fit_tagger

        settings = dict(self.settings)
        # The folds are scored against the baselines in the evaluation's own table (tagging_baselines), on
        # the same sentences: no per-fold baseline, and no per-fold warning of it.
        settings["learner_kwargs"] = {"baseline": False, **(settings.get("learner_kwargs") or {})}
        run = fit_tagger(
            [self.pairs[i] for i in train],
            valid=[self.pairs[i] for i in valid],
            epochs=self.epochs,
            seed=self.seed + fold,
            progress=False,
            **settings,
        )
        from trainwell.text.tagging.predictor import TaggerPredictor

        predictor = TaggerPredictor(run.learn.model, run.learn.task, run.data.recipe, {})
        guessed = predictor.tag_words([self.pairs[i][0] for i in valid])
        counts = counts_from_tags([self.pairs[i][1] for i in valid], guessed, self.task.classes)
        self.lrs.append(float(run.lr))
        return fold_scores(counts, self.metric_names)


def fold_scores(counts: Any, metric_names: Sequence[str]) -> dict[str, float]:
    """A fold's headline scores, then each entity type's F1 (``entity_f1[PER]``...), as ``fit`` prints them; a
    type the fold's sentences hold none of, and that was never predicted, is undefined there (``nan``)."""
    from trainwell.evaluate.tagging import per_type_scores, tagging_scores

    scores = tagging_scores(counts)
    row = {name: scores[name] for name in metric_names}
    if "entity_f1" in metric_names:
        row.update({f"entity_f1[{kind}]": values["f1"] for kind, values in per_type_scores(counts).items()})
    return row


def tagging_baselines(
    pairs: Pairs, task: Task, splits: Sequence[tuple[np.ndarray, np.ndarray]], metric_names: Sequence[str]
) -> dict[str, CVResult]:
    """The most frequent tag per word and the window logistic regression, fold for fold."""
    from trainwell.evaluate import CVResult
    from trainwell.evaluate.tagging import counts_from_tags
    from trainwell.text.tagging.baselines import MostFrequentTag, WindowLogistic

    makers = {"most frequent tag": MostFrequentTag, "window logistic": WindowLogistic}
    results: dict[str, list[dict[str, float]]] = {name: [] for name in makers}
    for train, valid in splits:
        words, tags = [pairs[i][0] for i in train], [pairs[i][1] for i in train]
        held_words, held_tags = [pairs[i][0] for i in valid], [pairs[i][1] for i in valid]
        for name, make in makers.items():
            guessed = make().fit(words, tags).predict(held_words)  # type: ignore[attr-defined]
            results[name].append(
                fold_scores(counts_from_tags(held_tags, guessed, task.classes), metric_names)
            )
    return {name: CVResult(folds, list(splits)) for name, folds in results.items()}


def evaluate_tagger(
    source: TaggedSource,
    *extra: Any,
    tag_col: str | int | None = None,
    cv: int = 5,
    seed: int = 0,
    epochs: int | None = None,
    baselines: bool = True,
    time_budget: float | str | None = None,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
) -> Evaluation:
    """Cross-validate the tagger and the tagging baselines on the same ``cv`` folds of sentences.

    Args:
        source: a CoNLL / CoNLL-U file, a folder whose ``train`` and ``valid`` files are pooled (its ``test``
            file is left alone, for the final score), or ``(words, tags)`` pairs, one per sentence.
        tag_col: the column of tags (default as in :func:`~trainwell.tagging_data`).
        cv: number of folds, at least 2 (random: sentences have no single label to stratify on).
        seed: seeds the folds and every model.
        epochs: passes per fold (default: chosen from the fold's size, as ``fit_tagger`` does).
        baselines: also cross-validate the baselines.
        time_budget: training time of the whole cross-validation: seconds, or ``"10m"``, ``"1h30m"``... Each of
            the ``cv`` folds trains within its share (the epochs cut and the schedule fitted to them, as
            ``fit_*(time_budget=)`` does); reading the data and the baselines (scored first) come out of
            it, each fold given its share of what is left (at least half an equal share). What each fold's share
            allowed is in :attr:`Evaluation.budgets <trainwell.evaluate.Evaluation.budgets>`, and the table
            says how many folds it cut short.
        encoding: text encoding of the CoNLL files.
        encoding_errors: ``"replace"`` reads a byte ``encoding`` cannot decode as U+FFFD instead of stopping.

    Returns:
        An :class:`~trainwell.evaluate.Evaluation`: print it for the table ``trainwell evaluate`` prints.

    Example:
        >>> result = evaluate_tagger("ner/train.conll", cv=3)                          # doctest: +SKIP
        >>> result.interval("entity_f1"), result.interval("entity_f1", "window logistic")  # doctest: +SKIP
    """
    from trainwell.core.positional import refuse_extra_positional
    from trainwell.distributed.spread import spread_processes
    from trainwell.evaluate import fold_indices
    from trainwell.evaluate.evaluation import Evaluation, check_settings, time_spent
    from trainwell.evaluate.spread import cross_validate_spread
    from trainwell.text.tagging.data import tagging_data

    refuse_extra_positional("evaluate_tagger", extra, ("source",), ("tag_col", "cv"))
    fold_seconds = check_settings(cv, epochs, time_budget)
    # The whole file's task (classes, scheme): every fold is scored on the same tags.
    data = tagging_data(
        source,
        tag_col=tag_col,
        valid_pct=0,
        test=None,
        batch_size=32,
        encoding=encoding,
        encoding_errors=encoding_errors,
    )
    words = data.sentences["train"] + data.sentences.get("valid", [])  # type: ignore[index,union-attr]
    tags = data.tags["train"] + data.tags.get("valid", [])  # type: ignore[index,union-attr]
    pairs: Pairs = list(zip(words, tags, strict=True))
    splits = fold_indices(np.arange(len(pairs)), cv, seed, False, keyword="cv")
    metric_names = list(data.task.metric_names)
    fold = TaggingFold(pairs, data.task, metric_names, epochs=epochs, seed=seed)
    model, others = cross_validate_spread(
        fold,
        splits,
        seed=seed,
        baselines=(lambda some: tagging_baselines(pairs, data.task, some, metric_names))
        if baselines
        else None,
        processes=spread_processes(),
        fold_seconds=fold_seconds,
    )
    return Evaluation(
        data.task, len(pairs), model, others, fold.lrs, unit="sentences", spent=time_spent(fold_seconds)
    )
