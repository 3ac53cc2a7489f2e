"""Cross-validation of the text classifier on a table of labelled texts, beside classical text baselines:
:func:`evaluate_texts`, what ``trainwell evaluate data.csv --text review --target label`` runs.

Each fold builds ``text_data`` from its own training rows (the vocabulary and n-gram buckets are fitted on
them only) and trains exactly as :func:`~trainwell.text.pipeline.fit_texts` does. Baselines on the same folds:
the majority class and TF-IDF (words and bigrams) + logistic regression, the usual strong linear baseline for
text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np

from trainwell.core.threads import sklearn_threads
from trainwell.text.fields import joined, text_columns

if TYPE_CHECKING:
    import pandas as pd
    import torch

    from trainwell.data.task import Task
    from trainwell.evaluate import CVResult
    from trainwell.evaluate.evaluation import Evaluation


#: The TF-IDF + logistic regression baseline: words and bigrams, for one label per text and per label alike.
TFIDF: dict[str, Any] = {"ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True}
LOGISTIC: dict[str, Any] = {"C": 4.0, "max_iter": 1000}
#: The TF-IDF + ridge baseline of a regression (IMDB's 1-10 ratings, 25,000 training reviews, 5,000 test ones:
#: RMSE 2.02 at alpha 1, 2.11 at 3).
RIDGE: dict[str, Any] = {"alpha": 1.0}


@dataclass
class TextFold:
    """A fold function for :func:`trainwell.evaluate.cross_validate` that trains a text classifier."""

    frame: pd.DataFrame
    text_col: str | list[str]
    target: str | list[str]
    task: Task
    metric_names: Sequence[str]
    arch: str = "fast"
    epochs: int | None = None
    seed: int = 0
    label_delim: str | None = None
    #: Names for the labels as the data writes them (``label_names=`` of ``fit_texts``), given every fold's fit.
    label_names: Any = None
    lr: float | None = None
    arch_config: dict[str, Any] | None = None
    #: More :func:`~trainwell.text.text_classifier_learner` settings, as ``fit_texts(learner_kwargs=)`` takes them.
    learner_kwargs: dict[str, Any] | None = None
    #: The fields it appends to once per fold, gathered from every process under torchrun (evaluate.spread).
    per_fold: ClassVar[tuple[str, ...]] = ("vocabularies", "lrs", "predictions", "archs", "thresholds")
    #: Binary targets (``decision_threshold=``): the metric each fold chooses its decision threshold for, on a
    #: fifth of its training texts held out from a fit on the rest, or the threshold itself; ``None``: 0.5.
    decision: str | float | None = None
    #: With ``decision``: the threshold each fold's model decided at.
    thresholds: list[float] = field(default_factory=list)
    #: Per fold: the vocabulary fitted on that fold's training texts (proof of no leakage across folds).
    vocabularies: list[frozenset[str]] = field(default_factory=list)
    lrs: list[float] = field(default_factory=list)
    predictions: list[tuple[np.ndarray, torch.Tensor, torch.Tensor]] = field(default_factory=list)
    #: The registered architecture each fold's learner built (``"fast"`` is ``ngram_bag``).
    archs: list[str] = field(default_factory=list)
    #: With grouped folds: each text's group; the fifth a fold's threshold is chosen on then holds whole groups.
    groups: np.ndarray | None = field(default=None, repr=False)

    def __call__(self, train: np.ndarray, valid: np.ndarray, fold: int) -> dict[str, float]:
        from trainwell.evaluate.evaluation import decided_scores
        from trainwell.learner.kept_predictions import validation_predictions

        threshold = self._threshold(train, fold)
        run = self._fit(train, valid, fold)
        preds, targets = validation_predictions(
            run.learn
        )  # the fold's last validation pass's, not a new pass
        self.vocabularies.append(frozenset(run.data.recipe.vocab))  # type: ignore[union-attr]
        self.lrs.append(float(run.lr))
        self.predictions.append((valid, preds, targets))
        self.archs.append(str((run.learn.model_spec or {}).get("name", self.arch)))
        if threshold is not None:
            self.thresholds.append(threshold)
        return decided_scores(preds, targets, self.task, self.metric_names, threshold)

    def _threshold(self, train: np.ndarray, fold: int) -> float | None:
        """The fold's decision threshold (``None`` without ``decision``): the number given, or the one of best
        ``decision`` on a fifth of the fold's training texts, answered by a model fitted on the other four fifths
        as the fold's is fitted: never on the texts the fold is scored on."""
        from trainwell.evaluate.evaluation import held_out_threshold, inner_rows
        from trainwell.learner.kept_predictions import validation_predictions

        if not isinstance(self.decision, str):
            return self.decision
        inner_train, inner_valid = inner_rows(train, self.seed + fold, self.groups)
        preds, targets = validation_predictions(self._fit(inner_train, inner_valid, fold).learn)
        assert targets is not None
        return held_out_threshold(preds, targets, self.decision)

    def _fit(self, train: np.ndarray, valid: np.ndarray, fold: int) -> Any:
        """``fit_texts`` on the texts at ``train``, validated on those at ``valid``. A multi-label fold's model
        that does not beat a trivial answer is said once for every fold (:func:`label_folds_warning`), not once a
        fold with the advice of ``tune_thresholds=True``, which the folds leave out so that every model and
        baseline decides at 0.5."""
        import warnings

        from trainwell.metrics.label_baselines import BaselineNotBeaten

        if self.task.kind != "multilabel":
            return self._fit_texts(train, valid, fold)
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="the model's decisions do not beat", category=BaselineNotBeaten
            )
            run = self._fit_texts(train, valid, fold)
        said = _label_baseline_words(run.learn)
        from trainwell.evaluate.cv import FoldVerdict, keep_fold_verdict

        verdict = FoldVerdict(label_folds_warning, {"said": said, "fold": fold + 1})
        if not keep_fold_verdict(verdict) and said is not None:  # outside a cross-validation: this fold's
            from trainwell.core.warn import warn

            warn(label_folds_warning([verdict]) or BaselineNotBeaten(said))
        return run

    def _fit_texts(self, train: np.ndarray, valid: np.ndarray, fold: int) -> Any:
        from trainwell.text.pipeline import fit_texts

        return fit_texts(
            self.frame,
            text_col=self.text_col,
            target=self.target,
            arch=self.arch,
            epochs=self.epochs,
            lr=self.lr,
            arch_config=self.arch_config,
            learner_kwargs=self.learner_kwargs,
            seed=self.seed + fold,
            task=self.task.kind,
            splits=(train.tolist(), valid.tolist()),
            label_delim=self.label_delim,
            label_names=self.label_names,
            # Multi-label: every model decides at 0.5 here, so that F1 compares like with like.
            tune_thresholds=False,
            progress=False,
        )


