"""Small labelled review tables for the text tests outside tests/text: one sentiment word in filler words."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

GOOD, BAD = ["great", "wonderful", "loved", "superb"], ["awful", "terrible", "boring", "dreadful"]
FILLER = ["the", "movie", "was", "and", "plot", "acting", "story", "this", "film", "with"]


def reviews(
    n: int, seed: int = 0, *, positive_every: int = 2, filler: int | None = 6, shuffle: bool = False
) -> pd.DataFrame:
    """``n`` rows of ``review`` (filler words + one sentiment word) and ``sentiment`` (``pos`` / ``neg``).

    Args:
        positive_every: 2: rows 0, 2, 4... are positive (balanced); 3: every row but 0, 3, 6... (two thirds).
        filler: filler words per review; ``None`` draws 1 to 29 per review (varied lengths).
        shuffle: put the sentiment word anywhere, not last.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for index in range(n):
        good = index % 2 == 0 if positive_every == 2 else index % positive_every != 0
        count = int(rng.integers(1, 30)) if filler is None else filler
        words = [*rng.choice(FILLER, count), rng.choice(GOOD if good else BAD)]
        if shuffle:
            rng.shuffle(words)
        rows.append((" ".join(map(str, words)), "pos" if good else "neg"))
    return pd.DataFrame(rows, columns=["review", "sentiment"])


NAMES = [f"name{i}" for i in range(40)]
ANIMALS = ["cat", "dog", "bird", "horse", "fox", "cow"]


def stories(n: int, seed: int = 0) -> list[str]:
    """``n`` short texts in a tiny grammar about one of 40 people, who stays the same for runs of 8 texts: a
    model that remembers the recent texts (the cache pointer) predicts the name better than one that does not."""
    rng = np.random.default_rng(seed)
    texts = []
    for index in range(n):
        if index % 8 == 0:
            name = rng.choice(NAMES)
        animal = rng.choice(ANIMALS)
        texts.append(
            f"{name} saw the {animal} . the {animal} ran to {name} . then {name} sat down with the {animal} ."
        )
    return texts


def imdb_layout(root: Path) -> Path:
    """Labelled reviews laid out as IMDB ships them: train/<label>/*.txt with an unlabelled train/unsup/, and
    test/<label>/*.txt beside it."""
    for split, frame in (("train", reviews(80)), ("test", reviews(20, seed=1))):
        for i, (text, label) in enumerate(zip(frame["review"], frame["sentiment"], strict=True)):
            (root / split / label).mkdir(parents=True, exist_ok=True)
            (root / split / label / f"{i}.txt").write_text(text, encoding="utf-8")
    (root / "train" / "unsup").mkdir()  # IMDB's unlabelled reviews: not a class
    (root / "train" / "unsup" / "0.txt").write_text("no label here", encoding="utf-8")
    # The files beside the class folders in aclImdb_v1.tar.gz: neither texts nor classes.
    (root / "train" / "labeledBow.feat").write_text("9 0:9 1:1 2:4\n", encoding="utf-8")
    (root / "train" / "urls_pos.txt").write_text(
        "http://www.imdb.com/title/tt0453418/usercomments\n", encoding="utf-8"
    )
    (root / "imdb.vocab").write_text("the\nand\n", encoding="utf-8")
    return root


def class_files_layout(folder: Path, frame: pd.DataFrame, name: str = "rt-polarity.{label}.gz") -> Path:
    """``frame``'s reviews laid out as rt-polarity ships them: one file per sentiment (``name`` with the label),
    one review a line ending in " \\n", gzipped when ``name`` ends in ``.gz``."""
    import gzip

    folder.mkdir(parents=True, exist_ok=True)
    for label, rows in frame.groupby("sentiment"):
        data = "".join(f"{review} \n" for review in rows["review"]).encode()
        path = folder / name.format(label=label)
        path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return folder


PAIR_WORDS = [
    "the",
    "cat",
    "sat",
    "on",
    "mat",
    "dog",
    "ran",
    "fast",
    "slow",
    "big",
    "red",
    "blue",
    "car",
    "house",
    "tree",
    "green",
    "old",
    "new",
    "man",
    "woman",
    "child",
    "ate",
]


def sentence_pairs(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` rows of ``sentence1``, ``sentence2`` and ``label``: ``same`` when the second sentence is the first's
    words shuffled with one changed, ``different`` when its words are drawn anew. Only what the two sides share
    tells the label: each side alone, or both read as one bag of words, is noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for index in range(n):
        first = list(rng.choice(PAIR_WORDS, 8))
        if index % 2 == 0:
            second = list(rng.permutation(first))
            second[int(rng.integers(8))] = str(rng.choice(PAIR_WORDS))
            label = "same"
        else:
            second, label = list(rng.choice(PAIR_WORDS, 8)), "different"
        rows.append((" ".join(first), " ".join(second), label))
    return pd.DataFrame(rows, columns=["sentence1", "sentence2", "label"])


def pair_model(out: Path, n: int = 1200) -> Path:
    """A text model of :func:`sentence_pairs` (``n`` rows) written to ``out``."""
    from trainwell.text import fit_texts

    fit_texts(sentence_pairs(n), text_col=["sentence1", "sentence2"], target="label", out=out, progress=False)
    return out
