"""``trainwell boundary data2d.csv``: each classifier's decision boundary on 2-D data, and the MLP's as a GIF.

Two modes:

- ``trainwell boundary --generate gaussian --n 600 data.csv`` writes a synthetic dataset (columns
  ``x1,x2,label``) and, beside it, ``data.generator.json`` naming the generator and its parameters.
- ``trainwell boundary data.csv`` fits the models, writes ``boundary.png`` (one panel per model) and, when
  ``mlp`` is among the models, ``boundary_mlp.gif`` (its boundary over training). The optimal boundary is drawn
  dashed when the generator is known: read from the sidecar JSON by default (``--optimal auto``), named
  with ``--optimal gaussian|spirals`` (the sidecar's parameters are used when it names the same generator,
  the generator's defaults otherwise), or switched off with ``--optimal none``.

Registered on the main command line by ``app.command("boundary")(boundary)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trainwell.cli import _options as option
from trainwell.cli._common import MAX_SEED, fold_cells, guarded, out_console

if TYPE_CHECKING:
    from trainwell.datasets.generators import Generator
    from trainwell.interpret.boundary import BoundaryResult

DEFAULT_MODELS = "logistic,qda,knn,svm,tree,forest,gbm,mlp"
#: The options of boundary that only drawing reads: --generate refuses them.
DRAWING_ONLY = (
    "--target", "--models", "--out", "--gif", "--optimal", "--epochs", "--encoding", "--grid", "--valid-pct",
    "--frames",
)  # fmt: skip


def boundary(
    data: Annotated[
        Path,
        typer.Argument(help="CSV with two numeric features and a label (written instead with --generate)."),
    ],
    target: Annotated[
        str | None, typer.Option(help="Label column (default: label/target/y/class, else the last column).")
    ] = None,
    models: Annotated[str, typer.Option(help="Comma-separated models to draw.")] = DEFAULT_MODELS,
    out: Annotated[Path, typer.Option(help="PNG file with one panel per model.")] = Path("boundary.png"),
    gif: Annotated[
        Path | None,
        typer.Option(help="Animated GIF of the MLP's boundary (default: OUT_mlp.gif beside --out)."),
    ] = None,
    optimal: Annotated[
        str,
        typer.Option(
            help="Optimal boundary to draw dashed: auto (from the sidecar), gaussian, spirals, none."
        ),
    ] = "auto",
    epochs: Annotated[int, typer.Option(help="Training epochs of the MLP.")] = 60,
    seed: Annotated[
        int, typer.Option(help="Seed for the split, the models and generated data.", min=0, max=MAX_SEED)
    ] = 0,
    encoding: option.Encoding = "utf-8",
    grid: Annotated[int, typer.Option(help="Grid points per side where the models are evaluated.")] = 200,
    valid_pct: Annotated[float, typer.Option(help="Share of points held out to measure accuracy.")] = 0.25,
    frames: Annotated[int, typer.Option(help="Frames of the MLP GIF.")] = 30,
    generate: Annotated[
        str | None, typer.Option(help="Write a synthetic dataset to DATA instead: gaussian or spirals.")
    ] = None,
    n: Annotated[int, typer.Option(help="Number of points to generate (with --generate).")] = 600,
) -> None:
    """Draw each classifier's decision boundary on 2-D data (or generate such data with --generate)."""

    def run() -> None:
        from trainwell.cli._fit_data import refuse_unread

        # Every option set away from its default, so that a mode that never reads one refuses it.
        given = {
            "--target": target is not None,
            "--models": models != DEFAULT_MODELS,
            "--out": out != Path("boundary.png"),
            "--gif": gif is not None,
            "--optimal": optimal != "auto",
            "--epochs": epochs != 60,
            "--encoding": encoding != "utf-8",
            "--grid": grid != 200,
            "--valid-pct": valid_pct != 0.25,
            "--frames": frames != 30,
            "--n": n != 600,
        }
        if generate is not None:
            refuse_unread(given, DRAWING_ONLY, "--generate (it writes the data and draws nothing)")
            _generate(generate, n, seed, data)
            return
        from trainwell.cli._early import check_text_options, need_data
        from trainwell.cli._unread import refuse_for

        refuse_for(
            given,
            {"--n": "--generate (the number of points to write)"},
            f"drawing the boundaries of '{data}'",
        )
        if "mlp" not in [part.strip() for part in models.split(",")]:
            refuse_unread(
                given, ("--gif", "--frames", "--epochs"), "--models without mlp (they are the MLP's)"
            )
        check_text_options(encoding)
        need_data(data, "points")  # before the imports of scikit-learn and torch: a mistake is said at once
        from trainwell.cli._outputs import check_out_file

        for drawing, flag in ((out, "--out"), (gif, "--gif")):  # never over the points it reads
            check_out_file(drawing, [data], flag)
        from trainwell.interpret.boundary import (
            check_models,
            fit_boundaries,
            plot_boundaries,
            read_points,
            write_training_gif,
        )

        names = check_models([part.strip() for part in models.split(",") if part.strip()])
        generator = _optimal(optimal, data)
        points = read_points(data, target, encoding=encoding)
        result = fit_boundaries(
            points,
            names,
            optimal=generator,
            seed=seed,
            valid_pct=valid_pct,
            grid_size=grid,
            epochs=epochs,
            n_frames=frames,
        )
        written = [plot_boundaries(result, out)]
        if "mlp" in names:
            written.append(write_training_gif(result, gif or out.with_name(f"{out.stem}_mlp.gif")))
        _show(result)
        for path in written:
            out_console.print(f"wrote {path}", soft_wrap=True)

    guarded(run)


