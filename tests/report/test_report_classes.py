"""The per-class section of a single-label classifier's report: precision, recall, F1 and support of every
class in the model's order, the macro and weighted averages, the weakest class in words, each figure as
scikit-learn's ``precision_recall_fscore_support`` computes it on the same decisions."""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import precision_recall_fscore_support

import trainwell
from image_files import square_on_noise_folder
from text_samples import reviews
from trainwell.export.predictor import load
from trainwell.report import build_report
from trainwell.report._outputs import class_section
from trainwell.text import fit_texts
from trainwell.vision import image_data, vision_learner


def _rows(n: int, seed: int) -> pd.DataFrame:
    """Three weather kinds from two readings, one of them ('fog') rare and hard to tell from 'rain'."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x": rng.normal(size=n), "y": rng.normal(size=n)})
    noisy = frame["y"] + 0.8 * rng.normal(size=n)
    frame["sky"] = np.where(frame["x"] > 0, "sun", np.where(noisy > 0.9, "fog", "rain"))
    return frame


def _cells(text: str, heading: str = "Per-class quality") -> list[list[str]]:
    """The cells of the first table after ``<h2>heading</h2>``, one list per body row, unescaped."""
    section = text.split(f"<h2>{heading}</h2>", 1)[1].split("</section>", 1)[0]
    body = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [html.unescape(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in body.split("</tr>")
        if "<td" in row
    ]


def _number(cell: str) -> float:
    return float("nan") if cell == "" else float(cell.replace(",", ""))


def _check_against_sklearn(
    rows: list[list[str]], classes: list[str], actual: np.ndarray, predicted: np.ndarray
) -> None:
    """Every class's figures and both averages agree with scikit-learn to the 4 digits the page shows, each
    followed by its 95% interval, which holds it."""
    labels = list(range(len(classes)))
    precision, recall, f1, support = precision_recall_fscore_support(
        actual, predicted, labels=labels, zero_division=np.nan
    )
    assert [row[0] for row in rows[: len(classes)]] == classes  # the model's order
    for index, row in enumerate(rows[: len(classes)]):
        assert int(row[1]) == support[index]
        assert int(row[2]) == int((predicted == index).sum())
        np.testing.assert_allclose(
            [_number(cell) for cell in row[3:9:2]], [precision[index], recall[index], f1[index]], rtol=5e-4
        )
        _check_intervals(row)
    for row, average in zip(rows[len(classes) :], ("macro", "weighted"), strict=True):
        assert row[0].startswith(f"{average} average")
        expected = precision_recall_fscore_support(actual, predicted, average=average, zero_division=0)[:3]
        np.testing.assert_allclose([_number(cell) for cell in row[3:9:2]], expected, rtol=5e-4)
        _check_intervals(row, averages=True)


def _check_intervals(row: list[str], averages: bool = False) -> None:
    """Each figure of a table row (cells 3, 5, 7) is followed by ``[low, high]`` holding it, never of zero width,
    or both are blank. A class's precision and recall always have one (Wilson's); a bootstrapped figure (F1, an
    average) at 0 or 1 may have none: every resample scored the same, so its spread is not estimable."""
    for column, (value, interval) in enumerate(zip(row[3:9:2], row[4:9:2], strict=True)):
        if value == "":
            assert interval == "", row
            continue
        if interval in ("", "not estimable"):  # written, never a blank that reads as certain
            assert interval == "not estimable" and (averages or column == 2) and float(value) in (0.0, 1.0), (
                row
            )
            continue
        low, high = (float(bound) for bound in interval.strip("[]").split(", "))
        assert 0 <= low <= float(value) + 5e-4 and float(value) - 5e-4 <= high <= 1, row
        assert low < high, row


@pytest.fixture(scope="module")
def multiclass(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, pd.DataFrame]:
    out = tmp_path_factory.mktemp("mc") / "model"
    trainwell.fit_table(_rows(600, 0), "sky", out=out, epochs=3, lr=1e-2, progress=False)
    data = tmp_path_factory.mktemp("data") / "test.csv"
    frame = _rows(400, 1)
    frame.to_csv(data, index=False)
    return out, build_report(out, data, tmp_path_factory.mktemp("out") / "report.html"), frame


def test_a_multiclass_report_has_a_per_class_table_that_agrees_with_sklearn(
    multiclass: tuple[Path, Path, pd.DataFrame],
) -> None:
    model_dir, report, frame = multiclass
    text = report.read_text(encoding="utf-8")
    predictor = load(model_dir)
    classes = [str(label) for label in predictor.task.classes]
    index = {label: position for position, label in enumerate(classes)}
    actual = np.array([index[str(label)] for label in frame["sky"]])
    predicted = np.array([index[str(label)] for label in predictor.predict(frame)["prediction"]])
    rows = _cells(text)
    assert len(rows) == len(classes) + 2
    _check_against_sklearn(rows, classes, actual, predicted)
    # After the confusion matrix, before the calibration diagram.
    assert text.index("<h2>Confusion matrix</h2>") < text.index("<h2>Per-class quality</h2>")
    assert text.index("<h2>Per-class quality</h2>") < text.index("<h2>Calibration</h2>")
    # The weakest class by F1 is named in words.
    _, _, f1, _ = precision_recall_fscore_support(
        actual, predicted, labels=range(len(classes)), zero_division=0
    )
    weakest = classes[int(np.argmin(f1))]
    assert f"The weakest class is '{weakest}': F1 " in html.unescape(text)


def test_binary_and_edge_classes_agree_with_sklearn() -> None:
    # A class never predicted (precision undefined), one absent from the rows but predicted (recall undefined),
    # one neither (left out of the averages): blank cells, and the averages scikit-learn gives.
    classes = ["ant", "bee", "cat", "dog", "eel"]
    actual = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 0])
    predicted = np.array([0, 0, 1, 1, 3, 0, 0, 1, 0, 3])
    rows = _cells(class_section(classes, actual, predicted))
    _check_against_sklearn(rows, classes, actual, predicted)
    assert rows[2][3:5] == ["", ""] and rows[3][5:7] == ["", ""] and rows[4][3:9] == [""] * 6
    # Fewer than 20 rows each: noted as too small to judge.
    assert [row[9] for row in rows[:4]] == ["too few rows to judge"] * 3 + [""]
    # Binary: both classes, the weaker named.
    actual, predicted = np.array([0, 0, 0, 0, 1, 1, 1, 0]), np.array([0, 0, 1, 0, 1, 0, 1, 0])
    section = html.unescape(class_section(["no", "yes"], actual, predicted, unit="image"))
    _check_against_sklearn(_cells(section), ["no", "yes"], actual, predicted)
    assert re.search(
        r"Every class has fewer than 20 images here, too few to judge one against another; the lowest is "
        r"'yes': F1 0.6667 \(95% interval [0-9.]+ to [0-9.]+\); it finds 67% of its 3 images and 67% of the 3 "
        r"images",
        section,
    ), section


def test_a_binary_image_report_lists_both_classes_as_sklearn_counts_them(tmp_path: Path) -> None:
    torch.manual_seed(0)
    learn = vision_learner(image_data(square_on_noise_folder(tmp_path / "train", 16, 0)), progress=False)
    learn.fit_one_cycle(1, 3e-3)
    learn.export(tmp_path / "model")
    valid = square_on_noise_folder(tmp_path / "valid", 6, 1)
    # top_k=1: the top losses (their occlusion maps, most of an image report's time) are not read here
    text = build_report(tmp_path / "model", valid, tmp_path / "report.html", top_k=1).read_text(
        encoding="utf-8"
    )
    predictor = load(tmp_path / "model")
    classes = [str(label) for label in predictor.task.classes]
    paths = sorted(valid.glob("*/*.png"))
    actual = np.array([classes.index(path.parent.name) for path in paths])
    decided = predictor.task.decode(predictor.predict_proba([str(path) for path in paths]))
    predicted = np.array([classes.index(str(label)) for label in decided])
    rows = _cells(text)
    assert len(rows) == 4 and [int(row[1]) for row in rows[:2]] == [6, 6]
    _check_against_sklearn(rows, classes, actual, predicted)
    assert " of its 6 images" in html.unescape(text)


def test_a_text_report_counts_texts_per_class_as_sklearn_does(tmp_path: Path) -> None:
    fit_texts(
        reviews(200, 0),
        text_col="review",
        target="sentiment",
        out=tmp_path / "model",
        epochs=2,
        progress=False,
    )
    rows = reviews(40, 1, positive_every=3)  # every third negative: 14 of 40, unequal supports
    rows.to_csv(tmp_path / "test.csv", index=False)
    text = build_report(tmp_path / "model", tmp_path / "test.csv", tmp_path / "report.html").read_text(
        encoding="utf-8"
    )
    predictor = load(tmp_path / "model")
    classes = [str(label) for label in predictor.task.classes]
    actual = np.array([classes.index(str(label)) for label in rows["sentiment"]])
    decided = predictor.task.decode(predictor.predict_proba(rows))
    predicted = np.array([classes.index(str(label)) for label in decided])
    table = _cells(text)
    assert (
        sorted(int(row[1]) for row in table[:2]) == [14, 26] and table[3][0] == "weighted average (by texts)"
    )
    _check_against_sklearn(table, classes, actual, predicted)


def test_the_weakest_class_sentence_counts_one_image_in_the_singular() -> None:
    # The tour's image report: "0% of the 1 images it calls 'cat' are right".
    actual = np.array([0] * 9 + [1])
    predicted = np.array([0] * 8 + [1, 0])  # 'cat' given once, wrongly; its one real image missed
    section = html.unescape(class_section(["dog", "cat"], actual, predicted, unit="image"))
    assert "it finds 0% of its 1 image and the 1 image it calls 'cat' is wrong." in section, section
    assert "1 images" not in section
    actual, predicted = np.array([0] * 8 + [1, 1]), np.array([0] * 9 + [1])  # 'cat' given once, rightly
    right = html.unescape(class_section(["dog", "cat"], actual, predicted, unit="image"))
    assert "it finds 50% of its 2 images and the 1 image it calls 'cat' is right." in right, right
