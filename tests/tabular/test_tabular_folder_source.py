"""A folder of splits read in Python as ``trainwell fit`` reads it (:func:`trainwell.data.splits.table_source`).

A tour's ``fit_table("titanic/", target="Survived")`` was refused ("is a directory, not a file") where ``trainwell
fit titanic/`` read ``train.csv.gz`` and ``test.csv.gz``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import trainwell
from table_samples import yes_no_rows
from trainwell.data.splits import table_source
from trainwell.tabular import tabular_data


def _kaggle_folder(folder: Path, *, labelled_test: bool = True) -> Path:
    """``train.csv.gz`` beside ``test.csv.gz``, as Titanic's folder is laid out."""
    folder.mkdir()
    yes_no_rows(300, 0).to_csv(folder / "train.csv.gz", index=False)
    test = yes_no_rows(120, 1)
    (test if labelled_test else test.drop(columns="y")).to_csv(folder / "test.csv.gz", index=False)
    return folder


def test_fit_table_reads_a_folder_as_the_command_line_does(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    folder = _kaggle_folder(tmp_path / "titanic")
    run = trainwell.fit_table(folder, target="y", arch="gbdt", progress=True)
    said = capsys.readouterr().err
    assert "training rows from train.csv.gz; test rows from test.csv.gz (test=)" in said, said
    # The same model and test scores as the files passed one by one
    alone = trainwell.fit_table(folder / "train.csv.gz", target="y", arch="gbdt", test=folder / "test.csv.gz")
    assert run.learn.test_scores is not None
    assert run.learn.test_scores == pytest.approx(alone.learn.test_scores)
    assert run.metrics["valid_loss"] == pytest.approx(alone.metrics["valid_loss"])


def test_a_test_table_given_is_kept_and_an_unlabelled_test_split_left_out(tmp_path: Path) -> None:
    folder = _kaggle_folder(tmp_path / "kaggle", labelled_test=False)
    said: list[str] = []
    found = table_source(folder, ["y"], say=said.append)
    assert found is not None and found.data == folder / "train.csv.gz" and found.test is None
    assert "test.csv.gz left out (no column 'y': predict it with trainwell.load(model).predict)" in said[0]
    labelled = _kaggle_folder(tmp_path / "labelled")
    said.clear()
    given = table_source(labelled, ["y"], test_given=True, say=said.append)
    assert given is not None and given.test is None
    assert "test.csv.gz left out (test= given)" in said[0]
    assert table_source(folder / "train.csv.gz", ["y"]) is None  # a file is read as it is


def test_shards_are_joined_and_the_validation_split_is_the_validation_rows(tmp_path: Path) -> None:
    folder = tmp_path / "hub"
    folder.mkdir()
    yes_no_rows(200, 0).to_csv(folder / "train-00000-of-00002.csv", index=False)
    yes_no_rows(150, 1).to_csv(folder / "train-00001-of-00002.csv", index=False)
    yes_no_rows(90, 2).to_csv(folder / "dev.csv", index=False)
    data = tabular_data(folder, "y", batch_size=32)
    assert data.train.n_rows == 350 and data.valid is not None and data.valid.n_rows == 90
    # Positions of the caller's own (splits=) index the training split alone: the validation split is left out
    chosen = tabular_data(folder, "y", splits=(range(300), range(300, 350)), batch_size=32)
    assert chosen.train.n_rows == 300 and chosen.valid is not None and chosen.valid.n_rows == 50


def test_evaluate_table_folds_the_training_split_of_a_folder(tmp_path: Path) -> None:
    folder = _kaggle_folder(tmp_path / "kaggle")
    settings = {"cv": 2, "arch": "gbdt", "baselines": False}
    from_folder = trainwell.evaluate_table(folder, "y", **settings)
    from_file = trainwell.evaluate_table(folder / "train.csv.gz", "y", **settings)
    assert from_folder.mean("roc_auc") == pytest.approx(from_file.mean("roc_auc"))
