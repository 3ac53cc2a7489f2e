"""Pretrained word vectors for taggers: the file formats, the vocabulary they extend, the embedding rows they
start, and what they are for: tagging words never seen in training by what their vectors say."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import numpy as np
import pytest
import torch

from trainwell.core.errors import ConfigError, DataError
from trainwell.text import tagging_data, tagging_learner
from trainwell.text.tagging.vectors import read_word_vectors

SMALL = {"char_dim": 4, "char_filters": 4, "casing_dim": 2, "hidden": 16, "dropout": 0.1}


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_formats_keys_and_limits(tmp_path: Path) -> None:
    plain = _write(tmp_path / "v.txt", ["The 1 2", "the 9 9", "1996 3 4", "paris 5 6"])
    words, vectors = read_word_vectors(plain)
    assert words == ["the", "0000", "paris"]  # keyed like the vocabulary; the first "the" wins
    assert vectors.dtype == np.float32 and vectors.tolist() == [[1, 2], [3, 4], [5, 6]]
    fasttext = _write(tmp_path / "v.vec", ["3 2", "a 1 2", "b 3 4", "c 5 6"])
    assert read_word_vectors(fasttext, max_words=2)[0] == ["a", "b"]
    with gzip.open(tmp_path / "v.txt.gz", "wt", encoding="utf-8") as stream:
        stream.write("x 0.5 0.25\n")
    assert read_word_vectors(tmp_path / "v.txt.gz")[1].tolist() == [[0.5, 0.25]]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["a 1 2", "b 1"], r"line 2: 1 numbers where the first vector had 2"),
        (["a 1 x"], r"line 1: expected a word then numbers"),
        ([""], "holds no vectors"),
    ],
)
def test_bad_files_name_the_line(tmp_path: Path, lines: list[str], message: str) -> None:
    with pytest.raises(DataError, match=message):
        read_word_vectors(_write(tmp_path / "v.txt", lines))
    with pytest.raises(DataError, match="not found"):
        read_word_vectors(tmp_path / "missing.txt")


def _names(rng: random.Random, n: int) -> list[str]:
    letters = "bcdfghjklmnpqrstvwxz"
    return ["".join(rng.choice(letters) for _ in range(6)).capitalize() for _ in range(n)]


def _corpus(tmp_path: Path, seed: int = 0):
    """'I met X .' where X is a person or a place: nothing but the word itself tells which. Test names never
    occur in training; their vectors sit with their type's training names."""
    rng = random.Random(seed)
    people, places = _names(rng, 40), _names(rng, 40)
    train_people, test_people, train_places, test_places = people[:20], people[20:], places[:20], places[20:]
    generator = np.random.default_rng(seed)
    lines = []
    for names, direction in ((people, 0), (places, 1)):
        for name in names:
            vector = 0.1 * generator.standard_normal(8)
            vector[direction] += 1.0
            lines.append(name + " " + " ".join(f"{v:.4f}" for v in vector))
    lines += ["i " + " ".join(["0.0"] * 8), "met " + " ".join(["0.0"] * 8), ". " + " ".join(["0.0"] * 8)]
    vectors = _write(tmp_path / "vectors.txt", lines)

    def sentences(
        people_names: list[str], place_names: list[str], n: int
    ) -> list[tuple[list[str], list[str]]]:
        out = []
        for _ in range(n):
            kind, pool = rng.choice((("PER", people_names), ("LOC", place_names)))
            out.append((["I", "met", rng.choice(pool), "."], ["O", "O", f"B-{kind}", "O"]))
        return out

    return vectors, sentences(train_people, train_places, 300), sentences(test_people, test_places, 100)


def test_vectors_extend_the_vocabulary_and_start_the_embedding(tmp_path: Path) -> None:
    vectors, train, valid = _corpus(tmp_path)
    data = tagging_data(train, valid=valid, embeddings=vectors)
    unseen = valid[0][0][2].lower()
    assert unseen in data.recipe.word_vocab.stoi  # a name only the vectors know
    learn = tagging_learner(data, arch_config=SMALL, progress=False)
    words, expected = read_word_vectors(vectors)
    row = data.recipe.word_vocab.stoi[unseen]
    assert learn.model.word_embedding.weight.shape[1] == 8
    assert torch.allclose(
        learn.model.word_embedding.weight[row], torch.from_numpy(expected[words.index(unseen)])
    )
    assert data.recipe.extra["embeddings"] == {"file": "vectors.txt", "words": 83, "dim": 8}
    with pytest.raises(ConfigError, match="word_dim=16 but the pretrained vectors have 8"):
        tagging_learner(data, arch_config={**SMALL, "word_dim": 16}, progress=False)


def test_vectors_tag_names_never_seen_in_training(tmp_path: Path) -> None:
    vectors, train, valid = _corpus(tmp_path)
    scores = {}
    for name, extra in (("with", {"embeddings": vectors}), ("without", {})):
        torch.manual_seed(0)
        data = tagging_data(train, valid=valid, rare_word_dropout=0.0, **extra)
        learn = tagging_learner(
            data, arch_config={**SMALL, **({} if extra else {"word_dim": 8})}, progress=False, lr=1e-2
        )
        learn.fit_one_cycle(8)
        scores[name] = learn.history[-1]["entity_f1"]
    assert scores["with"] > 0.9
    assert scores["with"] > scores["without"] + 0.2, scores
