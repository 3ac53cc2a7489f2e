"""Cross-validation of trainwell's tabular model beside the classical baselines, on the same folds:
:func:`evaluate_table`, what ``trainwell evaluate data.csv --target y`` runs.

:class:`TabularFold` trains one fold exactly as :func:`~trainwell.tabular.pipeline.fit_table` would (learning-rate
finder, one-cycle, default epochs; with ``arch="auto"`` the choice between boosted trees and the MLP), with the
recipe fitted on that fold's training rows only. The MLP keeps its epoch of lowest validation loss as fit keeps it
(:class:`~trainwell.tabular.best_epoch.KeepBestEpoch`), on an inner fifth of the fold's training rows held out
(those the choice reads), never on the rows the fold is scored on: the cross-validation scores the model fit keeps.
The baselines (:func:`trainwell.evaluate.cross_validate_baselines`) read the columns the model reads.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from trainwell.core.warn import warn

if TYPE_CHECKING:
    import numpy as np
    import torch

    from trainwell.data.task import Task
    from trainwell.evaluate import CVResult
    from trainwell.evaluate.evaluation import Evaluation, OneStepFold
    from trainwell.tabular.recipe import TabularRecipe

#: ``arch="mlp"`` is the tabular MLP.
MLP_ALIASES = {"mlp": "tabular_mlp"}
#: What ``arch`` takes.
ARCHS = ("auto", "mlp", "tabular_mlp", "gbdt")
#: With ``arch="auto"``, the share of each fold's training rows held out to choose the architecture on.
INNER_SHARE = 0.2
#: Under ``evaluate --time``, the choice's time as a share of a fold's.
CHOICE_SHARE = 0.25
#: The warning that rows without a target are left out, which ``evaluate`` gives once for all the folds.
LEFT_OUT = r"targets? .* missing in [\d,]+ of [\d,]+ rows of "


@dataclass
class TabularFold:
    """A fold function for :func:`trainwell.evaluate.cross_validate` that trains a tabular model.

    Each call builds ``tabular_data(df, target, splits=(train, valid))`` (so the recipe sees the fold's
    training rows only), trains like :func:`trainwell.tabular.pipeline.fit_table` and returns the validation
    metrics computed from the predicted probabilities. The fitted recipes and learning rates are kept.
    """

    df: pd.DataFrame
    target: str | list[str]
    task: Task
    metric_names: Sequence[str]
    epochs: int | None = None
    lr: float | None = None
    seed: int = 0
    ignore: Sequence[str] = ()
    cat_names: Sequence[str] | None = None
    cont_names: Sequence[str] | None = None
    date_formats: Mapping[str, str] | None = None
    label_delim: str | None = None
    arch: str = "tabular_mlp"
    #: Fewest training rows a category value needs for a code of its own (as :func:`~trainwell.tabular_data`).
    min_category_count: int = 3
    #: More :func:`~trainwell.tabular_learner` settings (``layers``, ``dropout``, ``wd``...), as
    #: ``fit_table(learner_kwargs=)`` takes them; ``gbdt_settings`` among them for boosted trees.
    learner_kwargs: dict[str, Any] | None = None
    #: The table as read, rows without a target included, and the positions in it of ``df``'s rows, when some were
    #: left out: each fold reads its rows from it, so its warnings name the data rows of the user's file (or their
    #: DataFrame's) as ``trainwell fit`` names them, not those of ``df`` renumbered.
    as_read: pd.DataFrame | None = field(default=None, repr=False)
    read_rows: np.ndarray | None = field(default=None, repr=False)
    #: Whether the folds are grouped (``groups=``): no column is then looked for that names entities recurring
    #: across a fold's split (:mod:`trainwell.tabular._leakage`), the user named them.
    grouped: bool = False
    #: With grouped folds: each of ``df``'s rows' group. The inner fifth of a fold's training rows (its decision
    #: threshold, kept epoch and ``arch="auto"`` choice are read on it) then holds whole groups, as the folds do.
    groups: np.ndarray | None = field(default=None, repr=False)
    #: The fields it appends to once per fold, gathered from every process under torchrun (evaluate.spread).
    per_fold: ClassVar[tuple[str, ...]] = (
        "recipes", "chosen", "lrs", "predictions", "specs", "one_step", "thresholds",
    )  # fmt: skip
    #: Binary targets (``decision_threshold=``): the metric each fold chooses its decision threshold for, on the
    #: inner fifth of its training rows its model did not train on, or the threshold itself; ``None``: 0.5.
    decision: str | float | None = None
    #: With ``decision``: the threshold each fold's model decided at.
    thresholds: list[float] = field(default_factory=list)
    #: With ``arch="auto"``: the fold's choice's run (its model fitted on the inner split), while the fold runs.
    _choice: Any = field(default=None, repr=False)
    recipes: list[TabularRecipe] = field(default_factory=list)
    #: With ``arch="auto"``, the architecture each fold chose (on an inner split of its training rows).
    chosen: list[str] = field(default_factory=list)
    lrs: list[float] = field(default_factory=list)
    #: ``(valid_index, probabilities, encoded targets)`` of each fold, for out-of-fold analysis.
    predictions: list[tuple[np.ndarray, torch.Tensor, torch.Tensor]] = field(default_factory=list)
    #: Each fold's model as its learner built it: ``{"name": architecture, "config": {...}}``.
    specs: list[dict[str, Any]] = field(default_factory=list)
    #: Under ``evaluate --time``: the folds whose boosted trees were fitted in one step, which the budget does not
    #: cut, with what each took beside its share (the budget's line says it: no budgeted fit timed them).
    one_step: list[OneStepFold] = field(default_factory=list)

    @property
    def trains_by_steps(self) -> bool:
        """Whether a fold may train the MLP (by steps, with an optimizer): not with ``arch="gbdt"``, whose trees
        are fitted in one step, so that the folds' budgets load no training code for them
        (:func:`~trainwell.evaluate.spread.cross_validate_spread`)."""
        from trainwell.tabular.learner import GBDT_NAMES

        return self.arch not in GBDT_NAMES

    def __call__(self, train: np.ndarray, valid: np.ndarray, fold: int) -> dict[str, float]:
        from trainwell.tabular._leakage import reading_folds

        # Copies across the fold's split are kept apart by --groups, not --valid-col; grouped folds need no hunt
        # for a column of entities.
        with reading_folds(grouped=self.grouped):
            return self._fold(train, valid, fold)

    def _fold(self, train: np.ndarray, valid: np.ndarray, fold: int) -> dict[str, float]:
        """Fit and score one fold (with ``arch="auto"``, the choice made on its training rows first)."""
        from trainwell.callbacks.budget import start_budget, sweep_time
        from trainwell.core.seeding import seed_everything
        from trainwell.evaluate.evaluation import OneStepFold, decided_scores
        from trainwell.learner.one_step import OneStepStart
        from trainwell.tabular.best_epoch import best_epoch_callbacks
        from trainwell.tabular.learner import GBDT_NAMES, tabular_learner
        from trainwell.tabular.pipeline import choose_lr, default_epochs

        arch = self._choose(train, fold) if self.arch == "auto" else self.arch
        # evaluate --time: this fold's share (the choice above took none of it); boosted trees alone load no
        # training code for it (they build no optimizer)
        budget = start_budget(None, imports=self.trains_by_steps)
        began = OneStepStart(budget)  # boosted trees: their one step counted on it, reading the rows included
        seed_everything(self.seed + fold)
        options = dict(self.learner_kwargs or {})
        if arch in GBDT_NAMES:
            # Boosted trees: fitted when built, no learning rate or epochs. The fold's validation rows are the ones
            # it is scored on: the trees stop on an inner tenth of its training rows, never on them (its choice
            # above stopped them on the inner fifth, as fit does); with grouped folds that tenth holds whole groups.
            stopping, data = self._trees_data(train, valid, fold, options.get("gbdt_settings"))
            learn = tabular_learner(
                stopping,
                arch=arch,
                progress=False,
                seed=self.seed + fold,
                stop_on_validation=stopping is not data,
                **options,
            )
            learn.fit(1)  # fitted when built: nothing for a budget to cut
            lr = float("nan")
            if began.budget is not None:
                began.count()
                self.one_step.append(OneStepFold(fold, began.budget.used, began.budget.seconds, "gbdt"))
        else:
            options.pop("gbdt_settings", None)  # the trees' own, as fit_table keeps them from the MLP
            # As fit keeps it: the epoch of lowest validation loss, here on an inner fifth of the fold's training
            # rows (the choice's split), never on the rows it is scored on; `data` then holds those as validation.
            trained, data = self._mlp_data(train, valid, fold)
            learn = tabular_learner(trained, arch=arch, progress=False, **options)
            n_batches = len(trained.train)
            n_epochs = self.epochs or default_epochs(n_batches)
            # As fit's: a tenth of the fold's share, or what its training's batches plainly leave of it.
            sweep = sweep_time(budget, n_epochs * n_batches)
            lr = self.lr if self.lr is not None else choose_lr(learn.lr_find(time_limit=sweep))
            kept = best_epoch_callbacks(True, trained is not data and trained.valid is not None, [])
            learn.fit_one_cycle(n_epochs, lr, callbacks=[*([budget] if budget else []), *kept])
        preds, targets = learn.get_preds(data.valid)
        assert targets is not None  # the validation rows carry their targets
        threshold = self._threshold(learn, arch, data, train, valid, fold)
        self.recipes.append(learn.data.recipe)  # type: ignore[arg-type]  # tabular_data sets a TabularRecipe
        self.lrs.append(float(lr))
        self.predictions.append((valid, preds, targets))
        self.specs.append(dict(learn.model_spec or {"name": arch}))
        if threshold is not None:
            self.thresholds.append(threshold)
        return decided_scores(preds, targets, self.task, self.metric_names, threshold)

    def _threshold(
        self, learn: Any, arch: str, data: Any, train: np.ndarray, valid: np.ndarray, fold: int
    ) -> float | None:
        """The fold's decision threshold (``None`` without ``decision``): the number given, or the one of best
        ``decision`` on the inner fifth of the fold's training rows, predicted by a model fitted on the other four
        fifths, never on the rows the fold is scored on: the MLP's own (it trains on that split); the trees of the
        fold's choice (``arch="auto"``), else trees fitted on that split as fit fits them."""
        from trainwell.evaluate.evaluation import held_out_threshold
        from trainwell.tabular.learner import GBDT_NAMES, tabular_learner

        choice, self._choice = self._choice, None
        if self.decision is None or not isinstance(self.decision, str):
            return self.decision
        if arch not in GBDT_NAMES and learn.data is not data and learn.data.valid is not None:
            held, truth = learn.get_preds(learn.data.valid)  # the inner fifth, which the MLP never trained on
        elif arch in GBDT_NAMES and choice is not None and choice.arch in GBDT_NAMES:
            held, truth = choice.learn.get_preds(choice.learn.data.valid)
        else:
            inner, _ = self._mlp_data(train, valid, fold)
            if inner.valid is None or inner is data:
                return 0.5  # a fold of too few training rows to hold any out: decided at 0.5
            options = dict(self.learner_kwargs or {})  # trees here: the MLP's own split is its learn.data
            trees = tabular_learner(inner, arch=arch, progress=False, seed=self.seed + fold, **options)
            trees.fit(1)
            held, truth = trees.get_preds(inner.valid)
        assert truth is not None
        return held_out_threshold(held, truth, self.decision)

    def _data(self, train: np.ndarray, valid: np.ndarray) -> Any:
        """The fold's bundle of ``df``'s rows at ``train`` and ``valid``, read from the table as read."""
        from trainwell.tabular.data import tabular_data

        table, rows = self._as_read()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=LEFT_OUT)  # said once, before the folds
            return tabular_data(
                table,
                self.target,
                splits=(rows[train].tolist(), rows[valid].tolist()),
                task=self.task.kind,
                seed=self.seed,
                **self._reading(),
            )

    def _trees_data(
        self, train: np.ndarray, valid: np.ndarray, fold: int, settings: Mapping[str, Any] | None
    ) -> tuple[Any, Any]:
        """The bundle boosted trees are fitted on and the one whose validation rows the fold scores. Rows dealt to
        folds one by one: the fold's bundle twice, and the trees stop on an inner tenth of its training rows that
        scikit-learn draws row by row, as before. Grouped folds: that tenth (``validation_fraction``) is drawn here
        as whole groups (:func:`~trainwell.evaluate.evaluation.inner_order`) and is the trees' validation rows,
        which they stop on; scikit-learn's own tenth, drawn row by row, put rows of a group on both sides, and the
        rounds were chosen on rows whose group the trees trained on (what the grouped folds are there to avoid)."""
        from trainwell.tabular.gbdt import DEFAULT_SETTINGS

        chosen = {**DEFAULT_SETTINGS, **(settings or {})}
        if self.groups is None or not chosen.get("early_stopping"):
            data = self._data(train, valid)
            return data, data
        share = float(chosen.get("validation_fraction") or DEFAULT_SETTINGS["validation_fraction"])
        return self._mlp_data(train, valid, fold, share)

    def _mlp_data(
        self, train: np.ndarray, valid: np.ndarray, fold: int, share: float = INNER_SHARE
    ) -> tuple[Any, Any]:
        """The MLP's bundle of the fold's inner split (its training rows less an inner fifth, which validate: the
        best epoch is kept on them, as fit keeps it on its validation rows) and the bundle whose validation rows
        are the scored ones, read with that recipe (``like=``). Without inner validation rows (a fold of fewer than
        3 training rows) the fold's bundle twice (:meth:`_data`): the last epoch is kept, as before."""
        from trainwell.tabular._leakage import reading_folds
        from trainwell.tabular.data import tabular_data

        order, n_inner = self._inner_split(train, fold, share)
        if len(order) - n_inner < 2:
            data = self._data(train, valid)
            return data, data
        table, rows = self._as_read()
        reading = self._reading()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=LEFT_OUT)  # said once, before the folds
            # Copies across the inner split are not what the fold is scored on: those across its split are said
            # below, as before; the recipe's own warnings (an ID left out) are said here.
            warnings.filterwarnings("ignore", message=r".* are exact copies of training rows")
            with reading_folds(grouped=True):
                inner = tabular_data(
                    table,
                    self.target,
                    splits=(rows[order[n_inner:]].tolist(), rows[order[:n_inner]].tolist()),
                    task=self.task.kind,
                    seed=self.seed,
                    **reading,
                )
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=LEFT_OUT)
            scored = tabular_data(
                table,
                self.target,
                # the fold's training rows (unused) beside the scored ones: copies across them are said, as before
                splits=(rows[train].tolist(), rows[valid].tolist()),
                like=inner,
                seed=self.seed,
                ignore=reading["ignore"],
                label_delim=reading["label_delim"],
            )
        return inner, scored

    def _inner_split(
        self, train: np.ndarray, fold: int, share: float = INNER_SHARE
    ) -> tuple[np.ndarray, int]:
        """The fold's training rows shuffled, and how many of the first validate inside it (a fifth): the choice
        with ``arch="auto"`` and the MLP's kept epoch read the same rows; ``share``: another part (grouped folds'
        boosted trees stop on a tenth)."""
        from trainwell.evaluate.evaluation import inner_order

        return inner_order(train, self.seed + fold, self.groups, share)

    def _as_read(self) -> tuple[pd.DataFrame, np.ndarray]:
        """The table the folds read rows from, and the position in it of each of ``df``'s rows."""
        import numpy as np

        if self.as_read is None or self.read_rows is None:
            return self.df, np.arange(len(self.df))
        return self.as_read, np.asarray(self.read_rows)

    def _choose(self, train: np.ndarray, fold: int) -> str:
        """What ``trainwell fit --arch auto`` would keep, decided as fit decides it but on a fifth of the fold's
        training rows held out, never on the rows the fold is scored on (which would flatter the choice)."""
        from trainwell.callbacks.budget import outside_call_budgets

        if self.epochs is not None or self.lr is not None or not self._trees_may_apply():
            self.chosen.append("tabular_mlp")  # the MLP's settings given, or a target trees do not take
            return "tabular_mlp"
        order, n_inner = self._inner_split(train, fold)
        # Not a fold: --time's count and shares stay the folds'. The choice's own time running out keeps the trees,
        # and "trainwell here is boosted trees in N of K folds" says what each fold chose, where the choice's warning
        # named a budget no option set.
        with outside_call_budgets() as seconds, warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="the time budget of .* was spent on reading the data")
            warnings.filterwarnings("ignore", message="the learning-rate finder would have taken more than")
            warnings.filterwarnings("ignore", message=LEFT_OUT)
            # Under --time the choice gets a quarter of a fold's share on top of it (fit makes it within its own)
            run = self._inner_fit(order, n_inner, fold, None if seconds is None else CHOICE_SHARE * seconds)
        self.chosen.append(run.arch)
        self._choice = run  # its trees, fitted on the inner split, choose the fold's decision threshold
        return run.arch

    def _trees_may_apply(self) -> bool:
        task = self.task
        return task.kind in ("binary", "multiclass") or (
            task.kind == "regression" and isinstance(self.target, str)
        )

    def _inner_fit(self, order: np.ndarray, n_inner: int, fold: int, seconds: float | None) -> Any:
        from trainwell.tabular.pipeline import fit_table

        options = dict(self.learner_kwargs or {})
        gbdt_settings = options.pop("gbdt_settings", None)
        table, rows = self._as_read()
        return fit_table(
            table,
            self.target,
            splits=(rows[order[n_inner:]].tolist(), rows[order[:n_inner]].tolist()),
            epochs=self.epochs,
            lr=self.lr,
            seed=self.seed + fold,
            progress=False,
            tune_thresholds=False,
            task=self.task.kind,
            time_budget=seconds,
            gbdt_settings=gbdt_settings,
            learner_kwargs=options,
            leaderboard=False,  # the folds are scored their own way
            **self._reading(),
        )

    def _reading(self) -> dict[str, Any]:
        """How the table's columns are read, the same for every fold's data and for the choice's inner fit."""
        return {
            "ignore": self.ignore,
            "cat_names": self.cat_names,
            "cont_names": self.cont_names,
            "date_formats": self.date_formats,
            "label_delim": self.label_delim,
            "min_category_count": self.min_category_count,
        }


