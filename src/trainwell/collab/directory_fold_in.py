"""Fold newer ratings into a saved recommender: ``trainwell fold-in recs/ newer.csv``, or from Python
:func:`fold_in_dir`.

:func:`~trainwell.collab.fold_in.fold_in` fits the users and items first seen in newer ratings into a Learner in
memory; a model directory (``trainwell fit ratings.csv ... --out recs``) holds no Learner, and retraining to
add a user who rated a few films is slow and changes every weight. :func:`fold_in_dir` rebuilds the model from
the directory as ``trainwell.load`` does, runs the same fold-in on it (every trained weight frozen), and writes
the directory again atomically, its records kept and this fold-in's appended (``training.folded_in``, shown by
``trainwell info`` and ``trainwell report``).

Measured on MovieLens 100k by time: ``trainwell fit`` on the older 90% of ratings (``dot_bias``, 3 epochs,
seed 0), then ``trainwell fold-in`` of the 76 users new in the newest 10%, on the earlier half of each one's
ratings (3,539, with 11 new films). On their later ratings (3,561), RMSE 1.037 folded in against 1.084 as the
average user (their folded ratings' own mean: 1.206; the global mean: 1.188); the command took 8 s on 2 shared
CPU cores, its imports included.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainwell.collab.fold_in_record import FOLDED_IN_KEY
from trainwell.core.errors import ConfigError, DataError
from trainwell.core.warn import warn

if TYPE_CHECKING:
    import pandas as pd

    from trainwell.collab.fold_in import FoldedIn

__all__ = ["check_ratings_model", "fold_in_dir"]

#: The ridge pull of the new rows: :data:`trainwell.collab.fold_in.FOLD_IN_PRIOR`, said here without torch
#: (a test checks they agree).
FOLD_IN_PRIOR = 10.0

#: An ONNX export's file in a model directory (``trainwell export DIR --onnx``): stale after a fold-in.
ONNX_FILE = "model.onnx"


def fold_in_dir(
    model_dir: str | Path,
    rows: pd.DataFrame | str | Path,
    *,
    out: str | Path | None = None,
    prior: float = FOLD_IN_PRIOR,
    source: str | None = None,
) -> FoldedIn | None:
    """Fold the users and items of ``rows`` that a saved recommender does not know into its model directory, as
    :func:`~trainwell.collab.fold_in.fold_in` does for a Learner: ``trainwell fold-in recs/ newer.csv``.

    The model is rebuilt from ``model_dir`` (its weights and ``trainwell.json``, as ``trainwell.load`` rebuilds
    it), the new ids' rows are fitted with every trained weight frozen, and the directory is written again, to
    ``out`` when given, else in place: atomically, so a failure at any point leaves the model as it was (a
    server restarted on it reads one model or the other, never half of one). What the directory recorded is
    kept, its history and curves included, and this fold-in's record is appended to ``training.folded_in``
    after the earlier ones. An ONNX export of the old model is dropped with its record (it lacks the new ids:
    ``trainwell export DIR --onnx`` writes it again), as is a report of it (``trainwell report``).

    The new rows are fitted with the task's own loss (squared error for ratings, as ``fit`` trains), which a
    directory can rebuild: a loss of the user's own is recorded by name only.

    Returns what was added, or ``None`` when the rows name no user or item new to the model (nothing is
    written then).

    Raises:
        ConfigError: ``model_dir`` is no ratings recommender whose model can take new ids (another kind of
            model, implicit feedback, EASE).
        DataError: ``rows`` hold no rating, lack one of the model's columns, or a row has no user, item or
            rating.
        ArtifactError: ``model_dir`` is no model directory, or a damaged one.

    Example:
        >>> fold_in_dir("recs", "newer.csv")                 # doctest: +SKIP
        FoldedIn(users=('944', ...), items=(...), rows=3539, ...)
    """
    from trainwell.collab.fold_in import fold_in_model, read_rows, sketched
    from trainwell.collab.recipe import CollabRecipe
    from trainwell.core.artifact import metadata_entry, read_artifact
    from trainwell.data.task import Task
    from trainwell.losses import loss_for_task
    from trainwell.models.registry import model_from_artifact

    metadata, state = read_artifact(model_dir)
    check_ratings_model(metadata, model_dir)
    recipe = metadata_entry(metadata, "recipe", CollabRecipe.from_dict)
    task = metadata_entry(metadata, "task", Task.from_dict)
    if isinstance(rows, str | Path):
        source = source or str(rows)
        table = read_rows(rows, recipe)
    else:
        table = rows
    if not len(table):
        raise DataError(
            f"fold_in: {source or 'the rows given'} holds no ratings; give the rows of the users and items to "
            f"add to '{model_dir}', with its columns {recipe.user_col}, {recipe.item_col} and "
            f"{recipe.rating_col}"
        )
    model = model_from_artifact(metadata, state)
    architecture = metadata["architecture"]
    if not callable(getattr(model, "add_ids", None)) or not model.user_tables or not model.item_tables:
        raise ConfigError(_NO_NEW_IDS.format(model_dir=model_dir, name=architecture["name"]))
    loss = loss_for_task(task)
    recorded = (metadata.get("training") or {}).get("loss")
    if isinstance(recorded, str) and recorded != type(loss).__name__:
        warn(
            f"'{model_dir}' was trained with the loss {recorded}, which its directory names but cannot rebuild: "
            f"the new users and items are fitted with the task's own, {type(loss).__name__}",
            UserWarning,
        )
    folded = fold_in_model(
        model,
        recipe,
        table,
        loss=loss,
        encode=task.encode,
        config=architecture["config"],
        arch=architecture["name"],
        prior=prior,
        source=source,
        refit_known=task.kind == "regression",
    )
    if folded is None:
        return None
    metadata["recipe"] = folded.recipe.to_dict()
    training = metadata.setdefault("training", {})
    sketch = training.get("rows_sketch")
    if isinstance(sketch, dict):
        from trainwell.data.fingerprint import RowSketch

        training["rows_sketch"] = sketched(RowSketch.from_dict(sketch), folded.fitted_rows).to_dict()
    training[FOLDED_IN_KEY] = [*(training.get(FOLDED_IN_KEY) or []), folded.record]  # oldest first
    _rewrite(model_dir, out, metadata, model.state_dict())
    return folded.added


#: Why a model cannot take new ids (``{model_dir}``, ``{name}``: its architecture).
_NO_NEW_IDS = (
    "'{model_dir}' is a {name} model, which cannot take rows for new users and items; fold-in works on "
    "factor models (dot_bias, collab_nn): refit with the newer ratings included"
)


def check_ratings_model(metadata: dict[str, Any], model_dir: str | Path) -> None:
    """Refuse, from ``trainwell.json`` alone (no torch: the command line says it at once), a model directory
    that is no ratings recommender a fold-in can grow: another kind of model, implicit feedback, EASE."""
    application = metadata.get("application")
    if application != "collab":
        task = metadata.get("task")
        kind = (task.get("kind") if isinstance(task, dict) else None) or "unknown task"
        raise ConfigError(
            f"'{model_dir}' is a {application} model ({kind}), not a recommender: fold-in adds users and items "
            "to a model fitted on ratings (trainwell fit ratings.csv --user USER --item ITEM --target RATING); "
            "pass such a model directory"
        )
    recipe = metadata.get("recipe")
    if isinstance(recipe, dict) and "rating_col" in recipe and recipe["rating_col"] is None:
        raise ConfigError(
            f"'{model_dir}' ranks interactions (implicit feedback): its rows have no rating for fold-in to fit "
            "new users and items on; refit with the newer interactions included"
        )
    architecture = metadata.get("architecture")
    name = architecture.get("name") if isinstance(architecture, dict) else None
    if (
        name == "ease"
    ):  # fitted in closed form on the interactions: no rows to add (a user's own model is asked)
        raise ConfigError(_NO_NEW_IDS.format(model_dir=model_dir, name=name))


def _rewrite(model_dir: str | Path, out: str | Path | None, metadata: dict[str, Any], state: Any) -> None:
    """Write the grown model as ``model_dir`` was written (:func:`~trainwell.core.artifact.save_artifact`,
    atomic), to ``out`` or in its place: the extra files its save wrote (history.csv, curves.png...) again, but
    not an ONNX export of the model before the fold-in, nor that export's record."""
    from trainwell.core.artifact import save_artifact

    folder = Path(model_dir)
    had_onnx = metadata.pop("onnx", None) is not None or (folder / ONNX_FILE).is_file()
    extra = {
        str(name): (folder / str(name)).read_bytes()
        for name in metadata.get("extra_files") or []
        if str(name) != ONNX_FILE and (folder / str(name)).is_file()
    }
    save_artifact(folder if out is None else out, state, metadata, extra_files=extra)
    if had_onnx:
        warn(
            f"{ONNX_FILE} of '{model_dir}' was left out: it holds the model before the fold-in; write it again "
            f"with trainwell export {folder if out is None else out} --onnx",
            UserWarning,
        )
