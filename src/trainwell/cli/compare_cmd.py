"""``trainwell compare MODEL_A MODEL_B --data labelled.csv``: is B really better than A on these rows, or is the
difference noise?

Both model directories are scored on the same labelled rows as ``trainwell report`` scores one (the same reading,
checks and predictions); the statistics are :mod:`trainwell.evaluate.paired`'s. Registered on the main command
line by ``app.command("compare")(compare)``. Heavy imports (torch, pandas) happen inside the command so that
``trainwell --help`` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from trainwell.cli import _options as option
from trainwell.cli._common import MAX_SEED, check_json_out, guarded, out_console, unpacked_data

#: The applications whose models compare reads labelled rows for.
SUPPORTED = "table models (binary, multiclass, multi-label, regression)"


def compare(
    model_a: Annotated[
        Path, typer.Argument(help="Model directory A (the reference), written by `trainwell fit`.")
    ],
    model_b: Annotated[Path, typer.Argument(help="Model directory B (the challenger), for the same target.")],
    data: Annotated[
        Path,
        typer.Option(
            help="Labelled rows neither model trained on, target column included (CSV, TSV or Parquet), or a "
            "folder of splits (its test split is read)."
        ),
    ],
    metric: Annotated[
        list[str] | None,
        typer.Option(
            help="A metric to compare the models by, e.g. log_loss (repeat for several; default: the task's own, "
            "accuracy, roc_auc, f1, or rmse, mae, r2)."
        ),
    ] = None,
    resamples: Annotated[
        int, typer.Option(help="Bootstrap resamples of the rows for each interval.", min=1, max=100_000)
    ] = 1000,
    seed: Annotated[
        int,
        typer.Option(
            help="Seed for the bootstrap resamples (the same for every metric).", min=0, max=MAX_SEED
        ),
    ] = 0,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the figures to this JSON file.")
    ] = None,
    encoding: option.DataEncoding = "utf-8",
    encoding_errors: option.EncodingErrors = "strict",
    names: option.Names = None,
) -> None:
    """Compare two models on the same labelled rows: each metric for A and B, the difference B - A with a 95%
    paired bootstrap interval, and a verdict.

    The same resampled rows score both models, so what makes a row easy or hard cancels out. A difference whose
    interval holds 0 is no clear difference. Classifiers also get McNemar's test on their right decisions."""

    def run() -> None:
        from trainwell.cli._early import check_text_options, need_data, need_model_directory, peek_metadata

        # Before the imports of torch and pandas: a mistake is said at once.
        check_text_options(encoding, encoding_errors)
        need_model_directory(model_a)
        need_model_directory(model_b)
        metadata = peek_metadata(model_a), peek_metadata(model_b)
        for name, path, found in zip("AB", (model_a, model_b), metadata, strict=True):
            refuse_unsupported(name, path, found)
        check_json_out(json_out, "compare.json")
        if metric:
            from trainwell.core.metric_names import check_metric_names

            check_metric_names(metric)
        nonlocal data  # an archive: what it holds, unpacked; a folder of splits: its test split
        data = unpacked_data(data)  # type: ignore[assignment]
        if data.is_dir():
            from trainwell.cli._splits import held_out_split

            targets = [str(name) for name in (metadata[0].get("task") or {}).get("target_names") or []]
            # a model fitted on files without a header row (UCI's adult.data) reads the test split with their names
            stored = (metadata[0].get("training") or {}).get("header_names")
            listed = names if names is not None or not stored else ",".join(map(str, stored))
            data, _ = held_out_split(data, listed, encoding, encoding_errors, targets=targets)
        need_data(data, "table")
        compared = score_both(metadata[0])
        show(compared)
        if json_out is not None:
            from trainwell.core.atomic import write_text_atomic

            write_text_atomic(json_out, to_json(compared))
            out_console.print(f"wrote {json_out}", soft_wrap=True, markup=False, highlight=False)

    def score_both(metadata: dict[str, Any]) -> Any:
        """Both models' predictions of the rows of ``data``, compared (:class:`PairedComparison`)."""
        import warnings

        from trainwell.cli._common import header_names, say_warning
        from trainwell.data.io import read_table
        from trainwell.evaluate.compare import evaluation_metrics
        from trainwell.evaluate.paired import compare_predictions
        from trainwell.export.predictor import load
        from trainwell.report.build import _targets, _training_overlap

        predictors = [load_table_model(load, path) for path in (model_a, model_b)]
        check_same_task(predictors[0].task, predictors[1].task)
        listed = header_names(names, metadata, data, encoding)  # --names, or those of A's training file
        frame = read_table(data, names=listed, encoding=encoding, encoding_errors=encoding_errors)
        frame = frame.reset_index(drop=True)
        need_labels(predictors[0].task.target_names, frame, data)
        targets = [_targets(predictor, frame, str(data)) for predictor in predictors]
        for name, predictor in zip("AB", predictors, strict=True):
            with warnings.catch_warnings():  # its own warning speaks of a report: said here, naming the model
                warnings.simplefilter("ignore", UserWarning)
                overlap = _training_overlap(predictor.metadata, frame)
            if overlap:
                say_warning(f"model {name}: {overlap.removeprefix('Warning: ')}")
        task = predictors[0].task
        chosen = evaluation_metrics(metric, task)
        compared = compare_predictions(
            task.kind,
            predictors[0].predict_proba(frame),
            predictors[1].predict_proba(frame),
            targets[0],
            chosen,
            thresholds=(predictors[0].task.decision_threshold, predictors[1].task.decision_threshold),
            n_boot=resamples,
            seed=seed,
        )
        return compared, task

    def show(found: Any) -> None:
        from rich.table import Table

        from trainwell.cli._common import fold_cells
        from trainwell.core.numbers import figure

        compared, task = found
        out_console.print(
            f"A = {model_a}, B = {model_b}: {task.kind} models of {', '.join(map(repr, task.target_names))}, "
            f"judged on the same {compared.n_rows:,} labelled rows of {data}",
            soft_wrap=True,
            markup=False,
            highlight=False,
        )
        table = Table(title=f"B - A, 95% paired bootstrap interval over rows ({compared.n_boot:,} resamples)")
        for column in ("metric", "A", "B", "B - A", "95% interval", "verdict"):
            table.add_column(column, justify="left" if column in ("metric", "verdict") else "right")
        for row in compared.metrics:
            better = "higher" if row.higher_is_better else "lower"
            low, high = (
                figure(value, 4, True, row.a.mean) for value in (row.difference.low, row.difference.high)
            )
            table.add_row(
                f"{row.metric} ({better} is better)",
                figure(row.a.mean, 4),
                figure(row.b.mean, 4, like=row.a.mean),
                figure(row.difference.mean, 4, True, row.a.mean),
                f"[{low}, {high}]",
                row.verdict,
            )
        out_console.print(fold_cells(table))
        if compared.mcnemar is not None:
            out_console.print(compared.mcnemar.sentence(), soft_wrap=True, markup=False, highlight=False)

    def to_json(found: Any) -> str:
        import json

        compared, task = found
        document = {
            "model_a": str(model_a),
            "model_b": str(model_b),
            "data": str(data),
            "target_names": list(task.target_names),
            **compared.to_dict(),
        }
        return json.dumps(document, indent=2) + "\n"

    guarded(run)