def _refuse_text_cells(
    df: pd.DataFrame,
    targets: list[str],
    labelled: np.ndarray,
    name: str,
    *,
    task: str | None,
    label_delim: str | None,
    declared: Sequence[str],
    inferred: bool,
) -> None:
    """Refuse cells of text in a target of numbers or in an input column of them (not ``declared``; none when
    every column's kind is given, ``inferred`` false) as :func:`~trainwell.tabular.data.tabular_data` does, on all
    the rows of ``df`` as read from ``name``: ``labelled`` marks those with a target."""
    from trainwell.data.text_cells import refuse_text_in_number_columns, refuse_text_in_number_target

    if len(targets) == 1 and label_delim is None:
        refuse_text_in_number_target(df[targets[0]], labelled, targets[0], task)
    if inferred:
        skipped = {*targets, *declared}
        refuse_text_in_number_columns(df, [c for c in df.columns if c not in skipped], name)


def _group_column(
    groups: Any,
    df: pd.DataFrame,
    ignore: Sequence[str],
    cat_names: Sequence[str] | None,
    cont_names: Sequence[str] | None,
    date_formats: Mapping[str, str] | None,
) -> list[str]:
    """``[groups]`` when the folds are grouped by a column of ``df`` that no option names as an input: left out of
    every model's inputs, said in one line (a group key as an input lets a model memorise the groups, and a
    validation fold's groups are ones it never trained on); ``[]`` otherwise (no column, ignored already, or
    named in ``cat_names``/``cont_names``/``date_formats``: kept as asked)."""
    if not isinstance(groups, str) or groups not in df.columns or groups in ignore:
        return []
    if groups in {*(cat_names or []), *(cont_names or []), *(date_formats or {})}:
        return []
    warn(
        f"folds grouped by '{groups}': '{groups}' is left out of the inputs of every model here (a group key as "
        f"an input lets a model memorise the groups); pass --cat-names {groups} (Python: "
        f"cat_names=[{groups!r}]) to keep it as an input",
        UserWarning,
    )
    return [groups]


