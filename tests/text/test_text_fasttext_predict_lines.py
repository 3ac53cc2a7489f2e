"""``trainwell predict`` on a fastText file (``__label__pos a great film`` a line) numbers each answer by the line
its text is on, blank lines counted, as it numbers a .txt file's and as the report names a fastText file's texts:
it gave no number, and its answers, one a text, drifted from the file's lines at each blank line."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from text_samples import reviews
from trainwell.cli.app import app
from trainwell.text import fit_texts
from trainwell.text._fasttext import fasttext_lines


@pytest.fixture(scope="module")
def text_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fasttext-predict") / "model"
    fit_texts(reviews(300, 0), text_col="review", target="sentiment", out=out, epochs=5, progress=False)
    return out


def _fasttext_file(path: Path) -> list[str]:
    """12 labelled reviews with blank lines among them (one of spaces, \\r\\n endings in the first part); the
    file's lines as an editor shows them."""
    rows = reviews(12, 2)
    lines = [
        f"__label__{label} {review}" for review, label in zip(rows["review"], rows["sentiment"], strict=True)
    ]
    lines[0:0] = [""]
    lines[4:4] = ["   ", ""]
    lines[10:10] = [""]
    path.write_bytes(("\r\n".join(lines[:6]) + "\r\n" + "\n".join(lines[6:]) + "\n").encode("utf-8"))
    return lines


def _predict(*args: str | Path) -> pd.DataFrame:
    return _predicted(*args)[0]


def _predicted(*args: str | Path) -> tuple[pd.DataFrame, str]:
    """The table ``trainwell predict ARGS`` wrote, and what it said on standard error."""
    result = CliRunner().invoke(app, ["predict", *map(str, args)])
    assert result.exit_code == 0, result.output
    return pd.read_csv(io.StringIO(result.stdout)), result.stderr


def test_each_answer_names_the_line_its_text_is_on(text_model: Path, tmp_path: Path) -> None:
    path = tmp_path / "test.ft.txt"
    lines = _fasttext_file(path)
    texted = [number for number, line in enumerate(lines, 1) if line.strip()]
    assert texted[:4] == [2, 3, 4, 7] and fasttext_lines(path) == texted
    table, said = _predicted(text_model, path)
    assert list(table.columns) == ["line", "prediction", "probability_pos"]
    assert table["line"].tolist() == texted
    assert "note: skipped 4 blank lines of" in said and "(lines 1, 5, 6, 11)" in said, said
    # The file's own labels (--keep label) sit beside the answers for those lines
    kept = _predict(text_model, path, "--keep", "label")
    assert list(kept.columns) == ["line", "label", "prediction", "probability_pos"]
    for line, label in zip(kept["line"], kept["label"], strict=True):
        assert lines[line - 1].startswith(f"__label__{label} ")
    assert (kept["prediction"] == kept["label"]).mean() > 0.8  # the answers are those of the lines named
    # A submission (--label-only) keeps the line, as for a .txt file
    assert list(_predict(text_model, path, "--label-only").columns) == ["line", "sentiment"]


def test_a_plain_text_file_is_numbered_alike(text_model: Path, tmp_path: Path) -> None:
    path = tmp_path / "texts.txt"
    lines = [
        line.split(" ", 1)[1] if line.strip() else line for line in _fasttext_file(tmp_path / "x.ft.txt")
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _predict(text_model, path)["line"].tolist() == fasttext_lines(tmp_path / "x.ft.txt")


def test_out_of_fold_predictions_of_a_fasttext_file_go_by_its_lines(tmp_path: Path) -> None:
    """``evaluate --oof`` on a fastText file: each text's out-of-fold answer beside the line it is on (numbered by
    position, they drifted from the file's lines at each blank line), as predict numbers them; a table keeps
    ``row``."""
    import trainwell

    rows = reviews(60, 3)
    lines = [
        f"__label__{label} {review}" for review, label in zip(rows["review"], rows["sentiment"], strict=True)
    ]
    lines[10:10] = ["", "  "]
    lines[40:40] = [""]
    path = tmp_path / "reviews.ft.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    oof = trainwell.evaluate_texts(str(path), cv=2, baselines=False).out_of_fold()
    assert list(oof.columns[:2]) == ["line", "fold"]
    assert oof["line"].tolist() == fasttext_lines(path)
    for line, actual in zip(oof["line"], oof["actual"], strict=True):
        assert lines[line - 1].startswith(f"__label__{actual} ")
    table = trainwell.evaluate_texts(rows, text_col="review", target="sentiment", cv=2, baselines=False)
    assert table.out_of_fold().columns[0] == "row"
