"""Text columns of a table with a value of its own in every row (Titanic's Name, a description) are read as the
words that tell of the target, chosen on the training rows: the recipe keeps them, the model learns from them,
and predict, serve and ONNX read them alike; a table of texts and labels alone is still a text model's."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trainwell
from trainwell.tabular.recipe import NoInputColumns, TabularRecipe
from trainwell.tabular.words import telling_words, word_flags, words_of

TITLES = ["Mr", "Mrs", "Miss", "Master"]


def passengers(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """Names like Titanic's ("Braund, Mr. Owen Harris"), each of its own; whether a passenger survived follows
    the title (women: Mrs, Miss), with 5% of labels flipped, and a number that tells nothing."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    title = rng.choice(TITLES, size=n)
    names = [
        f"{''.join(rng.choice(letters, 7)).title()}, {t}. {''.join(rng.choice(letters, 5)).title()}"
        for t in title
    ]
    survived = np.isin(title, ["Mrs", "Miss"]) ^ (rng.random(n) < 0.05)
    return pd.DataFrame({"Name": names, "fare": rng.normal(30, 10, n), "Survived": survived.astype(int)})


def _recipe(frame: pd.DataFrame, **kwargs: object) -> TabularRecipe:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return TabularRecipe.fit(frame, target="Survived", **kwargs)  # type: ignore[arg-type]


def test_the_words_that_tell_of_the_target_are_chosen_and_chance_ones_are_not() -> None:
    frame = passengers()
    assert words_of("Braund, Mr. Owen Harris") == {"braund", "mr", "owen", "harris"}
    chosen = telling_words(frame["Name"], frame[["Survived"]])
    assert set(chosen) >= {"mr", "mrs", "miss"} and len(chosen) <= 4  # the made-up names repeat no word
    # A number to predict is scored as a number: the title sets the fare here.
    fares = frame.assign(
        fare=frame["Name"].str.contains("Mrs").astype(float) * 50 + np.arange(len(frame)) % 7
    )
    assert telling_words(fares["Name"], fares[["fare"]])[0] == "mrs"
    # Words no row holds often enough (the parts of an ID) are none.
    codes = pd.Series([f"AX-{i:05d}-Q{i % 3}Z" for i in range(300)])
    assert telling_words(codes, pd.DataFrame({"y": np.arange(300) % 2})) == []
    assert word_flags(pd.Series(["Mr. Smith", None, "Mrs. Mr"]), ["mr", "mrs"]).tolist() == [
        [1.0, 0.0],
        [0.0, 0.0],
        [1.0, 1.0],
    ]


def test_the_recipe_reads_the_words_says_so_and_round_trips() -> None:
    frame = passengers()
    with pytest.warns(
        UserWarning, match=r"column 'Name' is read as words, not categories \(a different value in "
    ):
        recipe = TabularRecipe.fit(frame, target="Survived")
    assert "Name" in recipe.words and "Name" not in recipe.dropped and "Name" in recipe.columns
    assert set(recipe.words["Name"]) >= {"mr", "mrs", "miss"}
    assert recipe.cont_input_names == ["fare", *(f"Name[{word}]" for word in recipe.words["Name"])]
    _, continuous = recipe.transform(frame.head(3))
    flags = (continuous[:, 1:].numpy() > 0).astype(int)
    expected = [[word in words_of(name) for word in recipe.words["Name"]] for name in frame["Name"].head(3)]
    assert flags.tolist() == np.array(expected, dtype=int).tolist()
    # A row without the column (allowed) or with no name holds no word: every flag at its "absent" value.
    _, absent = recipe.transform(frame.head(2).drop(columns="Name"), allow_missing_columns=True)
    _, none = recipe.transform(frame.head(2).assign(Name=None))
    assert np.allclose(absent.numpy(), none.numpy())
    again = TabularRecipe.from_dict(json.loads(json.dumps(recipe.to_dict())))
    assert again == recipe and "text Name: read as the words" in recipe.describe()
    old = {key: value for key, value in recipe.to_dict().items() if key != "words"}  # a recipe of before
    assert TabularRecipe.from_dict(old).words == {}