def evaluate_table(
    source: pd.DataFrame | str | Path,
    target: str | Sequence[str],
    *,
    cv: int = 5,
    seed: int = 0,
    epochs: int | None = None,
    lr: float | None = None,
    arch: str = "auto",
    learner_kwargs: dict[str, Any] | None = None,
    groups: str | Sequence[Any] | np.ndarray | pd.Series | None = None,
    baselines: bool = True,
    task: str | None = None,
    ignore: Sequence[str] = (),
    cat_names: Sequence[str] | None = None,
    cont_names: Sequence[str] | None = None,
    date_formats: Mapping[str, str] | None = None,
    label_delim: str | None = None,
    min_category_count: int = 3,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    time_budget: float | str | None = None,
    names: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    decision_threshold: str | float | None = None,
    progress: bool = True,
) -> Evaluation:
    """Cross-validate trainwell's tabular model and the classical baselines on the same ``cv`` folds.

    Each fold fits its preprocessing on its own training rows and trains as :func:`~trainwell.fit_table` does;
    the baselines (a constant, a linear model, HistGradientBoosting) run on the same folds, so the comparison is
    fold for fold. Under ``torchrun`` the folds are shared out over the processes, with the same numbers.

    Args:
        source: the table (target column included): a DataFrame, a CSV / TSV / Parquet / JSON-lines file, or a
            folder of splits as ``trainwell evaluate`` reads it (``titanic/``: its training split, the shards
            joined; the validation and test splits are left out, as the folds are drawn from training).
        target: the column to predict (binary, multiclass or regression), or several: regression columns (each
            target's metrics come too, e.g. ``"rmse[price]"``) or 0/1 label columns (multi-label).
        cv: number of folds (stratified for classification), at least 2.
        seed: seeds the folds and every model.
        epochs: the MLP's passes per fold (default: chosen from the fold's size, as ``fit_table`` does).
        lr: the MLP's peak learning rate (default: the learning-rate finder's, per fold).
        arch: the model cross-validated: ``"auto"`` (each fold chooses between boosted trees and the MLP as
            ``fit_table`` does, on a fifth of its training rows held out, never on the rows it is scored on),
            ``"mlp"`` or ``"gbdt"``.
        learner_kwargs: more :func:`~trainwell.tabular_learner` settings for each fold's model (the MLP's
            ``layers``, ``dropout``, ``wd``; ``gbdt_settings`` for boosted trees), as ``fit_table`` takes them.
            Each fold's model is in ``Evaluation``'s per-fold architectures, its settings in
            :class:`TabularFold`'s ``specs``.
        groups: grouped folds: a column of the table (``"patient_id"``), or one value per row. The rows of a
            group are always validated together, never split across folds, so the scores say how the model
            does on groups it never trained on (new patients, not new visits of known ones); class shares are
            kept as whole groups allow. A column is left out of the inputs of every model (the model's and the
            baselines'), said in one line: as an input it lets a model memorise the groups, each of whose values
            in a validation fold it never trained on. Name it in ``cat_names`` (or ``cont_names``) to keep it
            as an input.
        baselines: also cross-validate the baselines.
        task: override the inferred task (``binary``, ``multiclass``, ``multilabel``, ``regression``).
        ignore: columns never used as inputs.
        cat_names, cont_names: declare column types instead of inferring them (as :func:`~trainwell.tabular_data`).
        date_formats: date columns read in a given format, ``{"sold": "DD/MM/YYYY"}``.
        label_delim: the separator of a multi-label target held in one text column (``"a;b"``).
        min_category_count: fewest training rows a category value needs for a code of its own; rarer values share
            one code with values never seen (as :func:`~trainwell.tabular_data`; 1 keeps every value).
        encoding: text encoding of a CSV / TSV / JSON ``source``.
        encoding_errors: ``"replace"`` reads a byte ``encoding`` cannot decode as U+FFFD instead of stopping.
        names: the names of every column, in order, of a CSV / TSV ``source`` without a header row.
        time_budget: training time of the whole cross-validation: seconds, or ``"10m"``, ``"1h30m"``... Each of
            the ``cv`` folds trains within its share (the epochs cut and the schedule fitted to them, as
            ``fit_*(time_budget=)`` does); reading the data and the baselines (scored first) come out of
            it, each fold given its share of what is left (at least half an equal share). What each fold's share
            allowed is in :attr:`Evaluation.budgets <trainwell.evaluate.Evaluation.budgets>`, and the table
            says how many folds it cut short.
        metrics: the metrics to score the model and the baselines by (``--metric``; default the task's: accuracy,
            ROC AUC, F1; RMSE, MAE, R²), among :data:`~trainwell.evaluate.compare.EVALUATION_METRICS` for the task, e.g. ``["log_loss"]``.
        decision_threshold: binary targets, as ``fit_table`` takes it: a metric (``"f1"``, ``"balanced_accuracy"``,
            ``"mcc"``, ``"accuracy"``) for which each fold chooses its model's threshold on the inner fifth of its
            training rows, predicted by a model fitted on the other four fifths (never on the rows it is scored
            on, so the estimate stays honest), or a threshold for every fold (``0.3``). The metrics of decisions
            (accuracy, F1...) are then the model's at its threshold; the baselines stay at 0.5. Each fold's
            threshold is in :attr:`Evaluation.decision_thresholds <trainwell.evaluate.Evaluation.decision_thresholds>`.
        progress: say on standard error as each fold ends (``fold 2 of 5 done in 41s (1m 20s so far, about 2m
            left)``), as :func:`~trainwell.evaluate_texts` does; ``False`` keeps the cross-validation quiet.
            ``evaluate adult.csv --cv 5 --arch mlp`` printed nothing for 71 s.

    Returns:
        An :class:`~trainwell.evaluate.Evaluation`: print it for the table ``trainwell evaluate`` prints.

    Raises:
        UserError: Bad input, in one line naming it (a missing column, ``cv`` below 2 or above the rarest
            class's rows, a target evaluate does not cover...), before any fold trains.
        FoldsInterrupted: Ctrl-C (a ``KeyboardInterrupt``), with the scores of the folds that had finished
            (:class:`~trainwell.evaluate.spread.FoldsInterrupted`: ``error.done``, ``error.line()``).

    Example:
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"x": rng.normal(size=200), "noise": rng.normal(size=200)})
        >>> df["y"] = np.where(df["x"] > 0, "yes", "no")
        >>> result = evaluate_table(df, target="y", cv=3, epochs=1, arch="mlp")        # doctest: +SKIP
        >>> result.mean("accuracy") > result.mean("accuracy", "majority class")       # doctest: +SKIP
        True
        >>> print(result)                                                              # doctest: +SKIP
    """
    from trainwell.core.errors import ConfigError
    from trainwell.data.io import check_columns, labelled_rows, read_table
    from trainwell.data.targets import (
        column_names,
        note_whole_number_regression,
        refuse_unusable_target_numbers,
        target_names,
    )
    from trainwell.data.task import infer_task
    from trainwell.distributed.spread import spread_processes
    from trainwell.evaluate import cross_validate_baselines, fold_indices
    from trainwell.evaluate.compare import evaluation_metrics
    from trainwell.evaluate.cv import grouped_by, row_groups
    from trainwell.evaluate.evaluation import Evaluation, check_settings, time_spent
    from trainwell.evaluate.spread import cross_validate_spread
    from trainwell.learner.decision_threshold import check_decision_threshold, decision_threshold_setting
    from trainwell.tabular.recipe import check_min_category_count

    fold_seconds = check_settings(cv, epochs, time_budget)
    decision = decision_threshold_setting(decision_threshold)
    check_min_category_count(min_category_count)
    # one column named as a string is that column (cat_names='Sex'), as tabular_data reads it
    cat_names, cont_names = column_names(cat_names, "cat_names"), column_names(cont_names, "cont_names")
    ignore = column_names(ignore, "ignore") or []
    if arch not in ARCHS:
        raise ConfigError.worded(
            lambda say: (
                f"{say('arch', arch)} is not an architecture for tables: use auto (the default), mlp or gbdt"
            )
        )
    from trainwell.tabular.pipeline import folder_source

    # A folder of splits (titanic/), read as trainwell evaluate reads it: the training split alone is folded
    kept = {"names": names, "encoding": encoding, "encoding_errors": encoding_errors}
    source, read = folder_source(source, target, kept, command="evaluate", say=True)
    names = read["names"]
    name = str(source) if not isinstance(source, pd.DataFrame) else "the table"
    df = (
        source
        if isinstance(source, pd.DataFrame)
        else read_table(
            source,
            names=names,
            encoding=encoding,
            encoding_errors=encoding_errors,
            # labels of ids ('0,1' with label_delim=","), as fit reads them: not a number with a decimal comma
            as_written=target_names(target) if label_delim is not None else (),
        )
    )
    targets = target_names(target)
    check_columns(df, targets, name, "--target")
    ignore = [*ignore, *_group_column(groups, df, ignore, cat_names, cont_names, date_formats)]
    if not isinstance(source, pd.DataFrame):  # what the data's own description says leaks (bank's duration)
        from trainwell.data.documented import warn_documented_leaks

        skipped = {*targets, *ignore}
        warn_documented_leaks(Path(source), [str(c) for c in df.columns if c not in skipped])
    labelled = labelled_rows(df, targets, name, label_delim=label_delim, left_out_of="the folds")
    # Refused here, as fit refuses them, naming the file and its data rows: the folds read the rows left once
    # those without a target are dropped, renumbered, as "the table".
    _refuse_text_cells(
        df,
        targets,
        labelled.to_numpy(),
        name,
        task=task,
        label_delim=label_delim,
        declared=[*ignore, *(cat_names or []), *(cont_names or []), *(date_formats or {})],
        inferred=cat_names is None or cont_names is None,
    )
    source_rows = None  # the data rows of the rows kept, where some were left out
    as_read = None
    if not labelled.all():
        as_read = df
        source_rows = labelled.to_numpy().nonzero()[0] + 1
        df = df[labelled.to_numpy()].reset_index(drop=True)
    column: str | list[str] = targets[0] if len(targets) == 1 else targets
    resolved = infer_task(df[column], name=targets[0], kind=task, label_delim=label_delim)
    refuse_unusable_target_numbers(df if as_read is None else as_read, targets, labelled.to_numpy(), resolved)
    if resolved.kind == "regression" and task is None and len(targets) == 1:
        note_whole_number_regression(df[targets[0]], targets[0])
    if resolved.kind not in ("binary", "multiclass", "multilabel", "regression"):
        raise ConfigError.worded(
            lambda say: (
                f"evaluate supports binary, multiclass, multi-label and regression targets; "
                f"'{', '.join(targets)}' is {resolved.kind}. Pass {say('task')} to override the inferred task"
            )
        )
    check_decision_threshold(decision, resolved)  # before any fold: binary targets only
    # Folds keep each class's share for single-label targets; label sets are split at random.
    stratified = resolved.kind in ("binary", "multiclass")
    group_of_row = row_groups(groups, df, labelled, name)
    splits = fold_indices(df[column].to_numpy(), cv, seed, stratified, keyword="cv", groups=group_of_row)
    metric_names = evaluation_metrics(metrics, resolved)
    fold = TabularFold(
        df,
        column,
        resolved,
        metric_names,
        epochs,
        lr,
        seed,
        ignore,
        cat_names,
        cont_names,
        date_formats,
        label_delim,
        arch=MLP_ALIASES.get(arch, arch),
        min_category_count=min_category_count,
        learner_kwargs=learner_kwargs,
        as_read=as_read,
        read_rows=None if source_rows is None else source_rows - 1,
        grouped=group_of_row is not None,
        groups=group_of_row,
        decision=decision,
    )
    run_baselines = None
    if baselines:
        # The baselines read what the model reads: without the columns its recipe leaves out (IDs, free
        # text), and with dates split into parts. The typing uses no target values, so all rows may decide it.
        # Text columns the model reads as words (chosen per fold, by the target) the baselines leave out.
        import warnings

        from trainwell.tabular.data import _row_ids
        from trainwell.tabular.recipe import TabularRecipe

        # The folds say what the recipe meets (an ID left out), once: not twice.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # On the rows as read, so an error (text in a declared continuous column) names the file's data row.
            layout = TabularRecipe.fit(
                df if as_read is None else as_read.iloc[fold.read_rows],
                target=targets,
                ignore=ignore,
                cat_names=cat_names,
                cont_names=cont_names,
                source=name,
                date_formats=date_formats,
                read_rows=fold.read_rows,
            )
            # The ID columns each fold's data leaves out of a small table (tabular_data's), left out here too.
            row_ids = list(_row_ids(df, [*targets, *ignore], cat_names, cont_names, date_formats))

        def run_baselines(some: Sequence[tuple[np.ndarray, np.ndarray]]) -> dict[str, CVResult]:
            return cross_validate_baselines(
                df,
                column,
                resolved,
                some,
                metric_names,
                ignore=[*ignore, *layout.dropped, *layout.words, *row_ids],
                seed=seed,
                dates=layout.dates,
            )

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
    archs = fold.chosen if fold.arch == "auto" else [fold.arch] * len(fold.lrs)
    return Evaluation(
        resolved,
        len(df),
        model,
        others,
        fold.lrs,
        predictions=fold.predictions,
        archs=archs,
        chose_arch=fold.arch == "auto",
        source_rows=source_rows,
        groups=grouped_by(groups, group_of_row),
        one_step=fold.one_step,
        spent=time_spent(fold_seconds),
        decision=decision,
        decision_thresholds=fold.thresholds,
        model_note=trees_against_baseline(
            [spec.get("config", {}).get("settings", {}) for spec in fold.specs if spec.get("name") == "gbdt"],
            [
                len(train)
                for (train, _), spec in zip(splits, fold.specs, strict=True)
                if spec.get("name") == "gbdt"
            ],
        )
        if "HistGradientBoosting" in others
        else None,
    )


