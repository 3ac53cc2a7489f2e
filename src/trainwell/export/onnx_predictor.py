"""Predictions from ``model.onnx`` with onnxruntime alone: no PyTorch model is built.

Tabular rows are encoded by the tabular recipe; images are decoded and fitted to the training size by
:func:`trainwell.vision.io.image_array`, exactly as :class:`~trainwell.vision.predictor.ImagePredictor` does.
Both are imported by name from fixed allow-lists (this package sits below the applications, and a model
directory must not choose what gets imported). Test-time augmentation of an image model runs the views of
:func:`trainwell.vision.transform.tta_probabilities` (imported by name likewise) through ``model.onnx``: a graph is
a function of the pixels as the PyTorch model is, so both predictors blend the same views into the same answers.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trainwell.core.arrays import as_array
from trainwell.core.artifact import metadata_entry, read_metadata
from trainwell.core.errors import ArtifactError, ConfigError, DataError
from trainwell.data.at_least_one import refuse_at_least_one
from trainwell.data.tables import prediction_table, rows_frame, rows_source
from trainwell.data.task import Task
from trainwell.data.tta import tta_refusal
from trainwell.export._checks import checked_recipe, checked_task
from trainwell.export._onnx_runtime import (
    APPLICATION_INPUTS,
    ONNX_FILE,
    RECIPES,
    TOKENS_NAME,
    activate,
    import_onnxruntime,
    open_session,
    readable_outputs,
    run_graph,
    run_onnx,
    run_onnx_pixels,
    run_onnx_text,
    run_onnx_tokens,
)

if TYPE_CHECKING:
    import torch

BATCH_ROWS = 8192
#: numpy's type for each onnxruntime input type a model of your own may declare.
ONNX_TYPES = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(float16)": np.float16,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(int16)": np.int16,
    "tensor(int8)": np.int8,
    "tensor(uint8)": np.uint8,
    "tensor(bool)": np.bool_,
}


def generic_input_names(count: int) -> tuple[str, ...]:
    """The inputs of a graph of your own architecture's (as :func:`~trainwell.export.export_onnx` names them):
    ``input`` alone, or ``input_0``, ``input_1``... for a model called with several."""
    return ("input",) if count == 1 else tuple(f"input_{index}" for index in range(count))


BATCH_IMAGES = 256
#: The image decoding of vision models, imported by name like the recipes.
IMAGE_IO = "trainwell.vision.io"
#: How images given by path are read and named in the table (files, folders, CSVs of paths), likewise.
IMAGE_PATHS = "trainwell.vision.predictor"
#: Test-time augmentation's views and blending (the PyTorch predictor's own), and the training augmentation they
#: are made of, likewise.
IMAGE_TTA = "trainwell.vision.transform"
IMAGE_AUGMENTATION = "trainwell.vision.augment"
#: The texts a text model reads (a column, or the fields of a pair), imported by name likewise.
TEXT_FIELDS = "trainwell.text.fields"
#: What a text model's predictions say of the texts' lengths (cut at max_len, far longer than trained on).
TEXT_LENGTH_NOTES = "trainwell.text.length_notes"


class OnnxPredictor:
    """Raw rows (or images) in, decoded predictions out, with onnxruntime running ``model.onnx``.

    Gives the same table as the PyTorch predictor (``trainwell.load(dir).predict``): the recipe encodes the
    rows (or fits the images to the training size) exactly as in training, onnxruntime runs the model, and
    the activation is applied in numpy. A vision model takes what
    :meth:`~trainwell.vision.predictor.ImagePredictor.predict` takes: a list of paths, encoded bytes, Pillow
    images or arrays, or a ``uint8`` array ``(N, C, H, W)`` at the training size. A model on your own
    architecture (application ``"generic"``) takes what
    :class:`~trainwell.export.generic.GenericPredictor` takes, tensors or arrays (a tuple for several inputs),
    and needs no class of yours: the graph is the model.

    Args:
        model_dir: A model directory holding ``model.onnx`` (written by :func:`export_onnx`).
        threads: onnxruntime intra-op threads (default: onnxruntime's choice).

    Raises:
        ArtifactError: The directory, its ``trainwell.json`` or its ``model.onnx`` is missing or unusable.
        OnnxDependencyError: ``onnx`` or ``onnxruntime`` is not installed.

    Example:
        >>> OnnxPredictor("model/").predict(new_rows)                       # doctest: +SKIP
    """

    def __init__(self, model_dir: str | Path, *, threads: int | None = None) -> None:
        ort = import_onnxruntime()
        directory = Path(model_dir)
        self.model_dir = directory
        self.metadata = read_metadata(directory)
        self.application = application = self.metadata.get("application")
        if application not in (*RECIPES, "generic"):
            raise ArtifactError(
                f"model directory '{directory}' is for application {application!r}; the ONNX predictor "
                f"supports: {', '.join(RECIPES)}, generic"
            )
        self.task = metadata_entry(self.metadata, "task", lambda entry: checked_task(Task.from_dict(entry)))
        if (
            application == "generic"
        ):  # a model of the user's own: tensors in, its graph needs no class of theirs
            self.recipe: Any = self.metadata.get("recipe")
        else:
            module_name, class_name = RECIPES[application]
            recipe_class = getattr(importlib.import_module(module_name), class_name)
            self.recipe = metadata_entry(
                self.metadata, "recipe", lambda entry: checked_recipe(recipe_class.from_dict(entry))
            )
        path = directory / ONNX_FILE
        if not path.is_file():
            raise ArtifactError(
                f"model directory '{directory}' has no {ONNX_FILE}; write it first with "
                f"`trainwell export {directory} --onnx`"
            )
        self.session = open_session(ort, path, threads=threads)
        self.onnx_input_names = [item.name for item in self.session.get_inputs()]
        outputs = [item.name for item in self.session.get_outputs()]
        expected = APPLICATION_INPUTS.get(application) or generic_input_names(len(self.onnx_input_names))
        # A regression's graph answers 'predictions'; one exported before that, 'logits': both are read.
        readable = readable_outputs(self.task)
        if (
            not set(self.onnx_input_names) <= set(expected)
            or not self.onnx_input_names
            or len(outputs) != 1
            or outputs[0] not in readable
        ):
            raise ArtifactError(
                f"{path} has inputs {self.onnx_input_names} and outputs {outputs}; trainwell expects inputs "
                f"among {list(expected)} and the output '{readable[0]}': re-export with `trainwell export`"
            )
        self._check_fits_recipe(path)

    def _check_fits_recipe(self, path: Path) -> None:
        """Refuse a graph whose inputs are not shaped as this directory's recipe makes them (a ``model.onnx``
        copied from another model): it loaded, and then every prediction failed inside onnxruntime."""
        expected: dict[str, list[int]]
        if self.application in ("tabular", "collab"):
            x_cat, x_cont = self._encoded(pd.DataFrame([{}]), allow_missing_columns=True)
            expected, what = {"x_cat": [x_cat.shape[1]], "x_cont": [x_cont.shape[1]]}, "columns"
        elif self.application == "vision":
            expected = {name: [self.recipe.channels, *self.recipe.size] for name in self.onnx_input_names}
            what = "channels x height x width"
        else:
            return  # texts: token ids of any length; a model of the user's own: what its graph declares
        for item in self.session.get_inputs():
            found = list(item.shape[1:])
            if all(isinstance(size, int) for size in found) and found != expected[item.name]:
                raise ArtifactError(
                    f"{path} does not fit this model directory: its input {item.name} has "
                    f"{' x '.join(map(str, found))} {what}, the recipe in trainwell.json gives "
                    f"{' x '.join(map(str, expected[item.name]))}; the file comes from another model: re-export "
                    f"it with `trainwell export {self.model_dir} --onnx`"
                )

    def _encoded(self, frame: pd.DataFrame, **options: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(x_cat, x_cont)`` of the rows ``frame``, as the recipe encodes them for the PyTorch model: a table's
        in numpy (:meth:`~trainwell.tabular.recipe.TabularRecipe.transform_arrays`, which its ``transform``
        reads too, so no torch is imported); a recommender's recipe gives tensors, read as arrays."""
        encode = self.recipe.transform_arrays if self.application == "tabular" else self.recipe.transform
        x_cat, x_cont = encode(frame, **options)
        return as_array(x_cat), as_array(x_cont)

    @property
    def path_col(self) -> str | None:
        """A vision model's column of image paths in the CSV it was trained from (``None``: none), which a CSV of
        paths given to :meth:`predict` is read by."""
        if self.application != "vision":
            return None
        return (self.recipe.extra.get("csv") or {}).get("path_col")

    @property
    def input_names(self) -> list[str]:
        """The raw columns the model reads (``["image"]`` for a vision model)."""
        if self.application == "vision":
            return ["image"]
        if self.application == "text":
            return self.recipe.input_columns
        if self.application == "generic":  # the graph's own: input, or input_0, input_1...
            return list(self.onnx_input_names)
        return self.recipe.columns

    def predict_proba(
        self, rows: Any, *, allow_missing_columns: bool = False, tta: bool = False
    ) -> np.ndarray:
        """Activated outputs as a float32 numpy array (onnxruntime's, with no torch needed; the PyTorch
        predictors give the same values as a ``torch.Tensor``): probabilities for classification, values for
        regression.

        Args:
            rows: Rows (a DataFrame, a list of dicts, or one row as a dict or a Series); for a vision model, images (see the class docstring).
            allow_missing_columns: Tabular only: read absent input columns as missing.
            tta: Image models only: each image's answer blended over views of it, as the PyTorch predictor's
                ``predict_proba(tta=True)`` gives it (:attr:`augmentation` says what the views are made of).
                Refused in one line for other models, and for an image model predicting several numbers.
        """
        self._refuse_tta(tta)
        if self.application == "vision":
            return self._predict_images(rows, tta=tta)
        if self.application == "text":
            return self._predict_texts(rows)
        if self.application == "generic":
            return self._predict_tensors(rows)
        frame = rows_frame(rows, task=self.task)
        chunks = []
        # A table's recipe names a bad row by its place in all the rows; a recommender's reads ids, naming none.
        numbered = self.application == "tabular"
        for start in range(0, len(frame), BATCH_ROWS):
            rows_here = range(start, min(start + BATCH_ROWS, len(frame)))
            x_cat, x_cont = self._encoded(
                frame.iloc[start : start + BATCH_ROWS],
                allow_missing_columns=allow_missing_columns,
                source=rows_source(frame),  # the file's path, where the rows were read from one
                **({"read_rows": rows_here} if numbered else {}),
            )
            chunks.append(activate(self.task, run_onnx(self.session, x_cat, x_cont)))
        return np.concatenate(chunks)

    def predict(
        self, rows: Any, *, allow_missing_columns: bool = False, tta: bool = False, at_least_one: bool = False
    ) -> pd.DataFrame:
        """A table with one row per input row (or image): the prediction, and one probability column per class;
        images given by path (one, a list of files and folders, a CSV of paths, a Series) have their path first,
        as :meth:`~trainwell.vision.predictor.ImagePredictor.predict` gives them. ``at_least_one`` (multi-label
        models; refused for others): a row with no label over its threshold gets its likeliest label, as the
        PyTorch predictor gives it (:meth:`~trainwell.data.task.Task.decode`)."""
        refuse_at_least_one(self.task, at_least_one, application=self.application)
        self._refuse_tta(tta)
        decoded = partial(prediction_table, self.task, at_least_one=at_least_one)
        if self.application == "vision":
            # Paths in any form: each image's path first, as the PyTorch predictor and `trainwell predict` give.
            by_path = importlib.import_module(IMAGE_PATHS)
            paths = by_path.given_paths(rows)
            if paths is not None:
                index = rows.index if isinstance(rows, pd.Series) else None
                table: pd.DataFrame = by_path.path_predictions(
                    self, paths, tta=tta, index=index, at_least_one=at_least_one
                )
                return table
            values = self._predict_images(rows, tta=tta)
            return decoded(values, range(len(values)))
        if self.application == "text":
            values = self._predict_texts(rows)
            index = rows.index if isinstance(rows, pd.DataFrame | pd.Series) else range(len(values))
            return decoded(values, index)
        if self.application == "generic":
            values = self._predict_tensors(rows)
            count, width = len(values), self.task.n_outputs
            if values.size != count * width:
                raise DataError(
                    f"the model's outputs have shape {values.shape}, not one row of {width} per input as a "
                    f"{self.task.kind} table needs; use predictor.predict_proba(inputs) for the array"
                )
            return decoded(values, range(count))
        frame = rows_frame(rows, task=self.task)
        values = self.predict_proba(frame, allow_missing_columns=allow_missing_columns)
        return decoded(values, frame.index)

    # --------------------------------------------------------------------------- a model of your own
    def _predict_tensors(self, inputs: Any) -> np.ndarray:
        """Tensors or arrays shaped as in training (a tuple of them for a model called as ``model(a, b)``), as
        :class:`~trainwell.export.generic.GenericPredictor` takes them, each in the type its graph input declares."""
        parts = inputs if isinstance(inputs, tuple) else (inputs,)
        declared = {item.name: item.type for item in self.session.get_inputs()}
        names = generic_input_names(len(parts))
        if not set(declared) <= set(names):
            raise DataError(
                f"this model takes {len(declared)} input(s) ({', '.join(declared)}); got {len(parts)}: pass a "
                "tensor or array, or a tuple of them in the order the model takes them"
            )
        arrays = {}
        for name, part in zip(names, parts, strict=True):
            array = as_array(part)
            if array.ndim == 0:
                raise DataError(
                    f"{name} is a single number; inputs are batched (first dimension = rows): pass x[None]"
                )
            if name in declared:  # an input the model never read is not in its graph
                arrays[name] = array.astype(ONNX_TYPES.get(declared[name], array.dtype), copy=False)
        self._refuse_fixed_sizes(arrays)
        rows = {len(array) for array in arrays.values()}
        if len(rows) > 1:
            shapes = ", ".join(str(array.shape) for array in arrays.values())
            raise DataError(
                f"the model's inputs must have the same number of rows (first dimension), got {shapes}"
            )
        count = rows.pop() if rows else 0
        if not count:
            raise DataError("no rows to predict: the inputs have 0 rows")
        chunks = [
            activate(
                self.task,
                run_graph(
                    self.session, {name: array[start : start + BATCH_ROWS] for name, array in arrays.items()}
                ),
            )
            for start in range(0, count, BATCH_ROWS)
        ]
        return np.concatenate(chunks)

    def _refuse_fixed_sizes(self, arrays: dict[str, np.ndarray]) -> None:
        """Refuse, in one line, an input whose size differs on an axis the graph fixed at export (every axis but
        the batch, unless ``export_onnx(dynamic_axes=...)`` freed it), which onnxruntime refuses in a paragraph.

        Raises:
            DataError: An input of other axes than the graph's, or of another size on a fixed axis.
        """
        for item in self.session.get_inputs():
            array = arrays.get(item.name)
            shape = list(item.shape or [])
            if array is None or not shape:
                continue
            if array.ndim != len(shape):
                raise DataError(
                    f"{item.name} has {array.ndim} axes {tuple(array.shape)}; {self.model_dir / ONNX_FILE} takes "
                    f"{len(shape)} ({', '.join(str(size) for size in shape)}): pass it shaped as in training"
                )
            for axis, (fixed, given) in enumerate(zip(shape, array.shape, strict=True)):
                if axis and isinstance(fixed, int) and fixed != given:
                    raise DataError(
                        f"{item.name} has size {given} on axis {axis}, but {self.model_dir / ONNX_FILE} was "
                        f"exported with that axis fixed at {fixed}: pass size {fixed}, or export again with it "
                        f"free: export_onnx('{self.model_dir}', inputs=..., "
                        f"dynamic_axes={{'{item.name}': {{{axis}: 'length'}}}})"
                    )

    # ------------------------------------------------------------------------------------------- texts
    def _predict_texts(self, inputs: Any) -> np.ndarray:
        """Texts (a list, a Series, or a table with the training text column) through the bag-of-n-grams graph."""
        fields = importlib.import_module(TEXT_FIELDS)
        recipes = importlib.import_module(RECIPES["text"][0])
        texts = fields.model_texts(inputs, self.recipe.input_columns)
        ids, offsets, lengths = self.recipe.encode_counted(texts)
        # Texts cut at max_len, or far longer than any trained on, said as the PyTorch predictor says them.
        importlib.import_module(TEXT_LENGTH_NOTES).say_length_notes(self.recipe, lengths)
        padded = TOKENS_NAME in self.onnx_input_names  # a sequence model (right-padded ids), else a bag model
        step = BATCH_IMAGES if padded else BATCH_ROWS
        chunks = []
        for start in range(0, len(texts), step):
            rows = np.arange(start, min(start + step, len(texts)))
            # numpy batches (padded_ids, rows_of), not the PyTorch model's tensors: a server on ONNX needs no torch
            if padded:
                output = run_onnx_tokens(
                    self.session, recipes.padded_ids(ids, offsets, rows, self.recipe.pad_id)
                )
            else:
                flat, starts = recipes.rows_of(ids, offsets, rows)
                output = run_onnx_text(self.session, flat, starts[:-1])
            chunks.append(activate(self.task, output))
        return np.concatenate(chunks)

    # ------------------------------------------------------------------------------------------ images
    @property
    def augmentation(self) -> Any:
        """An image model's training augmentation as the recipe recorded it (an
        :class:`~trainwell.vision.augment.Augmentation`), which test-time augmentation's views are made of;
        ``None`` for a model trained without one, or for any other model."""
        config = self.recipe.extra.get("augmentation") if self.application == "vision" else None
        return importlib.import_module(IMAGE_AUGMENTATION).Augmentation.from_dict(config) if config else None

    def _refuse_tta(self, tta: bool) -> None:
        """Refuse ``tta`` in one line for a model without images to view, or with several numbers in each image
        (:func:`~trainwell.data.tta.tta_refusal`, as the server says it), before any input is read."""
        refusal = (
            tta_refusal(self.task, self.application, option="tta (--tta)", fix="predict without tta")
            if tta
            else None
        )
        if refusal is not None:
            raise ConfigError(refusal)

    def _predict_images(self, images: Any, *, tta: bool) -> np.ndarray:
        pixels = self.pixels(images)
        # Trained without augmentation: no views to average, the plain answers (as the PyTorch predictor gives).
        augmentation = self.augmentation if tta else None
        chunks = []
        for start in range(0, len(pixels), BATCH_IMAGES):
            chunk = pixels[start : start + BATCH_IMAGES]
            if augmentation is None:
                chunks.append(activate(self.task, run_onnx_pixels(self.session, chunk)))
                continue
            import torch  # here: the views are made with torch (the PyTorch predictor's); plain answers need none

            blended = importlib.import_module(IMAGE_TTA).tta_probabilities(
                _graph_module(self.session), self.task.activate, torch.from_numpy(chunk), augmentation
            )
            chunks.append(blended.numpy().astype(np.float32, copy=False))
        return np.concatenate(chunks)

    def pixels(self, images: Sequence[Any] | np.ndarray | torch.Tensor) -> np.ndarray:
        """Images -> ``uint8`` ``(N, C, H, W)`` at the training size, as the PyTorch predictor fits them (one
        image on its own is a batch of one; see :func:`trainwell.vision.io.model_pixels`).

        Raises:
            DataError: No images, an array of the wrong shape, or an image that cannot be decoded (named).
        """
        recipe = self.recipe
        pixels: np.ndarray = importlib.import_module(IMAGE_IO).model_pixels(
            images, recipe.size, recipe.channels, recipe.resize
        )
        return pixels


def _graph_module(session: Any) -> torch.nn.Module:
    """``model.onnx`` called as the PyTorch model is (a batch of 0..1 pixels in, raw outputs out), which is all
    :func:`~trainwell.vision.transform.tta_probabilities` asks of its model. Built on first use: only
    test-time augmentation needs torch, so an ONNX server that never gets a TTA request never imports it."""
    import torch

    class GraphModule(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.session = session

        def forward(self, pixels: torch.Tensor) -> torch.Tensor:
            return torch.from_numpy(run_onnx_pixels(self.session, pixels.contiguous()))

    return GraphModule()
