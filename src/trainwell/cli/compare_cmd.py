"""``trainwell compare MODEL_A MODEL_B --data labelled``: is B really better than A on these examples, or is the
difference noise?

Both model directories are scored on the same labelled examples as ``trainwell report`` scores one (the same
reading, checks and predictions: rows of a table, texts, images, rated pairs; :mod:`trainwell.cli._compared`); the
statistics are :mod:`trainwell.evaluate.paired`'s. Registered on the main command line by
``app.command("compare")(compare)``. Heavy imports (torch, pandas) happen inside the command so that
``trainwell --help`` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from trainwell.cli import _options as option
from trainwell.cli._common import MAX_SEED, check_json_out, guarded, out_console, unpacked_data

#: The models compare reads labelled examples for.
SUPPORTED = (
    "classifiers and regressions of tables, texts and images (binary, multiclass, multi-label, regression) and "
    "ratings models"
)
#: The applications of :data:`SUPPORTED` (a text application's language models and taggers are not).
APPLICATIONS = ("tabular", "text", "vision", "collab")
#: The tasks of :data:`SUPPORTED`.
TASKS = ("binary", "multiclass", "multilabel", "regression")


def compare(
    model_a: Annotated[
        Path, typer.Argument(help="Model directory A (the reference), written by `trainwell fit`.")
    ],
    model_b: Annotated[
        Path, typer.Argument(help="Model directory B (the challenger), of the same kind and target.")
    ],
    data: Annotated[
        Path,
        typer.Option(
            help="Labelled examples neither model trained on, as `trainwell report --data` reads them: a table "
            "(CSV, TSV or Parquet) with the target column; for text classifiers also a folder of class folders of "
            ".txt files; for image models a folder of class folders or a CSV of paths and labels; or a folder of "
            "splits (its test split is read)."
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
        int, typer.Option(help="Bootstrap resamples of the examples for each interval.", min=1, max=100_000)
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
    path_col: option.PathCol = None,
    label_col: option.LabelCol = None,
) -> None:
    """Compare two models on the same labelled examples: each metric for A and B, the difference B - A with a 95%
    paired bootstrap interval, and a verdict.

    Tables, texts, images and ratings. The same resampled examples score both models, so what makes an example
    easy or hard cancels out. A difference whose interval holds 0 is no clear difference. Classifiers also get
    McNemar's test on their right decisions."""

    def run() -> None:
        from trainwell.cli._early import check_text_options, need_data, need_model_directory, peek_metadata

        # Before the imports of torch and pandas: a mistake is said at once.
        check_text_options(encoding, encoding_errors)
        need_model_directory(model_a)
        need_model_directory(model_b)
        metadata = peek_metadata(model_a), peek_metadata(model_b)
        for name, path, found in zip("AB", (model_a, model_b), metadata, strict=True):
            refuse_unsupported(name, path, found)
        refuse_other_kinds(model_a, model_b, metadata)
        check_json_out(json_out, "compare.json")
        if metric:
            from trainwell.core.metric_names import check_metric_names

            check_metric_names(metric)
        nonlocal data  # an archive: what it holds, unpacked; a folder of splits: its test split
        data = unpacked_data(data)  # type: ignore[assignment]
        from trainwell.cli._outputs import check_out_file

        check_out_file(json_out, [data], "--json")  # never over the rows it reads, nor inside model A or B
        application = metadata[0].get("application") or metadata[1].get("application")
        if data.is_dir():
            from trainwell.cli._splits import held_out_split

            targets = [str(name) for name in (metadata[0].get("task") or {}).get("target_names") or []]
            # a model fitted on files without a header row (UCI's adult.data) reads the test split with their names
            stored = (metadata[0].get("training") or {}).get("header_names")
            listed = names if names is not None or not stored else ",".join(map(str, stored))
            data, _ = held_out_split(data, listed, encoding, encoding_errors, targets=targets)
        refuse_unread_options(application, metadata[0])
        if application == "vision":
            need_data(data, "images")
        else:  # a text classifier's folder of class folders: its files are the texts
            need_data(data, "corpus" if application == "text" and data.is_dir() else "table")
        compared = score_both(metadata[0])
        show(compared)
        if json_out is not None:
            from trainwell.core.atomic import write_text_atomic

            write_text_atomic(json_out, to_json(compared))
            out_console.print(f"wrote {json_out}", soft_wrap=True, markup=False, highlight=False)

    def refuse_unread_options(application: str | None, metadata: dict[str, Any]) -> None:
        """Refuse --path-col and --label-col but for image models judged on a CSV, and --names for images."""
        from trainwell.cli._unread import model_words, refuse_for

        given = {"--path-col": path_col is not None, "--label-col": label_col is not None}
        columns = "image models judged on a CSV of paths and labels"
        if application != "vision":
            refuse_for(given, {"--path-col": columns, "--label-col": columns}, model_words(metadata))
            return
        refuse_for({"--names": names is not None}, {"--names": "tables and texts"}, "image models")
        if data.is_dir():  # its labels are its class folders
            columns = "a CSV of paths and labels"
            refuse_for(
                given,
                {"--path-col": columns, "--label-col": columns},
                f"a folder of class folders ('{data}')",
            )

    def score_both(metadata: dict[str, Any]) -> Any:
        """Both models' predictions of the examples of ``data``, compared (:class:`PairedComparison`)."""
        from trainwell.cli._common import header_names
        from trainwell.cli._compared import judged_examples
        from trainwell.evaluate.compare import evaluation_metrics
        from trainwell.evaluate.paired import compare_predictions
        from trainwell.export.predictor import load

        paths = (model_a, model_b)
        predictors = (load_model(load, model_a), load_model(load, model_b))
        check_same_task(predictors[0].task, predictors[1].task, paths)
        judged = judged_examples(
            predictors,
            paths,
            data,
            # --names, or those of A's training file
            names=None
            if predictors[0].application == "vision"
            else header_names(names, metadata, data, encoding),
            path_col=path_col,
            label_col=label_col,
            encoding=encoding,
            encoding_errors=encoding_errors,
        )
        task = predictors[0].task
        same = same_model(*paths) or same_predictions(judged, predictors, paths)
        if same:  # said, not refused: the figures are right, only they cannot tell the two apart
            from trainwell.core.warn import warn

            warn(
                f"{same}: every difference below is 0 by construction and says nothing of either model; {SAME_FIX}"
            )
        chosen = evaluation_metrics(metric, task)
        compared = compare_predictions(
            task.kind,
            judged.probabilities[0],
            judged.probabilities[1],
            judged.targets,
            chosen,
            thresholds=(predictors[0].task.decision_threshold, predictors[1].task.decision_threshold),
            n_boot=resamples,
            seed=seed,
        )
        return compared, task, judged

    def show(found: Any) -> None:
        from trainwell.cli._show import print_with_prose

        compared, task, judged = found
        out_console.print(
            f"A = {model_a}, B = {model_b}: {task.kind} models of {', '.join(map(repr, task.target_names))}, "
            f"judged on the same {compared.n_rows:,} labelled {judged.unit} of {judged.where}",
            soft_wrap=True,
            markup=False,
            highlight=False,
        )
        title = f"B - A, 95% paired bootstrap interval over {judged.unit} ({compared.n_boot:,} resamples)"
        # the metric's name and the verdict are the columns that wrap: every figure and interval stays whole
        print_with_prose(
            out_console,
            difference_table(title, compared.metrics),
            lambda: difference_table(title, compared.metrics, stacked=True),
            prose=(0, -1),
            narrow_prose=(-1,),  # "(higher is better)" on a line of its own
        )
        if compared.mcnemar is not None:
            out_console.print(
                compared.mcnemar.sentence(unit=judged.unit), soft_wrap=True, markup=False, highlight=False
            )
        out_console.print(
            overall_line(compared.metrics, model_a, model_b, compared.n_rows, judged.unit),
            soft_wrap=True,
            markup=False,
            highlight=False,
        )

    def to_json(found: Any) -> str:
        import json

        compared, task, judged = found
        document = {
            "model_a": str(model_a),
            "model_b": str(model_b),
            "data": str(data),
            "examples": judged.where,
            "unit": judged.unit,
            "target_names": list(task.target_names),
            **compared.to_dict(),
        }
        return json.dumps(document, indent=2) + "\n"

    guarded(run)


