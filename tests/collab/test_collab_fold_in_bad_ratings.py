"""Ratings a fit refuses are refused by a fold-in too, before the model grows: a 1e30 or an 'inf' rating of a new
user was folded in, and their every score was NaN; a 'five' failed inside numpy with a traceback, after the new
ids had been added to the model."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from test_collab_bad_ratings import ratings
from typer.testing import CliRunner

from trainwell.cli.app import app
from trainwell.collab.fold_in import fold_in
from trainwell.collab.pipeline import fit_ratings
from trainwell.core.errors import DataError


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("recommender") / "m"
    fit_ratings(ratings(), out=out, epochs=1, progress=False)
    return out


def files_of(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (
            "1e30",
            "error: rating column 'rating' holds 1e+30 in data row 2, beyond the ±1e+15 a model trains on",
        ),
        (
            "inf",
            "error: rating column 'rating' holds inf in data row 2, an infinite value; fix or drop that row",
        ),
        (
            "five",
            "error: rating column 'rating' holds 'five' in data row 2, which is not a number; this model's ratings "
            "are numbers: fix or drop those rows",
        ),
    ],
)
def test_fold_in_refuses_a_rating_a_fit_refuses_and_leaves_the_model_as_it_was(
    model_dir: Path, cell: str, expected: str
) -> None:
    shutil.copytree(model_dir, "m")
    before = files_of(Path("m"))
    Path("newer.csv").write_text(f"user,item,rating\nnewbie,i1,4\nnewbie,i2,{cell}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["fold-in", "m", "newer.csv"])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1 and lines[0].startswith(expected), result.output
    assert files_of(Path("m")) == before


def test_a_learners_fold_in_refuses_a_word_for_a_rating_before_growing_the_model() -> None:
    run = fit_ratings(ratings(), epochs=1, progress=False)
    weights = {name: tensor.clone() for name, tensor in run.learn.model.state_dict().items()}
    newer = ratings(4, seed=1).assign(user="newbie").astype({"rating": object})
    newer.loc[2, "rating"] = "five"
    with pytest.raises(
        DataError, match=r"^rating column 'rating' holds 'five' in data row 3, which is not a num"
    ):
        fold_in(run.learn, newer)
    after = run.learn.model.state_dict()
    assert after.keys() == weights.keys()
    assert all(after[name].shape == weights[name].shape for name in weights)
    assert all(np.array_equal(after[name].numpy(), weights[name].numpy()) for name in weights)