def refuse_unsupported(name: str, path: Path, metadata: dict[str, Any]) -> None:
    """Refuse, before the imports, a model of a kind compare does not read labelled rows for."""
    from trainwell.core.errors import ConfigError

    application = metadata.get("application")
    if metadata and application != "tabular":
        from trainwell.cli._unread import model_words

        raise ConfigError(
            f"trainwell compare supports {SUPPORTED}; model {name} '{path}' is {model_words(metadata)}: judge it "
            f"alone with trainwell report {path} --data FILE"
        )


def load_table_model(load: Any, path: Path) -> Any:
    """The predictor of the model directory ``path``, refused unless it is a table model of a supported task."""
    from trainwell.core.errors import ConfigError
    from trainwell.tabular.predictor import TabularPredictor

    predictor = load(path)
    kind = getattr(getattr(predictor, "task", None), "kind", None)
    if not isinstance(predictor, TabularPredictor) or kind not in (
        "binary",
        "multiclass",
        "multilabel",
        "regression",
    ):
        raise ConfigError(
            f"trainwell compare supports {SUPPORTED}; '{path}' is not one (a {kind or 'model'} of another kind)"
        )
    return predictor


def check_same_task(first: Any, second: Any) -> None:
    """Refuse two models that do not predict the same thing: another target, kind of task or set of classes."""
    from trainwell.core.errors import ConfigError

    def described(task: Any) -> str:
        targets = ", ".join(map(repr, task.target_names))
        classes = (
            f" ({', '.join(map(str, task.classes))})" if task.kind != "regression" and task.classes else ""
        )
        return f"{task.kind} of {targets}{classes}"

    fix = "compare models fitted on the same target (fit both with the same --target and --task)"
    if tuple(first.target_names) != tuple(second.target_names) or first.kind != second.kind:
        raise ConfigError(f"A is a {described(first)} but B is a {described(second)}; {fix}")
    if first.kind == "regression":
        return
    if set(map(str, first.classes)) != set(map(str, second.classes)):
        raise ConfigError(
            f"A and B know different classes of {first.target_names[0]!r}: A {', '.join(map(str, first.classes))}; "
            f"B {', '.join(map(str, second.classes))}; {fix}, on training data with the same classes"
        )
    if tuple(map(str, first.classes)) != tuple(map(str, second.classes)):
        if first.kind == "binary":
            raise ConfigError(
                f"A scores {first.classes[1]!r} as the positive class but B scores {second.classes[1]!r}: their "
                f"roc_auc and f1 measure different things; refit one with --positive {first.classes[1]}"
            )
        raise ConfigError(
            f"A and B order the classes of {first.target_names[0]!r} differently "
            f"({', '.join(map(str, first.classes))} against {', '.join(map(str, second.classes))}); refit one "
            "from the same training file"
        )


def need_labels(target_names: Any, frame: Any, source: Path) -> None:
    """Refuse rows without the target column(s): compare needs labelled rows."""
    from trainwell.core.errors import DataError
    from trainwell.data.io import list_columns

    absent = [name for name in target_names if name not in frame.columns]
    if absent:
        raise DataError(
            f"target column {', '.join(map(repr, absent))} not found in '{source}': compare needs labelled rows "
            f"(the models' target beside their inputs), such as a held-out split. Columns are: "
            f"{list_columns([str(column) for column in frame.columns])}"
        )
