"""Item names in Latin-1 read with a note, a bare u.data-like file recognised, and a report's mean-rating baseline
scored on the report's own rows."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import trainwell
from ratings_support import low_rank_ratings, rmse
from trainwell.collab.names import is_ratings_file, read_item_names, stored_item_names
from trainwell.core.warn import Note
from trainwell.report import build_report


def test_item_names_not_in_utf8_are_read_as_latin1_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "u.item"
    path.write_bytes("1|Café Society (1995)|01-Jan-1995\n2|Toy Story (1995)|01-Jan-1995\n".encode("latin-1"))
    with pytest.warns(Note, match=r"not UTF-8 \(byte 0xe9 on line 1\): read as Latin-1"):
        names = read_item_names(path, "item")
    assert names == {"1": "Café Society (1995)", "2": "Toy Story (1995)"}


def test_item_names_in_another_encoding_asked_for_are_not_second_guessed(tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_text("item,title\n1,Café\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # UTF-8 as asked: no note
        assert read_item_names(path, "item") == {"1": "Café"}


def test_a_headerless_file_of_four_whole_numbers_a_line_is_a_ratings_file(tmp_path: Path) -> None:
    ratings = tmp_path / "u.data"
    ratings.write_text("196\t242\t3\t881250949\n186\t302\t3\t891717742\n")
    headed = tmp_path / "r.tsv"
    headed.write_text("user\titem\trating\ttime\n196\t242\t3\t881250949\n")
    three = tmp_path / "three.tsv"
    three.write_text("196\t242\t3\n")
    fractions = tmp_path / "f.tsv"
    fractions.write_text("196\t242\t3.5\t881250949\n")
    assert is_ratings_file(ratings)
    assert not any(is_ratings_file(path) for path in (headed, three, fractions, tmp_path))


def test_a_bare_ratings_file_keeps_the_names_of_the_file_beside_it_in_silence(tmp_path: Path) -> None:
    frame = low_rank_ratings(0).frame
    frame["rating"] = frame["rating"].round().astype(int)
    frame["timestamp"] = np.arange(len(frame)) + 880_000_000
    frame.to_csv(tmp_path / "u1.base", sep="\t", header=False, index=False)
    items = sorted(frame["item"].unique())
    (tmp_path / "u.item").write_bytes(
        "".join(f"{item}|Café {item} (1995)|01-Jan-1995\n" for item in items).encode("latin-1")
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # the folder's own list: Latin-1 is expected, not noted
        trainwell.fit_ratings(tmp_path / "u1.base", out=tmp_path / "m", epochs=1, progress=False)
    assert stored_item_names(tmp_path / "m") == {str(item): f"Café {item} (1995)" for item in items}


def test_the_report_scores_the_training_mean_on_its_own_rows(tmp_path: Path) -> None:
    frame = low_rank_ratings(0).frame
    train, test = frame.iloc[:1600], frame.iloc[1600:]
    out = tmp_path / "model"
    trainwell.fit_ratings(train, out=out, epochs=3, progress=False)
    page = build_report(out, data=test, out=tmp_path / "r.html").read_text()
    text = re.sub(r"<[^>]+>", " ", page)
    mean = float(trainwell.load(out).recipe.rating_mean)  # the training rows' (fit held a fifth out)
    assert abs(mean - float(test["rating"].mean())) > 1e-3
    assert f"the training mean rating ({mean:.3f}) for every pair" in text
    by_hand = rmse(np.full(len(test), mean), test["rating"].to_numpy())
    cells = re.search(r"for every pair\s+([0-9.]+)", text)
    assert cells is not None and float(cells.group(1)) == pytest.approx(by_hand, abs=5e-4)
    assert "RMSE of the model minus the mean" in text
