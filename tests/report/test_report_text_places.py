"""A text report names each text it shows where its reader finds it in their own files: a folder of texts by the
file's path (relative to the folder given), a folder of files of a text a line (rt-polarity's) by the file and the
line, as an editor numbers it. The report said "row: ... (the first row after the header)" of a folder, which has
no rows and no header."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from text_samples import imdb_layout, reviews
from trainwell.report import build_report
from trainwell.text import fit_texts


def _top_losses(html: str) -> tuple[list[str], list[list[str]], str]:
    """The top-losses table's header, its rows' cells (HTML entities left as written) and the note above it."""
    section = html.split("<h2>Top losses</h2>", 1)[1].split("</section>", 1)[0]
    header = re.findall(r"<th>(.*?)</th>", section.split("<tbody>", 1)[0])
    body = section.split("<tbody>", 1)[1]
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in body.split("</tr>") if "<td" in row]
    return header, cells, section.split("<table", 1)[0]


@pytest.fixture(scope="module")
def text_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("places") / "model"
    fit_texts(reviews(300, 0), text_col="review", target="sentiment", out=out, epochs=5, progress=False)
    return out


def test_a_folders_texts_are_named_by_their_file(text_model: Path, tmp_path: Path) -> None:
    root = imdb_layout(tmp_path / "aclImdb")
    # Two reviews filed under the wrong label: sure top losses, each to be found by its file.
    for name in ("0.txt", "2.txt"):
        (root / "test" / "pos" / name).rename(root / "test" / "neg" / f"moved-{name}")
    html = build_report(text_model, root, tmp_path / "report.html", top_k=6).read_text(encoding="utf-8")
    header, cells, note = _top_losses(html)
    assert header == ["file", "actual", "predicted", "probability", "loss", "text"]
    assert "file: the text&#x27;s file, relative to &#x27;" in note and "aclImdb" in note
    assert "row" not in note and "header" not in note
    assert len(cells) == 6
    for file, actual, _predicted, _probability, _loss, text in cells:
        path = root / file  # relative to the folder given: test/<label>/<name>.txt
        assert file.startswith("test/") and path.read_text(encoding="utf-8") == text
        assert path.parent.name == actual
    assert {"test/neg/moved-0.txt", "test/neg/moved-2.txt"} <= {row[0] for row in cells}, cells


def test_a_file_of_a_text_a_line_names_the_file_and_the_line(text_model: Path, tmp_path: Path) -> None:
    folder = tmp_path / "rt-polaritydata"
    folder.mkdir()
    frame = reviews(30, 5)
    written: dict[str, list[str]] = {}
    for label, rows in frame.groupby("sentiment"):
        # rt-polarity's " \n" endings, with blank lines among the texts: a line's number is not a text's.
        lines = [f"{review} " for review in rows["review"]]
        lines[2:2] = ["", "   "]
        if label == "pos":
            lines.append("the movie was and plot dreadful awful terrible ")  # a sure top loss, line 18
        written[str(label)] = lines
        name = f"rt-polarity.{label}" + (".gz" if label == "neg" else "")
        data = "\n".join(lines).encode("utf-8") + b"\n"
        (folder / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    html = build_report(text_model, folder, tmp_path / "report.html", top_k=5).read_text(encoding="utf-8")
    header, cells, note = _top_losses(html)
    assert header[:3] == ["file", "line", "actual"]
    assert "and line: its line there, counted from 1" in note and "header" not in note
    assert cells[0][:3] == ["rt-polarity.pos", "18", "pos"], cells
    for file, line, actual, *_rest, text in cells:
        assert file == f"rt-polarity.{actual}" + (".gz" if actual == "neg" else "")
        assert written[actual][int(line) - 1].strip() == text  # counted as an editor shows the file


def test_a_table_still_goes_by_its_rows(text_model: Path, tmp_path: Path) -> None:
    path = tmp_path / "valid.csv"
    reviews(20, 6).to_csv(path, index=False)
    header, _cells, note = _top_losses(
        build_report(text_model, path, tmp_path / "report.html").read_text(encoding="utf-8")
    )
    assert header[0] == "row" and "counted from 1 (the first row after the header)" in note
