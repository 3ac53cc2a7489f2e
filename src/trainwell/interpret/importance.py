"""What ``trainwell.permutation_importance`` returns: the columns' importances, most important first, as the list
it always was (iterate it, index it, ``len`` it), with ``to_frame()`` and ``plot()`` as every other result of
``interpret`` has.

It was a bare ``list[FeatureImportance]``: its repr was a wall of 17-digit floats, and the report's bar chart
could not be had from Python. scikit-learn's ``permutation_importance`` returns ``importances_mean`` and
``importances_std``; this adds the interval over the repeats and its reading, in a DataFrame.

The items are duck-typed (``column``, ``importance``, ``std``, ``low``, ``high``, ``p_value``, ``reading``):
they are :class:`trainwell.report.FeatureImportance`, which this layer does not import.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainwell.core.plot_file import PlotFile, warn_if_replacing

if TYPE_CHECKING:
    import pandas as pd

#: Columns drawn by :meth:`PermutationImportances.plot` by default (a table of 200 columns is a page of bars).
PLOT_COLUMNS = 20
#: The frame's columns, in order.
FRAME_COLUMNS = ("column", "importance", "std", "low", "high", "p_value", "reading")


class PermutationImportances(list):  # type: ignore[type-arg]
    """The columns' importances, most important first: a list of
    :class:`~trainwell.report.FeatureImportance` (``for item in result``, ``result[0].column`` as before), and

    - ``to_frame()``: a DataFrame of ``column``, ``importance``, ``std``, ``low``, ``high`` (the interval over the
      shuffles), ``p_value`` and ``reading``;
    - ``plot(path)``: the bar chart of the importances with their intervals, as the HTML report draws it.

    Attributes:
        metric: the metric the columns are ranked by (``"roc_auc"``, ``"rmse"``).
        higher_is_better: whether the metric is a score (importance = its drop) or an error (its rise).
        base_score: the metric on the rows unshuffled.
        n_rows: rows scored.
        n_repeats: shuffles of each column.
        confidence: the intervals' coverage.
    """

    def __init__(
        self,
        items: Iterable[Any] = (),
        *,
        metric: str = "",
        higher_is_better: bool = True,
        base_score: float = math.nan,
        n_rows: int = 0,
        n_repeats: int = 0,
        confidence: float = 0.95,
    ) -> None:
        super().__init__(items)
        self.metric = metric
        self.higher_is_better = higher_is_better
        self.base_score = base_score
        self.n_rows = n_rows
        self.n_repeats = n_repeats
        self.confidence = confidence

    @property
    def measured(self) -> str:
        """What an importance is, in words: ``"drop in roc_auc"``, ``"rise in rmse"``."""
        what = self.metric or "the metric"
        return f"{'drop' if self.higher_is_better else 'rise'} in {what} when shuffled"

    def to_frame(self) -> pd.DataFrame:
        """One row per column, most important first: ``column``, ``importance`` (the mean loss of quality over the
        shuffles), ``std``, ``low`` and ``high`` (the interval), ``p_value`` and ``reading`` ("helps", "no
        measurable effect", ...). ``frame.attrs`` holds the metric, the base score, the rows and the repeats."""
        import pandas as pd

        frame = pd.DataFrame(
            [
                {
                    "column": str(item.column),
                    "importance": float(item.importance),
                    "std": float(getattr(item, "std", math.nan)),
                    "low": float(getattr(item, "low", math.nan)),
                    "high": float(getattr(item, "high", math.nan)),
                    "p_value": float(getattr(item, "p_value", math.nan)),
                    "reading": str(getattr(item, "said", getattr(item, "reading", ""))),
                }
                for item in self
            ],
            columns=list(FRAME_COLUMNS),
        )
        frame.attrs.update(
            metric=self.metric,
            higher_is_better=self.higher_is_better,
            base_score=self.base_score,
            n_rows=self.n_rows,
            n_repeats=self.n_repeats,
            confidence=self.confidence,
        )
        return frame

    def plot(self, path: str | Path = "importance.png", *, top: int = PLOT_COLUMNS) -> PlotFile:
        """Write a bar chart of the ``top`` most important columns (``importance.png`` by default), each bar its
        mean loss of quality with the interval over the shuffles as a whisker, the most important at the top,
        and return it as a ``Path`` that Jupyter shows inline. Bars whose interval lies above 0 are blue (the
        model uses the column), the others grey; ``importance.png`` holding another result's chart written by
        this process is replaced with a ``UserWarning``."""
        import numpy as np

        from trainwell.core.errors import ConfigError
        from trainwell.learner.plots import _pyplot, _save

        if isinstance(top, bool) or not isinstance(top, int) or top < 1:
            raise ConfigError(f"top must be a positive number of columns, got {top!r}")
        if not self:
            raise ConfigError("no columns to plot: permutation_importance measured none")
        shown = list(self)[:top]
        plt = _pyplot()
        figure, axis = plt.subplots(figsize=(7.5, 1.2 + 0.32 * len(shown)))
        values = np.array([float(item.importance) for item in shown])
        low = np.array([float(getattr(item, "low", math.nan)) for item in shown])
        high = np.array([float(getattr(item, "high", math.nan)) for item in shown])
        helps = low > 0
        positions = np.arange(len(shown))[::-1]  # the most important at the top
        axis.barh(positions, values, color=np.where(helps, "tab:blue", "0.7"), height=0.7)
        measured = np.isfinite(low) & np.isfinite(high)
        if measured.any():
            axis.errorbar(
                values[measured],
                positions[measured],
                xerr=np.vstack([values[measured] - low[measured], high[measured] - values[measured]]),
                fmt="none",
                ecolor="black",
                elinewidth=1.0,
                capsize=3,
            )
        axis.axvline(0.0, color="black", linewidth=0.8)
        axis.set_yticks(positions, [str(item.column) for item in shown], fontsize=9)
        interval = (
            f"{self.confidence:.0%} interval over {self.n_repeats} shuffles" if self.n_repeats else "interval"
        )
        axis.set_xlabel(f"{self.measured} (whiskers: {interval})", fontsize=9)
        of = (
            f"the {len(shown)} most important of {len(self)} columns"
            if len(shown) < len(self)
            else "each column"
        )
        rows = f" on {self.n_rows:,} rows" if self.n_rows else ""
        axis.set_title(
            f"Permutation importance{rows}: {of}\nblue: the interval lies above 0 (the model uses it); grey: not shown to help",
            fontsize=10,
        )
        axis.grid(axis="x", alpha=0.3)
        warn_if_replacing(
            path,
            owner=self,
            default_name="importance.png",
            what="permutation importance",
            of="model or data set",
        )
        return _save(figure, Path(path))

    def __repr__(self) -> str:
        """A table of 4-decimal figures (the repr of the list was a wall of 17-digit floats)."""
        head = (
            f"PermutationImportances({len(self)} columns by the {self.measured}"
            + (f", {self.n_repeats} shuffles each" if self.n_repeats else "")
            + (f", {self.n_rows:,} rows" if self.n_rows else "")
            + ")"
        )
        if not self:
            return head
        width = max(len("column"), *(len(str(item.column)) for item in self))
        lines = [head, f"  {'column':<{width}}  importance  interval              reading"]
        for item in self:
            low, high = float(getattr(item, "low", math.nan)), float(getattr(item, "high", math.nan))
            interval = "" if math.isnan(low) or math.isnan(high) else f"[{low:.4f}, {high:.4f}]"
            reading = str(getattr(item, "said", getattr(item, "reading", "")))
            lines.append(
                f"  {item.column!s:<{width}}  {float(item.importance):>10.4f}  {interval:<20}  {reading}"
            )
        return "\n".join(lines)

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuilt,
            (
                list(self),
                self.metric,
                self.higher_is_better,
                self.base_score,
                self.n_rows,
                self.n_repeats,
                self.confidence,
            ),
        )


def _rebuilt(
    items: list[Any],
    metric: str,
    higher_is_better: bool,
    base_score: float,
    n_rows: int,
    n_repeats: int,
    confidence: float,
) -> PermutationImportances:
    """A pickled :class:`PermutationImportances` read back, its attributes kept."""
    return PermutationImportances(
        items,
        metric=metric,
        higher_is_better=higher_is_better,
        base_score=base_score,
        n_rows=n_rows,
        n_repeats=n_repeats,
        confidence=confidence,
    )
