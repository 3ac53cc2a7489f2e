"""A recommender's refusals of rows it read from a file name that file, from Python and from ``trainwell predict``
(standard input as such): they had named it "the input rows", which left the user to guess which rows."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import trainwell
from ratings_support import low_rank_ratings
from trainwell.cli.app import app
from trainwell.collab.pipeline import fit_ratings
from trainwell.collab.predictor import CollabPredictor
from trainwell.core.errors import DataError


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("collab_names") / "model"
    fit_ratings(low_rank_ratings(seed=0, n_ratings=600).frame, out=folder, epochs=1, progress=False)
    return folder


@pytest.fixture(scope="module")
def predictor(model_dir: Path) -> CollabPredictor:
    return trainwell.load(model_dir)


def test_a_file_without_the_user_column_is_named(predictor: CollabPredictor, tmp_path: Path) -> None:
    path = tmp_path / "pairs.csv"
    pd.DataFrame({"item": [1, 2]}).to_csv(path, index=False)
    with pytest.raises(
        DataError,
        match=rf"^no column 'user' in {re.escape(str(path))}; its columns are: item\. A recommender",
    ):
        predictor.predict(path)
    with pytest.raises(DataError, match=r"^no column 'user' in the input rows; its columns are: item"):
        predictor.predict(pd.DataFrame({"item": [1, 2]}))  # rows in memory: no file to name


def test_rows_without_a_user_name_their_file(
    model_dir: Path, predictor: CollabPredictor, tmp_path: Path
) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("user,item\n1,\n,5\n2,3\n")
    with pytest.raises(
        DataError,
        match=rf"^2 of 3 rows of {re.escape(str(path))} lack a user or an item \(the first: data row 1",
    ):
        predictor.predict(path)
    with pytest.raises(DataError, match=r"^2 of 3 rows lack a user or an item"):
        predictor.predict(pd.read_csv(path))
    runner = CliRunner()
    from_file = runner.invoke(app, ["predict", str(model_dir), str(path)], env={"COLUMNS": "200"})
    assert from_file.exit_code == 2
    assert f"error: 2 of 3 rows of {path} lack a user or an item" in from_file.stderr
    piped = runner.invoke(
        app, ["predict", str(model_dir), "-"], input=path.read_text(), env={"COLUMNS": "200"}
    )
    assert piped.exit_code == 2
    assert "error: 2 of 3 rows of standard input lack a user or an item" in piped.stderr
