"""A text model's options given without --text: ``fit sst.tsv --target label --tokenizer word`` was refused
("--tokenizer is for texts (--text)") though ``fit sst.tsv --target label`` trains a text model on its column
'sentence' (tour60 #3); and ``--max-len`` caps the tokens a text model reads, kept in the model (tour60 #6)."""

from __future__ import annotations

import json
import random
from pathlib import Path

from cli_support import run_cli, run_cli_many

GOOD = ["great", "wonderful", "superb", "moving", "funny"]
BAD = ["awful", "dull", "boring", "clumsy", "tedious"]
FILLER = ["the", "film", "was", "and", "plot", "acting", "a", "story", "this", "with"]


def _reviews(path: Path, rows: int = 200) -> Path:
    rng = random.Random(0)
    lines = ["label\tsentence"]
    for i in range(rows):
        words = [*rng.sample(FILLER, 6), rng.choice(GOOD if i % 2 else BAD)]
        rng.shuffle(words)
        lines.append(f"{i % 2}\t{' '.join(words)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _recipe(model: Path) -> dict:
    return json.loads((model / "trainwell.json").read_text())["recipe"]


def test_text_options_find_the_free_text_column_as_fit_does(tmp_path: Path) -> None:
    reviews = _reviews(tmp_path / "sst.tsv")
    table = tmp_path / "numbers.csv"
    table.write_text("a,b,y\n" + "".join(f"{i},{i % 7},{i % 2}\n" for i in range(60)), encoding="utf-8")
    once = ["--epochs", "1", "--out"]
    tokenized, capped, refused = run_cli_many(
        [
            ["fit", reviews, "--target", "label", "--tokenizer", "subword", *once, tmp_path / "sw"],
            ["fit", reviews, "--target", "label", "--max-len", "4", *once, tmp_path / "cap"],
            ["fit", table, "--target", "y", "--tokenizer", "word", *once, tmp_path / "t"],
        ]
    )
    for result in (tokenized, capped):
        assert result.returncode == 0, result.explain()
        assert "column 'sentence' is free text and the table's only input" in result.stdout, result.explain()
        assert "(as --text sentence)" in " ".join(result.stdout.split())
    assert _recipe(tmp_path / "sw")["tokenizer"]["kind"] == "subword"
    assert _recipe(tmp_path / "cap")["max_len"] == 4
    assert refused.returncode == 2 and len(refused.stderr_lines) == 1, refused.explain()
    assert (
        "--tokenizer is for texts (--text) and language models (--task language_model); " in refused.stderr
        and "--text COLUMN" in refused.stderr
    )


def test_max_len_is_refused_where_no_text_classifier_reads_it(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat .\n" * 50, encoding="utf-8")
    result = run_cli("fit", corpus, "--task", "language_model", "--max-len", "5", "--out", tmp_path / "lm")
    assert result.returncode == 2, result.explain()
    assert "--max-len is not used by a language model" in result.stderr, result.explain()
