"""Where a regression model goes wrong: predicted against actual, residuals, the largest errors, the error
summary in plain words and the error by range of the actual value, per target.

:meth:`RegressionInterpretation.from_learner` streams the model over a loader once, as
:class:`~trainwell.interpret.ClassificationInterpretation` does, and keeps per row only the actual and the
predicted values (``K`` numbers each for ``K`` targets, in the target's units: a model's outputs are) and the row's
loss; every figure, table and plot is computed from those. The rows themselves (a table's rows as read, a text
per row, the images and their files) are kept only for the learner's own validation or test split, to show
beside the largest errors.

Residuals are ``actual - predicted`` throughout (the convention of statistics texts and of scikit-learn's
``PredictionErrorDisplay``): a positive residual is a value the model predicted too low, so a positive bias
(mean residual) means the model predicts too low on average.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from trainwell.core.errors import ConfigError
from trainwell.core.plot_file import PlotFile
from trainwell.data.task import Task
from trainwell.interpret._learner import learner_of
from trainwell.interpret._plots import number_text
from trainwell.interpret._row_losses import row_losses
from trainwell.interpret._top_frame import examples_as_read, top_frame
from trainwell.interpret.classification import _image_paths, _shown_rows, natural_order
from trainwell.learner.learner import VALIDATION_SET
from trainwell.losses import MAE, MSE, Huber

if TYPE_CHECKING:
    import pandas as pd

    from trainwell.learner.learner import Learner
    from trainwell.learner.run_files import FitRun

#: Bins of the actual value that :meth:`RegressionInterpretation.error_by_range` cuts by default: quintiles.
RANGE_BINS = 5
#: Targets drawn as panels of one figure at most; past it a figure of tiny panels says nothing: pick one.
MAX_PANELS = 16
#: A target's largest (or smallest) value held by at least this share of the rows, and by :data:`CAPPED_ROWS`
#: rows, is read as a cap of the data: California's house values stop at exactly 500,001 for 5% of districts.
CAPPED_SHARE, CAPPED_ROWS = 0.01, 5


class RegressionInterpretation:
    """Actual and predicted values of a regression model on one data set, row by row.

    Build it with :meth:`from_learner`. Arrays are indexed by row in the loader's natural order, one column per
    target (``targets`` names them). Every method taking ``target`` reads one target (its name, or its position)
    or, with ``None``, each of them.

    Args:
        task: the regression task (its ``target_names`` name the columns).
        actual: true values, shape ``(N,)`` or ``(N, K)``.
        predicted: predicted values in the target's units, the same shape.
        losses: each row's loss as the learner computes it, shape ``(N,)``; ``None`` when not known.

    Example:
        >>> task = Task("regression", target_names=("price",))
        >>> interp = RegressionInterpretation(task, np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 3.0]))
        >>> interp.summary().loc["price", ["mae", "bias"]].round(3).tolist()
        [0.5, 0.167]
        >>> interp.top_losses(1)[["actual", "predicted", "residual"]].to_dict("records")
        [{'actual': 4.0, 'predicted': 3.0, 'residual': 1.0}]
    """

    def __init__(
        self, task: Task, actual: np.ndarray, predicted: np.ndarray, losses: np.ndarray | None = None
    ) -> None:
        _check_task(task)
        actual = _columns(actual)
        predicted = _columns(predicted)
        if actual.shape != predicted.shape:
            raise ConfigError(
                f"actual and predicted must have the same shape, one value per row and target; got "
                f"{actual.shape} and {predicted.shape}"
            )
        if losses is not None and len(losses) != len(actual):
            raise ConfigError(f"losses must have one value per row ({len(actual)}), got {len(losses)}")
        self.task = task
        self.actual = actual
        self.predicted = predicted
        self.losses = None if losses is None else np.asarray(losses, dtype=np.float64)
        #: The names of the targets, one per column: the task's, else ``target`` (or ``target_0``, ...).
        self.targets: tuple[str, ...] = _target_names(task, actual.shape[1])
        #: What each row is, shown beside its error by :meth:`top_losses` and :meth:`plot_top_losses`, as in
        #: :class:`~trainwell.interpret.ClassificationInterpretation`: the rows as read (a table's, a text per
        #: row) or the ``images`` (uint8, (N, C, H, W)) and their files (``paths``).
        self.rows: pd.DataFrame | None = None
        self.images: torch.Tensor | None = None
        self.paths: list[str] | None = None
        #: What the plots are of, for the warning when a default-named plot replaces another's.
        self._plot_owner: tuple[object, ...] = (self,)

    @classmethod
    def from_learner(
        cls, learn: Learner | FitRun, loader: Any = VALIDATION_SET, batch_size: int | None = None
    ) -> RegressionInterpretation:
        """Run ``learn.model`` over ``loader`` (default: the validation set) in order, one batch at a time.

        Args:
            learn: a learner with a regression task, or the run a one-call pipeline returned (``fit_table``,
                ``fit_images``...: its ``.learn``).
            loader: batches ``(*inputs, target)``, by default ``learn.data.valid`` (``learn.data.test`` for the
                test set); or labelled examples the learner reads (a table's rows with their targets, as
                ``learn.validate`` takes them), whose rows the top losses then show.
            batch_size: rows per batch for this pass; ``None`` keeps the loader's.
        """
        learn = learner_of(learn, "RegressionInterpretation.from_learner")
        task = learn.task
        _check_task(task)
        source = learn._chosen_loader(loader, "RegressionInterpretation.from_learner")
        if source is None:
            raise ConfigError("no data to interpret: this DataBundle has no validation set; pass loader=...")
        if batch_size is not None and batch_size < 1:
            raise ConfigError(f"batch_size must be a positive integer, got {batch_size}")
        parts: dict[str, list[np.ndarray]] = {"actual": [], "predicted": [], "losses": []}
        learn.model.eval()
        with torch.no_grad():
            for batch in learn._on_device(natural_order(source, batch_size)):
                *inputs, target = batch
                with learn.forward_context():
                    output = learn.model(*inputs).float()
                n = len(target)
                parts["predicted"].append(task.activate(output).reshape(n, -1).double().cpu().numpy())
                parts["actual"].append(target.reshape(n, -1).double().cpu().numpy())
                parts["losses"].append(regression_row_losses(learn.loss_func, output, target).cpu().numpy())
        if not parts["actual"]:
            raise ConfigError("the loader yielded no batches; nothing to interpret")
        result = cls(task, **{key: np.concatenate(values) for key, values in parts.items()})
        result._plot_owner = (learn.model, source)
        result.rows, result.images = _shown_rows(learn, source, result.n_rows)
        if result.images is not None:
            result.paths = _image_paths(learn, source, result.n_rows)
        elif result.rows is None:
            result.rows = examples_as_read(loader, task, result.n_rows)
        return result

    # ------------------------------------------------------------------------------------------- figures
    @property
    def n_rows(self) -> int:
        """Rows seen."""
        return len(self.actual)

    def residuals(self, target: str | int | None = None) -> np.ndarray:
        """``actual - predicted``: ``(N,)`` for one target, ``(N, K)`` for ``None``."""
        columns = self._columns(target)
        residual = self.actual[:, columns] - self.predicted[:, columns]
        return residual[:, 0] if target is not None else residual

    def summary(self, target: str | int | None = None) -> pd.DataFrame:
        """One row per target (indexed by its name): ``rows``, ``rmse``, ``mae``, ``r2``, ``median_abs_error``,
        ``max_abs_error`` and ``bias`` (the mean residual, ``actual - predicted``: positive when the model
        predicts too low on average), in the target's units. R² is ``1 - SS_res / SS_tot`` (0 for predicting
        the mean; for a constant actual value, 1 if every prediction is exact, else 0, as the metrics say)."""
        import pandas as pd

        records = []
        for column in self._columns(target):
            actual, predicted = self.actual[:, column], self.predicted[:, column]
            residual = actual - predicted
            records.append({
                "rows": len(residual),
                "rmse": float(np.sqrt(np.mean(residual**2))),
                "mae": float(np.mean(np.abs(residual))),
                "r2": _r2(actual, predicted),
                "median_abs_error": float(np.median(np.abs(residual))),
                "max_abs_error": float(np.max(np.abs(residual))),
                "bias": float(np.mean(residual)),
            })  # fmt: skip
        names = [self.targets[column] for column in self._columns(target)]
        return pd.DataFrame(records, index=pd.Index(names, name="target"))

    def error_by_range(self, target: str | int | None = None, n_bins: int = RANGE_BINS) -> pd.DataFrame:
        """The error in each range of the actual value, so the ranges where the model is weak stand out.

        The actual values are cut at their quantiles into ``n_bins`` bins of about as many rows each (quintiles
        by default), each bin ``(actual_from, actual_to]`` with the lowest value in the first: the bins of
        ``pandas.qcut(actual, n_bins, duplicates="drop")``; repeated values can leave fewer bins. Per bin:
        ``rows``, ``mae``, ``rmse``, ``bias`` (mean residual) and ``mean_actual``; one block of bins per target.
        """
        import pandas as pd

        if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
            raise ConfigError(f"n_bins must be a positive integer, got {n_bins!r}; pass e.g. n_bins=5")
        records = []
        for column in self._columns(target):
            actual = self.actual[:, column]
            residual = actual - self.predicted[:, column]
            edges = np.unique(np.quantile(actual, np.linspace(0.0, 1.0, n_bins + 1)))
            if len(edges) == 1:  # one value throughout: one bin holding every row
                edges = np.array([edges[0], edges[0]])
            bins = np.searchsorted(edges[1:-1], actual, side="left")  # right-closed bins, as qcut cuts
            for index in range(len(edges) - 1):
                chosen = residual[bins == index]
                records.append({
                    "target": self.targets[column],
                    "bin": index + 1,
                    "actual_from": float(edges[index]),
                    "actual_to": float(edges[index + 1]),
                    "rows": len(chosen),
                    "mae": float(np.mean(np.abs(chosen))) if len(chosen) else float("nan"),
                    "rmse": float(np.sqrt(np.mean(chosen**2))) if len(chosen) else float("nan"),
                    "bias": float(np.mean(chosen)) if len(chosen) else float("nan"),
                    "mean_actual": float(np.mean(actual[bins == index])) if len(chosen) else float("nan"),
                })  # fmt: skip
        return pd.DataFrame(records)

    def describe(self, target: str | int | None = None, n_bins: int = RANGE_BINS) -> str:
        """The error summary in plain words, a paragraph per target: the typical error (MAE, median absolute
        error), RMSE, R², the bias, and the range of the actual value where the error is largest."""
        summary = self.summary(target)
        by_range = self.error_by_range(target, n_bins)
        return "\n\n".join(
            _described(name, summary.loc[name], by_range[by_range["target"] == name])
            for name in summary.index
        )

    def top_losses(self, k: int = 9, target: str | int | None = None) -> pd.DataFrame:
        """The ``k`` rows with the largest errors, largest first (ties: the earlier row first), as a DataFrame indexed
        by the row's own label: a table's index label (``df.loc[label]`` is the row, as ``learn.predict(df)`` keeps
        it), else its position in the loader's order (texts, images, a loader of one's own).

        One target (or a model of one): ranked by absolute error, with columns ``actual``, ``predicted``,
        ``residual`` (``actual - predicted``) and ``abs_error``. Several targets and ``target=None``: ranked by
        the row's ``loss`` (the learner's loss, which by default weighs each target's error by its spread), with
        ``actual``, ``predicted`` and ``residual`` per target (``price actual``, ...). Then what the row is: its
        image's ``path``, or its columns as read (a text model's ``text``), as
        :meth:`ClassificationInterpretation.top_losses` gives them.
        """
        chosen, figures = self._top(k, target)
        return top_frame(figures, chosen, self.rows, self.paths)

    def caveats(
        self,
        target: str | int | None = None,
        k: int = 10,
        trained_range: tuple[Sequence[float], Sequence[float]] | None = None,
    ) -> list[str]:
        """What the data says about the errors, in plain words, one sentence each (none when nothing stands out).

        A capped target: many rows (:data:`CAPPED_SHARE`) at exactly the largest or smallest value, as when
        anything above 500,001 is recorded as 500,001; the model cannot learn what lies past the cap, so the
        errors there are partly the data's, and the sentence counts how many of the ``k`` largest errors sit
        there. Predictions past the known values: above or below every training value when ``trained_range``
        (``(minimums, maximums)``, one per target, as a model's ``target_range`` hint) is given, else past the
        actual values seen here.
        """
        notes = []
        for column in self._columns(target):
            name = self.targets[column]
            actual, predicted = self.actual[:, column], self.predicted[:, column]
            if not len(actual):
                continue
            error = np.abs(actual - predicted)
            top = np.lexsort((np.arange(len(error)), -error))[:k]
            for edge, value in (("maximum", float(actual.max())), ("minimum", float(actual.min()))):
                at = actual == value
                count = int(at.sum())
                if count < CAPPED_ROWS or count < CAPPED_SHARE * len(actual) or actual.min() == actual.max():
                    continue
                among = int(at[top].sum())
                notes.append(
                    (
                        f"{among} of the {len(top)} largest errors sit at"
                        if among
                        else "None of the largest errors sit at"
                    )
                    + f" {name}'s {edge} {number_text(value)}, which {count:,} of {len(actual):,} rows "
                    f"({100 * count / len(actual):.1f}%) hold exactly: the data caps {name} there (values past it "
                    "recorded as the cap), so the model cannot learn past it and errors there are partly the data's."
                )
            if trained_range is not None:
                low, high = float(trained_range[0][column]), float(trained_range[1][column])
                known = "any training value"
            else:
                low, high = float(actual.min()), float(actual.max())
                known = "any actual value here"
            for beyond, bound, side, extreme in (
                (predicted > high, high, "above", float(predicted.max())),
                (predicted < low, low, "below", float(predicted.min())),
            ):
                if beyond.any():
                    notes.append(
                        f"{_rows(int(beyond.sum()))} predicted {side} {known} ({number_text(bound)}), as far as "
                        f"{number_text(extreme)}: the model extrapolates there."
                    )
        return notes

    def _top(self, k: int, target: str | int | None) -> tuple[np.ndarray, dict[str, Any]]:
        """Positions of the ``k`` largest errors and the figures of :meth:`top_losses` for them."""
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            raise ConfigError(f"k must be a positive integer, got {k!r}")
        columns = self._columns(target)
        if len(columns) == 1:
            score = np.abs(self.actual[:, columns[0]] - self.predicted[:, columns[0]])
        elif self.losses is not None:
            score = self.losses
        else:
            raise ConfigError(
                f"the rows' losses are not known (built from arrays), so {len(columns)} targets cannot be ranked "
                f"together; pass target= one of: {', '.join(self.targets)}"
            )
        chosen = np.lexsort((np.arange(len(score)), -score))[:k]
        table: dict[str, Any] = {}
        if len(columns) == 1:
            column = columns[0]
            table["actual"] = self.actual[chosen, column]
            table["predicted"] = self.predicted[chosen, column]
            table["residual"] = table["actual"] - table["predicted"]
            table["abs_error"] = np.abs(table["residual"])
        else:
            table["loss"] = score[chosen]
            for column in columns:
                name = self.targets[column]
                table[f"{name} actual"] = self.actual[chosen, column]
                table[f"{name} predicted"] = self.predicted[chosen, column]
                table[f"{name} residual"] = table[f"{name} actual"] - table[f"{name} predicted"]
        return chosen, table

    # --------------------------------------------------------------------------------------------- plots
    def plot_predicted_vs_actual(
        self, path: str | Path = "predicted_vs_actual.png", target: str | int | None = None
    ) -> PlotFile:
        """Write a scatter of predicted against actual values with the line ``y = x`` of exact predictions
        (``predicted_vs_actual.png`` by default), one panel per target, each titled with its RMSE and R².

        Returns the file as a ``Path`` that Jupyter shows inline; the default name holding another model's plot
        written by this process is replaced with a ``UserWarning`` (pass ``path`` to keep each)."""
        from trainwell.interpret._regression_plots import plot_predicted_vs_actual

        return plot_predicted_vs_actual(self, self._panels(target), _png_path(path), owner=self._plot_owner)

    def plot_residuals(self, path: str | Path = "residuals.png", target: str | int | None = None) -> PlotFile:
        """Write a scatter of residuals (``actual - predicted``) against predicted values, with the zero line
        (``residuals.png`` by default), one panel per target: a funnel or a curve shows where the model's error
        grows or is systematic. Returns the file as a ``Path`` that Jupyter shows inline."""
        from trainwell.interpret._regression_plots import plot_residuals

        return plot_residuals(self, self._panels(target), _png_path(path), owner=self._plot_owner)

    def plot_residual_histogram(
        self, path: str | Path = "residual_histogram.png", target: str | int | None = None, bins: int = 30
    ) -> PlotFile:
        """Write a histogram of the residuals (``actual - predicted``) with zero and the bias (mean residual)
        marked (``residual_histogram.png`` by default), one panel per target. Returns the file as a ``Path``
        that Jupyter shows inline."""
        from trainwell.interpret._regression_plots import plot_residual_histogram

        if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
            raise ConfigError(f"bins must be a positive integer, got {bins!r}; pass e.g. bins=30")
        return plot_residual_histogram(
            self, self._panels(target), _png_path(path), bins, owner=self._plot_owner
        )

    def plot_error_by_range(
        self,
        path: str | Path = "error_by_range.png",
        target: str | int | None = None,
        n_bins: int = RANGE_BINS,
    ) -> PlotFile:
        """Write a bar chart of the mean absolute error in each range of the actual value (see
        :meth:`error_by_range`; ``error_by_range.png`` by default), with the overall MAE as a line, one panel
        per target. Returns the file as a ``Path`` that Jupyter shows inline."""
        from trainwell.interpret._regression_plots import plot_error_by_range

        panels = self._panels(target)
        return plot_error_by_range(
            self, panels, self.error_by_range(target, n_bins), _png_path(path), owner=self._plot_owner
        )

    def plot_top_losses(
        self,
        path: str | Path | int = "top_losses.png",
        k: int = 9,
        target: str | int | None = None,
        *,
        columns: Any = None,
    ) -> PlotFile:
        """Write a PNG of the ``k`` largest errors (see :meth:`top_losses`; ``top_losses.png`` by default): the
        images themselves, each titled with its actual and predicted values and its file, or else a table with
        four columns of each row as read: ``columns`` (names, or ``trainwell.permutation_importance(...)``), else
        those that stand out most from every interpreted row, as
        :meth:`ClassificationInterpretation.plot_top_losses` chooses them. A number first is ``k``, as in
        :meth:`ClassificationInterpretation.plot_top_losses`. Returns the file as a ``Path`` that Jupyter shows
        inline."""
        if isinstance(path, int) and not isinstance(path, bool):
            k, path = path, "top_losses.png"
        from trainwell.interpret._regression_plots import plot_top_loss_images, plot_top_loss_table

        if self.images is not None:
            chosen, figures = self._top(k, target)
            top = top_frame(figures, chosen, None, self.paths)
            return plot_top_loss_images(top, self.images[chosen], _png_path(path), owner=self._plot_owner)
        return plot_top_loss_table(
            self.top_losses(k, target),
            _png_path(path),
            owner=self._plot_owner,
            reference=self.rows,
            columns=columns,
        )

    def __repr__(self) -> str:
        return f"RegressionInterpretation(targets={list(self.targets)}, rows={self.n_rows})"

    # ------------------------------------------------------------------------------------------- helpers
    def _columns(self, target: str | int | None) -> list[int]:
        """The columns ``target`` names: all for ``None``, else one (by name, or by position)."""
        if target is None:
            return list(range(len(self.targets)))
        if isinstance(target, int | np.integer) and not isinstance(target, bool):
            if not -len(self.targets) <= target < len(self.targets):
                raise ConfigError(
                    f"target {target} is out of range: this model has {len(self.targets)} target(s) "
                    f"({', '.join(self.targets)}); pass a name or a position from 0 to {len(self.targets) - 1}"
                )
            return [int(target) % len(self.targets)]
        if isinstance(target, str) and target in self.targets:
            return [self.targets.index(target)]
        raise ConfigError(
            f"target {target!r} is not one of this model's targets: {', '.join(self.targets)}; pass one of "
            "them (or its position), or target=None for each"
        )

    def _panels(self, target: str | int | None) -> list[int]:
        columns = self._columns(target)
        if len(columns) > MAX_PANELS:
            raise ConfigError(
                f"this model has {len(columns)} targets, too many panels for one figure (at most {MAX_PANELS}); "
                f"pass target= one of them (a name, or a position from 0 to {len(columns) - 1})"
            )
        return columns


def regression_row_losses(loss_func: Any, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Loss of each row of a regression batch, shape ``(N,)``: the built-in losses (:class:`~trainwell.losses.MSE`
    with its per-target ``scale``, :class:`~trainwell.losses.MAE`, :class:`~trainwell.losses.Huber`) and their
    torch counterparts averaged over the row's targets, as they average over the batch; any other loss is
    called once per row (:func:`~trainwell.interpret._row_losses.row_losses`)."""
    n = len(target)
    predicted, actual = output.float().reshape(n, -1), target.float().reshape(n, -1)
    if predicted.shape != actual.shape:
        return row_losses(loss_func, output, target)
    if isinstance(loss_func, MSE):
        scale = loss_func.scale
        error = predicted - actual if scale is None else (predicted - actual) / scale.to(predicted.device)
        return error.square().mean(dim=1)
    if isinstance(loss_func, nn.MSELoss):
        return (predicted - actual).square().mean(dim=1)
    if isinstance(loss_func, MAE | nn.L1Loss):
        return (predicted - actual).abs().mean(dim=1)
    if isinstance(loss_func, Huber | nn.HuberLoss):
        return F.huber_loss(predicted, actual, delta=float(loss_func.delta), reduction="none").mean(dim=1)
    return row_losses(loss_func, output, target)


def _described(name: str, figures: pd.Series, by_range: pd.DataFrame) -> str:
    """One target's paragraph of :meth:`RegressionInterpretation.describe`."""
    rmse, mae, median = figures["rmse"], figures["mae"], figures["median_abs_error"]
    bias, r2 = figures["bias"], figures["r2"]
    lines = [
        f"{name}: {_rows(int(figures['rows']))}.",
        f"Typical error: {_number(mae)} on average (MAE), half the rows within {_number(median)} (median "
        f"absolute error); RMSE {_number(rmse)}"
        + (", well above the MAE: a few large errors weigh in." if mae > 0 and rmse > 1.5 * mae else "."),
        f"R² {r2:.3f}: "
        + (
            f"the model explains {100 * r2:.3g}% of the variance of {name} (predicting the mean scores 0)."
            if r2 > 0
            else f"no better than predicting the mean of {name} (which scores 0)."
        ),
    ]
    if abs(bias) <= 0.05 * mae or bias == 0:
        lines.append(f"Bias: none to speak of (mean residual {_number(bias, signed=True)}).")
    else:
        side = "low" if bias > 0 else "high"
        lines.append(
            f"Bias: the model predicts {_number(abs(bias))} too {side} on average "
            f"(mean residual, actual - predicted: {_number(bias, signed=True)})."
        )
    filled = by_range[by_range["rows"] > 0]
    if len(filled) > 1:
        worst = filled.loc[filled["mae"].idxmax()]
        best = filled.loc[filled["mae"].idxmin()]
        lines.append(
            f"By range of the actual value: weakest for {_number(worst['actual_from'])} to "
            f"{_number(worst['actual_to'])} (MAE {_number(worst['mae'])}, {_rows(int(worst['rows']))}), best for "
            f"{_number(best['actual_from'])} to {_number(best['actual_to'])} (MAE {_number(best['mae'])})."
        )
    return " ".join(lines)


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count:,} rows"  # 1,000 rows, as every other count


