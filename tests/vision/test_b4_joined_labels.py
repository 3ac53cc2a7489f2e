"""Labels that join several in one (``cat|dog``) were warned of for a CSV's label column, but not when the
labels came through Python (``image_data(paths, labels=[...])``, an array of images, a DataFrame whose cells are
lists such as ``["cat|dog"]``), nor when a single-label task was asked for (``task="multiclass"``, ``--task
multiclass``) of a table or texts: a classifier over the combinations, in silence. Each says it now, once, in
one line naming the labels and the fix."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from trainwell.tabular import tabular_data
from trainwell.text import text_data
from trainwell.vision import image_data

PETS = ["cat|dog", "cat", "dog|bird", "bird|cat", "dog"] * 4  # 12 of 20 hold '|'


def _joined(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if "each combination is read as one" in str(w.message)]


def _images(**kwargs: Any) -> tuple[Any, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = image_data(progress=False, augmentation="none", **kwargs)
    return data, _joined(caught)


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = tmp_path_factory.mktemp("pets")
    rng = np.random.default_rng(0)
    found = []
    for i in range(len(PETS)):
        path = folder / f"{i}.png"
        Image.fromarray(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)).save(path)
        found.append(str(path))
    return found


PYTHON_FIX = (
    "12 of the 20 labels of image_data's labels= hold '|' (e.g. 'cat|dog'): each combination is read as one "
    "class; for several labels an image (multi-label), pass label_delim='|'"
)


@pytest.mark.parametrize("task", [None, "multiclass"])
def test_image_paths_with_joined_labels_are_warned_of(paths: list[str], task: str | None) -> None:
    data, said = _images(source=paths, labels=PETS, task=task)
    assert said == [PYTHON_FIX]
    assert data.task.kind == "multiclass" and "cat|dog" in data.task.classes  # trained as it was asked
    data, said = _images(source=paths, labels=PETS, label_delim="|")  # the fix: three labels, nothing said
    assert said == [] and data.task.classes == ("bird", "cat", "dog")


def test_an_array_of_images_with_joined_labels_is_warned_of() -> None:
    images = np.random.default_rng(1).integers(0, 255, (len(PETS), 3, 8, 8), dtype=np.uint8)
    assert _images(source=images, labels=PETS)[1] == [PYTHON_FIX]
    assert _images(source=images, labels=["cat", "dog"] * 10)[1] == []  # plain classes: nothing


def test_lists_of_labels_whose_items_join_several_are_warned_of(paths: list[str]) -> None:
    frame = pd.DataFrame({"path": paths, "tags": [[label] for label in PETS]})
    data, said = _images(source=frame, path_col="path", label_col="tags")
    assert said == [
        "12 of the 20 labels in the lists of --label-col 'tags' in the DataFrame hold '|' (e.g. ['cat|dog']): "
        "each combination is read as one label; write each label as an item of its own (['cat', 'dog'], not "
        "['cat|dog'])"
    ]
    assert data.task.kind == "multilabel" and "cat|dog" in data.task.classes
    _, said = _images(source=paths, labels=[[label] for label in PETS])
    assert said and said[0].startswith("12 of the 20 labels in the lists of image_data's labels= hold '|'")
    split = [label.split("|") for label in PETS]  # each label an item: nothing said
    assert _images(source=paths, labels=split)[1] == []


GENRES = ["drama|comedy", "comedy", "action|drama", "drama", "action|comedy", "comedy|romance"] * 5


def test_a_table_or_texts_asked_for_multiclass_over_joined_labels_are_warned_once() -> None:
    frame = pd.DataFrame(
        {"x": range(len(GENRES)), "plot": [f"story {i}" for i in range(30)], "genres": GENRES}
    )
    for task in ("multiclass", None):  # asked for, or inferred (said as before)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            data = tabular_data(frame.drop(columns="plot"), "genres", task=task)
        assert data.task.kind == "multiclass"
        instead = " instead of --task multiclass (Python: task='multiclass')" if task else ""
        assert _joined(caught) == [
            "20 of the 30 labels of target 'genres' hold '|' (e.g. 'drama|comedy'): each combination is read as "
            f"one class; for several labels a row (multi-label), pass --label-delim '|' (Python: label_delim='|')"
            f"{instead}"
        ]
    for task in ("multiclass", None):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            texts = text_data(frame.drop(columns="x"), "genres", text_col="plot", task=task)
        assert texts.task.kind == "multiclass"
        assert len(_joined(caught)) == 1  # not once where the labels are read and again where the kind is
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the separator given: multi-label, nothing said
        assert tabular_data(frame, "genres", label_delim="|", task="multilabel").task.kind == "multilabel"