def test_texts_and_labels_alone_are_still_for_a_text_model_and_asked_for_columns_are_kept() -> None:
    frame = passengers()
    with pytest.raises(NoInputColumns, match="no input columns left in the training data besides the target"):
        _recipe(frame.drop(columns="fare"))
    reviews = frame.assign(
        Name=[f"{name} wrote that the film was {i}" for i, name in enumerate(frame["Name"])]
    )
    with pytest.raises(NoInputColumns) as caught:  # free text and labels: `trainwell fit` trains a text model
        _recipe(reviews.drop(columns="fare"))
    assert caught.value.free_text == ["Name"]
    assert "Name" not in _recipe(frame, ignore=["Name"]).words
    assert _recipe(frame, cat_names=["Name"]).words == {}  # named a category: read as one
    clash = frame.assign(**{"Name[mr]": 1.0})
    with pytest.raises(
        Exception, match=r"read as words named Name\[<word>\], but Name\[mr\] is already a column"
    ):
        _recipe(clash)


@pytest.mark.parametrize("arch", ["gbdt", "mlp"])
def test_a_model_learns_from_the_words_and_predicts_exports_and_serves_them(
    tmp_path: Path, arch: str
) -> None:
    frame = passengers(800)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = trainwell.fit_table(frame, "Survived", arch=arch, out=tmp_path / "m", progress=False, seed=0)
        blind = trainwell.fit_table(frame, "Survived", arch=arch, ignore=["Name"], progress=False, seed=0)
    assert run.metrics["accuracy"] >= 0.88, run.metrics  # the title decides, but for the flipped 5%
    assert blind.metrics["accuracy"] <= 0.7, blind.metrics  # the fare alone tells nothing
    predictor = trainwell.load(tmp_path / "m")
    rows = pd.DataFrame({"Name": ["Smith, Mrs. Anne", "Jones, Mr. Bob"], "fare": [30.0, 30.0]})
    assert predictor.predict(rows)["prediction"].tolist() == [1, 0]
    from trainwell.export.onnx import export_onnx

    assert export_onnx(tmp_path / "m").max_abs_diff <= 1e-4  # on rows synthesised with the words read
    from trainwell.serve.schema import input_specs, request_model

    spec = next(spec for spec in input_specs(predictor.recipe) if spec.name == "Name")
    assert spec.kind == "text" and set(spec.values) == set(predictor.recipe.words["Name"])
    body = request_model(predictor.recipe, max_rows=5, forbid_extra_fields=True)
    assert body.model_validate({"rows": [{"Name": "Smith, Mrs. Anne", "fare": 3.0}]}).rows[0]["Name"]
    with pytest.raises(ValueError, match="string"):
        body.model_validate({"rows": [{"Name": 3, "fare": 3.0}]})


def test_a_word_that_alone_decides_the_class_is_warned_of_as_a_leak() -> None:
    # IMDB's CSV: beside each review, its file path, train/pos/1649_8.txt: read as words, 'pos' is the answer.
    frame = passengers(400)
    labels = frame["Survived"].map({0: "neg", 1: "pos"})
    frame = frame.assign(file=[f"train/{label}/{i}_7.txt" for i, label in enumerate(labels)], Survived=labels)
    from trainwell.tabular import tabular_data

    with pytest.warns(UserWarning) as caught:
        tabular_data(frame.drop(columns="Name"), "Survived")
    said = [str(item.message) for item in caught if "holds the word" in str(item.message)]
    assert len(said) == 1 and said[0].startswith("column 'file' holds the word '")
    assert (
        "on exactly the rows whose Survived is '" in said[0]
        or "on every row but those whose Survived" in said[0]
    )
    assert said[0].endswith("drop it with --ignore file (Python: ignore=['file'])")
    with warnings.catch_warnings(record=True) as quiet:
        warnings.simplefilter("always")
        tabular_data(passengers(), "Survived")  # titles tell, but none decides: no leak
    assert not [item for item in quiet if "holds the word" in str(item.message)]