def _label_baseline_words(learn: Any) -> str | None:
    """What a multi-label fold's model falls short of (``the model's decisions do not beat a trivial answer: f1
    0.0045 against 0.0310 for answering every label on every row``), every label decided at 0.5; ``None`` when
    it beats every trivial answer."""
    from trainwell.learner.kept_predictions import validation_predictions
    from trainwell.learner.label_thresholds import label_baseline_shortfall

    if not learn.history or learn.data.valid is None:
        return None
    warning = label_baseline_shortfall(learn, validation_predictions(learn)[1], thresholds_tuned=False)
    if warning is None:
        return None
    head = str(warning).split(": ", 1)[1]  # what falls short of what, before the advice
    for advice in (
        "; it has learned",
        ": every label is decided",
        ": the per-label thresholds",
        ": train longer",
    ):
        head = head.split(advice)[0]
    return head


def label_folds_warning(verdicts: list[Any]) -> Warning | None:
    """The one :class:`~trainwell.metrics.label_baselines.BaselineNotBeaten` a multi-label cross-validation says
    of its folds' models whose decisions do not beat a trivial answer (each fold's words kept by
    :meth:`TextFold._fit`), with what to do: train longer. Per-label thresholds are not the advice here: every fold
    decides at 0.5, as the baselines do, so that they compare alike.

    Example:
        >>> from trainwell.evaluate.cv import FoldVerdict
        >>> said = "f1 0.0045 against 0.0310 for answering every label on every row"
        >>> folds = [FoldVerdict(label_folds_warning, {"said": said if n > 1 else None, "fold": n}) for n in (1, 2, 3)]
        >>> str(label_folds_warning(folds))[:100]
        "2 of 3 folds' models' decisions do not beat a trivial answer (fold 2: f1 0.0045 against 0.0310 for a"
    """
    from trainwell.metrics.label_baselines import BaselineNotBeaten

    failed = [verdict.details for verdict in verdicts if verdict.details["said"] is not None]
    if not failed:
        return None
    first = failed[0]
    head = (
        f"{len(failed)} of {len(verdicts)} folds' models' decisions do not beat a trivial answer (fold "
        f"{first['fold']}: {first['said']}); every fold decides each label at 0.5, as the baselines do, so that "
        "they compare alike, and rare labels seldom reach it: train longer"
    )
    warning = BaselineNotBeaten(
        f"{head} (more epochs). A model fitted with fit_texts chooses per-label thresholds (tune_thresholds=True, "
        "its default), which lift its F1"
    )
    warning.command_line = (  # type: ignore[attr-defined]
        f"{head} (--epochs). A model fitted with trainwell fit chooses per-label thresholds (unless "
        "--no-label-thresholds), which lift its F1"
    )
    return warning


