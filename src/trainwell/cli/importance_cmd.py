"""``trainwell importance MODEL DATA``: which input columns of a table model matter, with an interval for each.

Each input column of the labelled rows is shuffled ``--repeats`` times and the metric recomputed
(:func:`trainwell.report.importance.measure_importance`); the table ranks the columns by the mean loss of quality
and gives each a Student-t interval over the shuffles, and ``--out`` writes the figures as CSV or JSON (the report
shows them only as a table of its HTML page). Registered on the main command line by
``app.command("importance")(importance)``. Heavy imports (torch, pandas) happen inside the command so that
``trainwell --help`` stays instant and a mistake on the command line is said at once.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer

from trainwell.cli import _options as option
from trainwell.cli._common import MAX_SEED, guarded, out_console, unpacked_data

#: What trainwell importance ranks the columns of.
SUPPORTED = "table models (binary, multiclass, multi-label and regression)"
#: The tasks of :data:`SUPPORTED`.
TASKS = ("binary", "multiclass", "multilabel", "regression")
#: The endings ``--out`` writes, and what it writes for each.
OUT_FORMATS = (".csv", ".json")
#: Rows scored by default: enough for steady figures on most tables, a few seconds of shuffles.
DEFAULT_ROWS = 5000
#: Coverage of the intervals.
CONFIDENCE = 0.95


def importance(
    model: Annotated[
        Path, typer.Argument(help="Model directory of a table model, written by `trainwell fit`.")
    ],
    data: Annotated[
        Path,
        typer.Argument(
            help="Labelled rows, target column included, ideally rows the model did not train on (CSV, TSV, "
            "Parquet or JSON lines; a folder of splits: its test split)."
        ),
    ],
    metric: Annotated[
        str | None,
        typer.Option(
            help="The metric whose loss ranks the columns, any of the task's, e.g. average_precision, f1, log_loss, "
            "mae (default: roc_auc for binary and multi-label, accuracy for multiclass, rmse for regression)."
        ),
    ] = None,
    repeats: Annotated[
        int, typer.Option(help="Shuffles of each column; the interval is over them.", min=2, max=1000)
    ] = 5,
    rows: Annotated[
        int,
        typer.Option(
            help="Score a seeded sample of this many rows when DATA has more, for speed (0: every row).",
            min=0,
        ),
    ] = DEFAULT_ROWS,
    seed: Annotated[
        int, typer.Option(help="Seed for the shuffles and the sample of rows.", min=0, max=MAX_SEED)
    ] = 0,
    out: Annotated[
        Path | None,
        typer.Option(help="Also write the figures to this file: .csv (one row a column) or .json."),
    ] = None,
    encoding: option.DataEncoding = "utf-8",
    encoding_errors: option.EncodingErrors = "strict",
    names: option.Names = None,
) -> None:
    """Rank a table model's input columns by how much the metric drops when each is shuffled, with a 95% interval.

    Shuffling a column breaks its link with the target on these rows; the loss of quality is how much the model
    relies on it. A column whose interval includes 0 did not measurably help."""

    def run() -> None:
        from trainwell.cli._early import check_text_options, need_data, need_model_directory, peek_metadata

        # Before the imports of torch and pandas: a mistake is said at once.
        check_text_options(encoding, encoding_errors)
        need_model_directory(model)
        metadata = peek_metadata(model)
        refuse_unsupported(model, metadata)
        check_out(out)
        nonlocal data  # an archive: what it holds, unpacked; a folder of splits: its test split
        data = unpacked_data(data)  # type: ignore[assignment]
        if data.is_dir():
            from trainwell.cli._splits import held_out_split

            targets = [str(name) for name in (metadata.get("task") or {}).get("target_names") or []]
            data, _ = held_out_split(data, names, encoding, encoding_errors, targets=targets)
        need_data(data, "table")
        from trainwell.cli._outputs import check_out_file

        check_out_file(out, [data])  # never over the rows it reads, nor inside the model directory
        found = measure(metadata)
        show(found)
        if out is not None:
            write(found, out)

    def measure(metadata: dict[str, Any]) -> dict[str, Any]:
        import torch

        from trainwell.cli._common import header_names, say_warning
        from trainwell.data.io import read_table
        from trainwell.export.predictor import load
        from trainwell.report.importance import (
            importance_metric,
            labelled_targets,
            measure_importance,
            sample_positions,
            training_overlap,
        )

        predictor = load(model)
        task = predictor.task
        if getattr(predictor, "application", None) != "tabular" or task.kind not in TASKS:
            from trainwell.core.errors import ConfigError

            raise ConfigError(
                f"trainwell importance ranks the input columns of {SUPPORTED}; '{model}' is not one"
            )
        chosen = importance_metric(task, metric)  # an unknown or unfit name: refused before the rows are read
        delim = task.label_delim if task.kind == "multilabel" and len(task.target_names) == 1 else None
        frame = read_table(
            data,
            names=header_names(names, metadata, data, encoding),
            encoding=encoding,
            encoding_errors=encoding_errors,
            as_written=[task.target_names[0]]
            if delim is not None
            else [],  # ids '0,1' stay text, as fit reads them
        )
        targets = labelled_targets(predictor, frame, f"'{data}'", "trainwell importance")
        total = len(frame)
        positions = sample_positions(total, rows or None, seed)
        if positions is not None:
            out_console.print(
                f"scoring a seeded sample of {len(positions):,} of the {len(frame):,} rows of {data}, for speed "
                f"(--rows 0 scores them all)",
                soft_wrap=True,
                markup=False,
                highlight=False,
            )
            frame, targets = frame.iloc[positions], targets[torch.as_tensor(positions)]
        said = training_overlap(predictor.metadata, frame)
        if said:
            say_warning(said)
        found = measure_importance(
            predictor, frame, targets, chosen, n_repeats=repeats, confidence=CONFIDENCE, seed=seed
        )
        return {
            "run": found,
            "task": task,
            "total_rows": total,
            "model": str(model),
            "data": str(data),
            "seed": seed,
        }

    def show(found: dict[str, Any]) -> None:
        from trainwell.cli._show import print_with_prose
        from trainwell.core.numbers import figure

        run, task = found["run"], found["task"]
        name = run.metric.name
        out_console.print(
            f"{model}: {task.kind} model of {', '.join(map(repr, task.target_names))}; {name} "
            f"{figure(run.base_score)} on {run.n_rows:,} labelled rows of {data}",
            soft_wrap=True,
            markup=False,
            highlight=False,
        )
        # the column's name and its reading are the columns that wrap: every figure and interval stays whole
        print_with_prose(
            out_console,
            importance_table(run),
            lambda: importance_table(run, stacked=True),
            prose=(0, -1),
            narrow_prose=(-1,),  # a column's name whole on its line where the reading can wrap instead
        )
        for line in reading_lines(run):
            out_console.print(line, soft_wrap=True, markup=False, highlight=False)

    guarded(run)


def importance_table(run: Any, stacked: bool = False) -> Any:
    """importance's table: each column's mean change in the metric over the shuffles and its interval (in a
    column of its own, or ``stacked`` on its own line under the figure: a narrow terminal's form), and its
    reading."""
    from rich.table import Table

    from trainwell.core.numbers import figure

    level = f"{CONFIDENCE:.0%} interval"
    change = run.metric.loss_of_quality
    table = Table(title=f"mean {change} over {run.n_repeats} shuffles of each column")
    columns = (
        "column",
        f"{change}\n{level}" if stacked else change,
        *(() if stacked else (level,)),
        "reading",
    )
    for column in columns:
        table.add_column(column, justify="left" if column in ("column", "reading") else "right")
    for item in run.importances:
        shown, interval = figure(item.importance, 4, like=run.base_score), interval_text(item, run.base_score)
        if stacked:
            table.add_row(item.column, f"{shown}\n{interval}", item.reading)
        else:
            table.add_row(item.column, shown, interval, item.reading)
    return table


def interval_text(item: Any, like: float) -> str:
    """``[0.1932, 0.2276]``, or ``n/a`` where the shuffles gave no interval."""
    from trainwell.core.numbers import figure

    if math.isnan(item.low) or math.isnan(item.high):
        return "n/a"
    return f"[{figure(item.low, 4, like=like)}, {figure(item.high, 4, like=like)}]"


def reading_lines(run: Any) -> list[str]:
    """The table in plain words: what shuffling the top column costs, which columns did not measurably help, which
    scored better shuffled, and what the intervals do and do not say."""
    from trainwell.core.numbers import figure

    name = run.metric.name
    items = run.importances
    lines = []
    top = items[0] if items else None
    if top is not None and top.reading == "helps":
        change = "costs" if run.metric.higher_is_better else f"raises {name} by"
        unit = f" {name}" if run.metric.higher_is_better else ""
        lines.append(
            f"shuffling '{top.column}' {change} {figure(top.importance, 4, like=run.base_score)}{unit} "
            f"{interval_text(top, run.base_score)}, the most of any column"
        )
    helping = [item.column for item in items if item.reading == "helps"]
    idle = [item.column for item in items if item.reading == "no measurable effect"]
    hurting = [item.column for item in items if item.reading == "hurts"]
    lines.append(
        f"{len(helping)} of {len(items)} column{'s' if len(items) != 1 else ''} measurably help"
        + (f"; columns whose interval includes 0 did not measurably help: {listed(idle)}" if idle else "")
    )
    if hurting:
        lines.append(
            f"the model scored better with {listed(hurting)} shuffled: it gains nothing from "
            f"{'it' if len(hurting) == 1 else 'them'} on these rows"
        )
    lines.append(
        f"the intervals ({CONFIDENCE:.0%}, Student t) are over the {run.n_repeats} shuffles of these {run.n_rows:,} "
        "rows: they say how steady each figure is, not what other rows would give"
    )
    return lines


#: Columns a line names before it counts the rest.
NAMED = 10


def listed(columns: list[str]) -> str:
    """``'a', 'b'``, or the first :data:`NAMED` and how many more (a table of 300 columns is in the table)."""
    shown = ", ".join(map(repr, columns[:NAMED]))
    return shown if len(columns) <= NAMED else f"{shown} and {len(columns) - NAMED} more"


def refuse_unsupported(model: Path, metadata: dict[str, Any]) -> None:
    """Refuse, before the imports, a model whose inputs are not table columns, or of a task no metric ranks them
    for, naming what works."""
    from trainwell.cli._unread import model_words
    from trainwell.core.errors import ConfigError

    if not metadata:
        return  # unreadable: loading it says why
    if metadata.get("application") != "tabular":
        raise ConfigError(
            f"trainwell importance ranks the input columns of {SUPPORTED}; '{model}' is {model_words(metadata)}: "
            f"judge it with trainwell report {model} --data FILE"
        )
    task = metadata.get("task")
    kind = task.get("kind") if isinstance(task, dict) else None
    if kind not in TASKS:
        raise ConfigError(
            f"trainwell importance ranks the input columns of {SUPPORTED}; '{model}' is a {kind} model"
        )


def check_out(out: Path | None) -> None:
    """Refuse, before any work, an ``--out`` that is a folder, whose folder does not exist, or whose ending is not
    .csv or .json."""
    if out is None:
        return
    from trainwell.core.errors import ConfigError

    if out.is_dir():
        raise ConfigError(
            f"--out '{out}' is a directory; pass the file to write, e.g. {out / 'importance.csv'}"
        )
    if out.suffix.lower() not in OUT_FORMATS:
        raise ConfigError(
            f"--out '{out}': name the file .csv (one row a column) or .json; got '{out.suffix}'"
        )
    if not out.parent.is_dir():
        raise ConfigError(
            f"--out '{out}': its folder '{out.parent}' does not exist; create it or choose another"
        )


def records(run: Any) -> list[dict[str, Any]]:
    """One dict a column, most important first: the figures --out writes."""
    return [
        {
            "column": item.column,
            "importance": item.importance,
            "std": item.std,
            "low": item.low,
            "high": item.high,
            "p_value": item.p_value,
            "repeats": item.n,
            "reading": item.reading,
        }
        for item in run.importances
    ]


def write(found: dict[str, Any], out: Path) -> None:
    """The figures as CSV (one row a column) or JSON (the run's settings, then the columns), written atomically."""
    import json

    from trainwell.core.atomic import write_text_atomic

    run = found["run"]
    if out.suffix.lower() == ".json":
        document = {
            "model": found["model"],
            "data": found["data"],
            "target_names": list(found["task"].target_names),
            "metric": run.metric.name,
            "higher_is_better": run.metric.higher_is_better,
            "importance_is": run.metric.loss_of_quality,
            "base_score": run.base_score,
            "rows": run.n_rows,
            "rows_in_data": found["total_rows"],
            "repeats": run.n_repeats,
            "confidence": run.confidence,
            "seed": found["seed"],
            "columns": [
                {
                    key: (None if isinstance(value, float) and math.isnan(value) else value)
                    for key, value in row.items()
                }
                for row in records(run)
            ],
        }
        write_text_atomic(out, json.dumps(document, indent=2) + "\n")
    else:
        import pandas as pd

        write_text_atomic(out, pd.DataFrame(records(run)).to_csv(index=False))
    out_console.print(f"wrote {out}", soft_wrap=True, markup=False, highlight=False)
