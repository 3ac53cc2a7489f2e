"""Reports on models with several outputs: multi-label tables (per-label quality, pooled calibration, what
each worst row missed or was wrongly given) and regressions of several targets (a plot per target)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import trainwell
from trainwell.core.errors import DataError
from trainwell.data.task import Task
from trainwell.report import build_report, row_losses


def _labelled_rows(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {"x": rng.normal(size=n), "y": rng.normal(size=n), "shop": rng.choice(["a", "b"], n)}
    )
    frame["hot"] = (frame["x"] > 0).astype(int)
    frame["busy"] = (frame["y"] + 0.3 * rng.normal(size=n) > 0.5).astype(int)
    frame["rare"] = ((frame["x"] > 1.2) & (frame["shop"] == "a")).astype(int)
    frame["price"] = 1000 * frame["x"] + 50 * rng.normal(size=n)
    frame["area"] = 0.01 * frame["y"] + 0.001 * rng.normal(size=n)
    return frame


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return _labelled_rows(600, 0)


@pytest.fixture(scope="module")
def multilabel_report(tmp_path_factory: pytest.TempPathFactory, rows: pd.DataFrame) -> Path:
    out = tmp_path_factory.mktemp("ml") / "model"
    trainwell.fit_table(
        rows, ["hot", "busy", "rare"], out=out, epochs=8, lr=1e-2, progress=False, ignore=["price", "area"]
    )
    data = tmp_path_factory.mktemp("data") / "valid.csv"
    _labelled_rows(300, 1).to_csv(data, index=False)
    return build_report(out, data, tmp_path_factory.mktemp("out") / "report.html")


@pytest.fixture(scope="module")
def targets_report(tmp_path_factory: pytest.TempPathFactory, rows: pd.DataFrame) -> Path:
    out = tmp_path_factory.mktemp("mt") / "model"
    trainwell.fit_table(
        rows, ["price", "area"], out=out, epochs=8, lr=1e-2, progress=False, ignore=["hot", "busy", "rare"]
    )
    data = tmp_path_factory.mktemp("data") / "valid.csv"
    _labelled_rows(300, 1).to_csv(data, index=False)
    return build_report(out, data, tmp_path_factory.mktemp("out") / "report.html")


def _table_after(text: str, heading: str) -> list[list[str]]:
    """The cells of the first table after ``<h2>heading</h2>``, one list per body row."""
    section = text.split(f"<h2>{heading}</h2>", 1)[1].split("</section>", 1)[0]
    body = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in body.split("</tr>") if "<td" in row]


def test_multilabel_report_judges_each_label(multilabel_report: Path) -> None:
    text = multilabel_report.read_text(encoding="utf-8")
    for heading in (
        "Metrics on held-out data",
        "Per-label quality",
        "Calibration",
        "Top losses",
        "Permutation feature importance",
    ):
        assert f"<h2>{heading}</h2>" in text
    assert "multi-label table classifier predicting 'hot', 'busy', 'rare' (" in html.unescape(text)
    labels = {row[0]: row for row in _table_after(text, "Per-label quality")}
    assert set(labels) == {"hot", "busy", "rare"}
    valid = _labelled_rows(300, 1)
    assert int(labels["hot"][1]) == int(valid["hot"].sum())  # rows that have the label
    assert float(labels["hot"][-1]) > 0.9  # ROC AUC of an easy label
    importance = _table_after(text, "Permutation feature importance")
    assert importance[0][0] in ("x", "y")  # the inputs the labels come from, not 'shop'


def test_multilabel_per_label_figures_have_intervals(
    multilabel_report: Path,
) -> None:
    # The per-class table of a single-label model gave each figure a 95% interval; the per-label one gave none.
    text = multilabel_report.read_text(encoding="utf-8")
    header = re.findall(
        r"<th>(.*?)</th>", text.split("<h2>Per-label quality</h2>", 1)[1].split("</thead>")[0]
    )
    assert header == [
        "label",
        "rows with it",
        "predicted",
        "precision",
        "95% interval",
        "recall",
        "95% interval",
        "F1",
        "95% interval",
        "ROC AUC",
    ]
    shown = 0
    for row in _table_after(text, "Per-label quality"):
        for value, interval in ((row[3], row[4]), (row[5], row[6]), (row[7], row[8])):
            if value == "":  # nothing to divide by (a label never given): no interval either
                assert interval == ""
                continue
            low, high = (float(bound) for bound in interval.strip("[]").split(", "))
            assert low <= float(value) <= high, row
            shown += 1
    assert shown >= 7  # 'hot' and 'busy' are given and present: all six, and at least 'rare''s recall


def test_multilabel_top_losses_name_what_was_missed(multilabel_report: Path) -> None:
    text = multilabel_report.read_text(encoding="utf-8")
    top = _table_after(text, "Top losses")
    header = text.split("<h2>Top losses</h2>", 1)[1].split("</thead>", 1)[0]
    assert all(name in header for name in ("actual", "predicted", "missed", "wrongly added"))
    for row in top:
        actual, predicted, missed, added = (set(cell.split(", ")) - {"(none)"} for cell in row[1:5])
        assert missed == actual - predicted and added == predicted - actual
    losses = [float(row[5]) for row in top]
    assert losses == sorted(losses, reverse=True)


def test_several_targets_get_a_plot_each(targets_report: Path) -> None:
    text = targets_report.read_text(encoding="utf-8")
    assert "table regression (2 targets) predicting 'price', 'area'" in html.unescape(text)
    plots = text.split("<h2>Predicted against actual</h2>", 1)[1].split("</section>", 1)[0]
    assert plots.count("<img ") == 2 and 'alt="price: predicted against actual"' in plots
    metrics = [row[0] for row in _table_after(text, "Metrics on held-out data")]
    assert "rmse[price]" in metrics and "rmse[area]" in metrics
    header = text.split("<h2>Top losses</h2>", 1)[1].split("</thead>", 1)[0]
    assert "price predicted" in header and "area predicted" in header


def test_row_losses_of_several_outputs_by_hand() -> None:
    multilabel = Task("multilabel", ("a", "b"), ("a", "b"))
    probabilities = torch.tensor([[0.9, 0.2], [0.5, 0.5]])
    targets = torch.tensor([[1.0, 1.0], [0.0, 1.0]])
    expected = [-(np.log(0.9) + np.log(0.2)) / 2, -np.log(0.5)]
    np.testing.assert_allclose(row_losses(multilabel, probabilities, targets), expected, rtol=1e-6)
    regression = Task("regression", (), ("price", "area"))
    targets = torch.tensor([[100.0, 1.0], [300.0, 3.0]])  # standard deviations 100 and 1
    predictions = torch.tensor([[300.0, 1.0], [300.0, 2.0]])
    # Row 0 is 2 standard deviations off in price; row 1 one in area: in raw units row 0 would dominate.
    np.testing.assert_allclose(row_losses(regression, predictions, targets), [2.0, 0.5], rtol=1e-6)


def test_a_missing_target_column_of_several_is_named(tmp_path: Path) -> None:
    rows = _labelled_rows(50, 2)
    out = tmp_path / "model"
    trainwell.fit_table(rows, ["price", "area"], out=out, epochs=1, lr=1e-2, progress=False)
    with pytest.raises(DataError, match="target column 'area' not found"):
        build_report(out, rows.drop(columns=["area"]), tmp_path / "report.html")