def difference_table(title: str, rows: Any, stacked: bool = False) -> Any:
    """compare's table: each metric's figure for A and B, B - A and its interval (in a column of its own, or
    ``stacked`` on its own line under B - A: a narrow terminal's form, which also writes which way is better
    under the metric's name), and the verdict."""
    from rich.table import Table

    from trainwell.core.numbers import figure

    table = Table(title=title)
    columns = ("metric", "A", "B", "B - A\n95% interval" if stacked else "B - A")
    for column in (*columns, *(() if stacked else ("95% interval",)), "verdict"):
        table.add_column(column, justify="left" if column in ("metric", "verdict") else "right")
    for row in rows:
        better = "higher" if row.higher_is_better else "lower"
        low, high = (
            figure(value, 4, True, row.a.mean) for value in (row.difference.low, row.difference.high)
        )
        difference, interval = figure(row.difference.mean, 4, True, row.a.mean), f"[{low}, {high}]"
        figures = (figure(row.a.mean, 4), figure(row.b.mean, 4, like=row.a.mean))
        if stacked:
            table.add_row(
                f"{row.metric}\n({better} is better)", *figures, f"{difference}\n{interval}", row.verdict
            )
        else:
            table.add_row(f"{row.metric} ({better} is better)", *figures, difference, interval, row.verdict)
    return table


