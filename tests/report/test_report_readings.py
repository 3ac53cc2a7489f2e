"""How a report reads what it shows: a boosted-trees model's own settings (not the gradient settings every
trainwell.json records), one interval for a figure shown twice, whole numbers with thousands separators, and
the true class as the model names it when the file spells it otherwise (Adult's test file's '>50K.')."""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trainwell
from trainwell.datasets import adult_sample
from trainwell.report import build_report
from trainwell.report._html import format_value, table


@pytest.fixture(scope="module")
def adult() -> pd.DataFrame:
    return adult_sample()


@pytest.fixture(scope="module")
def mlp_dir(tmp_path_factory: pytest.TempPathFactory, adult: pd.DataFrame) -> Path:
    out = tmp_path_factory.mktemp("mlp") / "model"
    trainwell.fit_table(adult.head(1200), "income", out=out, epochs=2, lr=1e-2, progress=False)
    return out


@pytest.fixture(scope="module")
def trees_dir(tmp_path_factory: pytest.TempPathFactory, adult: pd.DataFrame) -> Path:
    out = tmp_path_factory.mktemp("trees") / "model"
    trainwell.fit_table(adult.head(1200), "income", out=out, arch="gbdt", progress=False)
    return out


@pytest.fixture(scope="module")
def held_out(tmp_path_factory: pytest.TempPathFactory, adult: pd.DataFrame) -> Path:
    # Labelled as UCI Adult's test file writes them: '>50K.' and '<=50K.', with a trailing period.
    rows = adult.tail(400).reset_index(drop=True).copy()
    rows["income"] = rows["income"] + "."
    path = tmp_path_factory.mktemp("data") / "adult.test.csv"
    rows.to_csv(path, index=False)
    return path


def _section(page: str, anchor: str) -> str:
    return page.split(f'<section id="{anchor}">', 1)[1].split("</section>", 1)[0]


