"""``trainwell predict`` of a multi-label text model trained on labels written as codes (GoEmotions' layout):
``--keep`` of the target shows the names predicted, rows with no label are counted and ``--at-least-one`` fills
them, and blank lines of a file of one text a line are said while the ``line`` column keeps the rows traceable."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_support import CliResult, run_cli, run_cli_many

import trainwell
from process_support import run_trainwell

pytestmark = pytest.mark.slow

NAMES = ["sunny", "rainy", "busy"]
WORDS = {0: "sun", 1: "rain", 2: "crowd"}


def _weather(n: int, seed: int) -> pd.DataFrame:
    """Texts with none to all three labels written as ids ('0,2'; empty: none), no header row: a text holds a
    word for each of its labels, so a text of filler words alone has none."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        ids = [label for label in WORDS if rng.random() < 0.4]
        filler = rng.choice(["a", "the", "day", "walk", "town"], size=4).tolist()
        rows.append((" ".join([*filler, *(WORDS[i] for i in ids)]), ",".join(map(str, ids))))
    return pd.DataFrame(rows, columns=["text", "labels"])


@pytest.fixture(scope="module")
def weather(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A model fitted on 300 such texts, and a held-out TSV of 80 in the same layout."""
    folder = tmp_path_factory.mktemp("weather")
    train, test, names = folder / "train.tsv", folder / "test.tsv", folder / "names.txt"
    _weather(300, 0).to_csv(train, sep="\t", header=False, index=False)
    _weather(80, 1).to_csv(test, sep="\t", header=False, index=False)
    names.write_text("\n".join(NAMES) + "\n", encoding="utf-8")
    fit = run_cli(
        "fit", train, "--names", "text,labels", "--text", "text", "--target", "labels", "--label-delim", ",",
        "--label-names", names, "--epochs", "4", "--out", folder / "model",
    )  # fmt: skip
    assert fit.returncode == 0, fit.explain()
    return folder / "model", test


def _table(result: CliResult) -> pd.DataFrame:
    assert result.returncode == 0, result.explain()
    return pd.read_csv(io.StringIO(result.stdout), keep_default_na=False)


def test_kept_target_codes_are_written_as_the_names_the_model_predicts(weather: tuple[Path, Path]) -> None:
    model, test = weather
    result = run_cli("predict", model, test, "--keep", "labels")
    table = _table(result)
    assert list(table.columns[:2]) == ["labels", "prediction"]
    codes = pd.read_csv(test, sep="\t", header=None, names=["text", "labels"], keep_default_na=False)[
        "labels"
    ]
    expected = [",".join(NAMES[int(code)] for code in cell.split(",") if code) for cell in codes.astype(str)]
    assert table["labels"].tolist() == expected and "sunny,busy" in expected  # '0,2' read as both names
    assert "note: --keep labels: the training target's labels, written as codes, are written as the names the " \
        "model predicts (0 as sunny, 1 as rainy, 2 as busy)" in result.stderr  # fmt: skip


def test_rows_without_a_label_are_counted_and_at_least_one_gives_them_their_likeliest(
    weather: tuple[Path, Path],
) -> None:
    model, test = weather
    plain, filled = run_cli_many([("predict", model, test), ("predict", model, test, "--at-least-one")])
    before, after = _table(plain), _table(filled)
    empty = before["prediction"] == ""
    count = int(empty.sum())
    assert count >= 10  # the texts of filler words alone: no label over its threshold
    share = f"{count} of 80 predictions ({count / 80:.1%})"
    assert (
        f"note: {share} hold no label: no label's probability reached its threshold; --at-least-one "
        in plain.stderr
    )
    assert (
        f"--at-least-one: {share} held no label over its threshold and hold their likeliest label instead"
        in (filled.stderr)
    )
    assert (after["prediction"] != "").all()
    assert after.loc[~empty, "prediction"].tolist() == before.loc[~empty, "prediction"].tolist()
    probabilities = before.loc[empty, [f"probability_{name}" for name in NAMES]].to_numpy()
    assert after.loc[empty, "prediction"].tolist() == [NAMES[i] for i in probabilities.argmax(axis=1)]
    # The library gives the same answers: predict(..., at_least_one=True).
    texts = pd.read_csv(test, sep="\t", header=None, names=["text", "labels"])[["text"]]
    answers = trainwell.load(model).predict(texts, at_least_one=True)["prediction"].tolist()
    assert answers == after["prediction"].tolist()


def test_at_least_one_is_refused_for_a_model_that_is_not_multilabel(
    model_dir: Path, binary_csv: Path
) -> None:
    refused = run_cli("predict", model_dir, binary_csv, "--at-least-one")
    assert refused.returncode == 2, refused.explain()
    assert refused.stderr_lines == [
        "error: --at-least-one is for multi-label models; this binary model gives every row one answer "
        "already: drop it"
    ]


def test_blank_lines_of_a_text_file_are_said_and_the_line_column_numbers_the_answers(
    weather: tuple[Path, Path], tmp_path: Path
) -> None:
    model, _ = weather
    texts = tmp_path / "new.txt"
    texts.write_text("a sun day\n\nthe rain\n   \nwalk in town\n\n", encoding="utf-8")
    result = run_cli("predict", model, texts, "--label-only")
    table = _table(result)
    assert table["line"].tolist() == [1, 3, 5] and list(table.columns) == ["line", "labels"]
    assert f"note: skipped 3 blank lines of '{texts}' (lines 2, 4, 6); the column 'line' gives each answer's " \
        "line" in result.stderr  # fmt: skip
    piped = run_trainwell("predict", str(model), "-", input="sun\n\nrain\n", timeout=60)
    assert piped.returncode == 0, piped.stderr
    assert "note: skipped 1 blank line of standard input (line 2)" in piped.stderr
    assert pd.read_csv(io.StringIO(piped.stdout))["line"].tolist() == [1, 3]
    other = tmp_path / "more.txt"
    other.write_text("sun\n\nrain\n", encoding="utf-8")
    together = run_cli("predict", model, texts, other)
    assert _table(together)["line"].tolist() == [1, 3, 5, 1, 3]
    assert f"note: skipped 4 blank lines ('{texts}': 3, '{other}': 1); the column 'line'" in together.stderr
    other.write_text("sun\nrain\n", encoding="utf-8")
    assert "skipped" not in run_cli("predict", model, other).stderr  # no blank line: nothing said


def test_kept_codes_that_look_like_decimal_commas_are_read_as_labels(
    weather: tuple[Path, Path], tmp_path: Path
) -> None:
    # A TSV whose label column holds only '0', '1' and '0,1': read_table took '0,1' for 0.1 (a decimal comma)
    # and the kept column came out as 0.0, 1.0, 0.1; predict now reads a text model's table as fit reads it.
    model, _ = weather
    test = tmp_path / "two.tsv"
    test.write_text("the sun day\t0\nthe rain day\t1\nsun and rain\t0,1\na walk\t0,1\n", encoding="utf-8")
    result = run_cli("predict", model, test, "--names", "text,labels", "--keep", "labels")
    table = _table(result)
    assert table["labels"].tolist() == ["sunny", "rainy", "sunny,rainy", "sunny,rainy"]
    assert "decimal comma" not in result.stderr
