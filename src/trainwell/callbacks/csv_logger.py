"""Write the history to a CSV file, one row per epoch, as training goes."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from trainwell.callbacks._validate import file_path, flag
from trainwell.core.device import is_rank_zero
from trainwell.core.warn import warn
from trainwell.learner.events import Callback

if TYPE_CHECKING:
    from trainwell.learner.learner import Learner


class CSVLogger(Callback):
    """Append each epoch's history row to ``path`` and flush it, so the file can be read while training runs.

    The rows are those of :meth:`Learner.history_table` and of the ``history.csv`` that ``trainwell fit``
    writes: ``epoch`` counts from 1 over every fit of the learner (fine-tuning's unfrozen phase goes on from
    its frozen one: 1; 2, 3), as :attr:`Learner.history`, the screen and ``curves.png`` count, with ``fit``
    telling the fits apart.

    The columns are those of the first row written (or of the existing file's header when appending); a
    missing value is written empty and a column that appears later is left out with a warning. With
    ``append=False`` the file is started afresh at the first fit this logger sees and later fits of the same
    logger (e.g. both phases of ``fine_tune``) add to it; a fit resumed from a checkpoint first writes the rows
    of that fit already in the history. Only rank 0 writes. A relative ``path`` is under ``learn.path``.

    Args:
        path: the CSV file.
        append: add to an existing file instead of replacing it.

    Example:
        >>> logger = CSVLogger("run/history.csv")
    """

    order = 70  # after the Recorder's row, before EarlyStopping may end the fit
    runs_in_lr_find = False  # the learning-rate finder's sweep is not training worth a row

    def __init__(self, path: str | Path = "history.csv", append: bool = False) -> None:
        self.path = file_path("CSVLogger", "path", path)
        self.append = flag("CSVLogger", "append", append)
        self.columns: list[str] | None = None
        self._started = False
        self._stream: IO[str] | None = None
        self._warned: set[str] = set()

    def before_fit(self, learn: Learner) -> None:
        if not is_rank_zero():
            return
        target = learn.path / self.path
        target.parent.mkdir(parents=True, exist_ok=True)
        fresh = not self._started and not self.append
        if not self._started:
            self.columns = None if fresh else _existing_header(target)
        self._stream = target.open("w" if fresh else "a", newline="", encoding="utf-8")
        if fresh:
            for row in learn.history:  # rows of a resumed fit written before the interruption
                if row.get("fit") == learn.recorder.fit_count:
                    self._write(row)
        self._started = True

    def after_epoch(self, learn: Learner) -> None:
        if self._stream is not None and learn.history:
            self._write(learn.history[-1])

    def _write(self, row: dict[str, Any]) -> None:
        assert self._stream is not None
        writer = csv.writer(self._stream)
        if self.columns is None:
            self.columns = list(row)
            writer.writerow(self.columns)
        extra = [key for key in row if key not in self.columns and key not in self._warned]
        if extra:
            self._warned.update(extra)
            warn(
                f"CSVLogger: column(s) {', '.join(extra)} are not in the header of {self.path}; left out",
                RuntimeWarning,
            )
        writer.writerow(["" if row.get(name) is None else row[name] for name in self.columns])
        self._stream.flush()

    def after_fit(self, learn: Learner) -> None:
        self._close()

    def teardown(self, learn: Learner) -> None:
        self._close()

    def _close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def __repr__(self) -> str:
        return f"CSVLogger(path='{self.path}', append={self.append})"


def _existing_header(path: Path) -> list[str] | None:
    if not path.is_file() or path.stat().st_size == 0:
        return None
    with path.open(newline="", encoding="utf-8") as stream:
        return next(csv.reader(stream), None) or None
