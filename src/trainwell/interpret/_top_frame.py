"""The table every ``top_losses()`` returns: one row per top loss, indexed by the row's own label.

A classifier's and a regression's top losses are one type, a DataFrame, so that the same code reads both (a list
of ``TopLoss`` and a DataFrame differed). Each row is named by the label the caller gave it: a table's own index
label (``df.loc[label]`` is the row, as ``learn.predict(df)`` keeps it), and a position in the loader's order only
where the rows carry no label (texts, images, a loader of one's own). The ranked numbers come first, then the
row's image file (``path``) or its columns as read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from trainwell.data.task import Task

#: The index's name where the rows carry no named index of their own.
ROW = "row"


def top_frame(
    figures: dict[str, Any], chosen: np.ndarray, rows: pd.DataFrame | None, paths: list[str] | None
) -> pd.DataFrame:
    """``figures`` (columns of the chosen rows, in order) with each row's file (``path``) and its columns as read
    from ``rows`` (one per interpreted row; a column named as a figure is left out, the figure says it), indexed
    by the row's label (see :func:`row_labels`).

    Built by position, then labelled: a caller's index may repeat a label, which joins on labels would refuse.
    """
    import pandas as pd

    top = pd.DataFrame(figures, index=pd.RangeIndex(len(chosen)))
    if paths is not None:
        top["path"] = [paths[int(i)] for i in chosen]
    if rows is not None:
        shown = rows.iloc[chosen].reset_index(drop=True)
        top = pd.concat([top, shown.drop(columns=[c for c in shown.columns if c in top.columns])], axis=1)
    top.index = row_labels(rows, chosen)
    return top


def row_labels(rows: pd.DataFrame | None, chosen: np.ndarray) -> pd.Index:
    """The labels of the rows at positions ``chosen``: ``rows``'s own index (a DataFrame's labels, a file's rows
    from 0), under its name or ``row``; the positions themselves when there are no rows."""
    import pandas as pd

    if rows is None:
        return pd.Index(np.asarray(chosen, dtype=np.int64), name=ROW)
    labels = rows.index[chosen]
    if isinstance(labels, pd.MultiIndex):
        return labels
    return labels.rename(labels.name if labels.name is not None else ROW)


def examples_as_read(loader: Any, task: Task, n_rows: int) -> pd.DataFrame | None:
    """The rows of labelled examples passed as a DataFrame, with the caller's index and the targets left out (the
    table shows them as ``actual``); ``None`` for anything else, or when rows were left out on reading."""
    import pandas as pd

    if isinstance(loader, pd.DataFrame) and len(loader) == n_rows:
        return loader.drop(columns=[c for c in task.target_names if c in loader.columns])
    return None
