"""CSVLogger: the file holds the history, row by row, with fixed columns."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from callbacks_helpers import linear_learner

import trainwell.callbacks.csv_logger as csv_logger_module
from trainwell.callbacks import Checkpoint, CSVLogger
from trainwell.core.errors import ConfigError
from trainwell.learner import Callback, CancelValidate
from trainwell.learner.run_files import epochs_from_one, history_csv


def read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        return list(reader.fieldnames or []), list(reader)


def assert_rows_match(rows: list[dict[str, str]], history: list[dict]) -> None:
    """The file's rows are the history's, with epochs counted from 1 over every fit (as history.csv counts)."""
    assert len(rows) == len(history)
    for row, expected in zip(rows, epochs_from_one(history), strict=True):
        for key, value in expected.items():
            assert float(row[key]) == value  # written with full precision


def test_file_holds_the_history(tmp_path: Path) -> None:
    learn = linear_learner(path=tmp_path)
    learn.fit(3, callbacks=[CSVLogger("logs/history.csv")])
    header, rows = read(tmp_path / "logs" / "history.csv")
    assert header == ["fit", "epoch", "train_loss", "valid_loss", "rmse", "mae", "r2", "lr", "time"]
    assert_rows_match(rows, learn.history)


class ReadBack(Callback):
    """Reads the file at every epoch end: rows must already be flushed to disk."""

    order = 80

    def __init__(self, path: Path) -> None:
        self.path, self.counts = path, []

    def after_epoch(self, learn) -> None:
        self.counts.append(len(read(self.path)[1]))


def test_rows_are_flushed_as_training_goes(tmp_path: Path) -> None:
    reader = ReadBack(tmp_path / "history.csv")
    linear_learner(path=tmp_path).fit(3, callbacks=[CSVLogger(), reader])
    assert reader.counts == [1, 2, 3]


def test_append_adds_under_the_existing_header_and_replace_starts_over(tmp_path: Path) -> None:
    learn = linear_learner(path=tmp_path)
    learn.fit(2, callbacks=[CSVLogger()])
    learn.fit(3, callbacks=[CSVLogger(append=True)])
    header, rows = read(tmp_path / "history.csv")
    assert header[0] == "fit" and [row["fit"] for row in rows] == ["1", "1", "2", "2", "2"]
    assert_rows_match(rows, learn.history)
    learn.fit(1, callbacks=[CSVLogger()])
    _, rows = read(tmp_path / "history.csv")
    assert [row["fit"] for row in rows] == ["3"]


def test_one_logger_keeps_every_fit_it_sees(tmp_path: Path) -> None:
    logger = CSVLogger()
    learn = linear_learner(path=tmp_path, callbacks=[logger])
    learn.fit(1)
    learn.fit(2)
    _, rows = read(tmp_path / "history.csv")
    assert_rows_match(rows, learn.history)


class SkipValidation(Callback):
    def before_validate(self, learn) -> None:
        if learn.epoch == 1:
            raise CancelValidate


class ExtraColumn(Callback):
    order = 0  # after the Recorder's row, before CSVLogger

    def after_epoch(self, learn) -> None:
        if learn.epoch == 2:
            learn.history[-1]["grad_norm"] = 1.5


def test_missing_values_are_empty_and_new_columns_are_left_out_with_a_warning(tmp_path: Path) -> None:
    learn = linear_learner(path=tmp_path)
    with pytest.warns(RuntimeWarning, match="CSVLogger: column\\(s\\) grad_norm are not in the header"):
        learn.fit(3, callbacks=[CSVLogger(), SkipValidation(), ExtraColumn()])
    header, rows = read(tmp_path / "history.csv")
    assert "grad_norm" not in header
    assert rows[1]["valid_loss"] == "" and rows[1]["rmse"] == ""
    assert float(rows[2]["valid_loss"]) == learn.history[2]["valid_loss"]


class Interrupt(Callback):
    order = 100

    def after_epoch(self, learn) -> None:
        if learn.epoch == 1:
            raise KeyboardInterrupt


def test_a_resumed_fit_writes_its_earlier_rows_again(tmp_path: Path) -> None:
    learn = linear_learner(path=tmp_path)
    with pytest.raises(KeyboardInterrupt):
        learn.fit(3, callbacks=[CSVLogger(), Checkpoint(), Interrupt()])
    resumed = linear_learner(path=tmp_path)
    resumed.fit(3, callbacks=[CSVLogger(), Checkpoint()], resume_from=tmp_path / "checkpoint.pt")
    _, rows = read(tmp_path / "history.csv")
    assert [row["epoch"] for row in rows] == ["1", "2", "3"]
    assert_rows_match(rows, resumed.history)


def test_only_rank_zero_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_logger_module, "is_rank_zero", lambda: False)
    linear_learner(path=tmp_path).fit(1, callbacks=[CSVLogger()])
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments() -> None:
    with pytest.raises(ConfigError, match=re.escape("CSVLogger append must be True or False, got 1")):
        CSVLogger(append=1)  # type: ignore[arg-type]


def test_epochs_count_from_1_over_every_fit_as_the_command_lines_history_csv(tmp_path: Path) -> None:
    """A tour: CSVLogger's history.csv counted each fit's epochs from 0 (fine_tune: 0; 0, 1) where trainwell fit's
    history.csv and learn.history_table() count 1; 2, 3. Now the two files are the same table."""
    learn = linear_learner(path=tmp_path, callbacks=[CSVLogger()])
    learn.fit(1)
    learn.fit(2)
    header, rows = read(tmp_path / "history.csv")
    assert [(row["fit"], row["epoch"]) for row in rows] == [("1", "1"), ("2", "2"), ("2", "3")]
    assert learn.history_table()["epoch"].tolist() == [1, 2, 3]
    cli_rows = list(csv.DictReader(history_csv(learn.history).splitlines()))
    assert header == list(cli_rows[0])
    assert [(row["fit"], row["epoch"]) for row in cli_rows] == [(row["fit"], row["epoch"]) for row in rows]
