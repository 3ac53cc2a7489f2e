"""Predictions on raw images from a vision artifact, fitted to the training size exactly as in training.

Imports only torch, numpy, Pillow and the recipe: a serving process never loads the training code.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import torch

from trainwell.core.errors import ConfigError, DataError
from trainwell.core.paths import natural_sorted
from trainwell.data.tta import tta_refusal
from trainwell.export.predictor import Predictor
from trainwell.vision._sources import is_table
from trainwell.vision.augment import Augmentation
from trainwell.vision.io import (
    NO_STANDARD_INPUT,
    decode_error_message,
    decode_error_reason,
    image_files,
    is_table_file,
    listed_image_paths,
    model_pixels,
    warn_skipped,
)
from trainwell.vision.recipe import ImageRecipe
from trainwell.vision.transform import tta_probabilities

if TYPE_CHECKING:
    import pandas as pd
    from PIL.Image import Image as PillowImage

BATCH_IMAGES = 256
ImageInput = str | Path | bytes | np.ndarray | torch.Tensor
#: What ``predict`` takes: a sequence of images, a batch array, or one image on its own.
Images: TypeAlias = "Sequence[Any] | ImageInput | PillowImage"


class ImagePredictor(Predictor):
    """Images in (paths, folders, encoded bytes, Pillow images or arrays), decoded predictions out."""

    application = "vision"
    recipe_class = ImageRecipe
    recipe: ImageRecipe

    @property
    def input_names(self) -> list[str]:
        return ["image"]

    @property
    def path_col(self) -> str | None:
        """The column of image paths of the CSV the model was trained from (``None``: folders or arrays)."""
        return (self.recipe.extra.get("csv") or {}).get("path_col")

    # ------------------------------------------------------------------------------------------ inputs
    def pixels(self, images: Images) -> torch.Tensor:
        """Inputs -> ``uint8`` ``(N, C, H, W)`` at the training size.

        Files, Pillow images and arrays of another size or number of channels are fitted to it as
        :func:`~trainwell.vision.image_data` fitted the training images (a batch array image by image).

        One image on its own (a path, encoded bytes, a Pillow image, or an array ``(H, W)``, ``(H, W, C)`` or
        ``(C, H, W)`` of the training size) is taken as a batch of one; a string is a path, never a sequence of
        characters.
        """
        recipe = self.recipe
        return torch.from_numpy(model_pixels(images, recipe.size, recipe.channels, recipe.resize))

    def _listed_column(self, frame: pd.DataFrame, path_col: str | None) -> pd.Series:
        """The column of image paths of ``frame``: ``path_col``, else the one the model was trained from."""
        column = path_col or self.path_col
        if column is None:
            raise ConfigError(
                "a table of images needs path_col= naming its column of image paths (this model was trained from "
                "folders or arrays, so it knows none)"
            )
        if column not in frame.columns:
            from trainwell.data.io import did_you_mean, list_columns

            names = [str(name) for name in frame.columns]
            raise DataError(
                f"the table has no column '{column}' of image paths{did_you_mean([column], names)}; its columns are "
                f"{list_columns(names)}: name the column with path_col="
            )
        return frame[column]

    # ------------------------------------------------------------------------------------- predicting
    @torch.no_grad()
    def predict_proba(self, images: Images, *, tta: bool = False) -> torch.Tensor:
        """Activated outputs (class probabilities, or a regression's numbers in the target's units), optionally
        averaged over test-time augmented views."""
        refused = (
            tta_refusal(self.task, "vision", option="tta (--tta)", fix="predict without tta") if tta else None
        )
        if refused is not None:  # the ONNX predictor and the server say it in the same words
            raise ConfigError(refused)
        pixels = self.pixels(images)
        outputs = []
        augmentation = self.augmentation if tta else None
        for start in range(0, len(pixels), BATCH_IMAGES):
            chunk = pixels[start : start + BATCH_IMAGES]
            if augmentation is not None:
                outputs.append(tta_probabilities(self.model, self.task.activate, chunk, augmentation))
            else:
                outputs.append(self.task.activate(self.model(chunk)))
        return torch.cat(outputs)

    @torch.no_grad()
    def predict_proba_both(self, images: Images) -> tuple[torch.Tensor, torch.Tensor]:
        """Activated outputs without and with test-time augmentation, the plain pass made once and shared by
        the blend: what measuring TTA's effect on labelled images needs (:func:`~trainwell.vision.tta_effect.
        measure_tta`)."""
        refused = tta_refusal(self.task, "vision", option="tta (--tta)", fix="predict without tta")
        if refused is not None:
            raise ConfigError(refused)
        pixels = self.pixels(images)
        plain, blended = [], []
        for start in range(0, len(pixels), BATCH_IMAGES):
            chunk = pixels[start : start + BATCH_IMAGES]
            outputs = self.task.activate(self.model(chunk))
            plain.append(outputs)
            blended.append(
                tta_probabilities(self.model, self.task.activate, chunk, self.augmentation, plain=outputs)
            )
        return torch.cat(plain), torch.cat(blended)

    def describe_tta(self) -> str:
        """What ``predict --tta`` averages for this model, in words."""
        from trainwell.vision.transform import describe_tta

        what = "predicted numbers" if self.task.kind == "regression" else "probabilities"
        return describe_tta(self.augmentation, what=what)

    @property
    def augmentation(self) -> Augmentation | None:
        """The training augmentation (recorded in the recipe), used for test-time augmentation."""
        config = self.recipe.extra.get("augmentation")
        return Augmentation.from_dict(config) if config else None

    def predict(
        self,
        images: Images,
        *,
        tta: bool = False,
        path_col: str | None = None,
        at_least_one: bool = False,
    ) -> pd.DataFrame:
        """One row per image: the prediction and one probability column per class (a regression: the predicted
        number alone), after a ``path`` column when the images were given by path, or, for a table of paths (a CSV
        or a DataFrame), after the table's own column of paths with its cells as written, so the answers join
        back to the table (their index: the labels of the table's rows, 0-based positions for a CSV).

        ``images``: paths, encoded bytes, Pillow images or arrays (each resized as in training), a batch array
        ``(N, ...)`` of the training size, or one image on its own (see :meth:`pixels`). Paths, in whatever form,
        give their rows in the order given with each image's path first, as ``trainwell predict`` writes them:
        one path, a list of files and folders (every image below a folder, in numbered order), a CSV of paths
        (relative to it), a pandas Series of paths (a table's column: its index is kept, so the table joins
        back) or a DataFrame, whose paths are in ``path_col`` (default: the column of paths the model was
        trained from). An unreadable file found in a folder or listed in a CSV is skipped with a warning naming
        it and keeps its row, with an empty prediction and the reason in an ``error`` column (last; there only
        when a file was skipped); one named in the input stops with its name. ``at_least_one`` (multi-label models; refused for others):
        an image with no label over its threshold gets its likeliest label instead of an empty prediction (off by
        default: :meth:`~trainwell.data.task.Task.decode`).
        """
        from trainwell.data.at_least_one import refuse_at_least_one
        from trainwell.data.tables import prediction_table

        refuse_at_least_one(self.task, at_least_one, items="image")
        index, listed_as = None, None
        if is_table(images):
            column = self._listed_column(images, path_col)  # type: ignore[arg-type]
            listed_as = str(column.name)  # the rows named by the table's own column, as written
            images = column
            path_col = None  # read: the paths are the column's
        if (
            type(images).__name__ == "Series"
        ):  # a table's column keeps its rows' labels, so the table joins back
            index = images.index  # type: ignore[union-attr]
        paths = given_paths(images)
        if paths is not None:
            return path_predictions(
                self,
                paths,
                tta=tta,
                path_col=path_col,
                index=index,
                at_least_one=at_least_one,
                listed_as=listed_as,
            )
        if path_col is not None:
            raise ConfigError(
                f"path_col={path_col!r} names the column of paths of a table: pass a DataFrame or a CSV's path "
                "with it, or leave it out"
            )
        probabilities = self.predict_proba(images, tta=tta)
        return prediction_table(
            self.task,
            probabilities,
            index if index is not None else range(len(probabilities)),
            at_least_one=at_least_one,
        )


def given_paths(images: Any) -> list[str | Path] | None:
    """``images`` as a list of paths when they are paths (one path, or a list, tuple, pandas Series or array of
    them), else ``None`` (encoded bytes, Pillow images, arrays, or a mix)."""
    if isinstance(images, str | Path):
        return [images]
    if type(images).__name__ == "Series" or (isinstance(images, np.ndarray) and images.dtype.kind in "OUS"):
        images = list(images)  # type: ignore[call-overload]
    if isinstance(images, list | tuple) and images and all(isinstance(item, str | Path) for item in images):
        return list(images)
    return None


def path_predictions(
    predictor: Any,
    items: Sequence[str | Path],
    *,
    tta: bool = False,
    path_col: str | None = None,
    index: Any = None,
    at_least_one: bool = False,
    listed_as: str | None = None,
) -> pd.DataFrame:
    """One row per image of ``items`` (image files, folders, CSVs of paths), its path in a ``path`` column first,
    in the order given (a folder's images in numbered order): what every form of paths gives, in Python (the
    PyTorch and the ONNX predictor alike) as on the command line. One CSV of paths alone gives its rows
    (:func:`table_predictions`): its own column of paths first, as written, so they join back to it.

    A file named in ``items`` that cannot be decoded stops with its name; one found in a folder or listed in a
    table is skipped with a warning and keeps its row, empty but for the reason in an ``error`` column
    (:func:`file_predictions`). ``path_col``: the column of paths of a CSV in ``items`` (default: the one the
    model was trained from). ``index``: the rows' labels (a pandas Series' index), kept when every item is a file.
    ``listed_as``: the name of the DataFrame column ``items`` came from, which then names the first column and
    whose cells it holds as written (when every item is a file; a folder among them gives ``path``).
    ``at_least_one``: as :meth:`ImagePredictor.predict` takes it (the caller refuses it for a model that is not
    multi-label).
    """

    files = [Path(item) for item in items]
    tables = [path for path in files if path.is_file() and is_table_file(path)]
    if path_col is not None and not tables:
        raise ConfigError(
            f"path_col={path_col!r} names the column of paths of a table: pass a DataFrame or a CSV's path "
            "with it, or leave it out"
        )
    trained = getattr(predictor, "path_col", None)
    if len(files) == 1 and tables:
        predictions, _rows = table_predictions(
            predictor,
            files[0],
            path_col or trained,
            tta=tta,
            given=path_col is not None,
            at_least_one=at_least_one,
        )
        return predictions
    named = {path for path in files if path.is_file() and not is_table_file(path)}
    paths = expand_image_paths(items, path_col or trained, given=path_col is not None)
    table = file_predictions(predictor, paths, tta=tta, named=named, at_least_one=at_least_one)
    # every item a file (one that cannot be decoded stops rather than be skipped): one row per item, in order
    one_each = all(path in named for path in files)
    if index is not None and one_each:
        table.index = index
    if listed_as is not None and one_each:
        table.insert(0, listed_as, list(items))
    else:
        table.insert(0, "path", [str(path) for path in paths])
    return table


def table_predictions(
    predictor: Any,
    table: Path,
    path_col: str | None,
    *,
    tta: bool = False,
    model: str = "the model",
    given: bool = False,
    at_least_one: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Predictions for the images a CSV lists in ``path_col`` (relative to its folder), one row per row with a
    path, in order, after the table's column ``path_col`` with its cells as written, indexed by the rows' labels
    (0-based positions), so the answers join back to the table; and those rows of the table (for the command
    line's ``--keep``).

    A row without a path is left out; one whose image cannot be decoded (or does not exist, while others do) is
    skipped with a warning naming it, as ``fit`` skips it, and keeps its row, empty but for the reason in an
    ``error`` column (:func:`file_predictions`). ``model`` and ``given``: as
    :func:`~trainwell.vision.io.listed_image_paths` takes them.
    """
    from trainwell.data.io import read_table

    paths = listed_image_paths(table, path_col, model, given)  # refuses a table without the column
    assert path_col is not None
    rows = read_table(table, na_values=(), pandas_na=False)
    listed = rows.index[rows[path_col].notna()]  # the rows listed_image_paths read, in order
    assert len(listed) == len(paths), "one listed path per row with a path"
    predictions = file_predictions(predictor, paths, tta=tta, at_least_one=at_least_one)
    predictions.index = listed
    read = rows.loc[listed]
    predictions.insert(0, path_col, read[path_col])
    return predictions, read


def expand_image_paths(
    items: Sequence[str | Path], path_col: str | None = None, model: str = "the model", given: bool = False
) -> list[Path]:
    """Files as given, the images inside folders (in numbered order: 2.png before 10.png), and the images a table
    lists in ``path_col`` (the column of paths of the CSV a model was trained from; a table is refused without
    one), for the command line; ``given``: ``path_col`` is the user's (``--path-col``), not the model's."""
    paths: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_file() and is_table_file(path):
            paths.extend(listed_image_paths(path, path_col, model, given))
        elif path.is_dir():
            found = natural_sorted(image_files(path))  # as fit reads a class folder
            if not found:
                from trainwell.vision.io import idx_files

                sets = idx_files(path)
                shown = sets.get("test") or sets.get("train")  # the test set: the one to predict
                hint = (
                    f"; it holds IDX files (MNIST's format): pass the images file, e.g. {shown[0]}"
                    if shown
                    else ""
                )
                raise DataError(f"folder '{path}' holds no image files{hint}")
            paths.extend(found)
        elif path.is_file():
            paths.append(path)
        elif str(path) == "-":
            raise DataError(NO_STANDARD_INPUT)
        else:
            raise DataError(f"'{path}' does not exist; pass image files or folders of images")
    return paths


def readable_pixels(
    predictor: Any,
    paths: Sequence[Path],
    *,
    named: Collection[Path] = (),
    chunk: int = 2 * BATCH_IMAGES,
    skipped: list[tuple[int, str]] | None = None,
) -> Iterator[tuple[torch.Tensor, list[Path]]]:
    """The image files decoded for ``predictor``, a chunk at a time: ``uint8`` pixels ``(n, C, H, W)`` and the
    ``n`` paths they came from, so that memory stays flat on a large folder.

    A file that cannot be decoded is skipped and, once every chunk is read, named in one warning, as ``fit``
    names it (:func:`trainwell.vision.io.warn_skipped`); a file in ``named`` (one the user named rather than
    one found in a folder) stops with its name instead. Raises :class:`DataError` when none can be decoded.
    Each chunk is decoded once when all its files are readable; only a failing chunk is retried file by file.
    ``skipped``: a list that receives each skipped file's position in ``paths`` and the reason it could not be
    decoded (:func:`~trainwell.vision.io.decode_error_reason`), for predictions that keep a row for it; the
    warning then says they do.
    """
    kept_count, messages = 0, []
    for start in range(0, len(paths), chunk):
        part = list(paths[start : start + chunk])
        try:
            pixels = predictor.pixels(part)
        except DataError:
            arrays, readable = [], []
            for position, path in enumerate(part, start=start):
                try:
                    arrays.append(predictor.pixels([path]))
                except DataError as error:
                    if Path(path) in named:
                        raise
                    cause = error.__cause__ or error
                    messages.append(decode_error_message(path, cause))
                    if skipped is not None:
                        skipped.append((position, decode_error_reason(path, cause)))
                else:
                    readable.append(path)
            if not readable:
                continue
            # the ONNX predictor decodes to numpy arrays (torch.cat refused them), the PyTorch one to tensors
            joined = torch.cat(arrays) if isinstance(arrays[0], torch.Tensor) else np.concatenate(arrays)
            pixels, part = joined, readable
        kept_count += len(part)
        yield pixels, part
    if not kept_count:
        shown = messages[0] if messages else "no files given"
        raise DataError(
            f"none of the {len(paths)} images could be decoded, e.g. {shown}; pass JPEG or PNG files"
        )
    if messages:
        warn_skipped(messages, len(paths), rows=skipped is not None)


def file_predictions(
    predictor: Any,
    paths: Sequence[Path],
    *,
    tta: bool = False,
    named: Collection[Path] = (),
    at_least_one: bool = False,
) -> pd.DataFrame:
    """One row per file of ``paths``, in order, indexed from 0: the prediction and the probabilities
    (:func:`~trainwell.data.tables.prediction_table`). A file that cannot be decoded is skipped as
    :func:`readable_pixels` says but keeps its row, with an empty prediction and probabilities and the reason in
    an ``error`` column (last, empty on the other rows; there only when a file was skipped), so the answers join
    back to every file given."""
    from trainwell.data.tables import prediction_table

    skipped: list[tuple[int, str]] = []
    outputs = [
        torch.as_tensor(predictor.predict_proba(pixels, tta=tta))  # the ONNX predictor answers arrays
        for pixels, _part in readable_pixels(predictor, paths, named=named, skipped=skipped)
    ]
    failed = dict(skipped)
    decoded = [position for position in range(len(paths)) if position not in failed]
    table = prediction_table(predictor.task, torch.cat(outputs), decoded, at_least_one=at_least_one)
    if not failed:
        return table
    if "prediction" in table.columns:  # class labels stay as they are (3, not 3.0) beside the empty rows
        table["prediction"] = table["prediction"].astype(object)
    table = table.reindex(range(len(paths)))
    table["error"] = [failed.get(position, "") for position in range(len(paths))]
    return table


def predictor_from_artifact(metadata: dict[str, Any], state: Mapping[str, torch.Tensor]) -> ImagePredictor:
    return ImagePredictor.from_artifact(metadata, state)
