"""Files whose delimiter the reader took wrong (a tour of bad files):

- a space-delimited file given to ``predict`` for a table model was "missing" every input column, where fit says
  the file was read as one column and to re-save it with commas or tabs: predict now says the same;
- a European CSV without a header row (``1,5;2,25;yes``: ``;`` between fields, decimal commas) was split on its
  commas, into garbled columns and a multi-class model in silence, with ``--names``: it is now read on ``;``, its
  numbers with their decimal commas, and without ``--names`` the error counts its columns right.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_support import run_cli

import trainwell
from trainwell.data.io import read_table


def rows(n_rows: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n_rows), rng.normal(size=n_rows)
    return pd.DataFrame({"x1": x1.round(3), "x2": x2.round(2), "y": np.where(x1 + x2 > 0, "yes", "no")})


def european(frame: pd.DataFrame, path: Path) -> Path:
    """``frame`` without a header row, ``;`` between fields and a decimal comma in each number."""
    lines = [";".join(str(value).replace(".", ",") for value in row) for row in frame.itertuples(index=False)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("delimiters") / "model"
    trainwell.fit_table(rows(), "y", out=out, epochs=1, lr=1e-2, progress=False)  # no sweep: lr given
    return out


@pytest.mark.parametrize("name", ["new.txt", "new.csv"])
def test_predict_on_a_space_delimited_file_says_so_in_one_line(
    model_dir: Path, tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    rows().drop(columns="y").head(5).to_csv(path, sep=" ", index=False)
    done = run_cli("predict", model_dir, path)
    assert done.returncode == 2, done.explain()
    assert done.stderr_lines == [
        f"error: {path} was read as one column ('x1 x2'): its delimiter (spaces) is not one of , ; tab | ::; "
        "re-save it with commas or tabs"
    ], done.explain()


def test_a_headerless_european_csv_reads_on_semicolons_with_decimal_commas(tmp_path: Path) -> None:
    path = european(rows(), tmp_path / "euro.csv")
    assert path.read_text(encoding="utf-8").splitlines()[0] == "0,126;-0,66;no"
    table = read_table(path, names=["x1", "x2", "y"])
    assert table.shape == (200, 3)
    assert np.allclose(table["x1"], rows()["x1"]) and np.allclose(table["x2"], rows()["x2"])
    assert table["y"].tolist() == rows()["y"].tolist()


def test_fit_and_predict_read_a_headerless_european_csv_with_names(model_dir: Path, tmp_path: Path) -> None:
    path = european(rows(), tmp_path / "euro.csv")
    fit = run_cli(
        "fit", path, "--names", "x1,x2,y", "--target", "y", "--epochs", "1", "--lr", "1e-2", "--out", tmp_path / "m"
    )  # fmt: skip
    assert fit.returncode == 0, fit.explain()
    predictor = trainwell.load(tmp_path / "m")
    assert predictor.task.kind == "binary" and predictor.recipe.cont_names == ["x1", "x2"]
    new = european(rows(seed=1).drop(columns="y").head(5), tmp_path / "new.csv")
    answers = run_cli("predict", tmp_path / "m", new, "--names", "x1,x2")
    assert answers.returncode == 0, answers.explain()
    assert (
        answers.stdout.splitlines()[0] == "prediction,probability_yes"
        and len(answers.stdout.splitlines()) == 6
    )
    # without --names, its first row is named as data, with its three columns counted right
    refused = run_cli("fit", path, "--target", "y", "--out", tmp_path / "n")
    assert refused.returncode == 2, refused.explain()
    assert "columns are: 0,126, -0,66, no" in refused.stderr and "(--names col1,col2,col3;" in refused.stderr
