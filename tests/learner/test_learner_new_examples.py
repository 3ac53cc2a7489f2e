"""``learn.validate(examples)`` and ``learn.get_preds(examples)`` on new examples: a table's rows, a text
classifier's texts, images; read with the Learner's fitted recipe (never fitted again), in the order given,
scored as scikit-learn scores ``learn.predict``'s answers on the same rows."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score

import trainwell
from trainwell.core.errors import ConfigError, DataError
from trainwell.data import tensor_data
from trainwell.learner import Learner
from trainwell.tabular import tabular_data


@pytest.fixture(scope="module")
def adult() -> tuple[Learner, pd.DataFrame]:
    """A table's Learner fitted on 3,000 rows of Adult, and 1,000 rows it never saw."""
    df = trainwell.datasets.adult_sample()
    train, new = df.iloc[:3000], df.iloc[3000:].reset_index(drop=True)
    run = trainwell.fit_table(train, target="income", seed=0, progress=False, epochs=2)
    return run.learn, new


def test_validate_a_dataframe_scores_as_scikit_learn_scores_predict_on_the_same_rows(adult) -> None:
    learn, new = adult
    scores = learn.validate(new)
    answers = learn.predict(new)
    truth = (new["income"] == ">50K").astype(int).to_numpy()
    probability = answers["probability_>50K"].to_numpy()
    assert scores["accuracy"] == pytest.approx(accuracy_score(truth, probability > 0.5))
    assert scores["f1"] == pytest.approx(f1_score(truth, probability > 0.5))
    assert scores["roc_auc"] == pytest.approx(roc_auc_score(truth, probability), abs=1e-6)
    assert scores["loss"] == pytest.approx(log_loss(truth, probability), abs=1e-5)
    # The documented long way round gives the same figures.
    workaround = tabular_data(new, "income", like=learn.data, valid_pct=0).train
    assert learn.validate(workaround) == pytest.approx(scores, abs=1e-6)


def test_get_preds_keeps_the_rows_in_the_order_given(adult) -> None:
    learn, new = adult
    reversed_rows = new.iloc[::-1]
    predictions, targets = learn.get_preds(reversed_rows)
    answers = learn.predict(reversed_rows)
    assert predictions.shape == (len(new),)
    np.testing.assert_allclose(predictions.numpy(), answers["probability_>50K"].to_numpy(), atol=1e-6)
    assert targets is not None
    np.testing.assert_array_equal(targets.numpy(), (reversed_rows["income"] == ">50K").to_numpy())
    forward, _ = learn.get_preds(new)
    np.testing.assert_allclose(forward.numpy()[::-1], predictions.numpy(), atol=1e-6)


def test_the_recipe_is_the_learners_own_and_is_not_fitted_again(adult) -> None:
    learn, new = adult
    before = learn.data.recipe.to_dict()
    # Rows of one category and numbers far from the training ones: a recipe fitted on them would code and
    # scale them otherwise, and the model would score differently.
    odd = new[new["education"] == "Bachelors"].assign(age=new["age"] + 40)
    scores = learn.validate(odd)
    assert learn.data.recipe.to_dict() == before
    truth = (odd["income"] == ">50K").astype(int).to_numpy()
    probability = learn.predict(odd)["probability_>50K"].to_numpy()
    assert scores["accuracy"] == pytest.approx(accuracy_score(truth, probability > 0.5))


def test_rows_without_a_target_get_predictions_but_no_targets(adult) -> None:
    learn, new = adult
    predictions, targets = learn.get_preds(new.drop(columns="income"))
    assert targets is None
    assert len(predictions) == len(new)
    with pytest.raises(DataError, match=r"holds no target column 'income'.*learn\.get_preds"):
        learn.validate(new.drop(columns="income"))


def test_rows_missing_their_target_are_left_out_with_a_warning(adult) -> None:
    learn, new = adult
    holed = new.copy()
    holed.loc[[3, 10, 11], "income"] = None
    with pytest.warns(UserWarning, match="missing in 3 of 1,000 rows"):
        scores = learn.validate(holed)
    kept = holed.drop(index=[3, 10, 11])
    assert scores == pytest.approx(learn.validate(kept), abs=1e-6)
    with pytest.warns(UserWarning, match="missing in 3 of 1,000 rows"):
        predictions, targets = learn.get_preds(holed)
    assert targets is not None and len(predictions) == len(targets) == len(kept)
    every, none = learn.get_preds(holed, with_targets=False)  # every row, in order
    assert none is None and len(every) == len(holed)


def test_a_table_file_is_read_as_its_dataframe(adult, tmp_path: Path) -> None:
    learn, new = adult
    path = tmp_path / "new.csv"
    new.to_csv(path, index=False)
    assert learn.validate(path) == pytest.approx(learn.validate(new), abs=1e-5)
    assert learn.validate(str(path)) == pytest.approx(learn.validate(new), abs=1e-5)


def test_an_unknown_label_is_refused_naming_the_table(adult) -> None:
    learn, new = adult
    with pytest.raises(DataError, match=r"learn\.validate: the DataFrame"):
        learn.validate(new.assign(income="maybe"))


@pytest.mark.parametrize(
    ("thing", "said"),
    [
        (3, "got an object of type int"),
        (np.zeros((4, 3)), "got a ndarray"),
        ({"x": [1, 2]}, "got an object of type dict"),
    ],
)
def test_what_is_no_loader_is_refused_in_one_line(adult, thing, said) -> None:
    learn, _ = adult
    with pytest.raises(ConfigError, match=said) as caught:
        learn.validate(thing)
    assert "\n" not in str(caught.value)


