"""``learn.show_results()`` for every Learner that answers with a table: the first validation rows as read, beside
their actual and predicted values.

Images draw a PNG grid (:meth:`~trainwell.vision.VisionLearner.show_results`); everything else answers with a
DataFrame, as ``data.show_batch()`` does for the same data: a fastai user calls it right after fitting, and a
table of rows (a table's columns, a text, a sentence, a user and an item) with the answers beside them is what
there is to look at. The inputs shown are, in order of preference:

1. the rows the DataBundle keeps as read (``data.rows["valid"]``: a table's validation rows), without the target;
2. what an application gives (a text classifier's texts, a tagger's sentences, passed as ``shown_inputs``; a
   ratings model's user and item ids, from the collab learner module's ``shown_inputs``, found by name a layer
   above, as :meth:`~trainwell.learner.Learner.loader_for` finds the readers of new examples);
3. a narrow single input tensor's columns (``x[0]``, ``x[1]``... for :func:`~trainwell.data.tensor_data`);
   else none: the actual and predicted values alone.

Only the first ``n`` rows are predicted (the batches that hold them), so a large validation set costs one batch.
"""

from __future__ import annotations

import importlib
import numbers
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import torch

from trainwell.core.errors import ConfigError
from trainwell.data.bundle import refuse_a_path
from trainwell.learner._evaluate import _batches, _cat

if TYPE_CHECKING:
    import pandas as pd

    from trainwell.data.task import Task
    from trainwell.learner.learner import Learner

__all__ = ["first_predictions", "outcome_columns", "show_results"]

#: What reads the first ``count`` validation rows back into the values they were read from:
#: ``f(learn, inputs, count) -> DataFrame``, one row per validation row, in order. ``inputs``: the model inputs of
#: the batches that hold them, joined along the first axis and cut at ``count`` (rows, where the first axis is
#: rows: a bag of words' flat ids are not, and its hook counts on ``count``).
ShownInputs = Callable[["Learner", Sequence[torch.Tensor], int], "pd.DataFrame"]

#: Where an application without a Learner class of its own keeps its ``shown_inputs`` (found by name: the
#: learner layer never imports an application).
_SHOWS_INPUTS = {"collab": "trainwell.collab.learner"}
#: A single input tensor of at most this many columns is shown column by column (``x[0]``...); wider ones are
#: not shown (an image, an embedding: a DataFrame of them reads as noise).
MOST_TENSOR_COLUMNS = 16


def show_results(learn: Learner, n: Any = 8, *, shown_inputs: ShownInputs | None = None) -> pd.DataFrame:
    """The first ``n`` validation rows of ``learn``'s data as read, beside their actual and predicted values (and
    the probability of the predicted class for a classifier): see the module docstring for the inputs shown.

    Raises:
        ConfigError: ``n`` is a path (only images draw a PNG) or not a whole number of at least 1; the data has
            no validation set (the fix named); the Learner is a language model (whose answers are next tokens).
    """

    refuse_a_path(
        n, "validation rows beside their predictions", method="learn.show_results", subject="this Learner"
    )
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ConfigError(
            f"learn.show_results(n): n is the number of validation rows to show, a whole number of at least 1; "
            f"got {n!r}"
        )
    task = learn.task
    if task.kind == "language_model":
        raise ConfigError(
            "learn.show_results() shows validation rows beside their predictions, and a language model's are next "
            "tokens: call learn.generate('a prompt') to read what it writes"
        )
    loader = learn.data.valid
    if loader is None:
        raise ConfigError(
            "learn.show_results(): this Learner's data has no validation set to show; build the data with one "
            "(valid_pct=0.2, or valid= / valid_col= where the builder takes them)"
        )
    inputs, outputs, targets = first_predictions(learn, loader, int(n))
    shown = _inputs_frame(learn, inputs, len(outputs), shown_inputs)
    for name, values in outcome_columns(task, outputs, targets).items():
        shown[name] = values
    return shown


