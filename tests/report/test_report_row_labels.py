"""The report's top losses name each row as the user finds it: a DataFrame's row by its own index label
(``df.loc[label]``, as ``top_losses()`` and ``learn.predict(df)`` name it), a file's by its data row. The index was
reset and the rows of a DataFrame numbered from 1 "after the header": row 3 of a frame indexed by ids, filtered or
shuffled, named some other row."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import trainwell
from text_samples import reviews
from trainwell.data.task import Task
from trainwell.report import build_report
from trainwell.report._outputs import shown_row
from trainwell.report._text import _top_texts_section
from trainwell.report.build import _top_losses_section
from trainwell.text import fit_texts

# The small models here learn little (a leak warning, a score below the mean's): the tests read only row names.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

#: Where the outlier sits among the rows judged, and the label a DataFrame gives it.
OUTLIER = 12


def _rows(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({"x": x, "z": rng.normal(size=n), "y": 3 * x + rng.normal(scale=0.1, size=n)})


def _top_cells(html: str) -> list[list[str]]:
    """The cells of each row of the report's top-losses table, in order."""
    section = html.split("<h2>Top losses</h2>", 1)[1].split("</section>", 1)[0]
    body = section.split("<tbody>", 1)[1]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in body.split("</tr>") if "<td" in row]


@pytest.fixture(scope="module")
def table_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rows") / "model"
    trainwell.fit_table(_rows(300, 0), "y", out=out, epochs=1, lr=1e-2, progress=False)
    return out


def _judged() -> pd.DataFrame:
    """Rows to judge with one sure top loss, at position :data:`OUTLIER`, indexed by shuffled ids."""
    rows = _rows(40, 1)
    rows.loc[OUTLIER, "y"] = 500.0
    order = np.random.default_rng(2).permutation(len(rows))
    return rows.set_axis([f"id-{i}" for i in order])


def test_a_dataframes_top_losses_are_named_by_its_index_labels(table_model: Path, tmp_path: Path) -> None:
    frame = _judged()
    html = build_report(table_model, frame, tmp_path / "report.html", top_k=10).read_text(encoding="utf-8")
    cells = _top_cells(html)
    assert cells[0][0] == frame.index[OUTLIER]  # the worst row: df.loc finds it
    for row in cells:  # each named row is the row shown: its actual value is that row's target
        assert row[0] in frame.index, row
        assert float(row[1]) == pytest.approx(float(frame.loc[row[0], "y"]), rel=1e-3)
    assert "df.loc[row] is the row" in html
    assert "counted from 1 (the first row after the header)" not in html


def test_a_files_top_losses_keep_its_data_row_numbers(table_model: Path, tmp_path: Path) -> None:
    frame = _judged()
    path = tmp_path / "judged.csv"
    frame.to_csv(path, index=False)
    html = build_report(table_model, path, tmp_path / "report.html", top_k=10).read_text(encoding="utf-8")
    cells = _top_cells(html)
    assert cells[0][0] == str(OUTLIER + 1)  # data row 13: line 14 of the file
    assert path.read_text().splitlines()[OUTLIER + 1].endswith(",500.0")
    for row in cells:
        assert float(row[1]) == pytest.approx(float(frame["y"].iloc[int(row[0]) - 1]), rel=1e-3)
    assert "counted from 1 (the first row after the header)" in html


def test_a_dataframe_with_integer_labels_is_named_by_them_not_by_position() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [1.0, 5.0, 3.0]}, index=[30, 10, 20])
    task = Task("regression", (), ("y",))
    section = _top_losses_section(
        task, torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 5.0, 3.0]), frame, ["x"], 3, frame.index
    )
    # The worst row (y 5) is the frame's row labelled 10, its second row: it was "2".
    assert '<tr><td class="number">10</td><td class="number">5.0000</td>' in section
    assert "df.loc[row] is the row" in section


def test_shown_row_reads_labels_as_plain_values() -> None:
    assert shown_row(4) == 5
    assert shown_row(1, pd.Index(np.array([7, 9], dtype=np.int64))) == 9
    assert type(shown_row(1, pd.Index(np.array([7, 9], dtype=np.int64)))) is int
    assert shown_row(0, pd.MultiIndex.from_tuples([("a", 1)])) == "a, 1"


@pytest.fixture(scope="module")
def text_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("texts") / "model"
    fit_texts(reviews(120, 0), text_col="review", target="sentiment", out=out, epochs=1, progress=False)
    return out


def test_a_text_models_top_losses_name_a_dataframes_rows_by_label(text_model: Path, tmp_path: Path) -> None:
    frame = reviews(30, 1)
    frame = frame.set_axis([f"review-{i}" for i in np.random.default_rng(3).permutation(len(frame))])
    html = build_report(text_model, frame, tmp_path / "report.html", top_k=8).read_text(encoding="utf-8")
    cells = _top_cells(html)
    assert len(cells) == 8
    for row in cells:  # row, actual, predicted, probability, loss, text
        assert row[0] in frame.index, row
        assert row[1] == frame.loc[row[0], "sentiment"]
    assert "df.loc[row] is the row" in html


def test_a_text_files_top_losses_keep_its_data_rows() -> None:
    task = Task("regression", (), ("y",))
    frame = pd.DataFrame({"text": ["a b", "c d", "e f"], "y": [1.0, 5.0, 3.0]})
    args = (task, frame, "text", "y", torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 5.0, 3.0]))
    losses = np.array([0.0, 9.0, 0.0])
    as_file = _top_texts_section(*args, losses, 1)
    assert '<tr><td class="number">2</td>' in as_file and "counted from 1" in as_file
    labelled = _top_texts_section(*args, losses, 1, pd.Index(["p", "q", "r"]))
    assert "<tr><td>q</td>" in labelled and "df.loc[row] is the row" in labelled


def test_a_bad_value_in_a_dataframe_is_named_by_its_label_too(table_model: Path, tmp_path: Path) -> None:
    from trainwell.core.errors import DataError

    frame = _judged()
    frame.iloc[OUTLIER, frame.columns.get_loc("x")] = 1e300
    label = frame.index[OUTLIER]
    with pytest.raises(DataError, match=rf"holds 1e\+300 \(data row {OUTLIER + 1}, index {label}\)"):
        build_report(table_model, frame, tmp_path / "report.html")
