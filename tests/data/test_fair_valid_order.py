"""A class-sorted file's validation rows are read in a fair order: a budget's capped pass reads the first batches,
which in the file's order were one class (IMDB's CSV: 12,500 'neg' then 12,500 'pos'; a first batch of 128 'neg').
A whole pass scores the same rows, each prediction names its own row, and rows placed by ``splits=`` keep the
order given."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trainwell
from trainwell.data.fair_order import fair_order, in_fair_order
from trainwell.tabular.data import tabular_data
from trainwell.text.data import text_data
from trainwell.vision._order import fair_order as vision_fair_order


def _reviews(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Reviews sorted by class, as IMDB's CSV is: every 'neg' row, then every 'pos' one."""
    rng = np.random.default_rng(seed)
    words = {"neg": ["awful", "dull", "bad", "poor"], "pos": ["great", "lovely", "fine", "superb"]}
    labels = ["neg"] * (n // 2) + ["pos"] * (n - n // 2)
    texts = [
        f"review {i}: a {rng.choice(words[label])} {rng.choice(['film', 'story', 'cast'])} about "
        f"{rng.choice(['cats', 'ships', 'rain', 'kings'])} number {i}"
        for i, label in enumerate(labels)
    ]
    return pd.DataFrame({"text": texts, "label": labels})


def _table(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """A table sorted by its class column: 'no' rows first."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    frame = pd.DataFrame({
        "ticket": [f"T{i:04d}" for i in range(n)],
        "x": x,
        "z": rng.normal(size=n),
        "y": np.where(x + rng.normal(0, 0.5, n) > 0, "yes", "no"),
    })  # fmt: skip
    return frame.sort_values("y", kind="stable").reset_index(drop=True)


def _first_batch_labels(loader, classes: list[str]) -> Counter[str]:  # type: ignore[no-untyped-def]
    batch = next(iter(loader))
    targets = batch[-1].reshape(-1).long().tolist()
    return Counter(classes[t] for t in targets)


def test_the_order_is_shared_and_images_use_the_same() -> None:
    assert vision_fair_order is fair_order
    rows = np.array([10, 11, 12, 13, 20, 21, 22, 23])
    labels = ["a"] * 20 + ["b"] * 10
    ordered = in_fair_order(rows, labels, seed=0)
    assert sorted(ordered.tolist()) == rows.tolist()
    assert sorted(labels[i] for i in ordered[:2]) == ["a", "b"]  # rows 10-13 are 'a', 20-23 'b'
    shuffled = in_fair_order(rows, None, seed=0)  # numbers or label sets: a seeded shuffle
    assert sorted(shuffled.tolist()) == rows.tolist() and shuffled.tolist() != rows.tolist()
    assert in_fair_order(rows, None, seed=0).tolist() == shuffled.tolist()


def test_a_class_sorted_csv_of_texts_validates_both_classes_from_the_first_batch(tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    _reviews(2000).to_csv(path, index=False)
    data = text_data(path, "label", valid_pct=0.2, batch_size=32, seed=0)
    classes = list(data.task.classes)
    first = _first_batch_labels(data.valid, classes)
    # Before: 128 'neg' and no 'pos' (the drawn rows in the file's order).
    assert sum(first.values()) == 128
    assert 54 <= first["neg"] <= 74 and 54 <= first["pos"] <= 74, first
    # Each validation text is still beside its own label.
    frame = pd.read_csv(path)
    label_of = dict(zip(frame["text"], frame["label"], strict=True))
    texts = data.texts["valid"]  # type: ignore[index]
    targets = data.valid.targets.reshape(-1).long().tolist()  # type: ignore[union-attr]
    assert [label_of[t] for t in texts] == [classes[t] for t in targets]


def test_a_text_models_whole_pass_scores_the_same_as_in_the_files_order() -> None:
    frame = _reviews(400)
    data = text_data(frame, "label", valid_pct=0.25, seed=0)
    trainwell.seed_everything(0)
    learn = trainwell.text_classifier_learner(data, progress=False)
    learn.fit_one_cycle(2, 5e-2)
    fair = learn.validate()
    # The same rows, placed by position: splits= keeps the order given, here the file's.
    valid_rows = sorted(frame.index[frame["text"].isin(data.texts["valid"])].tolist())  # type: ignore[index]
    train_rows = sorted(set(range(len(frame))) - set(valid_rows))
    vocab = data.recipe.vocab  # type: ignore[union-attr]
    in_files_order = text_data(frame, "label", splits=(train_rows, valid_rows), seed=0, vocab=vocab)
    assert in_files_order.texts["valid"] == frame["text"].iloc[valid_rows].tolist()  # type: ignore[index]
    assert in_files_order.texts["valid"] != data.texts["valid"]  # type: ignore[index]
    assert sorted(in_files_order.texts["valid"]) == sorted(data.texts["valid"])  # type: ignore[index]
    again = learn.validate(in_files_order.valid)
    for name in ("loss", "accuracy"):
        assert again[name] == pytest.approx(fair[name], abs=1e-5), name


def test_a_class_sorted_table_validates_both_classes_and_names_each_row() -> None:
    frame = _table()
    data = tabular_data(frame, "y", valid_pct=0.25, seed=0, batch_size=64)
    classes = list(data.task.classes)
    valid_index = data.valid_index
    assert valid_index is not None and sorted(valid_index.tolist()) != valid_index.tolist()
    loader_targets = data.valid.tensors[-1].reshape(-1).long().tolist()  # type: ignore[union-attr]
    # Row i of the loader is df.iloc[data.valid_index[i]], and the rows kept beside top losses follow it.
    assert [classes[t] for t in loader_targets] == frame["y"].iloc[valid_index].tolist()
    assert data.rows["valid"]["ticket"].tolist() == frame["ticket"].iloc[valid_index].tolist()  # type: ignore[index]
    shares = Counter(frame["y"].iloc[valid_index])
    head = Counter(frame["y"].iloc[valid_index[:40]])
    for label in ("yes", "no"):
        assert abs(head[label] - 40 * shares[label] / len(valid_index)) <= 2, head
    # A marked validation set is put in the same kind of order; splits= keep the order given.
    frame["split"] = np.where(np.arange(len(frame)) % 4 == 0, "valid", "train")
    marked = tabular_data(frame, "y", valid_col="split", seed=0)
    assert marked.valid_index is not None
    assert sorted(marked.valid_index.tolist()) == np.flatnonzero(frame["split"] == "valid").tolist()
    assert Counter(frame["y"].iloc[marked.valid_index[:20]]).keys() == {"yes", "no"}
    given = [5, 3, 400, 1, 2, 450]
    placed = tabular_data(
        frame.drop(columns="split"), "y", splits=([i for i in range(600) if i not in given], given)
    )
    assert placed.valid_index is not None and placed.valid_index.tolist() == given


def test_a_tables_whole_pass_and_predictions_match_its_rows() -> None:
    frame = _table()
    data = tabular_data(frame, "y", valid_pct=0.25, seed=0)
    trainwell.seed_everything(0)
    learn = trainwell.tabular_learner(data, progress=False)
    learn.fit_one_cycle(2)
    fair = learn.validate()
    valid_index = data.valid_index
    assert valid_index is not None
    in_files_order = tabular_data(frame, "y", like=data, splits=(data.train_index, np.sort(valid_index)))  # type: ignore[arg-type]
    again = learn.validate(in_files_order.valid)
    for name in ("loss", "accuracy"):
        assert again[name] == pytest.approx(fair[name], abs=1e-5), name
    # get_preds' row i is the row df.iloc[valid_index[i]]: predicting that row anew gives the same answer.
    probabilities, _ = learn.get_preds()
    rows = frame.iloc[valid_index].drop(columns=["y"])
    anew = learn.predict(rows)
    positive = learn.task.classes[1]
    np.testing.assert_allclose(
        anew[f"probability_{positive}"].to_numpy(),
        probabilities.reshape(len(rows), -1)[:, -1].numpy(),
        atol=1e-5,
    )


def test_regression_and_multilabel_validation_rows_are_shuffled_not_sorted() -> None:
    frame = _table()
    frame["amount"] = np.sort(np.random.default_rng(2).normal(size=len(frame)))  # sorted, as a file may be
    numbers = tabular_data(frame.drop(columns="y"), "amount", valid_pct=0.25, seed=0)
    index = numbers.valid_index
    assert index is not None and numbers.task.kind == "regression"
    assert sorted(index.tolist()) != index.tolist()
    again = tabular_data(frame.drop(columns="y"), "amount", valid_pct=0.25, seed=0)
    assert again.valid_index.tolist() == index.tolist()  # type: ignore[union-attr]
    reviews = _reviews(400)
    reviews["tags"] = np.where(reviews["label"] == "neg", "sad", "happy,sad")
    tagged = text_data(reviews, "tags", label_delim=",", valid_pct=0.25, seed=0)
    assert tagged.task.kind == "multilabel"
    first = tagged.texts["valid"][:20]  # type: ignore[index]
    assert {reviews.set_index("text")["label"][t] for t in first} == {"neg", "pos"}