def overall_line(rows: Any, model_a: Path, model_b: Path, n_rows: int, unit: str = "rows") -> str:
    """One conclusion over every metric of ``rows`` (:class:`~trainwell.evaluate.paired.PairedMetric`), naming A
    and B by their directories: no metric shows a clear difference, one model is better on some, or the metrics
    disagree; with a word on testing several metrics at once where one of them shows a difference. The table
    gave per-metric verdicts only ("B is better"), and a reader was left to add them up."""
    a, b = f"A '{model_a}'", f"B '{model_b}'"
    judged = [row for row in rows if row.outcome != "undefined"]
    for_b = [row.metric for row in judged if row.outcome == "beats"]
    for_a = [row.metric for row in judged if row.outcome == "worse"]
    unclear = [row.metric for row in judged if row.outcome == "within"]
    if not judged:
        return f"overall: no metric could be scored for both {a} and {b} on these {n_rows:,} {unit}"
    if not (for_a or for_b):
        return (
            f"overall: no metric shows a clear difference between {a} and {b} on these {n_rows:,} {unit}: the data "
            "cannot tell them apart"
        )
    if for_a and for_b:
        line = (
            f"overall: the metrics disagree: {b} is better on {', '.join(for_b)}, {a} on {', '.join(for_a)}"
        )
    else:
        winner, loser, metrics = (b, a, for_b) if for_b else (a, b, for_a)
        line = f"overall: {winner} is better than {loser} on {', '.join(metrics)}"
    if unclear:
        line += f"; no clear difference on {', '.join(unclear)}"
    if len(judged) > 1:
        line += (
            f"; {len(judged)} metrics are tested at once, each at 95%, so a clear difference on one of them alone "
            "can come by chance: trust it more where the metrics agree"
        )
    return line


def refuse_unsupported(name: str, path: Path, metadata: dict[str, Any]) -> None:
    """Refuse, before the imports, a model of a kind compare does not read labelled examples for: a language
    model, a tagger."""
    from trainwell.cli._early import model_kind
    from trainwell.core.errors import ConfigError

    if metadata and (
        metadata.get("application") not in APPLICATIONS or model_kind(metadata) not in ("rows", "vision")
    ):
        from trainwell.cli._unread import model_words

        raise ConfigError(
            f"trainwell compare supports {SUPPORTED}; model {name} '{path}' is {model_words(metadata)}: judge it "
            f"alone with trainwell report {path} --data FILE"
        )


#: What to compare a model with instead of itself.
SAME_FIX = "compare it with another model fitted on the same target (other settings, another seed)"


def same_model(model_a: Path, model_b: Path) -> str | None:
    """How A and B are one model, in words: the same directory twice, or two directories holding the same weights
    and settings (a copy); ``None`` otherwise. Every prediction is then the same, and the paired test of their
    difference had filled a table of +0.0000 [+0.0000, +0.0000] that reads as a finding, without a word."""
    from trainwell.core.model_dir import METADATA_FILE, WEIGHTS_FILE, file_digest

    if model_a.resolve() == model_b.resolve():
        return f"A and B are the same model directory '{model_a}'"
    weights = model_a / WEIGHTS_FILE, model_b / WEIGHTS_FILE
    if not all(path.is_file() for path in weights) or weights[0].stat().st_size != weights[1].stat().st_size:
        return None
    if file_digest(weights[0]) != file_digest(weights[1]) or _settings(model_a / METADATA_FILE) != _settings(
        model_b / METADATA_FILE
    ):
        return None
    return f"A '{model_a}' and B '{model_b}' hold the same weights and settings (a copy of one model)"


