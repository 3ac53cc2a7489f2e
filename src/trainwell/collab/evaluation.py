"""Cross-validation of a recommender on a ratings table, beside the baselines a recommender must beat:
:func:`evaluate_ratings`, what ``trainwell evaluate ratings.csv --user u --item i --target rating`` runs.

Each fold builds ``ratings_data`` from its own training rows (users and items are learned from them only, so a
validation user absent from a fold's training rows is scored as a new user) and trains exactly as
``trainwell fit --user --item`` does. Baselines on the same folds: the global mean rating, and user + item
biases (:class:`~trainwell.collab.baselines.BiasBaseline`): beating the second is what shows the model learned
whose taste matches which item.

Implicit feedback (no rating column) is cross-validated over users, as ``trainwell fit`` validates it: each
user's latest interaction is held out (:func:`~trainwell.collab.implicit.leave_one_out`), users are dealt into
``k`` folds, and fold ``f`` trains on every interaction except its own users' held-out ones, then ranks those
(hit@10, NDCG@10; ``k``: at another length, hit@5...). Every user is ranked once; the baselines, popularity and EASE, are fitted by each fold's
own run on the same training interactions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import torch

    from trainwell.data.task import Task
    from trainwell.evaluate import CVResult
    from trainwell.evaluate.evaluation import Evaluation, OneStepFold


@dataclass(frozen=True)
class FitSettings:
    """What :func:`evaluate_ratings` passes on to each fold's :func:`~trainwell.collab.fit_ratings`: the
    architecture and the settings fit takes beside it (``None``: fit's default)."""

    arch: str = "dot_bias"
    n_factors: int = 50
    lr: float | None = None
    wd: float | None = None

    def keywords(self) -> dict[str, Any]:
        return {"arch": self.arch, "n_factors": self.n_factors, "lr": self.lr, "wd": self.wd}


def built_arch(learn: Any, asked: str) -> str:
    """The registered architecture ``learn``'s model was built as (what was ``asked`` for, where it keeps none)."""
    spec = getattr(learn, "model_spec", None) or {}
    return str(spec.get("name", asked))


def check_arch(arch: str, implicit: bool) -> None:
    """Refuse an architecture that is no recommender, or EASE for ratings, before any fold trains."""
    from trainwell.core.errors import ConfigError
    from trainwell.models.registry import list_models, models

    names = [name for name in list_models() if models.entry(name).metadata.get("application") == "collab"]
    if arch not in names:
        raise ConfigError.worded(
            lambda say: (
                f"{say('arch', arch)} is not a recommender's architecture; use one of: {', '.join(names)}"
            )
        )
    if arch == "ease" and not implicit:
        raise ConfigError.worded(
            lambda say: (
                f"{say('arch', 'ease')} ranks items from interactions (implicit feedback) and cannot predict "
                f"ratings; pass {say('implicit', True)}, or choose dot_bias for ratings"
            )
        )


@dataclass
class RatingsFold:
    """A fold function for :func:`trainwell.evaluate.cross_validate` that trains a recommender."""

    frame: pd.DataFrame
    columns: tuple[str, str, str]
    task: Task
    metric_names: Sequence[str]
    epochs: int | None = None
    seed: int = 0
    #: The model and its settings, as :func:`~trainwell.collab.fit_ratings` takes them.
    settings: FitSettings = field(default_factory=FitSettings)
    #: Whether each fold also ranks every user's unseen items for its top-N lists (:func:`fold_lists`): a pass
    #: over users x items of its own, beside the validation ratings' one an epoch.
    top_n: bool = True
    #: Places in each fold's top-N lists (``evaluate_ratings(k=)``).
    k: int = 10
    #: The fields it appends to once per fold, gathered from every process under torchrun (evaluate.spread).
    per_fold: ClassVar[tuple[str, ...]] = ("lrs", "predictions", "archs", "lists")
    lrs: list[float] = field(default_factory=list)
    predictions: list[tuple[np.ndarray, torch.Tensor, torch.Tensor]] = field(default_factory=list)
    #: The architecture each fold's learner built.
    archs: list[str] = field(default_factory=list)
    #: Each fold's top-N lists of the model and of popularity on its validation rows (:func:`fold_lists`), in
    #: fold order; ``None`` for a fold where no user could be judged.
    lists: list[dict[str, Any] | None] = field(default_factory=list)

    def __call__(self, train: np.ndarray, valid: np.ndarray, fold: int) -> dict[str, float]:
        from trainwell.collab.pipeline import fit_ratings
        from trainwell.evaluate import score
        from trainwell.learner.kept_predictions import validation_predictions

        user, item, rating = self.columns
        run = fit_ratings(
            self.frame,
            user=user,
            item=item,
            rating=rating,
            epochs=self.epochs,
            seed=self.seed + fold,
            task=self.task.kind,
            splits=(train.tolist(), valid.tolist()),
            progress=False,
            fold_in=False,  # the fold's model is scored on its validation rows and dropped
            **self.settings.keywords(),
        )
        preds, targets = validation_predictions(
            run.learn
        )  # the fold's last validation pass's, not a new pass
        self.lrs.append(float(run.lr))
        self.predictions.append((valid, preds, targets))
        self.archs.append(built_arch(run.learn, self.settings.arch))
        from trainwell.collab.evaluation_lists import fold_lists

        if self.top_n:
            self.lists.append(
                fold_lists(run.learn.predictor(), self.frame.iloc[valid], self.seed + fold, k=self.k)
            )
        return score(preds, targets, self.task.kind, self.metric_names)


def ratings_baselines(
    frame: pd.DataFrame,
    columns: tuple[str, str, str],
    task: Task,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    metric_names: Sequence[str],
) -> dict[str, CVResult]:
    """The global mean and user + item biases, fold for fold (for a liked/disliked task: the positive rate)."""
    import torch

    from trainwell.collab.baselines import BiasBaseline
    from trainwell.evaluate import CVResult, score

    user, item, rating = columns
    targets = task.encode(frame[rating])
    values = targets.double().numpy()
    users, items = frame[user].to_numpy(), frame[item].to_numpy()
    results: dict[str, list[dict[str, float]]] = {"global mean": [], "user + item biases": []}
    for train, valid in splits:
        mean = np.full(len(valid), values[train].mean())
        biases = BiasBaseline.fit(users[train], items[train], values[train]).predict(
            users[valid], items[valid]
        )
        for name, predicted in (("global mean", mean), ("user + item biases", biases)):
            preds = torch.as_tensor(predicted, dtype=torch.float32)
            results[name].append(score(preds, targets[valid], task.kind, metric_names))
    return {name: CVResult(folds, list(splits)) for name, folds in results.items()}


#: The ranking measures an implicit-feedback fold reports, and the baselines whose history columns hold them.
RANKING_METRICS = ("hit@10", "ndcg@10")
RANKING_BASELINES = {"popularity": "popularity", "EASE": "ease"}


@dataclass
class ImplicitFold:
    """A fold function for :func:`trainwell.evaluate.cross_validate` that trains on interactions and ranks
    each validation user's held-out one; the run's own popularity and EASE rankings are kept as baselines."""

    frame: pd.DataFrame
    user: str
    item: str
    time: str | None
    epochs: int | None = None
    seed: int = 0
    #: The model and its settings, as :func:`~trainwell.collab.fit_ratings` takes them.
    settings: FitSettings = field(default_factory=FitSettings)
    #: Whether each fold also ranks every user's unseen items for its top-N lists (:func:`fold_lists`): a pass
    #: over users x items of its own, beside the validation ratings' one an epoch.
    top_n: bool = True
    #: The fields it appends to once per fold, gathered from every process under torchrun (evaluate.spread).
    per_fold: ClassVar[tuple[str, ...]] = ("lrs", "baselines", "ranked", "archs", "one_step")
    lrs: list[float] = field(default_factory=list)
    #: The architecture each fold's learner built.
    archs: list[str] = field(default_factory=list)
    baselines: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    #: Users each fold ranked: its held-out ones, less those whose item (or who) its training rows never saw.
    ranked: list[int] = field(default_factory=list)
    #: Under ``evaluate --time``: the folds whose EASE was solved in one step, which the budget does not cut, with
    #: what each took beside its share (the budget's line says it: no budgeted fit timed them).
    one_step: list[OneStepFold] = field(default_factory=list)
    #: Places in the top-N rankings each fold is judged by (``evaluate_ratings(k=)``, ``--k``): hit@k, ndcg@k.
    k: int = 10

    def __call__(self, train: np.ndarray, valid: np.ndarray, fold: int) -> dict[str, float]:
        from trainwell.collab.implicit import RankingMetrics, ranking_means
        from trainwell.collab.pipeline import fit_ratings
        from trainwell.evaluate.evaluation import OneStepFold

        run = fit_ratings(
            self.frame,
            user=self.user,
            item=self.item,
            implicit=True,
            time=self.time,
            epochs=self.epochs,
            seed=self.seed + fold,
            splits=(train.tolist(), valid.tolist()),
            progress=False,
            **self.settings.keywords(),
        )
        row = run.learn.history[-1]
        self.lrs.append(float(run.lr))
        self.archs.append(built_arch(run.learn, self.settings.arch))
        if run.budget is not None and getattr(
            run.learn.model, "closed_form", False
        ):  # counted by fit_ratings
            self.one_step.append(OneStepFold(fold, run.budget.used, run.budget.seconds, self.archs[-1]))
        rankings = [
            cb for cb in run.learn.callbacks if isinstance(cb, RankingMetrics) and "model" in cb.ranks
        ]
        self.ranked.append(len(rankings[0].ranks["model"]) if rankings else len(valid))
        k = self.k
        if rankings:  # each held-out item's place, for the model and the baselines: scored at any k
            ranks = rankings[0].ranks
            for name, suffix in RANKING_BASELINES.items():
                if suffix in ranks:
                    hits, gains = ranking_means(ranks[suffix], k)
                    self.baselines.setdefault(name, []).append({f"hit@{k}": hits, f"ndcg@{k}": gains})
            hits, gains = ranking_means(ranks["model"], k)
            return {f"hit@{k}": float(hits), f"ndcg@{k}": float(gains)}
        for name, suffix in RANKING_BASELINES.items():  # the history row's, ranked at 10 by the fit
            if all(f"{metric}_{suffix}" in row for metric in RANKING_METRICS):
                scores = {metric: float(row[f"{metric}_{suffix}"]) for metric in RANKING_METRICS}
                self.baselines.setdefault(name, []).append(scores)
        return {metric: float(row[metric]) for metric in RANKING_METRICS}


def user_folds(
    frame: pd.DataFrame, user: str, times: np.ndarray | None, k: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``k`` folds over users: fold ``f`` holds out the latest interaction of its users, trains on the rest.

    ``frame`` has one row per (user, item). Users with a single interaction are never held out (nothing would
    be left to learn them from), so they only train.

    Raises:
        DataError: Fewer users with two interactions than folds.
    """
    from trainwell.collab.implicit import leave_one_out
    from trainwell.core.errors import DataError
    from trainwell.data.categories import category_key

    users = frame[user].map(category_key).to_numpy()
    numbers = np.unique(users, return_inverse=True)[1]
    _, held = leave_one_out(numbers, times, seed)
    if len(held) < k:
        raise DataError.worded(
            lambda say: (
                f"only {len(held):,} users have two or more interactions, fewer than the {k} folds; pass "
                f"{say('cv', max(2, len(held)))} or less"
            )
        )
    rng = np.random.default_rng(seed)
    assignment = rng.permutation(len(held)) % k
    everything = np.arange(len(frame))
    folds = []
    for fold in range(k):
        valid = np.sort(held[assignment == fold])
        folds.append((np.setdiff1d(everything, valid, assume_unique=True), valid))
    return folds


def evaluate_interactions(
    frame: pd.DataFrame,
    user_col: str,
    item_col: str,
    *,
    cv: int,
    seed: int,
    epochs: int | None,
    baselines: bool,
    source: str,
    time: str | None = None,
    fold_seconds: float | None = None,
    settings: FitSettings | None = None,
    k: int = 10,
) -> Evaluation:
    """Cross-validate an implicit-feedback recommender over users (see the module docstring); with
    ``fold_seconds``, each fold trains within them; ``settings``: the model, as ``fit_ratings`` takes it; ``k``:
    the places each fold's ranking is judged at (hit@k, ndcg@k)."""
    from trainwell.collab.data import interaction_times, latest_per_pair, ratings_data
    from trainwell.data.task import Task
    from trainwell.distributed.spread import spread_processes
    from trainwell.evaluate import CVResult
    from trainwell.evaluate.evaluation import Evaluation, time_spent
    from trainwell.evaluate.spread import cross_validate_spread

    # The whole table through the builder once: every check (missing ids...) before any fold.
    ratings_data(frame, user=user_col, item=item_col, implicit=True, time=time)
    times = interaction_times(frame, user_col, item_col, time, source)
    keep = latest_per_pair(frame, user_col, item_col, times)
    frame = frame.iloc[keep].reset_index(drop=True)
    times = None if times is None else times[keep]
    splits = user_folds(frame, user_col, times, cv, seed)
    fold = ImplicitFold(
        frame, user_col, item_col, time, epochs=epochs, seed=seed, settings=settings or FitSettings(), k=k
    )
    # the baselines come with each fold's run
    model, _ = cross_validate_spread(
        fold, splits, seed=seed, processes=spread_processes(), fold_seconds=fold_seconds
    )
    others = (
        {name: CVResult(folds, list(splits)) for name, folds in fold.baselines.items()} if baselines else {}
    )
    task = Task("binary", (0, 1), ("interaction",))
    held = sum(len(valid) for _, valid in splits)
    ranked = sum(fold.ranked)
    # A held-out item no other user chose is unknown to its fold's training rows: that user is not ranked.
    unranked = (
        f" ({held - ranked:,} more held out, on items their fold never trained on)" if ranked < held else ""
    )
    subject = f"implicit feedback: {len(frame):,} interactions, {ranked:,} users ranked once each{unranked}"
    return Evaluation(
        task,
        len(frame),
        model,
        others,
        fold.lrs,
        subject=subject,
        archs=fold.archs,
        one_step=fold.one_step,
        spent=time_spent(fold_seconds),
    )


def evaluate_ratings(
    source: pd.DataFrame | str | Path,
    rating: str | None = None,
    *extra: Any,
    user: str | None = None,
    item: str | None = None,
    target: str | None = None,
    implicit: bool = False,
    cv: int = 5,
    seed: int = 0,
    epochs: int | None = None,
    lr: float | None = None,
    arch: str = "dot_bias",
    n_factors: int = 50,
    wd: float | None = None,
    baselines: bool = True,
    task: str | None = None,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    names: Sequence[str] | None = None,
    time_budget: float | str | None = None,
    metrics: Sequence[str] | None = None,
    time: str | None = None,
    k: int = 10,
) -> Evaluation:
    """Cross-validate the recommender and the rating baselines on the same ``cv`` folds (random, or with
    ``time`` each user's latest ratings held out), and the model's top-10 lists against popularity's on them; a
    table without ratings (or ``implicit``) is cross-validated over users by ranking (:func:`evaluate_interactions`).

    Args:
        source: the ratings: a DataFrame, or a CSV / TSV / Parquet file (MovieLens' ``u.data`` too).
        rating: the column to predict; second by position, as ``evaluate_table``'s target is
            (``evaluate_ratings(df, "stars", user="user", item="movie")``; the rest by keyword).
        user, item: the columns (default, and the rating's: found by name, as :func:`~trainwell.ratings_data` finds them).
        target: another name for ``rating``, as the other pipelines and the command line's ``--target`` call the
            column to predict (as ``fit_ratings`` takes it); naming both differently is refused.
        implicit: read each row as an interaction (plays, clicks) and rank (hit@k, NDCG@k).
        cv: number of folds, at least 2.
        seed: seeds the folds and every model.
        epochs: passes per fold (default: chosen from the fold's size, as ``fit_ratings`` does).
        lr, wd: the peak learning rate and weight decay (default: those measured on MovieLens, as
            ``fit_ratings`` takes them).
        arch: the model cross-validated, as ``fit_ratings(arch=)`` takes it: ``"dot_bias"`` (matrix
            factorisation with biases), ``"collab_nn"``, or ``"ease"`` for interactions. Each fold's is in
            ``Evaluation.archs``.
        n_factors: the width of ``dot_bias``'s factors.
        baselines: also cross-validate the baselines (the global mean and user + item biases; popularity and
            EASE for interactions).
        task: override the inferred task of the ratings (``regression`` or ``binary``).
        encoding: text encoding of a CSV / TSV ``source``.
        encoding_errors: ``"replace"`` reads a byte ``encoding`` cannot decode as U+FFFD instead of stopping.
        names: the names of every column, in order, of a CSV/TSV ``source`` without a header row.
        time_budget: training time of the whole cross-validation: seconds, or ``"10m"``, ``"1h30m"``... Each of
            the ``cv`` folds trains within its share (the epochs cut and the schedule fitted to them, as
            ``fit_*(time_budget=)`` does); reading the data and the baselines (scored first) come out of
            it, each fold given its share of what is left (at least half an equal share). What each fold's share
            allowed is in :attr:`Evaluation.budgets <trainwell.evaluate.Evaluation.budgets>`, and the table
            says how many folds it cut short.
        time: the column saying when each rating was made (numbers or dates; ``--time-col``): the folds hold out
            each user's latest 20% of their ratings, the users dealt into the folds
            (:func:`~trainwell.collab.evaluation_lists.time_folds`), as ``fit_ratings(time=)`` validates; interactions:
            each user's latest is the one held out. Default: random folds (interactions: the column named like a time).
        k: places in each fold's top-N lists of ratings (``--k``): the lists' table is named at it (``ndcg@5``,
            ``hit@5``), with precision@k, recall@k and MRR@k said under it. Interactions: each held-out interaction's
            place is judged by hit@k and NDCG@k, the model's and the baselines'.
        metrics: the metrics to score the model and the baselines by (``--metric``; default the task's; not for interactions, ranked by their own), among
            :data:`~trainwell.evaluate.compare.EVALUATION_METRICS` for the task, e.g. ``["log_loss"]``.

    Returns:
        An :class:`~trainwell.evaluate.Evaluation`: print it for the table ``trainwell evaluate`` prints. For
        ratings, a :class:`~trainwell.collab.evaluation_lists.RatingsEvaluation`, whose ``lists`` holds the
        top-10 lists of the model and of popularity fold by fold.

    Example:
        >>> result = evaluate_ratings("ratings.csv", user="user", item="movie", rating="stars")  # doctest: +SKIP
        >>> result.mean("rmse"), result.mean("rmse", "user + item biases")                       # doctest: +SKIP
    """
    from trainwell.collab.data import (
        find_rating_columns,
        find_time_column,
        interaction_times,
        rating_or_target,
        ratings_data,
        ratings_source,
        read_ratings_named,
    )
    from trainwell.collab.evaluation_lists import (
        RatingsEvaluation,
        lists_evaluation,
        lists_said,
        split_line,
        time_folds,
    )
    from trainwell.core.errors import ConfigError
    from trainwell.core.positional import refuse_extra_positional
    from trainwell.distributed.spread import spread_processes
    from trainwell.evaluate import fold_indices
    from trainwell.evaluate.compare import evaluation_metrics
    from trainwell.evaluate.evaluation import check_settings, time_spent
    from trainwell.evaluate.spread import cross_validate_spread
    from trainwell.learner.run_files import check_fit_settings

    refuse_extra_positional("evaluate_ratings", extra, ("source", "rating"), ("user", "item"))
    from trainwell.collab.ranking import check_k

    check_k(k)
    rating = rating_or_target(rating, target)
    fold_seconds = check_settings(cv, epochs, time_budget)
    check_fit_settings(epochs, lr, None)
    settings = FitSettings(arch, n_factors, lr, wd)
    name = str(source) if not isinstance(source, pd.DataFrame) else "the ratings table"
    frame = (
        source
        if isinstance(source, pd.DataFrame)
        else read_ratings_named(ratings_source(source), names, encoding, encoding_errors)  # ml-100k/: u.data
    )
    user_col, item_col, rating_col = find_rating_columns(frame, user, item, rating, name, implicit=implicit)
    check_arch(arch, implicit=rating_col is None)
    if rating_col is None:
        if task is not None:
            raise ConfigError.worded(
                lambda say: (
                    f"{say('task', task)} is for ratings; interactions are ranked (drop {say('task')})"
                )
            )
        if metrics:
            raise ConfigError.worded(
                lambda say: (
                    f"{say('metrics')} is for ratings; interactions are ranked by hit@{k} and NDCG@{k} (drop "
                    f"{say('metrics')})"
                )
            )
        return evaluate_interactions(
            frame,
            user_col,
            item_col,
            cv=cv,
            seed=seed,
            epochs=epochs,
            baselines=baselines,
            source=name,
            time=time,
            fold_seconds=fold_seconds,
            settings=settings,
            k=k,
        )
    columns = (user_col, item_col, rating_col)
    # The whole table through the builder once: every check (missing ids, text ratings...) before any fold.
    resolved = ratings_data(frame, user=user_col, item=item_col, rating=rating_col, task=task).task
    if time is None:
        splits = fold_indices(np.zeros(len(frame)), cv, seed, False, keyword="cv")
    else:
        times = interaction_times(frame, user_col, item_col, time, name)
        assert times is not None  # a time column was named: checked and read
        splits = time_folds(frame[user_col], times, cv, seed)
    found_time = None if time is not None else find_time_column(frame, list(columns))
    metric_names = evaluation_metrics(metrics, resolved)
    fold = RatingsFold(
        frame, columns, resolved, metric_names, epochs=epochs, seed=seed, settings=settings, k=k
    )
    model, others = cross_validate_spread(
        fold,
        splits,
        seed=seed,
        baselines=(lambda some: ratings_baselines(frame, columns, resolved, some, metric_names))
        if baselines
        else None,
        processes=spread_processes(),
        fold_seconds=fold_seconds,
    )
    lists, precision = lists_evaluation(fold.lists, splits, seed, k=k)
    return RatingsEvaluation(
        resolved,
        len(frame),
        model,
        others,
        fold.lrs,
        predictions=fold.predictions,
        archs=fold.archs,
        spent=time_spent(fold_seconds),
        lists=lists,
        split=split_line(time, cv, found_time),
        list_precision=precision,
        k=k,
        list_said=lists_said(fold.lists, k) if lists is not None else {},
    )
