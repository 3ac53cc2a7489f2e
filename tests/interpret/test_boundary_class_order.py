"""``trainwell boundary`` lists, colours and shades the classes in the order a fit's report and confusion matrix
give them (trainwell's task: numbers as numbers, a binary target's positive class second), not in numpy's sorted
order of the raw labels: ``churn``/``no churn`` was shaded as P(label = no churn), the report's P(churn) turned
round, and labels 2, 10, x were listed 10, 2, x."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trainwell.data.task import infer_task
from trainwell.interpret.boundary import Points2D, fit_boundaries, read_points


def _table(labels: np.ndarray, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    shift = {label: index for index, label in enumerate(sorted(set(labels.tolist())))}
    x1 = rng.normal(size=len(labels)) + 3 * np.array([shift[label] for label in labels])
    return pd.DataFrame({"tenure": x1, "spend": rng.normal(size=len(labels)), "label": labels})


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["churn", "no churn"], ("no churn", "churn")),  # the negated label first: P(churn) is shaded
        (["+", "-"], ("-", "+")),
        (["2", "10", "x"], ("2", "10", "x")),  # numbers as numbers, before words
        (["no", "yes"], ("no", "yes")),
        ([3, 1, 2], (1, 2, 3)),
    ],
)
def test_points_take_the_classes_in_the_reports_order(
    values: list[object], expected: tuple[object, ...]
) -> None:
    labels = np.array(values * 20, dtype=object if isinstance(values[0], str) else None)
    points = Points2D.from_arrays(np.random.default_rng(0).normal(size=(len(labels), 2)), labels)
    assert points.classes == expected
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numbers beside words are said to be odd: not what this test reads
        assert tuple(infer_task(pd.Series(labels)).classes) == expected  # the report's order
    assert [points.classes[code] for code in points.codes] == list(labels)  # each point keeps its label


def test_a_read_table_is_shaded_by_the_positive_class(tmp_path: Path) -> None:
    labels = np.array(["churn", "no churn"] * 60)
    _table(labels).to_csv(tmp_path / "churn.csv", index=False)
    points = read_points(tmp_path / "churn.csv")
    assert points.classes == ("no churn", "churn") and points.classes[1] == "churn"
    result = fit_boundaries(points, ["logistic"], grid_size=10)
    # churn sits at low tenure here (sorted first): the shaded P(classes[1]) is high on the left, low on the right
    probs = result.panels[0].probs[..., 1]
    assert probs[:, 0].mean() > 0.9 and probs[:, -1].mean() < 0.1


def test_an_estimator_fitted_on_the_labels_is_read_by_its_classes(tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    labels = np.array(["churn", "no churn"] * 60)
    frame = _table(labels)
    estimator = LogisticRegression().fit(
        frame[["tenure", "spend"]].to_numpy(), labels
    )  # classes_ churn, no churn
    points = Points2D.from_arrays(frame[["tenure", "spend"]].to_numpy(), labels)
    result = fit_boundaries(points, {"mine": estimator, "logistic": "logistic"}, grid_size=10)
    mine, logistic = (panel.probs for panel in result.panels)
    assert (mine.argmax(-1) == logistic.argmax(-1)).mean() > 0.9  # the same columns, not turned round
    assert result.panels[0].accuracy > 0.9