def test_a_databundle_is_refused_naming_its_loaders(adult) -> None:
    learn, _ = adult
    with pytest.raises(
        ConfigError, match=r"a DataBundle, which holds several loaders: pass one, data\.valid"
    ):
        learn.get_preds(learn.data)


def test_a_learner_on_tensors_refuses_a_dataframe_and_says_what_it_reads() -> None:
    data = tensor_data(torch.randn(64, 3), torch.randn(64), valid_pct=0.25)
    learn = Learner(torch.nn.Linear(3, 1), data, progress=False)
    with pytest.raises(ConfigError, match="this one's data is 'generic': pass a loader"):
        learn.validate(pd.DataFrame({"a": [1.0]}))
    assert set(learn.validate(data.valid)) >= {"loss"}  # a loader is read as before


def _reviews(n_rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    good, bad = ["great", "fine", "lovely", "superb", "good"], ["awful", "poor", "bad", "dull", "boring"]
    filler = ["the", "film", "was", "a", "plot", "and", "it"]
    rows = []
    for i in range(n_rows):
        label = int(rng.random() < 0.5) if i >= 2 else i
        words = [*rng.choice(good if label else bad, 2), *rng.choice(good + bad, 1), *rng.choice(filler, 4)]
        rows.append({"review": " ".join(rng.permutation(words)), "sentiment": ["neg", "pos"][label]})
    return pd.DataFrame(rows)


def test_a_text_classifier_validates_a_table_of_new_texts_in_order() -> None:
    run = trainwell.fit_texts(
        _reviews(240, 0), text_col="review", target="sentiment", epochs=2, progress=False
    )
    learn, new = run.learn, _reviews(120, 1).iloc[::-1]
    vocabulary = learn.data.recipe.to_dict()
    scores = learn.validate(new)
    probability = learn.predict(new)["probability_pos"].to_numpy()
    truth = (new["sentiment"] == "pos").astype(int).to_numpy()
    assert scores["accuracy"] == pytest.approx(accuracy_score(truth, probability > 0.5))
    assert scores["roc_auc"] == pytest.approx(roc_auc_score(truth, probability), abs=1e-6)
    predictions, targets = learn.get_preds(new)
    np.testing.assert_allclose(predictions.numpy(), probability, atol=1e-6)
    assert targets is not None and targets.tolist() == truth.tolist()
    assert learn.get_preds(new.drop(columns="sentiment"))[1] is None
    assert learn.data.recipe.to_dict() == vocabulary  # never built again
    with pytest.raises(DataError, match="holds no label column 'sentiment'"):
        learn.validate(new[["review"]])


def _images(root: Path, per_class: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    for label, base in (("dark", 50), ("light", 200)):
        folder = root / label
        folder.mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(base - 45, base + 45, (16, 16, 3)).astype(np.uint8)
            Image.fromarray(pixels).save(folder / f"{i}.png")
    return root


def test_an_image_learner_validates_a_folder_and_predicts_a_list_of_paths_in_order(tmp_path: Path) -> None:
    train = _images(tmp_path / "train", 30, 0)
    new = _images(tmp_path / "new", 12, 1)
    learn = trainwell.fit_images(train, epochs=1, progress=False, seed=0).learn
    paths = sorted(new.rglob("*.png"), key=lambda path: (path.stem, path.parent.name))  # classes interleaved
    probability = learn.predict([str(path) for path in paths])["probability_light"].to_numpy()
    predictions, targets = learn.get_preds(paths)
    assert targets is None
    np.testing.assert_allclose(predictions.numpy(), probability, atol=1e-5)
    scores = learn.validate(new)
    ordered = sorted(new.rglob("*.png"))  # the folder is read class by class, as image_data reads it
    truth = np.array([path.parent.name == "light" for path in ordered], dtype=int)
    folder_probability = learn.predict([str(path) for path in ordered])["probability_light"].to_numpy()
    assert scores["accuracy"] == pytest.approx(accuracy_score(truth, folder_probability > 0.5))
    # The image Learner's loss is cross-entropy with label smoothing 0.1 (its default), over two classes.
    both = np.stack([1 - folder_probability, folder_probability], axis=1)
    smoothed = 0.9 * -np.log(both[np.arange(len(truth)), truth]) + 0.1 * -np.log(both).mean(axis=1)
    assert scores["loss"] == pytest.approx(smoothed.mean(), abs=1e-4)
    with pytest.raises(DataError, match="a list of image paths holds no labels"):
        learn.validate(paths)


def test_validating_new_rows_never_warns(adult) -> None:
    learn, new = adult
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        learn.validate(new)


def test_loader_for_reads_once_for_many_passes_and_a_loader_without_targets_is_not_scored(adult) -> None:
    learn, new = adult
    loader = learn.loader_for(new)
    assert learn.validate(loader) == pytest.approx(learn.validate(new), abs=1e-6)
    unlabelled = learn.loader_for(new.drop(columns="income"), with_targets=False)
    predictions, targets = learn.get_preds(unlabelled)
    assert targets is None and len(predictions) == len(new)
    with pytest.raises(ConfigError, match="this loader was read without them"):
        learn.validate(unlabelled)


def test_boosted_trees_on_a_table_read_new_rows_too() -> None:
    df = trainwell.datasets.adult_sample()
    train, new = df.iloc[:2000], df.iloc[3000:3500]
    learn = trainwell.tabular_learner(tabular_data(train, "income", seed=0), arch="gbdt", progress=False)
    scores = learn.validate(new)
    truth = (new["income"] == ">50K").astype(int).to_numpy()
    probability = learn.predict(new)["probability_>50K"].to_numpy()
    assert scores["accuracy"] == pytest.approx(accuracy_score(truth, probability > 0.5))
    assert scores["roc_auc"] == pytest.approx(roc_auc_score(truth, probability), abs=1e-6)
