"""Predictions from a model on your own architecture: an artifact of application ``"generic"``.

A :class:`~trainwell.Learner` on any ``nn.Module`` (with :func:`~trainwell.tensor_data` or a DataBundle of
your own) exports once its architecture is registered (``@register_model("my_net")`` on a function that builds
it, and ``learn.model_spec = {"name": "my_net", "config": {...}}``). Such an artifact has no recipe: its inputs
are tensors exactly as the model took them in training, so there is no raw format (rows, images, texts) to
decode, and the command line cannot read inputs for it or rebuild it without your code. In Python, import the
module that registers the architecture, then ``trainwell.load(dir)`` returns a :class:`GenericPredictor`; or pass
the class without registering it: ``trainwell.load(dir, model=MyNet)``. Its ONNX export
(``export_onnx(dir, inputs=x)``) runs in :class:`~trainwell.export.OnnxPredictor` with no class at all.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from trainwell.core.errors import ArtifactError, DataError, add_note
from trainwell.core.reprs import shapes_of
from trainwell.data.task import Task
from trainwell.export.predictor import Predictor
from trainwell.models.registry import model_from_artifact

if TYPE_CHECKING:
    import pandas as pd

#: Rows per forward pass.
BATCH_ROWS = 1024
#: One model input (first dimension = rows), or a tuple of them for a model called as ``model(a, b)``.
GenericInputs = torch.Tensor | np.ndarray | tuple[torch.Tensor | np.ndarray, ...]


class GenericPredictor(Predictor):
    """Tensors in (as the model took them in training), the task's activated outputs or a decoded table out.

    The model is rebuilt from the registry and its weights loaded strictly; it runs in eval mode without
    gradients, on whichever device it is on (``predictor.model.to("cuda")`` moves it; inputs follow it).
    ``predictor.model(x)`` gives the raw outputs (logits).

    Example:
        >>> import my_nets                            # your module: @register_model("my_net")  # doctest: +SKIP
        >>> predictor = trainwell.load("model/")      # doctest: +SKIP
        >>> predictor.predict_proba(x_new)            # probabilities (N, n_classes)  # doctest: +SKIP
        >>> predictor.predict(x_new)                  # prediction + probability columns  # doctest: +SKIP
    """

    application = "generic"
    recipe: dict[str, Any] | None

    @classmethod
    def from_artifact(cls, metadata: dict[str, Any], state: Mapping[str, torch.Tensor]) -> GenericPredictor:
        """Rebuild from ``trainwell.json`` and the weights. The recipe, if a DataBundle of your own had one, is
        kept as the plain data it was saved as: it is not applied to inputs."""
        try:
            task = Task.from_dict(metadata["task"])
        except (KeyError, TypeError) as error:
            raise ArtifactError(f"trainwell.json is missing or has a malformed entry: {error}") from error
        return cls(model_from_artifact(metadata, state), task, metadata.get("recipe"), metadata)

    @property
    def architecture(self) -> str:
        """The registered name of the model's architecture."""
        return str((self.metadata.get("architecture") or {}).get("name", "?"))

    @property
    def device(self) -> torch.device:
        """Where the model's weights are (the CPU after loading)."""
        first = next(itertools.chain(self.model.parameters(), self.model.buffers()), None)
        return first.device if first is not None else torch.device("cpu")

    def __repr__(self) -> str:
        return f"GenericPredictor(architecture={self.architecture!r}, task={self.task.kind}, device={self.device})"

    def tensors(self, inputs: GenericInputs) -> tuple[torch.Tensor, ...]:
        """``inputs`` as the model's positional arguments: tensors on the model's device, floating point ones in
        the model's floating dtype (as ``tensor_data`` made them float32), all with the same number of rows."""
        parts = inputs if isinstance(inputs, tuple) else (inputs,)
        if not parts:
            raise DataError("no inputs to predict: pass a tensor or array, or a tuple of them")
        device, dtype = self.device, self._float_dtype()
        tensors = []
        for position, part in enumerate(parts):
            tensor = _as_tensor(part, position if len(parts) > 1 else None)
            if tensor.is_floating_point():
                tensor = tensor.to(dtype)
            tensors.append(tensor.to(device))
        rows = {len(tensor) for tensor in tensors}
        if len(rows) > 1:
            shapes = ", ".join(str(tuple(tensor.shape)) for tensor in tensors)
            raise DataError(
                f"the model's inputs must have the same number of rows (first dimension), got {shapes}"
            )
        return tuple(tensors)

    @torch.no_grad()
    def predict_proba(self, inputs: GenericInputs, *, batch_size: int = BATCH_ROWS) -> torch.Tensor:
        """Activated outputs on the CPU, by the artifact's task: probabilities for classification (binary: the
        positive class's, shape ``(N,)``), values for regression; the same as ``learn.get_preds()`` gave.

        A ``torch.Tensor``, as every PyTorch predictor's ``predict_proba`` (tables, images, texts, ratings);
        :class:`~trainwell.export.OnnxPredictor`, which runs without torch, gives a numpy array of the same
        values (``.numpy()`` turns this one into it)."""
        if batch_size < 1:
            raise DataError(f"batch_size must be at least 1, got {batch_size}")
        tensors = self.tensors(inputs)
        self.model.eval()
        outputs = []
        for start in range(0, len(tensors[0]), batch_size):
            chunk = tuple(tensor[start : start + batch_size] for tensor in tensors)
            try:
                output = self.model(*chunk)
            except RuntimeError as error:  # a shape or dtype the model does not take: say what was sent
                shapes = shapes_of(tensors)
                add_note(
                    error,
                    f"trainwell: predicting with {self.architecture!r} on inputs {shapes}; the inputs must be "
                    "what the model took in training (same shape after the rows, same preprocessing)",
                )
                raise
            outputs.append(self.task.activate(output.float()).cpu())
        if not outputs:
            raise DataError("no rows to predict: the inputs have 0 rows")
        return torch.cat(outputs)

    def predict(
        self, inputs: GenericInputs, *, batch_size: int = BATCH_ROWS, at_least_one: bool = False
    ) -> pd.DataFrame:
        """One row per input row, as every predictor gives: the decoded ``prediction`` and one
        ``probability_<class>`` column per class (classification), or the predicted value(s) (regression).
        A model whose outputs are not one row of the task's width per input (a sequence per row, say) is read
        with :meth:`predict_proba`. ``at_least_one`` (multi-label models; refused for others): a row with no
        label over its threshold gets its likeliest label (:meth:`~trainwell.data.task.Task.decode`)."""
        from trainwell.data.at_least_one import refuse_at_least_one
        from trainwell.data.tables import prediction_table

        refuse_at_least_one(self.task, at_least_one)

        values = self.predict_proba(inputs, batch_size=batch_size)
        rows, width = len(values), self.task.n_outputs
        if values.numel() != rows * width:
            raise DataError(
                f"the model's outputs have shape {tuple(values.shape)}, not one row of {width} per input as a "
                f"{self.task.kind} table needs; use predictor.predict_proba(inputs) for the tensor"
            )
        return prediction_table(self.task, values, range(rows), at_least_one=at_least_one)

    def _float_dtype(self) -> torch.dtype:
        floats = (p.dtype for p in itertools.chain(self.model.parameters(), self.model.buffers()))
        return next((dtype for dtype in floats if dtype.is_floating_point), torch.float32)


def _as_tensor(value: Any, position: int | None) -> torch.Tensor:
    where = f"input {position}" if position is not None else "the input"
    if isinstance(value, torch.Tensor):
        tensor = value.detach()
    else:
        try:
            tensor = torch.as_tensor(np.asarray(value))
        except (TypeError, ValueError) as error:
            raise DataError(
                f"{where} cannot be read as a tensor ({type(value).__name__}: {error}); pass a tensor or a "
                "numeric array, or a tuple of them for a model that takes several inputs"
            ) from error
    if tensor.dim() == 0:
        raise DataError(
            f"{where} is a single number; inputs are batched (first dimension = rows): pass x[None]"
        )
    return tensor


def predictor_from_artifact(metadata: dict[str, Any], state: Mapping[str, torch.Tensor]) -> GenericPredictor:
    return GenericPredictor.from_artifact(metadata, state)
