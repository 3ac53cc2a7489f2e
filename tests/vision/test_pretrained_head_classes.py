"""``fit <new classes> --pretrained <model of other classes>`` kept the old head whenever its shape fitted: from
digits 0, 1, 7 onto avión, chat noir and 犬 dog it said "its body and head loaded (the head's shape fits these
outputs)", and digit 0's row started as 'avión'. The head is kept only for the same classes in the same order."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from image_files import make_image_folder
from trainwell.vision import fit_images
from trainwell.vision.learner import vision_learner

PARENT = ("0", "1", "7")


@pytest.fixture(scope="module")
def parent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("heads")
    make_image_folder(root / "digits", PARENT, per_class=6)
    fit_images(root / "digits", out=root / "parent", epochs=1, size=24, progress=False)
    return root


def _head(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {key: value for key, value in model.state_dict().items() if ".head." in f".{key}"}


def _child(root: Path, classes: tuple[str, ...]) -> object:
    from trainwell.vision.data import image_data

    folder = make_image_folder(root / "_".join(classes).replace(" ", "-"), classes, per_class=6, seed=1)
    data = image_data(folder, size=24, progress=False)
    return vision_learner(data, pretrained=root / "parent", progress=False, device="cpu")


def test_a_head_of_other_classes_is_not_kept_though_its_shape_fits(parent: Path) -> None:
    child = _child(parent, ("avión", "chat noir", "犬 dog"))
    record = child.pretrained_record
    assert record["loaded"] == "its body loaded"
    assert (
        record["new"]
        == "a new head for 3 classes (its classes 0, 1, 7 are not these: avión, chat noir, 犬 dog)"
    )
    from trainwell.vision.learner import read_weights

    stored = read_weights(parent / "parent")
    outputs = {
        key: value for key, value in _head(child.model).items() if value.ndim == 2
    }  # the linear layers
    assert outputs
    for key, value in outputs.items():
        assert not torch.equal(value.cpu(), stored[key]), key  # a fresh head, not digit 0's row


def test_the_same_classes_keep_the_head(parent: Path) -> None:
    child = _child(parent, PARENT)
    record = child.pretrained_record
    assert record["loaded"] == "its body and head loaded (the same classes, in the same order)"
    assert record["new"] == ""
    from trainwell.vision.learner import read_weights

    stored = read_weights(parent / "parent")
    for key, value in _head(child.model).items():
        assert torch.equal(value.cpu(), stored[key]), key


def test_the_rule_in_words() -> None:
    from trainwell.core.lineage import same_outputs

    task = {"kind": "multiclass", "classes": ["cat", "dog"]}
    assert same_outputs(task, "multiclass", ["dog", "cat"], []) == (
        False,
        "its classes are these in another order: cat, dog",
    )
    assert same_outputs(task, "multiclass", ["cat", "dog", "fox"], []) == (False, "")  # the count says it
    assert same_outputs(task, "binary", ["cat", "dog"], [])[0] is False
    assert same_outputs(None, "multiclass", ["cat", "dog"], []) == (None, "")  # a weights file: shape alone
    price = {"kind": "regression", "target_names": ["price"]}
    assert same_outputs(price, "regression", [], ["price"]) == (True, "the same target: price")
    assert same_outputs(price, "regression", [], ["age"]) == (False, "it predicted price, not age")