@torch.no_grad()
def first_predictions(
    learn: Learner, loader: Any, n: int
) -> tuple[list[torch.Tensor], torch.Tensor, torch.Tensor]:
    """The inputs, activated outputs and targets of the first ``n`` rows of ``loader`` in its natural order (all
    of them when it holds fewer), on the CPU; only the batches that hold them are read."""
    learn.model.eval()
    inputs: list[list[torch.Tensor]] = []
    outputs: list[torch.Tensor] = []
    targets: list[torch.Tensor] = []
    seen = 0
    for batch in _batches(learn, loader):
        *batch_inputs, target = batch
        with learn.forward_context():
            output = learn.model(*batch_inputs)
        output = output.float() if isinstance(output, torch.Tensor) else output
        outputs.append(learn.activate(output, batch_inputs).cpu())
        targets.append(target.cpu())
        inputs.append([part.cpu() for part in batch_inputs])
        seen += len(target)
        if seen >= n:
            break
    if not outputs:
        raise ConfigError(
            "learn.show_results(): the validation loader yielded no batches; there is nothing to show"
        )
    joined = [_cat([parts[i] for parts in inputs])[:n] for i in range(len(inputs[0]))]
    return joined, _cat(outputs)[:n], _cat(targets)[:n]


def outcome_columns(task: Task, outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, list[Any]]:
    """The actual and predicted values of each row, by column name: ``actual`` and ``predicted`` (a regression of
    several targets: ``actual[price]``, ``predicted[price]``... each in the target's units), and for a classifier
    ``probability`` (the model's, of the class predicted). Multi-label rows join their labels with ``;``; a
    tagger's sentences join their tags with spaces, one per word, and count the ``wrong`` ones."""
    kind = task.kind
    if kind == "regression":
        predicted, actual = outputs.reshape(len(outputs), -1), targets.reshape(len(targets), -1)
        if predicted.shape[1] == 1:
            return {"actual": actual[:, 0].tolist(), "predicted": predicted[:, 0].tolist()}
        columns: dict[str, list[Any]] = {}
        for i, name in enumerate(task.target_names):
            columns[f"actual[{name}]"] = actual[:, i].tolist()
            columns[f"predicted[{name}]"] = predicted[:, i].tolist()
        return columns
    if kind == "tagging":
        actual_tags, predicted_tags = task.decode(targets), task.decode(outputs)
        return {
            "actual": [" ".join(tags) for tags in actual_tags],
            "predicted": [" ".join(tags) for tags in predicted_tags],
            "wrong": [
                sum(a != p for a, p in zip(want, got, strict=False))
                for want, got in zip(actual_tags, predicted_tags, strict=True)
            ],
        }
    if kind == "multilabel":
        actual_labels = [
            [c for c, on in zip(task.classes, row, strict=True) if on >= 0.5] for row in targets.tolist()
        ]
        return {
            "actual": [";".join(map(str, labels)) for labels in actual_labels],
            "predicted": [";".join(map(str, labels)) for labels in task.decode(outputs)],
        }
    if kind == "binary":
        positive = outputs.reshape(-1)
        predicted_labels = task.decode(positive)
        probability = torch.where(positive >= task.threshold, positive, 1 - positive)
        actual_classes = [task.classes[int(float(t) >= 0.5)] for t in targets.reshape(-1).tolist()]
        return {"actual": actual_classes, "predicted": predicted_labels, "probability": probability.tolist()}
    # multiclass
    return {
        "actual": [task.classes[int(t)] for t in targets.reshape(-1).tolist()],
        "predicted": task.decode(outputs),
        "probability": outputs.max(dim=-1).values.tolist(),
    }


def _inputs_frame(
    learn: Learner, inputs: Sequence[torch.Tensor], count: int, shown_inputs: ShownInputs | None
) -> pd.DataFrame:
    """The first ``count`` validation rows' inputs as read (see the module docstring for which)."""
    import pandas as pd

    kept = learn.data.rows.get("valid")
    if kept is not None and len(kept) >= count:
        # A table's rows as read: the target's columns make way for the actual values beside the predicted.
        return kept.head(count).drop(columns=[c for c in learn.task.target_names if c in kept.columns])
    if shown_inputs is None and learn.data.application in _SHOWS_INPUTS:
        shown_inputs = importlib.import_module(_SHOWS_INPUTS[learn.data.application]).shown_inputs
    if shown_inputs is not None:
        return shown_inputs(learn, inputs, count).reset_index(drop=True)
    if len(inputs) == 1 and inputs[0].dim() <= 2 and inputs[0][:1].numel() <= MOST_TENSOR_COLUMNS:
        values = inputs[0].reshape(count, -1)
        return pd.DataFrame({f"x[{i}]": values[:, i].tolist() for i in range(values.shape[1])})
    return pd.DataFrame(index=range(count))
