"""``trainwell evaluate data.csv --target y --cv 5``: k-fold cross-validation with intervals and baselines.

Registered on the main command line by ``app.command("evaluate")(evaluate)``. The tabular glue lives here
because :mod:`trainwell.evaluate` sits below the applications and may not import :mod:`trainwell.tabular`:
:class:`TabularFold` trains one fold exactly as ``trainwell fit`` would (learning-rate finder, one-cycle,
default epochs), with the recipe fitted on that fold's training rows only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import typer

from trainwell.cli._common import (
    ENCODING_HELP,
    MAX_SEED,
    CatNames,
    ContNames,
    DateFormat,
    Ignore,
    LabelCol,
    LabelDelim,
    PathCol,
    TagColumn,
    fold_cells,
    guarded,
    out_console,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import torch

    from trainwell.data.task import Task
    from trainwell.evaluate import CVResult, Verdict
    from trainwell.tabular.recipe import TabularRecipe

MODEL_NAME = "trainwell"


#: ``--arch mlp`` is the tabular MLP.
MLP_ALIASES = {"mlp": "tabular_mlp"}
#: With ``--arch auto``, the share of each fold's training rows held out to choose the architecture on.
INNER_SHARE = 0.2
#: Under ``evaluate --time``, the choice's time as a share of a fold's.
CHOICE_SHARE = 0.25


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
    #: The fields it appends to once per fold, gathered from every process under torchrun (cli._evaluate_spread).
    per_fold: ClassVar[tuple[str, ...]] = ("recipes", "chosen", "lrs", "predictions")
    recipes: list[TabularRecipe] = field(default_factory=list)
    #: With ``arch="auto"``, the architecture each fold chose (on an inner split of its training rows).
    chosen: list[str] = field(default_factory=list)
    lrs: list[float] = field(default_factory=list)
    #: ``(valid_index, probabilities, encoded targets)`` of each fold, for out-of-fold analysis.
    predictions: list[tuple[np.ndarray, torch.Tensor, torch.Tensor]] = field(default_factory=list)

    def __call__(self, train: np.ndarray, valid: np.ndarray, fold: int) -> dict[str, float]:
        from trainwell.callbacks.budget import start_budget, sweep_time
        from trainwell.core.seeding import seed_everything
        from trainwell.evaluate import score
        from trainwell.tabular.data import tabular_data
        from trainwell.tabular.learner import GBDT_NAMES, tabular_learner
        from trainwell.tabular.pipeline import choose_lr, default_epochs

        arch = self._choose(train, fold) if self.arch == "auto" else self.arch
        budget = start_budget(None)  # evaluate --time: this fold's share (the choice above took none of it)
        seed_everything(self.seed + fold)
        data = tabular_data(
            self.df,
            self.target,
            splits=(train.tolist(), valid.tolist()),
            task=self.task.kind,
            ignore=self.ignore,
            cat_names=self.cat_names,
            cont_names=self.cont_names,
            date_formats=self.date_formats,
            label_delim=self.label_delim,
            seed=self.seed,
        )
        if arch in GBDT_NAMES:  # boosted trees: fitted when built, no learning rate or epochs
            learn = tabular_learner(data, arch=arch, progress=False, seed=self.seed + fold)
            learn.fit(1)  # fitted when built: nothing for a budget to cut
            lr = float("nan")
        else:
            learn = tabular_learner(data, arch=arch, progress=False)
            lr = self.lr if self.lr is not None else choose_lr(learn.lr_find(time_limit=sweep_time(budget)))
            n_batches = len(data.train)  # type: ignore[arg-type]
            learn.fit_one_cycle(
                self.epochs or default_epochs(n_batches), lr, callbacks=[budget] if budget else []
            )
        preds, targets = learn.get_preds()
        assert targets is not None  # the validation rows carry their targets
        self.recipes.append(data.recipe)  # type: ignore[arg-type]  # tabular_data always sets a TabularRecipe
        self.lrs.append(float(lr))
        self.predictions.append((valid, preds, targets))
        return score(preds, targets, self.task.kind, self.metric_names, self.task.target_names)

    def _choose(self, train: np.ndarray, fold: int) -> str:
        """What ``trainwell fit --arch auto`` would keep, decided as fit decides it but on a fifth of the fold's
        training rows held out, never on the rows the fold is scored on (which would flatter the choice)."""
        import numpy as np

        from trainwell.callbacks.budget import outside_call_budgets

        if self.epochs is not None or self.lr is not None or not self._trees_may_apply():
            self.chosen.append("tabular_mlp")  # the MLP's settings given, or a target trees do not take
            return "tabular_mlp"
        order = np.random.default_rng(self.seed + fold).permutation(train)
        n_inner = max(1, round(len(order) * INNER_SHARE))
        with outside_call_budgets() as seconds:  # not a fold: --time's count and shares stay the folds'
            # Under --time the choice gets a quarter of a fold's share on top of it (fit makes it within its own)
            run = self._inner_fit(order, n_inner, fold, None if seconds is None else CHOICE_SHARE * seconds)
        self.chosen.append(run.arch)
        return run.arch

    def _trees_may_apply(self) -> bool:
        task = self.task
        return task.kind in ("binary", "multiclass") or (
            task.kind == "regression" and isinstance(self.target, str)
        )

    def _inner_fit(self, order: np.ndarray, n_inner: int, fold: int, seconds: float | None) -> Any:
        from trainwell.tabular.pipeline import fit_table

        return fit_table(
            self.df,
            self.target,
            splits=(order[n_inner:].tolist(), order[:n_inner].tolist()),
            epochs=self.epochs,
            lr=self.lr,
            seed=self.seed + fold,
            progress=False,
            tune_thresholds=False,
            ignore=self.ignore,
            cat_names=self.cat_names,
            cont_names=self.cont_names,
            date_formats=self.date_formats,
            label_delim=self.label_delim,
            task=self.task.kind,
            time_budget=seconds,
        )


@dataclass
class TableEvaluation:
    """What :func:`evaluate_table` measured: the model's and each baseline's per-fold metrics."""

    task: Task
    n_rows: int
    model: CVResult
    baselines: dict[str, CVResult]
    lrs: list[float]
    level: float = 0.95
    #: The model's out-of-fold ``(valid_index, probabilities, encoded targets)``, one per fold.
    predictions: list[tuple[np.ndarray, torch.Tensor, torch.Tensor]] = field(default_factory=list, repr=False)
    #: What was cross-validated, for the table's title (default: the task kind and the rows).
    subject: str | None = None
    #: What ``n_rows`` counts: rows, texts, images, sentences.
    unit: str = "rows"
    #: The architecture each fold used (``--arch auto`` chooses per fold).
    archs: list[str] = field(default_factory=list)

    def verdicts(self) -> list[Verdict]:
        from trainwell.evaluate import verdicts

        return verdicts(self.model, self.baselines, self.level, self.predictions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task.kind,
            "rows": self.n_rows,
            "unit": self.unit,
            "level": self.level,
            MODEL_NAME: {
                **self.model.to_dict(self.level),
                "lrs": self.lrs,
                **({"archs": self.archs} if self.archs else {}),
            },
            "baselines": {name: result.to_dict(self.level) for name, result in self.baselines.items()},
            "verdicts": [
                {
                    "metric": v.metric,
                    "baseline": v.baseline,
                    "outcome": v.outcome,
                    "text": v.sentence(MODEL_NAME),
                }
                for v in self.verdicts()
            ],
        }


def check_epochs(epochs: int | None) -> None:
    """Refuse a number of passes per fold below 1 before any fold is trained."""
    from trainwell.core.errors import ConfigError

    if epochs is not None and epochs < 1:
        raise ConfigError(f"--epochs must be at least 1, got {epochs}; pass e.g. --epochs 5 or leave it out")


def evaluate_table(
    df: pd.DataFrame,
    target: str | Sequence[str],
    *,
    k: int = 5,
    seed: int = 0,
    epochs: int | None = None,
    lr: float | None = None,
    task: str | None = None,
    ignore: Sequence[str] = (),
    cat_names: Sequence[str] | None = None,
    cont_names: Sequence[str] | None = None,
    date_formats: Mapping[str, str] | None = None,
    label_delim: str | None = None,
    baselines: bool = True,
    source: str = "the table",
    arch: str = "auto",
) -> TableEvaluation:
    """Cross-validate trainwell's tabular model and the classical baselines on the same ``k`` folds.

    Args:
        df: the table, target column included.
        target: the column to predict (binary, multiclass or regression), or several regression columns
            (each target's metrics come too, e.g. ``"rmse[price]"``).
        k: number of folds (stratified for classification).
        seed: seeds the folds and every model.
        epochs: passes per fold (default: chosen from the fold's size, as ``trainwell fit`` does).
        lr: peak learning rate (default: the learning-rate finder's, per fold).
        task: override the inferred task.
        ignore: columns never used as inputs.
        cat_names, cont_names: declare column types instead of inferring them (as ``trainwell fit`` does).
        date_formats: date columns read in a given format (as ``trainwell fit --date-format``).
        label_delim: the separator of a multi-label target held in one text column (``"a;b"``); several 0/1
            target columns are multi-label without it.
        baselines: also run the baselines.
        source: the table's name in error messages.
        arch: the model cross-validated, as ``trainwell fit --arch`` takes it: ``"auto"`` (each fold chooses
            between boosted trees and the MLP as fit does, on a fifth of its training rows held out, never on the
            rows it is scored on), ``"tabular_mlp"`` or ``"gbdt"``.
    """
    from trainwell.cli._evaluate_spread import cross_validate_spread
    from trainwell.core.errors import ConfigError
    from trainwell.data.io import check_columns
    from trainwell.data.task import infer_task
    from trainwell.evaluate import cross_validate_baselines, fold_indices

    check_epochs(epochs)
    names = [target] if isinstance(target, str) else list(target)
    check_columns(df, names, source, "--target")
    column: str | list[str] = names[0] if len(names) == 1 else names
    resolved = infer_task(df[column], name=names[0], kind=task, label_delim=label_delim)
    if resolved.kind not in ("binary", "multiclass", "multilabel", "regression"):
        raise ConfigError(
            f"evaluate supports binary, multiclass, multi-label and regression targets; '{', '.join(names)}' is "
            f"{resolved.kind}. Pass --task to override the inferred task"
        )
    # Folds keep each class's share for single-label targets; label sets are split at random.
    stratified = resolved.kind in ("binary", "multiclass")
    splits = fold_indices(df[column].to_numpy(), k, seed, stratified)
    metric_names = list(resolved.metric_names)
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
    )
    run_baselines = None
    if baselines:
        # The baselines read what the model reads: without the columns its recipe leaves out (IDs, free
        # text), and with dates split into parts. The typing uses no target values, so all rows may decide it.
        from trainwell.tabular.recipe import TabularRecipe

        layout = TabularRecipe.fit(
            df,
            target=names,
            ignore=ignore,
            cat_names=cat_names,
            cont_names=cont_names,
            source=source,
            date_formats=date_formats,
        )

        def run_baselines(some: Sequence[tuple[np.ndarray, np.ndarray]]) -> dict[str, CVResult]:
            return cross_validate_baselines(
                df,
                column,
                resolved,
                some,
                metric_names,
                ignore=[*ignore, *layout.dropped],
                seed=seed,
                dates=layout.dates,
            )

    model, others = cross_validate_spread(
        fold, splits, seed=seed, stratified=stratified, baselines=run_baselines
    )
    archs = fold.chosen if fold.arch == "auto" else [fold.arch] * len(fold.lrs)
    return TableEvaluation(
        resolved, len(df), model, others, fold.lrs, predictions=fold.predictions, archs=archs
    )


def render(evaluation: TableEvaluation, console: Any = None) -> None:
    """Print the comparison table, then a warning line for each baseline the model does not clearly beat."""
    from rich.table import Table
    from rich.text import Text

    console = console or out_console
    level = round(evaluation.level * 100)
    model = evaluation.model.summary(evaluation.level)
    table = Table(
        title=f"{evaluation.model.k}-fold cross-validation "
        f"({evaluation.subject or f'{evaluation.task.kind}, {evaluation.n_rows:,} {evaluation.unit}'})",
        caption=f"mean ± std over folds; \\[low, high]: {level}% t interval of the mean",
    )
    table.add_column("metric", no_wrap=True)
    table.add_column(f"{MODEL_NAME} mean ± std", justify="right")
    table.add_column(f"{MODEL_NAME} {level}% CI", justify="right")
    for name in evaluation.baselines:
        table.add_column(name, justify="right")
    k, partial = evaluation.model.k, False
    for metric, summary in model.items():
        cells: list[Any] = [
            Text(metric),  # Text, not markup: "rmse[price]" would read as a style tag
            f"{summary.mean:.4f} ± {summary.std:.4f}{summary.of_folds(k)}",
            f"[{summary.low:.4f}, {summary.high:.4f}]",
        ]
        partial = partial or bool(summary.of_folds(k))
        for result in evaluation.baselines.values():
            other = result.summary(evaluation.level)[metric]
            cells.append(f"{other.mean:.4f} [{other.low:.4f}, {other.high:.4f}]{other.of_folds(k)}")
            partial = partial or bool(other.of_folds(k))
        table.add_row(*cells)
    console.print(fold_cells(table))
    if partial:
        console.print(
            "(n of k folds): the metric was undefined in the other folds (e.g. precision where nothing was "
            "predicted positive), so its mean is over the folds that define it",
            soft_wrap=True,
        )
    from trainwell.evaluate.baselines import row_interval_note

    note = row_interval_note(evaluation.baselines, evaluation.level)
    if note:
        console.print(Text(note), soft_wrap=True)
    if len(set(evaluation.archs)) > 1 or "gbdt" in evaluation.archs:
        counts = {name: evaluation.archs.count(name) for name in dict.fromkeys(evaluation.archs)}
        names = {"tabular_mlp": "the MLP", "gbdt": "boosted trees"}
        console.print(
            f"{MODEL_NAME} here is "
            + ", ".join(
                f"{names.get(name, name)} in {n} of {len(evaluation.archs)} folds"
                for name, n in counts.items()
            )
            + (" (each fold chose as fit --arch auto does)" if len(counts) > 1 else ""),
            soft_wrap=True,
        )
    if evaluation.task.kind == "multilabel":
        console.print(
            "multi-label: every model here decides each label at 0.5, so accuracy and f1 compare like with like; "
            "trainwell fit then chooses each label's threshold on its validation rows (its f1_tuned is higher). "
            "roc_auc does not depend on thresholds.",
            soft_wrap=True,
        )
    from trainwell.metrics.targets import split_target_key

    for verdict in evaluation.verdicts():
        # Headline metrics only: with several targets, one line per target and baseline drowns the message
        # (the table above shows every target's figures; to_dict keeps every verdict).
        if verdict.outcome != "beats" and split_target_key(verdict.metric)[1] is None:
            # Text, not markup: the sentence holds brackets that rich would read as style tags.
            console.print(
                Text.assemble(("warning:", "yellow"), " ", verdict.sentence(MODEL_NAME)), soft_wrap=True
            )


def evaluate(
    data: Annotated[
        Path,
        typer.Argument(
            help="A CSV, TSV or Parquet file with one row per example, or a folder of <label>/ images."
        ),
    ],
    target: Annotated[
        str | None,
        typer.Option(
            help="Column to predict; several comma-separated: a,b (numbers: one regression; 0/1 flags: multi-label)."
        ),
    ] = None,
    cv: Annotated[int, typer.Option(help="Number of cross-validation folds (stratified for classes).")] = 5,
    seed: Annotated[
        int, typer.Option(help="Seed for the folds, initialisation and shuffling.", min=0, max=MAX_SEED)
    ] = 0,
    epochs: Annotated[
        int | None, typer.Option(help="Passes over each fold (default: chosen from the fold size).")
    ] = None,
    time_budget: Annotated[
        str | None,
        typer.Option(
            "--time",
            help="Training time of the whole evaluation, e.g. 10m: each of the --cv folds trains within its share "
            "(a language model: its one fit within all of it), the epochs cut and the schedule fitted to them; "
            "the baselines and the scoring come on top.",
        ),
    ] = None,
    task: Annotated[
        str | None,
        typer.Option(
            help="Override the inferred task: binary, multiclass, multilabel, regression; language_model judges a "
            "language model trained on the corpus DATA (a folder of .txt files, a text file, or --text column)."
        ),
    ] = None,
    label_delim: LabelDelim = None,
    path_col: PathCol = None,
    label_col: LabelCol = None,
    baselines: Annotated[bool, typer.Option(help="Also cross-validate the scikit-learn baselines.")] = True,
    size: Annotated[int | None, typer.Option(help="Images: side in pixels (default as in fit).")] = None,
    cat_names: CatNames = None,
    cont_names: ContNames = None,
    ignore: Ignore = None,
    date_format: DateFormat = None,
    text: Annotated[
        str | None,
        typer.Option(help="Texts: the column holding the text (cross-validates a text classifier)."),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(help="Ratings: the user column (with --item: cross-validates a recommender)."),
    ] = None,
    item: Annotated[str | None, typer.Option(help="Ratings: the item column.")] = None,
    implicit: Annotated[
        bool,
        typer.Option(
            help="Ratings: read each row as an interaction (plays, clicks) and cross-validate the ranking over "
            "users; automatic for a table of only users, items and times."
        ),
    ] = False,
    tag_col: TagColumn = None,
    encoding: Annotated[
        str,
        typer.Option(help=ENCODING_HELP),
    ] = "utf-8",
    test: Annotated[
        Path | None,
        typer.Option(
            help="Language models: the test text (same forms as the corpus); default: the corpus's last 10% of "
            "texts."
        ),
    ] = None,
    pretrained: Annotated[
        Path | None,
        typer.Option(
            help="Language models: a language-model directory to fine-tune on the corpus (ULMFiT's second step) "
            "instead of training from scratch; its vocabulary is extended with the corpus's words."
        ),
    ] = None,
    arch: Annotated[
        str,
        typer.Option(
            help="Tables: the model cross-validated: auto (default: in each fold, boosted trees or the MLP, "
            "chosen as fit chooses, on a fifth of the fold's training rows), mlp, or gbdt."
        ),
    ] = "auto",
) -> None:
    """Cross-validate a model on a table, a folder of images, texts, ratings or tagged sentences (CoNLL files),
    with confidence intervals, against baselines; a language model (--task language_model) is judged on
    held-out text against n-gram baselines."""

    def run() -> None:
        from trainwell.callbacks.budget import budget_each_call, parse_duration
        from trainwell.distributed.spread import spread_position

        if spread_position()[0] != 0:
            out_console.quiet = True  # under torchrun the folds are shared out; rank 0 alone reports them
        seconds = None if time_budget is None else parse_duration(time_budget, "--time")
        if seconds is None:
            evaluate_all()
            return
        calls = 1 if task == "language_model" else max(cv, 1)
        with budget_each_call(seconds / calls) as budgets:  # every fold's pipeline call gets its share
            evaluate_all()
        say_fold_budgets(time_budget, budgets, calls)

    def evaluate_all() -> None:
        from trainwell.core.errors import ConfigError

        if task == "language_model":
            from trainwell.cli._evaluate_lm import refuse_spread, render_lm
            from trainwell.text.lm_eval import evaluate_language_model

            refuse_spread()
            if target is not None:
                raise ConfigError(
                    "--target is not used by a language model: it predicts the next word of --text"
                )
            render_lm(
                evaluate_language_model(
                    data,
                    test=test,
                    text_col=text,
                    epochs=epochs,
                    seed=seed,
                    baselines=baselines,
                    encoding=encoding,
                    pretrained=pretrained,
                ),
                out_console,
                seed,
            )
            return
        if test is not None or pretrained is not None:
            option = "--test" if test is not None else "--pretrained"
            raise ConfigError(
                f"{option} is for language models (--task language_model); other models are judged by --cv folds"
            )
        if cv < 2:
            raise ConfigError(f"--cv must be at least 2 folds, got {cv}; pass e.g. --cv 5")
        from trainwell.cli._tagging import is_tagging_source

        if is_tagging_source(data, task):
            from trainwell.cli._evaluate_tagging import evaluate_tagging

            render(
                evaluate_tagging(data, k=cv, seed=seed, epochs=epochs, tag_col=tag_col, baselines=baselines)
            )
            return
        if data.is_dir() or path_col is not None:
            from trainwell.cli._evaluate_images import evaluate_images

            if target is not None:
                raise ConfigError(
                    "--target is for tables; image labels come from class folders or --label-col"
                )
            render(
                evaluate_images(
                    data,
                    path_col=path_col,
                    label_col=label_col,
                    label_delim=label_delim,
                    k=cv,
                    seed=seed,
                    epochs=epochs,
                    task=task,
                    baselines=baselines,
                    size=size,
                )
            )
            return
        common: dict[str, Any] = {
            "k": cv,
            "seed": seed,
            "epochs": epochs,
            "task": task,
            "baselines": baselines,
            "source": str(data),
        }
        if user is not None or item is not None:
            from trainwell.cli._evaluate_ratings import evaluate_ratings
            from trainwell.collab.data import read_ratings

            render(
                evaluate_ratings(
                    read_ratings(data, encoding=encoding),
                    user=user,
                    item=item,
                    rating=target,
                    implicit=implicit,
                    **common,
                )
            )
            return
        if target is None:
            from trainwell.cli._common import missing_target

            raise missing_target(data, encoding)
        from trainwell.data.io import read_table

        table = read_table(data, encoding=encoding)
        if text is not None:
            from trainwell.cli._evaluate_texts import evaluate_texts
            from trainwell.cli.fit_cmd import target_columns

            render(evaluate_texts(table, text, target_columns(target), **common, label_delim=label_delim))
            return
        from trainwell.cli.fit_cmd import table_roles, target_columns

        roles = table_roles(cat_names, cont_names, ignore, date_format)
        if arch not in ("auto", "mlp", "tabular_mlp", "gbdt"):
            raise ConfigError(
                f"--arch {arch} is not an architecture for tables: use auto (the default), mlp or gbdt"
            )
        result = evaluate_table(
            table, target_columns(target), **common, **roles, label_delim=label_delim, arch=arch
        )
        render(result)

    guarded(run)


def say_fold_budgets(time_budget: str | None, budgets: list[Any], calls: int) -> None:
    """What ``evaluate --time`` allowed: each fold's share, and how many folds it cut.

    Under ``torchrun`` each process holds the budgets of its own folds: every process calls this, and they are
    gathered in fold order first (each fold has the share it has in one process, so the processes together
    finish sooner rather than train longer).
    """
    from trainwell.callbacks.budget import format_duration
    from trainwell.cli._show import say_budget
    from trainwell.distributed.spread import gather_results, my_share

    if calls == 1:  # a language model: one fit, in one process
        used_one = [budget for budget in budgets if budget.fits]
        if used_one:
            say_budget(used_one[0], out_console)
        return
    share = my_share(calls)
    # One budget per fold call, in the order of this process's folds (the fold number orders them).
    numbers = share if len(budgets) == len(share) else list(range(len(budgets)))
    mine = [
        (number, budget.seconds, any(fit["shortened"] for fit in budget.fits), budget.summary())
        for number, budget in zip(numbers, budgets, strict=True)
        if budget.fits
    ]
    used = sorted(row for part in gather_results(mine) for row in part)
    if not used:
        return
    cut = sum(shortened for _, _, shortened, _ in used)
    out_console.print(
        f"--time {time_budget}: each of the {len(used)} folds trained within {format_duration(used[0][1])}; the "
        f"budget cut {cut} of them (fold {used[0][0] + 1}: {used[0][3]})",
        soft_wrap=True,
        markup=False,
    )
