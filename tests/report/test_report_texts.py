"""The HTML report on a text classifier: metrics, confusion, calibration and the worst texts as snippets."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from report_browser import dump_dom

from text_samples import reviews
from trainwell.core.errors import DataError
from trainwell.report import build_report
from trainwell.report._text import snippet
from trainwell.text import fit_texts


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("texts") / "model"
    fit_texts(reviews(300, 0), text_col="review", target="sentiment", out=out, epochs=5, progress=False)
    return out


def test_report_lists_the_worst_texts_escaped(model_dir: Path, tmp_path: Path) -> None:
    rows = reviews(60, 1)
    rows.loc[0, "review"] = "<script>alert(1)</script> " + rows.loc[0, "review"]
    rows.loc[0, "sentiment"] = "neg" if rows.loc[0, "sentiment"] == "pos" else "pos"  # a sure top loss
    path = tmp_path / "labelled.csv"
    rows.to_csv(path, index=False)
    html = build_report(model_dir, path, tmp_path / "report.html").read_text(encoding="utf-8")
    for heading in (
        "Training curves",
        "Metrics on held-out data",
        "Confusion matrix",
        "Calibration",
        "Top losses",
    ):
        assert f"<h2>{heading}</h2>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script" not in html.lower()
    assert "texts" in html and re.search(r"<th>text</th>", html)
    assert "trained the model" not in html


def test_the_top_losses_name_the_true_class_as_the_model_does(model_dir: Path, tmp_path: Path) -> None:
    # Labels spelled otherwise ('pos.', as UCI Adult's test file writes '>50K.') are read as the classes; the
    # top losses showed the file's spelling as the actual class beside the model's 'neg'.
    rows = reviews(60, 1)
    rows["sentiment"] = rows["sentiment"] + "."
    path = tmp_path / "labelled.csv"
    rows.to_csv(path, index=False)
    with pytest.warns(UserWarning, match="'pos.' as 'pos'"):
        html = build_report(model_dir, path, tmp_path / "report.html").read_text(encoding="utf-8")
    top = html.split("<h2>Top losses</h2>", 1)[1].split("</section>", 1)[0]
    body = top.split("<tbody>", 1)[1]
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in body.split("</tr>") if "<td" in row]
    assert cells and {row[1] for row in cells} <= {"pos", "neg"}, cells
    assert all(rows["sentiment"].iloc[int(row[0]) - 1] == row[1] + "." for row in cells)


def test_a_report_on_the_training_texts_says_so(model_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    reviews(300, 0).to_csv(path, index=False)
    with pytest.warns(
        UserWarning, match=r"of these texts trained the model .*: the report's metrics measure the fit"
    ):
        html = build_report(model_dir, path, tmp_path / "report.html").read_text(encoding="utf-8")
    share = int(re.search(r"Warning: (?:about )?(\d+)% of these texts trained the model", html).group(1))
    assert 65 <= share <= 95 and "<h2>Metrics on texts the model trained on</h2>" in html


def test_a_missing_text_column_is_a_clear_error(model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="text column 'review' not found"):
        build_report(model_dir, reviews(10, 2).rename(columns={"review": "body"}), tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def test_a_text_file_of_unlabelled_lines_is_named_as_such(model_dir: Path, tmp_path: Path) -> None:
    # Read as a CSV, its first text was taken for a header: "text column 'review' not found in texts.txt;
    # ... Columns are: a fine film, with a plot" -- a column list that was the user's review.
    lines = tmp_path / "texts.txt"
    lines.write_text("a fine film, with a plot\ndull and slow\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        build_report(model_dir, lines, tmp_path / "r.html")
    assert str(info.value) == (
        f"{lines} holds texts one per line, without their labels; judging a model needs labelled texts: a table "
        "(CSV, TSV, Parquet or JSON lines) with the columns 'review' and 'sentiment'"
    )


def test_snippets_are_one_line_and_cut_at_a_word() -> None:
    assert snippet("a  b\n  c") == "a b c"
    long = "word " * 200
    cut = snippet(long, 50)
    assert cut.endswith(" …") and len(cut) <= 52 and "\n" not in cut


def test_text_report_renders_in_headless_chromium(model_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "labelled.csv"
    reviews(40, 3).to_csv(path, index=False)
    dom = dump_dom(build_report(model_dir, path, tmp_path / "report.html"), tmp_path / "profile")
    for heading in ("Metrics on held-out data", "Confusion matrix", "Top losses"):
        assert heading in dom


def _topics(n: int, seed: int) -> pd.DataFrame:
    """Texts about sport, food or both ('|'-separated labels), the topic words among filler."""
    rng = np.random.default_rng(seed)
    words = {"sport": ["goal", "match", "team"], "food": ["bread", "soup", "cheese"]}
    filler = ["the", "a", "today", "we", "saw", "very", "and"]
    rows = []
    for _ in range(n):
        labels = [name for name in words if rng.random() < 0.5] or ["sport"]
        tokens = [str(rng.choice(filler)) for _ in range(6)] + [
            str(rng.choice(words[name])) for name in labels
        ]
        rng.shuffle(tokens)
        rows.append((" ".join(tokens), "|".join(labels)))
    return pd.DataFrame(rows, columns=["text", "topic"])


def test_a_multilabel_text_report_judges_each_label(tmp_path: Path) -> None:
    out = tmp_path / "model"
    fit_texts(
        _topics(300, 0), text_col="text", target="topic", label_delim="|", out=out, epochs=5, progress=False
    )
    path = tmp_path / "valid.csv"
    valid = _topics(80, 1)
    valid.to_csv(path, index=False)
    text = build_report(out, path, tmp_path / "report.html").read_text(encoding="utf-8")
    for heading in ("Metrics on held-out data", "Per-label quality", "Calibration", "Top losses"):
        assert f"<h2>{heading}</h2>" in text
    assert "multi-label text classifier predicting" in text
    body = text.split("<h2>Per-label quality</h2>", 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    labels = {
        cells[0]: cells
        for cells in (re.findall(r"<td[^>]*>(.*?)</td>", row) for row in body.split("</tr>"))
        if cells
    }
    assert set(labels) == {"sport", "food"}
    assert int(labels["food"][1]) == int(valid["topic"].str.contains("food").sum())
    header = text.split("<h2>Top losses</h2>", 1)[1].split("</thead>", 1)[0]
    assert "missed" in header and "wrongly added" in header and "<th>text</th>" in header
