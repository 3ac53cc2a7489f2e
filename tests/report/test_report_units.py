"""The report counts what it judged in the data's own unit: an image classifier's most confused pairs are counted
in images and a text classifier's in texts (a tour read a ``rows`` column on an image report), a table's in rows;
and a fastText file's top losses go by the line each text is on (the report said "the first row after the
header", and a file of no header whose blank lines are skipped numbered its texts off by the blank lines)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import torch

from image_files import make_image_folder
from text_samples import reviews
from trainwell.data.task import infer_task
from trainwell.report import build_report
from trainwell.report._outputs import label_sections
from trainwell.report.build import _classification_sections, _interpretation
from trainwell.text import fit_texts
from trainwell.text._fasttext import fasttext_lines
from trainwell.vision import image_data, vision_learner


def _section(html: str, heading: str) -> str:
    return html.split(f"<h2>{heading}</h2>", 1)[1].split("</section>", 1)[0]


def _cells(table: str) -> list[list[str]]:
    body = table.split("<tbody>", 1)[1]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in body.split("</tr>") if "<td" in row]


def _confusion(unit: str, wrong: int) -> str:
    """The confusion sections of a 12-class model that gets 3 examples of each class right and the first
    ``wrong`` classes once wrong each (class i taken for the next, the last for the first): ``wrong`` pairs seen once."""
    classes = [f"c{index:02d}" for index in range(12)]
    right = [index for index in range(12) for _ in range(3)]
    actual = right + list(range(wrong))
    predicted = right + [(index + 1) % 12 for index in range(wrong)]
    task = infer_task(pd.Series([classes[i] for i in actual]), name="y")
    probabilities = torch.full((len(actual), 12), 0.01)
    probabilities[torch.arange(len(actual)), torch.tensor(predicted)] = 0.89
    targets = torch.tensor(actual)
    return "".join(_classification_sections(_interpretation(task, probabilities, targets), unit=unit))


def test_the_most_confused_pairs_are_counted_in_the_unit_judged() -> None:
    images = _section(_confusion("image", 11), "Confusion matrix")
    assert "<th>images</th>" in images and "<th>rows</th>" not in images
    assert len(_cells(images)) == 10  # the rest are counted below, one pair of one image: singular
    assert "1 more pairs (1 image, at most 1 each) are not listed" in images, images
    texts = _section(_confusion("text", 12), "Confusion matrix")
    assert "<th>texts</th>" in texts and "2 more pairs (2 texts, at most 1 each)" in texts
    assert "No image was misclassified." in _section(_confusion("image", 0), "Confusion matrix")
    rows = _section(_confusion("row", 11), "Confusion matrix")  # a table's model: rows, as before
    assert "<th>rows</th>" in rows and "(1 row, at most 1 each)" in rows
    per_class = _section(_confusion("image", 11), "Per-class quality")
    assert "rows" not in per_class and "weighted average (by images)" in per_class


def test_a_multilabel_models_calibration_pools_the_unit_judged() -> None:
    task = infer_task(pd.Series(["a b", "b", "a", ""]), name="tags", kind="multilabel", label_delim=" ")
    targets = task.encode(pd.Series(["a b", "b", "a", ""]))
    probabilities = torch.tensor([[0.9, 0.8], [0.2, 0.7], [0.6, 0.4], [0.1, 0.3]])
    html = "".join(label_sections(task, probabilities, targets, unit="image"))
    assert "Every (image, label) decision pooled" in html and "(row, label)" not in html
    assert "<th>images with it</th>" in html


@pytest.fixture(scope="module")
def text_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fasttext") / "model"
    fit_texts(reviews(300, 0), text_col="review", target="sentiment", out=out, epochs=5, progress=False)
    return out


def _fasttext_file(path: Path) -> tuple[Path, list[str], set[int]]:
    """40 reviews as fastText lines, blank lines (one of spaces; \\r\\n endings, then \\n) among them and 4
    labels flipped, so that there are confusions and sure top losses; the file's lines as an editor shows them,
    and the numbers of the flipped ones."""
    rows = reviews(40, 3)
    lines: list[str] = []
    flipped: set[int] = set()
    for index, (review, sentiment) in enumerate(zip(rows["review"], rows["sentiment"], strict=True)):
        if index in (0, 7, 8, 21):
            lines.append("   " if index == 7 else "")
        label = sentiment
        if index in (3, 12, 22, 31):
            label = "neg" if sentiment == "pos" else "pos"
            flipped.add(len(lines) + 1)
        lines.append(f"__label__{label} {review}")
    path.write_bytes(("\r\n".join(lines[:10]) + "\r\n" + "\n".join(lines[10:]) + "\n").encode("utf-8"))
    return path, lines, flipped


def test_a_fasttext_files_top_losses_go_by_the_line_each_text_is_on(text_model: Path, tmp_path: Path) -> None:
    path, lines, flipped = _fasttext_file(tmp_path / "valid.txt")
    assert fasttext_lines(path) == [number for number, line in enumerate(lines, 1) if line.strip()]
    html = build_report(text_model, path, tmp_path / "report.html", top_k=8).read_text(encoding="utf-8")
    top = _section(html, "Top losses")
    assert "<th>line</th>" in top and "<th>row</th>" not in top
    assert "line: the text&#x27;s line in the file, counted from 1" in top and "header" not in top
    cells = _cells(top)
    assert len(cells) == 8
    for number, _actual, _predicted, _probability, _loss, text in cells:
        assert lines[int(number) - 1].split(" ", 1)[1] == text  # the line of that number holds that text
    # The flipped labels are the worst, each named by its own line
    assert flipped <= {int(row[0]) for row in cells}, cells
    assert "On 40 labelled texts from " in _section(html, "Metrics on held-out data")
    confusion = _section(html, "Confusion matrix")
    assert "<th>texts</th>" in confusion and "<th>rows</th>" not in confusion


def test_a_table_of_texts_keeps_its_row_numbers(text_model: Path, tmp_path: Path) -> None:
    path = tmp_path / "valid.csv"
    reviews(30, 4).to_csv(path, index=False)
    assert fasttext_lines(path) is None
    top = _section(
        build_report(text_model, path, tmp_path / "r.html").read_text(encoding="utf-8"), "Top losses"
    )
    assert "<th>row</th>" in top and "counted from 1 (the first row after the header)" in top


def test_an_image_report_counts_images(tmp_path: Path) -> None:
    make_image_folder(tmp_path / "train", ("horizontal", "vertical", "square"), per_class=12, seed=0)
    valid = make_image_folder(tmp_path / "valid", ("horizontal", "vertical", "square"), per_class=4, seed=1)
    for name in ("000.png", "001.png"):  # squares filed as horizontal bars: sure confusions
        (valid / "square" / name).rename(valid / "horizontal" / f"square-{name}")
    torch.manual_seed(0)
    learn = vision_learner(image_data(tmp_path / "train"), progress=False)
    learn.fit_one_cycle(1, 3e-3)
    learn.export(tmp_path / "model")
    # top_k=1: the top losses (their occlusion maps, most of an image report's time) are not read here
    html = build_report(tmp_path / "model", valid, tmp_path / "report.html", top_k=1).read_text(
        encoding="utf-8"
    )
    confusion = _section(html, "Confusion matrix")
    assert (
        "<th>images</th>" in confusion or "No image was misclassified." in confusion
    ) and "row" not in confusion
    recorded = build_report(tmp_path / "model", None, tmp_path / "recorded.html").read_text(encoding="utf-8")
    assert "on its own validation images" in recorded and "Pass labelled images" in recorded
    assert "--data FOLDER" in recorded and "validation rows" not in recorded
