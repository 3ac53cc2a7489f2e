"""``trainwell tune data.csv --target y --trials 20``: search a tabular model's settings with Optuna.

Registered on the main command line by ``app.command("tune")(tune)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from trainwell.cli._common import guarded, out_console

SHOWN_TRIALS = 8


def tune(
    data: Annotated[Path, typer.Argument(help="A CSV, TSV or Parquet table.")],
    target: Annotated[str, typer.Option(help="Column to predict.")],
    trials: Annotated[int, typer.Option(help="Trials to run, the library's defaults first.")] = 20,
    timeout: Annotated[
        float | None, typer.Option(help="Start no trial after this many seconds (default: no limit).")
    ] = None,
    metric: Annotated[
        str | None,
        typer.Option(help="Validation metric to optimise (default: roc_auc, accuracy or rmse by task)."),
    ] = None,
    out: Annotated[
        Path, typer.Option(help="Model directory for the best settings (with tuning.json).")
    ] = Path("model"),
    valid_pct: Annotated[float, typer.Option(help="Share of rows held out to score the trials.")] = 0.2,
    valid_col: Annotated[str | None, typer.Option(help="Column marking validation rows.")] = None,
    task: Annotated[str | None, typer.Option(help="Override the inferred task.")] = None,
    seed: Annotated[int, typer.Option(help="Seed for the split, every trial and the sampler.")] = 0,
) -> None:
    """Search learning rate, weight decay, epochs, layers, dropout and number embedding (Optuna, pruned)."""

    def run() -> None:
        from trainwell.automl import tune_table

        result = tune_table(
            data,
            target,
            n_trials=trials,
            timeout=timeout,
            metric=metric,
            out=out,
            seed=seed,
            valid_pct=valid_pct,
            valid_col=valid_col,
            task=task,
        )
        show(result)

    guarded(run)


def show(result: Any) -> None:
    """The best trials as a table, then one sentence against the defaults."""
    from rich.table import Table

    finished = [t for t in result.trials if t["state"] == "complete"]
    reverse = result.direction == "maximize"
    ranked = sorted(finished, key=lambda t: t["value"], reverse=reverse)[:SHOWN_TRIALS]
    defaults = next((t for t in result.trials if t["defaults"]), None)
    if defaults is not None and defaults not in ranked:
        ranked.append(defaults)
    pruned = sum(t["state"] == "pruned" for t in result.trials)
    table = Table(title=f"{len(result.trials)} trials ({pruned} stopped early), best {result.metric} first")
    for column in ("trial", result.metric, "lr", "wd", "epochs", "layers", "dropout", "numbers", "seconds"):
        table.add_column(column, justify="left" if column in ("layers", "numbers") else "right")
    for trial in ranked:
        p = trial["params"]
        name = f"{trial['number']} (defaults)" if trial["defaults"] else str(trial["number"])
        table.add_row(
            name, f"{trial['value']:.4f}", f"{p['lr']:.2e}", f"{p['wd']:.2e}", str(p["epochs"]), str(p["layers"]),
            f"{p['dropout']:.2f}", str(p["numeric_embedding"]), f"{trial['seconds']:.1f}",
        )  # fmt: skip
    out_console.print(table)
    if result.improvement is None:
        verdict = "the defaults' trial did not finish"
    elif result.improvement > 0:
        verdict = (
            f"{result.improvement:+.4f} over the defaults ({result.default_value:.4f}), on the rows the trials "
            "were chosen on: confirm it on held-out data (trainwell evaluate, or a test set)"
        )
    else:
        verdict = f"no trial beat the defaults ({result.default_value:.4f}): keep them"
    out_console.print(f"best {result.metric} {result.best_value:.4f}; {verdict}", soft_wrap=True)
    if result.model_dir is not None:
        out_console.print(f"model directory: {result.model_dir} (every trial in tuning.json)", soft_wrap=True)
