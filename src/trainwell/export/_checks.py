"""Range checks of a loaded model: values a hand edit of ``trainwell.json`` can put out of range, and weights
that are not finite numbers.

``Task.from_dict`` and the recipes' ``from_dict`` check the shape of their entries (keys, types); a value of the
right type but impossible, such as a decision threshold of 7 (every row decided "no") or a standard deviation
of 0 (every value infinitely far from the mean, blamed on the data row), had been taken as it was. Each check
raises ``ValueError``, which :func:`~trainwell.core.artifact.metadata_entry` turns into the one-line "no valid
'task' entry (...)" that names the file to restore.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainwell.core.errors import ArtifactError
from trainwell.data.task import Task

if TYPE_CHECKING:
    import torch

__all__ = ["checked_recipe", "checked_task", "refuse_not_finite_weights"]


def checked_task(task: Task) -> Task:
    """``task``, once its decision threshold is known to lie strictly between 0 and 1.

    Raises:
        ValueError: Naming the threshold found.
    """
    threshold = task.threshold
    if not (0.0 < threshold < 1.0):  # NaN fails too
        raise ValueError(f"threshold {threshold:g} is not strictly between 0 and 1")
    return task


def checked_recipe(recipe: Any) -> Any:
    """``recipe``, once the standard deviations it divides by (a table's ``stds``, an image recipe's ``std``)
    are finite and above 0.

    Raises:
        ValueError: Naming the column (or channel) and the value found.
    """
    for attribute in ("stds", "std"):
        values = getattr(recipe, attribute, None)
        if isinstance(values, Mapping):
            named: list[tuple[Any, Any]] = list(values.items())
        elif isinstance(values, Sequence) and not isinstance(values, str):
            named = [(f"channel {index}", value) for index, value in enumerate(values)]
        else:
            continue
        for name, value in named:
            if isinstance(value, (int, float)) and not (math.isfinite(value) and value > 0):
                shown = repr(name) if isinstance(name, str) and not name.startswith("channel ") else name
                raise ValueError(
                    f"std of {shown} is {value:g}; a standard deviation must be finite and above 0"
                )
    return recipe


def refuse_not_finite_weights(model: torch.nn.Module, directory: str | Path) -> None:
    """Refuse a model whose learned weights hold NaN or infinite values, naming the tensors, whatever its kind.

    Checking the outputs alone missed them where a damaged weight is never read by the checked inputs (a
    tagger's row for a casing no word had) or where NaN in PyTorch's output agreed with NaN in onnxruntime's
    (a language model's exported as "max difference inf" within tolerance).

    Raises:
        ArtifactError: Naming the first tensors, how many of their values are not finite, and the fix.
    """
    import torch

    damaged: list[tuple[str, int, int]] = []
    for name, parameter in model.named_parameters():
        if parameter.is_floating_point():
            bad = int((~torch.isfinite(parameter.detach())).sum())
            if bad:
                damaged.append((name, bad, parameter.numel()))
    if not damaged:
        return
    shown = "; ".join(f"{bad:,} of {total:,} in {name}" for name, bad, total in damaged[:3])
    more = f"; and {len(damaged) - 3} more tensors" if len(damaged) > 3 else ""
    raise ArtifactError(
        f"model directory '{directory}': its weights hold NaN or infinite values ({shown}{more}), a damaged "
        "model.safetensors or a fit that diverged; restore the model directory or fit it again; nothing was written"
    )
