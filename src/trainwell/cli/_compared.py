"""The labelled examples ``trainwell compare`` judges two models on, read for each kind of model as ``trainwell
report --data`` reads them for one (the same readers: :mod:`trainwell.report._text`, :mod:`trainwell.report._vision`,
:func:`trainwell.collab.data.read_model_ratings`), and both models' predictions of them.

The examples are read once, by model A's reading, so that A and B are scored on exactly the same examples in the
same order (a paired comparison means nothing otherwise); B then predicts those examples with its own recipe: its
own tokens, its own image size. Every function here is called with heavy imports allowed (torch, pandas).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from trainwell.core.errors import ConfigError, DataError

#: What each application's examples are called in compare's lines.
UNITS = {"tabular": "rows", "text": "texts", "vision": "images", "collab": "ratings"}


@dataclass(frozen=True)
class Judged:
    """Two models' activated predictions of the same labelled examples, and the examples' encoded targets.

    Attributes:
        probabilities: A's and B's activated outputs, ``(N, ...)`` each, row ``i`` the same example for both.
        targets: the examples' targets, encoded by the (shared) task.
        where: the examples in words, e.g. ``"'photos/test' (the test split of 'photos')"``.
        unit: what one example is called: ``rows``, ``texts``, ``images`` or ``ratings``.
    """

    probabilities: tuple[torch.Tensor, torch.Tensor]
    targets: torch.Tensor
    where: str
    unit: str

    @property
    def n_examples(self) -> int:
        return len(self.targets)


def judged_examples(
    predictors: tuple[Any, Any],
    paths: tuple[Path, Path],
    data: Path,
    *,
    names: list[str] | None,
    path_col: str | None,
    label_col: str | None,
    encoding: str,
    encoding_errors: str,
) -> Judged:
    """Both models' predictions of the labelled examples in ``data``, read by model A's application's reading
    (``names``: the columns of a table without a header row; ``path_col``, ``label_col``: those of a CSV of image
    paths). The models were checked to be of the same application and task."""
    application = predictors[0].application
    if application == "text":
        judged = _text_examples(predictors, paths, data, names, encoding, encoding_errors)
    elif application == "vision":
        judged = _image_examples(predictors, data, path_col, label_col, encoding, encoding_errors)
    elif application == "collab":
        judged = _rating_examples(predictors, paths, data, names, encoding, encoding_errors)
    else:
        judged = _table_examples(predictors, data, names, encoding, encoding_errors)
    if judged.n_examples < 2:
        raise DataError(
            f"{judged.where} holds {judged.n_examples} labelled {judged.unit}; compare needs at least 2 (better "
            "hundreds: the intervals narrow with more)"
        )
    return judged


def known_labels(task: Any) -> str:
    """The labels the models know, as a file may write them: a model trained on codes it names (--label-names)
    lists each code with its name (``0 (alpha), 1 (beta)``), where the names alone matched nothing the file
    wrote."""
    codes = getattr(task, "label_codes", None) or ()
    if len(codes) == len(task.classes):
        return ", ".join(f"{code} ({label})" for code, label in zip(codes, task.classes, strict=True))
    return ", ".join(map(str, task.classes))


def need_labels(target_names: Any, frame: Any, source: Path | str) -> None:
    """Refuse rows without the target column(s): compare needs labelled rows."""
    from trainwell.data.io import list_columns

    absent = [name for name in target_names if name not in frame.columns]
    if absent:
        raise DataError(
            f"target column {', '.join(map(repr, absent))} not found in '{source}': compare needs labelled rows "
            f"(the models' target beside their inputs), such as a held-out split. Columns are: "
            f"{list_columns([str(column) for column in frame.columns])}"
        )


def warn_overlap(predictors: tuple[Any, Any], frames: tuple[Any, Any], unit: str) -> None:
    """A warning naming each model that trained on most of these examples (``frames``: what each model's
    training sketch is checked against)."""
    import warnings

    from trainwell.cli._common import say_warning
    from trainwell.report.build import _training_overlap

    for name, predictor, frame in zip("AB", predictors, frames, strict=True):
        with warnings.catch_warnings():  # its own warning speaks of a report: said here, naming the model
            warnings.simplefilter("ignore", UserWarning)
            overlap = _training_overlap(predictor.metadata, frame, unit=unit)
        if overlap:
            say_warning(f"model {name}: {overlap.removeprefix('Warning: ')}")


def _table_examples(
    predictors: tuple[Any, Any], data: Path, names: list[str] | None, encoding: str, encoding_errors: str
) -> Judged:
    """Rows of a table, read as ``trainwell report`` reads them for a table model."""
    from trainwell.data.io import read_table
    from trainwell.data.tables import labels_as_written
    from trainwell.data.task import unknown_labels
    from trainwell.report.importance import labelled_targets

    task = predictors[0].task
    # a multi-label target's cells as written ('0,1' with --label-delim ,), as fit and predict read them
    frame = read_table(
        data,
        names=names,
        encoding=encoding,
        encoding_errors=encoding_errors,
        as_written=labels_as_written(task),
    )
    frame = frame.reset_index(drop=True)
    need_labels(task.target_names, frame, data)
    if task.kind == "multilabel" and len(task.target_names) == 1:  # delimited labels: one unknown is refused
        unknown = unknown_labels(task, frame[task.target_names[0]])
        if unknown:  # it had been left out of every row in silence, the scores then flattering both models
            raise DataError(
                f"'{data}' has labels the models do not know: {', '.join(map(repr, list(unknown)[:5]))}"
                f"{f' and {len(unknown) - 5} more' if len(unknown) > 5 else ''}; their labels are "
                f"{known_labels(task)}"
            )
    try:  # B's input columns are checked too
        targets = [labelled_targets(predictor, frame, str(data), "compare") for predictor in predictors]
    except DataError as error:  # a label the models do not know: say which file holds it
        said = str(error)
        raise DataError(said if str(data) in said else f"'{data}': {said}") from None
    warn_overlap(predictors, (frame, frame), "rows")
    probabilities = (predictors[0].predict_proba(frame), predictors[1].predict_proba(frame))
    return Judged(probabilities, targets[0], str(data), "rows")


def _text_examples(
    predictors: tuple[Any, Any],
    paths: tuple[Path, Path],
    data: Path,
    names: list[str] | None,
    encoding: str,
    encoding_errors: str,
) -> Judged:
    """Labelled texts: a table holding the text column(s) and the label(s), or a folder of class folders of
    ``.txt`` files (its ``test/`` split beside ``train/``), read as ``trainwell report`` reads them. Texts
    without their label are left out with a warning, as the Learner leaves them out of new examples."""
    from trainwell.data.io import labelled_rows, list_columns
    from trainwell.report._text import read_labelled

    first = predictors[0]
    task, columns = first.task, list(first.recipe.input_columns)
    targets = list(task.target_names)
    frame, source = read_labelled(
        data,
        columns=[*columns, *targets],
        names=names,
        encoding=encoding,
        encoding_errors=encoding_errors,
    )
    need_labels(targets, frame, data)
    kept = labelled_rows(frame, targets, source, label_delim=task.label_delim, left_out_of="compare's texts")
    frame = frame[kept.to_numpy()].reset_index(drop=True)
    text_columns: list[list[str] | None] = []
    for name, predictor, path in zip("AB", predictors, paths, strict=True):
        wanted = list(predictor.recipe.input_columns)
        if all(column in frame.columns for column in wanted):
            text_columns.append(None)
        elif data.is_dir() and len(wanted) == len(columns):  # a folder's texts, named as A's text column
            text_columns.append(columns)
        else:
            absent = [column for column in wanted if column not in frame.columns]
            raise DataError(
                f"model {name} '{path}' reads the text column {', '.join(map(repr, absent))}, not found in "
                f"{source}; columns are: {list_columns([str(column) for column in frame.columns])}. Compare on a "
                "table holding the text columns of both models"
            )
    if (
        task.kind == "multilabel" and len(targets) == 1
    ):  # delimited labels: one the models do not know is refused
        from trainwell.data.task import infer_task

        given = infer_task(
            frame[targets[0]], name=targets[0], kind="multilabel", label_delim=task.label_delim
        )
        unknown = task.unknown_classes(given.classes)
        if unknown:
            raise DataError(
                f"{source} has labels the models do not know: {unknown[:5]}; their labels are "
                f"{known_labels(task)}"
            )
    try:
        encoded = task.encode(frame[targets[0]] if len(targets) == 1 else frame[targets])
    except DataError as error:  # a label the models do not know: say which data holds it
        raise DataError(f"{source}: {error}") from None
    warn_overlap(predictors, (frame, frame), "texts")
    probabilities = tuple(
        predictor.predict_proba(frame, text_col=text_col)
        for predictor, text_col in zip(predictors, text_columns, strict=True)
    )
    return Judged((probabilities[0], probabilities[1]), encoded, source, "texts")


def _image_examples(
    predictors: tuple[Any, Any],
    data: Path,
    path_col: str | None,
    label_col: str | None,
    encoding: str,
    encoding_errors: str,
) -> Judged:
    """Labelled images: a folder of class folders (its ``test/`` split, else its ``valid/``), MNIST's IDX files,
    or a CSV of paths and labels, read as ``trainwell report`` reads them. Each image is decoded once when both
    models read the same size and channels; a file that cannot be decoded is left out for both, with a warning."""
    import pandas as pd

    from trainwell.data.fingerprint import item_digests
    from trainwell.report._vision import CHUNK, _idx_set, _labelled_files
    from trainwell.vision.data import numeric_labels
    from trainwell.vision.io import PIXELS_COLUMN, LabelledFiles
    from trainwell.vision.predictor import readable_pixels

    first, second = predictors
    task = first.task
    idx = _idx_set(data)
    if idx is None:
        files, where = _labelled_files(first, data, path_col, label_col, encoding, encoding_errors)
    else:  # MNIST's IDX files: the arrays of its test set, each image named by its place in the file
        array, labels, named, where = idx
        files = LabelledFiles([Path(f"{named.name}[{i}]") for i in range(len(array))], labels)
    if task.kind == "regression":  # every label a number, a cell that is not one named by its row
        column = label_col or (first.recipe.extra.get("csv") or {}).get("label_col")
        files = LabelledFiles(
            files.paths, numeric_labels(files.labels, where, column if data.is_file() else None, judged=True)
        )
    else:
        given = (
            [label for labels in files.labels for label in labels]
            if task.kind == "multilabel"
            else files.labels
        )
        unknown = task.unknown_classes(given)
        if unknown:
            raise DataError(
                f"'{data}' has labels the models do not know: {unknown[:5]}; their classes are "
                f"{', '.join(sorted(map(str, task.classes)))}"
            )
    same_pixels = all(
        getattr(first.recipe, name) == getattr(second.recipe, name) for name in ("size", "channels", "resize")
    )
    if idx is None:
        pieces: Any = (
            (pixels, part, part) for pixels, part in readable_pixels(first, files.paths, chunk=CHUNK)
        )
    else:
        pieces = (
            (
                first.pixels(idx[0][start : start + CHUNK]),
                files.paths[start : start + CHUNK],
                idx[0][start : start + CHUNK],
            )
            for start in range(0, len(files), CHUNK)
        )
    outputs: tuple[list[torch.Tensor], list[torch.Tensor]] = ([], [])
    digests: tuple[list[str], list[str]] = ([], [])
    readable: set[Path] = set()
    for pixels, part, images in pieces:
        other = pixels if same_pixels else second.pixels(images)  # B's size and channels, from the same files
        for output, digest, predictor, seen in zip(
            outputs, digests, predictors, (pixels, other), strict=True
        ):
            output.append(predictor.predict_proba(seen))
            digest.extend(item_digests(seen.numpy()))
        readable.update(part)
    if len(readable) < len(set(files.paths)):
        kept = [i for i, path in enumerate(files.paths) if path in readable]
        files = LabelledFiles([files.paths[i] for i in kept], [files.labels[i] for i in kept])
    if task.kind == "regression":
        targets = task.encode(files.labels)
    elif task.kind == "multilabel":
        targets = task.encode([[task.as_class(label) for label in labels] for labels in files.labels])
    else:
        targets = task.encode([task.as_class(label) for label in files.labels])
    # The images' pixel digests, as each model saw them, against the sketch of its training images.
    warn_overlap(predictors, tuple(pd.DataFrame({PIXELS_COLUMN: found}) for found in digests), "images")
    return Judged((torch.cat(outputs[0]), torch.cat(outputs[1])), targets, where, "images")


def _rating_examples(
    predictors: tuple[Any, Any],
    paths: tuple[Path, Path],
    data: Path,
    names: list[str] | None,
    encoding: str,
    encoding_errors: str,
) -> Judged:
    """Rated (user, item) rows of a ratings model, read as ``trainwell report`` reads them (a file without a
    header row has the model's own columns: MovieLens' ``u.data``)."""
    from trainwell.collab.data import read_model_ratings
    from trainwell.data.io import list_columns, read_table

    first = predictors[0]
    for name, predictor, path in zip("AB", predictors, paths, strict=True):
        if predictor.recipe.implicit:
            raise ConfigError(
                f"trainwell compare judges ratings models by their predicted ratings; model {name} '{path}' ranks "
                f"items from interactions (plays, clicks), judged by its ranking: trainwell report {path} --data FILE"
            )
    read_as: dict[str, Any] = {"encoding": encoding, "encoding_errors": encoding_errors}
    frame = (
        read_model_ratings(data, first.recipe, **read_as)
        if names is None
        else read_table(data, names=names, **read_as)
    ).reset_index(drop=True)
    target = first.task.target_names[0]
    need_labels([target], frame, data)
    for name, predictor, path in zip("AB", predictors, paths, strict=True):
        for column, what in ((predictor.recipe.user_col, "user"), (predictor.recipe.item_col, "item")):
            if column not in frame.columns:
                raise DataError(
                    f"model {name} '{path}' reads the {what} column '{column}', not found in '{data}'; columns "
                    f"are: {list_columns([str(c) for c in frame.columns])}. Compare on rated rows holding both "
                    "models' user and item columns"
                )
    missing = int(frame[target].isna().sum())
    if missing:
        raise DataError(
            f"rating column '{target}' is missing in {missing:,} of {len(frame):,} rows of '{data}'; drop those rows"
        )
    encoded = first.task.encode(frame[target])
    warn_overlap(predictors, (frame, frame), "ratings")
    probabilities = (first.predict_proba(frame), predictors[1].predict_proba(frame))
    return Judged(probabilities, encoded, str(data), "ratings")