def text_baselines(
    texts: Sequence[str],
    labels: Any,
    task: Task,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    metric_names: Sequence[str],
) -> dict[str, CVResult]:
    """Majority class (label priors) and TF-IDF + logistic regression (one per label), fold for fold."""
    import torch
    from sklearn.dummy import DummyClassifier
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    encoded = task.encode(labels)
    corpus = np.asarray(texts, dtype=object)
    if task.kind == "multilabel":
        return _multilabel_text_baselines(corpus, encoded, task, splits, metric_names)
    if task.kind == "regression":
        return _regression_text_baselines(corpus, encoded, task, splits, metric_names)
    y = encoded.long().numpy()
    makers = {
        "majority class": lambda: DummyClassifier(strategy="most_frequent"),
        "tf-idf + logistic": lambda: make_pipeline(TfidfVectorizer(**TFIDF), LogisticRegression(**LOGISTIC)),
    }

    def answer(model: Any, texts: np.ndarray, _train: np.ndarray) -> torch.Tensor:
        probabilities = torch.as_tensor(model.predict_proba(texts), dtype=torch.float32)
        full = torch.zeros(len(texts), task.n_outputs if task.kind == "multiclass" else 2)
        full[:, torch.as_tensor(model.classes_)] = probabilities
        return full[:, 1] if task.kind == "binary" else full

    # the majority class's intervals come from its rows (see RowBootstrapCVResult)
    return _baselines_by_fold(makers, corpus, y, encoded, task, splits, metric_names, answer)


def _regression_text_baselines(
    corpus: np.ndarray,
    encoded: torch.Tensor,
    task: Task,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    metric_names: Sequence[str],
) -> dict[str, CVResult]:
    """The training folds' mean, and TF-IDF (words and bigrams) + ridge regression, fold for fold; the ridge's
    answers kept within the training range, as the model's are (:class:`~trainwell.models.layers.TargetScale`)."""
    import torch
    from sklearn.dummy import DummyRegressor
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline

    y = encoded.float().reshape(len(encoded), -1).numpy()
    makers = {
        "mean": lambda: DummyRegressor(strategy="mean"),
        "tf-idf + ridge": lambda: make_pipeline(TfidfVectorizer(**TFIDF), Ridge(**RIDGE)),
    }

    def answer(model: Any, texts: np.ndarray, train: np.ndarray) -> torch.Tensor:
        answers = np.asarray(model.predict(texts)).reshape(len(texts), -1)
        clipped = np.clip(answers, y[train].min(0), y[train].max(0))
        return torch.as_tensor(clipped, dtype=torch.float32).reshape(len(texts), *encoded.shape[1:])

    return _baselines_by_fold(
        makers, corpus, y if y.shape[1] > 1 else y[:, 0], encoded, task, splits, metric_names, answer
    )


