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
    out: Annotated[
        Path, typer.Option(help="PNG file with one panel per model (.png added to a name without one).")
    ] = Path("boundary.png"),
    gif: Annotated[
        Path | None,
        typer.Option(
            help="Animated GIF of the MLP's boundary (default: OUT_mlp.gif beside --out; .gif added to a name "
            "without one)."
        ),
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
    frames: Annotated[int, typer.Option(help="Frames of the MLP GIF (at least 2).")] = 30,
    generate: Annotated[
        str | None,
        typer.Option(
            help="Write a synthetic dataset to DATA instead: gaussian or spirals (DATA must be new, or a file "
            "--generate wrote)."
        ),
    ] = None,
    n: Annotated[int, typer.Option(help="Number of points to generate (with --generate).")] = 600,
) -> None:
    """Draw each classifier's decision boundary on 2-D data (or generate such data with --generate)."""

    def run() -> None:
        nonlocal out, gif  # .png and .gif added to a name without a suffix
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
        if frames < 2:
            from trainwell.core.errors import ConfigError

            raise ConfigError(
                f"--frames must be at least 2 (the GIF's first and last), got {frames}; pass e.g. 30"
            )
        check_text_options(encoding)
        need_data(data, "points")  # before the imports of scikit-learn and torch: a mistake is said at once
        from trainwell.cli._outputs import image_out_file

        # An image named as one, never over the points it reads nor a file of another kind (`--out notes.csv`
        # had become a PNG).
        out = image_out_file(out, ".png", "--out", "the boundaries' drawing", [data])
        if "mlp" in [part.strip() for part in models.split(",")]:
            gif = image_out_file(
                gif or out.with_name(f"{out.stem}_mlp.gif"), ".gif", "--gif", "the MLP's animation", [data]
            )
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

    _refuse_overwriting(path)
    dataset = generate(name, n, seed)
    write_csv(dataset, path)
    accuracy = float((dataset.optimal_decision() == dataset.y).mean())
    out_console.print(
        f"wrote {n} points from '{name}' (seed {seed}) to {path}, generator in {sidecar_path(path)}; "
        f"the optimal rule labels {accuracy:.3f} of them correctly",
        soft_wrap=True,
    )


def _refuse_overwriting(path: Path) -> None:
    """Refuse a DATA for --generate that holds something it did not write: ``boundary mydata.csv --generate
    spirals`` had replaced the user's 300 rows with 600 points. A missing or empty file, or one --generate wrote
    (its sidecar beside it, its header ``x1,x2,label``), may be written again: generating anew is the usual
    reuse of a name."""
    from trainwell.core.errors import ConfigError
    from trainwell.datasets.generators import FEATURE_NAMES, LABEL_NAME, sidecar_path

    if path.is_dir():
        raise ConfigError(
            f"'{path}' is a directory; --generate writes a CSV file: pass its name, e.g. {path / 'points.csv'}"
        )
    if not path.exists() or (path.is_file() and path.stat().st_size == 0):
        return
    header = ",".join((*FEATURE_NAMES, LABEL_NAME))
    try:
        with path.open(encoding="utf-8", errors="replace") as stream:
            first = stream.readline().strip()
    except OSError:
        first = ""
    if first == header and sidecar_path(path).is_file():
        return
    raise ConfigError(
        f"'{path}' exists and is not a file --generate wrote; --generate writes new data there: choose another "
        "name, or delete it"
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