def _rows(section: str) -> list[list[str]]:
    """The text of each body row's cells of the first table in ``section``."""
    body = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [html.unescape(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in body.split("</tr>")
        if "<td" in row
    ]


def _settings(page: str) -> dict[str, str]:
    return {row[0]: row[1] for row in _rows(_section(page, "settings"))}


def test_a_trees_report_shows_their_settings_not_an_optimizers(trees_dir: Path, tmp_path: Path) -> None:
    # The report of an --arch auto fit that kept trees listed optimizer adamw, weight decay 0.01, loss
    # BCEWithLogits, float32 and 1 epoch, beside a page saying trees are not trained by gradient steps.
    import json

    page = build_report(trees_dir, None, tmp_path / "trees.html").read_text(encoding="utf-8")
    settings = _settings(page)
    kept = json.loads((trees_dir / "trainwell.json").read_text())["architecture"]["config"]["settings"]
    for gradient_only in ("optimizer", "weight decay", "forward pass float type", "epochs recorded", "loss"):
        assert gradient_only not in settings, settings
    assert settings["architecture"] == "gbdt"
    assert settings["loss the trees minimise"] == "log loss"
    # fit with validation rows: the trees stopped on them (an inner tenth of the training rows without them)
    assert settings["boosting rounds"].startswith(f"{kept['n_iter']} (early stopping on the validation rows")
    assert "stopped_on" not in settings  # said in the rounds' row, not as a row of its own
    assert settings["boosting rounds"].endswith(f"at most {kept['max_iter']})")
    assert settings["learning rate"] == format_value(kept["learning_rate"])
    assert settings["leaves a tree, at most"] == str(kept["max_leaf_nodes"])
    assert settings["training rows a leaf, at least"] == str(kept["min_samples_leaf"])
    assert "<h2>How it was fitted: settings</h2>" in page and "How it was trained" not in page
    figures = [row[0] for row in _rows(_section(page, "recorded"))]
    assert "train_loss" not in figures and "valid_loss" in figures  # never measured: no blank row
    assert "<th>after fitting</th>" in page and "<th>measured on</th>" in page  # no epoch to name


def test_an_mlp_report_still_shows_its_training_settings(mlp_dir: Path, tmp_path: Path) -> None:
    page = build_report(mlp_dir, None, tmp_path / "mlp.html").read_text(encoding="utf-8")
    settings = _settings(page)
    assert settings["optimizer"] == "adamw" and settings["epochs recorded"] == "2"
    assert "boosting rounds" not in settings and "<h2>How it was trained</h2>" in page
    assert "train_loss" in [row[0] for row in _rows(_section(page, "recorded"))]


def _interval(cell: str) -> tuple[str, str]:
    low, high = cell.strip("[]").split(", ")
    return low, high


def test_a_figure_shown_twice_has_one_interval(mlp_dir: Path, held_out: Path, tmp_path: Path) -> None:
    # F1 0.7581 read [0.6667, 0.8327] in the metrics and 0.6723 to 0.8382 beside its class: 1,000 resamples in
    # one table, 300 in the other. The positive class's F1 is the metrics' f1; the weighted recall is accuracy.
    with pytest.warns(UserWarning, match="were read as them"):
        page = build_report(mlp_dir, held_out, tmp_path / "r.html").read_text(encoding="utf-8")
    metrics = {row[0]: row for row in _rows(_section(page, "metrics"))}
    classes = {row[0]: row for row in _rows(_section(page, "classes"))}
    positive = classes[">50K"]  # class, support, predicted, precision, [..], recall, [..], F1, [..]
    assert metrics["f1"][1] == positive[7]
    assert metrics["f1"][2] == positive[8]
    weighted = classes["weighted average (by rows)"]
    assert metrics["accuracy"][1] == weighted[5] and metrics["accuracy"][2] == weighted[6]
    low, high = _interval(metrics["f1"][2])
    assert f"F1 {positive[7]} (95% interval {low} to {high})" in html.unescape(_section(page, "classes"))


def test_whole_numbers_from_ten_thousand_have_thousands_separators(
    mlp_dir: Path, held_out: Path, tmp_path: Path
) -> None:
    assert [format_value(v) for v in (12435, np.int64(12435), -20000, 9999, 2009, True)] == [
        "12,435",
        "12,435",
        "-20,000",
        "9999",
        "2009",
        "True",
    ]
    assert format_value(12435.0) == format_value(12435)  # a whole number reads alike as int or float
    # In a table, a column that reaches 10,000 writes its numbers from 1,000 up alike: 3,846 under 12,435 (the
    # support of Adult's two classes read 12,435 and 3846); a column of years stays as it is.
    cells = re.findall(
        r"<td[^>]*>(.*?)</td>",
        table(["class", "support", "year", "share"], [("a", 12435, 2009, 0.5), ("b", 3846, 1999, 1234.5)]),
    )
    # Other numbers to 4 decimals, as the command line's tables write them.
    assert cells == ["a", "12,435", "2009", "0.5000", "b", "3,846", "1999", "1234.5000"], cells
    with pytest.warns(UserWarning, match="were read as them"):
        page = build_report(mlp_dir, held_out, tmp_path / "r.html").read_text(encoding="utf-8")
    top = _section(page, "top-losses")
    header = re.findall(r"<th>(.*?)</th>", top)
    weights = [row[header.index("fnlwgt")] for row in _rows(top)]
    assert weights and all(re.fullmatch(r"\d{1,3}(,\d{3})+", weight) for weight in weights), weights
    assert '<td class="number">' + weights[0] + "</td>" in top  # still aligned as a number


def test_the_true_class_is_named_as_the_model_names_it(mlp_dir: Path, held_out: Path, tmp_path: Path) -> None:
    # The labels '>50K.' are read as the class '>50K' (with a warning); the top losses wrote '>50K.' as actual.
    with pytest.warns(UserWarning, match="'>50K.' as '>50K'"):
        page = build_report(mlp_dir, held_out, tmp_path / "r.html").read_text(encoding="utf-8")
    top = _section(page, "top-losses")
    header = re.findall(r"<th>(.*?)</th>", top)
    actual = {row[header.index("actual")] for row in _rows(top)}
    assert actual and actual <= {">50K", "<=50K"}, actual
    labels = pd.read_csv(held_out)["income"]
    rows = [int(row[0]) for row in _rows(top)]
    for row, shown in zip(rows, (row[header.index("actual")] for row in _rows(top)), strict=True):
        assert labels.iloc[row - 1] == shown + "."  # the file's row, its label without the period
