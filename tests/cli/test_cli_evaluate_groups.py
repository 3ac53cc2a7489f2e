"""`trainwell evaluate ... --groups COLUMN` for texts (--text) and for a CSV of images (--path-col), as for tables:
each group validated in one fold, said above the table and in its title, kept in --json. A folder has no column to
group by, and ratings, taggers and language models cannot draw grouped folds: each refused in one line saying why.

Read back from --oof (texts: each row's fold) and --json (the groups).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_support import run_cli, run_cli_many
from PIL import Image

pytestmark = pytest.mark.slow


def _reviews(path: Path) -> np.ndarray:
    """Five reviews by each of 12 authors, each author's label their own; returns each row's author."""
    rng = np.random.default_rng(0)
    filler = ["the", "a", "film", "book", "plot", "cast", "story", "scene", "page", "time"]
    authors = np.repeat([f"u{author}" for author in range(12)], 5)
    bodies = [" ".join([f"zq{author}x", *rng.choice(filler, 5).tolist()]) for author in authors]
    labels = ["pos" if int(author[1:]) % 2 else "neg" for author in authors]
    pd.DataFrame({"author": authors, "body": bodies, "y": labels}).to_csv(path, index=False)
    return authors


def _scans(root: Path) -> Path:
    """Three scans of each of 8 patients, listed in scans.csv (file, label, patient)."""
    rng = np.random.default_rng(0)
    rows = []
    for patient in range(8):
        for scan in range(3):
            name = f"p{patient}_{scan}.png"
            Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(root / name)
            rows.append(f"{name},{'sick' if patient % 2 else 'well'},P{patient}")
    csv = root / "scans.csv"
    csv.write_text("file,label,patient\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return csv


def test_texts_and_a_csv_of_images_are_cross_validated_in_folds_of_whole_groups(tmp_path: Path) -> None:
    authors = _reviews(tmp_path / "reviews.csv")
    scans = _scans(tmp_path)
    quick = ("--cv", "3", "--epochs", "1")
    texts, images = run_cli_many(
        [
            ("evaluate", tmp_path / "reviews.csv", "--text", "body", "--target", "y", "--groups", "author", *quick,
             "--oof", tmp_path / "oof.csv", "--json", tmp_path / "texts.json"),
            ("evaluate", scans, "--path-col", "file", "--label-col", "label", "--groups", "patient", *quick,
             "--no-baselines", "--json", tmp_path / "images.json"),
        ]
    )  # fmt: skip
    assert texts.returncode == 0, texts.explain()
    assert images.returncode == 0, images.explain()
    oof = pd.read_csv(tmp_path / "oof.csv")
    assert len(oof) == 60
    assert (oof.assign(author=authors[oof["row"] - 1]).groupby("author")["fold"].nunique() == 1).all()
    for run, unit, title, written, count in (
        (texts, "texts", "(binary, 60 texts in 12 groups of 'author')", "texts.json", 12),
        (images, "images", "(binary, 24 images in 8 groups of 'patient')", "images.json", 8),
    ):
        shown = " ".join(run.stdout.split())  # the lines wrap at the console's width
        assert f"each group's {unit} are validated in one fold" in shown, run.explain()
        assert title in shown, run.explain()
        evaluation = json.loads((tmp_path / written).read_text(encoding="utf-8"))
        assert evaluation["groups"]["count"] == count, run.explain()


def test_groups_that_cannot_be_drawn_are_refused_in_one_line(tmp_path: Path) -> None:
    reviews = tmp_path / "reviews.csv"
    _reviews(reviews)
    pd.read_csv(reviews).head(10).to_csv(reviews, index=False)  # two authors
    missing = tmp_path / "gaps.csv"
    pd.read_csv(reviews).assign(author=lambda f: f["author"].where(f.index != 3)).to_csv(missing, index=False)
    ratings = tmp_path / "ratings.csv"
    ratings.write_text("user,item,r\n1,1,4\n2,2,3\n3,1,5\n", encoding="utf-8")
    runs = run_cli_many(
        [
            ("evaluate", reviews, "--text", "body", "--target", "y", "--groups", "author", "--cv", "3"),
            ("evaluate", missing, "--text", "body", "--target", "y", "--groups", "author", "--cv", "2"),
            ("evaluate", reviews, "--text", "body", "--target", "y", "--groups", "writer"),
            ("evaluate", ratings, "--user", "user", "--item", "item", "--target", "r", "--groups", "user"),
        ]
    )
    expected = [
        "error: the rows fall in 2 groups, fewer than the 3 folds of --cv 3: a group is never split across folds, so "
        "each fold needs one of its own; pass --cv 2 or less, or groups that split the rows finer",
        "error: --groups is missing for 1 of the 10 rows cross-validated: every row needs a group to keep it in one "
        "fold; fill them (each its own group, if nothing ties it to others) or leave those rows out",
        f"error: --groups writer is not a column of {reviews}; columns are: author, body, y. Pass a column, or one "
        "group per row",
        "error: --groups is not for a recommender (--user, --item): grouping the ratings by a column would score "
        "users (or items) never trained on, and a collaborative filter has learnt nothing of a user it never saw; "
        "its folds hold out ratings, each user's others trained on; drop it",
    ]
    for run, line in zip(runs, expected, strict=True):
        assert run.returncode == 2, run.explain()
        assert run.stderr_lines == [line], run.explain()


def test_a_folder_of_texts_is_refused_naming_the_csv_to_write(tmp_path: Path) -> None:
    for label in ("pos", "neg"):
        (tmp_path / "texts" / label).mkdir(parents=True)
        for index in range(3):
            (tmp_path / "texts" / label / f"{index}.txt").write_text(
                f"{label} words {index}", encoding="utf-8"
            )
    run = run_cli("evaluate", tmp_path / "texts", "--groups", "author", "--cv", "2")
    assert run.returncode == 2, run.explain()
    assert run.stderr_lines == [
        f"error: --groups needs a column to group the texts by, and the folder '{tmp_path / 'texts'}' has none: list "
        "the texts in a CSV with their label and group columns and pass --text, --target and --groups with its column"
    ], run.explain()
