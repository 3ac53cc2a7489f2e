"""``--label-names``: classes a file writes as codes are trained, shown and predicted by name; held-out files
written with the codes are scored alike (fit's --test, report --data), and a wrong list is one line (exit 2)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_support import count_table
from typer.testing import CliRunner

import trainwell
from trainwell.cli.app import app

pytestmark = pytest.mark.slow

COUNTS = ["none", "one", "two", "three", "four"]


def _invoke(*args: str | Path, code: int = 0) -> str:
    result = CliRunner().invoke(app, [str(arg) for arg in args], env={"COLUMNS": "200"})
    assert result.exit_code == code, result.output
    return " ".join(result.output.split())


def _moods(n: int, seed: int) -> pd.DataFrame:
    """Texts with up to two of three labels written as ids, '0,2', as GoEmotions writes them (no header)."""
    rng = np.random.default_rng(seed)
    words = {0: "sunny", 1: "rain", 2: "crowd"}
    rows = []
    for _ in range(n):
        ids = sorted(rng.choice(3, size=int(rng.integers(1, 3)), replace=False).tolist())
        filler = rng.choice(["a", "the", "day", "walk", "town"], size=4).tolist()
        rows.append((" ".join([*filler, *(words[i] for i in ids)]), ",".join(map(str, ids))))
    return pd.DataFrame(rows, columns=["text", "labels"])


def test_a_table_target_of_codes_is_trained_and_predicted_by_name(tmp_path: Path) -> None:
    data, test = tmp_path / "counts.csv", tmp_path / "test.csv"
    count_table().to_csv(data, index=False)
    count_table(seed=5, n_rows=120).to_csv(test, index=False)
    said = _invoke(
        "fit", data, "--target", "k", "--ignore", "ticket", "--label-names", ",".join(COUNTS), "--arch", "mlp",
        "--epochs", "2", "--test", test, "--out", tmp_path / "model",
    )  # fmt: skip
    assert "test set (120 rows)" in said
    predictor = trainwell.load(tmp_path / "model")
    assert predictor.task.classes == tuple(COUNTS) and predictor.task.label_codes == (0, 1, 2, 3, 4)
    answers = predictor.predict(pd.read_csv(test))
    assert set(answers["prediction"]) <= set(COUNTS) and "probability_three" in answers.columns
    info = _invoke("info", tmp_path / "model")
    assert "label names" in info and "given to the data's labels: 0=none, 1=one, 2=two" in info
    report = _invoke("report", tmp_path / "model", "--data", test, "--out", tmp_path / "report.html")
    assert "wrote" in report and (tmp_path / "report.html").is_file()
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    section = page[page.index('id="top-losses"') :]
    first = re.findall(r"<tr>(.*?)</tr>", section[: section.index("</section>")], re.S)[1]
    actual, predicted = re.findall(r"<td[^>]*>(.*?)</td>", first)[1:3]
    assert actual in COUNTS and predicted in COUNTS  # the file's code 1 shown as 'one', as predictions are


def test_trees_kept_by_auto_answer_by_name_too(tmp_path: Path) -> None:
    data = tmp_path / "counts.csv"
    count_table().to_csv(data, index=False)
    _invoke("fit", data, "--target", "k", "--ignore", "ticket", "--label-names", ",".join(COUNTS), "--arch", "gbdt",
            "--out", tmp_path / "trees")  # fmt: skip
    predictor = trainwell.load(tmp_path / "trees")
    assert set(predictor.predict(pd.read_csv(data).head(40))["prediction"]) <= set(COUNTS)


def test_headerless_texts_with_delimited_ids_and_a_names_file(tmp_path: Path) -> None:
    train, test, names = tmp_path / "train.tsv", tmp_path / "test.tsv", tmp_path / "moods.txt"
    _moods(400, 0).to_csv(train, sep="\t", header=False, index=False)
    _moods(100, 1).to_csv(test, sep="\t", header=False, index=False)
    names.write_text("sunny\nrainy\nbusy\n", encoding="utf-8")
    said = _invoke(
        "fit", train, "--names", "text,labels", "--text", "text", "--target", "labels", "--label-delim", ",",
        "--label-names", names, "--epochs", "3", "--test", test, "--out", tmp_path / "model",
    )  # fmt: skip
    assert "test set (100 texts)" in said
    # the labels by name (the fit names them only where it lists per-label thresholds; on labels this clean it
    # keeps 0.5)
    assert "sunny" in _invoke("info", tmp_path / "model")
    predictor = trainwell.load(tmp_path / "model")
    assert predictor.task.classes == ("sunny", "rainy", "busy")
    scores = predictor.metadata["training"]["test"]
    # the ids of the test file were read as the names' labels (f1_tuned: had per-label thresholds been adopted)
    assert scores.get("f1_tuned", scores.get("f1", 0)) > 0.8, scores
    _invoke("predict", tmp_path / "model", test, "--out", tmp_path / "answers.csv")
    answers = pd.read_csv(tmp_path / "answers.csv")["prediction"].fillna("")
    assert {label for answer in answers for label in answer.split(",") if label} <= {"sunny", "rainy", "busy"}


def test_too_few_names_are_refused_before_training(tmp_path: Path) -> None:
    data = tmp_path / "counts.csv"
    count_table().to_csv(data, index=False)
    said = _invoke("fit", data, "--target", "k", "--ignore", "ticket", "--label-names", "none,one",
                   "--out", tmp_path / "model", code=2)  # fmt: skip
    assert said.startswith(
        "error: --label-names has no name for the label(s) 2, 3, 4 of target 'k': it names the labels 0 to 1 by "
        "position"
    )
    assert not (tmp_path / "model" / "trainwell.json").exists()
    missing = _invoke("fit", data, "--target", "k", "--label-names", str(tmp_path / "nope.txt"), code=2)
    assert missing.startswith(f"error: --label-names {tmp_path / 'nope.txt'}: no such file")
