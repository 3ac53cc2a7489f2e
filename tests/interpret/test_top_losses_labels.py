"""Every ``top_losses()`` is a DataFrame whose rows are named as the caller names them: a table's own index label
(``df.loc[label]`` is the row, and ``learn.predict`` keeps the same labels), a position only where rows carry no
label. A regression's top losses said ``row 378`` for the 378th validation row, which no label of the user's
DataFrame matched, and a classifier's were a list of ``TopLoss`` where a regression's were a DataFrame."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trainwell
from trainwell.interpret import ClassificationInterpretation, RegressionInterpretation
from trainwell.interpret._regression_plots import top_loss_table_figure
from trainwell.learner.plots import _pyplot


def _houses(n: int = 300, seed: int = 0, first_label: int = 1000) -> pd.DataFrame:
    """A price (about 3 + 2x), a class of it, two inputs; labelled ``first_label`` onwards in shuffled order, as a
    sample of a larger table is (``df.sample``: neither positions nor 0..n-1)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    price = 3 + 2 * x + rng.normal(0, 0.5, n)
    frame = pd.DataFrame({
        "x": x,
        "colour": rng.choice(["red", "blue"], n),
        "price": price,
        "dear": np.where(price + rng.normal(0, 0.8, n) > 3, "yes", "no"),
    })  # fmt: skip
    frame.index = rng.permutation(np.arange(first_label, first_label + n))
    return frame


def _fitted(frame: pd.DataFrame, target: str) -> trainwell.Learner:
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore"
        )  # the other target column alone decides this one: it is a test's table
        data = trainwell.tabular_data(frame, target, seed=0)
    learn = trainwell.tabular_learner(data, progress=False)
    learn.fit_one_cycle(1)
    return learn


@pytest.fixture(scope="module")
def houses() -> pd.DataFrame:
    return _houses()


@pytest.fixture(scope="module")
def regression(houses: pd.DataFrame) -> trainwell.Learner:
    return _fitted(houses.drop(columns=["dear"]), "price")


@pytest.fixture(scope="module")
def classifier(houses: pd.DataFrame) -> trainwell.Learner:
    return _fitted(houses.drop(columns=["price"]), "dear")


def test_a_regressions_top_losses_are_named_by_the_dataframes_own_labels(
    houses: pd.DataFrame, regression: trainwell.Learner
) -> None:
    top = RegressionInterpretation.from_learner(regression).top_losses(5)
    assert isinstance(top, pd.DataFrame) and top.index.name == "row"
    assert set(top.index) <= set(houses.index)
    for label, row in top.iterrows():
        assert row["actual"] == pytest.approx(houses.loc[label, "price"], rel=1e-6)
        assert row["x"] == houses.loc[label, "x"] and row["colour"] == houses.loc[label, "colour"]
    # predict keeps the caller's labels too: the two name the same rows, with the same answers.
    again = regression.predict(houses.loc[top.index, ["x", "colour"]])
    assert list(again.index) == list(top.index)
    np.testing.assert_allclose(again["prediction"], top["predicted"], rtol=1e-5, atol=1e-5)


def test_a_classifiers_top_losses_are_a_dataframe_named_by_the_dataframes_own_labels(
    houses: pd.DataFrame, classifier: trainwell.Learner, tmp_path: Path
) -> None:
    interp = ClassificationInterpretation.from_learner(classifier)
    top = interp.top_losses(6)
    assert isinstance(top, pd.DataFrame) and top.index.name == "row"
    assert list(top.columns) == ["loss", "actual", "predicted", "probability", "x", "colour"]
    assert set(top.index) <= set(houses.index)
    assert list(top["actual"]) == list(houses.loc[top.index, "dear"])
    pd.testing.assert_frame_equal(
        top[["x", "colour"]], houses.loc[top.index, ["x", "colour"]], check_names=False
    )
    assert top["loss"].is_monotonic_decreasing
    again = classifier.predict(houses.loc[top.index, ["x", "colour"]])
    assert list(again.index) == list(top.index) and list(again["prediction"]) == list(top["predicted"])
    assert interp.plot_top_losses(tmp_path / "top.png", k=6).stat().st_size > 0


def test_a_named_index_keeps_its_name_and_labels_of_ones_own_rows_are_kept(
    houses: pd.DataFrame, regression: trainwell.Learner, classifier: trainwell.Learner
) -> None:
    # Labelled rows passed as the loader: named as the caller holds them, not renumbered from 0.
    own = _houses(40, seed=3, first_label=5000).rename_axis("house_id")
    top = RegressionInterpretation.from_learner(regression, loader=own.drop(columns=["dear"])).top_losses(4)
    assert top.index.name == "house_id" and set(top.index) <= set(own.index)
    np.testing.assert_allclose(top["actual"], own.loc[top.index, "price"], rtol=1e-6)
    worst = ClassificationInterpretation.from_learner(classifier, loader=own.drop(columns=["price"]))
    named = worst.top_losses(4)
    assert named.index.name == "house_id" and list(named["actual"]) == list(own.loc[named.index, "dear"])
    # The table drawn says the labels, under the index's name.
    figure = top_loss_table_figure(top)
    cells = [cell.get_text().get_text() for cell in figure.axes[0].tables[0].get_celld().values()]
    _pyplot().close(figure)
    assert "house_id" in cells and {str(label) for label in top.index} <= set(cells)


def test_repeated_labels_are_kept_and_drawn(houses: pd.DataFrame, regression: trainwell.Learner) -> None:
    # pd.concat of two samples repeats labels: each row is still shown with its own values.
    twice = pd.concat([houses.head(20), houses.head(20)]).drop(columns=["dear"])
    interp = RegressionInterpretation.from_learner(regression, loader=twice)
    top = interp.top_losses(6)
    assert top.index.duplicated().any()
    np.testing.assert_allclose(top["actual"], [houses.loc[label, "price"] for label in top.index], rtol=1e-6)
    assert interp.plot_top_losses("top.png", k=6).stat().st_size > 0


def test_rows_without_labels_are_named_by_position() -> None:
    task = trainwell.Task("multiclass", classes=("ant", "bee"))
    interp = ClassificationInterpretation(
        task, np.array([0.1, 2.0, 0.7]), np.array([0, 1, 0]), np.array([0, 0, 1]), np.array([0.9, 0.8, 0.6])
    )
    top = interp.top_losses(2)
    assert isinstance(top, pd.DataFrame) and list(top.index) == [1, 2] and top.index.name == "row"
    assert top.loc[1, "actual"] == "bee" and top.loc[1, "predicted"] == "ant"
    assert re.fullmatch(r"0\.8", f"{top.loc[1, 'probability']:.1f}")
    regression = RegressionInterpretation(
        trainwell.Task("regression"), np.array([1.0, 5.0, 2.0]), np.array([1.0, 1.0, 1.0])
    )
    assert list(regression.top_losses(2).index) == [1, 2]