def _generate(name: str, n: int, seed: int, path: Path) -> None:
    from trainwell.core.errors import ConfigError

    if n < 10:
        raise ConfigError(f"--n must be at least 10 points, got {n}")
    from trainwell.datasets.generators import generate, sidecar_path, write_csv

    dataset = generate(name, n, seed)
    write_csv(dataset, path)
    accuracy = float((dataset.optimal_decision() == dataset.y).mean())
    out_console.print(
        f"wrote {n} points from '{name}' (seed {seed}) to {path}, generator in {sidecar_path(path)}; "
        f"the optimal rule labels {accuracy:.3f} of them correctly",
        soft_wrap=True,
    )


def _optimal(choice: str, data: Path) -> Generator | None:
    """The generator whose optimal boundary is drawn, from ``--optimal`` and the sidecar beside ``data``."""
    from trainwell.core.errors import ConfigError
    from trainwell.datasets.generators import GENERATORS, make_generator, read_sidecar

    if choice == "none":
        return None
    if choice != "auto" and choice not in GENERATORS:
        raise ConfigError(
            f"--optimal {choice!r} is not known; use auto, none or one of: {', '.join(GENERATORS)}"
        )
    recorded = read_sidecar(data) if data.is_file() else None
    if choice == "auto" or (recorded is not None and recorded.name == choice):
        return recorded
    return make_generator(choice)


def _show(result: BoundaryResult) -> None:
    from rich.table import Table

    table = Table(title="held-out accuracy")
    table.add_column("model", no_wrap=True)
    table.add_column("accuracy", justify="right")
    for name, accuracy in result.accuracies().items():
        table.add_row(name, f"{accuracy:.3f}")
    if result.majority_accuracy is not None:
        # The score to beat, below a rule: always answering the training share's most common class.
        table.add_section()
        table.add_row(f"majority class ({result.majority_class})", f"{result.majority_accuracy:.3f}")
    out_console.print(fold_cells(table))
    # Under the table, not its caption: a caption wraps to the narrow table's width.
    out_console.print(
        f"{len(result.valid_index)} of {len(result.points.codes)} points held out and scored; the majority "
        f"class is the most common among the {len(result.train_index)} training points, the score to beat",
        soft_wrap=True,
    )