def _baselines_by_fold(
    makers: Mapping[str, Callable[[], Any]],
    corpus: np.ndarray,
    y: np.ndarray,
    encoded: torch.Tensor,
    task: Task,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    metric_names: Sequence[str],
    answer: Callable[[Any, np.ndarray, np.ndarray], torch.Tensor],
) -> dict[str, CVResult]:
    """Each of ``makers``' models fitted on each fold's training texts (``y``: their targets as scikit-learn takes
    them) and scored on its validation texts by what ``answer(model, texts, training rows)`` predicts."""
    from trainwell.evaluate import score
    from trainwell.evaluate.baselines import baseline_result

    results: dict[str, list[dict[str, float]]] = {name: [] for name in makers}
    out_of_fold: dict[str, list[Any]] = {name: [] for name in makers}
    for train, valid in splits:
        for name, make in makers.items():
            model = make()
            with sklearn_threads():  # the cores left free (BLAS threads crawl beside other work)
                model.fit(corpus[train], y[train])
                preds = answer(model, corpus[valid], train)
            results[name].append(score(preds, encoded[valid], task.kind, metric_names, task.target_names))
            out_of_fold[name].append((valid, preds, encoded[valid]))
    return {
        name: baseline_result(name, folds, splits, out_of_fold[name], task.kind, task.target_names)
        for name, folds in results.items()
    }


def _multilabel_text_baselines(
    corpus: np.ndarray,
    encoded: torch.Tensor,
    task: Task,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    metric_names: Sequence[str],
) -> dict[str, CVResult]:
    """Label priors, and TF-IDF (fitted once per fold) with one logistic regression per label."""
    import torch
    from sklearn.dummy import DummyClassifier
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from trainwell.evaluate import score
    from trainwell.evaluate.baselines import PerLabel, baseline_result

    y = encoded.long().numpy()
    results: dict[str, list[dict[str, float]]] = {"label priors": [], "tf-idf + logistic": []}
    out_of_fold: dict[str, list[Any]] = {name: [] for name in results}
    for train, valid in splits:
        vectorizer = TfidfVectorizer(**TFIDF)
        train_matrix = vectorizer.fit_transform(corpus[train])
        valid_matrix = vectorizer.transform(corpus[valid])
        for name, model in (
            ("label priors", PerLabel(DummyClassifier(strategy="prior"))),
            ("tf-idf + logistic", PerLabel(LogisticRegression(**LOGISTIC))),
        ):
            with sklearn_threads():
                model.fit(train_matrix, y[train])
                preds = torch.from_numpy(model.predict_proba(valid_matrix))
            results[name].append(score(preds, encoded[valid], task.kind, metric_names, task.target_names))
            out_of_fold[name].append((valid, preds, encoded[valid]))
    return {
        name: baseline_result(name, folds, splits, out_of_fold[name], task.kind, task.target_names)
        for name, folds in results.items()
    }


def _folder_texts(
    folder: Path,
    text_col: str | Sequence[str] | None,
    target: str | Sequence[str] | None,
    encoding: str,
    encoding_errors: Literal["strict", "replace"],
) -> tuple[pd.DataFrame, str]:
    """A folder of texts (``<label>/*.txt``, or ``train/`` beside ``valid/`` and ``test/``) as the table to
    cross-validate: its training and validation texts, a class folder of unlabelled texts (``unsup``) and the
    ``test/`` split left out, blank files dropped with a warning."""
    from trainwell.text._folders import check_folder_columns, labelled_classes, read_text_folder

    check_folder_columns(text_col, target)
    frame, _test = read_text_folder(
        folder,
        classes=labelled_classes(folder),
        encoding=encoding,
        encoding_errors=encoding_errors,
        drop_empty=True,
    )
    return frame.drop(columns="is_valid", errors="ignore"), "label"


