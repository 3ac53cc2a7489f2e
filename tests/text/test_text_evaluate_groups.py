"""evaluate_texts(groups=): folds that keep an author's (a thread's) texts whole, so the scores are on authors never
trained on; refused in the words tables use for a missing column, a missing group or too few groups."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trainwell.core.errors import ConfigError, DataError
from trainwell.text.evaluation import evaluate_texts

FILLER = ["the", "a", "film", "book", "plot", "cast", "story", "scene", "page", "time", "day", "way", "thing"]


def _authors(n_authors: int = 24, per_author: int = 5, seed: int = 0) -> pd.DataFrame:
    """Reviews by authors, each author's label their own: every review of author 7 says its author's signature
    word ``zq7x`` twice among common words that say nothing of the label. An author's signature predicts the label
    of their other reviews perfectly, and says nothing of a new author's."""
    rng = np.random.default_rng(seed)
    rows = []
    for author in range(n_authors):
        for _ in range(per_author):
            words = [f"zq{author}x", *rng.choice(FILLER, 6).tolist(), f"zq{author}x"]
            rows.append(
                {"author": f"u{author}", "body": " ".join(words), "y": "pos" if author % 2 else "neg"}
            )
    return pd.DataFrame(rows)


@pytest.mark.slow
def test_grouped_folds_close_the_leak_of_an_authors_signature_words() -> None:
    frame = _authors()
    # A high learning rate: four epochs of the n-gram bag learn the signatures (0.87 accuracy at 0.1, 0.63 at its own).
    quick = {"text_col": "body", "target": "y", "cv": 3, "epochs": 4, "lr": 0.1}
    loose = evaluate_texts(frame, **quick)
    grouped = evaluate_texts(frame, **quick, groups="author")
    # Folds that split an author score each review beside that author's others trained on: the signature word
    # gives the label away. Folds of whole authors score on authors never seen: nothing but chance is left.
    assert loose.mean("accuracy", "tf-idf + logistic") > 0.95
    assert grouped.mean("accuracy", "tf-idf + logistic") < 0.65
    assert loose.mean("accuracy") > 0.8 and grouped.mean("accuracy") < 0.6
    # Each author is validated in one fold, and the baselines are scored on the very same folds.
    authors = frame["author"].to_numpy()
    for train, valid in grouped.model.splits:
        assert not set(authors[train]) & set(authors[valid])
    assert any(set(authors[train]) & set(authors[valid]) for train, valid in loose.model.splits)
    for baseline in grouped.baselines.values():
        assert all(
            np.array_equal(ours, theirs)
            for (_, ours), (_, theirs) in zip(grouped.model.splits, baseline.splits, strict=True)
        )
    # It says so in its title, its repr and its JSON, as a table's evaluation does.
    assert grouped.groups == ("'author'", 24) and loose.groups is None
    assert "(binary, 120 texts in 24 groups of 'author')" in str(grouped)
    assert grouped.to_dict()["groups"] == {"by": "'author'", "count": 24}
    assert "groups" not in loose.to_dict()


def test_groups_given_as_values_of_a_table_file(tmp_path: Path) -> None:
    frame = _authors(n_authors=8, per_author=3)
    source = tmp_path / "reviews.csv"
    frame.drop(columns="author").to_csv(source, index=False)
    result = evaluate_texts(
        source, text_col="body", target="y", cv=2, epochs=1, baselines=False, groups=frame["author"].tolist()
    )
    assert result.groups == ("the groups given", 8)
    authors = frame["author"].to_numpy()
    assert all(not set(authors[train]) & set(authors[valid]) for train, valid in result.model.splits)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (
            {"groups": "writer"},
            DataError,
            "groups='writer' is not a column of the table; columns are: author, body, y. Pass a column, or one "
            "group per row",
        ),
        (
            {"groups": ["a", "b"]},
            DataError,
            "groups holds 2 values for the 20 rows of the table; pass one group per row, or the name of a column",
        ),
        (
            {"groups": "author", "cv": 5},
            DataError,
            "the rows fall in 4 groups, fewer than the 5 folds of cv=5: a group is never split across folds, so each "
            "fold needs one of its own; pass cv=4 or less, or groups that split the rows finer",
        ),
    ],
)
def test_bad_groups_are_refused_before_any_fold(change: dict, error: type, message: str) -> None:
    arguments = {"text_col": "body", "target": "y", "cv": 2, **change}
    with pytest.raises(error, match="^" + re.escape(message) + "$"):
        evaluate_texts(_authors(n_authors=4), **arguments)


def test_a_text_without_a_group_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "reviews.csv"
    frame = _authors(n_authors=4)
    frame.loc[[2, 7], "author"] = None  # empty cells in the file
    frame.to_csv(source, index=False)
    with pytest.raises(
        DataError, match=r"^groups is missing for 2 of the 20 rows cross-validated: every row needs"
    ):
        evaluate_texts(source, text_col="body", target="y", cv=2, groups="author")


def test_a_folder_of_texts_has_no_column_to_group_by(tmp_path: Path) -> None:
    for label in ("pos", "neg"):
        (tmp_path / "texts" / label).mkdir(parents=True)
        for index in range(3):
            (tmp_path / "texts" / label / f"{index}.txt").write_text(
                f"{label} text {index}", encoding="utf-8"
            )
    with pytest.raises(
        ConfigError,
        match="^"
        + re.escape(
            f"groups needs a column to group the texts by, and the folder '{tmp_path / 'texts'}' has none: list the "
            "texts in a CSV with their label and group columns and pass text_col, target and groups with its column"
        )
        + "$",
    ):
        evaluate_texts(tmp_path / "texts", cv=2, groups="author")


def test_phrases_grouped_by_their_sentence_are_not_warned_of() -> None:
    # SST-2's shape: phrases cut from the same sentences. Folds at random put pieces of one sentence on both sides
    # (warned of, naming --groups); folds grouped by the sentence keep its pieces together (nothing to warn of).
    import warnings

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(400)]
    sentences = [" ".join(rng.choice(words, size=12)) for _ in range(30)]
    cuts = ((0, 12), (0, 9), (2, 7), (3, 5), (5, 4), (6, 3))
    frame = pd.DataFrame(
        [
            {"sentence": number, "text": " ".join(s.split()[start : start + n])}
            for number, s in enumerate(sentences)
            for start, n in cuts
        ]
    ).assign(label=lambda f: rng.choice(["a", "b"], size=len(f)))
    quick = {"target": "label", "cv": 3, "epochs": 1, "baselines": False}
    with pytest.warns(UserWarning, match=r"group the folds by a column the pieces share .* --groups COLUMN"):
        evaluate_texts(frame, **quick)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluate_texts(frame, **quick, groups="sentence")
    assert not [w for w in caught if "word for word inside a training text" in str(w.message)]
