"""``trainwell fold-in MODEL RATINGS [--out DIR]``: fit the users and items first seen in newer ratings into a saved
recommender, every trained weight left as it was, and update the users it knows from their newer ratings
(their rows refitted, the items rated left out of their recommendations:
:func:`~trainwell.collab.directory_fold_in.fold_in_dir`).

Registered on the main command line by ``app.command("fold-in")(fold_in)``. The paths and the kind of model are
checked from ``trainwell.json`` before torch is imported, so a mistake is said at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trainwell.cli._common import guarded, out_console


def fold_in(
    model: Annotated[
        Path,
        typer.Argument(
            help="Model directory of a recommender fitted on ratings (trainwell fit ratings.csv --user ... "
            "--item ... --target ...)."
        ),
    ],
    ratings: Annotated[
        Path,
        typer.Argument(
            help="Newer ratings with the model's user, item and rating columns (CSV, TSV, Parquet; a file without "
            "a header row is read as user, item, rating[, timestamp], as MovieLens' u.data). Rows naming a user "
            "or an item the model does not know fit those; a known user's ratings of items not yet in their "
            "record update that user and leave those items out of their recommendations."
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            help="Write the grown model to this directory and leave MODEL as it is. Default: MODEL is replaced, "
            "atomically (a failure leaves the old model whole)."
        ),
    ] = None,
) -> None:
    """Fit the users and items first seen in newer ratings into a saved recommender, the trained weights
    unchanged, and update the users it knows from their newer ratings; recorded in its trainwell.json
    (trainwell info shows each fold-in)."""

    def run() -> None:
        from trainwell.cli._early import need_data, need_model_directory, peek_metadata
        from trainwell.collab.directory_fold_in import check_ratings_model

        need_model_directory(model)
        check_ratings_model(peek_metadata(model), model)
        need_data(ratings, "table")
        from trainwell.cli._outputs import check_out_model

        targets = peek_metadata(model).get("task", {}).get("target_names")
        check_out_model(out, "collab", targets, command="this fold-in")  # before any work, not replaced after
        from trainwell.collab.directory_fold_in import fold_in_dir

        folded = fold_in_dir(model, ratings, out=out, source=str(ratings))
        target = model if out is None else out
        if folded is None:
            out_console.print(
                f"nothing to fold in: every user and item of {ratings} is known to the model and every rating "
                f"is of an item its user already rated in what the model was fitted on (or an earlier fold-in); "
                f"{model} is unchanged{'' if out is None else f' and {out} was not written'}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
            return
        out_console.print(folded.sentence(), highlight=False, markup=False, soft_wrap=True)
        restart = " (a running trainwell serve reads it when restarted)" if out is None else ""
        out_console.print(f"model directory: {target}{restart}", highlight=False, markup=False)

    guarded(run)