def _labelled_texts(
    source: pd.DataFrame | str | Path,
    text_col: str | Sequence[str] | None,
    target: str | Sequence[str] | None,
    task: str | None,
    label_delim: str | None,
    encoding: str,
    encoding_errors: Literal["strict", "replace"],
    names: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, list[str], Any, Task, list[str]]:
    """The table of ``source``, its label columns' names, its labels (a column, or several 0/1 columns for
    multi-label targets), their task and the text columns, refusing a missing column or a task that is not
    classification."""
    from trainwell.core.errors import ConfigError, DataError
    from trainwell.text.data import labels_task
    from trainwell.text.table import read_text_table

    what = str(source) if isinstance(source, str | Path) else "the table"
    if (
        target is None
        and text_col in (None, "text")
        and isinstance(source, str | Path)
        and not Path(source).is_dir()
    ):
        from trainwell.text._fasttext import is_fasttext_file

        if is_fasttext_file(source):  # __label__pos a great film: its labels, as text_data reads them
            target = "label"
    if isinstance(source, str | Path) and Path(source).is_dir():
        frame, target = _folder_texts(Path(source), text_col, target, encoding, encoding_errors)
    elif target is None:
        raise ConfigError("evaluate_texts needs target=: the label column (--target NAME)")
    else:
        named = "text" if text_col is None else text_col
        written = [named] if isinstance(named, str) else list(named)  # codes such as 00123 are texts
        frame = read_text_table(
            source, what, encoding=encoding, encoding_errors=encoding_errors, names=names, as_written=written
        )
    from trainwell.data.targets import target_names

    targets = target_names(target)
    if (
        text_col is None
    ):  # 'text', else the one column of free text (SST-2's 'sentence'), as text_data finds it
        from trainwell.text._text_column import found_text_col

        text_col = found_text_col(frame, targets, None, what)
    columns = text_columns(text_col, frame.columns)
    absent = [
        (keyword, wanted)
        for keyword, wanted in (
            *(("text_col", name) for name in columns),
            *(("target", name) for name in targets),
        )
        if wanted not in frame.columns
    ]
    if absent:
        keyword, wanted = absent[0]
        from trainwell.data.io import did_you_mean

        close = did_you_mean([wanted], [str(column) for column in frame.columns])
        raise DataError.worded(
            lambda say: (
                f"{say(keyword, wanted)} is not a column of {what}{close}; columns are: "
                f"{', '.join(map(str, list(frame.columns)[:20]))}"
            )
        )
    labels = frame[targets[0]] if len(targets) == 1 else frame[targets]  # several 0/1 columns: multi-label
    resolved = labels_task(labels, task, label_delim, targets[0])  # as fit_texts reads them
    return frame, targets, labels, resolved, columns