def _settings(path: Path) -> Any:
    """A model's trainwell.json but for when it was written: what makes it predict as it does."""
    import json

    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return (
        {key: value for key, value in found.items() if key != "created"} if isinstance(found, dict) else None
    )


def same_predictions(judged: Any, predictors: tuple[Any, Any], paths: tuple[Path, Path]) -> str | None:
    """Two models that predict every example exactly alike (the same weights in another form, or settings that
    change nothing), in words; ``None`` otherwise."""
    import torch

    first, second = judged.probabilities
    thresholds = tuple(getattr(predictor.task, "decision_threshold", None) for predictor in predictors)
    if first.shape != second.shape or thresholds[0] != thresholds[1] or not torch.equal(first, second):
        return None
    return (
        f"A '{paths[0]}' and B '{paths[1]}' predict all {judged.n_examples:,} {judged.unit} of {judged.where} "
        "exactly alike"
    )


def refuse_other_kinds(model_a: Path, model_b: Path, metadata: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """Refuse, before the imports, two models of different kinds (a text classifier and a table model): they
    read different examples, so no example scores both."""
    from trainwell.cli._unread import model_words
    from trainwell.core.errors import ConfigError

    first, second = metadata
    if first and second and first.get("application") != second.get("application"):
        raise ConfigError(
            f"A '{model_a}' is {model_words(first)} but B '{model_b}' is {model_words(second)}: compare judges two "
            "models of the same kind and target on the same examples; compare models fitted on the same data"
        )


def load_model(load: Any, path: Path) -> Any:
    """The predictor of the model directory ``path``, refused unless it is of a supported kind and task."""
    from trainwell.core.errors import ConfigError

    predictor = load(path)
    kind = getattr(getattr(predictor, "task", None), "kind", None)
    if getattr(predictor, "application", None) not in APPLICATIONS or kind not in TASKS:
        raise ConfigError(
            f"trainwell compare supports {SUPPORTED}; '{path}' is not one (a {kind or 'model'} of another kind)"
        )
    return predictor


def check_same_task(first: Any, second: Any, paths: tuple[Path, Path]) -> None:
    """Refuse two models that do not predict the same thing: another target, kind of task or set of classes
    (``paths``: the models' directories, A's then B's, named by the refusal)."""
    a, b = (f"'{path}'" for path in paths)
    from trainwell.core.errors import ConfigError

    def described(task: Any) -> str:
        targets = ", ".join(map(repr, task.target_names))
        classes = (
            f" ({', '.join(map(str, task.classes))})" if task.kind != "regression" and task.classes else ""
        )
        return f"{task.kind} of {targets}{classes}"

    fix = "compare models fitted on the same target (fit both with the same --target and --task)"
    # A binary and a multiclass model of one target: their label sets differ, said as such.
    single_label = {first.kind, second.kind} <= {"binary", "multiclass"}
    if tuple(first.target_names) != tuple(second.target_names) or (
        first.kind != second.kind and not single_label
    ):
        raise ConfigError(f"A {a} is a {described(first)} but B {b} is a {described(second)}; {fix}")
    if first.kind == "regression":
        return
    if set(map(str, first.classes)) != set(map(str, second.classes)) or first.kind != second.kind:
        raise ConfigError(
            f"A {a} and B {b} know different classes of {first.target_names[0]!r}: A {', '.join(map(str, first.classes))}; "
            f"B {', '.join(map(str, second.classes))}; {fix}, on training data with the same classes"
        )
    if tuple(map(str, first.classes)) != tuple(map(str, second.classes)):
        if first.kind == "binary":
            raise ConfigError(
                f"A {a} scores {first.classes[1]!r} as the positive class but B {b} scores {second.classes[1]!r}: their "
                f"roc_auc and f1 measure different things; refit one with --positive {first.classes[1]}"
            )
        raise ConfigError(
            f"A {a} and B {b} order the classes of {first.target_names[0]!r} differently "
            f"({', '.join(map(str, first.classes))} against {', '.join(map(str, second.classes))}); refit one "
            "from the same training file"
        )
