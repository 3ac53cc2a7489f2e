"""Where a binary or multiclass classifier goes wrong (multi-label: :mod:`trainwell.interpret.multilabel`): confusion matrix, most confused pairs, top losses, calibration.

:meth:`ClassificationInterpretation.from_learner` streams the model over a loader once. Per batch it keeps
only four small per-row vectors (loss, actual class, predicted class, probability of the predicted class)
and adds to a running ``C x C`` confusion matrix; it never holds the inputs nor the ``N x C`` probability
matrix, so it works on sets far larger than memory would allow for ``get_preds``. Everything else (top
losses for any ``k``, calibration bins, plots) is computed from those vectors.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from trainwell.core.errors import ConfigError
from trainwell.core.plot_file import PlotFile
from trainwell.data.task import Task
from trainwell.interpret._learner import learner_of
from trainwell.interpret._row_losses import row_losses
from trainwell.interpret._top_frame import ROW, examples_as_read, top_frame
from trainwell.learner._evaluate import ordered
from trainwell.learner.learner import VALIDATION_SET

if TYPE_CHECKING:
    import pandas as pd

    from trainwell.learner.learner import Learner
    from trainwell.learner.run_files import FitRun

_KINDS = ("binary", "multiclass")


class ClassificationInterpretation:
    """Per-row results of a binary or multiclass classifier on one data set.

    Build it with :meth:`from_learner`. Arrays are indexed by row in the loader's natural order.

    Args:
        task: the classification task (its ``classes`` name the rows and columns of the confusion matrix).
        losses: per-row loss, shape ``(N,)``.
        actual: true class index per row, shape ``(N,)``.
        predicted: predicted class index per row, shape ``(N,)``.
        confidence: probability of the predicted class per row, shape ``(N,)``.
    """

    def __init__(
        self,
        task: Task,
        losses: np.ndarray,
        actual: np.ndarray,
        predicted: np.ndarray,
        confidence: np.ndarray,
    ) -> None:
        _check_task(task)
        n = len(losses)
        if not (len(actual) == len(predicted) == len(confidence) == n):
            raise ConfigError(
                f"losses, actual, predicted and confidence must have one value per row; got lengths "
                f"{n}, {len(actual)}, {len(predicted)}, {len(confidence)}"
            )
        self.task = task
        self.losses = np.asarray(losses, dtype=np.float32)
        self.actual = np.asarray(actual, dtype=_index_dtype(len(task.classes)))
        self.predicted = np.asarray(predicted, dtype=self.actual.dtype)
        self.confidence = np.asarray(confidence, dtype=np.float32)
        #: What each row is, shown beside its loss by :meth:`plot_top_losses`: the rows as read (a table's, a text
        #: per row), or ``images`` (uint8, (N, C, H, W)); set by :meth:`from_learner` for a split it knows.
        self.rows: pd.DataFrame | None = None
        self.images: torch.Tensor | None = None
        #: Each image's file, when the images were read from files (a folder, a CSV of paths): the top losses
        #: name them, where a row number told a user nothing of which image it was.
        self.paths: list[str] | None = None
        #: What the plots are of, for the warning when a default-named plot replaces another's: the model and
        #: the loader (set by :meth:`from_learner`; a run again on the same model and data is the same owner),
        #: else this interpretation.
        self._plot_owner: tuple[object, ...] = (self,)
        #: Whether each row's loss is -log of the probability given to its actual class (plain cross-entropy), as
        #: the table of top losses then says; label smoothing (images' default) or class weights make it another
        #: number, ranked all the same. ``None``: not known (built from vectors).
        self.loss_is_nll: bool | None = None

    @classmethod
    def from_learner(
        cls,
        learn: Learner | FitRun,
        loader: Iterable[Any] | None = VALIDATION_SET,
        batch_size: int | None = None,
    ) -> ClassificationInterpretation:
        """Run ``learn.model`` over ``loader`` (default: the validation set) in order, one batch at a time.

        Per-row losses use the learner's loss without reduction (see :mod:`trainwell.interpret._row_losses`).
        Binary rows are predicted positive when their probability reaches ``task.threshold``.

        Args:
            learn: a learner with a binary or multiclass task, or the run a one-call pipeline returned (``fit_table``,
                ``fit_images``...: its ``.learn``).
            loader: batches ``(*inputs, target)``; by default ``learn.data.valid``. ``None`` is refused (what
                ``data.test`` is without a test set), rather than replaced by the validation rows.
            batch_size: rows per batch for this pass; ``None`` keeps the loader's. Only loaders with a
                ``new`` method (such as :class:`~trainwell.data.TensorLoader`) can be re-batched.
        """
        learn = learner_of(learn, "ClassificationInterpretation.from_learner")
        task = learn.task
        _check_task(task)
        source = learn._chosen_loader(loader, "ClassificationInterpretation.from_learner")
        if source is None:
            raise ConfigError("no data to interpret: this DataBundle has no validation set; pass loader=...")
        if batch_size is not None and batch_size < 1:
            raise ConfigError(f"batch_size must be a positive integer, got {batch_size}")
        parts: dict[str, list[np.ndarray]] = {
            "losses": [],
            "nll": [],
            "actual": [],
            "predicted": [],
            "confidence": [],
        }
        learn.model.eval()
        with torch.no_grad():
            for batch in learn._on_device(natural_order(source, batch_size)):
                *inputs, target = batch
                with learn.forward_context():
                    output = learn.model(*inputs).float()
                for key, values in _summarise(task, learn.loss_func, output, target).items():
                    parts[key].append(values)
        if not parts["losses"]:
            raise ConfigError("the loader yielded no batches; nothing to interpret")
        nll = np.concatenate(parts.pop("nll"))
        result = cls(task, **{key: np.concatenate(values) for key, values in parts.items()})
        result.loss_is_nll = bool(np.allclose(result.losses, nll, rtol=1e-3, atol=1e-4))
        result._plot_owner = (learn.model, source)
        result.rows, result.images = _shown_rows(learn, source, result.n_rows)
        if result.images is not None:
            result.paths = _image_paths(learn, source, result.n_rows)
        elif result.rows is None:  # labelled rows of one's own: shown, and named, as the caller holds them
            result.rows = examples_as_read(loader, task, result.n_rows)
        return result

    @property
    def n_rows(self) -> int:
        """Rows seen."""
        return len(self.losses)

    def confusion_matrix(self) -> np.ndarray:
        """Counts, rows = actual class, columns = predicted class, both in ``task.classes`` order."""
        n_classes = len(self.task.classes)
        flat = self.actual.astype(np.int64) * n_classes + self.predicted
        return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)

    def most_confused(self, min_count: int = 1) -> list[tuple[Any, Any, int]]:
        """Off-diagonal ``(actual, predicted, count)`` with ``count >= min_count``, most frequent first."""
        matrix = self.confusion_matrix()
        classes = self.task.classes
        pairs = [
            (classes[a], classes[p], int(matrix[a, p]))
            for a in range(len(classes))
            for p in range(len(classes))
            if a != p and matrix[a, p] >= max(min_count, 1)
        ]
        return sorted(pairs, key=lambda pair: -pair[2])  # stable: ties keep class order

    def top_losses(self, k: int = 9) -> pd.DataFrame:
        """The ``k`` rows with the highest loss, highest first (ties: the earlier row first), as a DataFrame.

        Indexed by the row's own label: a table's index label (``df.loc[label]`` is the row, as
        ``learn.predict(df)`` keeps it), else its position in the loader's order (texts, images, a loader of one's
        own). Columns: ``loss``, ``actual``, ``predicted``, ``probability`` (of the predicted class), the image's
        ``path`` when the images were read from files, then the row as read (a table's columns without the target,
        a text model's ``text``). ``top.itertuples()`` gives each row with attributes (``row.Index``, ``row.loss``).
        """
        return self._top_frame(k, self.rows)

    def _top_frame(self, k: int, rows: pd.DataFrame | None) -> pd.DataFrame:
        chosen = self._top_positions(k)
        return top_frame(self._top_figures(chosen), chosen, rows, self.paths)

    def _top_positions(self, k: int) -> np.ndarray:
        """Positions of the ``k`` highest losses, highest first, ties by position."""
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            raise ConfigError(f"k must be a positive integer, got {k!r}")
        losses = self.losses
        if k < len(losses):
            # argpartition keeps this O(N); widen to every row tied with the k-th so ties break by index.
            kth = losses[np.argpartition(-losses, k - 1)[:k]].min()
            candidates = np.flatnonzero(losses >= kth)
        else:
            candidates = np.arange(len(losses))
        return candidates[np.lexsort((candidates, -losses[candidates]))][:k]

    def _top_figures(self, chosen: np.ndarray) -> dict[str, Any]:
        classes = self.task.classes
        return {
            "loss": self.losses[chosen].astype(np.float64),
            "actual": [classes[int(i)] for i in self.actual[chosen]],
            "predicted": [classes[int(i)] for i in self.predicted[chosen]],
            "probability": self.confidence[chosen].astype(np.float64),
        }

    def calibration(self, n_bins: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Reliability bins: ``(mean predicted probability, observed frequency, rows)`` per non-empty bin.

        Binary: the probability of ``classes[1]`` against how often the row is ``classes[1]``. Multiclass:
        the top-class confidence against accuracy. Bins split ``[0, 1]`` into ``n_bins`` equal widths (the
        same bins as ``sklearn.calibration.calibration_curve(strategy="uniform")``).
        """
        if self.task.kind == "binary":
            probability = np.where(self.predicted == 1, self.confidence, 1.0 - self.confidence)
            outcome = (self.actual == 1).astype(np.float64)
        else:
            probability = self.confidence.astype(np.float64)
            outcome = (self.actual == self.predicted).astype(np.float64)
        return reliability_bins(probability, outcome, n_bins)

    def plot_confusion_matrix(self, path: str | Path = "confusion.png", normalize: bool = False) -> PlotFile:
        """Write the confusion matrix as a PNG (``confusion.png`` in the current folder by default, as
        ``show_batch`` writes ``batch.png``), counts (or row shares if ``normalize``) in the cells.

        Returns the file as a ``Path`` that Jupyter shows inline (:class:`~trainwell.core.plot_file.PlotFile`;
        its ``png`` is the figure as drawn). The default name is shared: when ``confusion.png`` holds the matrix
        of another model (or of other data) written by this process, it is replaced with a ``UserWarning``; pass
        ``path`` to keep each, e.g. ``plot_confusion_matrix("confusion_resnet.png")``."""
        from trainwell.interpret._plots import plot_confusion_matrix

        return plot_confusion_matrix(
            self.confusion_matrix(), self.task.classes, Path(path), normalize, owner=self._plot_owner
        )

    def plot_top_losses(
        self,
        path: str | Path | int = "top_losses.png",
        k: int = 9,
        rows: pd.DataFrame | None = None,
        *,
        columns: Any = None,
    ) -> PlotFile:
        """Write a PNG of the top ``k`` losses (``top_losses.png`` by default): the images themselves, titled (an
        image model's validation or test set), else a table of :meth:`top_losses` with four columns of each
        row: ``rows`` (one per loader row, same order; its index labels the rows), or the rows :meth:`from_learner`
        kept (a table's as read, a text per row). A number first is ``k``, as fastai's ``plot_top_losses(9)`` reads.

        The four columns are ``columns`` (names, or ``trainwell.permutation_importance(...)``: the most important
        first), else those whose values in the top rows stand out most from every interpreted row (mean ``|z|``;
        a category: how rare its value is); the title says which rule chose them.

        Returns the file as a ``Path`` that Jupyter shows inline; ``top_losses.png`` holding another model's
        (or other data's) top losses written by this process is replaced with a ``UserWarning``, as by
        :meth:`plot_confusion_matrix`."""
        if isinstance(path, int) and not isinstance(path, bool):
            k, path = path, "top_losses.png"
        if not isinstance(path, str | Path):
            raise ConfigError(
                f"path must be a file name for the PNG, got {path!r}; pass e.g. 'top_losses.png'"
            )
        if rows is not None and len(rows) != self.n_rows:
            raise ConfigError(
                f"rows must hold one row per interpreted row ({self.n_rows}), got {len(rows)}; "
                "pass the DataFrame the loader was built from, in the same order"
            )
        from trainwell.interpret._plots import plot_top_loss_images, plot_top_losses

        owner = self._plot_owner
        if rows is None and self.images is not None:
            chosen = self._top_positions(k)
            top = top_frame(self._top_figures(chosen), chosen, None, self.paths)
            return plot_top_loss_images(top, self.images[chosen], Path(path), owner=owner)
        source = rows if rows is not None else self.rows
        top = self._top_frame(k, source)
        return plot_top_losses(
            top, Path(path), owner=owner, loss_is_nll=self.loss_is_nll, reference=source, columns=columns
        )

    def plot_calibration(self, path: str | Path = "calibration.png", n_bins: int = 10) -> PlotFile:
        """Write a reliability diagram (see :meth:`calibration`; ``calibration.png`` by default) with the
        diagonal of perfect calibration. Returns the file as a ``Path`` that Jupyter shows inline;
        ``calibration.png`` holding another model's diagram is replaced with a warning, as by
        :meth:`plot_confusion_matrix`."""
        from trainwell.interpret._plots import plot_calibration

        mean_probability, frequency, counts = self.calibration(n_bins)
        binary = self.task.kind == "binary"
        return plot_calibration(
            mean_probability, frequency, counts, Path(path), binary, owner=self._plot_owner
        )

    def __repr__(self) -> str:
        return f"ClassificationInterpretation(task={self.task.kind}, rows={self.n_rows})"


def reliability_bins(
    probability: np.ndarray, outcome: np.ndarray, n_bins: int = 10
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(mean probability, observed frequency, count)`` per non-empty bin of ``n_bins`` equal widths of
    ``[0, 1]``; ``outcome`` is 1 where the predicted event happened (the bins of
    ``sklearn.calibration.calibration_curve(strategy="uniform")``)."""
    if n_bins < 1:
        raise ConfigError(f"n_bins must be a positive integer, got {n_bins}")
    probability = np.asarray(probability, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.searchsorted(edges[1:-1], probability)
    counts = np.bincount(bins, minlength=n_bins)
    sums = np.bincount(bins, weights=probability, minlength=n_bins)
    hits = np.bincount(bins, weights=np.asarray(outcome, dtype=np.float64), minlength=n_bins)
    keep = counts > 0
    return sums[keep] / counts[keep], hits[keep] / counts[keep], counts[keep]


def _shown_rows(learn: Learner, source: Any, n_rows: int) -> tuple[pd.DataFrame | None, torch.Tensor | None]:
    """What the rows of ``source`` are, when it is the learner's validation or test loader: the rows its data
    kept (a table's), its texts, or its images (uint8); ``(None, None)`` for a loader of one's own."""
    import pandas as pd

    data = learn.data
    split = _split_of(data, source)
    if split is None:
        return None, None
    rows = getattr(data, "rows", {}).get(split)
    texts = (getattr(data, "texts", None) or {}).get(split)
    if rows is None and texts is not None:
        # named by the table's own index labels where the data kept them (texts read from a DataFrame or CSV)
        labels = (getattr(data, "row_labels", None) or {}).get(split)
        index = labels if labels is not None and len(labels) == len(texts) else None
        rows = pd.DataFrame({"text": list(texts)}, index=index)
    if rows is not None and len(rows) == n_rows:  # the target beside "actual" says nothing more
        return rows.drop(columns=[c for c in learn.task.target_names if c in rows.columns]), None
    tensors = getattr(source, "tensors", None)
    if data.application == "vision" and tensors and tensors[0].dim() == 4 and len(tensors[0]) == n_rows:
        return None, tensors[0]
    return _positions_in_x(data, split, n_rows), None


def _positions_in_x(data: Any, split: str, n_rows: int) -> pd.DataFrame | None:
    """Rows of no columns, labelled by their positions in the arrays tensor_data was given (its
    ``valid_index``): the top losses of tensor data named rows by their place in the random validation share,
    which the caller could not map back to ``x``. ``None`` where the data keeps no positions."""
    import pandas as pd

    positions = getattr(data, f"{split}_index", None)
    if positions is None or len(positions) != n_rows:
        return None
    return pd.DataFrame(index=pd.Index(np.asarray(positions, dtype=np.int64), name=ROW))


def _image_paths(learn: Learner, source: Any, n_rows: int) -> list[str] | None:
    """The files of ``source``'s images (the learner's validation or test split, read from files), each as its
    last folder and name (``airplane/0019.jpg``: two class folders may both hold a 0019.jpg); else ``None``."""
    split = _split_of(learn.data, source)
    files = (getattr(learn.data, "paths", None) or {}).get(split) if split else None
    if not files or len(files) != n_rows:
        return None
    return [Path(Path(file).parent.name, Path(file).name).as_posix() for file in files]


def _split_of(data: Any, source: Any) -> str | None:
    """``"valid"`` or ``"test"`` when ``source`` is that loader of ``data``; ``None`` for a loader of one's own."""
    return "valid" if source is data.valid else "test" if source is data.test else None


def natural_order(loader: Iterable[Any], batch_size: int | None) -> Iterable[Any]:
    new = getattr(loader, "new", None)
    if callable(new) and (batch_size is not None or getattr(loader, "drop_last", False)):
        return new(batch_size=batch_size, shuffle=False, drop_last=False)
    return ordered(loader)


def _summarise(task: Task, loss_func: Any, output: torch.Tensor, target: torch.Tensor) -> dict[str, Any]:
    """One batch -> the small per-row vectors kept; the probabilities die with the batch."""
    probabilities = task.activate(output)  # binary (N,) = P(classes[1]); multiclass (N, C)
    if task.kind == "binary":
        predicted = (probabilities >= task.threshold).long()
        confidence = torch.where(predicted == 1, probabilities, 1.0 - probabilities)
    else:
        confidence, predicted = probabilities.max(dim=-1)
    actual = target.reshape(-1).long()
    if task.kind == "binary":
        given = torch.where(actual == 1, probabilities.reshape(-1), 1.0 - probabilities.reshape(-1))
    else:
        given = probabilities.gather(-1, actual[:, None]).reshape(-1)
    return {
        "losses": row_losses(loss_func, output, target).detach().cpu().numpy(),
        # -log of the probability given to the actual class: what the loss is, unless label smoothing or class
        # weights change it (the table of top losses says which).
        "nll": (-torch.log(given.double().clamp_min(1e-12))).float().cpu().numpy(),
        "actual": target.reshape(-1).to(torch.int32).cpu().numpy(),
        "predicted": predicted.to(torch.int32).cpu().numpy(),
        "confidence": confidence.cpu().numpy(),
    }


def _check_task(task: Task) -> None:
    if task.kind == "multilabel":
        raise ConfigError(
            f"ClassificationInterpretation reads one class per row; this learner is multi-label "
            f"({len(task.classes)} labels, a yes/no decision each): use trainwell.interpret.MultiLabelInterpretation.from_learner(learn)"
            " for a 2 x 2 confusion matrix per label (or trainwell report MODEL_DIR for per-label quality)"
        )
    if task.kind == "regression":
        raise ConfigError(
            "ClassificationInterpretation needs a binary or multiclass task, got 'regression': this learner "
            "predicts numbers; use trainwell.interpret.RegressionInterpretation.from_learner(learn) for predicted "
            "against actual, residuals, the largest errors and the error by range of the actual value"
        )
    if task.kind not in _KINDS:
        raise ConfigError(
            f"ClassificationInterpretation needs a binary or multiclass task, got {task.kind!r}; "
            "use it on a classifier's learner"
        )


def _index_dtype(n_classes: int) -> type[np.integer[Any]]:
    return np.int16 if n_classes <= np.iinfo(np.int16).max else np.int32
