"""``trainwell info`` of a subword text model names its pieces: it said "vocabulary 0" (the recipe keeps no word
vocabulary for a subword tokenizer, tour60 #10)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from classify_tables import sentiment_frame
from typer.testing import CliRunner

from trainwell.cli.app import app
from trainwell.text import fit_texts
from trainwell.text.subword import SubwordTokenizer


def test_info_of_a_subword_model_gives_its_number_of_pieces(tmp_path: Path) -> None:
    reviews = tmp_path / "reviews.csv"
    sentiment_frame(120).to_csv(reviews, index=False)
    out = tmp_path / "model"
    fit_texts(
        reviews, text_col="review", target="sentiment", tokenizer="subword", epochs=1, out=out, progress=False
    )
    config = json.loads((out / "trainwell.json").read_text())["recipe"]["tokenizer"]["config"]
    pieces = SubwordTokenizer.from_dict(config).n_pieces
    result = CliRunner().invoke(app, ["info", str(out)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "inputs" in line)
    assert "vocabulary 0" not in line, line
    assert re.search(rf"subword tokens \((BPE|unigram)\), vocabulary {pieces:,} pieces", line), line
