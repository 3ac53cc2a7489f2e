"""Texts of two columns read as one example (a pair of sentences): the data, the recipe's field-by-field
encoding and the words both sides share, the predictor, ONNX and the report."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import trainwell
from text_samples import sentence_pairs
from trainwell.core.errors import ArtifactError, ConfigError, DataError
from trainwell.text import fit_texts, text_data
from trainwell.text.fields import FIELD_SEP, FLD_ID, field_parts, pair_features, text_columns
from trainwell.text.recipe import TextRecipe, rows_joined


@pytest.fixture(scope="module")
def pair_fit(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A pair model of :func:`sentence_pairs` (1,200 rows) written to a model directory, fitted once for the
    tests that read it: one validates its learner, the others load (or copy) its directory."""
    out = tmp_path_factory.mktemp("pairs") / "model"
    return fit_texts(
        sentence_pairs(1200), text_col=["sentence1", "sentence2"], target="label", out=out, progress=False
    )


@pytest.fixture(scope="module")
def pair_model(pair_fit: Any) -> Path:
    return Path(pair_fit.model_dir)


def test_text_columns_are_read_from_a_list_or_names_joined_by_commas() -> None:
    assert text_columns("review") == ["review"]
    assert text_columns("sentence1, sentence2") == ["sentence1", "sentence2"]
    assert text_columns(["premise", "hypothesis"]) == ["premise", "hypothesis"]
    assert text_columns("a,b", columns=["a,b", "c"]) == ["a,b"]  # a column of that whole name
    with pytest.raises(ConfigError, match="named twice"):
        text_columns("a,a")
    with pytest.raises(ConfigError, match="one or more column names"):
        text_columns("a,,b")


def test_rows_joined_puts_each_rows_parts_one_after_the_other() -> None:
    first = (np.array([1, 2, 3, 4, 5]), np.array([0, 2, 5]))
    second = (np.array([7, 8, 9]), np.array([0, 1, 3]))
    ids, offsets = rows_joined([first, second], sep_id=4)
    assert ids.tolist() == [1, 2, 4, 7, 3, 4, 5, 4, 8, 9] and offsets.tolist() == [0, 4, 10]
    ids, offsets = rows_joined([first, second])
    assert ids.tolist() == [1, 2, 7, 3, 4, 5, 8, 9] and offsets.tolist() == [0, 3, 8]