#: scikit-learn's own defaults for HistGradientBoosting, which the baseline keeps (early stopping: above this many
#: training rows only).
SKLEARN_TREE_DEFAULTS: dict[str, Any] = {
    "learning_rate": 0.1,
    "max_iter": 100,
    "max_leaf_nodes": 31,
    "min_samples_leaf": 20,
    "l2_regularization": 0.0,
}
SKLEARN_EARLY_STOPPING_ROWS = 10_000


def trees_against_baseline(settings: Sequence[Mapping[str, Any]], train_rows: Sequence[int]) -> str | None:
    """What sets trainwell's boosted trees apart from the HistGradientBoosting baseline, which is the same
    scikit-learn model: ``"HistGradientBoosting as the baseline is, but early-stopped on an inner 10% of each
    fold's training rows (at most 500 rounds; it stopped after 24 to 61), where the baseline keeps scikit-learn's
    defaults (100 rounds, early stopping only above 10,000 training rows)"``. ``settings``: each trees fold's
    boosting settings (its ``model_spec``, ``n_iter`` the rounds it kept); ``train_rows``: those folds' training
    rows. ``None`` without trees folds. ``evaluate --arch gbdt --metric log_loss`` said trainwell's trees beat
    HistGradientBoosting by 0.07, and read as the same model beating itself: the baseline's 100 rounds without
    early stopping overfit a small table's probabilities."""
    if not settings:
        return None
    first = settings[0]
    stopped = [int(fold["n_iter"]) for fold in settings if "n_iter" in fold]
    rounds = (
        f"{min(stopped)}" if stopped and min(stopped) == max(stopped) else f"{min(stopped)} to {max(stopped)}"
    )
    if first.get("early_stopping"):
        # Grouped folds: the tenth was drawn as whole groups and handed to the trees as their validation rows
        whole = " (whole groups)" if first.get("stopped_on") == "validation" else ""
        ours = (
            f"early-stopped on an inner {float(first.get('validation_fraction') or 0.1):.0%} of each fold's "
            f"training rows{whole} (at most {first.get('max_iter')} rounds"
            + (f"; it stopped after {rounds})" if stopped else ")")
        )
    else:
        ours = f"with {first.get('max_iter')} rounds and no early stopping"
    changed = [
        f"{name.replace('_', ' ')} {first[name]:g}"
        for name, value in SKLEARN_TREE_DEFAULTS.items()
        if name != "max_iter" and name in first and first[name] != value
    ]
    if changed:
        ours += f", {', '.join(changed)}"
    stops = all(rows > SKLEARN_EARLY_STOPPING_ROWS for rows in train_rows)
    theirs = (
        "at most 100 rounds, early-stopped likewise above 10,000 training rows"
        if stops
        else "100 rounds, early stopping only above 10,000 training rows"
    )
    return f"HistGradientBoosting as the baseline is, but {ours}, where the baseline keeps scikit-learn's defaults ({theirs})"
