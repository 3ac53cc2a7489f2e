"""A ratings folder as MovieLens ships it (``u.data`` without a header row beside ``u.item``'s titles, a README),
or its archive, is read in Python as the command line reads it: its ratings file, said in a warning, and the
titles kept in the model directory."""

from __future__ import annotations

import tarfile
from pathlib import Path

import numpy as np
import pytest

import trainwell
from ratings_support import low_rank_ratings
from trainwell.core.errors import DataError


def movielens_folder(root: Path) -> Path:
    folder = root / "ml-mini"
    folder.mkdir(parents=True)
    frame = low_rank_ratings(n_ratings=1_200).frame
    stamps = 880_000_000 + np.arange(len(frame))
    lines = [
        f"{user}\t{item}\t{rating:.0f}\t{stamp}"
        for user, item, rating, stamp in zip(
            frame["user"], frame["item"], frame["rating"], stamps, strict=True
        )
    ]
    (folder / "u.data").write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = sorted(set(frame["item"]))
    (folder / "u.item").write_bytes(
        "".join(f"{item}|Film {item} (199{item % 10})|01-Jan-1995||0|1\n" for item in items).encode("latin-1")
    )
    (folder / "README").write_text("A small MovieLens-like set for the tests.\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("packed", [False, True])
def test_a_movielens_folder_or_its_archive_is_read_by_its_ratings_file(tmp_path: Path, packed: bool) -> None:
    folder = movielens_folder(tmp_path)
    source = folder
    if packed:
        source = tmp_path / "ml-mini.tgz"
        with tarfile.open(source, "w:gz") as archive:
            archive.add(folder, arcname="ml-mini")
    with pytest.warns(UserWarning, match=r"u.data holds ratings without a header row \(user, item, rating"):
        run = trainwell.fit_ratings(source, epochs=1, progress=False, out=tmp_path / "model")
    assert run.data.task.kind == "regression" and run.learn.final_row["rmse"] > 0
    names = (tmp_path / "model" / "item_names.csv").read_text(encoding="utf-8")
    assert "Film 3 (1993)" in names  # u.item's titles, kept for recommend and report
    if not packed:  # and shown by the loaded model's rankings in Python, as trainwell recommend shows them
        predictor = trainwell.load(tmp_path / "model")
        top = predictor.recommend(1, 3)
        similar = predictor.similar_items(3, 3, min_users=1)
        for table in (top, similar):
            assert "name" in table.columns and table["name"].str.startswith("Film ").all(), table


def test_a_folder_without_ratings_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "README").write_text("no ratings here\n", encoding="utf-8")
    with pytest.raises(DataError, match="is a directory, not a file"):
        trainwell.ratings_data(tmp_path / "notes")


def test_cross_validation_reads_the_folder_alike(tmp_path: Path) -> None:
    folder = movielens_folder(tmp_path)
    with pytest.warns(UserWarning, match="u.data holds ratings without a header row"):
        result = trainwell.evaluate_ratings(folder, cv=2, epochs=1, seed=0)
    assert result.task.kind == "regression" and "rmse" in result.model.summary()
