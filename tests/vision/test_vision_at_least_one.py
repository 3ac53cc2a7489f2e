"""``predict(..., at_least_one=True)`` of a multi-label image model (a red bar, a green bar, both or neither): an
image with no label over its threshold gets its likeliest label, the others and every probability are as without
it, and the default is unchanged; alike for paths and arrays, from ``trainwell.load``, ``learn.predict`` and
``model.onnx``. An image model that is not multi-label refuses it in one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from image_files import make_image_folder
from multilabel_samples import IMAGE_DELIM, at_least_one_by_hand, fit_tagged_images, write_tagged_images
from trainwell.core.errors import ConfigError
from trainwell.export import load


@pytest.fixture(scope="module")
def tagged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path, list[Path]]:
    """The learner, its model directory, and 16 new images of the four kinds."""
    root = tmp_path_factory.mktemp("tagged-images")
    learn, out = fit_tagged_images(root)
    return learn, out, write_tagged_images(root / "new", 16, seed=1)


def test_images_without_a_label_get_their_likeliest_and_the_rest_are_unchanged(
    tagged: tuple[Any, Path, list[Path]],
) -> None:
    _, out, paths = tagged
    predictor = load(out)
    assert predictor.task.kind == "multilabel"
    plain = predictor.predict(paths)
    filled = predictor.predict(paths, at_least_one=True)
    empty = plain["prediction"] == ""
    assert 0 < empty.sum() < len(paths)  # the images of neither bar are left without a label by default
    assert filled["prediction"].tolist() == at_least_one_by_hand(
        plain, list(predictor.task.classes), IMAGE_DELIM
    )
    assert filled.loc[~empty, "prediction"].tolist() == plain.loc[~empty, "prediction"].tolist()
    pd.testing.assert_frame_equal(filled.drop(columns="prediction"), plain.drop(columns="prediction"))
    # Arrays (decoded as the files are) decode alike, without the path column.
    pixels = predictor.pixels(paths).numpy()
    from_arrays = predictor.predict(pixels, at_least_one=True)
    assert from_arrays["prediction"].tolist() == filled["prediction"].tolist()
    assert predictor.predict(pixels)["prediction"].tolist() == plain["prediction"].tolist()


def test_learn_predict_and_the_onnx_predictor_give_the_same(tagged: tuple[Any, Path, list[Path]]) -> None:
    learn, out, paths = tagged
    expected = load(out).predict(paths, at_least_one=True)
    pd.testing.assert_frame_equal(learn.predict(paths, at_least_one=True), expected)
    pytest.importorskip("onnxruntime")
    from trainwell.export.onnx import export_onnx
    from trainwell.export.onnx_predictor import OnnxPredictor

    export_onnx(out)
    onnx = OnnxPredictor(out, threads=1)
    answers = onnx.predict([str(path) for path in paths], at_least_one=True)
    assert answers["prediction"].tolist() == expected["prediction"].tolist()
    np.testing.assert_allclose(
        answers.filter(like="probability_").to_numpy(),
        expected.filter(like="probability_").to_numpy(),
        atol=1e-4,
    )


def test_an_image_model_that_is_not_multi_label_refuses_it(tmp_path: Path) -> None:
    from trainwell.vision import image_data, vision_learner

    folder = make_image_folder(tmp_path / "images", per_class=4, size=16)
    learn = vision_learner(
        image_data(folder, seed=0), progress=False
    )  # untrained: the refusal reads no pixel
    image = next((folder / "vertical").iterdir())
    refusal = "at_least_one= is for multi-label models; this binary model gives every image one answer already: drop it"
    with pytest.raises(ConfigError) as error:
        learn.predictor().predict([image], at_least_one=True)
    assert str(error.value) == refusal
    with pytest.raises(ConfigError) as error:
        learn.predict([image], at_least_one=True)
    assert str(error.value) == refusal
