"""Where a multi-label classifier goes wrong, label by label.

A multi-label model makes one yes/no decision per label, so a ``C x C`` confusion matrix of classes does not
exist: each label gets its own 2 x 2 matrix (the layout of ``sklearn.metrics.multilabel_confusion_matrix``),
and a per-label table of how often the label is found and how often it is given wrongly. Decisions are the
ones ``predict`` makes: each label's threshold from ``task.label_thresholds`` where the fit chose them, else
``task.threshold``. Like :class:`~trainwell.interpret.ClassificationInterpretation` it streams the model over
the loader once and keeps only running counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

from trainwell.core.errors import ConfigError
from trainwell.data.task import Task
from trainwell.interpret._learner import learner_of
from trainwell.interpret._top_frame import examples_as_read, top_frame
from trainwell.interpret.classification import _shown_rows, natural_order
from trainwell.learner.learner import VALIDATION_SET

if TYPE_CHECKING:
    import pandas as pd

    from trainwell.learner.learner import Learner
    from trainwell.learner.run_files import FitRun


class MultiLabelInterpretation:
    """Per-label decision counts of a multi-label classifier on one data set. Build it with :meth:`from_learner`.

    Args:
        task: the multi-label task (its ``classes`` are the labels).
        confusion: ``(L, 2, 2)`` counts per label, ``[[true negatives, false positives], [false negatives,
            true positives]]``.
        exact_rows: rows whose whole set of labels is right.
        n_rows: rows seen.
    """

    def __init__(self, task: Task, confusion: np.ndarray, exact_rows: int, n_rows: int) -> None:
        _check_task(task)
        confusion = np.asarray(confusion, dtype=np.int64)
        if confusion.shape != (len(task.classes), 2, 2):
            raise ConfigError(
                f"confusion must hold a 2 x 2 matrix per label, shape ({len(task.classes)}, 2, 2); got "
                f"{confusion.shape}"
            )
        self.task = task
        self._confusion = confusion
        self.exact_rows = int(exact_rows)
        self.n_rows = int(n_rows)
        #: Per row (set by :meth:`from_learner`): the loss (binary cross-entropy summed over the labels), the true
        #: labels and the labels given, ``(N, L)`` booleans; what :meth:`top_losses` ranks and shows.
        self.losses: np.ndarray | None = None
        self.actual: np.ndarray | None = None
        self.predicted: np.ndarray | None = None
        #: The rows as read (a table's, a text per row), shown beside their losses; ``None`` when not known.
        self.rows: pd.DataFrame | None = None

    @classmethod
    def from_learner(
        cls,
        learn: Learner | FitRun,
        loader: Iterable[Any] | None = VALIDATION_SET,
        batch_size: int | None = None,
    ) -> MultiLabelInterpretation:
        """Run ``learn.model`` over ``loader`` (default: the validation set) one batch at a time.

        Args:
            learn: a learner with a multi-label task, or the run a one-call pipeline returned (``fit_table``,
                ``fit_images``...: its ``.learn``).
            loader: batches ``(*inputs, target)`` with ``(N, L)`` 0/1 targets; by default ``learn.data.valid``.
            batch_size: rows per batch for this pass; ``None`` keeps the loader's.
        """
        learn = learner_of(learn, "MultiLabelInterpretation.from_learner")
        task = learn.task
        _check_task(task)
        source = learn._chosen_loader(loader, "MultiLabelInterpretation.from_learner")
        if source is None:
            raise ConfigError("no data to interpret: this DataBundle has no validation set; pass loader=...")
        if batch_size is not None and batch_size < 1:
            raise ConfigError(f"batch_size must be a positive integer, got {batch_size}")
        n_labels = len(task.classes)
        confusion = np.zeros((n_labels, 2, 2), dtype=np.int64)
        exact_rows = n_rows = 0
        losses: list[np.ndarray] = []
        actual: list[np.ndarray] = []
        predicted: list[np.ndarray] = []
        learn.model.eval()
        with torch.no_grad():
            for batch in learn._on_device(natural_order(source, batch_size)):
                *inputs, target = batch
                with learn.forward_context():
                    output = learn.model(*inputs).float()
                probabilities = task.activate(output)  # (N, L)
                limits = torch.as_tensor(task.decision_threshold, dtype=probabilities.dtype)
                decided = (probabilities >= limits.to(probabilities.device)).cpu()
                truth = target.reshape(decided.shape).cpu() > 0.5
                confusion[:, 0, 0] += (~truth & ~decided).sum(0).numpy()
                confusion[:, 0, 1] += (~truth & decided).sum(0).numpy()
                confusion[:, 1, 0] += (truth & ~decided).sum(0).numpy()
                confusion[:, 1, 1] += (truth & decided).sum(0).numpy()
                exact_rows += int((truth == decided).all(dim=1).sum())
                n_rows += len(truth)
                per_label = F.binary_cross_entropy_with_logits(
                    output.reshape(decided.shape), truth.to(output.device, output.dtype), reduction="none"
                )
                losses.append(per_label.sum(1).cpu().numpy())
                actual.append(truth.numpy())
                predicted.append(decided.numpy())
        if n_rows == 0:
            raise ConfigError("the loader yielded no rows; nothing to interpret")
        result = cls(task, confusion, exact_rows, n_rows)
        result.losses = np.concatenate(losses).astype(np.float32)
        result.actual, result.predicted = np.concatenate(actual), np.concatenate(predicted)
        result.rows = _shown_rows(learn, source, n_rows)[0]
        if result.rows is None:  # labelled rows of one's own: shown, and named, as the caller holds them
            result.rows = examples_as_read(loader, task, n_rows)
        return result

    def top_losses(self, k: int = 9) -> pd.DataFrame:
        """The ``k`` rows with the highest loss (binary cross-entropy summed over the labels), highest first (ties:
        the earlier row first), as a DataFrame, like :meth:`ClassificationInterpretation.top_losses
        <trainwell.interpret.ClassificationInterpretation.top_losses>`.

        Indexed by the row's own label: a table's index label, a text's row label in the DataFrame it was read
        from, else its position in the loader's order. Columns: ``loss``, ``actual`` and ``predicted`` (each a
        list of label names, in ``task.classes`` order), ``missed`` and ``added`` (the labels the model left out
        and the ones it gave wrongly), then the row as read (a table's columns, a text model's ``text``).
        """
        if self.losses is None or self.actual is None or self.predicted is None:
            raise ConfigError(
                "top_losses needs the per-row losses, which MultiLabelInterpretation.from_learner keeps; this "
                "interpretation was built from counts"
            )
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            raise ConfigError(f"k must be a positive integer, got {k!r}")
        chosen = np.lexsort((np.arange(len(self.losses)), -self.losses))[:k]
        classes = list(self.task.classes)

        def named(flags: np.ndarray) -> list[list[Any]]:
            return [[classes[j] for j in np.flatnonzero(row)] for row in flags[chosen]]

        figures = {
            "loss": self.losses[chosen].astype(np.float64),
            "actual": named(self.actual),
            "predicted": named(self.predicted),
            "missed": named(self.actual & ~self.predicted),
            "added": named(~self.actual & self.predicted),
        }
        return top_frame(figures, chosen, self.rows, None)

    def confusion_matrices(self) -> np.ndarray:
        """``(L, 2, 2)`` counts in ``task.classes`` order: ``[[tn, fp], [fn, tp]]`` per label."""
        return self._confusion.copy()

    def exact_match(self) -> float:
        """Share of rows given exactly their set of labels (none missed, none added)."""
        return self.exact_rows / self.n_rows if self.n_rows else float("nan")

    def per_label(self) -> pd.DataFrame:
        """One row per label: rows that have it, rows the model gives it to, the four counts, precision,
        recall and F1 (NaN where undefined: precision of a label never given, recall of a label never present).
        """
        import pandas as pd

        tn, fp = self._confusion[:, 0, 0], self._confusion[:, 0, 1]
        fn, tp = self._confusion[:, 1, 0], self._confusion[:, 1, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            precision = np.where(tp + fp > 0, tp / (tp + fp), np.nan)
            recall = np.where(tp + fn > 0, tp / (tp + fn), np.nan)
            f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), np.nan)
        return pd.DataFrame(
            {
                "label": list(self.task.classes),
                "rows_with_it": tp + fn,
                "predicted": tp + fp,
                "true_positive": tp,
                "false_positive": fp,
                "false_negative": fn,
                "true_negative": tn,
                "precision": precision,
                "recall": recall,
                "f1": f1,
            }
        )

    def __repr__(self) -> str:
        return f"MultiLabelInterpretation(labels={len(self.task.classes)}, rows={self.n_rows})"


def _check_task(task: Task) -> None:
    if task.kind != "multilabel":
        raise ConfigError(
            f"MultiLabelInterpretation needs a multi-label learner, got {task.kind!r}; use "
            "ClassificationInterpretation for a binary or multiclass one"
        )