def _number(value: float, signed: bool = False) -> str:
    """``51,580`` and ``+2,023`` for a house price's errors, ``0.3579`` for a small target's (never ``5.158e+04``)."""
    return number_text(value, signed)


def _r2(actual: np.ndarray, predicted: np.ndarray) -> float:
    residual = float(np.sum((actual - predicted) ** 2))
    total = float(np.sum((actual - actual.mean()) ** 2))
    if total > 0:
        return 1.0 - residual / total
    return 1.0 if residual == 0 else 0.0


def _columns(values: Any) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        return array[:, None]
    if array.ndim != 2:
        raise ConfigError(
            f"actual and predicted hold one value per row (N,) or per row and target (N, K); got shape {array.shape}"
        )
    return array


def _target_names(task: Task, n_targets: int) -> tuple[str, ...]:
    if len(task.target_names) == n_targets:
        return tuple(str(name) for name in task.target_names)
    return ("target",) if n_targets == 1 else tuple(f"target_{i}" for i in range(n_targets))


def _png_path(path: Any) -> Path:
    if not isinstance(path, str | Path):
        raise ConfigError(f"path must be a file name for the PNG, got {path!r}; pass e.g. 'residuals.png'")
    return Path(path)


def _check_task(task: Task) -> None:
    if task.kind != "regression":
        raise ConfigError(
            f"RegressionInterpretation needs a regression learner (numbers to predict), got {task.kind!r}; use "
            "trainwell.interpret.ClassificationInterpretation.from_learner(learn) for a binary or multiclass one"
            + (" (MultiLabelInterpretation for multi-label)" if task.kind == "multilabel" else "")
        )
