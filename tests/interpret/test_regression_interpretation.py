"""RegressionInterpretation on small regression learners (a table of one and of two targets, texts, images) trained
briefly on synthetic data: every figure checked against numpy, scikit-learn and pandas computed from the learner's
own predictions, the rows shown beside the largest errors checked against the data they came from, and the plots
opened as images."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from sklearn.metrics import mean_absolute_error, median_absolute_error, r2_score
from torch import nn

import trainwell
from text_samples import BAD, FILLER, GOOD
from trainwell.core.errors import ConfigError
from trainwell.data import tensor_data
from trainwell.data.task import Task
from trainwell.interpret import ClassificationInterpretation, RegressionInterpretation
from trainwell.learner import Learner


def _table(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """``price`` (about 3 + 2x, noisy) and ``area`` (about 30 + 10z) with an id, two numbers and a category."""
    rng = np.random.default_rng(seed)
    x, z = rng.normal(size=n), rng.normal(size=n)
    return pd.DataFrame({
        "ticket": [f"T{index:04d}" for index in range(n)],
        "x": x,
        "z": z,
        "colour": rng.choice(["red", "blue"], n),
        "price": 3 + 2 * x + rng.normal(0, 0.5, n),
        "area": 30 + 10 * z + rng.normal(0, 1, n),
    })  # fmt: skip


def _tabular(targets: str | list[str]) -> Learner:
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore"
        )  # "ticket left out of the inputs": it is meant to be shown, not learned
        data = trainwell.tabular_data(_table(), targets, seed=0)
    learn = trainwell.tabular_learner(data, progress=False)
    learn.fit_one_cycle(2)
    return learn


@pytest.fixture(scope="module")
def one() -> tuple[Learner, RegressionInterpretation]:
    learn = _tabular("price")
    return learn, RegressionInterpretation.from_learner(learn, batch_size=17)


@pytest.fixture(scope="module")
def two() -> tuple[Learner, RegressionInterpretation]:
    learn = _tabular(["price", "area"])
    return learn, RegressionInterpretation.from_learner(learn)


def _predictions(learn: Learner) -> tuple[np.ndarray, np.ndarray]:
    """(actual, predicted) as ``get_preds`` gives them, (N, K): the reference every figure is checked against."""
    predicted, actual = learn.get_preds()
    assert actual is not None
    n = len(actual)
    return actual.reshape(n, -1).double().numpy(), predicted.reshape(n, -1).double().numpy()


def _is_png(path: Path) -> tuple[int, int]:
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(path) as image:
        assert image.format == "PNG"
        return image.size


# ------------------------------------------------------------------------------------------- figures
def test_the_figures_are_those_of_the_learners_own_predictions(
    one: tuple[Learner, RegressionInterpretation],
) -> None:
    learn, interp = one
    actual, predicted = _predictions(learn)
    assert interp.n_rows == len(actual) == 60 and interp.targets == ("price",)
    np.testing.assert_allclose(interp.actual, actual, rtol=1e-6)
    np.testing.assert_allclose(interp.predicted, predicted, rtol=1e-5, atol=1e-5)
    a, p = actual[:, 0], predicted[:, 0]
    np.testing.assert_allclose(interp.residuals("price"), a - p, atol=1e-5)
    summary = interp.summary()
    assert list(summary.index) == ["price"] and summary.loc["price", "rows"] == 60
    figures = summary.loc["price"]
    assert figures["rmse"] == pytest.approx(np.sqrt(np.mean((a - p) ** 2)), rel=1e-5)
    assert figures["mae"] == pytest.approx(mean_absolute_error(a, p), rel=1e-5)
    assert figures["r2"] == pytest.approx(r2_score(a, p), rel=1e-5)
    assert figures["median_abs_error"] == pytest.approx(median_absolute_error(a, p), rel=1e-5)
    assert figures["max_abs_error"] == pytest.approx(np.abs(a - p).max(), rel=1e-5)
    assert figures["bias"] == pytest.approx(np.mean(a - p), rel=1e-4, abs=1e-6)
    # The same numbers the learner's own metrics report for the validation set.
    scores = learn.validate()
    assert figures["rmse"] == pytest.approx(scores["rmse"], rel=1e-4)
    assert figures["mae"] == pytest.approx(scores["mae"], rel=1e-4)
    assert figures["r2"] == pytest.approx(scores["r2"], rel=1e-4)
    # Two epochs learn something of price = 3 + 2x.
    assert figures["r2"] > 0


def test_error_by_range_is_the_error_in_each_quintile_of_the_actual_value(
    one: tuple[Learner, RegressionInterpretation],
) -> None:
    _, interp = one
    a, p = interp.actual[:, 0], interp.predicted[:, 0]
    bins, edges = pd.qcut(a, 5, duplicates="drop", retbins=True)
    frame = pd.DataFrame({"bin": bins, "residual": a - p, "actual": a})
    expected = frame.groupby("bin", observed=False).agg(
        rows=("residual", "size"),
        mae=("residual", lambda r: np.abs(r).mean()),
        rmse=("residual", lambda r: np.sqrt((r**2).mean())),
        bias=("residual", "mean"),
        mean_actual=("actual", "mean"),
    )
    table = interp.error_by_range()
    assert list(table["bin"]) == [1, 2, 3, 4, 5] and set(table["target"]) == {"price"}
    assert list(table["rows"]) == list(expected["rows"]) == [12] * 5
    for column in ("mae", "rmse", "bias", "mean_actual"):
        np.testing.assert_allclose(table[column], expected[column], rtol=1e-9)
    np.testing.assert_allclose(table["actual_to"], edges[1:], rtol=1e-12)
    np.testing.assert_allclose(table["actual_from"], edges[:-1], rtol=1e-12)
    assert table["actual_from"].iloc[0] == a.min() and table["actual_to"].iloc[-1] == a.max()
    # Three bins; one value repeated everywhere leaves one bin of every row.
    assert len(interp.error_by_range(n_bins=3)) == 3
    flat = RegressionInterpretation(Task("regression", target_names=("y",)), np.ones(8), np.arange(8.0))
    assert flat.error_by_range()[["rows", "mae"]].to_dict("records") == [{"rows": 8, "mae": 22 / 8}]


def test_the_summary_in_words_names_the_figures_the_bias_and_the_weakest_range(
    one: tuple[Learner, RegressionInterpretation],
) -> None:
    _, interp = one
    text = interp.describe()
    figures = interp.summary().loc["price"]
    assert text.startswith("price: 60 rows.")
    for value in (figures["mae"], figures["rmse"], figures["median_abs_error"]):
        assert f"{value:.4g}" in text
    assert f"R² {figures['r2']:.3f}" in text
    side = "too low" if figures["bias"] > 0 else "too high"
    assert f"predicts {abs(figures['bias']):.4g} {side} on average" in text
    by_range = interp.error_by_range()
    worst = by_range.loc[by_range["mae"].idxmax()]
    assert f"weakest for {worst['actual_from']:.4g} to {worst['actual_to']:.4g}" in text
    # Made-up numbers, each sentence checked: too high by 1, no better than the mean.
    task = Task("regression", target_names=("y",))
    made = RegressionInterpretation(task, np.array([1.0, 2.0, 3.0, 4.0]), np.array([5.0, 2.0, 3.0, 4.0]))
    assert made.describe() == (
        "y: 4 rows. Typical error: 1 on average (MAE), half the rows within 0 (median absolute error); RMSE 2, "
        "well above the MAE: a few large errors weigh in. R² -2.200: no better than predicting the mean of y "
        "(which scores 0). Bias: the model predicts 1 too high on average (mean residual, actual - predicted: -1). "
        "By range of the actual value: weakest for 1 to 1.6 (MAE 4, 1 row), best for 1.6 to 2.2 (MAE 0)."
    )
    close = RegressionInterpretation(task, np.array([1.0, 2.0, 3.0, 5.0]), np.array([1.5, 2.0, 3.0, 4.5]))
    assert "R² 0.943: the model explains 94.3% of the variance of y" in close.describe()
    assert "Bias: none to speak of (mean residual +0)." in close.describe()


def test_top_losses_are_the_largest_errors_with_the_validation_rows_as_read(
    one: tuple[Learner, RegressionInterpretation],
) -> None:
    _, interp = one
    a, p = interp.actual[:, 0], interp.predicted[:, 0]
    top = interp.top_losses(5)
    positions = np.argsort(-np.abs(a - p), kind="stable")[:5]
    # Each row named by the DataFrame's own label (its validation rows keep them), not its place among them.
    assert interp.rows is not None and list(top.index) == list(interp.rows.index[positions])
    assert top.index.name == "row"
    assert list(top.columns[:4]) == ["actual", "predicted", "residual", "abs_error"]
    np.testing.assert_allclose(top["residual"], a[positions] - p[positions])
    np.testing.assert_allclose(top["abs_error"], np.abs(a[positions] - p[positions]))
    # The inputs as read, the target left out (it is "actual"): each ticket's price is the row's actual value.
    assert {"ticket", "x", "z", "colour"} <= set(top.columns) and "price" not in top.columns
    price_of = _table().set_index("ticket")["price"]
    np.testing.assert_allclose([price_of[t] for t in top["ticket"]], top["actual"], rtol=1e-6)
    assert len(interp.top_losses(1000)) == interp.n_rows


# -------------------------------------------------------------------------------------- several targets
def test_several_targets_are_read_one_by_one_or_all_together(
    two: tuple[Learner, RegressionInterpretation],
) -> None:
    learn, interp = two
    actual, predicted = _predictions(learn)
    assert interp.targets == ("price", "area") and interp.actual.shape == (60, 2)
    summary = interp.summary()
    assert list(summary.index) == ["price", "area"]
    for column, name in enumerate(("price", "area")):
        assert summary.loc[name, "r2"] == pytest.approx(
            r2_score(actual[:, column], predicted[:, column]), rel=1e-4
        )
        alone = interp.summary(name)
        assert list(alone.index) == [name] and alone.loc[name, "mae"] == summary.loc[name, "mae"]
    assert interp.summary(1).index.tolist() == ["area"] and interp.residuals().shape == (60, 2)
    assert set(interp.error_by_range()["target"]) == {"price", "area"}
    # One target: ranked by its absolute error.
    top_area = interp.top_losses(4, target="area")
    residual = actual[:, 1] - predicted[:, 1]
    assert interp.rows is not None
    labels = interp.rows.index
    assert list(top_area.index) == list(labels[np.argsort(-np.abs(residual), kind="stable")[:4]])
    # All together: ranked by the learner's loss, each target's error divided by its spread (the default MSE).
    scale = learn.loss_func.scale.double().numpy()  # type: ignore[union-attr]
    loss = np.mean(((predicted - actual) / scale) ** 2, axis=1)
    top = interp.top_losses(4)
    positions = np.argsort(-loss, kind="stable")[:4]
    assert list(top.index) == list(labels[positions])
    np.testing.assert_allclose(top["loss"], loss[positions], rtol=1e-4)
    assert list(top.columns[1:5]) == ["price actual", "price predicted", "price residual", "area actual"]
    assert "area" not in top.columns and "price" not in top.columns


def test_each_target_gets_its_panel(two: tuple[Learner, RegressionInterpretation]) -> None:
    _, interp = two
    width_both, _ = _is_png(interp.plot_predicted_vs_actual("both.png"))
    width_one, _ = _is_png(interp.plot_predicted_vs_actual("area.png", target="area"))
    assert width_both > 1.6 * width_one
    _is_png(interp.plot_top_losses("top.png"))


# ------------------------------------------------------------------------------------------------ plots
def test_the_plots_are_png_files_jupyter_shows(one: tuple[Learner, RegressionInterpretation]) -> None:
    _, interp = one
    for method, name in (
        (interp.plot_predicted_vs_actual, "predicted_vs_actual.png"),
        (interp.plot_residuals, "residuals.png"),
        (interp.plot_residual_histogram, "residual_histogram.png"),
        (interp.plot_error_by_range, "error_by_range.png"),
        (interp.plot_top_losses, "top_losses.png"),
    ):
        written = method()
        assert isinstance(written, Path) and written == Path(name)
        width, height = _is_png(written)
        assert width > 300 and height > 100
        assert written._repr_png_() == written.read_bytes()
    assert interp.plot_top_losses(3) == Path("top_losses.png")  # a number first is k, as for classifiers
    # Another model's plot under the default name is replaced with a warning; a name of one's own keeps both.
    other = RegressionInterpretation(Task("regression"), np.arange(5.0), np.arange(5.0) + 1)
    with pytest.warns(
        UserWarning, match="'residuals.png' held the residual plot of another model or data set"
    ):
        other.plot_residuals()
    other.plot_residuals("mine.png")


# ------------------------------------------------------------------------------------ texts and images
def _scored_reviews(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        good, bad = int(rng.integers(0, 3)), int(rng.integers(0, 3))
        words = [*rng.choice(FILLER, 4), *rng.choice(GOOD, good), *rng.choice(BAD, bad)]
        rng.shuffle(words)
        rows.append(
            (" ".join(map(str, words)), round(5.5 + 1.5 * (good - bad) + float(rng.normal(0, 0.2)), 2))
        )
    return pd.DataFrame(rows, columns=["review", "score"])


def test_a_text_models_largest_errors_show_their_texts() -> None:
    frame = _scored_reviews(300, seed=0)
    data = trainwell.text_data(frame, "score", text_col="review", seed=0)
    learn = trainwell.text_classifier_learner(data, progress=False)
    learn.fit_one_cycle(2, 5e-2)
    interp = RegressionInterpretation.from_learner(learn)
    assert interp.rows is not None and list(interp.rows.columns) in (["review"], ["text"])
    top = interp.top_losses(5)
    text_column = interp.rows.columns[0]
    score_of = dict(zip(frame["review"], frame["score"], strict=True))
    np.testing.assert_allclose([score_of[text] for text in top[text_column]], top["actual"], rtol=1e-6)
    actual, predicted = _predictions(learn)
    assert interp.summary().iloc[0]["mae"] == pytest.approx(mean_absolute_error(actual, predicted), rel=1e-5)
    _is_png(interp.plot_top_losses("texts.png"))


def _squares(root: Path, n: int, seed: int) -> Path:
    """``root/<i>.png``, a bright square of side 3 to 12 in a dark noisy 16 x 16 image, and a CSV of
    ``path,value`` with value = 0.75 a pixel of side + 0.5."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True)
    lines = ["path,value"]
    for index in range(n):
        side = int(rng.integers(3, 13))
        pixels = np.full((16, 16), 20, dtype=np.int64)
        top, left = rng.integers(0, 16 - side + 1, size=2)
        pixels[top : top + side, left : left + side] = 230
        pixels = np.clip(pixels + rng.integers(-15, 16, size=pixels.shape), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(root / f"{index}.png")
        lines.append(f"{index}.png,{side * 0.75 + 0.5}")
    (root / "squares.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root / "squares.csv"


def test_an_image_models_largest_errors_are_the_images_named_by_file(tmp_path: Path) -> None:
    csv = _squares(tmp_path / "squares", 120, seed=0)
    data = trainwell.image_data(csv, path_col="path", label_col="value", augmentation="none", seed=0)
    learn = trainwell.vision_learner(data, "simple_cnn", progress=False)
    learn.fit_one_cycle(1)
    interp = RegressionInterpretation.from_learner(learn)
    assert interp.images is not None and len(interp.images) == interp.n_rows
    assert interp.paths is not None and len(interp.paths) == interp.n_rows
    value_of = {row.split(",")[0]: float(row.split(",")[1]) for row in csv.read_text().splitlines()[1:]}
    # Each file's value is the row's actual value, and its bright pixels measure the square it was made of.
    assert [value_of[Path(path).name] for path in interp.paths] == pytest.approx(interp.actual[:, 0].tolist())
    top = interp.top_losses(4)
    # Images carry no label of their own: their position, and their file under "path" (as a classifier's).
    assert top.index.name == "row" and list(top["path"]) == [interp.paths[i] for i in top.index]
    bright = (interp.images[top.index].float() > 150).sum(dim=(1, 2, 3)).double().sqrt().numpy()
    np.testing.assert_allclose(bright * 0.75 + 0.5, top["actual"], atol=0.8)
    width, _ = _is_png(interp.plot_top_losses("images.png", k=4))
    assert width > 200  # a grid of images


# ---------------------------------------------------------------------------------- examples and errors
def test_labelled_rows_of_ones_own_are_interpreted_and_shown() -> None:
    learn = _tabular("price")
    frame = _table(40, seed=5)
    interp = RegressionInterpretation.from_learner(learn, loader=frame)
    np.testing.assert_allclose(interp.actual[:, 0], frame["price"], rtol=1e-6)
    again = learn.predict(frame.drop(columns=["price"]))["prediction"].to_numpy()
    np.testing.assert_allclose(interp.predicted[:, 0], again, rtol=1e-5, atol=1e-5)
    top = interp.top_losses(3)
    assert list(top["ticket"]) == [frame["ticket"].iloc[i] for i in top.index]


def test_mistakes_are_said_with_what_to_do(one: tuple[Learner, RegressionInterpretation]) -> None:
    learn, interp = one
    with pytest.raises(ConfigError) as caught:
        ClassificationInterpretation.from_learner(learn)
    assert "got 'regression'" in str(caught.value)
    assert "use trainwell.interpret.RegressionInterpretation.from_learner(learn)" in str(caught.value)
    classifier = Learner(
        nn.Linear(2, 2), tensor_data(torch.randn(30, 2), ["a", "b", "c"] * 10), progress=False
    )
    with pytest.raises(
        ConfigError, match=r"needs a regression learner \(numbers to predict\), got 'multiclass'; "
    ):
        RegressionInterpretation.from_learner(classifier)
    with pytest.raises(
        ConfigError, match=r"^target 'prise' is not one of this model's targets: price; pass one"
    ):
        interp.summary("prise")
    with pytest.raises(
        ConfigError, match=r"^target 3 is out of range: this model has 1 target\(s\) \(price\)"
    ):
        interp.plot_residuals(target=3)
    with pytest.raises(ConfigError, match=r"^k must be a positive integer, got 0"):
        interp.top_losses(0)
    with pytest.raises(ConfigError, match=r"^n_bins must be a positive integer, got 0; pass e.g. n_bins=5"):
        interp.error_by_range(n_bins=0)
    with pytest.raises(ConfigError, match=r"^path must be a file name for the PNG, got 2\.5"):
        interp.plot_residuals(2.5)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"^actual and predicted must have the same shape"):
        RegressionInterpretation(Task("regression"), np.zeros(3), np.zeros(4))
    pair = RegressionInterpretation(
        Task("regression", target_names=("a", "b")), np.zeros((3, 2)), np.ones((3, 2))
    )
    with pytest.raises(ConfigError, match=r"^the rows' losses are not known .* pass target= one of: a, b"):
        pair.top_losses()
    assert list(pair.top_losses(2, target="b")["abs_error"]) == [1.0, 1.0]
    no_valid = tensor_data(torch.randn(20, 2), torch.randn(20).numpy(), valid_pct=0)
    with pytest.raises(ConfigError, match="has no validation set; pass loader="):
        RegressionInterpretation.from_learner(Learner(nn.Linear(2, 1), no_valid, progress=False))