def evaluate_texts(
    source: pd.DataFrame | str | Path,
    target: str | Sequence[str] | None = None,
    *extra: Any,
    text_col: str | Sequence[str] | None = None,
    cv: int = 5,
    seed: int = 0,
    epochs: int | None = None,
    lr: float | None = None,
    arch: str = "fast",
    arch_config: dict[str, Any] | None = None,
    learner_kwargs: dict[str, Any] | None = None,
    groups: str | Sequence[Any] | np.ndarray | pd.Series | None = None,
    baselines: bool = True,
    task: str | None = None,
    label_delim: str | None = None,
    encoding: str = "utf-8",
    encoding_errors: Literal["strict", "replace"] = "strict",
    time_budget: float | str | None = None,
    names: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    progress: bool = True,
    decision_threshold: str | float | None = None,
    label_names: Any = None,
) -> Evaluation:
    """Cross-validate the text classifier and the text baselines on the same ``cv`` folds.

    Each fold fits its vocabulary on its own training texts and trains as :func:`~trainwell.fit_texts` does; the
    majority class and TF-IDF + logistic regression run on the same folds. Under ``torchrun`` the folds are
    shared out over the processes, with the same numbers.

    Args:
        source: the labelled texts: a DataFrame, a CSV / TSV / Parquet / JSON-lines file, or a folder of texts
            (``<label>/*.txt``, or ``train/<label>/`` beside ``valid/`` and ``test/``, IMDB's layout: its
            training and validation texts are cross-validated, its ``test/`` and a class folder of unlabelled
            texts such as ``unsup`` left out).
        text_col: the column holding the texts, or several (a pair of sentences; see
            :func:`~trainwell.text.text_data`). Left out: ``text``, else the table's column of free text, found
            and said as ``text_data`` does.
        target: the label column, or several 0/1 label columns (multi-label); a folder's labels are its class
            folders' names. Second by position, as in ``fit_texts`` and ``evaluate_table``:
            ``evaluate_texts(df, "sentiment", text_col="review")``; everything after it is given by keyword.
        cv: number of folds, at least 2 (stratified for one label per text; label sets and numbers are split at
            random).
        seed: seeds the folds and every model.
        epochs: passes per fold (default: chosen from the fold's size, as ``fit_texts`` does).
        lr: the peak learning rate (default: the architecture's, as ``fit_texts`` takes it).
        arch: the model cross-validated, as ``fit_texts(arch=)`` takes it: ``"fast"`` (the n-gram bag) or a
            registered text architecture (``"awd_lstm"``, trained from scratch: a language model's encoder is
            ``fit_texts(pretrained=)``'s, which folds do not take). Each fold's is in ``Evaluation.archs``.
        arch_config, learner_kwargs: the architecture's settings (``{"hidden_size": 256}``) and more
            :func:`~trainwell.text.text_classifier_learner` ones (``wd``...), as ``fit_texts`` takes them.
        groups: grouped folds: a column of the table (``"author"``, ``"thread_id"``), or one value per row. The
            texts of a group are always validated together, never split across folds: several reviews of one
            author, several messages of one thread share words that give their label away, and folds that split
            them score the model on what it half saw. Class shares are kept as whole groups allow; the baselines
            use the same folds. A folder of texts has no column to group by, and is refused.
        baselines: also cross-validate the baselines.
        task: override the inferred task (``binary``, ``multiclass``, ``multilabel``, ``regression``); numbers,
            some not whole, are a regression (against the mean and TF-IDF + ridge regression), whole numbers
            classes, as :func:`~trainwell.text.text_data` reads them.
        label_delim: labels separated by this string in one cell make the task multi-label (``"drama|comedy"``).
        encoding: text encoding of a CSV / TSV / JSON-lines ``source``.
        encoding_errors: ``"replace"`` reads bytes not in ``encoding`` as U+FFFD instead of stopping.
        names: the names of every column, in order, of a CSV / TSV ``source`` without a header row.
        time_budget: training time of the whole cross-validation: seconds, or ``"10m"``, ``"1h30m"``... Each of
            the ``cv`` folds trains within its share (the epochs cut and the schedule fitted to them, as
            ``fit_*(time_budget=)`` does); reading the data and the baselines (scored first) come out of
            it, each fold given its share of what is left (at least half an equal share). What each fold's share
            allowed is in :attr:`Evaluation.budgets <trainwell.evaluate.Evaluation.budgets>`, and the table
            says how many folds it cut short.
        metrics: the metrics to score the model and the baselines by (``--metric``; default the task's), among
            :data:`~trainwell.evaluate.compare.EVALUATION_METRICS` for the task, e.g. ``["log_loss"]``.
        progress: say on standard error as each fold ends (``fold 2 of 5 done in 41s (1m 20s so far, about 2m
            left)``); ``False`` keeps the cross-validation quiet.
        decision_threshold: binary targets, as ``fit_texts`` takes it: a metric (``"f1"``...) for which each fold
            chooses its model's threshold on a fifth of its training texts, answered by a model fitted on the
            other four fifths (never on the texts it is scored on), or a threshold for every fold (``0.3``). The
            metrics of decisions are then at it; the baselines stay at 0.5.
        label_names: names for the labels as the data writes them, as ``fit_texts`` and
            :func:`~trainwell.text.text_data` take them (a list naming the labels 0, 1, 2 ..., ``{label: name}``,
            or a file of one name a line, GoEmotions' emotions.txt).

    Returns:
        An :class:`~trainwell.evaluate.Evaluation`: print it for the table ``trainwell evaluate`` prints.

    Example:
        >>> result = evaluate_texts("reviews.csv", "sentiment", text_col="review", cv=5)  # doctest: +SKIP
        >>> result.interval("f1"), result.interval("f1", "tf-idf + logistic")                     # doctest: +SKIP
    """
    from trainwell.core.errors import ConfigError
    from trainwell.core.positional import refuse_extra_positional
    from trainwell.distributed.spread import spread_processes
    from trainwell.evaluate import fold_indices
    from trainwell.evaluate.compare import evaluation_metrics
    from trainwell.evaluate.cv import grouped_by, row_groups
    from trainwell.evaluate.evaluation import Evaluation, check_settings, time_spent
    from trainwell.evaluate.spread import cross_validate_spread
    from trainwell.learner.run_files import check_fit_settings
    from trainwell.text.learner import resolve_arch

    refuse_extra_positional("evaluate_texts", extra, ("source", "target"), ("text_col",))
    fold_seconds = check_settings(cv, epochs, time_budget)
    from trainwell.learner.decision_threshold import check_decision_threshold, decision_threshold_setting

    decision = decision_threshold_setting(decision_threshold)
    check_fit_settings(
        epochs, lr, None
    )  # a bad lr or architecture stops here, before the baselines and the folds
    resolve_arch(arch)
    what = str(source) if isinstance(source, str | Path) else "the table"
    if groups is not None and isinstance(source, str | Path) and Path(source).is_dir():
        raise ConfigError.worded(
            lambda say: (
                f"{say('groups')} needs a column to group the texts by, and the folder '{source}' has none: list "
                f"the texts in a CSV with their label and group columns and pass {say('text_col')}, "
                f"{say('target')} and {say('groups')} with its column"
            )
        )
    frame, targets, labels, resolved, columns = _labelled_texts(
        source, text_col, target, task, label_delim, encoding, encoding_errors, names
    )
    if (
        label_names is not None
    ):  # GoEmotions' ids named by its emotions.txt, as fit_texts(label_names=) names them
        from trainwell.data.task import name_labels

        resolved = name_labels(resolved, label_names)
    check_decision_threshold(decision, resolved)  # before any fold: binary targets only
    stratified = resolved.kind in ("binary", "multiclass")
    keys = (
        frame[targets].astype(str).agg("|".join, axis=1)
        if len(targets) > 1
        else frame[targets[0]].astype(str)
    )
    group_of_row = row_groups(groups, frame, np.ones(len(frame), dtype=bool), what)
    splits = fold_indices(keys.to_numpy(), cv, seed, stratified, keyword="cv", groups=group_of_row)
    grouped = grouped_by(groups, group_of_row)
    from trainwell.text._checks import warn_validation_inside_training

    # Folds drawn at random over pieces of the same texts (SST-2's phrases) flatter every model alike: said once.
    texts_of = joined(frame, columns, str(source) if isinstance(source, str | Path) else "the table")
    first_train, first_valid = splits[0]
    warn_validation_inside_training(
        texts_of.iloc[first_train].tolist(),
        texts_of.iloc[first_valid].tolist(),
        str(source) if isinstance(source, str | Path) else "the table",
        seed,
        fix=(
            "folds drawn at random cannot keep the pieces of one text together: group the folds by a column the "
            "pieces share (the text they were cut from) with --groups COLUMN (Python: groups=), or judge the model "
            "on whole texts held out in a file of their own (report --data)"
            if grouped is None
            else f"the folds grouped by {grouped[0]} still split the pieces of one text: group them by a column "
            "the pieces share (the text they were cut from), or judge the model on whole texts held out in a file of "
            "their own (report --data)"
        ),
    )
    metric_names = evaluation_metrics(metrics, resolved)
    fold = TextFold(
        frame,
        columns[0] if len(columns) == 1 else columns,
        targets[0] if len(targets) == 1 else targets,
        resolved,
        metric_names,
        arch=arch,
        epochs=epochs,
        seed=seed,
        label_delim=label_delim,
        label_names=label_names,
        lr=lr,
        arch_config=arch_config,
        learner_kwargs=learner_kwargs,
        decision=decision,
        groups=group_of_row,
    )
    texts = texts_of.astype(str).tolist()
    model, others = cross_validate_spread(
        fold,
        splits,
        seed=seed,
        stratified=stratified,
        baselines=(lambda some: text_baselines(texts, labels, resolved, some, metric_names))
        if baselines
        else None,
        processes=spread_processes(),
        fold_seconds=fold_seconds,
        progress=progress,
    )
    return Evaluation(
        resolved,
        len(frame),
        model,
        others,
        fold.lrs,
        predictions=fold.predictions,
        unit="texts",
        archs=fold.archs,
        **_fasttext_rows(source, len(frame), encoding, encoding_errors),
        groups=grouped,
        spent=time_spent(fold_seconds),
        decision=decision,
        decision_thresholds=fold.thresholds,
    )


def _fasttext_rows(source: Any, n_texts: int, encoding: str, encoding_errors: str) -> dict[str, Any]:
    """For a fastText file, the line each text is on (blank lines counted), for ``--oof``'s first column: numbered
    by position, its rows drifted from the file's lines at each blank line. Nothing for other sources."""
    import numpy as np

    from trainwell.text._fasttext import fasttext_lines

    lines = fasttext_lines(source, encoding=encoding, encoding_errors=encoding_errors)
    if lines is None or len(lines) != n_texts:
        return {}
    return {"source_rows": np.asarray(lines), "row_name": "line"}
