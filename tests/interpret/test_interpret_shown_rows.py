"""Top losses say what each row is without the user rebuilding the split: a table's validation rows as read (the
target left out), a text per row, or the images themselves, each in the loader's order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

import trainwell
from trainwell.interpret import ClassificationInterpretation


def _table(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({
        "ticket": [f"T{index:04d}" for index in range(n)],
        "x": x,
        "colour": rng.choice(["red", "blue"], n),
        "y": np.where(x + rng.normal(0, 0.8, n) > 0, "yes", "no"),
    })  # fmt: skip


def test_a_tables_top_losses_show_its_validation_rows_in_order(tmp_path: Path) -> None:
    frame = _table()
    learn = trainwell.tabular_learner(trainwell.tabular_data(frame, "y", seed=0), progress=False)
    learn.fit_one_cycle(2)
    interpretation = ClassificationInterpretation.from_learner(learn)
    rows = interpretation.rows
    assert rows is not None and len(rows) == interpretation.n_rows and "y" not in rows.columns
    # Row i is the row the model scored i-th: its answer is the one the model gives that row read anew.
    again = learn.predict(rows.drop(columns=["ticket"]))["prediction"].tolist()
    assert again == [learn.task.classes[i] for i in interpretation.predicted]
    by_ticket = frame.set_index("ticket")["y"]
    assert [by_ticket[t] for t in rows["ticket"]] == [learn.task.classes[i] for i in interpretation.actual]
    assert interpretation.plot_top_losses(tmp_path / "top.png").stat().st_size > 0


def test_a_text_models_top_losses_show_their_texts(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    words = {"pos": ["great", "lovely", "fine"], "neg": ["awful", "dull", "bad"]}
    labels = rng.choice(["pos", "neg"], 240)
    texts = [
        f"a {rng.choice(words[label])} film about {rng.choice(['cats', 'dogs', 'ships'])}" for label in labels
    ]
    data = trainwell.text_data(
        pd.DataFrame({"text": texts, "label": labels}), "label", text_col="text", seed=0
    )
    learn = trainwell.text_classifier_learner(data, progress=False)
    learn.fit_one_cycle(2, 5e-2)
    interpretation = ClassificationInterpretation.from_learner(learn)
    shown = interpretation.rows
    assert shown is not None and list(shown.columns) == ["text"]
    label_of = dict(zip(texts, labels, strict=True))
    assert [label_of[text] for text in shown["text"]] == [
        learn.task.classes[i] for i in interpretation.actual
    ]
    # Each top loss is named by its row's label in the DataFrame read (as a table's), beside its text.
    top = interpretation.top_losses(3)
    assert top.index.name == "row" and list(top["text"]) == [texts[i] for i in top.index]
    assert list(top["actual"]) == [label_of[text] for text in top["text"]]
    assert interpretation.plot_top_losses(tmp_path / "top.png").stat().st_size > 0


def test_an_image_models_top_losses_are_the_images(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    for label, colour in (("red", (220, 30, 30)), ("blue", (30, 30, 220))):
        (tmp_path / "photos" / label).mkdir(parents=True)
        for index in range(20):
            pixels = rng.integers(0, 60, (16, 16, 3), dtype=np.uint8)
            pixels[4:12, 4:12] = colour
            Image.fromarray(pixels).save(tmp_path / "photos" / label / f"{index}.png")
    data = trainwell.image_data(tmp_path / "photos", seed=0)
    learn = trainwell.vision_learner(data, "simple_cnn", progress=False)
    learn.fit_one_cycle(1)
    interpretation = ClassificationInterpretation.from_learner(learn)
    assert interpretation.images is not None and interpretation.images.shape[0] == interpretation.n_rows
    reds = interpretation.images[:, 0, 8, 8].float() > interpretation.images[:, 2, 8, 8].float()
    assert [learn.task.classes[i] for i in interpretation.actual] == ["red" if r else "blue" for r in reds]
    written = interpretation.plot_top_losses(tmp_path / "top.png", k=4)
    assert Image.open(written).size[0] > 200  # a grid of images, not a table of numbers
    # Each image named by its file (its class folder and name), where "row 36" said nothing of which it was.
    assert interpretation.paths is not None and len(interpretation.paths) == interpretation.n_rows
    assert [path.split("/")[0] for path in interpretation.paths] == [
        learn.task.classes[i] for i in interpretation.actual
    ]
    assert all((tmp_path / "photos" / path).is_file() for path in interpretation.paths)
    # top_losses() names each image's file too, where its index alone needed a second lookup.
    top = interpretation.top_losses(3)
    assert list(top["path"]) == [interpretation.paths[position] for position in top.index]
    assert all(path.split("/")[0] == actual for path, actual in zip(top["path"], top["actual"], strict=True))


def test_a_tables_data_shows_its_first_training_rows_as_read() -> None:
    import pytest

    from trainwell.core.errors import ConfigError

    frame = _table()
    data = trainwell.tabular_data(frame, "y", seed=0)
    shown = data.show_batch(5)
    assert list(shown.columns) == list(frame.columns) and len(shown) == 5
    assert set(shown["ticket"]) <= set(frame["ticket"])
    with pytest.raises(ConfigError, match="show_batch: this data keeps no rows of its 'test' split"):
        data.show_batch(split="test")
    # The README's images call, show_batch("batch.png"), gave pandas' raw TypeError on a table.
    with pytest.raises(ConfigError, match=r"^show_batch\('batch.png'\): this data shows its rows as read"):
        data.show_batch("batch.png")  # type: ignore[arg-type]