def _features(first: list[list[int]], second: list[list[int]]) -> list[set[int]]:
    """Each row's pair features of the sides ``first[i]`` and ``second[i]`` (token ids), as sets."""

    def flat(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        return np.array([i for row in rows for i in row], dtype=np.int64), np.cumsum([0, *map(len, rows)])

    ids, offsets = pair_features(flat(first), flat(second), n_tokens=300, n_buckets=1 << 16)
    assert (ids >= 300).all() and (ids < 300 + (1 << 16)).all()
    return [set(ids[offsets[i] : offsets[i + 1]].tolist()) for i in range(len(first))]


def test_pair_features_tell_shared_words_from_those_one_side_holds() -> None:
    a, b, c, d = 20, 21, 22, 200
    shared_a, a_first, a_second, shared_b = _features(
        [[2, a], [2, a], [2, c], [2, b]], [[2, a], [2, c], [2, a], [2, b]]
    )
    # "a" on both sides, on the first only, on the second only: three features of a; "b" shared another one
    assert shared_a - a_first - a_second - shared_b
    assert a_first - shared_a - a_second and a_second - shared_a - a_first
    (again,) = _features([[5, a, 7]], [[a, 2]])  # special tokens (ids below 9) are never words of a pair
    assert again == shared_a
    # word-blind: the more the sides share, the more "share in common" steps the bag holds, whatever the words
    alike, apart = _features([[a, b, c, d], [a, b, c, d]], [[a, b, c, d], [30, 31, 32, 33]])
    (other_words,) = _features([[40, 41, 42, 43]], [[40, 41, 42, 43]])
    blind = alike & other_words
    assert len(blind) >= 10 and not blind & apart


def test_text_data_joins_the_fields_and_the_recipe_reads_each_alone() -> None:
    frame = sentence_pairs(200)
    data = text_data(frame, "label", text_col="sentence1,sentence2", batch_format="padded", seed=0)
    recipe = data.recipe
    assert recipe.fields == ("sentence1", "sentence2") and recipe.input_columns == ["sentence1", "sentence2"]
    assert data.texts["train"][0].count(FIELD_SEP) == 1
    ids, _offsets = recipe.encode([f"the cat{FIELD_SEP}a dog"])
    tokens = [recipe.vocab[i] for i in ids.tolist()]
    # each field tokenised alone (its own xxbos), xxfld between them
    assert tokens[: tokens.index("xxfld")] == ["xxbos", "the", "cat"] and tokens.count("xxbos") == 2
    assert ids.tolist().count(FLD_ID) == 1
    assert TextRecipe.from_dict(recipe.to_dict()) == recipe
    old = recipe.to_dict()
    old.pop("fields")  # a recipe written before fields: one text column
    assert TextRecipe.from_dict(old).fields == ()
    with pytest.raises(DataError, match="reads as 1 field"):
        recipe.encode(["no separator here"])


def test_a_pair_model_reads_what_the_two_sides_share_which_one_bag_of_both_cannot(pair_fit: Any) -> None:
    frame = sentence_pairs(1200)
    pair = pair_fit  # fit_texts(frame, text_col=["sentence1", "sentence2"], target="label")
    both = frame.assign(both=frame["sentence1"] + " " + frame["sentence2"])
    one_bag = fit_texts(both, text_col="both", target="label", progress=False)
    pair_accuracy = pair.learn.validate()["accuracy"]
    bag_accuracy = one_bag.learn.validate()["accuracy"]
    assert pair_accuracy >= 0.95, pair_accuracy
    assert pair_accuracy - bag_accuracy >= 0.15, (pair_accuracy, bag_accuracy)


def test_an_empty_field_is_named_by_its_column_and_row() -> None:
    frame = sentence_pairs(40)
    frame.loc[5, "sentence2"] = "  "
    with pytest.raises(
        DataError, match=r"text column 'sentence2' in the DataFrame is empty in the row at index 5"
    ):
        text_data(frame, "label", text_col=["sentence1", "sentence2"])
    frame.loc[7, "sentence1"] = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = text_data(frame, "label", text_col=["sentence1", "sentence2"], drop_empty=True)
    assert sum(len(texts) for texts in data.texts.values()) == 38  # both rows dropped, each warned of
    assert sum("whose text column" in str(w.message) for w in caught) == 2


def test_a_field_holding_the_separator_word_is_refused_by_column() -> None:
    frame = sentence_pairs(40)
    frame.loc[3, "sentence1"] = "a xxfld b"
    with pytest.raises(DataError, match=r"text column 'sentence1' .* holds the word 'xxfld' \(data row 4\)"):
        text_data(frame, "label", text_col=["sentence1", "sentence2"])


def test_a_missing_text_column_is_named() -> None:
    with pytest.raises(DataError, match="sentence3"):
        text_data(sentence_pairs(40), "label", text_col=["sentence1", "sentence3"])


def test_the_predictor_takes_a_table_or_tuples_of_texts(pair_model: Path) -> None:
    predictor = trainwell.load(pair_model)
    frame = sentence_pairs(60, seed=5)
    from_table = predictor.predict(frame)
    assert (from_table["prediction"] == frame["label"]).mean() >= 0.9
    pairs = list(zip(frame["sentence1"], frame["sentence2"], strict=True))
    from_tuples = predictor.predict(pairs)
    assert np.allclose(from_tuples["probability_same"], from_table["probability_same"])
    one = predictor.predict(pairs[0])  # one tuple is one example
    assert len(one) == 1 and one["prediction"].iloc[0] == from_table["prediction"].iloc[0]
    with pytest.raises(DataError, match=r"reads 2 texts an example \(sentence1, sentence2\)"):
        predictor.predict("a lone sentence")
    with pytest.raises(DataError, match=r"example 1 is .*not 2 texts"):
        predictor.predict([pairs[0], ("only one",)])
    with pytest.raises(DataError, match="example 0's sentence2 is ''"):
        predictor.predict([("a sentence", "")])
    with pytest.raises(DataError, match="text column 'sentence2' not found"):
        predictor.predict(frame[["sentence1"]])
    blank = frame.head(3).copy()
    blank.loc[1, "sentence2"] = None
    with pytest.raises(DataError, match="text column 'sentence2' is empty in data row 2"):
        predictor.predict(blank)


def test_onnx_gives_the_pytorch_answers_for_pairs(pair_model: Path, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime", reason="the ONNX check needs the onnx extra")
    import shutil

    from trainwell.export.onnx import export_onnx
    from trainwell.export.onnx_predictor import OnnxPredictor

    copy = tmp_path / "model"
    shutil.copytree(pair_model, copy)
    export_onnx(copy)  # checked against PyTorch on pairs synthesised from the recipe
    frame = sentence_pairs(30, seed=9)
    expected = trainwell.load(copy).predict(frame)["probability_same"].to_numpy()
    got = OnnxPredictor(copy).predict(frame)["probability_same"].to_numpy()
    assert np.abs(expected - got).max() < 1e-4


def test_the_report_shows_both_sides_of_a_pair(pair_model: Path, tmp_path: Path) -> None:
    from trainwell.report import build_report

    data = tmp_path / "held_out.csv"
    sentence_pairs(80, seed=11).to_csv(data, index=False)
    page = build_report(pair_model, data, tmp_path / "report.html").read_text(encoding="utf-8")
    assert (
        "from &#x27;sentence1&#x27; and &#x27;sentence2&#x27;" in page
        or "from 'sentence1' and 'sentence2'" in page
    )
    assert " ‖ " in page  # the top losses show each pair's two sides


def test_field_parts_cuts_joined_texts_field_by_field() -> None:
    assert field_parts([f"a{FIELD_SEP}b", f"c{FIELD_SEP}d"], 2) == [["a", "c"], ["b", "d"]]


def test_a_recipe_of_one_field_is_refused() -> None:
    recipe = text_data(sentence_pairs(40), "label", text_col="sentence1").recipe
    broken = {**recipe.to_dict(), "fields": ["sentence1"]}
    with pytest.raises((ConfigError, ArtifactError), match="two or more column names"):
        TextRecipe.from_dict(broken)


def test_a_pair_model_reads_whether_two_sides_agree_which_shared_words_cannot_tell() -> None:
    # "Do these two reviews agree?": each side's sentiment word differs from the other's as often as not
    # (great / superb), so what both share says little; the sides' product does. Before the sides were pooled
    # apart (InferSent's [w, u * v, |u - v|]), the pair model scored 0.57 here.
    from text_samples import reviews

    first = reviews(2000, 0, shuffle=True, filler=None)
    second = reviews(2000, 1, shuffle=True, filler=None).sample(frac=1, random_state=1).reset_index(drop=True)
    frame = pd.DataFrame(
        {
            "first": first["review"],
            "second": second["review"],
            "label": np.where(first["sentiment"] == second["sentiment"], "agree", "differ"),
        }
    )
    run = fit_texts(frame, text_col=["first", "second"], target="label", progress=False)
    assert run.learn.model.pairs
    assert run.learn.validate()["accuracy"] >= 0.95


def test_a_short_text_column_naming_the_label_is_warned_of() -> None:
    # --text text,file: the file path (train/pos/12_9.txt) named the label; ROC AUC 1.0 in one epoch and no word,
    # where the same column in a table is warned of.
    rng = np.random.default_rng(0)
    labels = rng.choice(["pos", "neg"], 120)
    frame = pd.DataFrame(
        {
            "text": [
                f"a film of {rng.integers(1000)} minutes that I {w}"
                for w in rng.choice(["saw", "liked"], 120)
            ],
            "file": [f"train/{label}/{i}_7.txt" for i, label in enumerate(labels)],
            "label": labels,
        }
    )
    with pytest.warns(
        UserWarning, match=r"text column 'file' holds the word '(neg|pos)' on exactly the training rows"
    ):
        text_data(frame, "label", text_col=["text", "file"], seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a short column that names nothing is not warned of
        text_data(
            frame.assign(file=[f"part_{i % 7}" for i in range(120)]),
            "label",
            text_col=["text", "file"],
            seed=0,
        )
